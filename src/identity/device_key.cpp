#include "identity/device_key.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <utility>

#include "identity/internal/sodium_init.hpp"
#include "identity/random.hpp"

namespace groundcrew::identity {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kKeyMagic = "GCDK";
constexpr char kKeyVersion = 1;
constexpr std::size_t kSeedSize = crypto_sign_SEEDBYTES;
constexpr std::size_t kKeyFileSize = 4 + 1 + kSeedSize;
constexpr std::string_view kProofDomain{"groundcrew-device-proof-v1\0", 27};

static_assert(crypto_sign_PUBLICKEYBYTES == kDevicePublicKeySize);
static_assert(crypto_sign_BYTES == kSignatureSize);
static_assert(crypto_sign_SECRETKEYBYTES == 64);

/// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  /// Closes now and reports close(2)'s errno (0 on success).
  int Close() {
    const int result = ::close(std::exchange(fd_, -1));
    return result == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

Error SystemError(const std::string& what, const fs::path& path, int error_number) {
  return MakeError(
      ErrorCode::kUnavailable,
      what + " " + path.string() + ": " + std::generic_category().message(error_number),
      std::string(FileDeviceKey::kFileName));
}

/// Creates `dir` and any missing parents with mode 0700; an existing directory is left alone.
Status MakeDirectories(const fs::path& dir) {
  struct stat info;
  if (::stat(dir.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) return Ok{};
    return MakeError(ErrorCode::kFailedPrecondition,
                     dir.string() + ": the state directory path exists but is not a directory",
                     std::string(FileDeviceKey::kFileName));
  }
  if (errno != ENOENT) return SystemError("cannot inspect", dir, errno);
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    Status parent = MakeDirectories(dir.parent_path());
    if (!parent) return parent;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return SystemError("cannot create the directory", dir, errno);
  }
  return Ok{};
}

/// Writes all of `bytes` to `fd`.
int WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

/// fsyncs the directory `dir` so a new directory entry in it survives a crash.
int SyncDirectory(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errno;
  if (::fsync(fd.get()) != 0) return errno;
  return fd.Close();
}

/// The seed in the key file at `path` after checking the file's type, owner and mode; the
/// error kNotFound when there is no file.
Result<std::string> ReadSeed(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) return MakeError(ErrorCode::kNotFound, path.string() + ": no key");
    if (errno == ELOOP) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       path.string() + ": the device key must be a regular file, not a symlink",
                       std::string(FileDeviceKey::kFileName));
    }
    return SystemError("cannot open", path, errno);
  }
  struct stat info;
  if (::fstat(fd.get(), &info) != 0) return SystemError("cannot inspect", path, errno);
  if (!S_ISREG(info.st_mode)) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     path.string() + ": the device key must be a regular file",
                     std::string(FileDeviceKey::kFileName));
  }
  if (info.st_uid != ::geteuid()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     path.string() + ": the device key file belongs to another user (uid " +
                         std::to_string(info.st_uid) + "); it must belong to uid " +
                         std::to_string(::geteuid()),
                     std::string(FileDeviceKey::kFileName));
  }
  if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return MakeError(ErrorCode::kFailedPrecondition,
                     path.string() +
                         ": the device key file is accessible by group or other (mode " + mode +
                         "); it must be 0600: run chmod 600 " + path.string(),
                     std::string(FileDeviceKey::kFileName));
  }
  std::string bytes(kKeyFileSize + 1, '\0');
  std::size_t size = 0;
  while (size < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + size, bytes.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SystemError("cannot read", path, errno);
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  if (size != kKeyFileSize || std::string_view(bytes).substr(0, 4) != kKeyMagic ||
      bytes[4] != kKeyVersion) {
    sodium_memzero(bytes.data(), bytes.size());
    return MakeError(ErrorCode::kInvalidArgument,
                     path.string() + ": not a groundcrew device key (expected " +
                         std::to_string(kKeyFileSize) + " bytes starting with GCDK, version 1)",
                     std::string(FileDeviceKey::kFileName));
  }
  std::string seed = bytes.substr(5, kSeedSize);
  sodium_memzero(bytes.data(), bytes.size());
  return seed;
}

/// Writes a fresh key to a temporary file and links it to `path` unless a key is there already.
Status CreateKeyFile(const fs::path& path) {
  std::string contents(kKeyMagic);
  contents.push_back(kKeyVersion);
  contents.resize(kKeyFileSize);
  randombytes_buf(contents.data() + 5, kSeedSize);
  const fs::path temp =
      path.parent_path() / (std::string(FileDeviceKey::kFileName) + ".tmp-" + RandomToken(9));
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    sodium_memzero(contents.data(), contents.size());
    return SystemError("cannot create", temp, errno);
  }
  int error = WriteAll(fd.get(), contents);
  sodium_memzero(contents.data(), contents.size());
  if (error == 0 && ::fsync(fd.get()) != 0) error = errno;
  if (const int close_error = fd.Close(); error == 0) error = close_error;
  if (error != 0) {
    ::unlink(temp.c_str());
    return SystemError("cannot write", temp, error);
  }
  // link(2) fails with EEXIST instead of replacing: a key that won a race stays.
  const int link_error = ::link(temp.c_str(), path.c_str()) == 0 ? 0 : errno;
  ::unlink(temp.c_str());
  if (link_error != 0 && link_error != EEXIST) {
    return SystemError("cannot create", path, link_error);
  }
  if (const int sync_error = SyncDirectory(path.parent_path()); sync_error != 0) {
    return SystemError("cannot sync the directory of", path, sync_error);
  }
  return Ok{};
}

}  // namespace

Result<std::unique_ptr<FileDeviceKey>> FileDeviceKey::OpenOrCreate(const fs::path& state_dir) {
  internal::EnsureSodium();
  const fs::path dir = state_dir.empty() ? fs::path(".") : state_dir;
  Status made = MakeDirectories(dir);
  if (!made) return made.error();
  const fs::path path = dir / kFileName;
  Result<std::string> seed = ReadSeed(path);
  if (!seed && seed.error().code == ErrorCode::kNotFound) {
    Status created = CreateKeyFile(path);
    if (!created) return created.error();
    seed = ReadSeed(path);
  }
  if (!seed) return seed.error();
  std::unique_ptr<FileDeviceKey> key(new FileDeviceKey(path, *seed));
  sodium_memzero(seed->data(), seed->size());
  return key;
}

FileDeviceKey::FileDeviceKey(fs::path path, std::string_view seed) : path_(std::move(path)) {
  crypto_sign_seed_keypair(public_key_.data(), secret_key_.data(),
                           reinterpret_cast<const unsigned char*>(seed.data()));
}

FileDeviceKey::~FileDeviceKey() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

Result<DevicePublicKey> FileDeviceKey::PublicKey() { return public_key_; }

Result<Signature> FileDeviceKey::Sign(std::string_view message) {
  Signature signature;
  crypto_sign_detached(signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_key_.data());
  return signature;
}

SeededDeviceKey::SeededDeviceKey(std::string_view seed) {
  internal::EnsureSodium();
  crypto_sign_seed_keypair(public_key_.data(), secret_key_.data(),
                           reinterpret_cast<const unsigned char*>(seed.data()));
}

SeededDeviceKey::~SeededDeviceKey() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

Result<DevicePublicKey> SeededDeviceKey::PublicKey() { return public_key_; }

Result<Signature> SeededDeviceKey::Sign(std::string_view message) {
  Signature signature;
  crypto_sign_detached(signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_key_.data());
  return signature;
}

bool VerifyDeviceSignature(const DevicePublicKey& public_key, std::string_view message,
                           const Signature& signature) {
  internal::EnsureSodium();
  return crypto_sign_verify_detached(signature.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), public_key.data()) == 0;
}

std::string ProofMessage(std::string_view nonce, std::string_view device_id,
                         std::string_view audience) {
  std::string message(kProofDomain);
  for (std::string_view part : {nonce, device_id, audience}) {
    const auto size = static_cast<std::uint32_t>(part.size());
    for (int shift = 24; shift >= 0; shift -= 8) {
      message.push_back(static_cast<char>((size >> shift) & 0xff));
    }
    message.append(part);
  }
  return message;
}

}  // namespace groundcrew::identity

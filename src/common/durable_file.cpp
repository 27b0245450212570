#include "common/durable_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace groundcrew::durable {
namespace fs = std::filesystem;
namespace {

// Sixteen hex digits from the kernel's random source: a temporary name no other writer picks.
std::string TemporarySuffix() {
  unsigned char bytes[8] = {};
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    // Never fails for 8 bytes once the pool is ready; O_EXCL still refuses a clash.
    return fmt::format("{}", ::getpid());
  }
  std::string out;
  for (unsigned char b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

Error DiskError(const fs::path& path, std::string_view what, int error) {
  return MakeError(ErrorCode::kUnavailable,
                   fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(error)));
}

// Writes all of `bytes` to `fd` and flushes them; errno on failure, 0 on success.
int WriteAndSync(int fd, std::string_view bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    written += static_cast<size_t>(n);
  }
  return ::fsync(fd) == 0 ? 0 : errno;
}

}  // namespace

void SyncDirectory(const fs::path& directory) {
  if (const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

namespace {

// WriteFileAtomically, the temporary file given to `owner` first when not null.
Status WriteAtomically(const fs::path& path, std::string_view bytes, mode_t mode,
                       const FileOwner* owner) {
  const fs::path directory = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) return DiskError(directory, "create folder", ec.value());
  const fs::path temporary =
      directory / fmt::format(".{}.{}", path.filename().string(), TemporarySuffix());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return DiskError(temporary, "create", errno);
  int write_error = 0;
  if (owner != nullptr) {
    // A new file is the creator's already: fchown only to give it away (which needs privileges).
    struct stat created {};
    write_error = ::fstat(fd, &created) == 0 ? 0 : errno;
    if (write_error == 0 && (created.st_uid != owner->uid || created.st_gid != owner->gid) &&
        ::fchown(fd, owner->uid, owner->gid) != 0) {
      write_error = errno;
    }
  }
  if (write_error == 0) write_error = ::fchmod(fd, mode) == 0 ? 0 : errno;
  if (write_error == 0) write_error = WriteAndSync(fd, bytes);
  ::close(fd);
  if (write_error == 0 && ::rename(temporary.c_str(), path.c_str()) == 0) {
    SyncDirectory(directory);  // the new directory entry survives a crash
    return Ok{};
  }
  const int error = write_error != 0 ? write_error : errno;
  ::unlink(temporary.c_str());
  return DiskError(path, write_error != 0 ? "write" : "replace", error);
}

}  // namespace

Status WriteFileAtomically(const fs::path& path, std::string_view bytes, mode_t mode) {
  return WriteAtomically(path, bytes, mode, nullptr);
}

Status WriteFileAtomically(const fs::path& path, std::string_view bytes, mode_t mode,
                           FileOwner owner) {
  return WriteAtomically(path, bytes, mode, &owner);
}

Result<std::string> ReadWholeFile(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return MakeError(ErrorCode::kNotFound, fmt::format("{} does not exist", path.string()));
    }
    return DiskError(path, "read", errno);
  }
  std::string bytes;
  char buffer[16384];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return DiskError(path, "read", error);
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return bytes;
}

Status RemoveFile(const fs::path& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return Ok{};
    return DiskError(path, "remove", errno);
  }
  SyncDirectory(path.has_parent_path() ? path.parent_path() : fs::path("."));
  return Ok{};
}

}  // namespace groundcrew::durable

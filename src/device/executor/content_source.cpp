#include "device/executor/content_source.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "device/executor/durable_file.hpp"
#include "identity/sha256.hpp"

namespace groundcrew::executor {
namespace fs = std::filesystem;
namespace {

Error DiskError(const fs::path& path, std::string_view what, int error) {
  return MakeError(ErrorCode::kUnavailable,
                   fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(error)));
}

// An open file descriptor, closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

// Feeds the first `length` bytes of `fd` (from its start) to `hasher`. errno, or 0.
int HashPrefix(int fd, std::uint64_t length, identity::Sha256& hasher) {
  std::vector<char> buffer(64 * 1024);
  std::uint64_t done = 0;
  while (done < length) {
    const size_t want = static_cast<size_t>(std::min<std::uint64_t>(buffer.size(), length - done));
    const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;  // the file shrank under us
    hasher.Update(std::string_view(buffer.data(), static_cast<size_t>(n)));
    done += static_cast<std::uint64_t>(n);
  }
  return 0;
}

// True when `path` is a regular file of `size` bytes whose SHA-256 is `sha256`.
bool AlreadyInPlace(const fs::path& path, std::string_view sha256, std::uint64_t size) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return false;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) != size) {
    return false;
  }
  identity::Sha256 hasher;
  if (HashPrefix(fd.get(), size, hasher) != 0) return false;
  return identity::ToHex(hasher.Finish()) == sha256;
}

int WriteAll(int fd, std::string_view bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    written += static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace

fs::path PartialPath(const fs::path& destination) {
  fs::path partial = destination;
  partial += ".partial";
  return partial;
}

Status DownloadWithResume(std::string_view sha256, std::uint64_t size, const fs::path& destination,
                          const RangeFetcher& fetch, const ProgressFn& progress) {
  if (!identity::IsSha256Hex(sha256)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("content digest \"{}\" is not 64 lower-case hex digits", sha256),
                     "sha256");
  }
  if (AlreadyInPlace(destination, sha256, size)) {
    if (progress) progress(size, size);
    return Ok{};
  }
  const fs::path partial = PartialPath(destination);
  Fd fd(::open(partial.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.ok()) return DiskError(partial, "create", errno);
  // 0644 whatever the umask: content is not secret, and a user's installer reads it.
  if (::fchmod(fd.get(), 0644) != 0) return DiskError(partial, "protect", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return DiskError(partial, "inspect", errno);
  std::uint64_t offset = static_cast<std::uint64_t>(st.st_size);
  if (offset > size) {  // not this content: start over
    if (::ftruncate(fd.get(), 0) != 0) return DiskError(partial, "truncate", errno);
    offset = 0;
  }
  identity::Sha256 hasher;
  if (const int error = HashPrefix(fd.get(), offset, hasher); error != 0) {
    return DiskError(partial, "read", error);
  }
  if (progress) progress(offset, size);

  std::uint64_t received = offset;
  bool too_long = false;
  int write_error = 0;
  if (received < size) {
    const ChunkSink sink = [&](std::string_view chunk) -> Status {
      if (chunk.size() > size - received) {
        too_long = true;
        return MakeError(ErrorCode::kFailedPrecondition,
                         fmt::format("content {} is longer than its {} bytes", sha256, size));
      }
      if (const int error = WriteAll(fd.get(), chunk); error != 0) {
        write_error = error;
        return DiskError(partial, "write", error);
      }
      hasher.Update(chunk);
      received += chunk.size();
      if (progress) progress(received, size);
      return Ok{};
    };
    Status fetched = fetch(offset, sink);
    if (too_long) {
      ::unlink(partial.c_str());
      return MakeError(ErrorCode::kFailedPrecondition,
                       fmt::format("content {} is longer than its {} bytes; the partial download "
                                   "was deleted",
                                   sha256, size));
    }
    if (!fetched || write_error != 0) {
      ::fsync(fd.get());  // keep what arrived for the next attempt
      if (write_error != 0) return DiskError(partial, "write", write_error);
      Error error = fetched.error();
      error.message = fmt::format("downloading content {} stopped at {} of {} bytes: {}", sha256,
                                  received, size, error.message);
      return error;
    }
  }
  if (received < size) {
    ::fsync(fd.get());
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("downloading content {} stopped at {} of {} bytes: the source "
                                 "sent no more",
                                 sha256, received, size));
  }
  if (::fsync(fd.get()) != 0) return DiskError(partial, "flush", errno);
  const std::string actual = identity::ToHex(hasher.Finish());
  if (actual != sha256) {
    ::unlink(partial.c_str());
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("content {} does not match: its SHA-256 is {}; the partial "
                                 "download was deleted",
                                 sha256, actual));
  }
  if (::rename(partial.c_str(), destination.c_str()) != 0) {
    return DiskError(destination, "replace", errno);
  }
  SyncDirectory(destination.has_parent_path() ? destination.parent_path() : fs::path("."));
  return Ok{};
}

DirectoryContentSource::DirectoryContentSource(fs::path directory, std::size_t chunk_bytes)
    : directory_(std::move(directory)), chunk_bytes_(chunk_bytes == 0 ? 1 : chunk_bytes) {}

Status DirectoryContentSource::Fetch(std::string_view sha256, std::uint64_t size,
                                     const fs::path& destination, const ProgressFn& progress) {
  if (!identity::IsSha256Hex(sha256)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("content digest \"{}\" is not 64 lower-case hex digits", sha256),
                     "sha256");
  }
  const fs::path source = directory_ / std::string(sha256);
  // A local file of the wrong size will not grow: a mismatch, not a transfer to resume.
  struct stat st {};
  if (::stat(source.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_size) != size) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("content {} in {} has {} bytes instead of {}", sha256,
                                 directory_.string(), st.st_size, size));
  }
  const RangeFetcher fetch = [&](std::uint64_t offset, const ChunkSink& sink) -> Status {
    Fd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.ok()) {
      if (errno == ENOENT) {
        return MakeError(ErrorCode::kNotFound,
                         fmt::format("no content {} in {}", sha256, directory_.string()));
      }
      return DiskError(source, "read", errno);
    }
    std::vector<char> buffer(chunk_bytes_);
    std::uint64_t position = offset;
    while (true) {
      const ssize_t n =
          ::pread(fd.get(), buffer.data(), buffer.size(), static_cast<off_t>(position));
      if (n < 0) {
        if (errno == EINTR) continue;
        return DiskError(source, "read", errno);
      }
      if (n == 0) return Ok{};
      if (Status s = sink(std::string_view(buffer.data(), static_cast<size_t>(n))); !s) return s;
      position += static_cast<std::uint64_t>(n);
    }
  };
  return DownloadWithResume(sha256, size, destination, fetch, progress);
}

}  // namespace groundcrew::executor

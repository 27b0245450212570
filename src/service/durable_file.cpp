#include "service/durable_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "identity/random.hpp"

namespace groundcrew::service {
namespace fs = std::filesystem;
namespace {

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

Status WriteFileAtomically(const fs::path& path, std::string_view bytes, mode_t mode) {
  const fs::path directory = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const fs::path temporary =
      directory / fmt::format(".{}.{}", path.filename().string(), identity::RandomToken(8));
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return DiskError(temporary, "create", errno);
  const int write_error = WriteAndSync(fd, bytes);
  ::close(fd);
  if (write_error == 0 && ::rename(temporary.c_str(), path.c_str()) == 0) {
    if (const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
      ::fsync(dir);  // the new directory entry survives a crash
      ::close(dir);
    }
    return Ok{};
  }
  const int error = write_error != 0 ? write_error : errno;
  ::unlink(temporary.c_str());
  return DiskError(path, write_error != 0 ? "write" : "replace", error);
}

Result<std::string> ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) {
      return MakeError(ErrorCode::kNotFound, fmt::format("{} does not exist", path.string()));
    }
    return DiskError(path, "read", errno);
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return DiskError(path, "read", errno);
  return bytes.str();
}

}  // namespace groundcrew::service

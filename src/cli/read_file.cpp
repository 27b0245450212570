#include "cli/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <utility>

namespace groundcrew::cli {
namespace {

Error SystemError(const std::string& what, const std::string& path, int error) {
  return MakeError(ErrorCode::kUnavailable, what + ": " + std::strerror(error), path);
}

Error Exists(const std::string& path) {
  return MakeError(ErrorCode::kAlreadyExists, "exists", path);
}

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    return MakeError(error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                     std::strerror(error), path);
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return MakeError(ErrorCode::kUnavailable, "read failed", path);
  return std::move(content).str();
}

Result<PrivateFile> PrivateFile::Open(std::string path, IfExists if_exists) {
  struct stat existing {};
  if (if_exists == IfExists::kRefuse && ::lstat(path.c_str(), &existing) == 0) {
    return Exists(path);
  }
  std::random_device entropy;
  std::string temp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(entropy() & 0xFFFFFFu);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return SystemError("cannot create", path, errno);
  // The umask can only remove bits; make the mode exact regardless.
  ::fchmod(fd, 0600);
  return PrivateFile(std::move(path), std::move(temp), fd, if_exists);
}

PrivateFile::PrivateFile(PrivateFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_(std::exchange(other.temp_, std::string())),
      fd_(std::exchange(other.fd_, -1)),
      if_exists_(other.if_exists_) {}

PrivateFile& PrivateFile::operator=(PrivateFile&& other) noexcept {
  if (this != &other) {
    Discard();
    path_ = std::move(other.path_);
    temp_ = std::exchange(other.temp_, std::string());
    fd_ = std::exchange(other.fd_, -1);
    if_exists_ = other.if_exists_;
  }
  return *this;
}

PrivateFile::~PrivateFile() { Discard(); }

void PrivateFile::Discard() {
  if (fd_ >= 0) ::close(fd_);
  if (!temp_.empty()) ::unlink(temp_.c_str());
  fd_ = -1;
  temp_.clear();
}

Status PrivateFile::Commit(std::string_view content) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd_, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      Discard();
      return SystemError("cannot write", path_, error);
    }
    done += static_cast<size_t>(n);
  }
  int error = 0;
  if (::fsync(fd_) != 0) error = errno;
  if (::close(fd_) != 0 && error == 0) error = errno;
  fd_ = -1;
  if (error != 0) {
    Discard();
    return SystemError("cannot write", path_, error);
  }
  if (if_exists_ == IfExists::kRefuse) {
    // link(2) fails when `path_` exists; the temporary name then goes.
    if (::link(temp_.c_str(), path_.c_str()) != 0) {
      error = errno;
      Discard();
      return error == EEXIST ? Exists(path_) : SystemError("cannot create", path_, error);
    }
    ::unlink(temp_.c_str());
  } else if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    error = errno;
    Discard();
    return SystemError("cannot replace", path_, error);
  }
  temp_.clear();
  return Ok{};
}

Error ForOutputOption(const Error& error, std::string_view option) {
  std::string message =
      error.code == ErrorCode::kAlreadyExists
          ? error.field + " exists: remove it or choose another file with " + std::string(option)
          : error.field + ": " + error.message;
  return MakeError(error.code, std::move(message), std::string(option));
}

}  // namespace groundcrew::cli

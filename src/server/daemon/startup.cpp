#include "server/daemon/startup.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace groundcrew::daemon {
namespace fs = std::filesystem;

namespace {

Error Unavailable(const std::string& what, const fs::path& path, int error_number) {
  return MakeError(ErrorCode::kUnavailable,
                   fmt::format("{} {}: {}", what, path.string(), std::strerror(error_number)),
                   "dataDir");
}

}  // namespace

Result<DataDirLock> DataDirLock::Take(const fs::path& dir) {
  const fs::path path = dir / "groundcrewd.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot create the lock file", path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error_number = errno;
    char text[32] = {};
    const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
    ::close(fd);
    if (error_number != EWOULDBLOCK) return Unavailable("cannot lock", path, error_number);
    std::string holder = n > 0 ? std::string(text, static_cast<std::size_t>(n)) : "";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return MakeError(
        ErrorCode::kFailedPrecondition,
        fmt::format("another groundcrewd{} is serving the data directory {}: stop it first, or "
                    "give this one another --data-dir",
                    holder.empty() ? "" : " (process " + holder + ")", dir.string()),
        "dataDir");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int error_number = errno;
    ::close(fd);
    return Unavailable("cannot write the lock file", path, error_number);
  }
  return DataDirLock(fd);
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock; the file stays (its content is advisory)
}

Status CheckWritable(const fs::path& dir) {
  const fs::path probe = dir / fmt::format(".groundcrewd-probe-{}", ::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("the data directory is not writable:", dir, errno);
  constexpr char kByte = 0;
  int error_number = 0;
  if (::write(fd, &kByte, 1) != 1 || ::fsync(fd) != 0) error_number = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  if (error_number != 0)
    return Unavailable("the data directory is not writable:", dir, error_number);
  return Ok{};
}

Status CheckReady(const fs::path& dir) {
  if (Status writable = CheckWritable(dir); !writable) return writable;
  std::error_code ec;
  const fs::space_info space = fs::space(dir, ec);
  if (ec) {
    return MakeError(
        ErrorCode::kUnavailable,
        fmt::format("cannot read the free space of {}: {}", dir.string(), ec.message()), "dataDir");
  }
  if (space.available < kMinimumFreeBytes) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("the data directory {} has {} bytes free; at least {} are needed",
                                 dir.string(), space.available, kMinimumFreeBytes),
                     "dataDir");
  }
  return Ok{};
}

Result<int> RestrictModes(const fs::path& dir) {
  int changed = 0;
  auto restrict = [&](const fs::path& path, fs::perms wanted) -> Status {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0 || S_ISLNK(info.st_mode)) return Ok{};  // links: no
    if ((static_cast<unsigned>(info.st_mode) & 07777) == static_cast<unsigned>(wanted)) {
      return Ok{};
    }
    std::error_code ec;
    fs::permissions(path, wanted, fs::perm_options::replace, ec);
    if (ec) {
      return MakeError(
          ErrorCode::kUnavailable,
          fmt::format("cannot restrict the mode of {}: {}", path.string(), ec.message()),
          "dataDir");
    }
    ++changed;
    return Ok{};
  };
  if (Status s = restrict(dir, fs::perms::owner_all); !s) return s.error();
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const bool folder = it->is_directory(ec) && !it->is_symlink(ec);
    const fs::perms wanted =
        folder ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write;
    if (Status s = restrict(it->path(), wanted); !s) return s.error();
  }
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot list {}: {}", dir.string(), ec.message()), "dataDir");
  }
  return changed;
}

Result<std::string> ResolveListenAddress(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("listen: cannot resolve \"{}\": {}", host, ::gai_strerror(rc)),
                     "listen");
  }
  // IPv4 first: "localhost" then binds 127.0.0.1, which every client tries.
  const addrinfo* chosen = found;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    if (entry->ai_family == AF_INET) {
      chosen = entry;
      break;
    }
  }
  char text[INET6_ADDRSTRLEN] = {};
  const void* address =
      chosen->ai_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(chosen->ai_addr)->sin_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(chosen->ai_addr)->sin6_addr);
  const bool ok = ::inet_ntop(chosen->ai_family, address, text, sizeof text) != nullptr;
  ::freeaddrinfo(found);
  if (!ok) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("listen: cannot use the address of \"{}\"", host), "listen");
  }
  return std::string(text);
}

}  // namespace groundcrew::daemon

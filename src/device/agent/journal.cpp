#include "device/agent/journal.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>
#include <sstream>

namespace groundcrew::agent {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

Error DiskError(const fs::path& path, std::string_view what) {
  return MakeError(ErrorCode::kUnavailable,
                   fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(errno)),
                   "state");
}

Status WriteAll(int fd, std::string_view bytes, const fs::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return DiskError(path, "write");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) return DiskError(path, "flush");
  return Ok{};
}

}  // namespace

Journal::Journal(fs::path path, int fd, std::vector<json::object> records)
    : path_(std::move(path)), fd_(fd), records_(std::move(records)) {}

Journal::Journal(Journal&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), records_(std::move(other.records_)) {
  other.fd_ = -1;
}

Journal& Journal::operator=(Journal&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    records_ = std::move(other.records_);
    other.fd_ = -1;
  }
  return *this;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Journal> Journal::Open(const fs::path& state_dir) {
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot create {}: {}", state_dir.string(), ec.message()),
                     "state");
  }
  const fs::path path = state_dir / kFileName;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return DiskError(path, "open");
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(text.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      Error error = DiskError(path, "read");
      ::close(fd);
      return error;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  std::vector<json::object> records;
  size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) {  // a torn last write: never acted on; cut it off
      if (::ftruncate(fd, static_cast<off_t>(start)) != 0) {
        Error error = DiskError(path, "repair");
        ::close(fd);
        return error;
      }
      break;
    }
    ++line_number;
    boost::system::error_code parse_error;
    json::value value = json::parse(std::string_view(text).substr(start, end - start), parse_error);
    if (parse_error || !value.is_object()) {
      ::close(fd);
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("{} line {}: not a journal record", path.string(), line_number),
                       fmt::format("line {}", line_number));
    }
    records.push_back(std::move(value.as_object()));
    start = end + 1;
  }
  return Journal(path, fd, std::move(records));
}

Status Journal::Append(json::object record) {
  std::string line = json::serialize(record);
  line.push_back('\n');
  if (Status written = WriteAll(fd_, line, path_); !written) return written;
  records_.push_back(std::move(record));
  return Ok{};
}

Status Journal::Clear() {
  if (::ftruncate(fd_, 0) != 0 || ::fsync(fd_) != 0) return DiskError(path_, "clear");
  records_.clear();
  return Ok{};
}

}  // namespace groundcrew::agent

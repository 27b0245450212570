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

bool IsSealedMember(std::string_view name) {
  for (std::string_view sealed : Journal::kSealedMembers) {
    if (name == sealed) return true;
  }
  return false;
}

/// `value` with every string member named in kSealedMembers replaced by {"sealed": ...}.
void SealSecrets(json::value& value, const identity::SealingKey& key) {
  if (json::array* array = value.if_array()) {
    for (json::value& element : *array) SealSecrets(element, key);
    return;
  }
  json::object* object = value.if_object();
  if (object == nullptr) return;
  for (auto& member : *object) {
    if (IsSealedMember(member.key()) && member.value().is_string()) {
      member.value() = json::object{{"sealed", identity::Seal(key, member.value().as_string())}};
    } else {
      SealSecrets(member.value(), key);
    }
  }
}

/// The reverse of SealSecrets. False when a sealed member does not open with `key`.
bool OpenSecrets(json::value& value, const identity::SealingKey& key) {
  if (json::array* array = value.if_array()) {
    for (json::value& element : *array) {
      if (!OpenSecrets(element, key)) return false;
    }
    return true;
  }
  json::object* object = value.if_object();
  if (object == nullptr) return true;
  for (auto& member : *object) {
    const json::object* sealed = member.value().if_object();
    if (IsSealedMember(member.key()) && sealed != nullptr && sealed->size() == 1 &&
        sealed->contains("sealed") && sealed->at("sealed").is_string()) {
      Result<std::string> clear = identity::Unseal(key, sealed->at("sealed").as_string());
      if (!clear) return false;
      member.value() = json::string(*clear);
    } else if (!OpenSecrets(member.value(), key)) {
      return false;
    }
  }
  return true;
}

}  // namespace

Journal::Journal(fs::path path, int fd, identity::SealingKey key, std::vector<json::object> records)
    : path_(std::move(path)), key_(key), fd_(fd), records_(std::move(records)) {}

Journal::Journal(Journal&& other) noexcept
    : path_(std::move(other.path_)),
      key_(other.key_),
      fd_(other.fd_),
      records_(std::move(other.records_)) {
  other.fd_ = -1;
}

Journal& Journal::operator=(Journal&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    key_ = other.key_;
    fd_ = other.fd_;
    records_ = std::move(other.records_);
    other.fd_ = -1;
  }
  return *this;
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::vector<json::object>> ParseJournal(std::string_view text,
                                               const identity::SealingKey& key,
                                               std::string_view source, std::size_t& complete) {
  std::vector<json::object> records;
  complete = 0;
  int line_number = 0;
  while (complete < text.size()) {
    const size_t end = text.find('\n', complete);
    if (end == std::string_view::npos) break;  // a torn last line
    ++line_number;
    boost::system::error_code parse_error;
    json::value value = json::parse(text.substr(complete, end - complete), parse_error);
    if (parse_error || !value.is_object()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("{} line {}: not a journal record", source, line_number),
                       fmt::format("line {}", line_number));
    }
    if (!OpenSecrets(value, key)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("{} line {}: a sealed secret does not open with this device's "
                                   "key (the journal belongs to another device key)",
                                   source, line_number),
                       fmt::format("line {}", line_number));
    }
    records.push_back(std::move(value.as_object()));
    complete = end + 1;
  }
  return records;
}

Result<Journal> Journal::Open(const fs::path& state_dir, const identity::SealingKey& key) {
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
  std::size_t complete = 0;
  Result<std::vector<json::object>> records = ParseJournal(text, key, path.string(), complete);
  if (!records) {
    ::close(fd);
    return records.error();
  }
  // A torn last write was never acted on: cut it off.
  if (complete < text.size() && ::ftruncate(fd, static_cast<off_t>(complete)) != 0) {
    Error error = DiskError(path, "repair");
    ::close(fd);
    return error;
  }
  return Journal(path, fd, key, std::move(*records));
}

Status Journal::Append(json::object record) {
  json::value sealed = record;
  SealSecrets(sealed, key_);
  std::string line = json::serialize(sealed);
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

#include "device/executor/item_log.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include "device/executor/durable_file.hpp"

namespace groundcrew::executor {

ItemLog::ItemLog(const std::filesystem::path& logs_dir, std::string item_id, const LogSink& sink)
    : item_id_(std::move(item_id)), sink_(sink) {
  if (!IsSafeFileName(item_id_)) {
    Note("the item id is not a safe file name: this log is not kept in a file");
    return;
  }
  std::error_code ec;
  std::filesystem::create_directories(logs_dir, ec);
  const std::filesystem::path path = logs_dir / (item_id_ + ".log");
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) Note(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
}

ItemLog::~ItemLog() {
  if (fd_ >= 0) ::close(fd_);
}

void ItemLog::Output(std::string_view line) { Write(line); }

void ItemLog::Note(std::string_view text) { Write(fmt::format("groundcrew: {}", text)); }

void ItemLog::Write(std::string_view line) {
  if (fd_ >= 0) {
    std::string bytes(line);
    bytes.push_back('\n');
    size_t written = 0;
    while (written < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + written, bytes.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the log is best effort; the sink still gets the line
      written += static_cast<size_t>(n);
    }
  }
  if (sink_) sink_(item_id_, line);
}

}  // namespace groundcrew::executor

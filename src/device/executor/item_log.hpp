#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "device/executor/executor.hpp"

// One item's log: `<state>/logs/<item id>.log` (appended to by every attempt, mode 0600) and the
// driver's LogSink, line by line.
namespace groundcrew::executor {

class ItemLog {
 public:
  /// Opens (creating) `<logs_dir>/<item_id>.log` for appending. When the file cannot be opened
  /// (or `item_id` is not a safe file name) the lines still reach `sink`, after a note saying so.
  ItemLog(const std::filesystem::path& logs_dir, std::string item_id, const LogSink& sink);
  ~ItemLog();
  ItemLog(const ItemLog&) = delete;
  ItemLog& operator=(const ItemLog&) = delete;

  /// A line of command output, as it is.
  void Output(std::string_view line);
  /// The executor's own line: "groundcrew: <text>".
  void Note(std::string_view text);

 private:
  void Write(std::string_view line);

  std::string item_id_;
  const LogSink& sink_;
  int fd_ = -1;
};

}  // namespace groundcrew::executor

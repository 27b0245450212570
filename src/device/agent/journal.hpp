#pragma once

#include <boost/json/object.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"

// The agent's checkpoint journal: `<state>/journal.jsonl`, one JSON object per line. Every
// record is written with one write(2) and flushed with fsync before the step it records is
// acted on, so killing the agent at any moment loses at most a record that was never acted on.
// A torn last line (power lost mid-write) is dropped when the journal is opened. The file is
// created with mode 0600: it holds the signed-in user's token.
namespace groundcrew::agent {

class Journal {
 public:
  static constexpr const char* kFileName = "journal.jsonl";

  /// Opens (creating) the journal in `state_dir` and reads every complete record. kUnavailable
  /// when the file cannot be read or written; kInvalidArgument naming the line for a complete
  /// line that is not a JSON object (the journal was damaged other than by a torn write).
  [[nodiscard]] static Result<Journal> Open(const std::filesystem::path& state_dir);

  Journal(Journal&&) noexcept;
  Journal& operator=(Journal&&) noexcept;
  ~Journal();

  /// Every record, oldest first.
  const std::vector<boost::json::object>& records() const { return records_; }

  /// Appends `record` durably (write + fsync). kUnavailable when the disk refuses.
  [[nodiscard]] Status Append(boost::json::object record);

  /// Empties the journal durably (the device was reset).
  [[nodiscard]] Status Clear();

  const std::filesystem::path& path() const { return path_; }

 private:
  Journal(std::filesystem::path path, int fd, std::vector<boost::json::object> records);

  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<boost::json::object> records_;
};

}  // namespace groundcrew::agent

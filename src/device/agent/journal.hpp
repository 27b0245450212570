#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "identity/secret_box.hpp"

// The agent's checkpoint journal: `<state>/journal.jsonl`, one JSON object per line. Every
// record is written with one write(2) and flushed with fsync before the step it records is
// acted on, so killing the agent at any moment loses at most a record that was never acted on.
// A torn last line (power lost mid-write) is dropped when the journal is opened. The file is
// created with mode 0600, and the secrets its records carry (the signed-in user's token, the
// pre-shared keys of network payloads: members named in kSealedMembers, at any depth) are
// sealed under the device's sealing key (identity::Seal): the file alone reveals none of them.
namespace groundcrew::agent {

class Journal {
 public:
  static constexpr const char* kFileName = "journal.jsonl";
  /// Members whose string values are written sealed, as {"sealed": "<base64>"}.
  static constexpr std::string_view kSealedMembers[] = {"token", "preSharedKey"};

  /// Opens (creating) the journal in `state_dir` and reads every complete record, its sealed
  /// members opened with `key` (identity::DeriveSealingKey(device key, "journal")).
  /// kUnavailable when the file cannot be read or written; kInvalidArgument naming the line for
  /// a complete line that is not a JSON object or holds a sealed member `key` cannot open (the
  /// journal was damaged other than by a torn write, or belongs to another device key).
  [[nodiscard]] static Result<Journal> Open(const std::filesystem::path& state_dir,
                                            const identity::SealingKey& key);

  Journal(Journal&&) noexcept;
  Journal& operator=(Journal&&) noexcept;
  ~Journal();

  /// Every record, oldest first, with its secrets in clear (in memory only).
  const std::vector<boost::json::object>& records() const { return records_; }

  /// Appends `record` durably (write + fsync). kUnavailable when the disk refuses.
  [[nodiscard]] Status Append(boost::json::object record);

  /// Empties the journal durably (the device was reset).
  [[nodiscard]] Status Clear();

  const std::filesystem::path& path() const { return path_; }

 private:
  Journal(std::filesystem::path path, int fd, identity::SealingKey key,
          std::vector<boost::json::object> records);

  std::filesystem::path path_;
  identity::SealingKey key_;
  int fd_ = -1;
  std::vector<boost::json::object> records_;
};

/// The records of a journal file's `text` (what Journal::Open reads), their sealed members
/// opened with `key`; `complete` is set to the length of the complete lines (a torn last line
/// is not a record). Errors as Journal::Open's, naming `source` and the line.
[[nodiscard]] Result<std::vector<boost::json::object>> ParseJournal(std::string_view text,
                                                                    const identity::SealingKey& key,
                                                                    std::string_view source,
                                                                    std::size_t& complete);

}  // namespace groundcrew::agent

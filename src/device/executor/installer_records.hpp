#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "device/executor/process.hpp"

// The installers the executor has started, recorded in a folder (STATE/running/) so that an
// agent started again after being killed finds the installer its previous run left running
// (RunDetachedShell makes it outlive the agent) and waits for it instead of starting another.
//
// Per item, under a stem that is the item id when it is a safe file name (IsSafeFileName), else
// "item-" and 32 hex digits of its SHA-256:
// - <stem>.json    the record (InstallerRecord), written atomically, 0600;
// - <stem>.out     the installer's output; <stem>.status its exit status (the wrapper's);
//   <stem>.group   its process group id (DetachedFiles);
// - <stem>.code    $GROUNDCREW_EXIT_CODE_FILE, the exit code in full if the installer wrote it.
// Threads: calls for different items may run at once; calls for one item may not.
namespace groundcrew::executor {

/// One installer the executor started.
struct InstallerRecord {
  std::string item_id;
  std::string action;          ///< "install" or "uninstall"
  std::string version;         ///< the app's displayVersion
  std::string command_sha256;  ///< SHA-256 (hex) of the command line run
  /// When it started: wall clock, milliseconds since the Unix epoch, taken before fork.
  std::int64_t started_ms = 0;
  std::string boot_id;  ///< the kernel's boot id then: a process group id means nothing after
  /// The process group id; 0 while unknown (written before fork, rewritten after it; when the
  /// agent died in between, <stem>.group has it).
  pid_t group = 0;
  std::string owner;  ///< the InstallerRecords object that wrote it (random, per object)

  /// Whether `other` runs the same command for the same item: item id, action, version and
  /// command line.
  bool SameCommand(const InstallerRecord& other) const;
};

class InstallerRecords {
 public:
  /// What became of a recorded installer.
  enum class State {
    /// Not running yet as far as can be seen, but it may be about to: its group is unknown or
    /// its leader has not reached exec, and it started less than kStartGrace ago. Ask again.
    kStarting,
    kRunning,  ///< its wrapper shell (the group leader) is running
    kExited,   ///< it ended and its exit status is in <stem>.status
    kGone,     ///< it ended without an exit status (killed, or the device restarted)
  };

  /// How long after its start an installer that cannot be seen yet counts as starting.
  static constexpr std::chrono::milliseconds kStartGrace{5000};

  /// `folder` is made on the first Write. Reads the kernel's boot id.
  explicit InstallerRecords(std::filesystem::path folder);

  const std::filesystem::path& folder() const { return folder_; }

  /// The files RunDetachedShell writes for `item_id`, and its $GROUNDCREW_EXIT_CODE_FILE.
  DetachedFiles FilesOf(std::string_view item_id) const;
  std::filesystem::path ExitCodeFileOf(std::string_view item_id) const;

  /// A record of this object for an installer starting now (boot id, clock, owner set; no group).
  InstallerRecord Starting(std::string item_id, std::string action, std::string version,
                           std::string_view command) const;

  /// The record of `item_id`: nullopt when there is none; kInvalidArgument when it is not a
  /// record (it names its path), kUnavailable when it cannot be read.
  [[nodiscard]] Result<std::optional<InstallerRecord>> Find(std::string_view item_id) const;
  /// Writes `record` (replacing the item's), durably. kUnavailable when the disk refuses.
  [[nodiscard]] Status Write(const InstallerRecord& record) const;
  /// Removes the item's record (durably, first) and then its other files. Absent is fine.
  [[nodiscard]] Status Remove(std::string_view item_id) const;

  /// The record's process group: its own, else the one in <stem>.group; 0 when unknown.
  pid_t GroupOf(const InstallerRecord& record) const;
  /// What became of the installer `record` describes (reads /proc; does not wait).
  State StateOf(const InstallerRecord& record) const;
  /// Kills (SIGKILL) what is left of the installer's process group (KillDetachedGroup), if it
  /// started in this boot. Does not wait and does not remove the record.
  void Kill(const InstallerRecord& record) const;

  /// The items whose installer, recorded by another InstallerRecords object (an earlier run of
  /// the agent), is starting, running, or has ended with an exit status not yet consumed: every
  /// record in the folder whose state is not kGone, by item id, sorted. Unreadable records are
  /// left out. Reads only.
  std::vector<std::string> Pending() const;

 private:
  std::string Stem(std::string_view item_id) const;

  std::filesystem::path folder_;
  std::string boot_id_;
  std::string owner_;
};

}  // namespace groundcrew::executor

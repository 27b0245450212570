#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

// Running installer and detection commands: `/bin/sh -c <command>` in its own process group,
// output captured line by line, a time limit and a stop request that kill the whole group.
// Installers run detached (RunDetachedShell): their output and exit status go to files, so that
// an installer outlives an agent killed while it runs and the next agent can wait for it
// (WaitForDetachedShell) instead of starting it a second time.
namespace groundcrew::executor {

/// Output lines longer than this are passed on in pieces of this size.
inline constexpr std::size_t kMaxOutputLineBytes = 16 * 1024;

struct ShellCommand {
  std::string command;  ///< run as `/bin/sh -c <command>`
  std::filesystem::path working_directory;
  /// The command's whole environment, as "NAME=value" entries (nothing is inherited).
  std::vector<std::string> environment;
  /// Once the command has run this long, its process group is killed (SIGKILL). 0 = no limit.
  std::chrono::milliseconds time_limit{0};
  /// When stop is requested, the process group is killed (SIGKILL).
  std::stop_token stop;
};

struct ShellOutcome {
  enum class End {
    kExited,    ///< `exit_code` says how
    kSignaled,  ///< a signal (`signal`) ended the shell
    kTimedOut,  ///< ran past time_limit; killed
    kStopped,   ///< stop was requested; killed
    /// WaitForDetachedShell only: the wrapper ended without writing the exit status (the group
    /// was killed from outside, e.g. by a power cut or an administrator).
    kVanished,
  };
  End end = End::kExited;
  int exit_code = 0;
  int signal = 0;
  std::chrono::milliseconds elapsed{0};
};

/// Called with each line of output, without its newline.
using LineFn = std::function<void(std::string_view line)>;

/// Runs `command` and waits for it. stdin is /dev/null; stdout and stderr go to one pipe whose
/// lines are passed to `on_line` as they come (a last line without a newline too; very long lines
/// in kMaxOutputLineBytes pieces). The child keeps no descriptor but 0-2 and gets an empty signal
/// mask and default dispositions for SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGCHLD. When
/// the shell has exited but a background process it started keeps the output open, what is
/// already written is read for a short while and the rest is ignored (that process is left
/// running). kInternal (with the reason) when the process cannot be started, or when its exit
/// status is lost because the calling process ignores SIGCHLD (it must not); a working directory
/// that does not exist makes the shell exit with 127 after saying so on its output.
/// Safe to call from several threads at once.
[[nodiscard]] Result<ShellOutcome> RunShell(const ShellCommand& command, const LineFn& on_line);

/// The files through which a command started by RunDetachedShell outlives the process that
/// started it. They must be on one local file system the caller can write; nothing else may
/// write them.
struct DetachedFiles {
  /// The command's stdout and stderr: emptied (created 0600) at start, then appended to.
  std::filesystem::path output;
  /// The command's exit status as a decimal line, written by the wrapper shell once the command
  /// has ended (absent while it runs, and when the group was killed).
  std::filesystem::path status;
  /// The process group id (the pid of the wrapper shell, the group leader) as a decimal line,
  /// written by the child between fork and exec: it exists as soon as the group does, even when
  /// the caller dies right after fork.
  std::filesystem::path group;
};

/// Called in the caller right after fork with the new process group id, before the command's
/// output is read. May be empty.
using StartedFn = std::function<void(pid_t group)>;

/// Runs `command` like RunShell, except that it survives the death of the calling process: its
/// stdout and stderr go to `files.output` (read back as it grows, ~50 ms late, and passed to
/// `on_line` as RunShell does) instead of a pipe that would break with the caller, and it runs
/// under a wrapper, `/bin/sh -c '/bin/sh -c "$0"; s=$?; echo "$s" > "$1"; exit "$s"' <command>
/// <files.status>`, the group leader, which writes the command's exit status to `files.status`
/// when it ends. `files.group` gets the group id before exec. A command killed by signal N ends
/// with status 128 + N (as a shell reports it); kSignaled means the wrapper itself was killed. The
/// caller must remove stale `files.status` before calling. Time limit and stop as RunShell (the
/// group is killed; no status is written). Output still written by background processes after the
/// wrapper exited is not passed on. kInternal when the files cannot be created or the process
/// cannot start. Safe to call from several threads at once.
[[nodiscard]] Result<ShellOutcome> RunDetachedShell(const ShellCommand& command,
                                                    const DetachedFiles& files,
                                                    const StartedFn& on_started,
                                                    const LineFn& on_line);

/// Whether `group` is the running leader of a group RunDetachedShell started with `files` (in
/// this process or an earlier one): a process `group` that is not a zombie, leads its own
/// process group, and whose command line is the wrapper's for `files.status` (so that a reused
/// pid is not taken for it). False for 0 or a negative id.
bool DetachedShellRunning(pid_t group, const DetachedFiles& files);

/// Whether `group` is a live process (not a zombie) that leads its own process group, whatever
/// it runs (e.g. a detached command's leader between fork and exec).
bool LeadsProcessGroup(pid_t group);

/// The exit status in `files.status`, when the wrapper wrote a valid one.
std::optional<int> ReadDetachedStatus(const DetachedFiles& files);

/// Waits for a command that RunDetachedShell started (here or in an earlier process) whose group
/// is `group`, polling every 50 ms, and passes on its output from the start of `files.output`.
/// `time_limit` (0 = none) counts from this call: past it the group is killed (kTimedOut); a
/// stop request kills it too (kStopped). Ends kExited with the status from `files.status` once
/// the leader is gone, or kVanished when it left none. `elapsed` is the time waited.
[[nodiscard]] ShellOutcome WaitForDetachedShell(pid_t group, const DetachedFiles& files,
                                                std::chrono::milliseconds time_limit,
                                                std::stop_token stop, const LineFn& on_line);

/// SIGKILL to the process group `group` of a command RunDetachedShell started with `files`:
/// when its leader is still that command's wrapper (DetachedShellRunning), or when the leader
/// is gone (or a zombie) but members remain (Linux does not reuse a pid while it names a
/// group). Nothing is sent when the id now belongs to an unrelated process. Does not wait.
/// REQUIRES: the command was started since the system last booted (ids restart at boot).
void KillDetachedGroup(pid_t group, const DetachedFiles& files);

}  // namespace groundcrew::executor

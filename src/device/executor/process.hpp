#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

// Running installer and detection commands: `/bin/sh -c <command>` in its own process group,
// output captured line by line, a time limit and a stop request that kill the whole group.
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

}  // namespace groundcrew::executor

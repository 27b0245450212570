#pragma once

#include <chrono>
#include <filesystem>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "device/executor/process.hpp"

// The device's root folder, and how the root's own tools run against it: directly when the root
// is "/", else inside it with chroot(8) (which needs root privileges), so that dpkg, apt, sshd,
// visudo or nft see the root's files, packages and users, never those of the machine the agent
// runs on. Tests run the agent on a real Debian root unpacked in a folder (scripts/debian-root).
namespace groundcrew::executor {

struct ToolRun {
  std::vector<std::string> argv;  ///< argv[0] is looked up in the root's PATH
  /// Added to the tool's environment (PATH, LC_ALL=C and DEBIAN_FRONTEND=noninteractive are
  /// always there), as "NAME=value".
  std::vector<std::string> environment{};
  std::chrono::milliseconds time_limit{std::chrono::minutes(5)};  ///< 0 = none
  std::stop_token stop{};
  LineFn on_line{};  ///< each output line as it comes; may be empty
};

struct ToolOutcome {
  ShellOutcome outcome;
  std::string output;  ///< stdout and stderr together, at most the last 16 KiB

  /// Exited with status 0.
  bool ok() const { return outcome.end == ShellOutcome::End::kExited && outcome.exit_code == 0; }
  /// The output's last non-empty line, trimmed ("" when there is none): what a tool's error
  /// usually says.
  std::string LastLine() const;
  /// "exit status 1: <last line>", "killed by signal 9", "timed out after 5 min": for messages.
  std::string Describe() const;
};

class DeviceRoot {
 public:
  /// `root` is made absolute; `path_env` is PATH for the tools (inside the root).
  explicit DeviceRoot(std::filesystem::path root,
                      std::string path_env =
                          "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                          "/sbin:/bin");

  const std::filesystem::path& path() const { return root_; }
  /// Whether the root is the running system's own ("/"): tools then run without chroot.
  bool IsSystemRoot() const;
  /// ROOT/<relative>; `relative` may start with '/'.
  std::filesystem::path Under(std::string_view relative) const;
  /// ROOT/<relative> with every symbolic link on the way followed inside the root (an absolute
  /// target is the root's, "/.." stays at the root), as a process chrooted there would see it;
  /// at most 40 links. For the system root, Under(relative): the kernel resolves the links.
  std::filesystem::path Resolve(std::string_view relative) const;
  /// Whether `tool` is an executable file in the root's /usr/local/sbin, /usr/local/bin,
  /// /usr/sbin, /usr/bin, /sbin or /bin (following links inside the root).
  bool HasTool(std::string_view tool) const;

  /// Runs `run.argv` in the root (chroot ROOT argv... unless IsSystemRoot) with stdin /dev/null.
  /// kInvalidArgument for an empty argv; kInternal when the process cannot start. A tool that
  /// does not exist in the root ends with exit status 127 (chroot's, or the shell's).
  [[nodiscard]] Result<ToolOutcome> Run(const ToolRun& run) const;

 private:
  std::filesystem::path root_;
  std::string path_env_;
};

/// `word` quoted for /bin/sh: itself when it holds only safe characters, else in single quotes.
std::string ShellQuote(std::string_view word);

}  // namespace groundcrew::executor

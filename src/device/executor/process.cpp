#include "device/executor/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

namespace groundcrew::executor {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// In a forked child (only async-signal-safe calls): the installer's signals back to their
// defaults (ignored ones stay ignored across exec) and unblocked, stdin /dev/null, stdout and
// stderr to `out`, nothing else of the agent's open (sockets, the journal, other items' pipes,
// even descriptors opened without O_CLOEXEC), then /bin/sh in `cwd`. Never returns.
[[noreturn]] void ExecShell(int out, const char* cwd, char* const* argv, char* const* envp) {
  static constexpr char kCdFailed[] = "groundcrew: cannot enter the working directory\n";
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (const int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) {
    ::signal(sig, SIG_DFL);
  }
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(out, STDERR_FILENO);
  if (::close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < 4096; ++fd) ::close(fd);
  }
  if (::chdir(cwd) != 0) {
    [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, kCdFailed, sizeof kCdFailed - 1);
    ::_exit(127);
  }
  ::execve("/bin/sh", argv, envp);
  ::_exit(127);
}

// How often a running command is checked for exit, its time limit and a stop request.
constexpr milliseconds kPollInterval{50};
// How long output is still read after the shell exited while something else holds the pipe.
constexpr milliseconds kDrainAfterExit{200};

// Splits output into lines for `on_line`.
class LineSplitter {
 public:
  explicit LineSplitter(const LineFn& on_line) : on_line_(on_line) {}

  void Feed(std::string_view bytes) {
    pending_.append(bytes);
    size_t start = 0;
    while (true) {
      const size_t newline = pending_.find('\n', start);
      if (newline == std::string::npos) break;
      Emit(std::string_view(pending_).substr(start, newline - start));
      start = newline + 1;
    }
    pending_.erase(0, start);
    while (pending_.size() >= kMaxOutputLineBytes) {
      Emit(std::string_view(pending_).substr(0, kMaxOutputLineBytes));
      pending_.erase(0, kMaxOutputLineBytes);
    }
  }

  void Finish() {
    if (!pending_.empty()) Emit(pending_);
    pending_.clear();
  }

 private:
  void Emit(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (on_line_) on_line_(line);
  }

  const LineFn& on_line_;
  std::string pending_;
};

// Reads what `fd` has now; false at end of file (or on an error that ends the output).
bool ReadAvailable(int fd, LineSplitter& lines) {
  char buffer[8192];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      lines.Feed(std::string_view(buffer, static_cast<size_t>(n)));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

void KillGroup(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);  // in case the group was never formed
}

// The wrapper of detached commands: runs the command ($0) in a shell of its own and writes its
// exit status to $1 when it ends. One short write, so that the file never holds half a number
// once the wrapper is gone.
constexpr char kDetachedWrapper[] = "/bin/sh -c \"$0\"; s=$?; echo \"$s\" > \"$1\"; exit \"$s\"";

// Reads a regular file as it grows, passing its lines on.
class OutputTail {
 public:
  OutputTail(const std::filesystem::path& file, const LineFn& on_line)
      : lines_(on_line), fd_(::open(file.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~OutputTail() {
    if (fd_ >= 0) ::close(fd_);
  }
  OutputTail(const OutputTail&) = delete;
  OutputTail& operator=(const OutputTail&) = delete;

  /// Passes on what was appended since the last call (a last line without a newline waits).
  void Read() {
    if (fd_ >= 0) ReadAvailable(fd_, lines_);
  }
  /// Passes on the rest, a last line without a newline too.
  void Finish() {
    Read();
    lines_.Finish();
  }

 private:
  LineSplitter lines_;
  int fd_;
};

// Up to `limit` bytes of a (small, /proc) file; "" when it cannot be read.
std::string ReadSmallFile(const std::string& path, size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string text;
  char buffer[4096];
  while (text.size() < limit) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

struct ProcessState {
  char state = '?';  // R, S, D, Z...
  pid_t group = 0;
};

// The state and process group of `pid`, from /proc/<pid>/stat; nullopt when there is no such
// process.
std::optional<ProcessState> StateOf(pid_t pid) {
  const std::string stat = ReadSmallFile(fmt::format("/proc/{}/stat", pid), 4096);
  // "<pid> (<comm>) <state> <ppid> <pgrp> ...": comm may hold spaces and parentheses.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return std::nullopt;
  ProcessState state;
  int parent = 0;
  if (std::sscanf(stat.c_str() + paren + 1, " %c %d %d", &state.state, &parent, &state.group) !=
      3) {
    return std::nullopt;
  }
  return state;
}

// Sleeps `wait`, or less to reach `deadline` (when set).
void Pause(milliseconds wait, std::optional<Clock::time_point> deadline) {
  if (deadline) {
    const auto left = std::chrono::duration_cast<milliseconds>(*deadline - Clock::now());
    wait = std::clamp(left, milliseconds(1), wait);
  }
  std::this_thread::sleep_for(wait);
}

ShellOutcome FromStatus(int status) {
  ShellOutcome outcome;
  if (WIFEXITED(status)) {
    outcome.end = ShellOutcome::End::kExited;
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.end = ShellOutcome::End::kSignaled;
    outcome.signal = WTERMSIG(status);
  }
  return outcome;
}

}  // namespace

Result<ShellOutcome> RunShell(const ShellCommand& command, const LineFn& on_line) {
  // Everything the child needs is prepared before fork: between fork and exec it may only make
  // async-signal-safe calls (other threads may hold locks, e.g. the allocator's).
  const std::string cwd = command.working_directory.string();
  std::vector<char*> argv = {const_cast<char*>("sh"), const_cast<char*>("-c"),
                             const_cast<char*>(command.command.c_str()), nullptr};
  std::vector<char*> envp;
  envp.reserve(command.environment.size() + 1);
  for (const std::string& entry : command.environment)
    envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return MakeError(ErrorCode::kInternal,
                     fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  }
  const Clock::time_point start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return MakeError(ErrorCode::kInternal,
                     fmt::format("cannot start /bin/sh: {}", std::strerror(error)));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ExecShell(fds[1], cwd.c_str(), argv.data(), envp.data());
  }
  ::setpgid(pid, pid);  // also done by the child; whichever runs first forms the group
  ::close(fds[1]);
  const int out = fds[0];
  ::fcntl(out, F_SETFL, ::fcntl(out, F_GETFL) | O_NONBLOCK);

  LineSplitter lines(on_line);
  bool output_open = true;
  std::optional<int> status;
  std::optional<Clock::time_point> exited_at;
  std::optional<ShellOutcome::End> killed;
  bool lost = false;  // reaped by someone else (SIGCHLD ignored?): the exit status is unknown
  milliseconds wait{1};
  while (true) {
    if (!status) {
      int raw = 0;
      const pid_t r = ::waitpid(pid, &raw, WNOHANG);
      if (r == pid || (r < 0 && errno == ECHILD)) {
        lost = r < 0;
        status = raw;
        exited_at = Clock::now();
      }
    }
    const Clock::time_point now = Clock::now();
    if (status) {
      if (!output_open || now - *exited_at >= kDrainAfterExit) break;
    } else if (command.time_limit.count() > 0 && now - start >= command.time_limit) {
      killed = ShellOutcome::End::kTimedOut;
    } else if (command.stop.stop_requested()) {
      killed = ShellOutcome::End::kStopped;
    }
    if (killed) {
      KillGroup(pid);
      int raw = 0;
      while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
      }
      if (output_open) ReadAvailable(out, lines);
      break;
    }
    if (!output_open) {
      // The output is closed but the shell has not been reaped yet: wait a little, longer
      // each time (most shells are reaped on the first retry).
      std::this_thread::sleep_for(wait);
      wait = std::min(wait * 2, kPollInterval);
      continue;
    }
    milliseconds timeout = kPollInterval;
    if (command.time_limit.count() > 0 && !status) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(command.time_limit - (now - start));
      timeout = std::clamp(left, milliseconds(1), kPollInterval);
    }
    pollfd p{out, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready > 0) output_open = ReadAvailable(out, lines);
  }
  lines.Finish();
  ::close(out);
  if (lost) {
    return MakeError(ErrorCode::kInternal,
                     "the command's exit status was lost (the agent must not ignore SIGCHLD)");
  }

  ShellOutcome outcome;
  if (killed) {
    outcome.end = *killed;
  } else {
    outcome = FromStatus(*status);
  }
  outcome.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  return outcome;
}

Result<ShellOutcome> RunDetachedShell(const ShellCommand& command, const DetachedFiles& files,
                                      const StartedFn& on_started, const LineFn& on_line) {
  // As in RunShell, everything the child needs is prepared before fork.
  const std::string cwd = command.working_directory.string();
  const std::string status_path = files.status.string();
  std::vector<char*> argv = {const_cast<char*>("sh"),
                             const_cast<char*>("-c"),
                             const_cast<char*>(kDetachedWrapper),
                             const_cast<char*>(command.command.c_str()),
                             const_cast<char*>(status_path.c_str()),
                             nullptr};
  std::vector<char*> envp;
  envp.reserve(command.environment.size() + 1);
  for (const std::string& entry : command.environment)
    envp.push_back(const_cast<char*>(entry.c_str()));
  envp.push_back(nullptr);

  const auto open_for_child = [](const std::filesystem::path& path, int flags) -> Result<int> {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | flags, 0600);
    if (fd < 0) {
      return MakeError(ErrorCode::kInternal,
                       fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
    }
    ::fchmod(fd, 0600);  // whatever the umask
    return fd;
  };
  Result<int> opened_out = open_for_child(files.output, O_APPEND);
  if (!opened_out) return opened_out.error();
  const int out = *opened_out;
  Result<int> opened_group = open_for_child(files.group, 0);
  if (!opened_group) {
    ::close(out);
    return opened_group.error();
  }
  const int group_fd = *opened_group;
  OutputTail tail(files.output, on_line);

  const Clock::time_point start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(out);
    ::close(group_fd);
    return MakeError(ErrorCode::kInternal,
                     fmt::format("cannot start /bin/sh: {}", std::strerror(error)));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    // The group id, before anything else: from here on the group can be found even when the
    // caller is killed at once. Digits by hand (only async-signal-safe calls here).
    char digits[24];
    size_t n = sizeof digits;
    digits[--n] = '\n';
    for (pid_t self = ::getpid(); n > 0;) {
      digits[--n] = static_cast<char>('0' + self % 10);
      self /= 10;
      if (self == 0) break;
    }
    [[maybe_unused]] ssize_t written = ::write(group_fd, digits + n, sizeof digits - n);
    ExecShell(out, cwd.c_str(), argv.data(), envp.data());
  }
  ::setpgid(pid, pid);
  ::close(out);
  ::close(group_fd);
  if (on_started) on_started(pid);

  std::optional<Clock::time_point> deadline;
  if (command.time_limit.count() > 0) deadline = start + command.time_limit;
  std::optional<int> status;
  std::optional<ShellOutcome::End> killed;
  bool lost = false;
  milliseconds wait{1};
  while (true) {
    int raw = 0;
    const pid_t r = ::waitpid(pid, &raw, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) {
      lost = r < 0;
      status = raw;
      break;
    }
    tail.Read();
    if (deadline && Clock::now() >= *deadline) {
      killed = ShellOutcome::End::kTimedOut;
    } else if (command.stop.stop_requested()) {
      killed = ShellOutcome::End::kStopped;
    }
    if (killed) {
      KillGroup(pid);
      while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    Pause(wait, deadline);
    wait = std::min(wait * 2, kPollInterval);
  }
  tail.Finish();

  ShellOutcome outcome;
  if (killed) {
    outcome.end = *killed;
  } else if (lost) {
    // Reaped by someone else: the wrapper's file still says how the command ended.
    const std::optional<int> code = ReadDetachedStatus(files);
    if (!code) {
      return MakeError(ErrorCode::kInternal,
                       "the command's exit status was lost (the agent must not ignore SIGCHLD)");
    }
    outcome.exit_code = *code;
  } else {
    outcome = FromStatus(*status);
  }
  outcome.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  return outcome;
}

bool DetachedShellRunning(pid_t group, const DetachedFiles& files) {
  if (group <= 0) return false;
  if (!LeadsProcessGroup(group)) return false;
  // argv: sh -c <wrapper> <command> <status file>
  const std::string cmdline = ReadSmallFile(fmt::format("/proc/{}/cmdline", group), 1 << 20);
  std::vector<std::string_view> args;
  for (size_t at = 0; at < cmdline.size();) {
    const size_t end = std::min(cmdline.find('\0', at), cmdline.size());
    args.emplace_back(cmdline.data() + at, end - at);
    at = end + 1;
  }
  return args.size() == 5 && args[2] == kDetachedWrapper && args[4] == files.status.string();
}

bool LeadsProcessGroup(pid_t group) {
  if (group <= 0) return false;
  const std::optional<ProcessState> state = StateOf(group);
  return state && state->state != 'Z' && state->state != 'X' && state->group == group;
}

std::optional<int> ReadDetachedStatus(const DetachedFiles& files) {
  const std::string text = ReadSmallFile(files.status.string(), 64);
  // "<decimal>\n", written at once by the wrapper: anything else is not (yet) a status.
  if (text.size() < 2 || text.back() != '\n') return std::nullopt;
  int code = 0;
  const char* end = text.data() + text.size() - 1;
  const auto [stop, ec] = std::from_chars(text.data(), end, code);
  if (ec != std::errc() || stop != end) return std::nullopt;
  return code;
}

ShellOutcome WaitForDetachedShell(pid_t group, const DetachedFiles& files, milliseconds time_limit,
                                  std::stop_token stop, const LineFn& on_line) {
  const Clock::time_point start = Clock::now();
  std::optional<Clock::time_point> deadline;
  if (time_limit.count() > 0) deadline = start + time_limit;
  OutputTail tail(files.output, on_line);
  ShellOutcome outcome;
  milliseconds wait{1};
  while (true) {
    tail.Read();
    if (!DetachedShellRunning(group, files)) break;
    std::optional<ShellOutcome::End> killed;
    if (deadline && Clock::now() >= *deadline) {
      killed = ShellOutcome::End::kTimedOut;
    } else if (stop.stop_requested()) {
      killed = ShellOutcome::End::kStopped;
    }
    if (killed) {
      KillDetachedGroup(group, files);
      tail.Finish();
      outcome.end = *killed;
      outcome.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
      return outcome;
    }
    Pause(wait, deadline);
    wait = std::min(wait * 2, kPollInterval);
  }
  tail.Finish();
  if (const std::optional<int> code = ReadDetachedStatus(files)) {
    outcome.end = ShellOutcome::End::kExited;
    outcome.exit_code = *code;
  } else {
    outcome.end = ShellOutcome::End::kVanished;
  }
  outcome.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  return outcome;
}

void KillDetachedGroup(pid_t group, const DetachedFiles& files) {
  if (group <= 0) return;
  if (DetachedShellRunning(group, files)) {
    ::kill(-group, SIGKILL);
    return;
  }
  // The leader is gone (or a zombie): the number cannot have been reused while members remain,
  // so whatever is left in the group is the command's.
  const std::optional<ProcessState> leader = StateOf(group);
  if (!leader || leader->state == 'Z' || leader->state == 'X') ::kill(-group, SIGKILL);
}

}  // namespace groundcrew::executor

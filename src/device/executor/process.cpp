#include "device/executor/process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

namespace groundcrew::executor {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

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
  static constexpr char kCdFailed[] = "groundcrew: cannot enter the working directory\n";

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
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Ignored signals stay ignored across exec; the installer gets the defaults.
    for (const int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) {
      ::signal(sig, SIG_DFL);
    }
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    // Nothing else of the agent's (sockets, the journal, other items' pipes) reaches the
    // installer, even descriptors opened without O_CLOEXEC.
    if (::close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    }
    if (::chdir(cwd.c_str()) != 0) {
      [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, kCdFailed, sizeof kCdFailed - 1);
      ::_exit(127);
    }
    ::execve("/bin/sh", argv.data(), envp.data());
    ::_exit(127);
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

}  // namespace groundcrew::executor

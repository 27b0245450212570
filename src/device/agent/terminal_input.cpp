#include "device/agent/terminal_input.hpp"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <iterator>

namespace groundcrew::agent {
namespace {

// The terminal a TerminalMode changed, for the signal handler (one mode at a time).
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
int g_fd = -1;
termios g_saved{};
volatile std::sig_atomic_t g_active = 0;
struct sigaction g_previous[std::size(kSignals)];

// Restores the terminal, puts the signal's previous action back and raises the signal again: it
// is blocked while this handler runs, so it is handled as before once the handler returns.
// Only async-signal-safe calls.
extern "C" void RestoreAndRaise(int signal) {
  if (g_active != 0) {
    ::tcsetattr(g_fd, TCSANOW, &g_saved);
    g_active = 0;
  }
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    if (kSignals[i] == signal) ::sigaction(signal, &g_previous[i], nullptr);
  }
  ::raise(signal);
}

}  // namespace

Result<std::unique_ptr<TerminalMode>> TerminalMode::Enter(int fd, Kind kind) {
  termios saved{};
  if (::tcgetattr(fd, &saved) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition, "standard input is not a terminal", "stdin");
  }
  g_fd = fd;
  g_saved = saved;
  // The handlers go in before the mode changes, so that no signal finds the terminal changed
  // without a way back.
  struct sigaction restore {};
  restore.sa_handler = RestoreAndRaise;
  sigemptyset(&restore.sa_mask);
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    ::sigaction(kSignals[i], &restore, &g_previous[i]);
  }
  g_active = 1;
  termios changed = saved;
  changed.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  if (kind == Kind::kKeys) {
    changed.c_lflag &= ~static_cast<tcflag_t>(ICANON);
    changed.c_cc[VMIN] = 1;
    changed.c_cc[VTIME] = 0;
  }
  std::unique_ptr<TerminalMode> mode(new TerminalMode());  // restores on every path from here
  if (::tcsetattr(fd, TCSANOW, &changed) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition, "the terminal's mode cannot be changed",
                     "stdin");
  }
  return mode;
}

TerminalMode::~TerminalMode() {
  if (g_active != 0) {
    ::tcsetattr(g_fd, TCSANOW, &g_saved);  // first: a signal arriving now restores it again
    g_active = 0;
  }
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    ::sigaction(kSignals[i], &g_previous[i], nullptr);
  }
}

std::optional<char> ReadKey(int fd) {
  char c = 0;
  for (;;) {
    const ssize_t n = ::read(fd, &c, 1);
    if (n == 1) return c;
    if (n < 0 && errno == EINTR) continue;
    return std::nullopt;
  }
}

std::optional<std::string> ReadLine(int fd) {
  std::string line;
  for (;;) {
    const std::optional<char> c = ReadKey(fd);
    if (!c) {
      if (line.empty()) return std::nullopt;
      return line;
    }
    if (*c == '\n') return line;
    line += *c;
  }
}

}  // namespace groundcrew::agent

#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/files.hpp"

// A full-screen program on a real terminal, driven as a person would: tmux (a terminal
// emulator, Debian's `tmux`) runs it in a window of its own size, the test presses keys and
// reads the screen as the person sees it (text, without escape codes). Each session has a tmux
// server of its own (a socket in a temporary folder), stopped with the session.
namespace groundcrew::test_support {

class TerminalSession {
 public:
  /// Starts `argv` (argv[0] a path) in a `columns` x `rows` terminal with TERM=screen and a
  /// UTF-8 locale, plus `environment` ("NAME=value"). started() is false when tmux could not.
  explicit TerminalSession(const std::vector<std::string>& argv, int columns = 100, int rows = 40,
                           const std::vector<std::string>& environment = {});
  ~TerminalSession();
  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;

  bool started() const { return started_; }
  /// Types `text` as it is (each character a key press).
  void Type(std::string_view text);
  /// Presses a named key, tmux's names: "Enter", "Tab", "BSpace", "C-d", "C-c".
  void Press(std::string_view key);
  /// The screen now, a line per row (trailing spaces removed).
  std::string Screen();
  /// The screen with the lines scrolled off its top before it (what the program printed after
  /// leaving full-screen mode may have scrolled).
  std::string Scrollback();
  /// Waits until the screen shows `text` (false after `timeout`).
  bool WaitFor(std::string_view text, std::chrono::seconds timeout = std::chrono::seconds(60));
  /// The program's exit code once it has ended (128 + N when killed by signal N).
  std::optional<int> ExitCode();
  /// Waits for the program to end (up to `timeout`); its exit code, or -1.
  int Wait(std::chrono::seconds timeout = std::chrono::seconds(120));
  /// Changes the terminal's size, as a person resizing the window.
  void Resize(int columns, int rows);

 private:
  std::vector<std::string> Tmux(std::vector<std::string> args) const;
  std::string Run(const std::vector<std::string>& args) const;

  TempDir dir_;
  std::string socket_;
  bool started_ = false;
};

}  // namespace groundcrew::test_support

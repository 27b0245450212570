#include "tests/support/terminal_session.hpp"

#include <fstream>
#include <sstream>

#include "tests/support/process.hpp"

namespace groundcrew::test_support {

TerminalSession::TerminalSession(const std::vector<std::string>& argv, int columns, int rows,
                                 const std::vector<std::string>& environment)
    : socket_((dir_.path() / "tmux.socket").string()) {
  const std::filesystem::path config = dir_.path() / "tmux.conf";
  // The pane stays after the program ends (for its exit code and last screen); no status line.
  std::ofstream(config) << "set -g remain-on-exit on\n"
                           "set -g status off\n"
                           "set -g default-terminal screen\n";
  // The program's exit status goes to a file as it ends (a shell waits for it): tmux learns it
  // only once the terminal is closed, which whatever the program started may delay.
  std::vector<std::string> args = {"-f",           config.string(),
                                   "new-session",  "-d",
                                   "-x",           std::to_string(columns),
                                   "-y",           std::to_string(rows),
                                   "-s",           "gc",
                                   "/usr/bin/env", "TERM=screen",
                                   "LANG=C.UTF-8", "LC_ALL=C.UTF-8"};
  for (const std::string& variable : environment) args.push_back(variable);
  args.insert(args.end(),
              {"/bin/sh", "-c", "\"$@\"; echo $? > " + (dir_.path() / "exit").string(), "sh"});
  for (const std::string& arg : argv) args.push_back(arg);
  started_ = RunCommand(Tmux(std::move(args))).exit_code == 0;
}

TerminalSession::~TerminalSession() { (void)RunCommand(Tmux({"kill-server"})); }

std::vector<std::string> TerminalSession::Tmux(std::vector<std::string> args) const {
  std::vector<std::string> command = {"/usr/bin/tmux", "-S", socket_};
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

std::string TerminalSession::Run(const std::vector<std::string>& args) const {
  return RunCommand(Tmux(args)).out;
}

void TerminalSession::Type(std::string_view text) {
  (void)Run({"send-keys", "-t", "gc", "-l", std::string(text)});
}

void TerminalSession::Press(std::string_view key) {
  (void)Run({"send-keys", "-t", "gc", std::string(key)});
}

namespace {
// capture-pane's text without the spaces that end its lines.
std::string Trimmed(const std::string& captured) {
  std::istringstream lines(captured);
  std::string screen, line;
  while (std::getline(lines, line)) {
    line.erase(line.find_last_not_of(' ') + 1);
    screen += line + "\n";
  }
  return screen;
}
}  // namespace

std::string TerminalSession::Screen() { return Trimmed(Run({"capture-pane", "-p", "-t", "gc"})); }

std::string TerminalSession::Scrollback() {
  return Trimmed(Run({"capture-pane", "-p", "-S", "-", "-t", "gc"}));
}

bool TerminalSession::WaitFor(std::string_view text, std::chrono::seconds timeout) {
  return WaitUntil([&] { return Screen().find(text) != std::string::npos; }, timeout);
}

std::optional<int> TerminalSession::ExitCode() {
  std::ifstream in(dir_.path() / "exit");
  int code = -1;
  if (!(in >> code)) return std::nullopt;
  return code;
}

int TerminalSession::Wait(std::chrono::seconds timeout) {
  std::optional<int> code;
  WaitUntil([&] { return (code = ExitCode()).has_value(); }, timeout);
  return code.value_or(-1);
}

void TerminalSession::Resize(int columns, int rows) {
  (void)Run(
      {"resize-window", "-t", "gc", "-x", std::to_string(columns), "-y", std::to_string(rows)});
}

}  // namespace groundcrew::test_support

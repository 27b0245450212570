#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/support/files.hpp"

// Processes for tests: run a binary and capture what it wrote, or keep it running in the
// background to kill it in the middle of its work.
namespace groundcrew::test_support {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `argv` (argv[0] a path) with `environment` added to this process's, waits for it and
/// captures its output. `stdin_text` is fed to its standard input.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& environment = {},
                         const std::string& stdin_text = "");

/// Starts `argv` with `environment` added to this process's and its standard input, output and
/// error redirected to files (created 0600); the pid, or -1 when it could not be started.
pid_t Spawn(const std::vector<std::string>& argv,
            const std::map<std::string, std::string>& environment, const std::filesystem::path& in,
            const std::filesystem::path& out, const std::filesystem::path& err);

/// Waits for `pid` to end; its exit code (128 + N when killed by signal N).
int WaitFor(pid_t pid);

/// A command running in the background with its output going to files (any command; e.g. the
/// agent, to kill it in the middle of its work). Killed (SIGKILL) on destruction if still running.
class Process {
 public:
  /// Starts `argv` (argv[0] a path) with `environment` added to this process's; stdin is
  /// /dev/null. pid() is -1 when it could not be started.
  explicit Process(const std::vector<std::string>& argv,
                   const std::map<std::string, std::string>& environment = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  /// Whether it is still running (reaps it when it has ended).
  bool Running();
  /// Waits for it to end; its exit code (128 + N when killed by signal N).
  int Wait();
  /// SIGKILL, then waits: a crash or a power cut.
  void Kill();
  /// What it wrote so far.
  std::string out() const;
  std::string err() const;

 private:
  TempDir io_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

/// Polls `done` every 20 ms until it holds (true) or `timeout` passes (false).
bool WaitUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace groundcrew::test_support

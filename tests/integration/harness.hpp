#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

// Runs the real binaries against each other: groundcrewd on a free loopback port with a
// temporary data directory, the groundcrew CLI, and plain HTTP calls.
namespace groundcrew::integration {

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

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
};

/// One HTTP/1.1 request to 127.0.0.1:`port` (Connection: close). status 0 when the connection
/// failed.
HttpResult Http(std::uint16_t port, const std::string& method, const std::string& target,
                const std::string& body = "",
                const std::map<std::string, std::string>& headers = {});

/// A fresh temporary directory, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// groundcrewd over a data directory.
class Daemon {
 public:
  /// `extra_args` are added to groundcrewd's command line (e.g. "--test-clock", FILE).
  explicit Daemon(std::filesystem::path data_dir, std::vector<std::string> extra_args = {})
      : data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)) {}
  ~Daemon();

  /// Starts it on a free port and waits until it accepts connections (false after 20 s).
  bool Start();
  /// Starts it again (after Stop or Kill) on the port it had, so that clients configured with
  /// its URL reach it again.
  bool Restart();
  /// SIGTERM, then waits; returns its exit code.
  int Stop();
  /// SIGKILL, then waits: a crash.
  void Kill();

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// What it wrote to stderr so far (its JSON-lines log).
  std::string log() const;

 private:
  bool StartOn(std::uint16_t port);  // 0: a free port

  std::filesystem::path data_dir_;
  std::vector<std::string> extra_args_;
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

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

/// Paths of the binaries under test and of the source tree (set by CMake).
std::string GroundcrewdPath();
std::string GroundcrewPath();
std::string AgentPath();
std::string FleetPath();
std::filesystem::path SourceDir();

}  // namespace groundcrew::integration

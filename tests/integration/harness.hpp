#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/support/postgres_cluster.hpp"
#include "tests/support/process.hpp"
#include "tests/support/terminal_session.hpp"

// Runs the real binaries against each other: groundcrewd on a free loopback port with a
// temporary data directory, the groundcrew CLI, and plain HTTP calls.
namespace groundcrew::integration {

using test_support::CommandResult;
using test_support::Process;
using test_support::RunCommand;
using test_support::TempDir;
using test_support::TerminalSession;
using test_support::WaitUntil;

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

/// Whether this run serves from PostgreSQL (GROUNDCREW_TEST_DATABASE=postgresql: the CTest
/// entries integration_postgresql_*) rather than the data directory's SQLite database.
bool UsesPostgres();

/// groundcrewd over a data directory (on PostgreSQL when UsesPostgres(): see Daemon::Start).
class Daemon {
 public:
  /// `extra_args` are added to groundcrewd's command line (e.g. "--test-clock", FILE).
  explicit Daemon(std::filesystem::path data_dir, std::vector<std::string> extra_args = {})
      : data_dir_(std::move(data_dir)), extra_args_(std::move(extra_args)) {}
  ~Daemon();

  /// Starts it on a free port and waits until it accepts connections (false after 20 s). With
  /// UsesPostgres(), the first start moves the data directory's installation into a fresh schema
  /// of a throwaway PostgreSQL cluster with `groundcrew migrate`.
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
  bool MoveToPostgres();

  std::filesystem::path data_dir_;
  std::vector<std::string> extra_args_;
  std::vector<std::string> postgres_args_;  // --database and its key, once moved
  std::map<std::string, std::string> postgres_environment_;
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

/// Paths of the binaries under test and of the source tree (set by CMake).
std::string GroundcrewdPath();
std::string GroundcrewPath();
std::string AgentPath();
std::string FleetPath();
std::filesystem::path SourceDir();

/// `text` with what differs between runs replaced: ids (UUIDs) by <id>, times (API and table
/// spellings, with or without seconds) by <time>.
std::string NormalizeForGolden(std::string text);

/// Compares NormalizeForGolden(`actual`) with tests/integration/golden/<name>;
/// GROUNDCREW_UPDATE_GOLDEN=1 rewrites the file instead.
void ExpectGolden(const std::string& name, const std::string& actual);

}  // namespace groundcrew::integration

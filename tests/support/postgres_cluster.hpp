#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "tests/support/files.hpp"

// A throwaway PostgreSQL 15 cluster for tests: initdb in a temporary folder, a server on a free
// loopback port, one database `groundcrew_test`. PostgreSQL refuses to run as root, so when the
// test runs as root the cluster runs as the `postgres` user (from Debian's postgresql package);
// otherwise as the calling user. With GROUNDCREW_TEST_POSTGRES set (a libpq connection string
// to an existing server's database) that server is used instead and nothing is started.
namespace groundcrew::test_support {

/// A loopback TCP port nothing listens on now (the kernel's choice for port 0); 0 when none.
/// Another process may take it before the caller binds it: callers retry.
int FreeLoopbackPort();

class PostgresCluster {
 public:
  /// Starts a cluster (about 2 s; fsync off: a test database need not survive a power cut).
  /// Null, with the reason in `error`, when it cannot be started: the caller fails the test.
  static std::unique_ptr<PostgresCluster> Start(std::string& error);
  ~PostgresCluster();  // stops the server (immediate) and removes the folder
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  /// A connection string to the test database ("host=127.0.0.1 port=P user=postgres
  /// dbname=groundcrew_test").
  const std::string& conninfo() const { return conninfo_; }
  int port() const { return port_; }

  /// Stops the server (fast: sessions are cut) and starts it again on the same port: what a
  /// restart does to clients. False with `error` when it does not come back. Not available for
  /// an external server (GROUNDCREW_TEST_POSTGRES).
  bool Restart(std::string& error);
  /// Stops it (fast) / starts it again; each false with `error` on failure.
  bool Stop(std::string& error);
  bool StartAgain(std::string& error);

  /// A cluster shared by the whole test program, started on first use and stopped at exit.
  /// Null (with `error`) when it cannot be started.
  static PostgresCluster* Shared(std::string& error);

 private:
  PostgresCluster() = default;
  bool PgCtl(const std::string& action, std::string& error);

  std::unique_ptr<TempDir> dir_;  // null for an external server
  std::string conninfo_;
  int port_ = 0;
};

}  // namespace groundcrew::test_support

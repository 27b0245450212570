#include "tests/support/postgres_cluster.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include "tests/support/process.hpp"

namespace groundcrew::test_support {
namespace {

const std::string kBin = "/usr/lib/postgresql/15/bin/";

// `argv` as the cluster's owner: the postgres user when we are root.
std::vector<std::string> AsOwner(std::vector<std::string> argv) {
  if (::geteuid() != 0) return argv;
  argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  return argv;
}

bool Run(const std::vector<std::string>& argv, std::string& error) {
  CommandResult result = RunCommand(AsOwner(argv));
  if (result.exit_code == 0) return true;
  error = argv[0] + " failed (exit " + std::to_string(result.exit_code) + "): " + result.err +
          result.out;
  return false;
}

}  // namespace

int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

std::unique_ptr<PostgresCluster> PostgresCluster::Start(std::string& error) {
  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster());
  if (const char* external = std::getenv("GROUNDCREW_TEST_POSTGRES"); external && *external) {
    cluster->conninfo_ = external;
    return cluster;
  }
  if (::access((kBin + "initdb").c_str(), X_OK) != 0) {
    error = kBin + "initdb is missing: install Debian's postgresql package (scripts/bootstrap)";
    return nullptr;
  }
  cluster->dir_ = std::make_unique<TempDir>();
  const std::filesystem::path& root = cluster->dir_->path();
  // The server's user must reach the folder: traverse the temporary folder, own data/.
  std::filesystem::permissions(root, std::filesystem::perms::owner_all |
                                         std::filesystem::perms::group_exec |
                                         std::filesystem::perms::others_exec);
  if (::geteuid() == 0) {
    std::filesystem::create_directory(root / "run");
    if (RunCommand({"/usr/bin/chown", "postgres:postgres", (root / "run").string()}).exit_code !=
        0) {
      error = "cannot give the cluster's folder to the postgres user";
      return nullptr;
    }
  } else {
    std::filesystem::create_directory(root / "run");
  }
  const std::string run = (root / "run").string();
  if (!Run({kBin + "initdb", "-D", run + "/data", "-U", "postgres", "-A", "trust", "--no-sync",
            "-E", "UTF8", "--locale=C.UTF-8"},
           error)) {
    return nullptr;
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    cluster->port_ = FreeLoopbackPort();
    if (cluster->PgCtl("start", error)) break;
    cluster->port_ = 0;
  }
  if (cluster->port_ == 0) return nullptr;
  const std::string port = std::to_string(cluster->port_);
  if (!Run({kBin + "createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "groundcrew_test"},
           error)) {
    return nullptr;
  }
  cluster->conninfo_ = "host=127.0.0.1 port=" + port + " user=postgres dbname=groundcrew_test";
  return cluster;
}

bool PostgresCluster::PgCtl(const std::string& action, std::string& error) {
  if (!dir_) {
    error = "the test server is external (GROUNDCREW_TEST_POSTGRES): it cannot be restarted here";
    return false;
  }
  const std::string run = (dir_->path() / "run").string();
  std::vector<std::string> argv = {kBin + "pg_ctl", "-D", run + "/data", "-l",
                                   run + "/log",    "-w", "-t",          "30"};
  if (action == "stop") {
    argv.insert(argv.end(), {"-m", "fast", "stop"});
  } else {
    argv.insert(argv.end(),
                {"-o",
                 "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) + " -k " + run +
                     " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                     " -c max_connections=300 -c shared_buffers=64MB",
                 "start"});
  }
  return Run(argv, error);
}

bool PostgresCluster::Stop(std::string& error) { return PgCtl("stop", error); }
bool PostgresCluster::StartAgain(std::string& error) { return PgCtl("start", error); }
bool PostgresCluster::Restart(std::string& error) { return Stop(error) && StartAgain(error); }

PostgresCluster::~PostgresCluster() {
  if (!dir_ || port_ == 0) return;
  const std::string run = (dir_->path() / "run").string();
  RunCommand(AsOwner({kBin + "pg_ctl", "-D", run + "/data", "-m", "immediate", "-w", "stop"}));
}

PostgresCluster* PostgresCluster::Shared(std::string& error) {
  static std::mutex mutex;
  static std::unique_ptr<PostgresCluster> shared;
  static std::string failure;
  std::lock_guard lock(mutex);
  if (!shared && failure.empty()) {
    shared = Start(failure);
    if (!shared && failure.empty()) failure = "the test cluster did not start";
  }
  error = failure;
  return shared.get();
}

}  // namespace groundcrew::test_support

#include "tests/integration/harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

namespace groundcrew::integration {
namespace fs = std::filesystem;

using test_support::ReadText;
using test_support::Spawn;
using test_support::WaitFor;

HttpResult Http(std::uint16_t port, const std::string& method, const std::string& target,
                const std::string& body, const std::map<std::string, std::string>& headers) {
  HttpResult result;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return result;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return result;
  }
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  request += body;
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) and close before reading everything
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  const size_t header_end = response.find("\r\n\r\n");
  if (header_end == std::string::npos || response.size() < 12) return result;
  result.status = std::stoi(response.substr(9, 3));
  std::istringstream lines(response.substr(0, header_end));
  std::string line;
  std::getline(lines, line);  // status line
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t start = colon + 1;
    while (start < line.size() && line[start] == ' ') ++start;
    result.headers[name] = line.substr(start);
  }
  result.body = response.substr(header_end + 4);
  return result;
}

Daemon::~Daemon() {
  if (pid_ > 0) Kill();
}

bool Daemon::Start() { return StartOn(0); }

bool Daemon::Restart() { return StartOn(port_); }

bool UsesPostgres() {
  const char* backend = std::getenv("GROUNDCREW_TEST_DATABASE");
  return backend != nullptr && std::string_view(backend) == "postgresql";
}

// On PostgreSQL (GROUNDCREW_TEST_DATABASE=postgresql): the first start copies the data
// directory `groundcrew init` made into a fresh schema of the shared throwaway cluster with
// `groundcrew migrate`, as an operator moving to PostgreSQL does; every start then serves from
// that schema, the data directory keeping only content and diagnostics.
bool Daemon::MoveToPostgres() {
  if (!postgres_args_.empty()) return true;
  // One schema per data directory: a test that starts a new Daemon on the same directory (a
  // restart) finds the installation where the first one moved it.
  struct Moved {
    std::vector<std::string> args;
    std::map<std::string, std::string> environment;
  };
  static std::mutex mutex;
  static std::map<std::string, Moved> moved;
  std::lock_guard lock(mutex);
  if (auto it = moved.find(data_dir_.string()); it != moved.end()) {
    postgres_args_ = it->second.args;
    postgres_environment_ = it->second.environment;
    return true;
  }
  std::string error;
  test_support::PostgresCluster* cluster = test_support::PostgresCluster::Shared(error);
  if (cluster == nullptr) {
    ADD_FAILURE() << "the test PostgreSQL cluster did not start: " << error;
    return false;
  }
  static int counter = 0;
  const std::string schema = "it" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  const std::string uri =
      "postgresql://postgres@127.0.0.1:" + std::to_string(cluster->port()) + "/groundcrew_test";
  const std::string key = (data_dir_.parent_path() / (schema + ".key")).string();
  CommandResult migrated = RunCommand({GroundcrewPath(), "migrate", "--from", data_dir_.string(),
                                       "--to", uri, "--schema", schema, "--secrets-key-file", key});
  if (migrated.exit_code != 0) {
    ADD_FAILURE() << "groundcrew migrate failed: " << migrated.out << migrated.err;
    return false;
  }
  postgres_args_ = {"--database", uri, "--secrets-key-file", key};
  postgres_environment_ = {{"GROUNDCREW_DATABASE_SCHEMA", schema}};
  moved[data_dir_.string()] = {postgres_args_, postgres_environment_};
  return true;
}

bool Daemon::StartOn(std::uint16_t port) {
  if (UsesPostgres() && !MoveToPostgres()) return false;
  const fs::path port_file = data_dir_ / "port";
  fs::remove(port_file);
  static std::atomic<int> counter{0};
  const fs::path log =
      data_dir_.parent_path() / ("groundcrewd-" + std::to_string(++counter) + ".log");
  std::vector<std::string> argv = {GroundcrewdPath(),
                                   "--data-dir",
                                   data_dir_.string(),
                                   "--listen",
                                   "127.0.0.1:" + std::to_string(port),
                                   "--port-file",
                                   port_file.string(),
                                   "--threads",
                                   "2"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  argv.insert(argv.end(), postgres_args_.begin(), postgres_args_.end());
  pid_ = Spawn(argv, postgres_environment_, "/dev/null", "/dev/null", log);
  log_path_ = log;
  if (pid_ < 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(port_file)) {
      port_ = static_cast<std::uint16_t>(std::stoi(ReadText(port_file)));
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {  // exited early
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int Daemon::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const int code = WaitFor(pid_);
  pid_ = -1;
  return code;
}

void Daemon::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  WaitFor(pid_);
  pid_ = -1;
}

std::string Daemon::log() const { return ReadText(log_path_); }

std::string GroundcrewdPath() { return GC_GROUNDCREWD_PATH; }
std::string GroundcrewPath() { return GC_GROUNDCREW_PATH; }
std::string AgentPath() { return GC_AGENT_PATH; }
std::string FleetPath() { return GC_FLEET_PATH; }
fs::path SourceDir() { return GC_SOURCE_DIR; }

std::string NormalizeForGolden(std::string text) {
  text = std::regex_replace(
      text, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>");
  // Times as the API writes them ("...T...Z") and as tables show them ("... ...Z", "... ...").
  return std::regex_replace(text, std::regex("\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d(:\\d\\d)?Z?"),
                            "<time>");
}

void ExpectGolden(const std::string& name, const std::string& actual) {
  const fs::path path = SourceDir() / "tests/integration/golden" / name;
  const std::string normalized = NormalizeForGolden(actual);
  if (const char* update = std::getenv("GROUNDCREW_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(path, std::ios::binary) << normalized;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with GROUNDCREW_UPDATE_GOLDEN=1)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(normalized, expected.str()) << "golden file " << path;
}

}  // namespace groundcrew::integration

// Several groundcrewd instances on one PostgreSQL database (issue 19), end to end with the real
// binaries, on loopback only, each test bounded:
// - failover: `groundcrew init` + `groundcrew migrate` into a throwaway cluster, two instances
//   behind HAProxy (the configuration docs/fleet.md shows), 300 simulated devices through both
//   flows; one instance is SIGKILLed while the technician flows run. Every flow finishes
//   success, every event a device had acknowledged is stored exactly once (and nothing else),
//   and the killed instance, restarted, serves again;
// - PostgreSQL restarted while the fleet runs against two instances it spawned itself
//   (--spawn-instances): the instances reconnect by themselves and every flow finishes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/support/postgres_cluster.hpp"

namespace groundcrew::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using test_support::PostgresCluster;

constexpr const char* kHaproxy = "/usr/sbin/haproxy";
constexpr const char* kPsql = "/usr/bin/psql";

// HAProxy in front of the instances, as docs/fleet.md shows it, with checks and timeouts short
// enough for a test: a killed instance is out of the rotation within about half a second.
std::string HaproxyConfig(std::uint16_t port, const std::vector<std::uint16_t>& servers,
                          const fs::path& stats_socket) {
  std::string config = R"(global
  maxconn 4096
  stats socket )" + stats_socket.string() +
                       R"( mode 600 level user

defaults
  mode http
  timeout connect 1s
  timeout client  60s
  timeout server  30s
  timeout http-keep-alive 30s
  # A health check's answer may take this long (without it, HAProxy waits only `inter`): a busy
  # instance (a slow machine, a sanitizer build) is not taken for a dead one. A killed one
  # refuses connections and is down after `fall` checks at once.
  timeout check 3s
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout

frontend groundcrew
  bind 127.0.0.1:)" + std::to_string(port) +
                       R"(
  default_backend groundcrewd

backend groundcrewd
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 250ms fastinter 100ms downinter 250ms fall 2 rise 2
  # A request whose instance went away after it was sent is sent to another only when that is
  # safe: reads and PUTs, writes with an Idempotency-Key, the device's nonce and deployment
  # requests (which record nothing), and its events and finish (the events' idempotency keys,
  # a finish replaces itself). Anything else gets 502: the device decides (docs/fleet.md).
  acl replayable method GET HEAD PUT OPTIONS
  acl replayable req.hdr(Idempotency-Key) -m found
  acl replayable path /v1/agent/nonce
  acl replayable path_reg ^/v1/agent/devices/[^/]+/(deployment|sessions/[^/]+/(events|finish))$
  http-request disable-l7-retry if !replayable
)";
  for (std::size_t i = 0; i < servers.size(); ++i) {
    config += "  server gc" + std::to_string(i + 1) + " 127.0.0.1:" + std::to_string(servers[i]) +
              " check\n";
  }
  return config;
}

// HAProxy's statistics ("show stat" on its admin socket): "proxy/server" -> column -> value.
std::map<std::string, std::map<std::string, std::string>> HaproxyStats(const fs::path& socket) {
  std::map<std::string, std::map<std::string, std::string>> stats;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return stats;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket.c_str());
  std::string text;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, "show stat\n", 10, MSG_NOSIGNAL) == 10) {
    char buffer[8192];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
      text.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  auto split = [](const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream in(line);
    for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
    return cells;
  };
  std::stringstream lines(text);
  std::string line;
  std::vector<std::string> names;
  while (std::getline(lines, line)) {
    if (line.starts_with("# ")) {
      names = split(line.substr(2));
      continue;
    }
    const std::vector<std::string> cells = split(line);
    if (cells.size() < 2 || names.empty()) continue;
    auto& row = stats[cells[0] + "/" + cells[1]];
    for (size_t i = 0; i < cells.size() && i < names.size(); ++i) row[names[i]] = cells[i];
  }
  return stats;
}

long long Number(const std::string& text) {
  try {
    return text.empty() ? 0 : std::stoll(text);
  } catch (const std::exception&) {
    return 0;
  }
}

json::object ReadJson(const fs::path& path) {
  boost::system::error_code ec;
  json::value parsed = json::parse(test_support::ReadText(path), ec);
  return !ec && parsed.is_object() ? parsed.as_object() : json::object{};
}

std::string Text(const json::value& value, const char* name) {
  const json::value* member = value.is_object() ? value.as_object().if_contains(name) : nullptr;
  return member != nullptr && member->is_string() ? std::string(member->as_string()) : "";
}

// What the devices went through (the fleet's "errors:" lines: requests sent again), for the
// test's log.
void PrintErrors(const std::string& fleet_out) {
  const size_t at = fleet_out.find("\nerrors:");
  if (at == std::string::npos) return;
  std::cerr << "[ fleet      ]" << fleet_out.substr(at, fleet_out.find("\n\n", at + 1) - at)
            << "\n";
}

class ScaleOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    started_ = Clock::now();
    // These tests make their own PostgreSQL installations: the harness must not move the
    // instances' (empty) data directories into the shared cluster as it does when the whole
    // suite runs on PostgreSQL (GROUNDCREW_TEST_DATABASE=postgresql).
    if (const char* backend = std::getenv("GROUNDCREW_TEST_DATABASE")) {
      saved_backend_ = backend;
      ::unsetenv("GROUNDCREW_TEST_DATABASE");
    }
    std::string error;
    cluster_ = PostgresCluster::Start(error);
    ASSERT_NE(cluster_, nullptr) << error;
    uri_ =
        "postgresql://postgres@127.0.0.1:" + std::to_string(cluster_->port()) + "/groundcrew_test";
  }

  void TearDown() override {
    if (saved_backend_) ::setenv("GROUNDCREW_TEST_DATABASE", saved_backend_->c_str(), 1);
    std::cerr << "[ ScaleOutTest ] took "
              << std::chrono::duration<double>(Clock::now() - started_).count() << " s\n";
  }

  // `groundcrew init`, then `groundcrew migrate` into the cluster (schema "groundcrew"); the
  // admin token init printed.
  std::string InitAndMigrate() {
    const fs::path var = dir_.path() / "var";
    CommandResult init = RunCommand({GroundcrewPath(), "init", "--data-dir", var.string(),
                                     "--organization", "Fleet", "--domain", "fleet.example"});
    EXPECT_EQ(init.exit_code, 0) << init.out << init.err;
    const size_t at = init.out.find("gcadm_");
    if (at == std::string::npos) {
      ADD_FAILURE() << "no admin token: " << init.out;
      return "";
    }
    CommandResult migrate =
        RunCommand({GroundcrewPath(), "migrate", "--from", var.string(), "--to", uri_,
                    "--secrets-key-file", (dir_.path() / "secrets.key").string()});
    EXPECT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
    return init.out.substr(at, init.out.find_first_of(" \n\r\t", at) - at);
  }

  // An instance on the database, over the shared folder, with the flags groundcrew-fleet's
  // own instances get (a whole fleet from one address, thousands of sign-ins).
  std::unique_ptr<Daemon> Instance() {
    return std::make_unique<Daemon>(
        dir_.path() / "shared",
        std::vector<std::string>{"--database", uri_, "--secrets-key-file",
                                 (dir_.path() / "secrets.key").string(),
                                 "--insecure-minimum-password-cost", "--no-sign-in-rate-limits",
                                 "--password-hash-slots", "2", "--log-level", "warn"});
  }

  // One value psql answers (-A -t), or "" with a test failure.
  std::string Sql(const std::string& query) {
    CommandResult run = RunCommand({kPsql, cluster_->conninfo(), "-X", "-A", "-t", "-q", "-v",
                                    "ON_ERROR_STOP=1", "-c", query});
    EXPECT_EQ(run.exit_code, 0) << query << "\n" << run.err;
    std::string out = run.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

  // Every deployment event the admin API answers through `port`, paged: sessionId -> count.
  std::map<std::string, long long> EventsBySession(std::uint16_t port, const std::string& token,
                                                   long long& total) {
    std::map<std::string, long long> by_session;
    total = 0;
    std::string after = "0";
    for (int page = 0; page < 1000; ++page) {
      HttpResult got = Http(port, "GET", "/v1/deploymentEvents?limit=1000&after=" + after, "",
                            {{"Authorization", "Bearer " + token}});
      EXPECT_EQ(got.status, 200) << got.body;
      if (got.status != 200) break;
      const json::value answer = json::parse(got.body);
      const json::array& events = answer.at("value").as_array();
      for (const json::value& event : events) ++by_session[Text(event, "sessionId")];
      total += static_cast<long long>(events.size());
      if (events.empty()) break;
      after = Text(answer, "nextAfter");
    }
    return by_session;
  }

  Clock::time_point started_;
  std::optional<std::string> saved_backend_;
  TempDir dir_;
  std::unique_ptr<PostgresCluster> cluster_;
  std::string uri_;
};

TEST_F(ScaleOutTest, AnInstanceKilledBehindHaproxyLosesNoFlowAndNoEvent) {
  ASSERT_EQ(::access(kHaproxy, X_OK), 0) << kHaproxy << " is missing (scripts/bootstrap)";
  const std::string token = InitAndMigrate();
  ASSERT_FALSE(token.empty());
  std::unique_ptr<Daemon> first = Instance();
  ASSERT_TRUE(first->Start()) << first->log();
  std::unique_ptr<Daemon> second = Instance();  // started after: the port file is shared
  ASSERT_TRUE(second->Start()) << second->log();

  const auto lb_port = static_cast<std::uint16_t>(test_support::FreeLoopbackPort());
  ASSERT_NE(lb_port, 0);
  const fs::path stats_socket = dir_.path() / "haproxy.sock";
  const std::string config = dir_.Write(
      "haproxy.cfg", HaproxyConfig(lb_port, {first->port(), second->port()}, stats_socket));
  CommandResult checked = RunCommand({kHaproxy, "-c", "-q", "-f", config});
  ASSERT_EQ(checked.exit_code, 0) << checked.out << checked.err;
  Process haproxy({kHaproxy, "-db", "-f", config});
  ASSERT_TRUE(WaitUntil([&] { return Http(lb_port, "GET", "/readyz").status == 200; },
                        std::chrono::seconds(10)))
      << haproxy.err();

  // 300 devices, the technician flows spread over 4 s so that the kill lands among them.
  const fs::path report_path = dir_.path() / "fleet.json";
  Process fleet({FleetPath(),
                 "--server",
                 "http://127.0.0.1:" + std::to_string(lb_port),
                 "--token",
                 token,
                 "--devices",
                 "300",
                 "--device-apps",
                 "3",
                 "--user-apps",
                 "2",
                 "--device-policies",
                 "1",
                 "--user-policies",
                 "1",
                 "--install-ms",
                 "100",
                 "--ramp-ms",
                 "4000",
                 "--think-ms",
                 "200",
                 "--deadline-seconds",
                 "75",
                 "--json",
                 report_path.string()});
  ASSERT_TRUE(WaitUntil([&] { return fleet.err().find("technician: 300") != std::string::npos; },
                        std::chrono::seconds(30)))
      << fleet.err() << fleet.out();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::string before_kill = fleet.err();
  // Both instances were serving devices when one is killed.
  auto stats = HaproxyStats(stats_socket);
  EXPECT_GT(Number(stats["groundcrewd/gc1"]["hrsp_2xx"]), 100) << "gc1 served nothing";
  EXPECT_GT(Number(stats["groundcrewd/gc2"]["hrsp_2xx"]), 100) << "gc2 served nothing";
  second->Kill();
  EXPECT_EQ(before_kill.find("technician: done"), std::string::npos)
      << "the technician flows ended before the kill: " << before_kill;

  ASSERT_TRUE(WaitUntil([&] { return !fleet.Running(); }, std::chrono::seconds(85))) << fleet.err();
  EXPECT_EQ(fleet.Wait(), 0) << fleet.out() << fleet.err();
  PrintErrors(fleet.out());
  stats = HaproxyStats(stats_socket);
  EXPECT_EQ(stats["groundcrewd/gc2"]["status"], "DOWN");
  std::cerr << "[ haproxy    ] gc1 answered " << stats["groundcrewd/gc1"]["hrsp_2xx"]
            << " 2xx, gc2 " << stats["groundcrewd/gc2"]["hrsp_2xx"] << "; retries "
            << stats["groundcrewd/BACKEND"]["wretr"] << ", redispatches "
            << stats["groundcrewd/BACKEND"]["wredis"] << ", answered to clients "
            << stats["groundcrew/FRONTEND"]["hrsp_5xx"] << " 5xx\n";
  const json::object report = ReadJson(report_path);
  ASSERT_FALSE(report.empty()) << fleet.out() << fleet.err();
  EXPECT_TRUE(report.at("ok").as_bool()) << fleet.out();
  EXPECT_EQ(report.at("technicianSucceeded").as_int64(), 300) << fleet.out();
  EXPECT_EQ(report.at("userSucceeded").as_int64(), 300) << fleet.out();
  EXPECT_EQ(report.at("reportsComplete").as_int64(), 300) << fleet.out();
  EXPECT_TRUE(report.at("failures").as_array().empty()) << fleet.out();

  // No acknowledged event missing or duplicated: what the admin API reads (through the
  // surviving instance) is what the devices had acknowledged, session by session (the fleet's
  // report check compared each session's count with what its device sent); in the database
  // each (session, idempotency key) is there once and the keys of each session, "SESSION:i",
  // run from 0 without a gap.
  const long long acknowledged = report.at("eventsAcknowledged").as_int64();
  EXPECT_GT(acknowledged, 300 * 20);
  long long listed = 0;
  const std::map<std::string, long long> by_session = EventsBySession(lb_port, token, listed);
  EXPECT_EQ(listed, acknowledged);
  EXPECT_EQ(by_session.size(), 600u) << "a technician and a user session per device";
  EXPECT_EQ(Sql("SELECT count(*) FROM groundcrew.session_events"), std::to_string(acknowledged));
  EXPECT_EQ(Sql("SELECT count(*) FROM (SELECT 1 FROM groundcrew.session_events "
                "GROUP BY session_id, idempotency_key HAVING count(*) > 1) twice"),
            "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM (SELECT session_id FROM groundcrew.session_events "
                "GROUP BY session_id HAVING count(*) <> "
                "max(split_part(idempotency_key, ':', 2)::bigint) + 1 OR "
                "min(split_part(idempotency_key, ':', 2)::bigint) <> 0) gaps"),
            "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM groundcrew.deployment_sessions "
                "WHERE deployment_state <> 'success'"),
            "0");

  // The killed instance, started again on its port, serves: ready, and the admin API reads
  // what the other instance stored meanwhile.
  ASSERT_TRUE(second->Restart()) << second->log();
  EXPECT_EQ(Http(second->port(), "GET", "/readyz").status, 200);
  HttpResult sessions = Http(second->port(), "GET", "/v1/deploymentSessions?limit=1000", "",
                             {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(sessions.status, 200) << sessions.body;
  EXPECT_EQ(json::parse(sessions.body).at("value").as_array().size(), 600u);
  HttpResult device_report = Http(second->port(), "GET", "/v1/reports/FLEET-0000299", "",
                                  {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(device_report.status, 200) << device_report.body;
  EXPECT_EQ(Text(json::parse(device_report.body), "deploymentState"), "success")
      << device_report.body;
}

TEST_F(ScaleOutTest, PostgresRestartedDuringAFleetRunEveryFlowFinishes) {
  // The fleet starts two instances of its own on the cluster (--spawn-instances), in a schema
  // of its own that it drops at the end.
  const fs::path report_path = dir_.path() / "fleet.json";
  Process fleet({FleetPath(),
                 "--spawn-instances",
                 "2",
                 "--database",
                 uri_,
                 "--devices",
                 "150",
                 "--device-apps",
                 "3",
                 "--user-apps",
                 "2",
                 "--device-policies",
                 "1",
                 "--user-policies",
                 "1",
                 "--install-ms",
                 "100",
                 "--ramp-ms",
                 "3000",
                 "--think-ms",
                 "200",
                 "--deadline-seconds",
                 "75",
                 "--json",
                 report_path.string()});
  ASSERT_TRUE(WaitUntil([&] { return fleet.err().find("technician: 150") != std::string::npos; },
                        std::chrono::seconds(30)))
      << fleet.err() << fleet.out();
  EXPECT_NE(fleet.err().find("2 groundcrewd started on PostgreSQL"), std::string::npos)
      << fleet.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  std::string error;
  ASSERT_TRUE(cluster_->Restart(error)) << error;
  EXPECT_EQ(fleet.err().find("technician: done"), std::string::npos)
      << "the technician flows ended before the restart: " << fleet.err();

  ASSERT_TRUE(WaitUntil([&] { return !fleet.Running(); }, std::chrono::seconds(85))) << fleet.err();
  EXPECT_EQ(fleet.Wait(), 0) << fleet.out() << fleet.err();
  PrintErrors(fleet.out());
  const json::object report = ReadJson(report_path);
  ASSERT_FALSE(report.empty()) << fleet.out() << fleet.err();
  EXPECT_TRUE(report.at("ok").as_bool()) << fleet.out();
  EXPECT_EQ(report.at("technicianSucceeded").as_int64(), 150) << fleet.out();
  EXPECT_EQ(report.at("userSucceeded").as_int64(), 150) << fleet.out();
  EXPECT_EQ(report.at("reportsComplete").as_int64(), 150) << fleet.out();
  // Devices were spread over both instances: both came back from the restart by themselves.
  EXPECT_EQ(report.at("servers").as_array().size(), 2u);
  EXPECT_NE(fleet.out().find("2 instances, devices spread over them: 127.0.0.1:"),
            std::string::npos)
      << fleet.out();
  // The run's schema is gone with the run.
  EXPECT_EQ(Sql("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'fleet\\_%'"), "0");
}

}  // namespace
}  // namespace groundcrew::integration

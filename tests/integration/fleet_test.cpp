// The fleet simulator against the real groundcrewd (issue 6): a 100-device smoke run. No timing
// is asserted, only that every device provisions (technician flow, reseal, user flow with MFA)
// and that the service's report of every device is complete. And a device whose answers are
// lost (issue 19: an instance that went away) recovering as the agent does.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/integration/losing_proxy.hpp"

namespace groundcrew::integration {
namespace {

namespace json = boost::json;

json::object ReadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

TEST(Fleet, HundredDevicesProvisionAndEveryReportIsComplete) {
  TempDir dir;
  const std::string report = (dir.path() / "fleet.json").string();
  CommandResult run = RunCommand({FleetPath(), "--spawn", "--devices", "100", "--install-ms", "20",
                                  "--failure-rate", "0.2", "--think-ms", "200", "--ramp-ms", "500",
                                  "--deadline-seconds", "300", "--json", report});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const json::object r = ReadJson(report);
  EXPECT_TRUE(r.at("ok").as_bool());
  EXPECT_EQ(r.at("devices").as_int64(), 100);
  EXPECT_EQ(r.at("technicianSucceeded").as_int64(), 100);
  EXPECT_EQ(r.at("userSucceeded").as_int64(), 100);
  EXPECT_EQ(r.at("reportsComplete").as_int64(), 100);
  EXPECT_FALSE(r.at("timedOut").as_bool());
  EXPECT_TRUE(r.at("failures").as_array().empty());
  // Every stage ran, with the service measured; every request kind has latencies.
  std::vector<std::string> stages;
  for (const json::value& s : r.at("stages").as_array()) {
    stages.emplace_back(s.at("name").as_string());
    EXPECT_GE(s.at("serviceCpuSeconds").as_double(), 0) << s;
  }
  EXPECT_EQ(stages, (std::vector<std::string>{"tenant", "credentials", "import", "technician",
                                              "between", "user", "verify"}));
  const json::object& requests = r.at("requestsMs").as_object();
  for (const char* kind :
       {"POST /agent/token", "POST /devices/{id}/enroll", "POST /devices/{id}/signIn/{challenge}",
        "POST /sessions/{id}/events", "admin GET /v1/reports/{serial}"}) {
    ASSERT_TRUE(requests.contains(kind)) << kind;
    EXPECT_GT(requests.at(kind).at("count").as_int64(), 0) << kind;
  }
  // Non-blocking apps failed at a 20% rate: recorded, and the devices still succeeded.
  const json::object& counters = r.at("counters").as_object();
  EXPECT_GT(counters.at("events").as_int64(), 100 * 30);
  for (const auto& [name, n] : counters) {
    EXPECT_FALSE(name.starts_with("error/")) << name << " " << json::serialize(n);
  }
  EXPECT_NE(run.out.find("reports complete: 100/100"), std::string::npos) << run.out;
}

// A device whose answers are lost on the way (an instance that went away after doing the work):
// the token answer of its first key proof, and the answer to its MFA code. Sent again, the
// proof finds its nonce used and the code its challenge gone: the device proves its key with a
// new nonce and the user signs in again, as the agent does, and both flows succeed.
TEST(Fleet, ADeviceWhoseAnswersAreLostProvesItsKeyAgainAndSignsInAgain) {
  TempDir dir;
  const std::filesystem::path var = dir.path() / "var";
  CommandResult init = RunCommand({GroundcrewPath(), "init", "--data-dir", var.string(),
                                   "--organization", "Fleet", "--domain", "fleet.example"});
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  const size_t at = init.out.find("gcadm_");
  ASSERT_NE(at, std::string::npos) << init.out;
  const std::string token = init.out.substr(at, init.out.find_first_of(" \n\r\t", at) - at);
  Daemon daemon(var, {"--insecure-minimum-password-cost", "--no-sign-in-rate-limits"});
  ASSERT_TRUE(daemon.Start()) << daemon.log();
  // The fleet -> `proof` (loses the first token answer) -> `mfa` (loses the first answer to a
  // code) -> groundcrewd.
  LosingProxy mfa([&] { return daemon.port(); },
                  std::regex("^POST /v1/agent/devices/[^/]+/signIn/[^ /?]+ "), [] {});
  LosingProxy proof([&] { return mfa.port(); }, std::regex("^POST /v1/agent/token "), [] {});
  ASSERT_NE(mfa.port(), 0);
  ASSERT_NE(proof.port(), 0);

  const std::string report = (dir.path() / "fleet.json").string();
  CommandResult run = RunCommand(
      {FleetPath(), "--server",        proof.url(), "--token",      token, "--devices",
       "1",         "--device-apps",   "1",         "--user-apps",  "1",   "--device-policies",
       "0",         "--user-policies", "0",         "--install-ms", "10",  "--deadline-seconds",
       "90",        "--json",          report});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(proof.lost());
  EXPECT_TRUE(mfa.lost());
  const json::object r = ReadJson(report);
  EXPECT_EQ(r.at("technicianSucceeded").as_int64(), 1);
  EXPECT_EQ(r.at("userSucceeded").as_int64(), 1);
  const json::object& counters = r.at("counters").as_object();
  ASSERT_TRUE(counters.contains("retry/proofWithNewNonce")) << json::serialize(counters);
  EXPECT_EQ(counters.at("retry/proofWithNewNonce").as_int64(), 1);
  ASSERT_TRUE(counters.contains("retry/signInAgain")) << json::serialize(counters);
  EXPECT_EQ(counters.at("retry/signInAgain").as_int64(), 1);
  // The proof whose answer was lost had been accepted; sent again, it was refused (once: the
  // nonce was used), and a proof with a new nonce was accepted. (The reports sent in the
  // background may prove the key meanwhile: more proofs than these three may show.)
  std::vector<LosingProxy::Exchange> proofs;
  for (const LosingProxy::Exchange& exchange : proof.exchanges()) {
    if (exchange.request_line.starts_with("POST /v1/agent/token ")) proofs.push_back(exchange);
  }
  ASSERT_GE(proofs.size(), 3u);
  EXPECT_EQ(proofs.front().status, 200);
  EXPECT_FALSE(proofs.front().delivered);
  int refused = 0;
  for (const LosingProxy::Exchange& exchange : proofs) {
    if (exchange.status == 401) {
      ++refused;
      EXPECT_NE(exchange.body.find("\"nonce\""), std::string::npos) << exchange.body;
    } else {
      EXPECT_EQ(exchange.status, 200) << exchange.body;
    }
  }
  EXPECT_EQ(refused, 1);
}

TEST(Fleet, RefusesAServiceOffThisMachine) {
  CommandResult run = RunCommand(
      {FleetPath(), "--server", "http://192.0.2.1:8080", "--token", "gcadm_x", "--devices", "1"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("not a loopback address"), std::string::npos) << run.err;
}

TEST(Fleet, RefusesBadCombinationsOfWhereTheServiceComesFromNamingTheFlag) {
  const std::string db = "postgresql://postgres@127.0.0.1:1/groundcrew";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--spawn", "--server", "http://127.0.0.1:1"}, "--spawn and --server exclude each other"},
      {{"--spawn-instances", "2", "--database", db, "--server", "http://127.0.0.1:1"},
       "--spawn-instances and --server exclude each other"},
      {{"--spawn", "--spawn-instances", "2", "--database", db}, "exclude each other"},
      {{"--spawn-instances", "2"}, "--spawn-instances needs --database"},
      {{"--spawn-instances", "0", "--database", db}, "--spawn-instances: give 1 to 16"},
      {{"--spawn", "--database", db}, "--database is for --spawn-instances"},
      {{"--spawn-instances", "2", "--database", "mysql://x@127.0.0.1/x"},
       "--database: give a postgresql:// URI"},
      {{"--server", "http://127.0.0.1:1,http://localhost:2", "--token", "gcadm_x"},
       "--server: localhost is not an IPv4 or IPv6 address"},
      {{"--server", "http://127.0.0.1:1", "--server", "http://127.0.0.1:x", "--token", "gcadm_x"},
       "--server: the port of http://127.0.0.1:x"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv{FleetPath()};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult run = RunCommand(argv);
    EXPECT_EQ(run.exit_code, 2) << args.front() << " " << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << message << ": " << run.err;
  }
}

TEST(Fleet, RefusesAShapeOutsideItsLimitsNamingTheField) {
  CommandResult run = RunCommand(
      {FleetPath(), "--server", "http://127.0.0.1:1", "--token", "gcadm_x", "--devices", "0"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("devices"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace groundcrew::integration

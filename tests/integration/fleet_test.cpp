// The fleet simulator against the real groundcrewd (issue 6): a 100-device smoke run. No timing
// is asserted, only that every device provisions (technician flow, reseal, user flow with MFA)
// and that the service's report of every device is complete.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/integration/harness.hpp"

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

TEST(Fleet, RefusesAServiceOffThisMachine) {
  CommandResult run = RunCommand(
      {FleetPath(), "--server", "http://192.0.2.1:8080", "--token", "gcadm_x", "--devices", "1"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("not a loopback address"), std::string::npos) << run.err;
}

TEST(Fleet, RefusesAShapeOutsideItsLimitsNamingTheField) {
  CommandResult run = RunCommand(
      {FleetPath(), "--server", "http://127.0.0.1:1", "--token", "gcadm_x", "--devices", "0"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("devices"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace groundcrew::integration

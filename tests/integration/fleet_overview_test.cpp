// The admin's fleet overview (issue 15) through the real CLI, daemon and agent: after a
// technician flow that fails on one device and succeeds on another (a third never ran one),
// `devices list` shows each device's deployment state and last flow, `sessions` the serial
// number, flow, result, start, end and duration, `audit` time, actor, action, kind and name, and
// `watch --once` only the events its filters ask for, each filter applied by the server.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/agent_fixture.hpp"
#include "tests/integration/harness.hpp"

namespace groundcrew::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kFailedSerial = "GC-1001";  // the fixture's device
constexpr const char* kProvisionedSerial = "GC-1002";
constexpr const char* kUntouchedSerial = "GC-1003";

// Durations and the column widths they change differ between runs: golden files hold
// "<duration>" and cells one space apart (render_test's golden files hold the alignment).
std::string WithoutTimings(std::string text) {
  text = std::regex_replace(text, std::regex("\\b(\\d+h )?(\\d+m )?\\d+s\\b"), "<duration>");
  return std::regex_replace(text, std::regex(" {2,}"), " ");
}

// The lines of `text`.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class FleetOverviewTest : public AgentFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(AgentFixture::SetUp());
    // A blocking app that fails (1603) until ROOT/flaky.fixed exists.
    AddApp({.name = "Contoso Flaky",
            .slug = "flaky",
            .before = FailsUntil("flaky.fixed"),
            .blocking = true});
    ASSERT_NO_FATAL_FAILURE(ApplyTenant());
    Register(DeviceState(kProvisionedSerial), kProvisionedSerial, /*import=*/true);
    Register(DeviceState(kUntouchedSerial), kUntouchedSerial, /*import=*/true);

    const AgentRun failed = RunTechnicianFlow(kFailedSerial);
    ASSERT_EQ(failed.exit_code, 1) << failed.out << failed.err;
    fs::create_directories(DeviceRoot(kProvisionedSerial));
    Touch(DeviceRoot(kProvisionedSerial) / "markers" / "flaky.fixed");
    const AgentRun provisioned = RunTechnicianFlow(kProvisionedSerial);
    ASSERT_EQ(provisioned.exit_code, 0) << provisioned.out << provisioned.err;
  }

  // Each device's own state and sandbox root (the fixture's for its device).
  fs::path DeviceState(const std::string& serial) {
    return serial == kFailedSerial ? State() : temp_.path() / ("state-" + serial);
  }
  fs::path DeviceRoot(const std::string& serial) {
    return serial == kFailedSerial ? Root() : temp_.path() / ("root-" + serial);
  }

  AgentRun RunTechnicianFlow(const std::string& serial) {
    std::vector<std::string> argv =
        AgentArgv({{"technician", true}}, {.state = DeviceState(serial), .serial = serial});
    auto root = std::find(argv.begin(), argv.end(), "--root");
    if (root != argv.end()) *std::next(root) = DeviceRoot(serial).string();
    const auto start = std::chrono::steady_clock::now();
    Process agent(argv);
    AgentRun run;
    const bool ended = WaitUntil([&] { return !agent.Running(); }, std::chrono::seconds(60));
    if (!ended) agent.Kill();
    run.exit_code = ended ? agent.Wait() : -1;
    run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    run.out = agent.out();
    run.err = agent.err();
    return run;
  }

  // The CLI's stdout, which must have succeeded.
  std::string Ok(const std::vector<std::string>& args) {
    CommandResult result = Cli(args);
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    return result.out;
  }
  json::value OkJson(std::vector<std::string> args) {
    args.push_back("--json");
    return json::parse(Ok(args));
  }
  // The registration id of the device with `serial`.
  std::string DeviceId(const std::string& serial) {
    const json::value listed = OkJson({"devices", "list", "--serial", serial});
    return std::string(listed.at("value").at(0).at("id").as_string());
  }
  // The serial numbers of a {"value": [...]} answer's items, in order.
  static std::vector<std::string> Serials(const json::value& answer) {
    std::vector<std::string> serials;
    for (const json::value& item : answer.at("value").as_array()) {
      serials.emplace_back(item.at("serialNumber").as_string());
    }
    return serials;
  }
};

TEST_F(FleetOverviewTest, DevicesListShowsEachDevicesDeploymentAndLastFlow) {
  ExpectGolden("overview-devices-list.txt", WithoutTimings(Ok({"devices", "list"})));
  ExpectGolden("overview-devices-list-failure.txt",
               WithoutTimings(Ok({"devices", "list", "--deployment-state", "failure"})));

  // The JSON has the latest session (or null), from one store read per page.
  std::map<std::string, json::value> last;
  const json::value devices = OkJson({"devices", "list"});
  for (const json::value& device : devices.at("value").as_array()) {
    last[std::string(device.at("serialNumber").as_string())] = device.at("lastDeployment");
  }
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[kFailedSerial].at("deploymentState"), "failure");
  EXPECT_EQ(last[kFailedSerial].at("flow"), "technician");
  EXPECT_TRUE(last[kFailedSerial].at("finishedDateTime").is_string()) << last[kFailedSerial];
  EXPECT_EQ(last[kProvisionedSerial].at("deploymentState"), "success");
  EXPECT_TRUE(last[kUntouchedSerial].is_null());
  const json::value shown = OkJson({"devices", "show", DeviceId(kProvisionedSerial)});
  EXPECT_EQ(shown.at("lastDeployment").at("deploymentState"), "success");

  CommandResult bad = Cli({"devices", "list", "--deployment-state", "broken"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--deployment-state"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("successOnRetry"), std::string::npos) << "the choices are listed";
}

TEST_F(FleetOverviewTest, SessionsShowSerialFlowResultAndTimesAndFilterByDeviceFlowAndState) {
  ExpectGolden("overview-sessions.txt", WithoutTimings(Ok({"sessions"})));
  const json::value all = OkJson({"sessions"});
  ASSERT_EQ(all.at("value").as_array().size(), 2u);
  for (const json::value& session : all.at("value").as_array()) {
    EXPECT_TRUE(session.at("finishedDateTime").is_string()) << session;
  }

  // --device takes a serial number or an id.
  EXPECT_EQ(Serials(OkJson({"sessions", "--device", kFailedSerial})),
            std::vector<std::string>{kFailedSerial});
  EXPECT_EQ(Serials(OkJson({"sessions", "--device", DeviceId(kProvisionedSerial)})),
            std::vector<std::string>{kProvisionedSerial});
  EXPECT_EQ(OkJson({"sessions", "--device", kUntouchedSerial}).at("value").as_array().size(), 0u);
  ExpectGolden("overview-sessions-failure.txt",
               WithoutTimings(Ok({"sessions", "--flow", "technician", "--state", "failure"})));
  EXPECT_TRUE(OkJson({"sessions", "--flow", "user"}).at("value").as_array().empty());

  CommandResult unknown = Cli({"sessions", "--device", "NO-SUCH-DEVICE"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("--device"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("NO-SUCH-DEVICE"), std::string::npos) << unknown.err;
  CommandResult flow = Cli({"sessions", "--flow", "nightly"});
  EXPECT_EQ(flow.exit_code, 1);
  EXPECT_NE(flow.err.find("--flow"), std::string::npos) << flow.err;
  EXPECT_NE(flow.err.find("technician, user"), std::string::npos) << flow.err;
}

TEST_F(FleetOverviewTest, AuditShowsTimeActorActionKindAndNameAndFilters) {
  ExpectGolden("overview-audit-devices.txt",
               WithoutTimings(Ok({"audit", "--kind", "autopilotDevices"})));
  // --actor matches the credential's name in any case; the devices acted too.
  const json::value all = OkJson({"audit"});
  size_t admins = 0;
  for (const json::value& entry : all.at("value").as_array()) {
    admins += entry.at("actor") == "admin" ? 1 : 0;
  }
  const json::value by_admin = OkJson({"audit", "--actor", "ADMIN"});
  EXPECT_EQ(by_admin.at("value").as_array().size(), admins);
  EXPECT_LT(admins, all.at("value").as_array().size());
  for (const json::value& entry : by_admin.at("value").as_array()) {
    EXPECT_EQ(entry.at("actor"), "admin") << entry;
  }
  EXPECT_EQ(Ok({"audit", "--actor", "nobody"}), "0 items.\n");
}

TEST_F(FleetOverviewTest, WatchOnceShowsOnlyTheEventsItsFiltersAskFor) {
  // The failed device's technician flow: every event, and only those.
  const std::string failed =
      Ok({"watch", "--once", "--serial", kFailedSerial, "--flow", "technician"});
  const std::vector<std::string> lines = Lines(failed);
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    EXPECT_NE(line.find(" GC-1001 technician "), std::string::npos) << line;
  }
  EXPECT_EQ(Ok({"watch", "--once", "--state", "failure"}), failed)
      << "its session is the only failed one";
  // What matters in it: how the phases went and what failed.
  std::string milestones;
  for (const std::string& line : lines) {
    if (std::regex_search(line, std::regex(" (phase\\w+|itemFailed|flowFinished)( |$)"))) {
      milestones += line + "\n";
    }
  }
  ExpectGolden("overview-watch-failure.txt", milestones);

  // --json: one event a line, every one of the provisioned device's successful session.
  const std::vector<std::string> provisioned =
      Lines(Ok({"watch", "--once", "--state", "success", "--json"}));
  ASSERT_FALSE(provisioned.empty());
  std::set<std::string> serials;
  for (const std::string& line : provisioned) {
    serials.insert(std::string(json::parse(line).at("serialNumber").as_string()));
  }
  EXPECT_EQ(serials, std::set<std::string>{kProvisionedSerial});
  EXPECT_EQ(Ok({"watch", "--once", "--flow", "user"}), "");
  EXPECT_EQ(Ok({"watch", "--once", "--serial", kUntouchedSerial}), "");

  CommandResult unknown = Cli({"watch", "--once", "--serial", "NO-SUCH-DEVICE"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("--serial"), std::string::npos) << unknown.err;
  CommandResult state = Cli({"watch", "--once", "--state", "broken"});
  EXPECT_EQ(state.exit_code, 1);
  EXPECT_NE(state.err.find("--state"), std::string::npos) << state.err;
}

}  // namespace
}  // namespace groundcrew::integration

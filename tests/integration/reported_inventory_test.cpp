// Issue 15, "Reports that are true": the real groundcrewd, groundcrew-agent and groundcrew. A
// device reports its inventory when each flow finishes; `groundcrew plan` plans the user flow
// from it, so that after a reseal, a newly assigned app and a bumped version are exactly what
// the plan's user-flow Device setup lists, and exactly what the user flow then installs there.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <map>
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

class ReportedInventoryTest : public AgentFixture {
 protected:
  CommandResult Agent(const json::object& answers) { return RunCommand(AgentArgv(answers, {})); }

  // `groundcrew plan GC-1001 --json`.
  json::value PlanJson() {
    CommandResult plan = Cli({"plan", kDeviceSerial, "--json"});
    EXPECT_EQ(plan.exit_code, 0) << plan.out << plan.err;
    boost::system::error_code ec;
    json::value parsed = json::parse(plan.out, ec);
    return ec ? json::value(json::object()) : parsed;
  }

  // Bumps Contoso VPN Client from 3.0.1 to 3.0.2: the document's version and detection rule,
  // and what its installer writes.
  void BumpVpnClient() {
    ASSERT_NO_FATAL_FAILURE(Edit("displayVersion: \"3.0.1\"", "displayVersion: \"3.0.2\""));
    ASSERT_NO_FATAL_FAILURE(
        Edit("vpn-client/VERSION, value: \"3.0.1\"", "vpn-client/VERSION, value: \"3.0.2\""));
    const fs::path installer = tenant_ / "apps" / "vpn-client" / "install.sh";
    const std::string script = ReadFile(installer);
    const std::string bumped = std::regex_replace(script, std::regex("3\\.0\\.1"), "3.0.2");
    ASSERT_NE(bumped, script);
    std::ofstream(installer, std::ios::trunc) << bumped;
  }
};

// "displayName:reason" of every item of the plan's user-flow Device setup, sorted.
std::set<std::string> UserDeviceSetup(const json::value& plan) {
  std::set<std::string> items;
  for (const json::value& item : plan.at("user").at("deviceSetup").at("items").as_array()) {
    items.insert(std::string(item.at("displayName").as_string()) + ":" +
                 std::string(item.at("reason").as_string()));
  }
  return items;
}

// The lines of `text` from the one that starts with `from` up to (not including) the next one
// that starts with `to` (or the end).
std::string Section(const std::string& text, const std::string& from, const std::string& to) {
  std::istringstream lines(text);
  std::string section;
  bool in = false;
  for (std::string line; std::getline(lines, line);) {
    if (in && line.starts_with(to)) break;
    if (line.starts_with(from)) in = true;
    if (in) section += line + "\n";
  }
  return section;
}

// The display names of the items of `phase` in a session's report.
std::set<std::string> PhaseItems(const json::value& session, const std::string& phase) {
  std::set<std::string> names;
  for (const json::value& item : session.at("items").as_array()) {
    if (IsText(item.at("phase"), phase)) {
      names.insert(std::string(item.at("displayName").as_string()));
    }
  }
  return names;
}

TEST_F(ReportedInventoryTest,
       AfterResealThePlanListsExactlyTheNewAndTheBumpedAppAndTheUserFlowInstallsExactlyThose) {
  // Before any flow, the plan says what it assumes.
  CommandResult before = Cli({"plan", kDeviceSerial});
  ASSERT_EQ(before.exit_code, 0) << before.out << before.err;
  EXPECT_NE(before.out.find("  Assumes a clean technician flow: GC-1001 has not reported an "
                            "inventory after a flow\n"),
            std::string::npos)
      << before.out;
  EXPECT_EQ(PlanJson().at("userFlowBasis"), "assumedCleanTechnicianFlow");

  CommandResult technician = Agent({{"technician", true}});
  ASSERT_EQ(technician.exit_code, 0) << technician.out << technician.err;
  ASSERT_TRUE(Showed(technician.out, "resealed")) << technician.out;

  // Between the flows: a new device app, and another's version bumped.
  AddApp({.name = "Contoso Whiteboard", .slug = "whiteboard"});
  ASSERT_NO_FATAL_FAILURE(BumpVpnClient());
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());

  // The plan, from what the technician flow reported: exactly those two in Device setup.
  const json::value plan = PlanJson();
  EXPECT_EQ(plan.at("userFlowBasis"), "reportedInventory") << plan;
  EXPECT_EQ(plan.at("reportedInventory").at("flow"), "technician") << plan;
  EXPECT_EQ(UserDeviceSetup(plan),
            (std::set<std::string>{"Contoso VPN Client:changedVersion", "Contoso Whiteboard:new"}))
      << plan;
  CommandResult text = Cli({"plan", kDeviceSerial});
  ASSERT_EQ(text.exit_code, 0) << text.out << text.err;
  const std::string user_flow = Section(text.out, "User flow", "Findings");
  const std::string device_setup = Section(user_flow, "  Device setup", "  Account setup");
  EXPECT_TRUE(std::regex_search(
      user_flow, std::regex("\n  Based on the inventory GC-1001 reported at "
                            "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC after its "
                            "technician flow\n")))
      << text.out;
  EXPECT_TRUE(std::regex_search(
      device_setup, std::regex("\n +app +Contoso Whiteboard +1\\.0\\.0 +no +no +new *\n")))
      << text.out;
  EXPECT_TRUE(std::regex_search(
      device_setup,
      std::regex("\n +app +Contoso VPN Client +3\\.0\\.2 +no +no +changedVersion *\n")))
      << text.out;
  // The header and the two items: nothing else.
  EXPECT_EQ(std::count(device_setup.begin(), device_setup.end(), '\n'), 4) << device_setup;

  // The user flow installs exactly those two in Device setup.
  CommandResult user = Agent({{"password", kAdelePassword}, {"totpSeed", kAdeleSeed}});
  ASSERT_EQ(user.exit_code, 0) << user.out << user.err;
  const json::value report = Report();
  const json::value session = Session(report, "user");
  EXPECT_EQ(session.at("deploymentState"), "success") << session;
  EXPECT_EQ(PhaseItems(session, "deviceSetup"),
            (std::set<std::string>{"Contoso VPN Client", "Contoso Whiteboard"}))
      << session;
  for (const char* name : {"Contoso VPN Client", "Contoso Whiteboard"}) {
    EXPECT_EQ(ReportItem(session, name).at("status"), "succeeded") << session;
  }
  const std::vector<json::value> events = Events(session);
  EXPECT_EQ(CountEvents(events, "itemStarted", "deviceSetup"), 2) << session;
  EXPECT_EQ(CountEvents(events, "itemSucceeded", "deviceSetup"), 2) << session;
  EXPECT_EQ(CountEvents(events, "itemDetected", "deviceSetup"), 0) << session;
  EXPECT_EQ(ReadFile(Root() / "opt/contoso/vpn-client/VERSION"), "3.0.2\n");
  EXPECT_EQ(InstallRuns(), (std::map<std::string, int>{{"agent", 1},
                                                       {"notes", 1},
                                                       {"runtime", 1},
                                                       {"sales-crm", 1},
                                                       {"vpn-client", 2},
                                                       {"whiteboard", 1}}));

  // After the user flow the plan starts from what it reported: nothing left to install.
  const json::value after = PlanJson();
  EXPECT_EQ(after.at("reportedInventory").at("flow"), "user") << after;
  EXPECT_EQ(after.at("reportedInventory").at("sessionId"), session.at("id")) << after;
  EXPECT_TRUE(UserDeviceSetup(after).empty()) << after;
}

}  // namespace
}  // namespace groundcrew::integration

// An agent SIGKILLed while an installer runs and started again at once, without waiting for the
// orphaned installer: the installer outlives the agent (its own process group), and the new run
// adopts it — it waits for that installer and takes its outcome as the interrupted attempt's —
// instead of starting a second one beside it. The real groundcrewd and groundcrew-agent, the
// Contoso tenant, a sandbox root.
//
// Every installer appends its name to ROOT/installs.log each time it runs.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/integration/agent_fixture.hpp"
#include "tests/integration/harness.hpp"

namespace groundcrew::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// The fixture's world (agent_fixture.hpp) and "Contoso Hold": it says it runs (ROOT/hold.running),
// then waits for ROOT/hold.release (a minute at most). It depends on every other technician app,
// so that no other installer runs when the agent is killed.
class AdoptionTest : public AgentFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(AgentFixture::SetUp());
    ASSERT_NO_FATAL_FAILURE(AddApp(
        {.name = "Contoso Hold",
         .slug = "hold",
         .before = HeldUntilReleased("hold"),
         .dependencies = {"Contoso Runtime", "Contoso Agent", "Contoso VPN Client", "Sales CRM"}}));
    ASSERT_NO_FATAL_FAILURE(ApplyTenant());
  }

  // The technician flow's agent, in the background.
  std::unique_ptr<Process> StartTechnician() {
    return StartAgent({{"technician", true}}, {.ui = "plain"});
  }

  // The device's report, as `groundcrew report SERIAL --json` prints it.
  json::value CliReport() {
    CommandResult report = Cli({"report", kDeviceSerial, "--json"});
    EXPECT_EQ(report.exit_code, 0) << report.out << report.err;
    boost::system::error_code ec;
    json::value value = json::parse(report.out, ec);
    EXPECT_FALSE(ec) << report.out;
    return ec ? json::value(json::object()) : value;
  }
};

// The events of `kind` about the item `id`.
std::vector<json::value> EventsAbout(const std::vector<json::value>& events, std::string_view kind,
                                     std::string_view id) {
  std::vector<json::value> found;
  for (const json::value& event : events) {
    const json::value* item = event.at("detail").as_object().if_contains("id");
    if (IsText(event.at("kind"), kind) && item != nullptr && IsText(*item, id))
      found.push_back(event);
  }
  return found;
}

TEST_F(AdoptionTest, AnAgentKilledMidInstallAndStartedAgainAtOnceWaitsForTheSameInstaller) {
  std::unique_ptr<Process> first = StartTechnician();
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(Markers() / "hold.running"); }))
      << first->out() << first->err();
  first->Kill();
  // Started again at once: the orphaned installer is still waiting for its release.
  std::unique_ptr<Process> second = StartTechnician();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(InstallRuns()["hold"], 1) << "a second installer was started beside the first";
  EXPECT_TRUE(second->Running()) << "the restarted agent did not wait for the installer\n"
                                 << second->out() << second->err();
  Touch(Markers() / "hold.release");
  ASSERT_EQ(second->Wait(), 0) << second->out() << second->err();
  EXPECT_EQ(InstallRuns()["hold"], 1) << "installed twice";

  const json::value report = CliReport();
  EXPECT_FALSE(report.at("device").at("resealedDateTime").is_null()) << report;
  const json::value* technician = nullptr;
  for (const json::value& session : report.at("sessions").as_array()) {
    if (IsText(session.at("flow"), "technician")) technician = &session;
  }
  ASSERT_NE(technician, nullptr) << report;
  EXPECT_EQ(technician->at("deploymentState"), "success") << *technician;
  std::string hold_id;
  for (const json::value& item : technician->at("items").as_array()) {
    if (IsText(item.at("displayName"), "Contoso Hold")) {
      hold_id = std::string(item.at("id").as_string());
      EXPECT_EQ(item.at("status"), "succeeded") << item;
      EXPECT_EQ(item.at("attempts"), 1) << "the interrupted install is one attempt: " << item;
    }
  }
  ASSERT_FALSE(hold_id.empty()) << *technician;
  const std::vector<json::value> events = Events(*technician);
  EXPECT_EQ(EventsAbout(events, "itemStarted", hold_id).size(), 1u)
      << "the adopted installer is a continuation, not a new start";
  EXPECT_EQ(EventsAbout(events, "itemSucceeded", hold_id).size(), 1u);
  // Nothing is left to adopt once the outcome is consumed.
  EXPECT_TRUE(!fs::exists(State() / "running") || fs::is_empty(State() / "running"));
}

}  // namespace
}  // namespace groundcrew::integration

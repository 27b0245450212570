// The agent's driver (RunOobe) running a phase, through its real ServiceClient to the device API
// served over loopback by the real routes and use cases (in-memory SQLite). Items are applied by
// a runner of the test and screens go to a view of the test, so that the test decides how long
// the driver's thread spends drawing: what a busy machine does to the real terminal view.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "device/agent/journal.hpp"
#include "device/agent/oobe.hpp"
#include "device/agent/view.hpp"
#include "tests/service/device_api_loopback.hpp"

namespace groundcrew {
namespace {

namespace json = boost::json;

constexpr const char* kSerial = "GC-PHASE-1";

// Shows nothing but takes `slow` to draw the first screen after Device setup's, the one its last
// item's outcome brings (the driver's thread is held there, as on a loaded machine).
class SlowView final : public agent::View {
 public:
  explicit SlowView(std::chrono::milliseconds slow) : slow_(slow) {}
  void Show(const device::Screen& screen) override {
    const bool device_setup =
        std::any_of(screen.phases.begin(), screen.phases.end(), [](const device::PhaseLine& phase) {
          return phase.phase == core::EspPhase::kDeviceSetup && phase.status == "Working on it";
        });
    if (device_setup) {
      shown_device_setup_ = true;
    } else if (shown_device_setup_ && !slowed) {
      slowed = true;
      std::this_thread::sleep_for(slow_);
    }
  }
  void Pressed(const device::Button&) override {}

  bool slowed = false;  ///< the screen after Device setup's was drawn slowly

 private:
  std::chrono::milliseconds slow_;
  bool shown_device_setup_ = false;
};

class AgentPhaseTest : public service::DeviceApiLoopbackTest {
 protected:
  AgentPhaseTest() : DeviceApiLoopbackTest(kSerial) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DeviceApiLoopbackTest::SetUp());
    // A profile that allows pre-provisioning, the ESP shown, and one app for Device setup.
    auto applied = services_->apply.Apply(admin(), json::parse(R"json({
      "groups": [{"displayName": "Devices",
                  "membershipRule": "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"}],
      "deploymentProfiles": [{"displayName": "Contoso", "preprovisioningAllowed": true,
                              "assignments": [{"group": "Devices"}]}],
      "espProfiles": [{"displayName": "Contoso ESP", "priority": 1,
                       "showInstallationProgress": true, "installProgressTimeoutInMinutes": 60,
                       "assignments": [{"group": "Devices"}]}],
      "apps": [{"displayName": "Device App", "displayVersion": "1.0",
                "installContext": "device", "assignments": [{"group": "Devices"}]}]
    })json"),
                                          service::ApplyMode{});
    ASSERT_TRUE(applied) << applied.error().message << " at " << applied.error().field;
  }

  // The technician flow, pre-provisioning and resealing, on `view`; items succeed at once.
  agent::OobeExit RunTechnicianFlow(agent::View& view) {
    auto journal = agent::Journal::Open(state(), identity::SealingKey{});
    EXPECT_TRUE(journal) << journal.error().message;
    if (!journal) return agent::OobeExit::kFailed;
    agent::OobeOptions options;
    options.root = dir_.path() / "root";
    options.state = state();
    options.preprovision = true;
    options.answers.technician = true;
    options.answers.provision = true;
    options.answers.reseal = true;
    options.network_wait = std::chrono::seconds(1);
    const agent::RunnerFactory runners = [](const json::object&, const std::string&) {
      return Result<agent::ItemRunner>(
          agent::ItemRunner([](const core::PlanItem&, std::stop_token,
                               const agent::ItemProgressFn&) { return agent::ItemOutcome{}; }));
    };
    return agent::RunOobe(options, *client_, *journal, view, runners, SystemClock());
  }
};

// The last item's outcome ends Device setup and the screen moves on; when drawing that took the
// driver past its once-a-second tick, the tick used to be applied to the phase on screen, which
// was none by then (SIGSEGV). The phase's loop now stops at the end of the phase.
TEST_F(AgentPhaseTest, ThePhaseEndsCleanlyWhenItsLastItemFinishesAsATickIsDue) {
  SlowView view(std::chrono::milliseconds(1200));
  EXPECT_EQ(RunTechnicianFlow(view), agent::OobeExit::kDone);
  EXPECT_TRUE(view.slowed) << "Device setup never ended on screen";
}

}  // namespace
}  // namespace groundcrew

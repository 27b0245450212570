#include "device/flow/screen.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "common/text.hpp"
#include "device/flow/screen_json.hpp"

namespace groundcrew::device {
namespace {

using std::chrono::seconds;

constexpr core::Timestamp kT0{seconds{1'700'000'000}};

std::vector<Action> Offered(const Screen& screen) {
  std::vector<Action> actions;
  for (const Button& button : screen.buttons) {
    if (!button.hidden && button.action != Action::kToggleDetails) actions.push_back(button.action);
  }
  return actions;
}

core::ProfileInfo Profile() {
  core::ProfileInfo profile;
  profile.organization_name = "Contoso";
  profile.profile_name = "Contoso laptops";
  profile.registration_id = "ztd-1";
  profile.assigned_user_upn = "adele.vance@contoso.com";
  profile.preprovisioning_allowed = true;
  return profile;
}

core::PhaseRun Running(core::PlanItem item) {
  core::PhasePlan plan{core::EspPhase::kDeviceSetup, {std::move(item)}, 60};
  Result<core::PhaseRun> run = core::StartPhase(core::NewPhaseRun(plan), kT0);
  EXPECT_TRUE(run);
  Result<core::PhaseRun> started = core::Apply(*run, core::ItemStarted{.id = "crm"}, kT0);
  EXPECT_TRUE(started);
  return *started;
}

core::PlanItem Crm() {
  core::PlanItem item;
  item.id = "crm";
  item.display_name = "Sales CRM";
  item.size = 1000;
  return item;
}

TEST(ScreenTest, TheWelcomeScreenTakesTheTechnicianKeyWithoutAdvertisingIt) {
  const Screen screen = WelcomeScreen({});
  EXPECT_EQ(Offered(screen), std::vector<Action>{Action::kNext});
  const Button* key = screen.Find(Action::kTechnicianKey);
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(key->hidden);
  EXPECT_EQ(key->key, 'w');
  for (const std::string& text : screen.text) {
    EXPECT_EQ(text.find("technician"), std::string::npos) << text;
  }
  EXPECT_FALSE(ScreenJson(screen, Secrets::kInclude).contains("technicianKey"));
}

TEST(ScreenTest, TheLandingShowsTheDeviceTheQrCodeAndTheChecksAndWaitsForProvision) {
  core::TechnicianState state;
  state.screen = core::TechnicianScreen::kLanding;
  state.profile = Profile();
  DeviceView device{.checks = {{"Service reachable", true, ""}}};
  const Screen screen = TechnicianScreenOf(state, device);
  EXPECT_EQ(screen.id, ScreenId::kLanding);
  EXPECT_EQ(Offered(screen), (std::vector<Action>{Action::kProvision, Action::kRefresh}));
  EXPECT_EQ(screen.qr, core::QrPayload("ztd-1"));
  EXPECT_FALSE(screen.qr_secret);
  EXPECT_EQ(screen.fields.at(2).value, "adele.vance@contoso.com");
  EXPECT_EQ(screen.checks, device.checks);

  // Refused: the reason, and no button to go on with.
  state.refusal = core::FlowError{core::kPreprovisioningNotAllowedCode, "not allowed"};
  const Screen refused = TechnicianScreenOf(state, device);
  EXPECT_TRUE(Offered(refused).empty());
  ASSERT_TRUE(refused.notice);
  EXPECT_NE(refused.notice->text.find("0x80180005"), std::string::npos) << refused.notice->text;
}

TEST(ScreenTest, AnItemIsDownloadingUntilItsContentIsHereThenInstalling) {
  core::TechnicianState state;
  state.screen = core::TechnicianScreen::kDeviceSetup;
  state.device_setup = Running(Crm());
  DeviceView device{.now = kT0 + seconds(42)};
  device.transfers["crm"] = {400, 1000};
  auto item = [&] {
    const Screen screen = TechnicianScreenOf(state, device);
    EXPECT_EQ(screen.id, ScreenId::kEsp);
    const PhaseLine& setup = screen.phases.at(1);
    EXPECT_EQ(setup.name, "Device setup");
    const CategoryLine& apps = setup.categories.at(3);
    EXPECT_EQ(apps.name, "Apps");
    EXPECT_EQ(apps.status, "0 of 1 installed");
    return apps.items.at(0);
  };
  EXPECT_EQ(item().state, "Downloading");
  EXPECT_EQ(item().progress, "40% (0.4 of 1.0 kB)");
  EXPECT_EQ(item().elapsed, seconds(42));
  device.transfers["crm"] = {1000, 1000};
  EXPECT_EQ(item().state, "Installing");
  EXPECT_EQ(item().progress, "");
}

TEST(ScreenTest, ADoneItemReadsAsItsCategoryCountsIt) {
  const std::pair<core::ItemKind, std::string> kinds[] = {{core::ItemKind::kPolicy, "Applied"},
                                                          {core::ItemKind::kCertificate, "Added"},
                                                          {core::ItemKind::kNetwork, "Added"},
                                                          {core::ItemKind::kApp, "Installed"}};
  for (const auto& [kind, state_name] : kinds) {
    core::PlanItem item = Crm();
    item.kind = kind;
    core::TechnicianState state;
    state.screen = core::TechnicianScreen::kDeviceSetup;
    Result<core::PhaseRun> done =
        core::Apply(Running(item), core::ItemSucceeded{.id = "crm"}, kT0 + seconds(5));
    ASSERT_TRUE(done);
    state.device_setup = *done;
    const Screen screen = TechnicianScreenOf(
        state, DeviceView{.now = kT0 + seconds(6), .details = {core::EspPhase::kDeviceSetup}});
    int shown = 0;
    for (const CategoryLine& category : screen.phases.at(1).categories) {
      if (category.items.empty()) continue;
      ++shown;
      EXPECT_EQ(category.items.at(0).state, state_name) << category.name;
      EXPECT_NE(category.status.find(kind == core::ItemKind::kApp ? "installed"
                                                                  : text::ToLowerAscii(state_name)),
                std::string::npos)
          << category.status;
    }
    EXPECT_EQ(shown, 1);
  }
}

TEST(ScreenTest, TheEspErrorScreenOffersExactlyTheProfilesOptions) {
  core::UserState state;
  state.screen = core::UserScreen::kEspError;
  state.plan = core::EspPlan{};
  state.plan->flow = core::Flow::kUser;
  state.plan->error_options = {.reset = false,
                               .try_again = true,
                               .continue_anyway = false,
                               .collect_logs = true,
                               .message = "Call the help desk"};
  Screen screen = UserScreenOf(state, {});
  EXPECT_EQ(screen.id, ScreenId::kEspError);
  EXPECT_EQ(Offered(screen), (std::vector<Action>{Action::kTryAgain, Action::kCollectLogs}));
  EXPECT_EQ(screen.Find(Action::kContinueAnyway), nullptr);
  EXPECT_EQ(screen.text, std::vector<std::string>{"Call the help desk"});

  state.plan->error_options = {.reset = true, .try_again = false, .continue_anyway = true};
  screen = UserScreenOf(state, {});
  EXPECT_EQ(Offered(screen), (std::vector<Action>{Action::kContinueAnyway, Action::kReset}));
}

TEST(ScreenTest, TheErrorNamesWhatFailedByNameNotById) {
  Result<core::PhaseRun> failed =
      core::Apply(Running(Crm()), core::ItemFailed{.id = "crm", .code = 1603}, kT0);
  ASSERT_TRUE(failed) << failed.error().message;
  ASSERT_EQ(failed->status, core::PhaseStatus::kFailed);
  core::UserState state;
  state.screen = core::UserScreen::kEspError;
  state.device_setup = *failed;
  state.failed_phase = core::EspPhase::kDeviceSetup;
  const Screen screen = UserScreenOf(state, {});
  ASSERT_FALSE(screen.fields.empty());
  EXPECT_EQ(screen.fields[0].label, "Error");
  EXPECT_EQ(screen.fields[0].value, "1603: Sales CRM failed");
}

TEST(ScreenTest, SignInPrefillsAndLocksTheAssignedUserAndShowsTheProblem) {
  core::UserState state;
  state.screen = core::UserScreen::kSignIn;
  state.profile = Profile();
  state.sign_in_problem =
      core::SignInProblem{core::SignInError::kInvalidCredentials, "Your password is incorrect."};
  const Screen screen = UserScreenOf(state, {});
  EXPECT_EQ(screen.title, "Welcome to Contoso");
  ASSERT_EQ(screen.inputs.size(), 2u);
  EXPECT_EQ(screen.inputs[0].value, "adele.vance@contoso.com");
  EXPECT_TRUE(screen.inputs[0].locked);
  EXPECT_TRUE(screen.inputs[1].secret);
  ASSERT_TRUE(screen.notice);
  EXPECT_EQ(screen.notice->text, "Your password is incorrect.");
  EXPECT_EQ(Offered(screen), std::vector<Action>{Action::kSignIn});
}

TEST(ScreenTest, MfaRegistrationShowsTheCodeAndKeyOnTheDevicesScreenOnly) {
  core::UserState state;
  state.screen = core::UserScreen::kMfa;
  state.upn = "adele.vance@contoso.com";
  DeviceView device{.enrollment_uri = "otpauth://totp/Contoso:adele?secret=JBSWY3DPEHPK3PXP",
                    .enrollment_secret = "JBSWY3DPEHPK3PXP"};
  const Screen screen = UserScreenOf(state, device);
  EXPECT_EQ(screen.id, ScreenId::kMfaRegistration);
  EXPECT_EQ(screen.qr, device.enrollment_uri);
  EXPECT_TRUE(screen.qr_secret);
  EXPECT_EQ(screen.fields.at(1).value, "JBSW Y3DP EHPK 3PXP");
  EXPECT_EQ(screen.inputs.at(0).name, "code");
  const std::string logged = boost::json::serialize(ScreenJson(screen, Secrets::kLeaveOut));
  EXPECT_EQ(logged.find("JBSW"), std::string::npos) << logged;
  const std::string own = boost::json::serialize(ScreenJson(screen, Secrets::kInclude));
  EXPECT_NE(own.find("JBSWY3DPEHPK3PXP"), std::string::npos) << own;

  // Without a new authenticator: the code only.
  EXPECT_EQ(UserScreenOf(state, {}).id, ScreenId::kMfa);
}

TEST(ScreenTest, TheUserFlowShowsDevicePreparationCompleteAndWaitsForPrivacy) {
  core::UserState state;
  state.screen = core::UserScreen::kPrivacy;
  const Screen screen = UserScreenOf(state, {});
  EXPECT_EQ(screen.id, ScreenId::kPrivacy);
  EXPECT_EQ(Offered(screen), std::vector<Action>{Action::kAccept});
  ASSERT_EQ(screen.phases.size(), 3u);
  EXPECT_EQ(screen.phases[0].status, "Complete");
}

TEST(ScreenTest, NamesRoundTrip) {
  for (Action action : {Action::kProvision, Action::kContinueAnyway, Action::kToggleDetails}) {
    EXPECT_EQ(ActionFromName(ActionName(action)), action);
  }
  EXPECT_EQ(ActionFromName("continue"), std::nullopt);
  EXPECT_EQ(ScreenIdName(ScreenId::kEspError), "espError");
}

TEST(ScreenTest, FormatsTransfersAndElapsedTimes) {
  EXPECT_EQ(FormatTransfer({1'200'000, 2'900'000}), "41% (1.2 of 2.9 MB)");
  EXPECT_EQ(FormatTransfer({300, 900}), "33% (300 of 900 B)");
  EXPECT_EQ(FormatTransfer({1'234'567, 0}), "1.2 MB");
  EXPECT_EQ(FormatTransfer({1'100, 1'000}), "100% (1.0 of 1.0 kB)");
  EXPECT_EQ(FormatTransfer({UINT64_MAX / 2, UINT64_MAX}), "49% (9223372036.9 of 18446744073.7 GB)");
  EXPECT_EQ(FormatElapsed(seconds(45)), "45 s");
  EXPECT_EQ(FormatElapsed(seconds(185)), "3 min 05 s");
  EXPECT_EQ(FormatElapsed(seconds(3720)), "1 h 02 min");
}

}  // namespace
}  // namespace groundcrew::device

#include "core/flow/user_flow.hpp"

#include <gtest/gtest.h>

namespace groundcrew::core {
namespace {

using std::chrono::minutes;
using Screen = UserScreen;

constexpr Timestamp kT0{std::chrono::seconds{1'700'000'000}};

ProfileInfo Profile(bool privacy_hidden = false, std::string assigned = "alice@contoso.com") {
  ProfileInfo profile;
  profile.organization_name = "Contoso";
  profile.profile_name = "Depot";
  profile.registration_id = "ztd-1";
  profile.assigned_user_upn = std::move(assigned);
  profile.preprovisioning_allowed = true;
  profile.privacy_settings_hidden = privacy_hidden;
  profile.eula_hidden = true;
  profile.locale = "en-US";
  profile.keyboard_selection_page_skipped = true;
  return profile;
}

PlanItem App(std::string id, bool blocking = true) {
  PlanItem item;
  item.id = std::move(id);
  item.display_name = item.id;
  item.blocking = blocking;
  return item;
}

EspPlan Plan(std::vector<PlanItem> device, std::vector<PlanItem> account,
             EspErrorOptions options = {}) {
  EspPlan plan;
  plan.flow = Flow::kUser;
  plan.esp_profile_name = "Contoso ESP";
  plan.show_progress = true;
  plan.error_options = std::move(options);
  plan.device_setup = PhasePlan{EspPhase::kDeviceSetup, std::move(device), 60};
  plan.account_setup = PhasePlan{EspPhase::kAccountSetup, std::move(account), 60};
  return plan;
}

EspErrorOptions AllOptions() {
  EspErrorOptions options;
  options.reset = true;
  options.try_again = true;
  options.continue_anyway = true;
  options.collect_logs = true;
  return options;
}

class Driver {
 public:
  Driver& Do(const UserEvent& event, Timestamp now) {
    Result<UserState> next = Apply(state_, event, now);
    EXPECT_TRUE(next.has_value()) << ToString(event) << " on " << ToString(state_.screen) << ": "
                                  << next.error().message;
    if (next) state_ = std::move(*next);
    return *this;
  }
  Result<UserState> Try(const UserEvent& event, Timestamp now) const {
    return Apply(state_, event, now);
  }
  Driver& ToSignIn(ProfileInfo profile = Profile()) {
    return Do(NetworkUp{}, kT0).Do(ProfileReceived{std::move(profile)}, kT0);
  }
  Driver& SignIn(std::string upn = "alice@contoso.com") {
    return Do(SignInSubmitted{std::move(upn)}, kT0).Do(SignInAccepted{}, kT0);
  }
  Driver& Install(const std::string& id, Timestamp now) {
    return Do(ItemStarted{.id = id}, now).Do(ItemSucceeded{.id = id}, now);
  }
  Driver& Fail(const std::string& id, Timestamp now) {
    return Do(ItemStarted{.id = id}, now).Do(ItemFailed{.id = id, .code = 1603}, now);
  }
  const UserState& state() const { return state_; }

 private:
  UserState state_;
};

TEST(UserFlowTest, HappyPathWithMfaPrivacyAndQualityUpdates) {
  Driver d;
  d.ToSignIn();
  EXPECT_EQ(d.state().screen, Screen::kSignIn);
  EXPECT_EQ(PrefilledUpn(d.state()), "alice@contoso.com");
  d.Do(SignInSubmitted{"ALICE@contoso.com"}, kT0);  // ASCII case-insensitive
  EXPECT_EQ(d.state().screen, Screen::kSigningIn);
  d.Do(MfaRequired{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kMfa);
  d.Do(MfaCodeRefused{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kMfa);
  EXPECT_EQ(d.state().mfa_failures, 1);
  d.Do(MfaCodeAccepted{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kIdentifying);
  EXPECT_TRUE(d.state().signed_in);
  EXPECT_EQ(PhaseStatusOf(d.state(), EspPhase::kDevicePreparation), PhaseStatus::kComplete);

  EspPlan plan = Plan({App("new-app")}, {App("user-app")});
  plan.install_quality_updates = true;
  d.Do(PlanReceived{plan}, kT0 + minutes(1));
  EXPECT_EQ(d.state().screen, Screen::kDeviceSetup);
  EXPECT_TRUE(EspShown(d.state()));
  d.Install("new-app", kT0 + minutes(5));
  EXPECT_EQ(d.state().screen, Screen::kPrivacy);  // privacy appears when Account setup begins
  EXPECT_EQ(PhaseStatusOf(d.state(), EspPhase::kAccountSetup), PhaseStatus::kNotStarted);
  d.Do(PrivacyAccepted{}, kT0 + minutes(20));
  EXPECT_EQ(d.state().screen, Screen::kAccountSetup);
  EXPECT_EQ(d.state().account_setup->started_at, kT0 + minutes(20));
  d.Install("user-app", kT0 + minutes(25));
  EXPECT_EQ(d.state().screen, Screen::kQualityUpdates);
  EXPECT_EQ(DeploymentStateOf(d.state()), DeploymentState::kInProgress);
  d.Do(QualityUpdatesDone{}, kT0 + minutes(50));
  EXPECT_EQ(d.state().screen, Screen::kDesktop);
  EXPECT_EQ(DeploymentStateOf(d.state()), DeploymentState::kSuccess);
}

TEST(UserFlowTest, ComplianceIsResetAtSignInAndEvaluatedAtTheDesktop) {
  Driver d;
  d.ToSignIn(Profile(/*privacy_hidden=*/true));
  UserState compliant_before = d.state();
  compliant_before.compliance.state = ComplianceState::kCompliant;  // after the technician flow
  Result<UserState> signed_in = Apply(compliant_before, SignInSubmitted{"alice@contoso.com"}, kT0);
  ASSERT_TRUE(signed_in.has_value());
  signed_in = Apply(*signed_in, SignInAccepted{}, kT0);
  ASSERT_TRUE(signed_in.has_value());
  EXPECT_EQ(signed_in->compliance.state, ComplianceState::kUnknown);
  EXPECT_FALSE(signed_in->compliance.note.empty());

  ComplianceResult evaluated;
  evaluated.state = ComplianceState::kNoncompliant;
  evaluated.findings = {{"Baseline", "osMinimumVersion", ">= 13", "12.7"}};
  // Not before the desktop: the flow is still setting the device up.
  EXPECT_FALSE(Apply(*signed_in, ComplianceEvaluated{evaluated}, kT0).has_value());

  Result<UserState> desktop = Apply(*signed_in, PlanReceived{Plan({}, {})}, kT0);
  ASSERT_TRUE(desktop.has_value());
  ASSERT_EQ(desktop->screen, Screen::kDesktop);
  desktop = Apply(*desktop, ComplianceEvaluated{evaluated}, kT0 + minutes(1));
  ASSERT_TRUE(desktop.has_value());
  EXPECT_EQ(desktop->compliance.state, ComplianceState::kNoncompliant);
  EXPECT_EQ(desktop->compliance.findings.size(), 1u);
}

TEST(UserFlowTest, HiddenPrivacyGoesStraightToAccountSetup) {
  Driver d;
  d.ToSignIn(Profile(/*privacy_hidden=*/true)).SignIn();
  d.Do(PlanReceived{Plan({}, {App("user-app")})}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kAccountSetup);
  d.Install("user-app", kT0);
  EXPECT_EQ(d.state().screen, Screen::kDesktop);
}

TEST(UserFlowTest, OobePagesComeBeforeSignIn) {
  ProfileInfo profile = Profile();
  profile.eula_hidden = false;
  profile.locale = "os-default";
  Driver d;
  d.ToSignIn(profile);
  EXPECT_EQ(d.state().screen, Screen::kOobePages);
  EXPECT_EQ(d.state().pages,
            (std::vector<OobePage>{OobePage::kRegion, OobePage::kKeyboard, OobePage::kEula}));
  d.Do(PageConfirmed{}, kT0).Do(PageConfirmed{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kOobePages);
  d.Do(PageConfirmed{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kSignIn);
}

TEST(UserFlowTest, NoNetworkAtStartShowsRegionAndKeyboardOnce) {
  Driver d;
  d.Do(NetworkDown{}, kT0).Do(RegionKeyboardConfirmed{}, kT0).Do(NetworkConnected{}, kT0);
  ProfileInfo profile = Profile();
  profile.locale = "os-default";
  d.Do(ProfileReceived{profile}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kSignIn);
  EXPECT_TRUE(d.state().pages.empty());
}

TEST(UserFlowTest, SomeoneElseThanTheAssignedUserIsRefusedOnTheDevice) {
  Driver d;
  d.ToSignIn();
  d.Do(SignInSubmitted{"bob@contoso.com"}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kSignIn);
  ASSERT_TRUE(d.state().sign_in_problem);
  EXPECT_EQ(d.state().sign_in_problem->error, SignInError::kNotAssignedUser);
  EXPECT_NE(d.state().sign_in_problem->message.find("alice@contoso.com"), std::string::npos);
  d.SignIn();
  EXPECT_FALSE(d.state().sign_in_problem);
  EXPECT_EQ(d.state().upn, "alice@contoso.com");
}

TEST(UserFlowTest, ServiceRefusalsReturnToSignInWithTheReason) {
  const SignInError errors[] = {SignInError::kInvalidCredentials, SignInError::kLockedOut,
                                SignInError::kOutsideMdmScope,    SignInError::kJoinNotAllowed,
                                SignInError::kDisabled,           SignInError::kUnlicensed};
  for (SignInError error : errors) {
    Driver d;
    d.ToSignIn(Profile(false, /*assigned=*/"")).Do(SignInSubmitted{"bob@contoso.com"}, kT0);
    d.Do(SignInRefused{SignInProblem{error, "no"}}, kT0);
    EXPECT_EQ(d.state().screen, Screen::kSignIn);
    EXPECT_EQ(d.state().sign_in_problem->error, error) << ToString(error);
    EXPECT_FALSE(d.state().signed_in);
  }
  Driver mfa;
  mfa.ToSignIn().Do(SignInSubmitted{"alice@contoso.com"}, kT0).Do(MfaRequired{}, kT0);
  mfa.Do(SignInRefused{SignInProblem{SignInError::kLockedOut, "locked"}}, kT0);
  EXPECT_EQ(mfa.state().screen, Screen::kSignIn);
}

TEST(UserFlowTest, EligibilityReasonsMapOntoSignInErrors) {
  EXPECT_EQ(ToSignInError(SignInRefusal::Reason::kOutsideMdmScope), SignInError::kOutsideMdmScope);
  EXPECT_EQ(ToSignInError(SignInRefusal::Reason::kUnlicensed), SignInError::kUnlicensed);
  EXPECT_EQ(ToSignInError(SignInRefusal::Reason::kNotAssignedUser), SignInError::kNotAssignedUser);
  EXPECT_EQ(ToString(SignInError::kJoinNotAllowed), "join-not-allowed");
}

struct ErrorOptionCase {
  const char* name;
  UserEvent choice;
  Screen screen;
  DeploymentState final_state;
};

class UserFlowErrorOptionTest : public ::testing::TestWithParam<ErrorOptionCase> {};

TEST_P(UserFlowErrorOptionTest, DeviceSetupFailureOffersTheProfileOptions) {
  const ErrorOptionCase& c = GetParam();
  Driver d;
  d.ToSignIn(Profile(/*privacy_hidden=*/true)).SignIn();
  d.Do(PlanReceived{Plan({App("vpn"), App("b")}, {}, AllOptions())}, kT0);
  d.Install("b", kT0).Fail("vpn", kT0 + minutes(1));
  ASSERT_EQ(d.state().screen, Screen::kEspError);
  EXPECT_EQ(d.state().failed_phase, EspPhase::kDeviceSetup);
  EXPECT_EQ(DeploymentStateOf(d.state()), DeploymentState::kFailure);
  d.Do(c.choice, kT0 + minutes(2));
  if (d.state().screen == Screen::kDeviceSetup) {
    EXPECT_EQ(FindItem(*d.state().device_setup, "b")->status, ItemStatus::kSucceeded);
    d.Install("vpn", kT0 + minutes(3));
  }
  EXPECT_EQ(d.state().screen, c.screen) << ToString(d.state().screen);
  EXPECT_EQ(DeploymentStateOf(d.state()), c.final_state);
}

INSTANTIATE_TEST_SUITE_P(
    Options, UserFlowErrorOptionTest,
    ::testing::Values(ErrorOptionCase{"TryAgain", TryAgainPressed{}, Screen::kDesktop,
                                      DeploymentState::kSuccessOnRetry},
                      ErrorOptionCase{"ContinueAnyway", ContinueAnywayPressed{}, Screen::kDesktop,
                                      DeploymentState::kSuccessWithTimeout},
                      ErrorOptionCase{"Reset", ResetPressed{}, Screen::kReset,
                                      DeploymentState::kFailure},
                      ErrorOptionCase{"CollectLogs", CollectLogsPressed{}, Screen::kEspError,
                                      DeploymentState::kFailure}),
    [](const ::testing::TestParamInfo<ErrorOptionCase>& info) { return info.param.name; });

TEST(UserFlowTest, OptionsTheProfileDoesNotOfferAreRefused) {
  EspErrorOptions none;
  none.try_again = false;
  Driver d;
  d.ToSignIn(Profile(true)).SignIn();
  d.Do(PlanReceived{Plan({App("vpn")}, {}, none)}, kT0).Fail("vpn", kT0);
  ASSERT_EQ(d.state().screen, Screen::kEspError);
  for (const UserEvent& choice : std::vector<UserEvent>{TryAgainPressed{}, ContinueAnywayPressed{},
                                                        ResetPressed{}, CollectLogsPressed{}}) {
    Result<UserState> next = d.Try(choice, kT0);
    ASSERT_FALSE(next) << ToString(choice);
    EXPECT_EQ(next.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_NE(next.error().message.find("is not offered"), std::string::npos);
  }
}

TEST(UserFlowTest, AccountSetupTimeoutThenTryAgain) {
  Driver d;
  d.ToSignIn(Profile(true)).SignIn();
  d.Do(PlanReceived{Plan({}, {App("office")}, AllOptions())}, kT0);
  d.Do(ItemStarted{.id = "office"}, kT0).Do(Tick{}, kT0 + minutes(60));
  ASSERT_EQ(d.state().screen, Screen::kEspError);
  EXPECT_EQ(d.state().failed_phase, EspPhase::kAccountSetup);
  EXPECT_EQ(d.state().account_setup->failure->items, std::vector<std::string>{"office"});
  d.Do(TryAgainPressed{}, kT0 + minutes(61));
  EXPECT_EQ(d.state().screen, Screen::kAccountSetup);
  d.Install("office", kT0 + minutes(62));
  EXPECT_EQ(DeploymentStateOf(d.state()), DeploymentState::kSuccessOnRetry);
}

TEST(UserFlowTest, RestartDuringDeviceSetupResumesWithoutSigningInAgain) {
  Driver d;
  d.ToSignIn().SignIn();
  d.Do(PlanReceived{Plan({App("driver"), App("b")}, {})}, kT0);
  d.Do(ItemStarted{.id = "driver"}, kT0)
      .Do(ItemSucceeded{.id = "driver", .reboot = RebootKind::kHard}, kT0);
  EXPECT_FALSE(d.Try(ItemStarted{.id = "b"}, kT0));
  d.Do(Rebooted{}, kT0 + minutes(2));
  EXPECT_EQ(d.state().screen, Screen::kDeviceSetup);
  EXPECT_TRUE(d.state().signed_in);
  EXPECT_EQ(d.state().upn, "alice@contoso.com");
  d.Install("b", kT0 + minutes(3));
  EXPECT_EQ(d.state().screen, Screen::kPrivacy);
}

TEST(UserFlowTest, RestartBeforeSignInStartsOver) {
  Driver d;
  d.ToSignIn().Do(SignInSubmitted{"alice@contoso.com"}, kT0).Do(MfaRequired{}, kT0);
  d.Do(Rebooted{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kNetworkCheck);
  EXPECT_FALSE(d.state().profile);
  EXPECT_TRUE(d.state().upn.empty());
}

TEST(UserFlowTest, HiddenEspShowsTheDesktopAfterSignInAndPrivacy) {
  Driver d;
  d.ToSignIn().SignIn();
  EspPlan plan = Plan({App("a")}, {App("b")});
  plan.show_progress = false;
  d.Do(PlanReceived{plan}, kT0);
  EXPECT_FALSE(EspShown(d.state()));
  EXPECT_EQ(d.state().screen, Screen::kPrivacy);
  d.Do(PrivacyAccepted{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kDesktop);
  EXPECT_FALSE(d.state().device_setup);
  EXPECT_FALSE(d.state().account_setup);
  EXPECT_EQ(DeploymentStateOf(d.state()), DeploymentState::kSuccess);
}

TEST(UserFlowTest, BadInputAndEventsOutOfPlace) {
  Driver d;
  d.ToSignIn();
  Result<UserState> empty = d.Try(SignInSubmitted{""}, kT0);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  Result<UserState> early = d.Try(PlanReceived{Plan({}, {})}, kT0);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(early.error().message.find("plan-received is not allowed on the sign-in screen"),
            std::string::npos);
  EXPECT_FALSE(d.Try(ItemStarted{.id = "a"}, kT0));
  EXPECT_FALSE(d.Try(MfaCodeAccepted{}, kT0));
  EXPECT_FALSE(d.Try(PrivacyAccepted{}, kT0));
  EXPECT_FALSE(d.Try(TryAgainPressed{}, kT0));
  d.SignIn();
  EspPlan technician = Plan({}, {});
  technician.flow = Flow::kTechnician;
  Result<UserState> wrong = d.Try(PlanReceived{technician}, kT0);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace groundcrew::core

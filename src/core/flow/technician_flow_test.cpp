#include "core/flow/technician_flow.hpp"

#include <gtest/gtest.h>

namespace groundcrew::core {
namespace {

using std::chrono::minutes;
using Screen = TechnicianScreen;

constexpr Timestamp kT0{std::chrono::seconds{1'700'000'000}};

ProfileInfo Profile(bool allowed = true) {
  ProfileInfo profile;
  profile.organization_name = "Contoso";
  profile.profile_name = "Depot";
  profile.registration_id = "ztd-1";
  profile.assigned_user_upn = "alice@contoso.com";
  profile.preprovisioning_allowed = allowed;
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

EspPlan Plan(std::vector<PlanItem> items, bool show_progress = true) {
  EspPlan plan;
  plan.flow = Flow::kTechnician;
  plan.show_progress = show_progress;
  plan.device_setup = PhasePlan{EspPhase::kDeviceSetup, std::move(items), 60};
  return plan;
}

// Drives a flow; every step must be accepted.
class Driver {
 public:
  Driver& Do(const TechnicianEvent& event, Timestamp now) {
    Result<TechnicianState> next = Apply(state_, event, now);
    EXPECT_TRUE(next.has_value()) << ToString(event) << " on " << ToString(state_.screen) << ": "
                                  << next.error().message;
    if (next) state_ = std::move(*next);
    return *this;
  }
  Result<TechnicianState> Try(const TechnicianEvent& event, Timestamp now) const {
    return Apply(state_, event, now);
  }
  // network -> profile -> 5 presses -> pre-provision -> landing.
  Driver& ToLanding(ProfileInfo profile = Profile()) {
    Do(NetworkUp{}, kT0).Do(ProfileReceived{profile}, kT0);
    for (int i = 0; i < kTechnicianKeyPresses; ++i) Do(TechnicianKeyPressed{}, kT0);
    return Do(OptionChosen{MenuOption::kPreprovision}, kT0);
  }
  // landing -> Device setup with `plan`.
  Driver& ToDeviceSetup(EspPlan plan, Timestamp now = kT0) {
    Do(ProvisionPressed{}, now);
    Do(StepSucceeded{PreparationStep::kSecuringHardware}, now);
    Do(StepSucceeded{PreparationStep::kJoiningOrganization}, now);
    Do(StepSucceeded{PreparationStep::kRegisteringForManagement}, now);
    return Do(TrackingCreated{std::move(plan)}, now);
  }
  Driver& Install(const std::string& id, Timestamp now) {
    return Do(ItemStarted{.id = id}, now).Do(ItemSucceeded{.id = id}, now);
  }
  const TechnicianState& state() const { return state_; }

 private:
  TechnicianState state_;
};

TEST(TechnicianFlowTest, HappyPathEndsResealedWithTheResult) {
  Driver d;
  d.Do(NetworkUp{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kProfileDownload);
  d.Do(ProfileReceived{Profile()}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kFirstScreen);
  EXPECT_EQ(d.state().first_screen, OobePage::kSignIn);  // locale set, keyboard and EULA hidden
  EXPECT_EQ(DeploymentStateOf(d.state()), DeploymentState::kNotAttempted);
  for (int i = 0; i < kTechnicianKeyPresses; ++i) d.Do(TechnicianKeyPressed{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kOptionsMenu);
  d.Do(OptionChosen{MenuOption::kPreprovision}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kLanding);

  d.Do(ProvisionPressed{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kDevicePreparation);
  EXPECT_EQ(DeploymentStateOf(d.state()), DeploymentState::kInProgress);
  EXPECT_EQ(FindItem(d.state().preparation, "securing-hardware")->status, ItemStatus::kInProgress);
  d.Do(StepSucceeded{PreparationStep::kSecuringHardware}, kT0 + minutes(1));
  EXPECT_EQ(FindItem(d.state().preparation, "joining-organization")->status,
            ItemStatus::kInProgress);
  d.Do(StepSucceeded{PreparationStep::kJoiningOrganization}, kT0 + minutes(2));
  d.Do(StepSucceeded{PreparationStep::kRegisteringForManagement}, kT0 + minutes(3));
  d.Do(TrackingCreated{Plan({App("vpn"), App("office")})}, kT0 + minutes(4));
  EXPECT_EQ(d.state().preparation.status, PhaseStatus::kComplete);
  EXPECT_EQ(d.state().screen, Screen::kDeviceSetup);
  EXPECT_EQ(PhaseStatusOf(d.state(), EspPhase::kDeviceSetup), PhaseStatus::kInProgress);

  d.Install("vpn", kT0 + minutes(10)).Install("office", kT0 + minutes(25));
  ASSERT_EQ(d.state().screen, Screen::kResultSuccess);
  ASSERT_TRUE(d.state().result);
  const TechnicianResult& result = *d.state().result;
  EXPECT_TRUE(result.success);
  EXPECT_EQ(result.organization_name, "Contoso");
  EXPECT_EQ(result.profile_name, "Depot");
  EXPECT_EQ(result.assigned_user_upn, "alice@contoso.com");
  EXPECT_EQ(result.registration_id, "ztd-1");
  EXPECT_NE(result.qr_payload.find(R"("ZtdId":"ztd-1")"), std::string::npos);
  EXPECT_EQ(result.elapsed, minutes(25));
  EXPECT_EQ(DeploymentStateOf(d.state()), DeploymentState::kSuccess);

  d.Do(ResealPressed{}, kT0 + minutes(26));
  EXPECT_EQ(d.state().screen, Screen::kResealed);
  EXPECT_TRUE(d.state().result->resealed);
  EXPECT_EQ(d.state().result->resealed_at, kT0 + minutes(26));
  EXPECT_EQ(PhaseStatusOf(d.state(), EspPhase::kAccountSetup), PhaseStatus::kNotStarted);
}

TEST(TechnicianFlowTest, ThePhaseOnScreenAndTheStepInProgressFollowTheScreens) {
  Driver d;
  d.ToLanding();
  EXPECT_EQ(PhaseOnScreen(d.state()), nullptr);
  EXPECT_EQ(StepInProgress(d.state()), std::nullopt);
  EXPECT_EQ(PhaseRuns(d.state()).size(), 1u);  // Device preparation only
  d.Do(ProvisionPressed{}, kT0);
  ASSERT_NE(PhaseOnScreen(d.state()), nullptr);
  EXPECT_EQ(PhaseOnScreen(d.state())->phase, EspPhase::kDevicePreparation);
  EXPECT_EQ(StepInProgress(d.state()), PreparationStep::kSecuringHardware);
  d.Do(StepSucceeded{PreparationStep::kSecuringHardware}, kT0);
  EXPECT_EQ(StepInProgress(d.state()), PreparationStep::kJoiningOrganization);
  d.Do(StepSucceeded{PreparationStep::kJoiningOrganization}, kT0);
  d.Do(StepSucceeded{PreparationStep::kRegisteringForManagement}, kT0);
  d.Do(TrackingCreated{Plan({App("vpn")})}, kT0);
  ASSERT_NE(PhaseOnScreen(d.state()), nullptr);
  EXPECT_EQ(PhaseOnScreen(d.state())->phase, EspPhase::kDeviceSetup);
  EXPECT_EQ(StepInProgress(d.state()), std::nullopt);
  ASSERT_EQ(PhaseRuns(d.state()).size(), 2u);
  EXPECT_EQ(PhaseRuns(d.state())[1]->phase, EspPhase::kDeviceSetup);
  d.Install("vpn", kT0);
  EXPECT_EQ(PhaseOnScreen(d.state()), nullptr);  // the result screen
}

TEST(PreparationFailureCode, IsTheCodeEachStepShows) {
  EXPECT_EQ(PreparationFailureCode(PreparationStep::kSecuringHardware), 0x80070005);
  EXPECT_EQ(PreparationFailureCode(PreparationStep::kJoiningOrganization), 0x801C0003);
  EXPECT_EQ(PreparationFailureCode(PreparationStep::kRegisteringForManagement), 0x80180001);
  EXPECT_EQ(PreparationFailureCode(PreparationStep::kRegisteringForManagement, true),
            kDeviceAlreadyEnrolledCode);
  EXPECT_EQ(PreparationFailureCode(PreparationStep::kPreparingForManagement), 0x80180002);
}

TEST(TechnicianFlowTest, NoNetworkAtStartShowsRegionAndKeyboardEvenIfTheProfileHidesThem) {
  Driver d;
  d.Do(NetworkDown{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kRegionKeyboard);
  d.Do(RegionKeyboardConfirmed{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kConnectNetwork);
  d.Do(NetworkConnected{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kProfileDownload);
  ProfileInfo profile = Profile();
  profile.locale = "os-default";
  profile.eula_hidden = false;
  d.Do(ProfileReceived{profile}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kFirstScreen);
  EXPECT_EQ(d.state().first_screen, OobePage::kEula);  // region was shown already
}

TEST(TechnicianFlowTest, FewerThanFivePressesDoNotOpenTheMenu) {
  Driver d;
  d.Do(NetworkUp{}, kT0).Do(ProfileReceived{Profile()}, kT0);
  for (int i = 1; i < kTechnicianKeyPresses; ++i) {
    d.Do(TechnicianKeyPressed{}, kT0);
    EXPECT_EQ(d.state().screen, Screen::kFirstScreen);
    EXPECT_EQ(d.state().technician_key_presses, i);
  }
  d.Do(TechnicianKeyPressed{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kOptionsMenu);
  d.Do(OptionChosen{MenuOption::kBack}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kFirstScreen);
  EXPECT_EQ(d.state().technician_key_presses, 0);
}

TEST(TechnicianFlowTest, ProfileThatForbidsPreprovisioningIsRefusedAtLandingUntilRefreshed) {
  Driver d;
  d.ToLanding(Profile(/*allowed=*/false));
  d.Do(ProvisionPressed{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kLanding);
  ASSERT_TRUE(d.state().refusal);
  EXPECT_EQ(d.state().refusal->code, kPreprovisioningNotAllowedCode);
  EXPECT_NE(d.state().refusal->message.find("Depot"), std::string::npos);
  EXPECT_EQ(d.state().preparation.status, PhaseStatus::kNotStarted);
  EXPECT_EQ(DeploymentStateOf(d.state()), DeploymentState::kFailure);

  d.Do(RefreshPressed{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kProfileDownload);
  d.Do(ProfileReceived{Profile(/*allowed=*/true)}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kLanding);
  EXPECT_FALSE(d.state().refusal);
  d.Do(ProvisionPressed{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kDevicePreparation);
}

TEST(TechnicianFlowTest, NoProfileIsRefusedAtLanding) {
  Driver d;
  d.Do(NetworkUp{}, kT0).Do(ProfileUnavailable{"device not registered"}, kT0);
  EXPECT_EQ(d.state().first_screen, OobePage::kRegion);
  for (int i = 0; i < kTechnicianKeyPresses; ++i) d.Do(TechnicianKeyPressed{}, kT0);
  d.Do(OptionChosen{MenuOption::kPreprovision}, kT0).Do(ProvisionPressed{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kLanding);
  ASSERT_TRUE(d.state().refusal);
  EXPECT_NE(d.state().refusal->message.find("device not registered"), std::string::npos);
}

TEST(TechnicianFlowTest, ServiceRefusalReturnsToLandingBeforeAnythingIsInstalled) {
  Driver d;
  d.ToLanding().Do(ProvisionPressed{}, kT0);
  d.Do(PreprovisioningRefused{FlowError{kDeviceAlreadyEnrolledCode, "already enrolled"}}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kLanding);
  EXPECT_EQ(d.state().refusal->code, kDeviceAlreadyEnrolledCode);
  EXPECT_EQ(d.state().preparation.status, PhaseStatus::kNotStarted);
  EXPECT_FALSE(d.state().device_setup);
}

TEST(TechnicianFlowTest, FailedStepShowsFailureAndRetryResumesIt) {
  Driver d;
  d.ToLanding().Do(ProvisionPressed{}, kT0);
  d.Do(StepSucceeded{PreparationStep::kSecuringHardware}, kT0);
  d.Do(StepFailed{PreparationStep::kJoiningOrganization, 0x801C03EA, "attestation failed"},
       kT0 + minutes(2));
  ASSERT_EQ(d.state().screen, Screen::kResultFailure);
  EXPECT_EQ(d.state().failed_phase, EspPhase::kDevicePreparation);
  ASSERT_TRUE(d.state().result->error);
  EXPECT_EQ(d.state().result->error->code, 0x801C03EA);
  EXPECT_NE(d.state().result->error->message.find("Joining your organization's network"),
            std::string::npos);
  EXPECT_EQ(d.state().result->elapsed, minutes(2));
  d.Do(DiagnosticsPressed{}, kT0 + minutes(3));
  EXPECT_TRUE(d.state().diagnostics_exported);

  d.Do(RetryPressed{}, kT0 + minutes(5));
  EXPECT_EQ(d.state().screen, Screen::kDevicePreparation);
  EXPECT_EQ(FindItem(d.state().preparation, "securing-hardware")->status, ItemStatus::kSucceeded);
  EXPECT_EQ(FindItem(d.state().preparation, "joining-organization")->status,
            ItemStatus::kInProgress);
  d.Do(StepSucceeded{PreparationStep::kJoiningOrganization}, kT0 + minutes(6));
  d.Do(StepSucceeded{PreparationStep::kRegisteringForManagement}, kT0 + minutes(7));
  d.Do(TrackingCreated{Plan({})}, kT0 + minutes(8));
  EXPECT_EQ(d.state().screen, Screen::kResultSuccess);
  EXPECT_EQ(DeploymentStateOf(d.state()), DeploymentState::kSuccessOnRetry);
}

TEST(TechnicianFlowTest, StepTimesOutAfterFifteenMinutes) {
  Driver d;
  d.ToLanding().Do(ProvisionPressed{}, kT0);
  d.Do(Tick{}, kT0 + minutes(14));
  EXPECT_EQ(d.state().screen, Screen::kDevicePreparation);
  d.Do(Tick{}, kT0 + minutes(15));
  ASSERT_EQ(d.state().screen, Screen::kResultFailure);
  EXPECT_EQ(d.state().result->error->code, kTimeoutErrorCode);
  EXPECT_NE(d.state().result->error->message.find("Securing your hardware"), std::string::npos);
}

TEST(TechnicianFlowTest, BlockingItemFailureInDeviceSetupThenReset) {
  Driver d;
  d.ToLanding().ToDeviceSetup(Plan({App("vpn"), App("office", false)}));
  d.Do(ItemStarted{.id = "vpn"}, kT0).Do(ItemFailed{.id = "vpn", .code = 1603}, kT0);
  ASSERT_EQ(d.state().screen, Screen::kResultFailure);
  EXPECT_EQ(d.state().failed_phase, EspPhase::kDeviceSetup);
  EXPECT_EQ(d.state().result->error->code, 1603);
  EXPECT_FALSE(d.state().result->success);
  d.Do(ResetPressed{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kReset);
  EXPECT_EQ(DeploymentStateOf(d.state()), DeploymentState::kFailure);
}

TEST(TechnicianFlowTest, RetryResumesDeviceSetupKeepingInstalledItems) {
  Driver d;
  d.ToLanding().ToDeviceSetup(Plan({App("a"), App("b")}));
  d.Install("a", kT0 + minutes(1));
  d.Do(ItemStarted{.id = "b"}, kT0 + minutes(2)).Do(Tick{}, kT0 + minutes(61));
  ASSERT_EQ(d.state().screen, Screen::kResultFailure);
  EXPECT_NE(d.state().result->error->message.find("still installing: b"), std::string::npos);
  d.Do(RetryPressed{}, kT0 + minutes(62));
  EXPECT_EQ(d.state().screen, Screen::kDeviceSetup);
  EXPECT_EQ(FindItem(*d.state().device_setup, "a")->status, ItemStatus::kSucceeded);
  d.Install("b", kT0 + minutes(70));
  EXPECT_EQ(d.state().screen, Screen::kResultSuccess);
  EXPECT_EQ(DeploymentStateOf(d.state()), DeploymentState::kSuccessOnRetry);
  EXPECT_EQ(d.state().result->elapsed, minutes(70));
}

TEST(TechnicianFlowTest, HiddenEspGoesStraightToSuccessAfterPreparation) {
  Driver d;
  d.ToLanding().ToDeviceSetup(Plan({App("vpn")}, /*show_progress=*/false));
  EXPECT_EQ(d.state().screen, Screen::kResultSuccess);
  EXPECT_FALSE(d.state().device_setup);
}

TEST(TechnicianFlowTest, RestartBeforeProvisionStartsOverAndDuringEspResumes) {
  Driver d;
  d.ToLanding();
  d.Do(Rebooted{}, kT0);
  EXPECT_EQ(d.state().screen, Screen::kNetworkCheck);
  EXPECT_FALSE(d.state().profile);  // downloaded again after every restart
  d.ToLanding().ToDeviceSetup(Plan({App("a"), App("b")}));
  d.Do(ItemStarted{.id = "a"}, kT0).Do(Rebooted{}, kT0 + minutes(1));
  EXPECT_EQ(d.state().screen, Screen::kDeviceSetup);
  EXPECT_EQ(FindItem(*d.state().device_setup, "a")->status, ItemStatus::kWaiting);
  d.Install("a", kT0 + minutes(2)).Install("b", kT0 + minutes(3));
  EXPECT_EQ(d.state().screen, Screen::kResultSuccess);
}

TEST(TechnicianFlowTest, RestartDuringPreparationRestartsTheStep) {
  Driver d;
  d.ToLanding().Do(ProvisionPressed{}, kT0);
  d.Do(Rebooted{}, kT0 + minutes(10));
  const ItemRun* step = FindItem(d.state().preparation, "securing-hardware");
  EXPECT_EQ(step->status, ItemStatus::kInProgress);
  EXPECT_EQ(step->started_at, kT0 + minutes(10));
  EXPECT_EQ(step->attempt, 1);
}

TEST(TechnicianFlowTest, EventsOutOfPlaceAreRefusedNamingScreenAndEvent) {
  Driver at_start;
  Driver first;
  first.Do(NetworkUp{}, kT0).Do(ProfileReceived{Profile()}, kT0);
  Driver landing;
  landing.ToLanding();
  Driver setup;
  setup.ToLanding().ToDeviceSetup(Plan({App("a")}));
  Driver resealed;
  resealed.ToLanding().ToDeviceSetup(Plan({})).Do(ResealPressed{}, kT0);
  struct Case {
    const Driver* driver;
    TechnicianEvent event;
    std::string_view message;
  };
  const Case cases[] = {
      {&at_start, TechnicianKeyPressed{}, "technician-key is not allowed on the network-check"},
      {&at_start, ProfileReceived{Profile()}, "profile-received is not allowed"},
      {&first, ProvisionPressed{}, "provision is not allowed on the first-screen screen"},
      {&first, OptionChosen{}, "option-chosen is not allowed"},
      {&landing, TechnicianKeyPressed{}, "technician-key is not allowed on the landing screen"},
      {&landing, ItemStarted{.id = "a"}, "item-started is not allowed on the landing screen"},
      {&landing, ResealPressed{}, "reseal is not allowed"},
      {&setup, RetryPressed{}, "retry is not allowed on the device-setup screen"},
      {&setup, StepSucceeded{}, "step-succeeded is not allowed on the device-setup screen"},
      {&setup, ResetPressed{}, "reset is not allowed"},
      {&resealed, Rebooted{}, "rebooted is not allowed on the resealed screen"},
      {&resealed, DiagnosticsPressed{}, "diagnostics is not allowed"},
  };
  for (const Case& c : cases) {
    Result<TechnicianState> next = c.driver->Try(c.event, kT0);
    ASSERT_FALSE(next) << ToString(c.event);
    EXPECT_EQ(next.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_NE(next.error().message.find(c.message), std::string::npos) << next.error().message;
  }
}

TEST(TechnicianFlowTest, PlanMustBeForTheTechnicianFlowAndComesWithTracking) {
  Driver d;
  d.ToLanding().Do(ProvisionPressed{}, kT0);
  EspPlan user_plan = Plan({});
  user_plan.flow = Flow::kUser;
  Result<TechnicianState> wrong = d.Try(TrackingCreated{user_plan}, kT0);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kInvalidArgument);
  Result<TechnicianState> no_plan =
      d.Try(StepSucceeded{PreparationStep::kPreparingForManagement}, kT0);
  ASSERT_FALSE(no_plan);
  EXPECT_EQ(no_plan.error().code, ErrorCode::kFailedPrecondition);
  // Steps finish in order: the second step cannot finish while the first is running.
  Result<TechnicianState> early = d.Try(StepSucceeded{PreparationStep::kJoiningOrganization}, kT0);
  ASSERT_FALSE(early);
}

TEST(TechnicianFlowTest, ServiceVerdictOnProvision) {
  DeploymentProfile allowed;
  allowed.display_name = "Depot";
  allowed.preprovisioning_allowed = true;
  DeploymentProfile forbidden = allowed;
  forbidden.preprovisioning_allowed = false;
  struct Case {
    const char* name;
    EnrollmentState enrollment;
    const DeploymentProfile* profile;
    std::optional<std::int64_t> code;
  };
  const Case cases[] = {
      {"fresh device", EnrollmentState::kNotContacted, &allowed, std::nullopt},
      {"no profile", EnrollmentState::kNotContacted, nullptr, kPreprovisioningNotAllowedCode},
      {"forbidding profile", EnrollmentState::kNotContacted, &forbidden,
       kPreprovisioningNotAllowedCode},
      {"enrolled", EnrollmentState::kEnrolled, &allowed, kDeviceAlreadyEnrolledCode},
      {"blocked", EnrollmentState::kBlocked, &allowed, kDeviceAlreadyEnrolledCode},
      {"re-provisioned by an admin", EnrollmentState::kPendingReset, &allowed, std::nullopt},
      {"earlier attempt failed", EnrollmentState::kFailed, &allowed, std::nullopt},
  };
  for (const Case& c : cases) {
    AutopilotDeviceIdentity registration;
    registration.serial_number = "SN-1";
    registration.enrollment_state = c.enrollment;
    const std::optional<FlowError> verdict = CheckPreprovisioning(registration, c.profile);
    ASSERT_EQ(verdict.has_value(), c.code.has_value()) << c.name;
    if (verdict) {
      EXPECT_EQ(verdict->code, *c.code) << c.name;
    }
  }
}

TEST(TechnicianFlowTest, QrPayloadIsTheCompanionFormat) {
  EXPECT_EQ(QrPayload("ab\"c"),
            R"({"BlockSequence":{"Id":"ab\"c","ZtdId":"ab\"c","PKID":"","SerialNumber":"",)"
            R"("HardwareId":"","SequenceBlockNumber":1,"TotalBlocks":1}})");
}

}  // namespace
}  // namespace groundcrew::core

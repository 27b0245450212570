#include "core/flow/user_flow.hpp"

#include <fmt/format.h>

#include "common/text.hpp"

namespace groundcrew::core {
namespace {

using Screen = UserScreen;
using Next = Result<UserState>;

Error Refuse(const UserState& state, std::string_view event) {
  return NotAllowed("user", ToString(state.screen), event);
}

// The screens before the user is signed in, where a restart starts the out-of-box flow over.
bool BeforeSignIn(Screen screen) {
  switch (screen) {
    case Screen::kNetworkCheck:
    case Screen::kRegionKeyboard:
    case Screen::kConnectNetwork:
    case Screen::kProfileDownload:
    case Screen::kOobePages:
    case Screen::kSignIn:
    case Screen::kSigningIn:
    case Screen::kMfa:
      return true;
    case Screen::kIdentifying:
    case Screen::kDeviceSetup:
    case Screen::kPrivacy:
    case Screen::kAccountSetup:
    case Screen::kQualityUpdates:
    case Screen::kEspError:
    case Screen::kDesktop:
    case Screen::kReset:
      return false;
  }
  return false;
}

bool PrivacyShown(const UserState& state) {
  return !state.profile || !state.profile->privacy_settings_hidden;
}

UserState ShowDesktop(UserState state) {
  state.screen = Screen::kDesktop;
  return state;
}

Next StartAccountSetup(UserState state, Timestamp now);

// Device setup is done (or the ESP is not shown): the privacy page, then Account setup.
Next BeginAccountSetup(UserState state, Timestamp now) {
  if (PrivacyShown(state)) {
    state.screen = Screen::kPrivacy;
    return state;
  }
  return StartAccountSetup(std::move(state), now);
}

// Moves on after the current phase's run changed.
Next AfterRun(UserState state, Timestamp now) {
  if (state.screen == Screen::kDeviceSetup) {
    switch (state.device_setup->status) {
      case PhaseStatus::kComplete:
        return BeginAccountSetup(std::move(state), now);
      case PhaseStatus::kFailed:
        state.failed_phase = EspPhase::kDeviceSetup;
        state.screen = Screen::kEspError;
        return state;
      case PhaseStatus::kNotStarted:
      case PhaseStatus::kInProgress:
        return state;
    }
  }
  if (state.screen == Screen::kAccountSetup) {
    switch (state.account_setup->status) {
      case PhaseStatus::kComplete:
        if (state.plan->install_quality_updates) {
          state.screen = Screen::kQualityUpdates;
          return state;
        }
        return ShowDesktop(std::move(state));
      case PhaseStatus::kFailed:
        state.failed_phase = EspPhase::kAccountSetup;
        state.screen = Screen::kEspError;
        return state;
      case PhaseStatus::kNotStarted:
      case PhaseStatus::kInProgress:
        return state;
    }
  }
  return state;
}

Next StartAccountSetup(UserState state, Timestamp now) {
  if (!EspShown(state)) return ShowDesktop(std::move(state));
  PhasePlan plan = state.plan->account_setup.value_or(
      PhasePlan{EspPhase::kAccountSetup, {}, state.plan->device_setup.timeout_minutes});
  Result<PhaseRun> run = StartPhase(NewPhaseRun(plan), now);
  if (!run) return run.error();
  state.account_setup = std::move(*run);
  state.screen = Screen::kAccountSetup;
  return AfterRun(std::move(state), now);
}

PhaseRun* CurrentRun(UserState& state) {
  if (state.screen == Screen::kDeviceSetup) return &*state.device_setup;
  if (state.screen == Screen::kAccountSetup) return &*state.account_setup;
  return nullptr;
}

Next ForwardToRun(const UserState& state, const RunEvent& event, Timestamp now) {
  UserState next = state;
  PhaseRun* run = CurrentRun(next);
  if (run == nullptr) return Refuse(state, ToString(event));
  Result<PhaseRun> updated = Apply(*run, event, now);
  if (!updated) return updated.error();
  *run = std::move(*updated);
  return AfterRun(std::move(next), now);
}

UserState StartOver(const UserState& state) {
  UserState fresh;
  fresh.network_up = state.network_up;
  return fresh;
}

// The error screen's option, or kFailedPrecondition when the screen is not the error screen or
// the ESP profile does not offer the option.
Status RequireOption(const UserState& state, std::string_view event, bool offered,
                     std::string_view setting) {
  if (state.screen != Screen::kEspError) return Refuse(state, event);
  if (!offered) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("user flow: {} is not offered: the ESP profile \"{}\" sets {}",
                                 event, state.plan->esp_profile_name, setting),
                     "event");
  }
  return Ok{};
}

Next On(const UserState& state, const NetworkUp&, Timestamp) { return network_screens::Up(state); }

Next On(const UserState& state, const NetworkDown&, Timestamp) {
  return network_screens::Down(state);
}

Next On(const UserState& state, const RegionKeyboardConfirmed& e, Timestamp) {
  auto next = network_screens::RegionKeyboardConfirmed(state);
  if (!next) return Refuse(state, e.kName);
  return *next;
}

Next On(const UserState& state, const NetworkConnected& e, Timestamp) {
  auto next = network_screens::Connected(state);
  if (!next) return Refuse(state, e.kName);
  return *next;
}

UserState ProfileArrived(UserState state) {
  state.pages =
      PagesBeforeSignIn(state.profile ? &*state.profile : nullptr, state.region_keyboard_shown);
  state.screen = state.pages.empty() ? Screen::kSignIn : Screen::kOobePages;
  return state;
}

Next On(const UserState& state, const ProfileReceived& e, Timestamp) {
  auto next = network_screens::ProfileDownloaded(state, std::optional(e.profile), {});
  if (!next) return Refuse(state, e.kName);
  return ProfileArrived(std::move(*next));
}

Next On(const UserState& state, const ProfileUnavailable& e, Timestamp) {
  auto next = network_screens::ProfileDownloaded(state, std::nullopt, e.reason);
  if (!next) return Refuse(state, e.kName);
  return ProfileArrived(std::move(*next));
}

Next On(const UserState& state, const PageConfirmed& e, Timestamp) {
  if (state.screen != Screen::kOobePages) return Refuse(state, e.kName);
  UserState next = state;
  next.pages.erase(next.pages.begin());
  if (next.pages.empty()) next.screen = Screen::kSignIn;
  return next;
}

Next On(const UserState& state, const SignInSubmitted& e, Timestamp) {
  if (state.screen != Screen::kSignIn) return Refuse(state, e.kName);
  if (e.upn.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "a sign-in needs a user name", "upn");
  }
  UserState next = state;
  const std::string_view assigned = PrefilledUpn(state);
  if (!assigned.empty() && !text::EqualsIgnoreCase(assigned, e.upn)) {
    next.sign_in_problem = SignInProblem{
        SignInError::kNotAssignedUser,
        fmt::format("This device is assigned to {}. Sign in with that account.", assigned)};
    return next;
  }
  next.upn = e.upn;
  next.sign_in_problem.reset();
  next.screen = Screen::kSigningIn;
  return next;
}

Next On(const UserState& state, const SignInRefused& e, Timestamp) {
  if (state.screen != Screen::kSigningIn && state.screen != Screen::kMfa) {
    return Refuse(state, e.kName);
  }
  UserState next = state;
  next.sign_in_problem = e.problem;
  next.screen = Screen::kSignIn;
  return next;
}

UserState SignedIn(UserState state) {
  state.signed_in = true;
  state.compliance = ResetAtUserFlowStart();
  state.screen = Screen::kIdentifying;
  return state;
}

Next On(const UserState& state, const SignInAccepted& e, Timestamp) {
  if (state.screen != Screen::kSigningIn) return Refuse(state, e.kName);
  return SignedIn(state);
}

Next On(const UserState& state, const MfaRequired& e, Timestamp) {
  if (state.screen != Screen::kSigningIn) return Refuse(state, e.kName);
  UserState next = state;
  next.screen = Screen::kMfa;
  return next;
}

Next On(const UserState& state, const MfaCodeAccepted& e, Timestamp) {
  if (state.screen != Screen::kMfa) return Refuse(state, e.kName);
  return SignedIn(state);
}

Next On(const UserState& state, const MfaCodeRefused& e, Timestamp) {
  if (state.screen != Screen::kMfa) return Refuse(state, e.kName);
  UserState next = state;
  ++next.mfa_failures;
  return next;
}

Next On(const UserState& state, const PlanReceived& e, Timestamp now) {
  if (state.screen != Screen::kIdentifying) return Refuse(state, e.kName);
  if (e.plan.flow != Flow::kUser) {
    return MakeError(ErrorCode::kInvalidArgument, "the user flow needs a user-flow plan",
                     "plan.flow");
  }
  UserState next = state;
  next.plan = e.plan;
  if (!e.plan.show_progress) return BeginAccountSetup(std::move(next), now);
  Result<PhaseRun> run = StartPhase(NewPhaseRun(e.plan.device_setup), now);
  if (!run) return run.error();
  next.device_setup = std::move(*run);
  next.screen = Screen::kDeviceSetup;
  return AfterRun(std::move(next), now);
}

template <ItemEvent E>
Next On(const UserState& state, const E& e, Timestamp now) {
  return ForwardToRun(state, e, now);
}

Next On(const UserState& state, const Tick& e, Timestamp now) {
  if (state.screen != Screen::kDeviceSetup && state.screen != Screen::kAccountSetup) return state;
  return ForwardToRun(state, e, now);
}

Next On(const UserState& state, const Rebooted& e, Timestamp now) {
  if (BeforeSignIn(state.screen)) return StartOver(state);
  if (state.screen != Screen::kDeviceSetup && state.screen != Screen::kAccountSetup) {
    return state;  // signed in: the flow comes back where it was
  }
  return ForwardToRun(state, e, now);
}

Next On(const UserState& state, const PrivacyAccepted& e, Timestamp now) {
  if (state.screen != Screen::kPrivacy) return Refuse(state, e.kName);
  return StartAccountSetup(state, now);
}

Next On(const UserState& state, const TryAgainPressed& e, Timestamp now) {
  if (Status ok = RequireOption(state, e.kName, state.plan && state.plan->error_options.try_again,
                                "blockDeviceSetupRetryByUser = true");
      !ok) {
    return ok.error();
  }
  UserState next = state;
  const bool device_setup = state.failed_phase == EspPhase::kDeviceSetup;
  PhaseRun& run = device_setup ? *next.device_setup : *next.account_setup;
  Result<PhaseRun> resumed = TryAgain(run, now);
  if (!resumed) return resumed.error();
  run = std::move(*resumed);
  next.retried = true;
  next.failed_phase.reset();
  next.screen = device_setup ? Screen::kDeviceSetup : Screen::kAccountSetup;
  return AfterRun(std::move(next), now);
}

Next On(const UserState& state, const ContinueAnywayPressed& e, Timestamp) {
  if (Status ok =
          RequireOption(state, e.kName, state.plan && state.plan->error_options.continue_anyway,
                        "allowDeviceUseOnInstallFailure = false");
      !ok) {
    return ok.error();
  }
  UserState next = ShowDesktop(state);
  next.continued_anyway = true;
  return next;
}

Next On(const UserState& state, const ResetPressed& e, Timestamp) {
  if (Status ok = RequireOption(state, e.kName, state.plan && state.plan->error_options.reset,
                                "allowDeviceResetOnInstallFailure = false");
      !ok) {
    return ok.error();
  }
  UserState next = state;
  next.screen = Screen::kReset;
  return next;
}

Next On(const UserState& state, const CollectLogsPressed& e, Timestamp) {
  if (Status ok =
          RequireOption(state, e.kName, state.plan && state.plan->error_options.collect_logs,
                        "allowLogCollectionOnInstallFailure = false");
      !ok) {
    return ok.error();
  }
  UserState next = state;
  next.logs_collected = true;
  return next;
}

Next On(const UserState& state, const QualityUpdatesDone& e, Timestamp) {
  if (state.screen != Screen::kQualityUpdates) return Refuse(state, e.kName);
  return ShowDesktop(state);
}

Next On(const UserState& state, const ComplianceEvaluated& e, Timestamp) {
  if (state.screen != Screen::kDesktop) return Refuse(state, e.kName);
  UserState next = state;
  next.compliance = e.result;
  return next;
}

}  // namespace

std::string_view ToString(UserScreen screen) {
  switch (screen) {
    case Screen::kNetworkCheck:
      return "network-check";
    case Screen::kRegionKeyboard:
      return "region-keyboard";
    case Screen::kConnectNetwork:
      return "connect-network";
    case Screen::kProfileDownload:
      return "profile-download";
    case Screen::kOobePages:
      return "oobe-pages";
    case Screen::kSignIn:
      return "sign-in";
    case Screen::kSigningIn:
      return "signing-in";
    case Screen::kMfa:
      return "mfa";
    case Screen::kIdentifying:
      return "identifying";
    case Screen::kDeviceSetup:
      return "device-setup";
    case Screen::kPrivacy:
      return "privacy";
    case Screen::kAccountSetup:
      return "account-setup";
    case Screen::kQualityUpdates:
      return "quality-updates";
    case Screen::kEspError:
      return "esp-error";
    case Screen::kDesktop:
      return "desktop";
    case Screen::kReset:
      return "reset";
  }
  return "?";
}

std::string_view ToString(SignInError error) {
  switch (error) {
    case SignInError::kInvalidCredentials:
      return "invalid-credentials";
    case SignInError::kLockedOut:
      return "locked-out";
    case SignInError::kNotAssignedUser:
      return "not-assigned-user";
    case SignInError::kOutsideMdmScope:
      return "outside-mdm-scope";
    case SignInError::kJoinNotAllowed:
      return "join-not-allowed";
    case SignInError::kDisabled:
      return "disabled";
    case SignInError::kUnlicensed:
      return "unlicensed";
  }
  return "?";
}

SignInError ToSignInError(SignInRefusal::Reason reason) {
  switch (reason) {
    case SignInRefusal::Reason::kNotAssignedUser:
      return SignInError::kNotAssignedUser;
    case SignInRefusal::Reason::kOutsideMdmScope:
      return SignInError::kOutsideMdmScope;
    case SignInRefusal::Reason::kJoinNotAllowed:
      return SignInError::kJoinNotAllowed;
    case SignInRefusal::Reason::kDisabled:
      return SignInError::kDisabled;
    case SignInRefusal::Reason::kUnlicensed:
      return SignInError::kUnlicensed;
  }
  return SignInError::kInvalidCredentials;
}

std::string_view PrefilledUpn(const UserState& state) {
  return state.profile ? std::string_view(state.profile->assigned_user_upn) : std::string_view();
}

bool EspShown(const UserState& state) { return state.plan && state.plan->show_progress; }

std::string_view ToString(const UserEvent& event) {
  return std::visit([](const auto& e) { return e.kName; }, event);
}

Result<UserState> Apply(const UserState& state, const UserEvent& event, Timestamp now) {
  return std::visit([&](const auto& e) { return On(state, e, now); }, event);
}

DeploymentState DeploymentStateOf(const UserState& state) {
  switch (state.screen) {
    case Screen::kDesktop:
      if (state.continued_anyway) return DeploymentState::kSuccessWithTimeout;
      return state.retried ? DeploymentState::kSuccessOnRetry : DeploymentState::kSuccess;
    case Screen::kEspError:
    case Screen::kReset:
      return DeploymentState::kFailure;
    case Screen::kNetworkCheck:
    case Screen::kRegionKeyboard:
    case Screen::kConnectNetwork:
    case Screen::kProfileDownload:
    case Screen::kOobePages:
    case Screen::kSignIn:
    case Screen::kSigningIn:
    case Screen::kMfa:
    case Screen::kIdentifying:
    case Screen::kDeviceSetup:
    case Screen::kPrivacy:
    case Screen::kAccountSetup:
    case Screen::kQualityUpdates:
      return DeploymentState::kInProgress;
  }
  return DeploymentState::kUnknown;
}

PhaseStatus PhaseStatusOf(const UserState& state, EspPhase phase) {
  switch (phase) {
    case EspPhase::kDevicePreparation:
      return PhaseStatus::kComplete;
    case EspPhase::kDeviceSetup:
      return state.device_setup ? state.device_setup->status : PhaseStatus::kNotStarted;
    case EspPhase::kAccountSetup:
      return state.account_setup ? state.account_setup->status : PhaseStatus::kNotStarted;
  }
  return PhaseStatus::kNotStarted;
}

std::vector<const PhaseRun*> PhaseRuns(const UserState& state) {
  std::vector<const PhaseRun*> runs;
  if (state.device_setup) runs.push_back(&*state.device_setup);
  if (state.account_setup) runs.push_back(&*state.account_setup);
  return runs;
}

std::vector<InstalledItem> InventoryAfter(std::vector<InstalledItem> before,
                                          const UserState& state) {
  for (const PhaseRun* run : PhaseRuns(state)) before = UpdateInventory(std::move(before), *run);
  return before;
}

const PhaseRun* PhaseOnScreen(const UserState& state) {
  if (state.screen == UserScreen::kDeviceSetup && state.device_setup) return &*state.device_setup;
  if (state.screen == UserScreen::kAccountSetup && state.account_setup) {
    return &*state.account_setup;
  }
  return nullptr;
}

}  // namespace groundcrew::core

#include "core/flow/technician_flow.hpp"

#include <fmt/format.h>

namespace groundcrew::core {
namespace {

using Screen = TechnicianScreen;
using Next = Result<TechnicianState>;

Error Refuse(const TechnicianState& state, std::string_view event) {
  return NotAllowed("technician", ToString(state.screen), event);
}

// The screens before Provision, where a restart starts the out-of-box flow over.
bool BeforeProvision(Screen screen) {
  switch (screen) {
    case Screen::kNetworkCheck:
    case Screen::kRegionKeyboard:
    case Screen::kConnectNetwork:
    case Screen::kProfileDownload:
    case Screen::kFirstScreen:
    case Screen::kOptionsMenu:
    case Screen::kLanding:
      return true;
    case Screen::kDevicePreparation:
    case Screen::kDeviceSetup:
    case Screen::kResultSuccess:
    case Screen::kResultFailure:
    case Screen::kResealed:
    case Screen::kReset:
      return false;
  }
  return false;
}

std::string JsonEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

TechnicianState ShowResult(TechnicianState state, std::optional<FlowError> error, Timestamp now) {
  TechnicianResult result;
  result.success = !error.has_value();
  if (state.profile) {
    result.organization_name = state.profile->organization_name;
    result.profile_name = state.profile->profile_name;
    result.assigned_user_upn = state.profile->assigned_user_upn;
    result.registration_id = state.profile->registration_id;
    result.qr_payload = QrPayload(state.profile->registration_id);
  }
  if (state.provisioning_started_at) result.elapsed = now - *state.provisioning_started_at;
  result.error = std::move(error);
  state.screen = result.success ? Screen::kResultSuccess : Screen::kResultFailure;
  state.result = std::move(result);
  return state;
}

// REQUIRES: the run of `phase` failed.
TechnicianState ShowFailure(TechnicianState state, EspPhase phase, Timestamp now) {
  const PhaseRun& run =
      phase == EspPhase::kDevicePreparation ? state.preparation : *state.device_setup;
  FlowError error{run.failure->code, run.failure->message};
  state.failed_phase = phase;
  return ShowResult(std::move(state), std::move(error), now);
}

// Starts the next Device-preparation step when none is running (steps run one after another).
Next StartNextStep(TechnicianState state, Timestamp now) {
  for (const std::string& id : ReadyItems(state.preparation, now, 1)) {
    Result<PhaseRun> run = Apply(state.preparation, ItemStarted{.id = id}, now);
    if (!run) return run.error();
    state.preparation = std::move(*run);
  }
  return state;
}

// Moves on after the current phase's run changed: next step, or a result screen.
Next AfterRun(TechnicianState state, Timestamp now) {
  if (state.screen == Screen::kDevicePreparation) {
    switch (state.preparation.status) {
      case PhaseStatus::kFailed:
        return ShowFailure(std::move(state), EspPhase::kDevicePreparation, now);
      case PhaseStatus::kInProgress:
        return StartNextStep(std::move(state), now);
      case PhaseStatus::kNotStarted:
      case PhaseStatus::kComplete:
        return state;  // completed by TrackingCreated
    }
  }
  if (state.screen == Screen::kDeviceSetup) {
    switch (state.device_setup->status) {
      case PhaseStatus::kFailed:
        return ShowFailure(std::move(state), EspPhase::kDeviceSetup, now);
      case PhaseStatus::kComplete:
        return ShowResult(std::move(state), std::nullopt, now);
      case PhaseStatus::kNotStarted:
      case PhaseStatus::kInProgress:
        return state;
    }
  }
  return state;
}

// Feeds an event to the run of the phase on screen.
Next ForwardToRun(const TechnicianState& state, const RunEvent& event, Timestamp now) {
  TechnicianState next = state;
  PhaseRun* run = nullptr;
  if (state.screen == Screen::kDevicePreparation) run = &next.preparation;
  if (state.screen == Screen::kDeviceSetup) run = &*next.device_setup;
  if (run == nullptr) return Refuse(state, ToString(event));
  Result<PhaseRun> updated = Apply(*run, event, now);
  if (!updated) return updated.error();
  *run = std::move(*updated);
  return AfterRun(std::move(next), now);
}

TechnicianState StartOver(const TechnicianState& state) {
  TechnicianState fresh;
  fresh.network_up = state.network_up;
  return fresh;
}

Next On(const TechnicianState& state, const NetworkUp&, Timestamp) {
  return network_screens::Up(state);
}

Next On(const TechnicianState& state, const NetworkDown&, Timestamp) {
  return network_screens::Down(state);
}

Next On(const TechnicianState& state, const RegionKeyboardConfirmed& e, Timestamp) {
  auto next = network_screens::RegionKeyboardConfirmed(state);
  if (!next) return Refuse(state, e.kName);
  return *next;
}

Next On(const TechnicianState& state, const NetworkConnected& e, Timestamp) {
  auto next = network_screens::Connected(state);
  if (!next) return Refuse(state, e.kName);
  return *next;
}

// After a download: back to the landing screen after Refresh, else to the first OOBE page.
TechnicianState ProfileArrived(TechnicianState state) {
  if (state.refreshing) {
    state.refreshing = false;
    state.refusal.reset();
    state.screen = Screen::kLanding;
    return state;
  }
  const std::vector<OobePage> pages =
      PagesBeforeSignIn(state.profile ? &*state.profile : nullptr, state.region_keyboard_shown);
  state.first_screen = pages.empty() ? OobePage::kSignIn : pages.front();
  state.technician_key_presses = 0;
  state.screen = Screen::kFirstScreen;
  return state;
}

Next On(const TechnicianState& state, const ProfileReceived& e, Timestamp) {
  auto next = network_screens::ProfileDownloaded(state, std::optional(e.profile), {});
  if (!next) return Refuse(state, e.kName);
  return ProfileArrived(std::move(*next));
}

Next On(const TechnicianState& state, const ProfileUnavailable& e, Timestamp) {
  auto next = network_screens::ProfileDownloaded(state, std::nullopt, e.reason);
  if (!next) return Refuse(state, e.kName);
  return ProfileArrived(std::move(*next));
}

Next On(const TechnicianState& state, const TechnicianKeyPressed& e, Timestamp) {
  if (state.screen != Screen::kFirstScreen) return Refuse(state, e.kName);
  TechnicianState next = state;
  if (++next.technician_key_presses >= kTechnicianKeyPresses) {
    next.technician_key_presses = 0;
    next.screen = Screen::kOptionsMenu;
  }
  return next;
}

Next On(const TechnicianState& state, const OptionChosen& e, Timestamp) {
  if (state.screen != Screen::kOptionsMenu) return Refuse(state, e.kName);
  TechnicianState next = state;
  switch (e.option) {
    case MenuOption::kPreprovision:
      next.screen = Screen::kLanding;
      break;
    case MenuOption::kBack:
      next.screen = Screen::kFirstScreen;
      break;
  }
  return next;
}

Next On(const TechnicianState& state, const RefreshPressed& e, Timestamp) {
  if (state.screen != Screen::kLanding) return Refuse(state, e.kName);
  TechnicianState next = state;
  next.refreshing = true;
  next.screen = Screen::kProfileDownload;
  return next;
}

Next On(const TechnicianState& state, const ProvisionPressed& e, Timestamp now) {
  if (state.screen != Screen::kLanding) return Refuse(state, e.kName);
  TechnicianState next = state;
  if (!state.profile) {
    next.refusal =
        FlowError{kPreprovisioningNotAllowedCode,
                  fmt::format("Pre-provisioning is not possible: {}.", state.profile_unavailable)};
    return next;
  }
  if (!state.profile->preprovisioning_allowed) {
    next.refusal =
        FlowError{kPreprovisioningNotAllowedCode,
                  fmt::format("The deployment profile \"{}\" does not allow pre-provisioning.",
                              state.profile->profile_name)};
    return next;
  }
  next.refusal.reset();
  next.provisioning_started_at = now;
  next.preparation = NewDevicePreparationRun();
  next.plan.reset();
  next.device_setup.reset();
  next.failed_phase.reset();
  next.result.reset();
  Result<PhaseRun> run = StartPhase(next.preparation, now);
  if (!run) return run.error();
  next.preparation = std::move(*run);
  next.screen = Screen::kDevicePreparation;
  return AfterRun(std::move(next), now);
}

Next On(const TechnicianState& state, const PreprovisioningRefused& e, Timestamp) {
  if (state.screen != Screen::kLanding && state.screen != Screen::kDevicePreparation) {
    return Refuse(state, e.kName);
  }
  TechnicianState next = state;
  next.refusal = e.error;
  next.preparation = NewDevicePreparationRun();
  next.provisioning_started_at.reset();
  next.screen = Screen::kLanding;
  return next;
}

Next On(const TechnicianState& state, const StepSucceeded& e, Timestamp now) {
  if (state.screen != Screen::kDevicePreparation) return Refuse(state, e.kName);
  if (e.step == PreparationStep::kPreparingForManagement) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "preparing-for-management finishes with tracking-created, which brings "
                     "the plan",
                     "step");
  }
  return ForwardToRun(state, ItemSucceeded{.id = std::string(ToString(e.step))}, now);
}

Next On(const TechnicianState& state, const StepFailed& e, Timestamp now) {
  if (state.screen != Screen::kDevicePreparation) return Refuse(state, e.kName);
  return ForwardToRun(
      state, ItemFailed{.id = std::string(ToString(e.step)), .code = e.code, .message = e.message},
      now);
}

Next On(const TechnicianState& state, const TrackingCreated& e, Timestamp now) {
  if (state.screen != Screen::kDevicePreparation) return Refuse(state, e.kName);
  if (e.plan.flow != Flow::kTechnician) {
    return MakeError(ErrorCode::kInvalidArgument, "the technician flow needs a technician plan",
                     "plan.flow");
  }
  const std::string last(ToString(PreparationStep::kPreparingForManagement));
  Result<PhaseRun> prepared = Apply(state.preparation, ItemSucceeded{.id = last}, now);
  if (!prepared) return prepared.error();
  TechnicianState next = state;
  next.preparation = std::move(*prepared);
  next.plan = e.plan;
  if (!e.plan.show_progress) return ShowResult(std::move(next), std::nullopt, now);
  Result<PhaseRun> setup = StartPhase(NewPhaseRun(e.plan.device_setup), now);
  if (!setup) return setup.error();
  next.device_setup = std::move(*setup);
  next.screen = Screen::kDeviceSetup;
  return AfterRun(std::move(next), now);
}

template <ItemEvent E>
Next On(const TechnicianState& state, const E& e, Timestamp now) {
  if (state.screen != Screen::kDeviceSetup) return Refuse(state, e.kName);
  return ForwardToRun(state, e, now);
}

Next On(const TechnicianState& state, const Tick& e, Timestamp now) {
  if (state.screen != Screen::kDevicePreparation && state.screen != Screen::kDeviceSetup) {
    return state;
  }
  return ForwardToRun(state, e, now);
}

Next On(const TechnicianState& state, const Rebooted& e, Timestamp now) {
  if (state.screen == Screen::kResealed) return Refuse(state, e.kName);
  if (BeforeProvision(state.screen)) return StartOver(state);
  if (state.screen != Screen::kDevicePreparation && state.screen != Screen::kDeviceSetup) {
    return state;  // result screens come back as they were
  }
  return ForwardToRun(state, e, now);
}

Next On(const TechnicianState& state, const RetryPressed& e, Timestamp now) {
  if (state.screen != Screen::kResultFailure) return Refuse(state, e.kName);
  TechnicianState next = state;
  const bool preparation = state.failed_phase == EspPhase::kDevicePreparation;
  PhaseRun& run = preparation ? next.preparation : *next.device_setup;
  Result<PhaseRun> resumed = TryAgain(run, now);
  if (!resumed) return resumed.error();
  run = std::move(*resumed);
  next.retried = true;
  next.failed_phase.reset();
  next.result.reset();
  next.screen = preparation ? Screen::kDevicePreparation : Screen::kDeviceSetup;
  return AfterRun(std::move(next), now);
}

Next On(const TechnicianState& state, const ResetPressed& e, Timestamp) {
  if (state.screen != Screen::kResultFailure) return Refuse(state, e.kName);
  TechnicianState next = state;
  next.screen = Screen::kReset;
  return next;
}

Next On(const TechnicianState& state, const DiagnosticsPressed& e, Timestamp) {
  if (state.screen != Screen::kResultFailure) return Refuse(state, e.kName);
  TechnicianState next = state;
  next.diagnostics_exported = true;
  return next;
}

Next On(const TechnicianState& state, const ResealPressed& e, Timestamp now) {
  if (state.screen != Screen::kResultSuccess) return Refuse(state, e.kName);
  TechnicianState next = state;
  next.screen = Screen::kResealed;
  next.result->resealed = true;
  next.result->resealed_at = now;
  return next;
}

}  // namespace

std::string_view ToString(TechnicianScreen screen) {
  switch (screen) {
    case Screen::kNetworkCheck:
      return "network-check";
    case Screen::kRegionKeyboard:
      return "region-keyboard";
    case Screen::kConnectNetwork:
      return "connect-network";
    case Screen::kProfileDownload:
      return "profile-download";
    case Screen::kFirstScreen:
      return "first-screen";
    case Screen::kOptionsMenu:
      return "options-menu";
    case Screen::kLanding:
      return "landing";
    case Screen::kDevicePreparation:
      return "device-preparation";
    case Screen::kDeviceSetup:
      return "device-setup";
    case Screen::kResultSuccess:
      return "result-success";
    case Screen::kResultFailure:
      return "result-failure";
    case Screen::kResealed:
      return "resealed";
    case Screen::kReset:
      return "reset";
  }
  return "?";
}

std::string_view ToString(MenuOption option) {
  switch (option) {
    case MenuOption::kPreprovision:
      return "preprovision";
    case MenuOption::kBack:
      return "back";
  }
  return "?";
}

std::string_view ToString(const TechnicianEvent& event) {
  return std::visit([](const auto& e) { return e.kName; }, event);
}

Result<TechnicianState> Apply(const TechnicianState& state, const TechnicianEvent& event,
                              Timestamp now) {
  return std::visit([&](const auto& e) { return On(state, e, now); }, event);
}

DeploymentState DeploymentStateOf(const TechnicianState& state) {
  switch (state.screen) {
    case Screen::kNetworkCheck:
    case Screen::kRegionKeyboard:
    case Screen::kConnectNetwork:
    case Screen::kProfileDownload:
    case Screen::kFirstScreen:
    case Screen::kOptionsMenu:
      return DeploymentState::kNotAttempted;
    case Screen::kLanding:
      return state.refusal ? DeploymentState::kFailure : DeploymentState::kNotAttempted;
    case Screen::kDevicePreparation:
    case Screen::kDeviceSetup:
      return DeploymentState::kInProgress;
    case Screen::kResultSuccess:
    case Screen::kResealed:
      return state.retried ? DeploymentState::kSuccessOnRetry : DeploymentState::kSuccess;
    case Screen::kResultFailure:
    case Screen::kReset:
      return DeploymentState::kFailure;
  }
  return DeploymentState::kUnknown;
}

PhaseStatus PhaseStatusOf(const TechnicianState& state, EspPhase phase) {
  switch (phase) {
    case EspPhase::kDevicePreparation:
      return state.preparation.status;
    case EspPhase::kDeviceSetup:
      return state.device_setup ? state.device_setup->status : PhaseStatus::kNotStarted;
    case EspPhase::kAccountSetup:
      return PhaseStatus::kNotStarted;
  }
  return PhaseStatus::kNotStarted;
}

std::optional<FlowError> CheckPreprovisioning(const AutopilotDeviceIdentity& registration,
                                              const DeploymentProfile* profile) {
  if (profile == nullptr) {
    return FlowError{
        kPreprovisioningNotAllowedCode,
        fmt::format("Device {} has no deployment profile assigned.", registration.serial_number)};
  }
  if (!profile->preprovisioning_allowed) {
    return FlowError{kPreprovisioningNotAllowedCode,
                     fmt::format("The deployment profile \"{}\" does not allow pre-provisioning.",
                                 profile->display_name)};
  }
  switch (registration.enrollment_state) {
    case EnrollmentState::kEnrolled:
    case EnrollmentState::kBlocked:
      return FlowError{kDeviceAlreadyEnrolledCode,
                       fmt::format("Device {} is already enrolled; an administrator must "
                                   "re-provision it before it can be pre-provisioned again.",
                                   registration.serial_number)};
    case EnrollmentState::kUnknown:
    case EnrollmentState::kPendingReset:
    case EnrollmentState::kFailed:
    case EnrollmentState::kNotContacted:
      return std::nullopt;
  }
  return std::nullopt;
}

std::string QrPayload(std::string_view registration_id) {
  const std::string id = JsonEscape(registration_id);
  return fmt::format(
      R"({{"BlockSequence":{{"Id":"{}","ZtdId":"{}","PKID":"","SerialNumber":"","HardwareId":"",)"
      R"("SequenceBlockNumber":1,"TotalBlocks":1}}}})",
      id, id);
}

std::vector<const PhaseRun*> PhaseRuns(const TechnicianState& state) {
  std::vector<const PhaseRun*> runs{&state.preparation};
  if (state.device_setup) runs.push_back(&*state.device_setup);
  return runs;
}

std::vector<InstalledItem> InventoryAfter(const TechnicianState& state) {
  if (!state.device_setup) return {};
  return UpdateInventory({}, *state.device_setup);
}

const PhaseRun* PhaseOnScreen(const TechnicianState& state) {
  if (state.screen == TechnicianScreen::kDevicePreparation) return &state.preparation;
  if (state.screen == TechnicianScreen::kDeviceSetup && state.device_setup) {
    return &*state.device_setup;
  }
  return nullptr;
}

std::optional<PreparationStep> StepInProgress(const TechnicianState& state) {
  if (state.screen != TechnicianScreen::kDevicePreparation) return std::nullopt;
  std::optional<PreparationStep> step;
  for (const ItemRun& item : state.preparation.items) {
    if (item.status == ItemStatus::kInProgress) step = PreparationStepOf(item.plan.id);
  }
  return step;
}

std::int64_t PreparationFailureCode(PreparationStep step, bool already_enrolled) {
  switch (step) {
    case PreparationStep::kSecuringHardware:
      return 0x80070005;
    case PreparationStep::kJoiningOrganization:
      return 0x801C0003;
    case PreparationStep::kRegisteringForManagement:
      return already_enrolled ? kDeviceAlreadyEnrolledCode : 0x80180001;
    case PreparationStep::kPreparingForManagement:
      return 0x80180002;
  }
  return 0x80004005;
}

}  // namespace groundcrew::core

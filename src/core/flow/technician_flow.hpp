#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/result.hpp"
#include "core/esp/plan.hpp"
#include "core/esp/run.hpp"
#include "core/flow/flow_common.hpp"
#include "core/model/device.hpp"
#include "core/model/profiles.hpp"

// The technician flow (pre-provisioning at the depot, spec §9) as a pure state machine:
//
//   network-check -> [region-keyboard -> connect-network] -> profile-download -> first-screen
//     -(technician key x5)-> options-menu -> landing -(provision)-> device-preparation
//     -> device-setup -> result-success -(reseal)-> resealed
//   Any failure or timeout of Device preparation or Device setup -> result-failure, which offers
//   Retry (resume the failed phase), Reset (wipe: reset) and Diagnostics.
//
// The flow owns its ESP phase runs (esp/run.hpp): the driver feeds it preparation-step results,
// item events and clock ticks, and the flow moves to the result screens itself when a run
// completes or fails. After every transition the driver reads the state to know what to do next
// (e.g. ReadyItems(*state.device_setup, now, n) while on device-setup).
namespace groundcrew::core {

/// Presses of the technician key on the first out-of-box screen that open the menu.
inline constexpr int kTechnicianKeyPresses = 5;
/// The service refuses pre-provisioning: the profile does not allow it (DESIGN.md §3.9).
inline constexpr std::int64_t kPreprovisioningNotAllowedCode = 0x80180005;
/// The service refuses a second userless enrollment of an enrolled device (spec §4.6).
inline constexpr std::int64_t kDeviceAlreadyEnrolledCode = 0x80180014;

enum class TechnicianScreen {
  kNetworkCheck,       ///< TF0/TF1: power on, is there network?
  kRegionKeyboard,     ///< TF2: no network at start: region and keyboard pages
  kConnectNetwork,     ///< TF3: "Let's connect you to a network"
  kProfileDownload,    ///< TF4/TF5: fetching the profile (again after every restart)
  kFirstScreen,        ///< TF6: the first out-of-box page, where the technician key counts
  kOptionsMenu,        ///< TF7: "What would you like to do?"
  kLanding,            ///< TF8: organization, profile, user, QR code; Refresh and Provision
  kDevicePreparation,  ///< TF9/TF10: the four Device-preparation steps
  kDeviceSetup,        ///< TF11: device-targeted items
  kResultSuccess,      ///< TF12: success; Reseal
  kResultFailure,      ///< TF13: failure; Retry, Reset, Diagnostics
  kResealed,           ///< TF14: powered off for delivery
  kReset,              ///< TF15: wiped; the device starts over as a fresh device
};

std::string_view ToString(TechnicianScreen screen);

/// The choices of "What would you like to do?".
enum class MenuOption { kPreprovision, kBack };

std::string_view ToString(MenuOption option);

/// What the result screens show (and, once resealed, what the device was resealed with).
struct TechnicianResult {
  bool success = false;
  std::string organization_name;
  std::string profile_name;
  std::string assigned_user_upn;
  std::string registration_id;
  std::string qr_payload;           ///< {"BlockSequence":{..."ZtdId":"<registration id>"...}}
  std::chrono::seconds elapsed{0};  ///< from Provision to this result
  std::optional<FlowError> error;   ///< failure only: code and message naming the item
  bool resealed = false;
  std::optional<Timestamp> resealed_at;
};

/// The technician flow of one device.
struct TechnicianState {
  TechnicianScreen screen = TechnicianScreen::kNetworkCheck;
  bool network_up = false;
  bool region_keyboard_shown = false;  ///< shown because there was no network at start
  bool refreshing = false;  ///< profile-download after Refresh: returns to the landing screen
  std::optional<ProfileInfo> profile;  ///< empty before download or when none is assigned
  std::string profile_unavailable;     ///< why, when the service had no profile
  OobePage first_screen = OobePage::kSignIn;
  int technician_key_presses = 0;
  std::optional<FlowError> refusal;  ///< why the landing screen refused to provision
  std::optional<Timestamp> provisioning_started_at;  ///< Provision pressed
  PhaseRun preparation = NewDevicePreparationRun();
  std::optional<EspPlan> plan;  ///< from TrackingCreated
  std::optional<PhaseRun> device_setup;
  std::optional<EspPhase> failed_phase;  ///< on result-failure
  bool retried = false;                  ///< Retry was used
  bool diagnostics_exported = false;
  std::optional<TechnicianResult> result;  ///< on the result screens and once resealed
};

// Technician events (with the shared ones of flow_common.hpp and esp/run.hpp).
struct TechnicianKeyPressed {
  static constexpr std::string_view kName = "technician-key";
};
struct OptionChosen {
  static constexpr std::string_view kName = "option-chosen";
  MenuOption option = MenuOption::kPreprovision;
};
struct RefreshPressed {
  static constexpr std::string_view kName = "refresh";
};
struct ProvisionPressed {
  static constexpr std::string_view kName = "provision";
};
/// The service refused to pre-provision (see CheckPreprovisioning); nothing was installed.
struct PreprovisioningRefused {
  static constexpr std::string_view kName = "preprovisioning-refused";
  FlowError error;
};
/// A Device-preparation step finished. kPreparingForManagement finishes with TrackingCreated.
struct StepSucceeded {
  static constexpr std::string_view kName = "step-succeeded";
  PreparationStep step = PreparationStep::kSecuringHardware;
};
struct StepFailed {
  static constexpr std::string_view kName = "step-failed";
  PreparationStep step = PreparationStep::kSecuringHardware;
  std::int64_t code = 0;
  std::string message{};
};
/// The last Device-preparation step: the device fetched its plan and created the tracking.
struct TrackingCreated {
  static constexpr std::string_view kName = "tracking-created";
  EspPlan plan;
};
struct RetryPressed {
  static constexpr std::string_view kName = "retry";
};
struct DiagnosticsPressed {
  static constexpr std::string_view kName = "diagnostics";
};
struct ResealPressed {
  static constexpr std::string_view kName = "reseal";
};

using TechnicianEvent =
    std::variant<NetworkUp, NetworkDown, RegionKeyboardConfirmed, NetworkConnected, ProfileReceived,
                 ProfileUnavailable, TechnicianKeyPressed, OptionChosen, RefreshPressed,
                 ProvisionPressed, PreprovisioningRefused, StepSucceeded, StepFailed,
                 TrackingCreated, ItemStarted, ItemProgress, ItemSucceeded, ItemFailed,
                 ItemNeedsRetry, Tick, Rebooted, RetryPressed, ResetPressed, DiagnosticsPressed,
                 ResealPressed>;

std::string_view ToString(const TechnicianEvent& event);

/// The state after `event` at `now`; kFailedPrecondition (naming screen and event) when the
/// screen does not take the event. Highlights:
/// - The technician key counts only on the first out-of-box screen; the fifth press opens the
///   menu. Fewer presses change nothing else.
/// - Provision refuses (staying on the landing screen, nothing installed) when there is no
///   profile or it does not allow pre-provisioning (kPreprovisioningNotAllowedCode); otherwise
///   Device preparation starts with its first step. PreprovisioningRefused (the service's
///   verdict) returns to the landing screen likewise, before Device setup.
/// - TrackingCreated needs a technician-flow plan (kInvalidArgument otherwise). When the plan
///   does not show progress, the ESP is not shown: the flow goes straight to the success screen,
///   which then certifies enrollment only; the driver installs the items in the background
///   without holding the device and nothing they do fails the flow.
/// - Item events are taken on device-setup only; Tick and Rebooted anywhere. A restart before
///   Provision starts the out-of-box screens over (the profile is downloaded again); during the
///   ESP it resumes the phase.
/// - Retry resumes the failed phase (esp/run.hpp TryAgain); success after it is
///   kSuccessOnRetry.
[[nodiscard]] Result<TechnicianState> Apply(const TechnicianState& state,
                                            const TechnicianEvent& event, Timestamp now);

/// The Graph deployment state the flow is in: notAttempted before Provision, failure when refused
/// or failed (or reset), inProgress during the ESP, success or successOnRetry after it.
DeploymentState DeploymentStateOf(const TechnicianState& state);

/// Where a phase is, as the ESP lists it. Account setup never runs in this flow.
PhaseStatus PhaseStatusOf(const TechnicianState& state, EspPhase phase);

/// The phase runs the flow holds, in ESP order: Device preparation, then Device setup once it
/// has a plan.
std::vector<const PhaseRun*> PhaseRuns(const TechnicianState& state);

/// What the device has when the technician flow ends: its Device setup run folded into an empty
/// inventory (UpdateInventory). The device reports it when the flow finishes and sends it with
/// the user flow's deployment request.
std::vector<InstalledItem> InventoryAfter(const TechnicianState& state);

/// The phase run on screen: Device preparation on its screen, Device setup on its; null on
/// every other screen.
const PhaseRun* PhaseOnScreen(const TechnicianState& state);

/// The Device-preparation step in progress, when the flow is on that screen and one runs.
std::optional<PreparationStep> StepInProgress(const TechnicianState& state);

/// The code a failed Device-preparation step shows (spec §11.2): securing the hardware
/// 0x80070005, joining 0x801C0003, registering for management 0x80180001 (or
/// kDeviceAlreadyEnrolledCode when the service said the device is enrolled already), preparing
/// for management 0x80180002.
std::int64_t PreparationFailureCode(PreparationStep step, bool already_enrolled = false);

/// The service's verdict when a technician presses Provision (DESIGN.md §3.9, spec §4.6): no
/// profile, or one that does not allow pre-provisioning, is kPreprovisioningNotAllowedCode; a
/// device whose registration is enrolled (or blocked) is kDeviceAlreadyEnrolledCode until an
/// admin re-provisions it (which moves it to pendingReset). nullopt = go ahead.
std::optional<FlowError> CheckPreprovisioning(const AutopilotDeviceIdentity& registration,
                                              const DeploymentProfile* profile);

/// The QR code payload for a registration id, in the format Microsoft's companion app reads.
std::string QrPayload(std::string_view registration_id);

}  // namespace groundcrew::core

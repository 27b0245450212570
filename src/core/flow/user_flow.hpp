#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/result.hpp"
#include "core/compliance/compliance.hpp"
#include "core/esp/plan.hpp"
#include "core/esp/run.hpp"
#include "core/flow/flow_common.hpp"
#include "core/targeting/eligibility.hpp"

// The user flow (the end user's first power-on of a resealed device, spec §10) as a pure state
// machine:
//
//   network-check -> [region-keyboard -> connect-network] -> profile-download -> [oobe-pages]
//     -> sign-in -> signing-in -> [mfa] -> identifying -> device-setup -> [privacy]
//     -> account-setup -> [quality-updates] -> desktop
//   A failure or timeout of Device setup or Account setup -> esp-error, which offers what the ESP
//   profile allows (EspErrorOptions): Try again (resume the failed phase), Continue anyway
//   (desktop, successWithTimeout), Reset (wipe: reset), Collect logs.
//
// Device preparation is not run: the technician flow did it, and the ESP shows it complete.
// Device setup runs the delta of the plan (esp/plan.hpp); the privacy page, unless the profile
// hides it, appears when Account setup begins. groundcrew keeps the user signed in across a
// restart during the ESP and resumes the phase (DESIGN.md; Windows asks for the credentials
// again). When the ESP profile does not show progress the ESP is not shown at all: after sign-in
// (and the privacy page) the desktop appears at once; the driver installs both phases' items in
// the background without holding the user, and nothing they do changes the deployment state.
namespace groundcrew::core {

enum class UserScreen {
  kNetworkCheck,     ///< UF0/UF1
  kRegionKeyboard,   ///< UF2: no network at start
  kConnectNetwork,   ///< UF3
  kProfileDownload,  ///< UF4/UF5: again after every restart before sign-in
  kOobePages,        ///< the region, keyboard and license pages the profile does not hide
  kSignIn,           ///< UF6: user name pre-filled (and enforced) for an assigned device
  kSigningIn,        ///< credentials submitted; waiting for the verdict
  kMfa,              ///< UF7
  kIdentifying,      ///< signed in; the ESP shows Device preparation complete, the plan is coming
  kDeviceSetup,      ///< UF9: the delta
  kPrivacy,          ///< UF10
  kAccountSetup,     ///< UF11
  kQualityUpdates,   ///< UF12
  kEspError,         ///< UF14
  kDesktop,          ///< UF13 (and UF15: reached with "Continue anyway")
  kReset,            ///< UF16: wiped
};

std::string_view ToString(UserScreen screen);

/// Why the sign-in page shows an error.
enum class SignInError {
  kInvalidCredentials,  ///< wrong user name or password
  kLockedOut,           ///< too many failures (password or MFA)
  kNotAssignedUser,     ///< the device is assigned to someone else
  kOutsideMdmScope,
  kJoinNotAllowed,
  kDisabled,
  kUnlicensed,
};

std::string_view ToString(SignInError error);
SignInError ToSignInError(SignInRefusal::Reason reason);

struct SignInProblem {
  SignInError error = SignInError::kInvalidCredentials;
  std::string message;  ///< what the sign-in page shows

  friend bool operator==(const SignInProblem&, const SignInProblem&) = default;
};

/// The user flow of one device.
struct UserState {
  UserScreen screen = UserScreen::kNetworkCheck;
  bool network_up = false;
  bool region_keyboard_shown = false;
  std::optional<ProfileInfo> profile;
  std::string profile_unavailable;
  std::vector<OobePage> pages;  ///< pages still to confirm before the sign-in page
  std::string upn;              ///< submitted, then signed in
  bool signed_in = false;
  std::optional<SignInProblem> sign_in_problem;  ///< shown on the sign-in page
  int mfa_failures = 0;
  std::optional<EspPlan> plan;
  std::optional<PhaseRun> device_setup;
  std::optional<PhaseRun> account_setup;
  std::optional<EspPhase> failed_phase;  ///< on esp-error
  bool retried = false;                  ///< Try again was used
  bool continued_anyway = false;
  bool logs_collected = false;
  /// The device's compliance as the user flow sees it: reset (unknown) at sign-in, evaluated
  /// again once the desktop is reached (DESIGN.md §4.11).
  ComplianceResult compliance;
};

/// The user name the sign-in page pre-fills (the assigned user), empty when none.
std::string_view PrefilledUpn(const UserState& state);
/// True when the ESP is shown (the plan shows progress); false before the plan arrived.
bool EspShown(const UserState& state);

// User events (with the shared ones of flow_common.hpp and esp/run.hpp).
/// Next on one of the out-of-box pages before sign-in.
struct PageConfirmed {
  static constexpr std::string_view kName = "page-confirmed";
};
struct SignInSubmitted {
  static constexpr std::string_view kName = "sign-in-submitted";
  std::string upn;
};
struct SignInRefused {
  static constexpr std::string_view kName = "sign-in-refused";
  SignInProblem problem;
};
struct SignInAccepted {
  static constexpr std::string_view kName = "sign-in-accepted";
};
struct MfaRequired {
  static constexpr std::string_view kName = "mfa-required";
};
struct MfaCodeAccepted {
  static constexpr std::string_view kName = "mfa-code-accepted";
};
struct MfaCodeRefused {
  static constexpr std::string_view kName = "mfa-code-refused";
};
/// The service sent the user-flow plan (Device setup delta and Account setup).
struct PlanReceived {
  static constexpr std::string_view kName = "plan-received";
  EspPlan plan;
};
struct PrivacyAccepted {
  static constexpr std::string_view kName = "privacy-accepted";
};
struct TryAgainPressed {
  static constexpr std::string_view kName = "try-again";
};
struct ContinueAnywayPressed {
  static constexpr std::string_view kName = "continue-anyway";
};
struct CollectLogsPressed {
  static constexpr std::string_view kName = "collect-logs";
};
struct QualityUpdatesDone {
  static constexpr std::string_view kName = "quality-updates-done";
};

/// The service evaluated the device's compliance after the flow reached the desktop.
struct ComplianceEvaluated {
  static constexpr std::string_view kName = "compliance-evaluated";
  ComplianceResult result;
};

using UserEvent =
    std::variant<NetworkUp, NetworkDown, RegionKeyboardConfirmed, NetworkConnected, ProfileReceived,
                 ProfileUnavailable, PageConfirmed, SignInSubmitted, SignInRefused, SignInAccepted,
                 MfaRequired, MfaCodeAccepted, MfaCodeRefused, PlanReceived, ItemStarted,
                 ItemProgress, ItemSucceeded, ItemFailed, ItemNeedsRetry, Tick, Rebooted,
                 PrivacyAccepted, TryAgainPressed, ContinueAnywayPressed, ResetPressed,
                 CollectLogsPressed, QualityUpdatesDone, ComplianceEvaluated>;

std::string_view ToString(const UserEvent& event);

/// The state after `event` at `now`; kFailedPrecondition (naming screen and event) when the
/// screen does not take the event. Highlights:
/// - SignInSubmitted with an empty name is kInvalidArgument; with a name other than the assigned
///   user's (ASCII case-insensitively) it stays on sign-in showing kNotAssignedUser without
///   asking the service.
/// - SignInRefused (from signing-in or mfa) returns to sign-in with the problem shown.
/// - PlanReceived needs a user-flow plan (kInvalidArgument otherwise) and starts Device setup.
/// - Item events are taken on device-setup and account-setup; Tick and Rebooted anywhere. A
///   restart before the user is signed in starts the out-of-box screens over; after, the flow
///   resumes where it was, still signed in.
/// - The error screen's options are those of the plan; one it does not offer is
///   kFailedPrecondition.
[[nodiscard]] Result<UserState> Apply(const UserState& state, const UserEvent& event,
                                      Timestamp now);

/// The Graph deployment state: inProgress until the desktop; then success, successOnRetry
/// (Try again was used) or successWithTimeout (Continue anyway); failure on the error screen and
/// once reset.
DeploymentState DeploymentStateOf(const UserState& state);

/// Where a phase is, as the ESP lists it. Device preparation is always complete: the technician
/// flow did it.
PhaseStatus PhaseStatusOf(const UserState& state, EspPhase phase);

/// The phase runs the flow holds, in ESP order: Device setup, then Account setup, as far as
/// each has started.
std::vector<const PhaseRun*> PhaseRuns(const UserState& state);

/// What the device has when the user flow ends: `before` (what it had when the flow started,
/// InventoryAfter of the technician flow) updated with the flow's Device setup and Account setup
/// runs (UpdateInventory). The device reports it when the flow finishes.
std::vector<InstalledItem> InventoryAfter(std::vector<InstalledItem> before,
                                          const UserState& state);

/// The phase run on screen: Device setup or Account setup on its screen; null on every other.
const PhaseRun* PhaseOnScreen(const UserState& state);

}  // namespace groundcrew::core

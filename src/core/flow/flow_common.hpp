#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/device.hpp"
#include "core/model/directory.hpp"
#include "core/model/profiles.hpp"

// What the technician flow and the user flow share: the deployment profile as the device sees it,
// the out-of-box pages, the events of the first screens, and the deployment states of reports.
namespace groundcrew::core {

/// Graph `windowsAutopilotDeploymentState`: how a deployment ended (or that it has not).
enum class DeploymentState {
  kUnknown,
  kSuccess,
  kInProgress,
  kFailure,
  kSuccessWithTimeout,  ///< the ESP failed and the user chose "Continue anyway"
  kNotAttempted,
  kDisabled,
  kSuccessOnRetry,  ///< succeeded after "Try again" (user flow) or Retry (technician flow)
};

/// Graph's spelling: "success", "successWithTimeout", ...
std::string_view ToString(DeploymentState state);

/// What the deployment service tells a device about itself and its deployment profile.
struct ProfileInfo {
  std::string organization_name;
  std::string profile_name;
  std::string registration_id;    ///< the ZtdId: goes into the technician QR code
  std::string assigned_user_upn;  ///< pre-filled and enforced at sign-in; empty = none
  std::string greeting_name;      ///< addressableUserName
  bool preprovisioning_allowed = false;
  bool privacy_settings_hidden = false;
  bool eula_hidden = false;
  bool keyboard_selection_page_skipped = false;
  std::string locale = "os-default";
  /// outOfBoxExperienceSetting.userType: whether the signed-in user's local account is an
  /// administrator (Autopilot's "User account type").
  WindowsUserType user_type = WindowsUserType::kAdministrator;

  friend bool operator==(const ProfileInfo&, const ProfileInfo&) = default;
};

/// The profile as the service sends it to `registration`'s device.
ProfileInfo MakeProfileInfo(const TenantSettings& tenant,
                            const AutopilotDeviceIdentity& registration,
                            const DeploymentProfile& profile);

/// The out-of-box pages a person may see before the ESP.
enum class OobePage { kRegion, kKeyboard, kEula, kSignIn };

std::string_view ToString(OobePage page);

/// The pages shown after the profile arrived and before the sign-in page (spec §7.1, §9.2):
/// region when the profile sets no locale, keyboard unless the profile skips it and sets a
/// locale, license terms unless hidden. Region and keyboard are never shown twice: when the
/// device started without network they were shown already (`region_keyboard_shown`). Without a
/// profile (`profile` null) nothing is hidden.
std::vector<OobePage> PagesBeforeSignIn(const ProfileInfo* profile, bool region_keyboard_shown);

/// An error a flow shows: a code (exit code or HRESULT, see FormatErrorCode) and words.
struct FlowError {
  std::int64_t code = 0;
  std::string message;

  friend bool operator==(const FlowError&, const FlowError&) = default;
};

// Events both flows accept on their first screens (spec §9.2 steps 1-4, §10.2 step 1).
// Network facts are accepted on every screen; they only move the flow before the profile.

/// Network with internet access is available (wired, or remembered Wi-Fi).
struct NetworkUp {
  static constexpr std::string_view kName = "network-up";
};
struct NetworkDown {
  static constexpr std::string_view kName = "network-down";
};
/// The person confirmed the region and keyboard pages shown because there was no network.
struct RegionKeyboardConfirmed {
  static constexpr std::string_view kName = "region-keyboard-confirmed";
};
/// "Let's connect you to a network": connected, Next pressed.
struct NetworkConnected {
  static constexpr std::string_view kName = "network-connected";
};
/// The network screens both flows share (spec §9.2 step 2, §10.2 step 1). `State` has a
/// `screen` whose enum names kNetworkCheck, kRegionKeyboard, kConnectNetwork and
/// kProfileDownload, plus `network_up` and `region_keyboard_shown`. With no network at start the
/// region and keyboard pages are shown (even when the profile would hide them: it is not known
/// yet), then "Let's connect you to a network"; with a network, the profile is downloaded.
/// Each function returns the next state, or nullopt when the event does not fit the screen.
namespace network_screens {

template <class State>
State Up(State state) {
  state.network_up = true;
  if (state.screen == decltype(state.screen)::kNetworkCheck) {
    state.screen = decltype(state.screen)::kProfileDownload;
  }
  return state;
}

template <class State>
State Down(State state) {
  using Screen = decltype(state.screen);
  state.network_up = false;
  if (state.screen == Screen::kNetworkCheck) {
    state.screen = Screen::kRegionKeyboard;
    state.region_keyboard_shown = true;
  } else if (state.screen == Screen::kProfileDownload) {
    state.screen = Screen::kConnectNetwork;
  }
  return state;
}

template <class State>
std::optional<State> RegionKeyboardConfirmed(State state) {
  using Screen = decltype(state.screen);
  if (state.screen != Screen::kRegionKeyboard) return std::nullopt;
  state.screen = Screen::kConnectNetwork;
  return state;
}

template <class State>
std::optional<State> Connected(State state) {
  using Screen = decltype(state.screen);
  if (state.screen != Screen::kConnectNetwork) return std::nullopt;
  state.network_up = true;
  state.screen = Screen::kProfileDownload;
  return state;
}

/// The profile download both flows share: on the profile-download screen, records the profile
/// (or, when `profile` is empty, why there is none: `unavailable`, or "no deployment profile");
/// nullopt on any other screen. The flow then decides the next screen.
template <class State>
std::optional<State> ProfileDownloaded(State state, std::optional<ProfileInfo> profile,
                                       std::string_view unavailable) {
  if (state.screen != decltype(state.screen)::kProfileDownload) return std::nullopt;
  state.profile = std::move(profile);
  state.profile_unavailable.clear();
  if (!state.profile) {
    state.profile_unavailable = unavailable.empty() ? "no deployment profile" : unavailable;
  }
  return state;
}

}  // namespace network_screens

/// The deployment service sent the device's profile.
struct ProfileReceived {
  static constexpr std::string_view kName = "profile-received";
  ProfileInfo profile;
};
/// The deployment service has no profile for the device (not registered, or nothing assigned).
struct ProfileUnavailable {
  static constexpr std::string_view kName = "profile-unavailable";
  std::string reason{};
};
/// "Reset device" (user flow error screen) / "Reset" (technician failure screen): wipe.
struct ResetPressed {
  static constexpr std::string_view kName = "reset";
};

/// kFailedPrecondition for an event a screen does not accept, naming both.
Error NotAllowed(std::string_view flow, std::string_view screen, std::string_view event);

}  // namespace groundcrew::core

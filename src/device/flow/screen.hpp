#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/esp/run.hpp"
#include "core/flow/technician_flow.hpp"
#include "core/flow/user_flow.hpp"

// The screen model: what the person at the device sees and may do, as a plain value. It is
// computed here from a flow's state (core/flow) and what only the device knows (download
// progress, the pre-flight checks, a message after a wrong code); views render it and never
// decide (device/agent/views: the full-screen terminal, plain lines for logs, JSON for tools;
// a browser next). A view turns key presses into the screen's Buttons and typed text into its
// Inputs; the driver decides what a pressed button does. Pure.
namespace groundcrew::device {

/// Which screen is up.
enum class ScreenId {
  kConnecting,          ///< checking the network, downloading the profile: "Just a moment"
  kRegion,              ///< no network yet: "Is this the right country or region?"
  kKeyboard,            ///< no network yet: "Is this the right keyboard layout?"
  kConnectNetwork,      ///< "Let's connect you to a network"
  kWelcome,             ///< the first screen (language per profile); takes the technician key
  kOptionsMenu,         ///< "What would you like to do?"
  kLanding,             ///< pre-provisioning: organization, profile, user, QR code, checks
  kEsp,                 ///< "Setting up your device for work": the three phases
  kProvisioned,         ///< the technician's success screen: Reseal
  kProvisioningFailed,  ///< the technician's failure screen: Retry, Reset, Diagnostics
  kResealed,            ///< ready for delivery
  kOobePage,            ///< the region, keyboard and license pages the profile shows
  kSignIn,              ///< user name (pre-filled for an assigned device) and password
  kMfaRegistration,     ///< set up an authenticator: QR code and secret, then a first code
  kMfa,                 ///< the code from the authenticator
  kPrivacy,             ///< "Choose privacy settings for your device"
  kEspError,            ///< the ESP failed: the profile's message and options
  kDesktop,             ///< the desktop is ready
  kReset,               ///< the device was reset
  kStopped,             ///< the run ended without a way on here (a refusal, a fatal error)
};

/// The screen's name on the wire and in plain logs: "landing", "espError", ...
std::string_view ScreenIdName(ScreenId id);

/// What pressing a button asks the driver to do.
enum class Action {
  kNext,            ///< Next / Yes / OK on a page
  kTechnicianKey,   ///< one press of the technician key (hidden: never advertised)
  kPreprovision,    ///< options menu: "Pre-provision with groundcrew"
  kBack,            ///< options menu: back to the first screen
  kRefresh,         ///< landing: download the profile again
  kProvision,       ///< landing: start pre-provisioning
  kReseal,          ///< technician success
  kRetry,           ///< technician failure
  kReset,           ///< technician failure / ESP error: wipe the device
  kDiagnostics,     ///< technician failure: export diagnostics
  kSignIn,          ///< sign-in: submit user name and password
  kVerify,          ///< MFA (and registration): submit the code
  kAccept,          ///< privacy: accept the settings
  kTryAgain,        ///< ESP error
  kContinueAnyway,  ///< ESP error
  kCollectLogs,     ///< ESP error
  kToggleDetails,   ///< ESP: show or hide one phase's details (Button::phase)
};

/// The action's name on the wire and in answers files: "provision", "continueAnyway", ...
std::string_view ActionName(Action action);
std::optional<Action> ActionFromName(std::string_view name);

struct Button {
  Action action = Action::kNext;
  std::string label = {};  ///< e.g. "Provision"; empty for a hidden button
  char key = 0;            ///< the key that presses it on a terminal ('\n': Enter)
  bool hidden = false;     ///< taken but not shown (the technician key)
  std::optional<core::EspPhase> phase = {};  ///< kToggleDetails: which phase

  friend bool operator==(const Button&, const Button&) = default;
};

/// A line of "label: value". A secret value (an authenticator's key) is shown on the device's
/// own screen only: views that write logs leave it out.
struct Field {
  std::string label = {};
  std::string value = {};
  bool secret = false;

  friend bool operator==(const Field&, const Field&) = default;
};

/// Something the person types: `name` is the answer's key ("userPrincipalName", "password",
/// "code").
struct Input {
  std::string name = {};
  std::string label = {};
  std::string value = {};  ///< pre-filled
  bool secret = false;     ///< typed without echo (a password)
  bool locked = false;     ///< pre-filled and enforced: cannot be changed

  friend bool operator==(const Input&, const Input&) = default;
};

/// One line of the landing screen's pre-flight checklist.
struct Check {
  std::string label = {};  ///< e.g. "Device registered"
  bool passed = false;
  std::string detail = {};  ///< why it failed, or what it found

  friend bool operator==(const Check&, const Check&) = default;
};

/// A message on the screen: after a wrong password, while the service cannot be reached...
struct Notice {
  enum class Tone { kInfo, kWarning, kError, kSuccess };
  Tone tone = Tone::kInfo;
  std::string text = {};

  friend bool operator==(const Notice&, const Notice&) = default;
};

/// One tracked item as the ESP's details show it.
struct ItemLine {
  std::string id = {};
  std::string name = {};
  std::string state = {};     ///< "Waiting", "Downloading", "Installing", "Installed", "Failed"...
  std::string progress = {};  ///< "42% (1.2 of 2.9 MB)" while downloading; else empty
  int attempt = 0;            ///< attempts started in this run
  std::optional<std::chrono::seconds> elapsed = {};  ///< of the current or last attempt
  std::string error = {};  ///< "Error 1603: ..." when it failed or timed out

  friend bool operator==(const ItemLine&, const ItemLine&) = default;
};

/// A category of a phase ("Security policies", "Certificates", "Network connections", "Apps",
/// or a Device-preparation step) with its "(N of M)" count.
struct CategoryLine {
  std::string name = {};
  std::string status = {};  ///< "Identifying", "2 of 3 installed", "Complete", "Failed"...
  int done = 0;
  int total = 0;
  std::vector<ItemLine> items = {};

  friend bool operator==(const CategoryLine&, const CategoryLine&) = default;
};

struct PhaseLine {
  core::EspPhase phase = core::EspPhase::kDeviceSetup;
  std::string name = {};    ///< "Device preparation", "Device setup", "Account setup"
  std::string status = {};  ///< "Waiting", "Working on it", "Complete", "Failed", "Not part of..."
  bool details = false;     ///< per-item lines shown
  std::vector<CategoryLine> categories = {};

  friend bool operator==(const PhaseLine&, const PhaseLine&) = default;
};

struct Screen {
  ScreenId id = ScreenId::kConnecting;
  std::string title = {};
  std::vector<std::string> text = {};  ///< paragraphs under the title
  std::vector<Field> fields = {};
  std::string qr = {};     ///< text to show as a QR code; empty = none
  bool qr_secret = false;  ///< the QR code holds a secret: the device's own screen only
  std::vector<Check> checks = {};
  std::vector<PhaseLine> phases = {};
  std::vector<Input> inputs = {};
  std::optional<Notice> notice = {};
  std::vector<Button> buttons = {};  ///< the ones this screen takes, and no other

  /// The button for `action` (and `phase`, for kToggleDetails) if the screen offers it.
  const Button* Find(Action action, std::optional<core::EspPhase> phase = std::nullopt) const;

  friend bool operator==(const Screen&, const Screen&) = default;
};

/// Bytes of an item's content fetched so far (the executor's report; UI-only).
struct Transfer {
  std::uint64_t done = 0;
  std::uint64_t total = 0;  ///< 0 = unknown
};

/// What the device knows beside the flow's state.
struct DeviceView {
  core::Timestamp now{};
  std::map<std::string, Transfer, std::less<>> transfers = {};  ///< running items, by id
  std::set<core::EspPhase> details = {};                        ///< phases showing their items
  std::vector<Check> checks = {};     ///< landing: the pre-flight checklist
  std::optional<Notice> notice = {};  ///< a message for the screen up
  /// MFA registration: the otpauth:// URI for the QR code and its secret in base32.
  std::string enrollment_uri = {};
  std::string enrollment_secret = {};
  std::string default_region = "United States";
  std::string default_keyboard = "US";
};

/// The first screen (before a flow is chosen): Next goes on as the user; the technician key,
/// taken but never advertised, counts towards pre-provisioning.
Screen WelcomeScreen(const DeviceView& device);
/// "What would you like to do?": Pre-provision, or back.
Screen OptionsMenuScreen();
/// The network pages shown before a profile is known (no network at start).
Screen RegionScreen(const DeviceView& device);
Screen KeyboardScreen(const DeviceView& device);
Screen ConnectNetworkScreen(const DeviceView& device);
/// A screen the run ends on without a way on: `title` and why.
Screen StoppedScreen(std::string title, std::string why);

/// The technician flow's screen (network pages through Resealed).
Screen TechnicianScreenOf(const core::TechnicianState& state, const DeviceView& device);
/// The user flow's screen. kMfa becomes kMfaRegistration while `device.enrollment_uri` is set.
Screen UserScreenOf(const core::UserState& state, const DeviceView& device);

/// How an item's bytes read: "42% (1.2 of 2.9 MB)", or "1.2 MB" when the total is unknown.
/// Decimal units (B, kB, MB, GB), both in the unit of the larger; one decimal except for bytes.
std::string FormatTransfer(const Transfer& transfer);
/// "45 s", "3 min 05 s", "1 h 02 min".
std::string FormatElapsed(std::chrono::seconds elapsed);

}  // namespace groundcrew::device

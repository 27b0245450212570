#include "device/flow/screen.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace groundcrew::device {
namespace {

using core::EspPhase;
using core::ItemKind;
using core::ItemStatus;
using core::PhaseStatus;
using core::TechnicianScreen;
using core::UserScreen;

constexpr std::array<std::pair<ScreenId, std::string_view>, 20> kScreenNames = {{
    {ScreenId::kConnecting, "connecting"},
    {ScreenId::kRegion, "region"},
    {ScreenId::kKeyboard, "keyboard"},
    {ScreenId::kConnectNetwork, "connectNetwork"},
    {ScreenId::kWelcome, "welcome"},
    {ScreenId::kOptionsMenu, "optionsMenu"},
    {ScreenId::kLanding, "landing"},
    {ScreenId::kEsp, "esp"},
    {ScreenId::kProvisioned, "provisioned"},
    {ScreenId::kProvisioningFailed, "provisioningFailed"},
    {ScreenId::kResealed, "resealed"},
    {ScreenId::kOobePage, "oobePage"},
    {ScreenId::kSignIn, "signIn"},
    {ScreenId::kMfaRegistration, "mfaRegistration"},
    {ScreenId::kMfa, "mfa"},
    {ScreenId::kPrivacy, "privacy"},
    {ScreenId::kEspError, "espError"},
    {ScreenId::kDesktop, "desktop"},
    {ScreenId::kReset, "reset"},
    {ScreenId::kStopped, "stopped"},
}};

constexpr std::array<std::pair<Action, std::string_view>, 17> kActionNames = {{
    {Action::kNext, "next"},
    {Action::kTechnicianKey, "technicianKey"},
    {Action::kPreprovision, "preprovision"},
    {Action::kBack, "back"},
    {Action::kRefresh, "refresh"},
    {Action::kProvision, "provision"},
    {Action::kReseal, "reseal"},
    {Action::kRetry, "retry"},
    {Action::kReset, "reset"},
    {Action::kDiagnostics, "diagnostics"},
    {Action::kSignIn, "signIn"},
    {Action::kVerify, "verify"},
    {Action::kAccept, "accept"},
    {Action::kTryAgain, "tryAgain"},
    {Action::kContinueAnyway, "continueAnyway"},
    {Action::kCollectLogs, "collectLogs"},
    {Action::kToggleDetails, "toggleDetails"},
}};

constexpr char kEnter = '\n';

Button Press(Action action, std::string label, char key) {
  return Button{.action = action, .label = std::move(label), .key = key};
}

// The ESP's categories of a phase, in the order it lists them (spec §11.3, §11.4).
struct Category {
  std::string_view name;
  ItemKind kind;
  std::string_view done_word;  // "2 of 3 installed"
};
constexpr std::array<Category, 4> kCategories = {{
    {"Security policies", ItemKind::kPolicy, "applied"},
    {"Certificates", ItemKind::kCertificate, "added"},
    {"Network connections", ItemKind::kNetwork, "added"},
    {"Apps", ItemKind::kApp, "installed"},
}};

std::string ItemState(const core::ItemRun& item, const DeviceView& device, std::string& progress) {
  const bool app = item.plan.kind == ItemKind::kApp;
  const bool removal = item.plan.action == core::ItemAction::kUninstall;
  switch (item.status) {
    case ItemStatus::kWaiting:
      return item.attempt > 0 && item.not_before ? "Waiting to try again" : "Waiting";
    case ItemStatus::kInProgress: {
      auto transfer = device.transfers.find(item.plan.id);
      // Downloading until the content is all here; then the installer runs.
      if (transfer != device.transfers.end() &&
          (transfer->second.total == 0 || transfer->second.done < transfer->second.total)) {
        progress = FormatTransfer(transfer->second);
        return "Downloading";
      }
      if (item.plan.kind == ItemKind::kPreparationStep) return "Working on it";
      if (removal) return "Removing";
      return app                                        ? "Installing"
             : item.plan.kind == ItemKind::kCertificate ? "Requesting"
                                                        : "Applying";
    }
    case ItemStatus::kSucceeded:
      if (item.plan.kind == ItemKind::kPreparationStep) return "Complete";
      if (removal) return "Removed";
      if (app) return "Installed";
      // As the item's category counts it: certificates and network connections are added.
      return item.plan.kind == ItemKind::kPolicy ? "Applied" : "Added";
    case ItemStatus::kFailed:
      return "Failed";
    case ItemStatus::kTimedOut:
      return "Timed out";
    case ItemStatus::kDeferred:
      return "Installed when the user signs in";
    case ItemStatus::kNotAttempted:
      return "Not attempted";
  }
  return "";
}

ItemLine LineOf(const core::ItemRun& item, const DeviceView& device) {
  ItemLine line{.id = item.plan.id, .name = item.plan.display_name, .attempt = item.attempt};
  line.state = ItemState(item, device, line.progress);
  if (item.started_at) {
    const core::Timestamp end =
        item.status == ItemStatus::kInProgress ? device.now : item.finished_at.value_or(device.now);
    line.elapsed =
        std::max(std::chrono::seconds(0),
                 std::chrono::duration_cast<std::chrono::seconds>(end - *item.started_at));
  }
  if (item.status == ItemStatus::kFailed || item.status == ItemStatus::kTimedOut) {
    line.error = item.code != 0 ? fmt::format("Error {}", core::FormatErrorCode(item.code)) : "";
    if (!item.message.empty()) {
      line.error += fmt::format("{}{}", line.error.empty() ? "" : ": ", item.message);
    }
  }
  return line;
}

std::string_view PhaseStatusText(PhaseStatus status) {
  switch (status) {
    case PhaseStatus::kNotStarted:
      return "Waiting for previous step to complete";
    case PhaseStatus::kInProgress:
      return "Working on it";
    case PhaseStatus::kComplete:
      return "Complete";
    case PhaseStatus::kFailed:
      return "Failed";
  }
  return "";
}

// A phase that has a run: Device preparation lists its steps, the other two their categories.
PhaseLine LineOf(const core::PhaseRun& run, const DeviceView& device) {
  PhaseLine phase{.phase = run.phase,
                  .name = std::string(core::DisplayName(run.phase)),
                  .status = std::string(PhaseStatusText(run.status)),
                  .details = device.details.contains(run.phase)};
  if (run.phase == EspPhase::kDevicePreparation) {
    for (const core::ItemRun& item : run.items) {
      CategoryLine step{.name = item.plan.display_name, .total = 1};
      std::string unused;
      step.status = ItemState(item, device, unused);
      step.done = item.status == ItemStatus::kSucceeded ? 1 : 0;
      step.items.push_back(LineOf(item, device));
      phase.categories.push_back(std::move(step));
    }
    return phase;
  }
  if (run.phase == EspPhase::kAccountSetup) {
    // Entra-joined: the user's sign-in already joined them (spec §11.4).
    phase.categories.push_back({.name = "Joining your organization's network",
                                .status = "Complete",
                                .done = 1,
                                .total = 1});
  }
  for (const Category& category : kCategories) {
    CategoryLine line{.name = std::string(category.name)};
    int failed = 0;
    for (const core::ItemRun& item : run.items) {
      if (item.plan.kind != category.kind) continue;
      line.items.push_back(LineOf(item, device));
      if (item.status == ItemStatus::kDeferred) continue;
      ++line.total;
      if (item.status == ItemStatus::kSucceeded) ++line.done;
      if (item.status == ItemStatus::kFailed || item.status == ItemStatus::kTimedOut) ++failed;
    }
    if (run.status == PhaseStatus::kNotStarted) {
      line.status = "Identifying";
    } else if (line.total == 0) {
      line.status = "No setup needed";
    } else {
      line.status = fmt::format("{} of {} {}", line.done, line.total, category.done_word);
      if (failed > 0) line.status += fmt::format(", {} failed", failed);
    }
    phase.categories.push_back(std::move(line));
  }
  return phase;
}

// A phase without a run yet (or not run in this flow), with the status given.
PhaseLine Pending(EspPhase phase, std::string status, const DeviceView& device,
                  std::string_view category_status) {
  PhaseLine line{.phase = phase,
                 .name = std::string(core::DisplayName(phase)),
                 .status = std::move(status),
                 .details = device.details.contains(phase)};
  if (phase == EspPhase::kDevicePreparation) {
    for (core::PreparationStep step : core::kPreparationSteps) {
      line.categories.push_back(
          {.name = std::string(core::DisplayName(step)), .status = std::string(category_status)});
    }
    return line;
  }
  if (phase == EspPhase::kAccountSetup) {
    line.categories.push_back(
        {.name = "Joining your organization's network", .status = std::string(category_status)});
  }
  for (const Category& category : kCategories) {
    line.categories.push_back(
        {.name = std::string(category.name), .status = std::string(category_status)});
  }
  return line;
}

// A failed phase's error as a person reads it: the code, then what failed by name (the core's
// message, for logs and reports, names items by id too).
std::string FailureText(const core::PhaseRun& run) {
  const core::PhaseFailure& failure = *run.failure;
  std::string names;
  for (const std::string& id : failure.items) {
    const core::ItemRun* item = core::FindItem(run, id);
    names += fmt::format("{}{}", names.empty() ? "" : ", ", item ? item->plan.display_name : id);
  }
  const std::string code = core::FormatErrorCode(failure.code);
  switch (failure.cause) {
    case core::PhaseFailure::Cause::kItemFailed:
      return fmt::format("{}: {} failed", code, names);
    case core::PhaseFailure::Cause::kItemTimedOut:
      return fmt::format("{}: {} took longer than it may", code, names);
    case core::PhaseFailure::Cause::kPhaseTimedOut:
      return fmt::format("{}: {} did not finish in time{}", code, core::DisplayName(run.phase),
                         names.empty() ? "" : "; still working: " + names);
  }
  return code;
}

void AddDetailButtons(Screen& screen) {
  char key = '1';
  for (const PhaseLine& phase : screen.phases) {
    screen.buttons.push_back({.action = Action::kToggleDetails,
                              .label = phase.details ? "Hide details" : "Show details",
                              .key = key++,
                              .phase = phase.phase});
  }
}

Screen EspScreen(std::vector<PhaseLine> phases) {
  Screen screen{.id = ScreenId::kEsp, .title = "Setting up your device for work"};
  screen.text = {
      "This could take a while. The options available to you will be shown here "
      "when setup is done."};
  screen.phases = std::move(phases);
  AddDetailButtons(screen);
  return screen;
}

Screen Connecting(std::string text) {
  return Screen{
      .id = ScreenId::kConnecting, .title = "Just a moment...", .text = {std::move(text)}};
}

std::string OrNone(const std::string& text) { return text.empty() ? "None" : text; }

std::vector<Field> ProfileFields(const std::string& organization, const std::string& profile,
                                 const std::string& user) {
  return {{"Organization", organization}, {"Profile", profile}, {"Assigned user", OrNone(user)}};
}

std::string Grouped(const std::string& secret) {
  std::string out;
  for (size_t i = 0; i < secret.size(); ++i) {
    if (i > 0 && i % 4 == 0) out += ' ';
    out += secret[i];
  }
  return out;
}

std::vector<PhaseLine> TechnicianPhases(const core::TechnicianState& state,
                                        const DeviceView& device) {
  std::vector<PhaseLine> phases{LineOf(state.preparation, device)};
  if (state.device_setup) {
    phases.push_back(LineOf(*state.device_setup, device));
  } else {
    phases.push_back(Pending(EspPhase::kDeviceSetup,
                             std::string(PhaseStatusText(PhaseStatus::kNotStarted)), device,
                             "Waiting"));
  }
  phases.push_back(Pending(EspPhase::kAccountSetup, "Runs when the user signs in", device,
                           "Waiting for the user"));
  return phases;
}

std::vector<PhaseLine> UserPhases(const core::UserState& state, const DeviceView& device) {
  std::vector<PhaseLine> phases{
      Pending(EspPhase::kDevicePreparation, "Complete", device, "Complete")};
  if (state.device_setup) {
    phases.push_back(LineOf(*state.device_setup, device));
  } else {
    phases.push_back(Pending(EspPhase::kDeviceSetup, "Working on it", device, "Identifying"));
  }
  if (state.account_setup) {
    phases.push_back(LineOf(*state.account_setup, device));
  } else {
    phases.push_back(Pending(EspPhase::kAccountSetup,
                             std::string(PhaseStatusText(PhaseStatus::kNotStarted)), device,
                             "Waiting"));
  }
  return phases;
}

Screen OobePageScreen(core::OobePage page) {
  Screen screen{.id = ScreenId::kOobePage};
  switch (page) {
    case core::OobePage::kRegion:
      screen.title = "Is this the right country or region?";
      screen.fields = {{"Country or region", "United States"}};
      screen.buttons = {Press(Action::kNext, "Yes", kEnter)};
      break;
    case core::OobePage::kKeyboard:
      screen.title = "Is this the right keyboard layout or input method?";
      screen.fields = {{"Keyboard", "US"}};
      screen.buttons = {Press(Action::kNext, "Yes", kEnter)};
      break;
    case core::OobePage::kEula:
      screen.title = "License agreement";
      screen.text = {
          "Please read the license agreement your organization provided with this "
          "device. Accepting it lets you go on to sign in."};
      screen.buttons = {Press(Action::kNext, "Accept", kEnter)};
      break;
    case core::OobePage::kSignIn:
      screen.title = "Sign in";
      screen.buttons = {Press(Action::kNext, "Next", kEnter)};
      break;
  }
  return screen;
}

}  // namespace

std::string_view ScreenIdName(ScreenId id) {
  for (const auto& [value, name] : kScreenNames) {
    if (value == id) return name;
  }
  return "";
}

std::string_view ActionName(Action action) {
  for (const auto& [value, name] : kActionNames) {
    if (value == action) return name;
  }
  return "";
}

std::optional<Action> ActionFromName(std::string_view name) {
  for (const auto& [value, spelled] : kActionNames) {
    if (spelled == name) return value;
  }
  return std::nullopt;
}

const Button* Screen::Find(Action action, std::optional<core::EspPhase> phase) const {
  for (const Button& button : buttons) {
    if (button.action == action && (!phase || button.phase == phase)) return &button;
  }
  return nullptr;
}

std::string FormatTransfer(const Transfer& transfer) {
  const std::uint64_t larger = std::max(transfer.done, transfer.total);
  struct Unit {
    std::uint64_t size;
    const char* name;
  };
  Unit unit{1, "B"};
  for (const Unit candidate :
       {Unit{1'000'000'000, "GB"}, Unit{1'000'000, "MB"}, Unit{1'000, "kB"}}) {
    if (larger >= candidate.size) {
      unit = candidate;
      break;
    }
  }
  auto size = [&](std::uint64_t bytes) {
    if (unit.size == 1) return fmt::format("{}", bytes);
    return fmt::format("{:.1f}", static_cast<double>(bytes) / static_cast<double>(unit.size));
  };
  if (transfer.total == 0) return fmt::format("{} {}", size(transfer.done), unit.name);
  const std::uint64_t done = std::min(transfer.done, transfer.total);
  // In long double: done * 100 could overflow 64 bits for huge sizes.
  const int percent = static_cast<int>(static_cast<long double>(done) * 100 /
                                       static_cast<long double>(transfer.total));
  return fmt::format("{}% ({} of {} {})", percent, size(done), size(transfer.total), unit.name);
}

std::string FormatElapsed(std::chrono::seconds elapsed) {
  const long long s = std::max<long long>(0, elapsed.count());
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min {:02} s", s / 60, s % 60);
  return fmt::format("{} h {:02} min", s / 3600, s % 3600 / 60);
}

Screen WelcomeScreen(const DeviceView& device) {
  Screen screen{.id = ScreenId::kWelcome, .title = "Welcome"};
  screen.text = {"Let's set up this device for work."};
  screen.fields = {{"Language", "English (United States)"}, {"Keyboard", device.default_keyboard}};
  screen.buttons = {Press(Action::kNext, "Next", kEnter),
                    Button{.action = Action::kTechnicianKey, .key = 'w', .hidden = true}};
  return screen;
}

Screen OptionsMenuScreen() {
  Screen screen{.id = ScreenId::kOptionsMenu, .title = "What would you like to do?"};
  screen.text = {
      "Pre-provision with groundcrew: install what your organization assigned to "
      "this device now, then reseal it for its user."};
  screen.buttons = {Press(Action::kPreprovision, "Pre-provision with groundcrew", kEnter),
                    Press(Action::kBack, "Back", 'b')};
  return screen;
}

Screen RegionScreen(const DeviceView& device) {
  Screen screen{.id = ScreenId::kRegion, .title = "Is this the right country or region?"};
  screen.fields = {{"Country or region", device.default_region}};
  screen.buttons = {Press(Action::kNext, "Yes", kEnter)};
  return screen;
}

Screen KeyboardScreen(const DeviceView& device) {
  Screen screen{.id = ScreenId::kKeyboard,
                .title = "Is this the right keyboard layout or input method?"};
  screen.fields = {{"Keyboard", device.default_keyboard}};
  screen.buttons = {Press(Action::kNext, "Yes", kEnter)};
  return screen;
}

Screen ConnectNetworkScreen(const DeviceView& device) {
  Screen screen{.id = ScreenId::kConnectNetwork, .title = "Let's connect you to a network"};
  screen.text = {
      "You'll need an internet connection to continue setting up your device. "
      "Connect a network cable, then press Next."};
  screen.notice = device.notice;
  screen.buttons = {Press(Action::kNext, "Next", kEnter)};
  return screen;
}

Screen StoppedScreen(std::string title, std::string why) {
  Screen screen{.id = ScreenId::kStopped, .title = std::move(title)};
  screen.notice = Notice{Notice::Tone::kError, std::move(why)};
  return screen;
}

Screen TechnicianScreenOf(const core::TechnicianState& state, const DeviceView& device) {
  Screen screen;
  switch (state.screen) {
    case TechnicianScreen::kNetworkCheck:
    case TechnicianScreen::kProfileDownload:
      screen = Connecting("Getting your organization's settings for this device.");
      break;
    case TechnicianScreen::kRegionKeyboard:
      screen = RegionScreen(device);
      break;
    case TechnicianScreen::kConnectNetwork:
      screen = ConnectNetworkScreen(device);
      break;
    case TechnicianScreen::kFirstScreen:
      screen = WelcomeScreen(device);
      break;
    case TechnicianScreen::kOptionsMenu:
      screen = OptionsMenuScreen();
      break;
    case TechnicianScreen::kLanding: {
      screen = Screen{.id = ScreenId::kLanding, .title = "Pre-provision with groundcrew"};
      screen.text = {
          "Check what this device will get, then press Provision. After an admin "
          "changes its assignment (the QR code leads to this device), press Refresh."};
      if (state.profile) {
        const core::ProfileInfo& p = *state.profile;
        screen.fields = ProfileFields(p.organization_name, p.profile_name, p.assigned_user_upn);
        screen.fields.push_back({"Registration", p.registration_id});
        screen.qr = core::QrPayload(p.registration_id);
      } else {
        screen.fields = {{"Profile", "None assigned"}};
      }
      screen.checks = device.checks;
      if (state.refusal) {
        screen.notice =
            Notice{Notice::Tone::kError,
                   fmt::format("Error {}: {}", core::FormatErrorCode(state.refusal->code),
                               state.refusal->message)};
      } else {
        screen.notice = device.notice;
        screen.buttons = {Press(Action::kProvision, "Provision", kEnter),
                          Press(Action::kRefresh, "Refresh", 'r')};
      }
      break;
    }
    case TechnicianScreen::kDevicePreparation:
    case TechnicianScreen::kDeviceSetup:
      screen = EspScreen(TechnicianPhases(state, device));
      screen.notice = device.notice;
      break;
    case TechnicianScreen::kResultSuccess:
    case TechnicianScreen::kResultFailure: {
      const bool failed = state.screen == TechnicianScreen::kResultFailure;
      screen = Screen{.id = failed ? ScreenId::kProvisioningFailed : ScreenId::kProvisioned,
                      .title = failed ? "Pre-provisioning failed" : "Pre-provisioning complete"};
      if (state.result) {
        const core::TechnicianResult& r = *state.result;
        screen.fields = ProfileFields(r.organization_name, r.profile_name, r.assigned_user_upn);
        screen.fields.push_back({"Elapsed", FormatElapsed(r.elapsed)});
        if (r.error) {
          const core::PhaseRun* run = nullptr;
          for (const core::PhaseRun* candidate : core::PhaseRuns(state)) {
            if (candidate->phase == state.failed_phase && candidate->failure) run = candidate;
          }
          screen.fields.push_back(
              {"Error", run != nullptr ? FailureText(*run)
                                       : fmt::format("{}: {}", core::FormatErrorCode(r.error->code),
                                                     r.error->message)});
        }
        screen.qr = r.qr_payload;
      }
      if (failed) {
        screen.text = {
            "Retry once the cause is fixed, export diagnostics for support, or reset "
            "the device to start over."};
        screen.buttons = {Press(Action::kRetry, "Retry", 'r'), Press(Action::kReset, "Reset", 'x'),
                          Press(Action::kDiagnostics, "Diagnostics", 'd')};
      } else {
        screen.text = {
            "This device is ready for its user. Press Reseal to shut it down for "
            "delivery; do not start it again before then."};
        screen.buttons = {Press(Action::kReseal, "Reseal", kEnter)};
      }
      screen.notice = device.notice;
      break;
    }
    case TechnicianScreen::kResealed:
      screen = Screen{.id = ScreenId::kResealed, .title = "Resealed"};
      screen.text = {
          "This device is ready for delivery. Its user can start setting it up as "
          "soon as it is switched on."};
      screen.notice = device.notice;
      break;
    case TechnicianScreen::kReset:
      screen = Screen{.id = ScreenId::kReset, .title = "This device was reset"};
      screen.text = {"Everything set up on it was removed. Start it again to set it up."};
      break;
  }
  if (!screen.notice) screen.notice = device.notice;  // whatever the screen, its message
  return screen;
}

Screen UserScreenOf(const core::UserState& state, const DeviceView& device) {
  Screen screen;
  const std::string organization = state.profile ? state.profile->organization_name : "";
  switch (state.screen) {
    case UserScreen::kNetworkCheck:
    case UserScreen::kProfileDownload:
      screen = Connecting("Getting your organization's settings for this device.");
      break;
    case UserScreen::kRegionKeyboard:
      screen = RegionScreen(device);
      break;
    case UserScreen::kConnectNetwork:
      screen = ConnectNetworkScreen(device);
      break;
    case UserScreen::kOobePages:
      screen = OobePageScreen(state.pages.empty() ? core::OobePage::kSignIn : state.pages.front());
      break;
    case UserScreen::kSignIn:
    case UserScreen::kSigningIn: {
      const std::string prefilled(core::PrefilledUpn(state));
      screen = Screen{.id = ScreenId::kSignIn,
                      .title = organization.empty() ? "Sign in" : "Welcome to " + organization};
      screen.text = {"Sign in with your work account."};
      screen.inputs = {{.name = "userPrincipalName",
                        .label = "User name",
                        .value = prefilled.empty() ? state.upn : prefilled,
                        .locked = !prefilled.empty()},
                       {.name = "password", .label = "Password", .secret = true}};
      if (state.screen == UserScreen::kSigningIn) {
        screen.notice = Notice{Notice::Tone::kInfo, "Signing in..."};
      } else {
        if (state.sign_in_problem) {
          screen.notice = Notice{Notice::Tone::kError, state.sign_in_problem->message};
        }
        if (device.notice) {
          screen.notice = Notice{device.notice->tone,
                                 screen.notice ? screen.notice->text + " " + device.notice->text
                                               : device.notice->text};
        }
        screen.buttons = {Press(Action::kSignIn, "Sign in", kEnter)};
      }
      break;
    }
    case UserScreen::kMfa:
      if (!device.enrollment_uri.empty()) {
        screen = Screen{.id = ScreenId::kMfaRegistration, .title = "Set up your authenticator app"};
        screen.text = {
            "Your organization asks for a second way to prove who you are.",
            "Open your authenticator app, add a work account and scan this QR code. Can't scan "
            "it? Enter the key below instead.",
            "Then type the code the app shows to finish."};
        screen.fields = {{"Account", state.upn}, {"Key", Grouped(device.enrollment_secret), true}};
        screen.qr = device.enrollment_uri;
        screen.qr_secret = true;
      } else {
        screen = Screen{.id = ScreenId::kMfa, .title = "Enter code"};
        screen.text = {"Enter the code displayed in the authenticator app on your phone."};
        screen.fields = {{"Account", state.upn}};
      }
      screen.inputs = {{.name = "code", .label = "Code"}};
      screen.notice = device.notice;
      screen.buttons = {Press(Action::kVerify, "Verify", kEnter)};
      break;
    case UserScreen::kIdentifying:
    case UserScreen::kDeviceSetup:
    case UserScreen::kAccountSetup:
      screen = EspScreen(UserPhases(state, device));
      screen.notice = device.notice;
      break;
    case UserScreen::kPrivacy:
      screen = Screen{.id = ScreenId::kPrivacy, .title = "Choose privacy settings for your device"};
      screen.text = {"Diagnostic data: send required diagnostic data only.",
                     "Location, Find my device, tailored experiences and advertising ID: off.",
                     "You can change these settings later."};
      screen.phases = UserPhases(state, device);
      screen.buttons = {Press(Action::kAccept, "Accept", kEnter)};
      break;
    case UserScreen::kQualityUpdates:
      screen = Connecting("Installing the latest quality updates.");
      break;
    case UserScreen::kEspError: {
      screen = Screen{.id = ScreenId::kEspError, .title = "Setting up your device for work"};
      screen.phases = UserPhases(state, device);
      for (const PhaseLine& phase : screen.phases) {
        if (phase.phase != state.failed_phase) continue;
        for (const core::PhaseRun* run : core::PhaseRuns(state)) {
          if (run->phase == phase.phase && run->failure) {
            screen.fields.push_back({"Error", FailureText(*run)});
          }
        }
      }
      if (state.plan) {
        const core::EspErrorOptions& options = state.plan->error_options;
        screen.text = {options.message};
        if (options.try_again) screen.buttons.push_back(Press(Action::kTryAgain, "Try again", 't'));
        if (options.continue_anyway) {
          screen.buttons.push_back(Press(Action::kContinueAnyway, "Continue anyway", 'c'));
        }
        if (options.reset) screen.buttons.push_back(Press(Action::kReset, "Reset device", 'x'));
        if (options.collect_logs) {
          screen.buttons.push_back(Press(Action::kCollectLogs, "Collect logs", 'l'));
        }
      }
      screen.notice = device.notice;
      AddDetailButtons(screen);
      break;
    }
    case UserScreen::kDesktop:
      screen = Screen{.id = ScreenId::kDesktop, .title = "Your desktop is ready"};
      screen.text = {state.continued_anyway
                         ? "Some setup did not finish; it goes on in the background."
                         : "Everything your organization set up for you is here."};
      screen.fields = {{"Signed in as", state.upn}};
      if (!organization.empty())
        screen.fields.insert(screen.fields.begin(), {"Organization", organization});
      screen.notice = device.notice;
      break;
    case UserScreen::kReset:
      screen = Screen{.id = ScreenId::kReset, .title = "This device was reset"};
      screen.text = {"Everything set up on it was removed. Start it again to set it up."};
      break;
  }
  if (!screen.notice) screen.notice = device.notice;  // whatever the screen, its message
  return screen;
}

}  // namespace groundcrew::device

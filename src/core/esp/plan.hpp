#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/model/device.hpp"
#include "core/model/payloads.hpp"
#include "core/model/profiles.hpp"
#include "core/targeting/targeting.hpp"

// ESP plans: what each phase of the Enrollment Status Page tracks, in what order, what blocks,
// and what the error screen offers. DESIGN.md §3 is binding here.
namespace groundcrew::core {

enum class Flow {
  kTechnician,  ///< pre-provisioning at the depot: Device preparation + Device setup
  kUser,        ///< the end user's first sign-in: Device setup (delta) + Account setup
};

enum class EspPhase { kDevicePreparation, kDeviceSetup, kAccountSetup };

/// The ESP's categories ("Security policies", "Certificates", "Network connections", "Apps"),
/// and the steps of Device preparation, which the runtime tracks like items.
enum class ItemKind { kPolicy, kCertificate, kNetwork, kApp, kPreparationStep };

enum class ItemAction { kInstall, kUninstall };

/// Why an item is in a user-flow Device setup (the delta); kTargeted everywhere else.
enum class DeltaReason {
  kTargeted,        ///< first time this item is planned for this device
  kNew,             ///< targeted at the device since the technician flow
  kChangedVersion,  ///< installed, but the assigned version changed
  kRetryFailed,     ///< failed in the technician flow
  kRetrySkipped,    ///< not attempted in the technician flow
};

/// One tracked item of a phase.
struct PlanItem {
  ItemKind kind = ItemKind::kApp;
  std::string id;  ///< payload id
  std::string display_name;
  std::string version;  ///< app displayVersion or profile version, compared for the delta
  ItemAction action = ItemAction::kInstall;
  /// A blocking item's failure or timeout fails the phase; a non-blocking one's is recorded and
  /// retried in the next Device setup.
  bool blocking = true;
  /// Technician flow with a selected blocking list and allowNonBlockingAppInstallation = false:
  /// the item is listed but not attempted (it is installed in the user flow).
  bool deferred = false;
  bool from_assigned_user = false;  ///< the assigned user's device-context app (DESIGN.md §3.4)
  bool auto_dependency = false;     ///< added only because an app in the phase depends on it
  InstallContext context = InstallContext::kDevice;
  std::string installer_class;          ///< apps: items of one class never run concurrently
  std::vector<std::string> depends_on;  ///< ids of items in this phase that must succeed first
  int time_limit_minutes = 60;
  long long size = 0;
  DeltaReason reason = DeltaReason::kTargeted;
  /// Set when the plan already knows the item cannot succeed (e.g. a dependency that is neither
  /// assigned nor auto-installed); the runtime fails it without attempting it.
  std::string plan_error;
};

struct PhasePlan {
  EspPhase phase = EspPhase::kDeviceSetup;
  std::vector<PlanItem> items;  ///< dependencies before dependents; otherwise kind, then name
  int timeout_minutes = kDefaultInstallProgressTimeoutMinutes;  ///< one clock per phase run
};

/// What the ESP error screen offers (DESIGN.md §3.8).
struct EspErrorOptions {
  bool reset = false;            ///< allowDeviceResetOnInstallFailure
  bool try_again = true;         ///< !blockDeviceSetupRetryByUser
  bool continue_anyway = false;  ///< allowDeviceUseOnInstallFailure
  bool collect_logs = false;     ///< allowLogCollectionOnInstallFailure
  std::string message = kDefaultEspErrorMessage;
};

struct EspPlan {
  Flow flow = Flow::kTechnician;
  std::string esp_profile_id;  ///< empty when no ESP profile applies
  std::string esp_profile_name;
  bool show_progress = false;            ///< showInstallationProgress
  bool block_device_use = true;          ///< the user is held until the ESP completes
  bool install_quality_updates = false;  ///< user flow only
  EspErrorOptions error_options;
  PhasePlan device_setup;
  std::optional<PhasePlan> account_setup;  ///< user flow only
};

/// What the device reports about an item after a flow (its installed-state inventory).
enum class ItemOutcome { kInstalled, kFailed, kSkipped };
struct InstalledItem {
  ItemKind kind = ItemKind::kApp;
  std::string id;
  std::string version;
  ItemOutcome outcome = ItemOutcome::kInstalled;

  friend bool operator==(const InstalledItem&, const InstalledItem&) = default;
};

/// The inventory a device reported when one of its flows ended; the service keeps the latest per
/// device and plans the user flow's Device setup from it (the delta that will install).
struct ReportedInventory {
  Flow flow = Flow::kTechnician;   ///< the flow at whose end it was reported
  std::string session_id;          ///< that flow's deployment session
  Timestamp reported_date_time{};  ///< when the flow finished (the device's clock)
  std::vector<InstalledItem> items;

  friend bool operator==(const ReportedInventory&, const ReportedInventory&) = default;
};

std::string_view ToString(Flow flow);            ///< "technician", "user"
std::string_view ToString(EspPhase phase);       ///< "device-setup"
std::string_view ToString(ItemKind kind);        ///< "policy", ..., "app", "preparation-step"
std::string_view ToString(ItemAction action);    ///< "install", "uninstall"
std::string_view ToString(DeltaReason reason);   ///< "retry-failed"
std::string_view ToString(ItemOutcome outcome);  ///< "installed"
/// The inverses of ToString; nullopt for any other text.
std::optional<ItemKind> ItemKindFromString(std::string_view text);
std::optional<ItemOutcome> ItemOutcomeFromString(std::string_view text);

/// Inputs of a plan. `user` is the signed-in user (user flow) — absent in the technician flow.
struct PlanRequest {
  Flow flow = Flow::kTechnician;
  const DirectoryDevice* device = nullptr;                ///< REQUIRES: non-null
  const AutopilotDeviceIdentity* registration = nullptr;  ///< its assigned user matters
  const User* user = nullptr;                             ///< REQUIRES: non-null iff flow == kUser
  std::vector<InstalledItem> installed;                   ///< what the device already has
};

/// Builds the ESP plan for one device and flow.
/// - Technician Device setup: device-targeted required items plus the assigned user's required
///   device-context apps; uninstall intents as non-blocking uninstall items.
/// - User Device setup: the same set minus items installed at the same version (the delta).
/// - Account setup: user-targeted required items and device-targeted user-context apps, minus
///   device-context apps already installed at the same version. Its policies are in user
///   context: they apply for the user.
/// Blocking: every non-app item; apps per selectedMobileAppIds (empty = all).
[[nodiscard]] Result<EspPlan> BuildEspPlan(const TargetingIndex& index, const PlanRequest& request);

/// What a user-flow plan assumes a device has when it has not reported an inventory: a clean
/// technician flow of `technician`, every install item of its Device setup installed at its
/// planned version, except deferred items (not attempted: kSkipped) and items with a plan error
/// (they cannot succeed: kFailed). Uninstall items leave nothing.
std::vector<InstalledItem> AssumedCleanTechnicianFlow(const EspPlan& technician);

/// Lint findings for `groundcrew plan` (DESIGN.md §4.3).
struct PlanFinding {
  enum class Severity { kInfo, kWarning, kError };
  Severity severity = Severity::kWarning;
  std::string code;     ///< stable machine name, e.g. "esp-user-only"
  std::string message;  ///< what is wrong and what to do
};

}  // namespace groundcrew::core

#pragma once

#include <string>
#include <vector>

#include "core/model/assignment.hpp"
#include "core/model/ids.hpp"

// Deployment profiles (Graph `azureADWindowsAutopilotDeploymentProfile`) and Enrollment Status
// Page profiles (Graph `windows10EnrollmentCompletionPageConfiguration`), with Graph defaults
// except where DESIGN.md §3 decides otherwise (noted).
namespace groundcrew::core {

enum class WindowsUserType { kAdministrator, kStandard };
enum class DeviceUsageType { kSingleUser, kShared };
enum class DeviceType { kWindowsPc, kHoloLens, kSurfaceHub2, kSurfaceHub2S, kVirtualMachine };

/// Graph `outOfBoxExperienceSetting`: which out-of-box screens are shown.
struct OutOfBoxExperienceSetting {
  bool privacy_settings_hidden = false;                         ///< privacySettingsHidden
  bool eula_hidden = false;                                     ///< eulaHidden
  bool escape_link_hidden = false;                              ///< escapeLinkHidden
  bool keyboard_selection_page_skipped = false;                 ///< keyboardSelectionPageSkipped
  WindowsUserType user_type = WindowsUserType::kAdministrator;  ///< userType
  DeviceUsageType device_usage_type = DeviceUsageType::kSingleUser;  ///< deviceUsageType
};

struct DeploymentProfile {
  DeploymentProfileId id;
  std::string display_name;  ///< ≤ 200 characters
  std::string description;   ///< ≤ 1500 characters
  std::string locale = "os-default";
  OutOfBoxExperienceSetting out_of_box_experience_setting;
  bool hardware_hash_extraction_enabled = false;
  bool preprovisioning_allowed = false;  ///< preprovisioningAllowed (0x80180005 when false)
  std::string device_name_template;      ///< deviceNameTemplate; empty = keep the OEM name
  DeviceType device_type = DeviceType::kWindowsPc;
  bool is_tenant_default = false;  ///< served to registered devices no profile targets
  Timestamp created_date_time{};
  Timestamp last_modified_date_time{};
  std::vector<AssignmentTarget> assignments;
};

inline constexpr int kDefaultInstallProgressTimeoutMinutes = 60;
inline constexpr int kMaxInstallProgressTimeoutMinutes = 1440;
inline constexpr int kMaxSelectedBlockingApps = 100;
inline constexpr size_t kMaxCustomErrorMessageLength = 10000;
inline constexpr const char* kDefaultEspErrorMessage =
    "Setup could not be completed. Please try again or contact your support person for help.";

/// An Enrollment Status Page profile. The tenant has one default profile (`is_default`, no
/// assignments: it applies to every device and user no other profile targets).
struct EspProfile {
  EspProfileId id;
  std::string display_name;
  std::string description;
  int priority = 0;  ///< 1 = highest; ignored for the default profile
  bool is_default = false;
  Timestamp created_date_time{};
  Timestamp last_modified_date_time{};
  int version = 1;

  bool show_installation_progress = false;  ///< showInstallationProgress
  int install_progress_timeout_in_minutes = kDefaultInstallProgressTimeoutMinutes;
  std::string custom_error_message;  ///< empty = kDefaultEspErrorMessage
  bool allow_log_collection_on_install_failure = false;
  bool allow_device_reset_on_install_failure = false;
  bool allow_device_use_on_install_failure = false;  ///< "Continue anyway"
  bool block_device_setup_retry_by_user = false;     ///< false = "Try again" offered
  /// "Block device use until all apps and profiles are installed" (legacy Graph name, inverted):
  /// false = the user is held on the ESP until it completes.
  bool allow_device_use_before_profile_and_app_install_complete = false;
  /// Blocking apps. Empty = every tracked required app blocks (DESIGN.md §3.3).
  std::vector<AppId> selected_mobile_app_ids;
  /// "Only fail selected blocking apps in technician phase". Graph's default is false;
  /// groundcrew defaults to true for pre-provisioning (DESIGN.md §3.2).
  bool allow_non_blocking_app_installation = true;
  bool install_quality_updates = false;
  bool track_install_progress_for_autopilot_only = false;
  bool disable_user_status_tracking_after_first_user = false;
  std::vector<AssignmentTarget> assignments;
};

}  // namespace groundcrew::core

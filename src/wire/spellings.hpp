#pragma once

#include "core/esp/plan.hpp"
#include "core/esp/run.hpp"
#include "core/flow/technician_flow.hpp"
#include "core/flow/user_flow.hpp"
#include "core/model/assignment.hpp"
#include "core/model/device.hpp"
#include "core/model/directory.hpp"
#include "core/model/payloads.hpp"
#include "core/model/profiles.hpp"
#include "core/report/timeline.hpp"
#include "wire/json_reader.hpp"

// Internal to gc_wire: the JSON spelling of every enumeration the API carries, in the order
// error messages list them. Encode and Decode both read these tables.
namespace groundcrew::wire::internal {

inline constexpr Spelling<core::MdmUserScope> kMdmUserScopes[] = {
    {"none", core::MdmUserScope::kNone},
    {"some", core::MdmUserScope::kSome},
    {"all", core::MdmUserScope::kAll},
};

inline constexpr Spelling<core::DeviceJoinScope> kDeviceJoinScopes[] = {
    {"all", core::DeviceJoinScope::kAll},
    {"selected", core::DeviceJoinScope::kSelected},
    {"none", core::DeviceJoinScope::kNone},
};

inline constexpr Spelling<core::MfaRequirement> kMfaRequirements[] = {
    {"allUsers", core::MfaRequirement::kAllUsers},
    {"selectedGroups", core::MfaRequirement::kSelectedGroups},
    {"none", core::MfaRequirement::kNone},
};

inline constexpr Spelling<core::MembershipKind> kMembershipKinds[] = {
    {"assigned", core::MembershipKind::kAssigned},
    {"dynamic", core::MembershipKind::kDynamic},
};

/// membershipRuleProcessingState, Graph's spelling; the value is rule_processing_paused.
inline constexpr Spelling<bool> kRuleProcessingStates[] = {
    {"On", false},
    {"Paused", true},
};

inline constexpr Spelling<core::TargetKind> kTargetKinds[] = {
    {"#microsoft.graph.groupAssignmentTarget", core::TargetKind::kGroup},
    {"#microsoft.graph.exclusionGroupAssignmentTarget", core::TargetKind::kExclusionGroup},
    {"#microsoft.graph.allDevicesAssignmentTarget", core::TargetKind::kAllDevices},
    {"#microsoft.graph.allLicensedUsersAssignmentTarget", core::TargetKind::kAllLicensedUsers},
};

inline constexpr Spelling<core::InstallIntent> kInstallIntents[] = {
    {"available", core::InstallIntent::kAvailable},
    {"required", core::InstallIntent::kRequired},
    {"uninstall", core::InstallIntent::kUninstall},
};

inline constexpr Spelling<core::PayloadKind> kPayloadKinds[] = {
    {"app", core::PayloadKind::kApp},
    {"policy", core::PayloadKind::kPolicy},
    {"certificate", core::PayloadKind::kCertificate},
    {"network", core::PayloadKind::kNetwork},
    {"compliance", core::PayloadKind::kCompliance},
};

/// Graph's deviceManagementConfigurationPlatforms spelling.
inline constexpr Spelling<core::CompliancePlatform> kCompliancePlatforms[] = {
    {"linux", core::CompliancePlatform::kLinux},
};

inline constexpr Spelling<core::WindowsUserType> kWindowsUserTypes[] = {
    {"administrator", core::WindowsUserType::kAdministrator},
    {"standard", core::WindowsUserType::kStandard},
};

inline constexpr Spelling<core::DeviceUsageType> kDeviceUsageTypes[] = {
    {"singleUser", core::DeviceUsageType::kSingleUser},
    {"shared", core::DeviceUsageType::kShared},
};

inline constexpr Spelling<core::DeviceType> kDeviceTypes[] = {
    {"windowsPc", core::DeviceType::kWindowsPc},
    {"holoLens", core::DeviceType::kHoloLens},
    {"surfaceHub2", core::DeviceType::kSurfaceHub2},
    {"surfaceHub2S", core::DeviceType::kSurfaceHub2S},
    {"virtualMachine", core::DeviceType::kVirtualMachine},
};

inline constexpr Spelling<core::AppKind> kAppKinds[] = {
    {"script", core::AppKind::kScript},
    {"deb", core::AppKind::kDeb},
    {"aptPackage", core::AppKind::kAptPackage},
};

inline constexpr Spelling<core::InstallContext> kInstallContexts[] = {
    {"device", core::InstallContext::kDevice},
    {"user", core::InstallContext::kUser},
};

inline constexpr Spelling<core::DetectionRule::Kind> kDetectionRuleKinds[] = {
    {"fileExists", core::DetectionRule::Kind::kFileExists},
    {"fileHash", core::DetectionRule::Kind::kFileHash},
    {"fileVersion", core::DetectionRule::Kind::kFileVersion},
    {"command", core::DetectionRule::Kind::kCommand},
};

inline constexpr Spelling<core::ReturnCodeType> kReturnCodeTypes[] = {
    {"success", core::ReturnCodeType::kSuccess},
    {"softReboot", core::ReturnCodeType::kSoftReboot},
    {"hardReboot", core::ReturnCodeType::kHardReboot},
    {"retry", core::ReturnCodeType::kRetry},
    {"failed", core::ReturnCodeType::kFailed},
};

inline constexpr Spelling<core::NetworkKind> kNetworkKinds[] = {
    {"wifi", core::NetworkKind::kWifi},
    {"vpn", core::NetworkKind::kVpn},
};

inline constexpr Spelling<core::NetworkScope> kNetworkScopes[] = {
    {"device", core::NetworkScope::kDevice},
    {"user", core::NetworkScope::kUser},
};

inline constexpr Spelling<core::WifiSecurity> kWifiSecurities[] = {
    {"open", core::WifiSecurity::kOpen},
    {"wpa2Personal", core::WifiSecurity::kWpa2Personal},
    {"wpa3Personal", core::WifiSecurity::kWpa3Personal},
    {"wpa2Enterprise", core::WifiSecurity::kWpa2Enterprise},
};

/// Graph deploymentProfileAssignmentStatus (the subset the model has).
inline constexpr Spelling<core::ProfileAssignmentStatus> kProfileAssignmentStatuses[] = {
    {"unknown", core::ProfileAssignmentStatus::kUnknown},
    {"assignedInSync", core::ProfileAssignmentStatus::kAssignedInSync},
    {"notAssigned", core::ProfileAssignmentStatus::kNotAssigned},
    {"pending", core::ProfileAssignmentStatus::kPending},
    {"failed", core::ProfileAssignmentStatus::kFailed},
};

// Plans. core::ToString spells Flow, ItemAction and PlanFinding::Severity as the API does; these
// three differ (the core uses kebab-case for logs), so the API's camelCase is here.
inline constexpr Spelling<core::EspPhase> kEspPhases[] = {
    {"devicePreparation", core::EspPhase::kDevicePreparation},
    {"deviceSetup", core::EspPhase::kDeviceSetup},
    {"accountSetup", core::EspPhase::kAccountSetup},
};

inline constexpr Spelling<core::ItemStatus> kItemStatuses[] = {
    {"waiting", core::ItemStatus::kWaiting},
    {"inProgress", core::ItemStatus::kInProgress},
    {"succeeded", core::ItemStatus::kSucceeded},
    {"failed", core::ItemStatus::kFailed},
    {"timedOut", core::ItemStatus::kTimedOut},
    {"deferred", core::ItemStatus::kDeferred},
    {"notAttempted", core::ItemStatus::kNotAttempted},
};

inline constexpr Spelling<core::PhaseStatus> kPhaseStatuses[] = {
    {"notStarted", core::PhaseStatus::kNotStarted},
    {"inProgress", core::PhaseStatus::kInProgress},
    {"complete", core::PhaseStatus::kComplete},
    {"failed", core::PhaseStatus::kFailed},
};

/// An item's row in a session report (docs/admin-api.md "Reports").
inline constexpr Spelling<core::TimelineItemStatus> kTimelineItemStatuses[] = {
    {"inProgress", core::TimelineItemStatus::kInProgress},
    {"succeeded", core::TimelineItemStatus::kSucceeded},
    {"failed", core::TimelineItemStatus::kFailed},
    {"timedOut", core::TimelineItemStatus::kTimedOut},
    {"notAttempted", core::TimelineItemStatus::kNotAttempted},
    {"detected", core::TimelineItemStatus::kDetected},
};

inline constexpr Spelling<core::TechnicianScreen> kTechnicianScreens[] = {
    {"networkCheck", core::TechnicianScreen::kNetworkCheck},
    {"regionKeyboard", core::TechnicianScreen::kRegionKeyboard},
    {"connectNetwork", core::TechnicianScreen::kConnectNetwork},
    {"profileDownload", core::TechnicianScreen::kProfileDownload},
    {"firstScreen", core::TechnicianScreen::kFirstScreen},
    {"optionsMenu", core::TechnicianScreen::kOptionsMenu},
    {"landing", core::TechnicianScreen::kLanding},
    {"devicePreparation", core::TechnicianScreen::kDevicePreparation},
    {"deviceSetup", core::TechnicianScreen::kDeviceSetup},
    {"resultSuccess", core::TechnicianScreen::kResultSuccess},
    {"resultFailure", core::TechnicianScreen::kResultFailure},
    {"resealed", core::TechnicianScreen::kResealed},
    {"reset", core::TechnicianScreen::kReset},
};

inline constexpr Spelling<core::UserScreen> kUserScreens[] = {
    {"networkCheck", core::UserScreen::kNetworkCheck},
    {"regionKeyboard", core::UserScreen::kRegionKeyboard},
    {"connectNetwork", core::UserScreen::kConnectNetwork},
    {"profileDownload", core::UserScreen::kProfileDownload},
    {"oobePages", core::UserScreen::kOobePages},
    {"signIn", core::UserScreen::kSignIn},
    {"signingIn", core::UserScreen::kSigningIn},
    {"mfa", core::UserScreen::kMfa},
    {"identifying", core::UserScreen::kIdentifying},
    {"deviceSetup", core::UserScreen::kDeviceSetup},
    {"privacy", core::UserScreen::kPrivacy},
    {"accountSetup", core::UserScreen::kAccountSetup},
    {"qualityUpdates", core::UserScreen::kQualityUpdates},
    {"espError", core::UserScreen::kEspError},
    {"desktop", core::UserScreen::kDesktop},
    {"reset", core::UserScreen::kReset},
};

/// core::ToString spells flows and item outcomes as the API does.
inline constexpr Spelling<core::Flow> kFlows[] = {
    {"technician", core::Flow::kTechnician},
    {"user", core::Flow::kUser},
};

inline constexpr Spelling<core::ItemOutcome> kItemOutcomes[] = {
    {"installed", core::ItemOutcome::kInstalled},
    {"failed", core::ItemOutcome::kFailed},
    {"skipped", core::ItemOutcome::kSkipped},
};

inline constexpr Spelling<core::ItemKind> kItemKinds[] = {
    {"policy", core::ItemKind::kPolicy},
    {"certificate", core::ItemKind::kCertificate},
    {"network", core::ItemKind::kNetwork},
    {"app", core::ItemKind::kApp},
    {"preparationStep", core::ItemKind::kPreparationStep},
};

inline constexpr Spelling<core::DeltaReason> kDeltaReasons[] = {
    {"targeted", core::DeltaReason::kTargeted},
    {"new", core::DeltaReason::kNew},
    {"changedVersion", core::DeltaReason::kChangedVersion},
    {"retryFailed", core::DeltaReason::kRetryFailed},
    {"retrySkipped", core::DeltaReason::kRetrySkipped},
};

}  // namespace groundcrew::wire::internal

#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/esp/plan.hpp"
#include "core/esp/run.hpp"
#include "core/flow/flow_common.hpp"
#include "core/flow/technician_flow.hpp"
#include "core/flow/user_flow.hpp"
#include "core/model/assignment.hpp"
#include "core/model/device.hpp"
#include "core/model/directory.hpp"
#include "core/model/ids.hpp"
#include "core/model/payloads.hpp"
#include "core/model/profiles.hpp"
#include "core/registration/registration_csv.hpp"

// Strict JSON codecs between the core model and the admin API (docs/admin-api.md).
//
// Encoding: Graph-style camelCase property names (camelCase of the C++ member), "id", the
// struct's timestamps as ISO 8601 UTC ("2026-11-25T13:00:00Z") and "version" where the struct
// has them. Enumerations use Graph's spelling where Graph has one.
//
// Decoding applies the fields PRESENT in `json` onto `out`: absent fields keep `out`'s values,
// so one call serves create (`out` = model defaults) and PATCH (`out` = the stored resource).
// Nested plain objects (outOfBoxExperienceSetting, content, onPremisesExtensionAttributes) are
// merged the same way; arrays are replaced whole, their elements decoded onto defaults.
// Strict:
// - `json` must be an object; unknown fields, wrong JSON types, enumeration values outside the
//   allowed spellings (the message lists them), fractional or out-of-range integers are errors;
// - the server-owned top-level fields "id", "createdDateTime", "lastModifiedDateTime",
//   "version" and "@odata.type" (and a network profile's "preSharedKeySet") are accepted and
//   ignored;
// - required strings are checked on the RESULT: "displayName" must be non-empty for every kind
//   that has one except users; "userPrincipalName" must be non-empty for users.
// Every error is ErrorCode::kInvalidArgument; `field` is the JSON path relative to the decoded
// object ("displayName", "detectionRules[1].kind", "outOfBoxExperienceSetting.userType") and
// the message starts with that path (e.g. `detectionRules[1].kind: expected one of
// "fileExists", "fileHash", "fileVersion", "command", found "x"`), except unknown fields, whose
// message is `unknown field "<path>"`. On error `out` is left unchanged.
namespace groundcrew::wire {

// ---- Timestamps ----------------------------------------------------------------------------

/// "2026-11-25T13:00:00Z" (seconds precision, UTC). Round-trips through ParseTimestamp for
/// years 0000..9999.
std::string FormatTimestamp(core::Timestamp time);

// ---- Names on the wire ---------------------------------------------------------------------
// One spelling per enumeration, Graph's camelCase, from one table each (spellings.hpp); the
// core's ToString is its log spelling and never goes on the wire.

/// An ESP phase as plans, events and reports spell it: "devicePreparation", "deviceSetup",
/// "accountSetup".
std::string_view PhaseName(core::EspPhase phase);
/// PhaseName's inverse; nullopt for any other text.
std::optional<core::EspPhase> PhaseFromName(std::string_view name);
/// "policy", "certificate", "network", "app", "preparationStep".
std::string_view ItemKindName(core::ItemKind kind);
/// "waiting", "inProgress", "succeeded", "failed", "timedOut", "deferred", "notAttempted".
std::string_view ItemStatusName(core::ItemStatus status);
/// "notStarted", "inProgress", "complete", "failed".
std::string_view PhaseStatusName(core::PhaseStatus status);
/// A flow's screen as reports spell it: "landing", "resultSuccess", "signIn", "espError", ...
std::string_view ScreenName(core::TechnicianScreen screen);
std::string_view ScreenName(core::UserScreen screen);

/// The inverse of FormatTimestamp, strict: exactly "YYYY-MM-DDTHH:MM:SSZ" with a real calendar
/// date, hours 00..23, minutes and seconds 00..59. No fractions, offsets or lower-case letters.
/// kInvalidArgument (empty `field`) otherwise.
Result<core::Timestamp> ParseTimestamp(std::string_view text);

// ---- Directory -----------------------------------------------------------------------------

/// organizationName, domain, additionalDomains, mdmUserScope ("none"|"some"|"all"),
/// mdmUserScopeGroupIds, deviceJoinScope ("all"|"selected"|"none"), deviceJoinUserIds,
/// deviceJoinGroupIds, deviceJoinLimit (1..1000), mfaRequirement
/// ("allUsers"|"selectedGroups"|"none"), mfaGroupIds. Every member is encoded; decoding takes
/// each one optionally onto `out`.
boost::json::object Encode(const core::TenantSettings& settings);
[[nodiscard]] Status Decode(const boost::json::value& json, core::TenantSettings& out);

/// Graph user properties; extension attributes as "onPremisesExtensionAttributes":
/// {"extensionAttribute1": ..., ...} (only non-empty ones are emitted; decoding accepts null to
/// clear one). "licensed" is groundcrew's management-license flag.
boost::json::object Encode(const core::User& user);
[[nodiscard]] Status Decode(const boost::json::value& json, core::User& out);

/// membershipKind "assigned"|"dynamic", membershipRule, membershipRuleProcessingState
/// "On"|"Paused", members (ids as strings).
boost::json::object Encode(const core::Group& group);
[[nodiscard]] Status Decode(const boost::json::value& json, core::Group& out);

// ---- Profiles and assignments --------------------------------------------------------------

/// Graph form: {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "..."};
/// also exclusionGroupAssignmentTarget (with groupId), allDevicesAssignmentTarget and
/// allLicensedUsersAssignmentTarget (without). Decoding requires "@odata.type", requires a
/// non-empty "groupId" for the group kinds and refuses it for the others; it always starts from
/// a default target (a target is replaced, never merged).
boost::json::object Encode(const core::AssignmentTarget& target);
[[nodiscard]] Status Decode(const boost::json::value& json, core::AssignmentTarget& out);

/// outOfBoxExperienceSetting nested (userType "administrator"|"standard", deviceUsageType
/// "singleUser"|"shared"), deviceType "windowsPc"|"holoLens"|"surfaceHub2"|"surfaceHub2S"|
/// "virtualMachine", assignments as an array of targets. displayName <= 200 characters,
/// description <= 1500.
boost::json::object Encode(const core::DeploymentProfile& profile);
[[nodiscard]] Status Decode(const boost::json::value& json, core::DeploymentProfile& out);

/// Graph windows10EnrollmentCompletionPageConfiguration names; selected_mobile_app_ids as
/// "selectedMobileAppIds" (<= 100), priority >= 0, installProgressTimeoutInMinutes 1..1440,
/// customErrorMessage <= 10000 characters, assignments as an array of targets.
boost::json::object Encode(const core::EspProfile& profile);
[[nodiscard]] Status Decode(const boost::json::value& json, core::EspProfile& out);

/// {"id", "payloadKind": "app"|"policy"|"certificate"|"network"|"compliance", "payloadId",
///  "target": {...}, "intent": "available"|"required"|"uninstall"}. payloadId must be non-empty.
boost::json::object Encode(const core::Assignment& assignment);
[[nodiscard]] Status Decode(const boost::json::value& json, core::Assignment& out);

// ---- Payloads ------------------------------------------------------------------------------

/// installContext "device"|"user"; detectionRules [{"kind": "fileExists"|"fileHash"|
/// "fileVersion"|"command", "path", "value", "command"}] (decoding requires "kind", "path" for
/// the file kinds, "value" for fileHash/fileVersion, "command" for command); returnCodes
/// [{"returnCode", "type": "success"|"softReboot"|"hardReboot"|"retry"|"failed"}] (both
/// required); dependencies [{"appId", "autoInstall"}] (appId required); content {"fileName",
/// "sha256" (64 lower-case hex or empty), "size" >= 0}; size >= 0; maxRunTimeInMinutes >= 1.
boost::json::object Encode(const core::App& app);
[[nodiscard]] Status Decode(const boost::json::value& json, core::App& out);

/// settings_json is emitted parsed, as "settings" (a string holding the text if it is not
/// valid JSON). Decoding accepts "settings" as any JSON object and stores its serialized text.
boost::json::object Encode(const core::Policy& policy);
[[nodiscard]] Status Decode(const boost::json::value& json, core::Policy& out);

/// subjectNameFormat, validityPeriodDays >= 1, extendedKeyUsages.
boost::json::object Encode(const core::CertificateProfile& profile);
[[nodiscard]] Status Decode(const boost::json::value& json, core::CertificateProfile& out);

/// kind "wifi"|"vpn", scope "device"|"user", security "open"|"wpa2Personal"|"wpa3Personal"|
/// "wpa2Enterprise". NEVER emits the pre-shared key: "preSharedKeySet": true/false instead.
/// Decoding accepts "preSharedKey" (write-only) and ignores "preSharedKeySet".
boost::json::object Encode(const core::NetworkProfile& profile);
[[nodiscard]] Status Decode(const boost::json::value& json, core::NetworkProfile& out);

/// Encode() plus "preSharedKey" (the secret). For persistence ONLY (a stored body that must
/// decode back to the same profile); never for API responses, logs or audit.
boost::json::object EncodeWithSecrets(const core::NetworkProfile& profile);

/// A Linux compliance policy: "platforms" ("linux", the default), osName, osMinimumVersion,
/// osMaximumVersion, storageRequireEncryption, secureBootEnabled, activeFirewallRequired,
/// screenLockRequired, screenLockMaximumIdleMinutes, automaticSecurityUpdatesRequired,
/// passwordMinimumLength (the two numbers null, or absent, when unset). Decode also checks
/// core::ValidateCompliancePolicy, the error naming the setting.
boost::json::object Encode(const core::CompliancePolicy& policy);
[[nodiscard]] Status Decode(const boost::json::value& json, core::CompliancePolicy& out);

// ---- Devices -------------------------------------------------------------------------------

/// Graph windowsAutopilotDeviceIdentity: hardwareIdentifier as base64, enrollmentState in
/// Graph's spelling, deploymentProfileAssignmentStatus "unknown"|"assignedInSync"|
/// "notAssigned"|"pending"|"failed", optional timestamps as ISO text or null.
boost::json::object Encode(const core::AutopilotDeviceIdentity& device);

/// Only the admin-editable fields: groupTag, userPrincipalName, addressableUserName,
/// displayName (strings; empty clears). The server-owned fields listed above are ignored; any
/// other device property is refused with "<name>: cannot be changed", anything else as an
/// unknown field. On error `out` is left unchanged.
[[nodiscard]] Status DecodeDevicePatch(const boost::json::value& json,
                                       core::AutopilotDeviceIdentity& out);

/// One import row: {"row": <1-based line>, "serialNumber", "status": "valid"|"failed"} plus,
/// when failed, "error": {"code": ImportErrorName (e.g. "ZtdDeviceDuplicated"), "message",
/// "column": Microsoft's column name or null for the whole row}.
boost::json::object Encode(const core::RegistrationRowResult& row);

// ---- Plans ---------------------------------------------------------------------------------

/// The <espPlan> of docs/admin-api.md "The plan document": flow, espProfileId,
/// espProfileName, showInstallationProgress, blockDeviceUse, installQualityUpdates,
/// errorOptions, deviceSetup and (only when present, i.e. the user flow) accountSetup; each
/// <phase> {"phase", "timeoutInMinutes", "items": [...]}.
boost::json::object Encode(const core::EspPlan& plan);

/// The strict inverse of Encode(EspPlan), for the device that receives a plan. Unlike the
/// resource decoders it never merges: EVERY property Encode emits is required ("accountSetup"
/// only when present), and `out` is replaced whole. Item "id" must be non-empty; integers must
/// be >= 0. Errors name the path, e.g. "deviceSetup.items[2].reason".
[[nodiscard]] Status Decode(const boost::json::value& json, core::EspPlan& out);

/// {"severity": "info"|"warning"|"error", "code", "message"}.
boost::json::object Encode(const core::PlanFinding& finding);

// ---- The device's deployment (docs/device-api.md "Deployment") ----------------------------

/// What a device reports it has: [{"kind", "id", "version", "outcome"}], kind spelled as plan
/// items spell it ("app", "preparationStep", ...), outcome "installed"|"failed"|"skipped".
boost::json::array Encode(const std::vector<core::InstalledItem>& installed);

/// The strict inverse: `json` must be an array of objects with all four properties (a
/// non-empty "id"); paths are "[3].outcome". `out` is replaced whole.
[[nodiscard]] Status Decode(const boost::json::value& json, std::vector<core::InstalledItem>& out);

/// The deployment profile as the device sees it: {"organizationName", "profileName",
/// "registrationId", "assignedUserUpn", "greetingName", "preprovisioningAllowed",
/// "privacySettingsHidden", "eulaHidden", "keyboardSelectionPageSkipped", "locale"}
/// (camelCase of core::ProfileInfo's members; "" for an absent user or greeting).
boost::json::object Encode(const core::ProfileInfo& profile);

/// The strict inverse: every property required, nothing else accepted; `out` is replaced whole.
[[nodiscard]] Status Decode(const boost::json::value& json, core::ProfileInfo& out);

/// The "payloads" of a deployment document, each payload with its id (and, where the model has
/// one, its version), which the resource decoders ignore as server-owned.
struct DeploymentPayloads {
  std::vector<core::App> apps;
  std::vector<core::Policy> policies;
  std::vector<core::CertificateProfile> certificate_profiles;
  std::vector<core::NetworkProfile> network_profiles;  ///< with their pre-shared keys: SECRET
};

/// {"apps", "policies", "certificateProfiles", "networkProfiles"}, all four required, each an
/// array of the resource as Encode (EncodeWithSecrets for network profiles) writes it: decoded
/// with the resource's Decode onto a default, plus its "id" (required, non-empty) and "version"
/// (optional integer >= 1, where the model has one). Paths name the element
/// ("apps[2].installContext"). `out` is replaced whole.
[[nodiscard]] Status Decode(const boost::json::value& json, DeploymentPayloads& out);

}  // namespace groundcrew::wire

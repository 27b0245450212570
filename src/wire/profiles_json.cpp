// Assignment targets, deployment profiles, ESP profiles and payload assignments.
#include "wire/json_reader.hpp"
#include "wire/model_json.hpp"
#include "wire/spellings.hpp"

namespace groundcrew::wire {
namespace json = boost::json;
using internal::DecodeResource;
using internal::IndexPath;
using internal::Invalid;
using internal::NameOf;
using internal::ObjectReader;
using internal::RequireMaxLength;
using internal::RequireNonEmpty;

namespace {

constexpr size_t kMaxProfileNameLength = 200;
constexpr size_t kMaxProfileDescriptionLength = 1500;

bool HasGroup(core::TargetKind kind) {
  return kind == core::TargetKind::kGroup || kind == core::TargetKind::kExclusionGroup;
}

// A target at `path`, decoded onto a default target.
Status DecodeTarget(const json::value& value, std::string path, core::AssignmentTarget& out) {
  auto reader = ObjectReader::Open(value, std::move(path));
  if (!reader) return reader.error();
  core::AssignmentTarget target;
  if (reader->Take("@odata.type") == nullptr) {
    return Invalid(reader->PathOf("@odata.type"), "required");
  }
  GC_RETURN_IF_ERROR(reader->Enum("@odata.type", internal::kTargetKinds, target.kind));
  if (HasGroup(target.kind)) {
    if (reader->Take("groupId") == nullptr) return Invalid(reader->PathOf("groupId"), "required");
    GC_RETURN_IF_ERROR(reader->Id("groupId", target.group_id));
  }
  GC_RETURN_IF_ERROR(reader->Finish());
  out = std::move(target);
  return Ok{};
}

// An array of targets under `key`, replacing `out` when present.
Status DecodeTargets(ObjectReader& reader, std::string_view key,
                     std::vector<core::AssignmentTarget>& out) {
  const json::value* v = reader.Take(key);
  if (v == nullptr) return Ok{};
  const std::string path = reader.PathOf(key);
  if (!v->is_array()) {
    return Invalid(path,
                   "expected an array of assignment targets, found " + internal::Describe(*v));
  }
  std::vector<core::AssignmentTarget> targets(v->as_array().size());
  for (size_t i = 0; i < targets.size(); ++i) {
    GC_RETURN_IF_ERROR(DecodeTarget(v->as_array()[i], IndexPath(path, i), targets[i]));
  }
  out = std::move(targets);
  return Ok{};
}

json::array EncodeTargets(const std::vector<core::AssignmentTarget>& targets) {
  json::array array;
  array.reserve(targets.size());
  for (const core::AssignmentTarget& target : targets) array.emplace_back(Encode(target));
  return array;
}

Status DecodeOobe(ObjectReader& parent, core::OutOfBoxExperienceSetting& out) {
  constexpr std::string_view kKey = "outOfBoxExperienceSetting";
  const json::value* v = parent.Take(kKey);
  if (v == nullptr) return Ok{};
  auto r = ObjectReader::Open(*v, parent.PathOf(kKey));
  if (!r) return r.error();
  GC_RETURN_IF_ERROR(r->Bool("privacySettingsHidden", out.privacy_settings_hidden));
  GC_RETURN_IF_ERROR(r->Bool("eulaHidden", out.eula_hidden));
  GC_RETURN_IF_ERROR(r->Bool("escapeLinkHidden", out.escape_link_hidden));
  GC_RETURN_IF_ERROR(r->Bool("keyboardSelectionPageSkipped", out.keyboard_selection_page_skipped));
  GC_RETURN_IF_ERROR(r->Enum("userType", internal::kWindowsUserTypes, out.user_type));
  GC_RETURN_IF_ERROR(
      r->Enum("deviceUsageType", internal::kDeviceUsageTypes, out.device_usage_type));
  return r->Finish();
}

}  // namespace

// ---- AssignmentTarget ----

json::object Encode(const core::AssignmentTarget& target) {
  json::object o;
  o["@odata.type"] = NameOf(internal::kTargetKinds, target.kind);
  if (HasGroup(target.kind)) o["groupId"] = target.group_id.value();
  return o;
}

Status Decode(const json::value& json, core::AssignmentTarget& out) {
  return DecodeTarget(json, "", out);
}

// ---- DeploymentProfile ----

json::object Encode(const core::DeploymentProfile& profile) {
  const core::OutOfBoxExperienceSetting& oobe = profile.out_of_box_experience_setting;
  json::object o;
  o["id"] = profile.id.value();
  o["displayName"] = profile.display_name;
  o["description"] = profile.description;
  o["locale"] = profile.locale;
  o["outOfBoxExperienceSetting"] = json::object{
      {"privacySettingsHidden", oobe.privacy_settings_hidden},
      {"eulaHidden", oobe.eula_hidden},
      {"escapeLinkHidden", oobe.escape_link_hidden},
      {"keyboardSelectionPageSkipped", oobe.keyboard_selection_page_skipped},
      {"userType", NameOf(internal::kWindowsUserTypes, oobe.user_type)},
      {"deviceUsageType", NameOf(internal::kDeviceUsageTypes, oobe.device_usage_type)},
  };
  o["hardwareHashExtractionEnabled"] = profile.hardware_hash_extraction_enabled;
  o["preprovisioningAllowed"] = profile.preprovisioning_allowed;
  o["deviceNameTemplate"] = profile.device_name_template;
  o["deviceType"] = NameOf(internal::kDeviceTypes, profile.device_type);
  o["isTenantDefault"] = profile.is_tenant_default;
  o["createdDateTime"] = FormatTimestamp(profile.created_date_time);
  o["lastModifiedDateTime"] = FormatTimestamp(profile.last_modified_date_time);
  o["assignments"] = EncodeTargets(profile.assignments);
  return o;
}

Status Decode(const json::value& json, core::DeploymentProfile& out) {
  return DecodeResource(
      json, out,
      [](ObjectReader& r, core::DeploymentProfile& p) -> Status {
        GC_RETURN_IF_ERROR(r.String("displayName", p.display_name));
        GC_RETURN_IF_ERROR(r.String("description", p.description));
        GC_RETURN_IF_ERROR(r.String("locale", p.locale));
        GC_RETURN_IF_ERROR(DecodeOobe(r, p.out_of_box_experience_setting));
        GC_RETURN_IF_ERROR(
            r.Bool("hardwareHashExtractionEnabled", p.hardware_hash_extraction_enabled));
        GC_RETURN_IF_ERROR(r.Bool("preprovisioningAllowed", p.preprovisioning_allowed));
        GC_RETURN_IF_ERROR(r.String("deviceNameTemplate", p.device_name_template));
        GC_RETURN_IF_ERROR(r.Enum("deviceType", internal::kDeviceTypes, p.device_type));
        GC_RETURN_IF_ERROR(r.Bool("isTenantDefault", p.is_tenant_default));
        return DecodeTargets(r, "assignments", p.assignments);
      },
      [](const core::DeploymentProfile& p) -> Status {
        GC_RETURN_IF_ERROR(RequireNonEmpty("displayName", p.display_name));
        GC_RETURN_IF_ERROR(RequireMaxLength("displayName", p.display_name, kMaxProfileNameLength));
        return RequireMaxLength("description", p.description, kMaxProfileDescriptionLength);
      });
}

// ---- EspProfile ----

json::object Encode(const core::EspProfile& profile) {
  json::object o;
  o["id"] = profile.id.value();
  o["displayName"] = profile.display_name;
  o["description"] = profile.description;
  o["priority"] = profile.priority;
  o["isDefault"] = profile.is_default;
  o["createdDateTime"] = FormatTimestamp(profile.created_date_time);
  o["lastModifiedDateTime"] = FormatTimestamp(profile.last_modified_date_time);
  o["version"] = profile.version;
  o["showInstallationProgress"] = profile.show_installation_progress;
  o["installProgressTimeoutInMinutes"] = profile.install_progress_timeout_in_minutes;
  o["customErrorMessage"] = profile.custom_error_message;
  o["allowLogCollectionOnInstallFailure"] = profile.allow_log_collection_on_install_failure;
  o["allowDeviceResetOnInstallFailure"] = profile.allow_device_reset_on_install_failure;
  o["allowDeviceUseOnInstallFailure"] = profile.allow_device_use_on_install_failure;
  o["blockDeviceSetupRetryByUser"] = profile.block_device_setup_retry_by_user;
  o["allowDeviceUseBeforeProfileAndAppInstallComplete"] =
      profile.allow_device_use_before_profile_and_app_install_complete;
  o["selectedMobileAppIds"] = internal::IdsToArray(profile.selected_mobile_app_ids);
  o["allowNonBlockingAppInstallation"] = profile.allow_non_blocking_app_installation;
  o["installQualityUpdates"] = profile.install_quality_updates;
  o["trackInstallProgressForAutopilotOnly"] = profile.track_install_progress_for_autopilot_only;
  o["disableUserStatusTrackingAfterFirstUser"] =
      profile.disable_user_status_tracking_after_first_user;
  o["assignments"] = EncodeTargets(profile.assignments);
  return o;
}

Status Decode(const json::value& json, core::EspProfile& out) {
  return DecodeResource(
      json, out,
      [](ObjectReader& r, core::EspProfile& p) -> Status {
        GC_RETURN_IF_ERROR(r.String("displayName", p.display_name));
        GC_RETURN_IF_ERROR(r.String("description", p.description));
        GC_RETURN_IF_ERROR(r.Int("priority", p.priority, 0));
        GC_RETURN_IF_ERROR(r.Bool("isDefault", p.is_default));
        GC_RETURN_IF_ERROR(r.Bool("showInstallationProgress", p.show_installation_progress));
        GC_RETURN_IF_ERROR(r.Int("installProgressTimeoutInMinutes",
                                 p.install_progress_timeout_in_minutes, 1,
                                 core::kMaxInstallProgressTimeoutMinutes));
        GC_RETURN_IF_ERROR(r.String("customErrorMessage", p.custom_error_message));
        GC_RETURN_IF_ERROR(r.Bool("allowLogCollectionOnInstallFailure",
                                  p.allow_log_collection_on_install_failure));
        GC_RETURN_IF_ERROR(
            r.Bool("allowDeviceResetOnInstallFailure", p.allow_device_reset_on_install_failure));
        GC_RETURN_IF_ERROR(
            r.Bool("allowDeviceUseOnInstallFailure", p.allow_device_use_on_install_failure));
        GC_RETURN_IF_ERROR(
            r.Bool("blockDeviceSetupRetryByUser", p.block_device_setup_retry_by_user));
        GC_RETURN_IF_ERROR(r.Bool("allowDeviceUseBeforeProfileAndAppInstallComplete",
                                  p.allow_device_use_before_profile_and_app_install_complete));
        GC_RETURN_IF_ERROR(r.Ids("selectedMobileAppIds", p.selected_mobile_app_ids));
        GC_RETURN_IF_ERROR(
            r.Bool("allowNonBlockingAppInstallation", p.allow_non_blocking_app_installation));
        GC_RETURN_IF_ERROR(r.Bool("installQualityUpdates", p.install_quality_updates));
        GC_RETURN_IF_ERROR(r.Bool("trackInstallProgressForAutopilotOnly",
                                  p.track_install_progress_for_autopilot_only));
        GC_RETURN_IF_ERROR(r.Bool("disableUserStatusTrackingAfterFirstUser",
                                  p.disable_user_status_tracking_after_first_user));
        return DecodeTargets(r, "assignments", p.assignments);
      },
      [](const core::EspProfile& p) -> Status {
        GC_RETURN_IF_ERROR(RequireNonEmpty("displayName", p.display_name));
        GC_RETURN_IF_ERROR(RequireMaxLength("customErrorMessage", p.custom_error_message,
                                            core::kMaxCustomErrorMessageLength));
        if (p.selected_mobile_app_ids.size() >
            static_cast<size_t>(core::kMaxSelectedBlockingApps)) {
          return Invalid("selectedMobileAppIds",
                         "at most " + std::to_string(core::kMaxSelectedBlockingApps) +
                             " apps may be selected, found " +
                             std::to_string(p.selected_mobile_app_ids.size()));
        }
        return Ok{};
      });
}

// ---- Assignment ----

json::object Encode(const core::Assignment& assignment) {
  json::object o;
  o["id"] = assignment.id.value();
  o["payloadKind"] = NameOf(internal::kPayloadKinds, assignment.payload_kind);
  o["payloadId"] = assignment.payload_id;
  o["target"] = Encode(assignment.target);
  o["intent"] = NameOf(internal::kInstallIntents, assignment.intent);
  return o;
}

Status Decode(const json::value& json, core::Assignment& out) {
  return DecodeResource(
      json, out,
      [](ObjectReader& r, core::Assignment& a) -> Status {
        GC_RETURN_IF_ERROR(r.Enum("payloadKind", internal::kPayloadKinds, a.payload_kind));
        GC_RETURN_IF_ERROR(r.String("payloadId", a.payload_id));
        if (const json::value* target = r.Take("target")) {
          GC_RETURN_IF_ERROR(DecodeTarget(*target, r.PathOf("target"), a.target));
        }
        return r.Enum("intent", internal::kInstallIntents, a.intent);
      },
      [](const core::Assignment& a) -> Status {
        GC_RETURN_IF_ERROR(RequireNonEmpty("payloadId", a.payload_id));
        // A create without "target" leaves the default group target with no group.
        if (HasGroup(a.target.kind) && a.target.group_id.empty()) {
          return Invalid("target", "required");
        }
        return Ok{};
      });
}

}  // namespace groundcrew::wire

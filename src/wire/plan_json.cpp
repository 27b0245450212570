// ESP plans, lint findings, device inventories and the profile as a device sees it
// (docs/admin-api.md "The plan document", docs/device-api.md "Deployment").
#include <fmt/format.h>

#include <initializer_list>
#include <limits>

#include "core/esp/lint.hpp"
#include "wire/json_reader.hpp"
#include "wire/model_json.hpp"
#include "wire/spellings.hpp"

namespace groundcrew::wire {
namespace json = boost::json;
using internal::IndexPath;
using internal::Invalid;
using internal::kFlows;
using internal::kItemOutcomes;
using internal::NameOf;
using internal::ObjectReader;
using internal::Spelling;

namespace {

// core::ToString spells these as the API does; the tables let Decode share the reader's
// "expected one of" messages.
constexpr Spelling<core::ItemAction> kItemActions[] = {
    {"install", core::ItemAction::kInstall},
    {"uninstall", core::ItemAction::kUninstall},
};

constexpr long long kMaxLong = std::numeric_limits<long long>::max();

// Every key in `keys` must be present in the object `reader` reads (the first missing one is
// "<path>: required").
Status RequireAll(ObjectReader& reader, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    if (reader.Take(key) == nullptr) return Invalid(reader.PathOf(key), "required");
  }
  return Ok{};
}

// Runs `decode(reader, element)` on each object of the array at `path`, elements starting from
// T{}.
template <class T, class DecodeFn>
Status DecodeObjects(const json::value& value, const std::string& path, std::vector<T>& out,
                     DecodeFn decode) {
  if (!value.is_array()) {
    return Invalid(path, "expected an array of objects, found " + internal::Describe(value));
  }
  std::vector<T> result(value.as_array().size());
  for (size_t i = 0; i < result.size(); ++i) {
    auto reader = ObjectReader::Open(value.as_array()[i], IndexPath(path, i));
    if (!reader) return reader.error();
    GC_RETURN_IF_ERROR(decode(*reader, result[i]));
    GC_RETURN_IF_ERROR(reader->Finish());
  }
  out = std::move(result);
  return Ok{};
}

json::object EncodeItem(const core::PlanItem& item) {
  json::object o;
  o["kind"] = NameOf(internal::kItemKinds, item.kind);
  o["id"] = item.id;
  o["displayName"] = item.display_name;
  o["version"] = item.version;
  o["action"] = core::ToString(item.action);
  o["blocking"] = item.blocking;
  o["deferred"] = item.deferred;
  o["fromAssignedUser"] = item.from_assigned_user;
  o["autoDependency"] = item.auto_dependency;
  o["context"] = NameOf(internal::kInstallContexts, item.context);
  o["installerClass"] = item.installer_class;
  o["dependsOn"] = internal::ToArray(item.depends_on);
  o["timeLimitInMinutes"] = item.time_limit_minutes;
  o["size"] = item.size;
  o["reason"] = NameOf(internal::kDeltaReasons, item.reason);
  o["planError"] = item.plan_error;
  return o;
}

Status DecodeItem(ObjectReader& r, core::PlanItem& item) {
  GC_RETURN_IF_ERROR(
      RequireAll(r, {"kind", "id", "displayName", "version", "action", "blocking", "deferred",
                     "fromAssignedUser", "autoDependency", "context", "installerClass", "dependsOn",
                     "timeLimitInMinutes", "size", "reason", "planError"}));
  GC_RETURN_IF_ERROR(r.Enum("kind", internal::kItemKinds, item.kind));
  GC_RETURN_IF_ERROR(r.String("id", item.id));
  if (item.id.empty()) return Invalid(r.PathOf("id"), "must not be empty");
  GC_RETURN_IF_ERROR(r.String("displayName", item.display_name));
  GC_RETURN_IF_ERROR(r.String("version", item.version));
  GC_RETURN_IF_ERROR(r.Enum("action", kItemActions, item.action));
  GC_RETURN_IF_ERROR(r.Bool("blocking", item.blocking));
  GC_RETURN_IF_ERROR(r.Bool("deferred", item.deferred));
  GC_RETURN_IF_ERROR(r.Bool("fromAssignedUser", item.from_assigned_user));
  GC_RETURN_IF_ERROR(r.Bool("autoDependency", item.auto_dependency));
  GC_RETURN_IF_ERROR(r.Enum("context", internal::kInstallContexts, item.context));
  GC_RETURN_IF_ERROR(r.String("installerClass", item.installer_class));
  GC_RETURN_IF_ERROR(r.Strings("dependsOn", item.depends_on));
  GC_RETURN_IF_ERROR(r.Int("timeLimitInMinutes", item.time_limit_minutes, 0));
  GC_RETURN_IF_ERROR(r.Int64("size", item.size, 0, kMaxLong));
  GC_RETURN_IF_ERROR(r.Enum("reason", internal::kDeltaReasons, item.reason));
  return r.String("planError", item.plan_error);
}

json::object EncodePhase(const core::PhasePlan& phase) {
  json::object o;
  o["phase"] = NameOf(internal::kEspPhases, phase.phase);
  o["timeoutInMinutes"] = phase.timeout_minutes;
  json::array items;
  items.reserve(phase.items.size());
  for (const core::PlanItem& item : phase.items) items.emplace_back(EncodeItem(item));
  o["items"] = std::move(items);
  return o;
}

Status DecodePhase(const json::value& value, const std::string& path, core::PhasePlan& out) {
  auto reader = ObjectReader::Open(value, path);
  if (!reader) return reader.error();
  ObjectReader& r = *reader;
  core::PhasePlan phase;
  GC_RETURN_IF_ERROR(RequireAll(r, {"phase", "timeoutInMinutes", "items"}));
  GC_RETURN_IF_ERROR(r.Enum("phase", internal::kEspPhases, phase.phase));
  GC_RETURN_IF_ERROR(r.Int("timeoutInMinutes", phase.timeout_minutes, 0));
  GC_RETURN_IF_ERROR(DecodeObjects(*r.Take("items"), r.PathOf("items"), phase.items, DecodeItem));
  GC_RETURN_IF_ERROR(r.Finish());
  out = std::move(phase);
  return Ok{};
}

Status DecodeErrorOptions(const json::value& value, const std::string& path,
                          core::EspErrorOptions& out) {
  auto reader = ObjectReader::Open(value, path);
  if (!reader) return reader.error();
  ObjectReader& r = *reader;
  core::EspErrorOptions options;
  GC_RETURN_IF_ERROR(
      RequireAll(r, {"reset", "tryAgain", "continueAnyway", "collectLogs", "message"}));
  GC_RETURN_IF_ERROR(r.Bool("reset", options.reset));
  GC_RETURN_IF_ERROR(r.Bool("tryAgain", options.try_again));
  GC_RETURN_IF_ERROR(r.Bool("continueAnyway", options.continue_anyway));
  GC_RETURN_IF_ERROR(r.Bool("collectLogs", options.collect_logs));
  GC_RETURN_IF_ERROR(r.String("message", options.message));
  GC_RETURN_IF_ERROR(r.Finish());
  out = std::move(options);
  return Ok{};
}

}  // namespace

json::object Encode(const core::EspPlan& plan) {
  json::object o;
  o["flow"] = core::ToString(plan.flow);
  o["espProfileId"] = plan.esp_profile_id;
  o["espProfileName"] = plan.esp_profile_name;
  o["showInstallationProgress"] = plan.show_progress;
  o["blockDeviceUse"] = plan.block_device_use;
  o["installQualityUpdates"] = plan.install_quality_updates;
  o["errorOptions"] = json::object{{"reset", plan.error_options.reset},
                                   {"tryAgain", plan.error_options.try_again},
                                   {"continueAnyway", plan.error_options.continue_anyway},
                                   {"collectLogs", plan.error_options.collect_logs},
                                   {"message", plan.error_options.message}};
  o["deviceSetup"] = EncodePhase(plan.device_setup);
  if (plan.account_setup) o["accountSetup"] = EncodePhase(*plan.account_setup);
  return o;
}

Status Decode(const json::value& json, core::EspPlan& out) {
  auto reader = ObjectReader::Open(json, "");
  if (!reader) return reader.error();
  ObjectReader& r = *reader;
  core::EspPlan plan;
  GC_RETURN_IF_ERROR(
      RequireAll(r, {"flow", "espProfileId", "espProfileName", "showInstallationProgress",
                     "blockDeviceUse", "installQualityUpdates", "errorOptions", "deviceSetup"}));
  GC_RETURN_IF_ERROR(r.Enum("flow", kFlows, plan.flow));
  GC_RETURN_IF_ERROR(r.String("espProfileId", plan.esp_profile_id));
  GC_RETURN_IF_ERROR(r.String("espProfileName", plan.esp_profile_name));
  GC_RETURN_IF_ERROR(r.Bool("showInstallationProgress", plan.show_progress));
  GC_RETURN_IF_ERROR(r.Bool("blockDeviceUse", plan.block_device_use));
  GC_RETURN_IF_ERROR(r.Bool("installQualityUpdates", plan.install_quality_updates));
  GC_RETURN_IF_ERROR(
      DecodeErrorOptions(*r.Take("errorOptions"), r.PathOf("errorOptions"), plan.error_options));
  GC_RETURN_IF_ERROR(
      DecodePhase(*r.Take("deviceSetup"), r.PathOf("deviceSetup"), plan.device_setup));
  if (const json::value* account = r.Take("accountSetup")) {
    core::PhasePlan phase;
    GC_RETURN_IF_ERROR(DecodePhase(*account, r.PathOf("accountSetup"), phase));
    plan.account_setup = std::move(phase);
  }
  GC_RETURN_IF_ERROR(r.Finish());
  out = std::move(plan);
  return Ok{};
}

json::object Encode(const core::PlanFinding& finding) {
  json::object o;
  o["severity"] = core::ToString(finding.severity);
  o["code"] = finding.code;
  o["message"] = finding.message;
  return o;
}

json::array Encode(const std::vector<core::InstalledItem>& installed) {
  json::array items;
  items.reserve(installed.size());
  for (const core::InstalledItem& item : installed) {
    items.emplace_back(json::object{{"kind", NameOf(internal::kItemKinds, item.kind)},
                                    {"id", item.id},
                                    {"version", item.version},
                                    {"outcome", NameOf(kItemOutcomes, item.outcome)}});
  }
  return items;
}

Status Decode(const json::value& json, std::vector<core::InstalledItem>& out) {
  std::vector<core::InstalledItem> items;
  GC_RETURN_IF_ERROR(
      DecodeObjects(json, "", items, [](ObjectReader& r, core::InstalledItem& item) -> Status {
        GC_RETURN_IF_ERROR(RequireAll(r, {"kind", "id", "version", "outcome"}));
        GC_RETURN_IF_ERROR(r.Enum("kind", internal::kItemKinds, item.kind));
        GC_RETURN_IF_ERROR(r.String("id", item.id));
        if (item.id.empty()) return Invalid(r.PathOf("id"), "must not be empty");
        GC_RETURN_IF_ERROR(r.String("version", item.version));
        return r.Enum("outcome", kItemOutcomes, item.outcome);
      }));
  out = std::move(items);
  return Ok{};
}

json::object Encode(const core::ProfileInfo& profile) {
  json::object o;
  o["organizationName"] = profile.organization_name;
  o["profileName"] = profile.profile_name;
  o["registrationId"] = profile.registration_id;
  o["assignedUserUpn"] = profile.assigned_user_upn;
  o["greetingName"] = profile.greeting_name;
  o["preprovisioningAllowed"] = profile.preprovisioning_allowed;
  o["privacySettingsHidden"] = profile.privacy_settings_hidden;
  o["eulaHidden"] = profile.eula_hidden;
  o["keyboardSelectionPageSkipped"] = profile.keyboard_selection_page_skipped;
  o["locale"] = profile.locale;
  o["userType"] = NameOf(internal::kWindowsUserTypes, profile.user_type);
  return o;
}

Status Decode(const json::value& json, core::ProfileInfo& out) {
  auto reader = ObjectReader::Open(json, "");
  if (!reader) return reader.error();
  ObjectReader& r = *reader;
  core::ProfileInfo profile;
  GC_RETURN_IF_ERROR(
      RequireAll(r, {"organizationName", "profileName", "registrationId", "assignedUserUpn",
                     "greetingName", "preprovisioningAllowed", "privacySettingsHidden",
                     "eulaHidden", "keyboardSelectionPageSkipped", "locale", "userType"}));
  GC_RETURN_IF_ERROR(r.String("organizationName", profile.organization_name));
  GC_RETURN_IF_ERROR(r.String("profileName", profile.profile_name));
  GC_RETURN_IF_ERROR(r.String("registrationId", profile.registration_id));
  GC_RETURN_IF_ERROR(r.String("assignedUserUpn", profile.assigned_user_upn));
  GC_RETURN_IF_ERROR(r.String("greetingName", profile.greeting_name));
  GC_RETURN_IF_ERROR(r.Bool("preprovisioningAllowed", profile.preprovisioning_allowed));
  GC_RETURN_IF_ERROR(r.Bool("privacySettingsHidden", profile.privacy_settings_hidden));
  GC_RETURN_IF_ERROR(r.Bool("eulaHidden", profile.eula_hidden));
  GC_RETURN_IF_ERROR(
      r.Bool("keyboardSelectionPageSkipped", profile.keyboard_selection_page_skipped));
  GC_RETURN_IF_ERROR(r.String("locale", profile.locale));
  GC_RETURN_IF_ERROR(r.Enum("userType", internal::kWindowsUserTypes, profile.user_type));
  GC_RETURN_IF_ERROR(r.Finish());
  out = std::move(profile);
  return Ok{};
}

namespace {

// Decodes the array `key` of `payloads` into `out`: each element with Decode(T) onto T{}, its
// "id" and "version" (which Decode ignores as server-owned) taken as well.
template <class T>
Status DecodePayloadList(ObjectReader& payloads, std::string_view key, std::vector<T>& out) {
  const json::value* list = payloads.Take(key);
  const std::string path = payloads.PathOf(key);
  if (list == nullptr) return Invalid(path, "required");
  if (!list->is_array()) {
    return Invalid(path, "expected an array of objects, found " + internal::Describe(*list));
  }
  std::vector<T> result;
  result.reserve(list->as_array().size());
  for (size_t i = 0; i < list->as_array().size(); ++i) {
    const std::string element = IndexPath(path, i);
    const json::value& value = list->as_array()[i];
    auto reader = ObjectReader::Open(value, element);  // refuses a non-object with its path
    if (!reader) return reader.error();
    T payload{};
    if (Status decoded = Decode(value, payload); !decoded) {
      // The resource decoder's paths are relative to the element: prefix them.
      Error error = decoded.error();
      const bool unknown = error.message.starts_with("unknown field \"");
      error.field = internal::JoinPath(element, error.field);
      error.message = unknown ? fmt::format("unknown field \"{}\"", error.field)
                              : fmt::format("{}.{}", element, error.message);
      return error;
    }
    std::string id;
    GC_RETURN_IF_ERROR(RequireAll(*reader, {"id"}));
    GC_RETURN_IF_ERROR(reader->String("id", id));
    if (id.empty()) return Invalid(reader->PathOf("id"), "must not be empty");
    payload.id = decltype(payload.id)(std::move(id));
    if constexpr (requires { payload.version; }) {
      GC_RETURN_IF_ERROR(reader->Int("version", payload.version, 1));
    }
    result.push_back(std::move(payload));
  }
  out = std::move(result);
  return Ok{};
}

}  // namespace

Status Decode(const json::value& json, DeploymentPayloads& out) {
  auto reader = ObjectReader::Open(json, "");
  if (!reader) return reader.error();
  DeploymentPayloads payloads;
  GC_RETURN_IF_ERROR(DecodePayloadList(*reader, "apps", payloads.apps));
  GC_RETURN_IF_ERROR(DecodePayloadList(*reader, "policies", payloads.policies));
  GC_RETURN_IF_ERROR(
      DecodePayloadList(*reader, "certificateProfiles", payloads.certificate_profiles));
  GC_RETURN_IF_ERROR(DecodePayloadList(*reader, "networkProfiles", payloads.network_profiles));
  GC_RETURN_IF_ERROR(reader->Finish());
  out = std::move(payloads);
  return Ok{};
}

std::string_view PhaseName(core::EspPhase phase) { return NameOf(internal::kEspPhases, phase); }

std::optional<core::EspPhase> PhaseFromName(std::string_view name) {
  for (const auto& spelling : internal::kEspPhases) {
    if (spelling.name == name) return spelling.value;
  }
  return std::nullopt;
}

std::string_view ItemKindName(core::ItemKind kind) { return NameOf(internal::kItemKinds, kind); }

std::string_view ItemStatusName(core::ItemStatus status) {
  return NameOf(internal::kItemStatuses, status);
}

std::string_view PhaseStatusName(core::PhaseStatus status) {
  return NameOf(internal::kPhaseStatuses, status);
}

std::string_view ScreenName(core::TechnicianScreen screen) {
  return NameOf(internal::kTechnicianScreens, screen);
}

std::string_view ScreenName(core::UserScreen screen) {
  return NameOf(internal::kUserScreens, screen);
}

}  // namespace groundcrew::wire

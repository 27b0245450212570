// Apps, policies, certificate profiles, network profiles and compliance policies.
#include <fmt/format.h>

#include <boost/json.hpp>

#include "core/compliance/compliance.hpp"
#include "wire/json_limits.hpp"
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
using internal::RequireNonEmpty;

namespace {

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Runs `decode(reader, element)` on each object of the array under `key`, each element starting
// from `T{}`; replaces `out` when the property is present.
template <class T, class DecodeFn>
Status DecodeArray(ObjectReader& parent, std::string_view key, std::vector<T>& out,
                   DecodeFn decode) {
  const json::value* v = parent.Take(key);
  if (v == nullptr) return Ok{};
  const std::string path = parent.PathOf(key);
  if (!v->is_array()) {
    return Invalid(path, "expected an array of objects, found " + internal::Describe(*v));
  }
  std::vector<T> result(v->as_array().size());
  for (size_t i = 0; i < result.size(); ++i) {
    auto reader = ObjectReader::Open(v->as_array()[i], IndexPath(path, i));
    if (!reader) return reader.error();
    GC_RETURN_IF_ERROR(decode(*reader, result[i]));
    GC_RETURN_IF_ERROR(reader->Finish());
  }
  out = std::move(result);
  return Ok{};
}

// `key` must be present in the element `reader` reads.
Status Require(ObjectReader& reader, std::string_view key) {
  if (reader.Take(key) == nullptr) return Invalid(reader.PathOf(key), "required");
  return Ok{};
}

// `value` must be non-empty for detection rules of `kind`.
Status RequireForKind(const ObjectReader& reader, std::string_view key, const std::string& value,
                      core::DetectionRule::Kind kind) {
  if (!value.empty()) return Ok{};
  return Invalid(reader.PathOf(key), fmt::format("required for kind \"{}\"",
                                                 NameOf(internal::kDetectionRuleKinds, kind)));
}

Status DecodeDetectionRule(ObjectReader& r, core::DetectionRule& rule) {
  using Kind = core::DetectionRule::Kind;
  GC_RETURN_IF_ERROR(Require(r, "kind"));
  GC_RETURN_IF_ERROR(r.Enum("kind", internal::kDetectionRuleKinds, rule.kind));
  GC_RETURN_IF_ERROR(r.String("path", rule.path));
  GC_RETURN_IF_ERROR(r.String("value", rule.value));
  GC_RETURN_IF_ERROR(r.String("command", rule.command));
  if (rule.kind == Kind::kCommand) return RequireForKind(r, "command", rule.command, rule.kind);
  GC_RETURN_IF_ERROR(RequireForKind(r, "path", rule.path, rule.kind));
  if (rule.kind == Kind::kFileHash || rule.kind == Kind::kFileVersion) {
    GC_RETURN_IF_ERROR(RequireForKind(r, "value", rule.value, rule.kind));
  }
  if (rule.kind == Kind::kFileHash && !IsSha256Hex(rule.value)) {
    return Invalid(r.PathOf("value"), "expected a SHA-256 as 64 lower-case hex digits");
  }
  return Ok{};
}

Status DecodeReturnCode(ObjectReader& r, core::ReturnCode& code) {
  GC_RETURN_IF_ERROR(Require(r, "returnCode"));
  GC_RETURN_IF_ERROR(r.Int("returnCode", code.code));
  GC_RETURN_IF_ERROR(Require(r, "type"));
  return r.Enum("type", internal::kReturnCodeTypes, code.type);
}

Status DecodeDependency(ObjectReader& r, core::AppDependency& dependency) {
  GC_RETURN_IF_ERROR(Require(r, "appId"));
  GC_RETURN_IF_ERROR(r.Id("appId", dependency.app_id));
  return r.Bool("autoInstall", dependency.auto_install);
}

// Merges the present properties of "content".
Status DecodeContent(ObjectReader& parent, core::AppContent& out) {
  constexpr std::string_view kKey = "content";
  const json::value* v = parent.Take(kKey);
  if (v == nullptr) return Ok{};
  auto r = ObjectReader::Open(*v, parent.PathOf(kKey));
  if (!r) return r.error();
  GC_RETURN_IF_ERROR(r->String("fileName", out.file_name));
  GC_RETURN_IF_ERROR(r->String("sha256", out.sha256));
  if (!out.sha256.empty() && !IsSha256Hex(out.sha256)) {
    return Invalid(r->PathOf("sha256"), "expected 64 lower-case hex digits or \"\"");
  }
  GC_RETURN_IF_ERROR(r->Int64("size", out.size, 0, std::numeric_limits<long long>::max()));
  return r->Finish();
}

json::object EncodeNetwork(const core::NetworkProfile& profile) {
  json::object o;
  o["id"] = profile.id.value();
  o["displayName"] = profile.display_name;
  o["kind"] = NameOf(internal::kNetworkKinds, profile.kind);
  o["scope"] = NameOf(internal::kNetworkScopes, profile.scope);
  o["ssid"] = profile.ssid;
  o["security"] = NameOf(internal::kWifiSecurities, profile.security);
  o["preSharedKeySet"] = !profile.pre_shared_key.empty();
  o["connectAutomatically"] = profile.connect_automatically;
  o["hiddenNetwork"] = profile.hidden_network;
  o["serverAddress"] = profile.server_address;
  o["vpnType"] = profile.vpn_type;
  o["version"] = profile.version;
  o["createdDateTime"] = FormatTimestamp(profile.created_date_time);
  return o;
}

}  // namespace

// ---- App ----

json::object Encode(const core::App& app) {
  json::object o;
  o["id"] = app.id.value();
  o["displayName"] = app.display_name;
  o["description"] = app.description;
  o["publisher"] = app.publisher;
  o["displayVersion"] = app.display_version;
  o["kind"] = NameOf(internal::kAppKinds, app.kind);
  o["packageName"] = app.package_name;
  o["packageVersion"] = app.package_version;
  o["installContext"] = NameOf(internal::kInstallContexts, app.install_context);
  o["installCommandLine"] = app.install_command_line;
  o["uninstallCommandLine"] = app.uninstall_command_line;
  json::array rules;
  for (const core::DetectionRule& rule : app.detection_rules) {
    rules.emplace_back(json::object{{"kind", NameOf(internal::kDetectionRuleKinds, rule.kind)},
                                    {"path", rule.path},
                                    {"value", rule.value},
                                    {"command", rule.command}});
  }
  o["detectionRules"] = std::move(rules);
  json::array codes;
  for (const core::ReturnCode& code : app.return_codes) {
    codes.emplace_back(json::object{{"returnCode", code.code},
                                    {"type", NameOf(internal::kReturnCodeTypes, code.type)}});
  }
  o["returnCodes"] = std::move(codes);
  json::array dependencies;
  for (const core::AppDependency& dependency : app.dependencies) {
    dependencies.emplace_back(json::object{{"appId", dependency.app_id.value()},
                                           {"autoInstall", dependency.auto_install}});
  }
  o["dependencies"] = std::move(dependencies);
  o["installerClass"] = app.installer_class;
  o["content"] = json::object{{"fileName", app.content.file_name},
                              {"sha256", app.content.sha256},
                              {"size", app.content.size}};
  o["size"] = app.size;
  o["maxRunTimeInMinutes"] = app.max_run_time_in_minutes;
  o["createdDateTime"] = FormatTimestamp(app.created_date_time);
  return o;
}

Status Decode(const json::value& json, core::App& out) {
  return DecodeResource(
      json, out,
      [](ObjectReader& r, core::App& a) -> Status {
        GC_RETURN_IF_ERROR(r.String("displayName", a.display_name));
        GC_RETURN_IF_ERROR(r.String("description", a.description));
        GC_RETURN_IF_ERROR(r.String("publisher", a.publisher));
        GC_RETURN_IF_ERROR(r.String("displayVersion", a.display_version));
        GC_RETURN_IF_ERROR(r.Enum("kind", internal::kAppKinds, a.kind));
        GC_RETURN_IF_ERROR(r.String("packageName", a.package_name));
        GC_RETURN_IF_ERROR(r.String("packageVersion", a.package_version));
        GC_RETURN_IF_ERROR(r.Enum("installContext", internal::kInstallContexts, a.install_context));
        GC_RETURN_IF_ERROR(r.String("installCommandLine", a.install_command_line));
        GC_RETURN_IF_ERROR(r.String("uninstallCommandLine", a.uninstall_command_line));
        GC_RETURN_IF_ERROR(
            DecodeArray(r, "detectionRules", a.detection_rules, DecodeDetectionRule));
        GC_RETURN_IF_ERROR(DecodeArray(r, "returnCodes", a.return_codes, DecodeReturnCode));
        GC_RETURN_IF_ERROR(DecodeArray(r, "dependencies", a.dependencies, DecodeDependency));
        GC_RETURN_IF_ERROR(r.String("installerClass", a.installer_class));
        GC_RETURN_IF_ERROR(DecodeContent(r, a.content));
        GC_RETURN_IF_ERROR(r.Int64("size", a.size, 0, std::numeric_limits<long long>::max()));
        return r.Int("maxRunTimeInMinutes", a.max_run_time_in_minutes, 1);
      },
      [](const core::App& a) { return RequireNonEmpty("displayName", a.display_name); });
}

// ---- Policy ----

json::object Encode(const core::Policy& policy) {
  json::object o;
  o["id"] = policy.id.value();
  o["displayName"] = policy.display_name;
  o["description"] = policy.description;
  Result<json::value> settings = ParseJson(policy.settings_json, "settings");
  // Not JSON (never so when written through Decode): show the text as it is.
  o["settings"] = settings ? std::move(*settings) : json::value(json::string(policy.settings_json));
  o["version"] = policy.version;
  o["createdDateTime"] = FormatTimestamp(policy.created_date_time);
  return o;
}

Status Decode(const json::value& json, core::Policy& out) {
  return DecodeResource(
      json, out,
      [](ObjectReader& r, core::Policy& p) -> Status {
        GC_RETURN_IF_ERROR(r.String("displayName", p.display_name));
        GC_RETURN_IF_ERROR(r.String("description", p.description));
        if (const json::value* settings = r.Take("settings")) {
          if (!settings->is_object()) {
            return Invalid(r.PathOf("settings"),
                           "expected an object, found " + internal::Describe(*settings));
          }
          if (const std::size_t depth = JsonDepth(*settings); depth > kMaxSettingsDepth) {
            return Invalid(
                r.PathOf("settings"),
                fmt::format("nests {} levels; at most {} are allowed", depth, kMaxSettingsDepth));
          }
          p.settings_json = json::serialize(*settings);
        }
        return Ok{};
      },
      [](const core::Policy& p) { return RequireNonEmpty("displayName", p.display_name); });
}

// ---- CertificateProfile ----

json::object Encode(const core::CertificateProfile& profile) {
  json::object o;
  o["id"] = profile.id.value();
  o["displayName"] = profile.display_name;
  o["subjectNameFormat"] = profile.subject_name_format;
  o["validityPeriodDays"] = profile.validity_period_days;
  o["extendedKeyUsages"] = internal::ToArray(profile.extended_key_usages);
  o["version"] = profile.version;
  o["createdDateTime"] = FormatTimestamp(profile.created_date_time);
  return o;
}

Status Decode(const json::value& json, core::CertificateProfile& out) {
  return DecodeResource(
      json, out,
      [](ObjectReader& r, core::CertificateProfile& p) -> Status {
        GC_RETURN_IF_ERROR(r.String("displayName", p.display_name));
        GC_RETURN_IF_ERROR(r.String("subjectNameFormat", p.subject_name_format));
        GC_RETURN_IF_ERROR(r.Int("validityPeriodDays", p.validity_period_days, 1));
        return r.Strings("extendedKeyUsages", p.extended_key_usages);
      },
      [](const core::CertificateProfile& p) {
        return RequireNonEmpty("displayName", p.display_name);
      });
}

// ---- NetworkProfile ----

json::object Encode(const core::NetworkProfile& profile) { return EncodeNetwork(profile); }

json::object EncodeWithSecrets(const core::NetworkProfile& profile) {
  json::object o = EncodeNetwork(profile);
  o["preSharedKey"] = profile.pre_shared_key;
  return o;
}

Status Decode(const json::value& json, core::NetworkProfile& out) {
  return DecodeResource(
      json, out,
      [](ObjectReader& r, core::NetworkProfile& p) -> Status {
        r.Ignore("preSharedKeySet");
        GC_RETURN_IF_ERROR(r.String("displayName", p.display_name));
        GC_RETURN_IF_ERROR(r.Enum("kind", internal::kNetworkKinds, p.kind));
        GC_RETURN_IF_ERROR(r.Enum("scope", internal::kNetworkScopes, p.scope));
        GC_RETURN_IF_ERROR(r.String("ssid", p.ssid));
        GC_RETURN_IF_ERROR(r.Enum("security", internal::kWifiSecurities, p.security));
        GC_RETURN_IF_ERROR(r.String("preSharedKey", p.pre_shared_key));
        GC_RETURN_IF_ERROR(r.Bool("connectAutomatically", p.connect_automatically));
        GC_RETURN_IF_ERROR(r.Bool("hiddenNetwork", p.hidden_network));
        GC_RETURN_IF_ERROR(r.String("serverAddress", p.server_address));
        return r.String("vpnType", p.vpn_type);
      },
      [](const core::NetworkProfile& p) { return RequireNonEmpty("displayName", p.display_name); });
}

// ---- CompliancePolicy ----

json::object Encode(const core::CompliancePolicy& policy) {
  auto optional_int = [](const std::optional<int>& value) -> json::value {
    return value ? json::value(*value) : json::value(nullptr);
  };
  json::object o;
  o["id"] = policy.id.value();
  o["displayName"] = policy.display_name;
  o["platforms"] = NameOf(internal::kCompliancePlatforms, policy.platform);
  o["osName"] = policy.os_name;
  o["osMinimumVersion"] = policy.os_minimum_version;
  o["osMaximumVersion"] = policy.os_maximum_version;
  o["storageRequireEncryption"] = policy.storage_require_encryption;
  o["secureBootEnabled"] = policy.secure_boot_enabled;
  o["activeFirewallRequired"] = policy.active_firewall_required;
  o["screenLockRequired"] = policy.screen_lock_required;
  o["screenLockMaximumIdleMinutes"] = optional_int(policy.screen_lock_maximum_idle_minutes);
  o["automaticSecurityUpdatesRequired"] = policy.automatic_security_updates_required;
  o["passwordMinimumLength"] = optional_int(policy.password_minimum_length);
  o["version"] = policy.version;
  o["createdDateTime"] = FormatTimestamp(policy.created_date_time);
  return o;
}

Status Decode(const json::value& json, core::CompliancePolicy& out) {
  return DecodeResource(
      json, out,
      [](ObjectReader& r, core::CompliancePolicy& p) -> Status {
        GC_RETURN_IF_ERROR(r.String("displayName", p.display_name));
        GC_RETURN_IF_ERROR(r.Enum("platforms", internal::kCompliancePlatforms, p.platform));
        GC_RETURN_IF_ERROR(r.String("osName", p.os_name));
        GC_RETURN_IF_ERROR(r.String("osMinimumVersion", p.os_minimum_version));
        GC_RETURN_IF_ERROR(r.String("osMaximumVersion", p.os_maximum_version));
        GC_RETURN_IF_ERROR(r.Bool("storageRequireEncryption", p.storage_require_encryption));
        GC_RETURN_IF_ERROR(r.Bool("secureBootEnabled", p.secure_boot_enabled));
        GC_RETURN_IF_ERROR(r.Bool("activeFirewallRequired", p.active_firewall_required));
        GC_RETURN_IF_ERROR(r.Bool("screenLockRequired", p.screen_lock_required));
        GC_RETURN_IF_ERROR(r.OptionalInt("screenLockMaximumIdleMinutes",
                                         p.screen_lock_maximum_idle_minutes, 1,
                                         core::kMaxScreenLockIdleMinutes));
        GC_RETURN_IF_ERROR(
            r.Bool("automaticSecurityUpdatesRequired", p.automatic_security_updates_required));
        return r.OptionalInt("passwordMinimumLength", p.password_minimum_length, 1,
                             core::kMaxPasswordMinimumLength);
      },
      [](const core::CompliancePolicy& p) -> Status {
        GC_RETURN_IF_ERROR(RequireNonEmpty("displayName", p.display_name));
        return core::ValidateCompliancePolicy(p);
      });
}

}  // namespace groundcrew::wire

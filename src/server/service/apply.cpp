#include "server/service/apply.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "common/base64.hpp"
#include "common/text.hpp"
#include "core/registration/registration_csv.hpp"
#include "identity/random.hpp"
#include "server/service/catalog_service.hpp"
#include "server/service/resource_model.hpp"

namespace groundcrew::service {
namespace {

namespace json = boost::json;
using store::ResourceKind;
using store::ResourceRecord;

// The document's lists of named resources, in the order they are applied: what others refer
// to comes first.
struct Section {
  std::string_view key;
  ResourceKind kind;
  std::string_view name_field;
  std::optional<core::PayloadKind> payload;  // set for kinds that carry `assignments` to payload
};
constexpr Section kSections[] = {
    {"users", ResourceKind::kUser, "userPrincipalName", std::nullopt},
    {"groups", ResourceKind::kGroup, "displayName", std::nullopt},
    {"apps", ResourceKind::kApp, "displayName", core::PayloadKind::kApp},
    {"policies", ResourceKind::kPolicy, "displayName", core::PayloadKind::kPolicy},
    {"certificateProfiles", ResourceKind::kCertificateProfile, "displayName",
     core::PayloadKind::kCertificate},
    {"networkProfiles", ResourceKind::kNetworkProfile, "displayName", core::PayloadKind::kNetwork},
    {"compliancePolicies", ResourceKind::kCompliancePolicy, "displayName",
     core::PayloadKind::kCompliance},
    {"deploymentProfiles", ResourceKind::kDeploymentProfile, "displayName", std::nullopt},
    {"espProfiles", ResourceKind::kEspProfile, "displayName", std::nullopt},
};

Error At(std::string_view path, std::string_view message) {
  return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: {}", path, message),
                   std::string(path));
}

// Re-roots an error from decoding one resource at its place in the document.
Error Within(std::string_view path, Error error) {
  if (error.code != ErrorCode::kInvalidArgument) return error;
  const std::string field =
      error.field.empty() ? std::string(path) : fmt::format("{}.{}", path, error.field);
  std::string message = error.message;
  if (!error.field.empty() && message.starts_with(error.field + ": ")) {
    message = message.substr(error.field.size() + 2);
  }
  return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: {}", field, message), field);
}

std::string Fold(std::string_view name) { return text::ToLowerAscii(name); }

class Applier {
 public:
  Applier(store::Store& store, DeviceService& devices, const Actor& actor, core::Timestamp now,
          ApplyOutcome& outcome)
      : store_(store), devices_(devices), actor_(actor), now_(now), outcome_(outcome) {}

  Status Run(const json::object& document) {
    static const std::set<std::string, std::less<>> kTopLevel = {"apiVersion",
                                                                 "tenant",
                                                                 "users",
                                                                 "groups",
                                                                 "apps",
                                                                 "policies",
                                                                 "certificateProfiles",
                                                                 "networkProfiles",
                                                                 "compliancePolicies",
                                                                 "deploymentProfiles",
                                                                 "espProfiles",
                                                                 "devices"};
    for (const auto& field : document) {
      if (!kTopLevel.contains(field.key())) {
        return At(field.key(),
                  "unknown section (expected tenant, users, groups, apps, policies, "
                  "certificateProfiles, networkProfiles, compliancePolicies, "
                  "deploymentProfiles, espProfiles or devices)");
      }
    }
    if (const json::value* version = document.if_contains("apiVersion");
        version != nullptr && !(version->is_string() && version->as_string() == "groundcrew/v1")) {
      return At("apiVersion", "must be \"groundcrew/v1\"");
    }
    if (Status s = LoadExisting(); !s) return s;
    if (Status s = AllocateIds(document); !s) return s;
    if (const json::value* tenant = document.if_contains("tenant")) {
      if (Status s = ApplyTenant(*tenant); !s) return s;
    }
    for (const Section& section : kSections) {
      if (section.kind == ResourceKind::kGroup) {
        // Groups may list devices as members: register devices first.
        if (const json::value* devices = document.if_contains("devices")) {
          if (Status s = ApplyDevices(*devices); !s) return s;
        }
      }
      const json::value* entries = document.if_contains(section.key);
      if (entries == nullptr) continue;
      const json::array& list = entries->as_array();  // checked by AllocateIds
      for (const json::value& entry : list) {
        if (Status s = ApplyEntry(section, entry.as_object()); !s) return s;
      }
    }
    if (Status s = SyncAssignments(); !s) return s;
    Result<LoadedTenant> tenant = LoadTenant(store_.resources());
    if (!tenant) return tenant.error();
    Result<std::shared_ptr<const core::TargetingIndex>> index = Compile(std::move(tenant->tenant));
    if (!index) return index.error();
    Result<int64_t> generation = store_.resources().Generation();
    if (!generation) return generation.error();
    compiled_ = {*generation, std::move(*index)};
    return Ok{};
  }

  /// The generation the tenant was written at and its compiled index (after Run succeeded).
  std::pair<int64_t, std::shared_ptr<const core::TargetingIndex>> TakeCompiled() {
    return std::move(compiled_);
  }

 private:
  Status LoadExisting() {
    for (const Section& section : kSections) {
      Result<std::vector<ResourceRecord>> records = store_.resources().ListAll(section.kind);
      if (!records) return records.error();
      for (ResourceRecord& record : *records) {
        ids_[section.kind][Fold(record.value.name)] = record.value.id;
        names_[section.kind][record.value.id] = record.value.name;
        existing_[section.kind].emplace(Fold(record.value.name), std::move(record));
      }
    }
    Result<ResourceRecord> tenant = store_.resources().Get(ResourceKind::kTenant, "tenant");
    if (!tenant) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the tenant is not initialized: run `groundcrew init` first");
    }
    Result<AnyResource> settings = Load(*tenant);
    if (!settings) return settings.error();
    settings_ = std::get<core::TenantSettings>(*settings);
    tenant_record_ = std::move(*tenant);
    Result<std::vector<ResourceRecord>> assignments =
        store_.resources().ListAll(ResourceKind::kAssignment);
    if (!assignments) return assignments.error();
    for (const ResourceRecord& record : *assignments) {
      Result<AnyResource> loaded = Load(record);
      if (!loaded) return loaded.error();
      existing_assignments_.push_back({record, std::get<core::Assignment>(*loaded)});
    }
    return Ok{};
  }

  // Gives every named entry its id (the stored one, or a new one) before anything is written,
  // so that entries may refer to each other in any order.
  Status AllocateIds(const json::object& document) {
    for (const Section& section : kSections) {
      const json::value* entries = document.if_contains(section.key);
      if (entries == nullptr) continue;
      if (!entries->is_array()) return At(section.key, "must be a list");
      std::set<std::string> seen;
      const json::array& list = entries->as_array();
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string path = fmt::format("{}[{}]", section.key, i);
        if (!list[i].is_object()) return At(path, "must be a mapping");
        const json::value* name = list[i].as_object().if_contains(section.name_field);
        if (name == nullptr || !name->is_string() || name->as_string().empty()) {
          return At(fmt::format("{}.{}", path, section.name_field),
                    "required: resources are matched by it");
        }
        const std::string folded = Fold(name->as_string());
        if (!seen.insert(folded).second) {
          return At(path, fmt::format("\"{}\" is listed twice", std::string(name->as_string())));
        }
        auto& ids = ids_[section.kind];
        if (!ids.contains(folded)) ids[folded] = identity::RandomUuid();
        names_[section.kind][ids[folded]] = std::string(name->as_string());
      }
    }
    return Ok{};
  }

  Result<std::string> IdOfName(ResourceKind kind, std::string_view what, const json::value& name,
                               std::string_view path) {
    if (!name.is_string()) return At(path, fmt::format("must be the name of {}", what));
    auto& ids = ids_[kind];
    auto it = ids.find(Fold(name.as_string()));
    if (it == ids.end()) {
      return At(path, fmt::format("no {} named \"{}\"", what, std::string(name.as_string())));
    }
    return it->second;
  }

  // {group: X} | {excludeGroup: X} | {allDevices: true} | {allLicensedUsers: true}, plus
  // "intent" when `intent` is non-null -> a Graph assignment target.
  Result<json::object> Target(const json::value& spec, std::string_view path, std::string* intent) {
    if (!spec.is_object()) return At(path, "must be a mapping such as {group: NAME}");
    json::object target;
    int kinds = 0;
    for (const auto& field : spec.as_object()) {
      const std::string field_path = fmt::format("{}.{}", path, std::string(field.key()));
      if (field.key() == "group" || field.key() == "excludeGroup") {
        Result<std::string> id = IdOfName(ResourceKind::kGroup, "group", field.value(), field_path);
        if (!id) return id.error();
        target["@odata.type"] = field.key() == "group"
                                    ? "#microsoft.graph.groupAssignmentTarget"
                                    : "#microsoft.graph.exclusionGroupAssignmentTarget";
        target["groupId"] = *id;
        ++kinds;
      } else if (field.key() == "allDevices" || field.key() == "allLicensedUsers") {
        if (!(field.value().is_bool() && field.value().as_bool())) {
          return At(field_path, "must be true");
        }
        target["@odata.type"] = field.key() == "allDevices"
                                    ? "#microsoft.graph.allDevicesAssignmentTarget"
                                    : "#microsoft.graph.allLicensedUsersAssignmentTarget";
        ++kinds;
      } else if (field.key() == "intent" && intent != nullptr) {
        if (!field.value().is_string()) return At(field_path, "must be a string");
        *intent = std::string(field.value().as_string());
      } else {
        return At(field_path, intent != nullptr
                                  ? "unknown key (expected group, excludeGroup, allDevices, "
                                    "allLicensedUsers or intent)"
                                  : "unknown key (expected group, excludeGroup, allDevices or "
                                    "allLicensedUsers)");
      }
    }
    if (kinds != 1) {
      return At(path, "name exactly one of group, excludeGroup, allDevices, allLicensedUsers");
    }
    return target;
  }

  // Replaces the list of group names at `tenant`[names_key], when present, by the list of
  // their ids at `tenant`[ids_key] (which it overwrites). Errors name `tenant.<names_key>[i]`.
  Status GroupNamesToIds(json::object& tenant, std::string_view names_key,
                         std::string_view ids_key) {
    json::value* names = tenant.if_contains(names_key);
    if (names == nullptr) return Ok{};
    const std::string path = fmt::format("tenant.{}", names_key);
    if (!names->is_array()) return At(path, "must be a list");
    json::array ids;
    for (size_t i = 0; i < names->as_array().size(); ++i) {
      Result<std::string> id = IdOfName(ResourceKind::kGroup, "group", names->as_array()[i],
                                        fmt::format("{}[{}]", path, i));
      if (!id) return id.error();
      ids.push_back(json::string(*id));
    }
    tenant.erase(names_key);
    tenant[ids_key] = std::move(ids);
    return Ok{};
  }

  // tenant: TenantSettings properties, plus mdmUserScopeGroups and mfaGroups (group names) in
  // place of mdmUserScopeGroupIds and mfaGroupIds.
  Status ApplyTenant(const json::value& spec) {
    if (!spec.is_object()) return At("tenant", "must be a mapping");
    json::object translated = spec.as_object();
    if (Status s = GroupNamesToIds(translated, "mdmUserScopeGroups", "mdmUserScopeGroupIds"); !s) {
      return s;
    }
    if (Status s = GroupNamesToIds(translated, "mfaGroups", "mfaGroupIds"); !s) return s;
    AnyResource resource = settings_;
    if (Status s = DecodeOnto(translated, resource); !s) return Within("tenant", s.error());
    if (Status s = ValidateResource(resource, std::get<core::TenantSettings>(resource)); !s) {
      return Within("tenant", s.error());
    }
    settings_ = std::get<core::TenantSettings>(resource);
    return Write(ResourceKind::kTenant, resource, tenant_record_, "tenant");
  }

  // Creates, updates or leaves alone one resource, recording what it did.
  Status Write(ResourceKind kind, const AnyResource& resource,
               const std::optional<ResourceRecord>& existing, std::string_view shown_name) {
    const std::string body = StoredBody(resource);
    const std::string name = NameOf(resource);
    const std::string kind_name(store::ToString(kind));
    if (existing && existing->value.body == body && existing->value.name == name) {
      outcome_.changes.push_back({kind_name, std::string(shown_name), "unchanged"});
      return Ok{};
    }
    if (existing) {
      store::Resource row = existing->value;
      row.name = name;
      row.body = body;
      row.last_modified_date_time = now_;
      Result<ResourceRecord> updated = store_.resources().Update(row, existing->version);
      if (!updated) return updated.error();
      outcome_.changes.push_back({kind_name, std::string(shown_name), "update"});
      return Audit(store_, actor_, now_, "update", kind_name, row.id, name, R"({"via":"apply"})");
    }
    store::Resource row{kind, IdOf(resource), name, body, now_, now_};
    Result<ResourceRecord> created = store_.resources().Create(row);
    if (!created) return created.error();
    outcome_.changes.push_back({kind_name, std::string(shown_name), "create"});
    return Audit(store_, actor_, now_, "create", kind_name, row.id, name, R"({"via":"apply"})");
  }

  Status ApplyEntry(const Section& section, const json::object& entry) {
    const std::string name(entry.at(section.name_field).as_string());
    const std::string path = fmt::format("{}[{}]", section.key, name);
    json::object translated = entry;
    if (section.payload) {
      translated.erase("assignments");
      if (const json::value* assignments = entry.if_contains("assignments")) {
        if (Status s = CollectAssignments(*section.payload, ids_[section.kind][Fold(name)],
                                          *assignments, path + ".assignments");
            !s) {
          return s;
        }
      }
      payloads_listed_.insert(ids_[section.kind][Fold(name)]);
    }
    if (Status s = Translate(section.kind, path, translated); !s) return s;
    AnyResource resource = DefaultResource(section.kind);
    if (Status s = DecodeOnto(translated, resource); !s) return Within(path, s.error());
    SetId(resource, ids_[section.kind][Fold(name)]);
    if (Status s = ValidateResource(resource, settings_); !s) return Within(path, s.error());
    std::optional<ResourceRecord> existing;
    if (auto it = existing_[section.kind].find(Fold(name)); it != existing_[section.kind].end()) {
      existing = it->second;
      SetBookkeeping(resource, *existing);
    }
    return Write(section.kind, resource, existing, name);
  }

  // Rewrites the document's by-name references into the API's ids.
  Status Translate(ResourceKind kind, const std::string& path, json::object& entry) {
    auto targets = [&](std::string_view key) -> Status {
      json::value* list = entry.if_contains(key);
      if (list == nullptr) return Ok{};
      if (!list->is_array()) return At(fmt::format("{}.{}", path, key), "must be a list");
      json::array out;
      for (size_t i = 0; i < list->as_array().size(); ++i) {
        Result<json::object> target =
            Target(list->as_array()[i], fmt::format("{}.{}[{}]", path, key, i), nullptr);
        if (!target) return target.error();
        out.push_back(std::move(*target));
      }
      *list = std::move(out);
      return Ok{};
    };
    switch (kind) {
      case ResourceKind::kGroup: {
        if (entry.contains("membershipRule") && !entry.contains("membershipKind")) {
          entry["membershipKind"] = "dynamic";
        }
        json::value* members = entry.if_contains("members");
        if (members == nullptr) return Ok{};
        if (!members->is_array()) return At(path + ".members", "must be a list");
        json::array ids;
        for (size_t i = 0; i < members->as_array().size(); ++i) {
          const json::value& member = members->as_array()[i];
          const std::string member_path = fmt::format("{}.members[{}]", path, i);
          if (!member.is_string()) return At(member_path, "must be a UPN or a serial number");
          Result<std::string> id = MemberId(member.as_string(), member_path);
          if (!id) return id.error();
          ids.push_back(json::string(*id));
        }
        *members = std::move(ids);
        return Ok{};
      }
      case ResourceKind::kDeploymentProfile:
        return targets("assignments");
      case ResourceKind::kEspProfile: {
        if (Status s = targets("assignments"); !s) return s;
        json::value* apps = entry.if_contains("selectedMobileApps");
        if (apps == nullptr) return Ok{};
        if (!apps->is_array()) return At(path + ".selectedMobileApps", "must be a list");
        json::array ids;
        for (size_t i = 0; i < apps->as_array().size(); ++i) {
          Result<std::string> id = IdOfName(ResourceKind::kApp, "app", apps->as_array()[i],
                                            fmt::format("{}.selectedMobileApps[{}]", path, i));
          if (!id) return id.error();
          ids.push_back(json::string(*id));
        }
        entry.erase("selectedMobileApps");
        entry["selectedMobileAppIds"] = std::move(ids);
        return Ok{};
      }
      case ResourceKind::kApp: {
        json::value* dependencies = entry.if_contains("dependencies");
        if (dependencies == nullptr) return Ok{};
        if (!dependencies->is_array()) return At(path + ".dependencies", "must be a list");
        for (size_t i = 0; i < dependencies->as_array().size(); ++i) {
          json::value& dependency = dependencies->as_array()[i];
          const std::string dependency_path = fmt::format("{}.dependencies[{}]", path, i);
          if (!dependency.is_object() || !dependency.as_object().contains("app")) {
            return At(dependency_path, "must be a mapping such as {app: NAME, autoInstall: true}");
          }
          Result<std::string> id =
              IdOfName(ResourceKind::kApp, "app", dependency.as_object().at("app"),
                       dependency_path + ".app");
          if (!id) return id.error();
          dependency.as_object().erase("app");
          dependency.as_object()["appId"] = *id;
        }
        return Ok{};
      }
      default:
        return Ok{};
    }
  }

  // A group member named by UPN (a user) or serial number (a registered device).
  Result<std::string> MemberId(std::string_view name, std::string_view path) {
    if (auto it = ids_[ResourceKind::kUser].find(Fold(name));
        it != ids_[ResourceKind::kUser].end()) {
      return it->second;
    }
    Result<std::optional<store::DeviceRecord>> device = store_.devices().FindBySerialNumber(name);
    if (!device) return device.error();
    if (*device) return (**device).value.azure_ad_device_id.value();
    return At(path, fmt::format("no user or registered device \"{}\"", std::string(name)));
  }

  Status CollectAssignments(core::PayloadKind kind, const std::string& payload_id,
                            const json::value& list, const std::string& path) {
    if (!list.is_array()) return At(path, "must be a list");
    for (size_t i = 0; i < list.as_array().size(); ++i) {
      const std::string item_path = fmt::format("{}[{}]", path, i);
      std::string intent = "required";
      Result<json::object> target = Target(list.as_array()[i], item_path, &intent);
      if (!target) return target.error();
      AnyResource assignment = core::Assignment{};
      json::object body{{"payloadKind", PayloadKindName(kind)},
                        {"payloadId", payload_id},
                        {"target", std::move(*target)},
                        {"intent", intent}};
      if (Status s = DecodeOnto(body, assignment); !s) {
        Error error = s.error();
        return At(item_path, error.message);
      }
      desired_assignments_.push_back({std::get<core::Assignment>(assignment), item_path});
    }
    return Ok{};
  }

  // "Company Portal -> group Sales devices (required)"
  std::string Describe(const core::Assignment& assignment) {
    const std::string payload =
        names_[KindOfPayload(assignment.payload_kind)][assignment.payload_id];
    std::string target;
    switch (assignment.target.kind) {
      case core::TargetKind::kGroup:
        target = "group " + names_[ResourceKind::kGroup][assignment.target.group_id.value()];
        break;
      case core::TargetKind::kExclusionGroup:
        target =
            "excluded group " + names_[ResourceKind::kGroup][assignment.target.group_id.value()];
        break;
      case core::TargetKind::kAllDevices:
        target = "all devices";
        break;
      case core::TargetKind::kAllLicensedUsers:
        target = "all licensed users";
        break;
    }
    const char* intent = assignment.intent == core::InstallIntent::kRequired    ? "required"
                         : assignment.intent == core::InstallIntent::kAvailable ? "available"
                                                                                : "uninstall";
    return fmt::format("{} -> {} ({})", payload, target, intent);
  }

  // The listed payloads' assignments become exactly the document's.
  Status SyncAssignments() {
    std::map<std::string, const ResourceRecord*> stored_by_name;
    for (const auto& [record, assignment] : existing_assignments_) {
      stored_by_name[Fold(record.value.name)] = &record;
    }
    std::set<std::string> kept;
    for (const auto& [desired, path] : desired_assignments_) {
      AnyResource resource = desired;
      const std::string key = Fold(NameOf(resource));
      if (!kept.insert(key).second) return At(path, "the same target is listed twice");
      std::optional<ResourceRecord> existing;
      if (auto it = stored_by_name.find(key); it != stored_by_name.end()) {
        existing = *it->second;
        SetId(resource, existing->value.id);
      } else {
        SetId(resource, identity::RandomUuid());
      }
      if (Status s = Write(ResourceKind::kAssignment, resource, existing, Describe(desired)); !s) {
        return s;
      }
    }
    for (const auto& [record, assignment] : existing_assignments_) {
      if (!payloads_listed_.contains(assignment.payload_id)) continue;
      if (kept.contains(Fold(record.value.name))) continue;
      if (Status s =
              store_.resources().Delete(ResourceKind::kAssignment, record.value.id, record.version);
          !s) {
        return s;
      }
      outcome_.changes.push_back({"assignments", Describe(assignment), "delete"});
      if (Status s = Audit(store_, actor_, now_, "delete", "assignments", record.value.id,
                           record.value.name, R"({"via":"apply"})");
          !s) {
        return s;
      }
    }
    return Ok{};
  }

  // devices: {csvText: "..."} | {rows: [{serialNumber, hardwareHash, productKey, groupTag,
  // assignedUser}]}
  Status ApplyDevices(const json::value& spec) {
    if (!spec.is_object()) return At("devices", "must be a mapping with csvText or rows");
    std::string csv;
    const json::object& object = spec.as_object();
    for (const auto& field : object) {
      if (field.key() != "csvText" && field.key() != "rows") {
        return At(fmt::format("devices.{}", std::string(field.key())),
                  "unknown key (expected csvText or rows; the CLI turns `csv: FILE` into csvText)");
      }
    }
    if (object.contains("csvText") == object.contains("rows")) {
      return At("devices", "give exactly one of csvText and rows");
    }
    if (const json::value* text = object.if_contains("csvText")) {
      if (!text->is_string()) return At("devices.csvText", "must be a string");
      csv = std::string(text->as_string());
    } else {
      Result<std::string> written = RowsToCsv(object.at("rows"));
      if (!written) return written.error();
      csv = std::move(*written);
    }
    core::RegistrationFile parsed = core::ReadRegistrationCsv(csv);
    if (!parsed.ok()) return Within("devices", parsed.file_errors.front());
    core::RegistrationFile fresh;
    fresh.columns = parsed.columns;
    for (const core::RegistrationRowResult& row : parsed.rows) {
      if (Status s = RowProblem(row); !s) return s;
      Result<std::optional<store::DeviceRecord>> existing =
          store_.devices().FindBySerialNumber(row.row.serial_number);
      if (!existing) return existing.error();
      if (!*existing) {
        fresh.rows.push_back(row);
        continue;
      }
      if (Status s = UpdateDevice(row, **existing); !s) return s;
    }
    if (fresh.rows.empty()) return Ok{};
    Result<ImportOutcome> imported = devices_.ImportInTransaction(fresh, settings_);
    if (!imported) return imported.error();
    for (const core::RegistrationRowResult& row : imported->file.rows) {
      if (Status s = RowProblem(row); !s) return s;
    }
    for (const store::DeviceRecord& device : imported->imported) {
      outcome_.changes.push_back({"autopilotDevices", device.value.serial_number, "create"});
      if (Status s =
              Audit(store_, actor_, now_, "create", "autopilotDevices", device.value.id.value(),
                    device.value.serial_number, R"({"via":"apply"})");
          !s) {
        return s;
      }
    }
    return Ok{};
  }

  static Status RowProblem(const core::RegistrationRowResult& row) {
    if (row.ok()) return Ok{};
    const std::string where =
        row.failure->column.empty()
            ? fmt::format("devices, line {}", row.line)
            : fmt::format("devices, line {}, column {}", row.line, row.failure->column);
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: {} ({})", where, row.failure->message,
                                 core::ImportErrorName(row.failure->error)),
                     where);
  }

  Status UpdateDevice(const core::RegistrationRowResult& row, const store::DeviceRecord& stored) {
    core::AutopilotDeviceIdentity device = stored.value;
    if (device.hardware_identifier != row.row.hardware_hash) {
      return At(fmt::format("devices, line {}", row.line),
                fmt::format("serial number {} is registered with another hardware hash; delete "
                            "the device first to register it again",
                            row.row.serial_number));
    }
    if (text::EqualsIgnoreCase(device.group_tag, row.row.group_tag) &&
        text::EqualsIgnoreCase(device.user_principal_name, row.row.assigned_user_principal_name) &&
        device.product_key == row.row.product_id) {
      outcome_.changes.push_back({"autopilotDevices", device.serial_number, "unchanged"});
      return Ok{};
    }
    const core::RegistrationFile checked =
        core::CheckAssignedUserDomains(core::RegistrationFile{{}, {}, {row}}, Domains());
    if (Status s = RowProblem(checked.rows.front()); !s) return s;
    device.group_tag = row.row.group_tag;
    device.user_principal_name = row.row.assigned_user_principal_name;
    device.product_key = row.row.product_id;
    Result<store::DeviceRecord> updated = store_.devices().Update(device, stored.version);
    if (!updated) return updated.error();
    outcome_.changes.push_back({"autopilotDevices", device.serial_number, "update"});
    return Audit(store_, actor_, now_, "update", "autopilotDevices", device.id.value(),
                 device.serial_number, R"({"via":"apply"})");
  }

  std::vector<std::string> Domains() const {
    std::vector<std::string> domains = settings_.additional_domains;
    domains.insert(domains.begin(), settings_.domain);
    return domains;
  }

  static Result<std::string> RowsToCsv(const json::value& rows) {
    if (!rows.is_array()) return At("devices.rows", "must be a list");
    std::vector<core::RegistrationRow> out;
    for (size_t i = 0; i < rows.as_array().size(); ++i) {
      const std::string path = fmt::format("devices.rows[{}]", i);
      if (!rows.as_array()[i].is_object()) return At(path, "must be a mapping");
      core::RegistrationRow row;
      for (const auto& field : rows.as_array()[i].as_object()) {
        const std::string field_path = fmt::format("{}.{}", path, std::string(field.key()));
        if (!field.value().is_string()) return At(field_path, "must be a string");
        const std::string value(field.value().as_string());
        if (field.key() == "serialNumber") {
          row.serial_number = value;
        } else if (field.key() == "hardwareHash") {
          Result<std::string> bytes = base64::Decode(value);
          if (!bytes) return At(field_path, "must be padded base64 (InvalidZtdHardwareHash)");
          row.hardware_hash = std::move(*bytes);
        } else if (field.key() == "productKey") {
          row.product_id = value;
        } else if (field.key() == "groupTag") {
          row.group_tag = value;
        } else if (field.key() == "assignedUser") {
          row.assigned_user_principal_name = value;
        } else {
          return At(field_path,
                    "unknown key (expected serialNumber, hardwareHash, productKey, "
                    "groupTag or assignedUser)");
        }
      }
      out.push_back(std::move(row));
    }
    return core::WriteRegistrationCsv(out);
  }

  store::Store& store_;
  DeviceService& devices_;
  const Actor& actor_;
  core::Timestamp now_;
  ApplyOutcome& outcome_;
  core::TenantSettings settings_;
  std::optional<ResourceRecord> tenant_record_;
  std::map<ResourceKind, std::unordered_map<std::string, std::string>> ids_;    // folded name -> id
  std::map<ResourceKind, std::unordered_map<std::string, std::string>> names_;  // id -> name
  std::map<ResourceKind, std::unordered_map<std::string, ResourceRecord>> existing_;
  std::vector<std::pair<ResourceRecord, core::Assignment>> existing_assignments_;
  std::vector<std::pair<core::Assignment, std::string>> desired_assignments_;
  std::set<std::string> payloads_listed_;
  std::pair<int64_t, std::shared_ptr<const core::TargetingIndex>> compiled_;
};

}  // namespace

Result<ApplyOutcome> ApplyService::Apply(const Actor& actor, const boost::json::value& document,
                                         bool dry_run) {
  if (Status s = RequireAdmin(actor); !s) return s.error();
  if (!document.is_object()) return At("document", "must be a mapping of sections");
  ApplyOutcome outcome;
  outcome.dry_run = dry_run;
  std::pair<int64_t, std::shared_ptr<const core::TargetingIndex>> compiled;
  // A dry run does all the work, then rolls it back by failing the transaction on purpose.
  static const Error kDryRun = MakeError(ErrorCode::kAborted, "dry run: rolled back");
  Status done = store_.Transact([&]() -> Status {
    Applier applier(store_, devices_, actor, clock_(), outcome);
    if (Status s = applier.Run(document.as_object()); !s) return s;
    if (dry_run) return kDryRun;
    compiled = applier.TakeCompiled();
    Status summary = Audit(store_, actor, clock_(), "apply", "tenant", "tenant", "tenant",
                           fmt::format(R"({{"changes":{}}})", outcome.changes.size()));
    return summary;
  });
  if (!done && !(dry_run && done.error().message == kDryRun.message)) return done.error();
  if (compiled.second) catalog_.Publish(compiled.first, std::move(compiled.second));
  return outcome;
}

boost::json::object ToJson(const ApplyOutcome& outcome) {
  json::array changes;
  std::map<std::string, int> summary = {
      {"create", 0}, {"update", 0}, {"delete", 0}, {"unchanged", 0}};
  for (const ApplyChange& change : outcome.changes) {
    changes.push_back({{"kind", change.kind}, {"name", change.name}, {"action", change.action}});
    ++summary[change.action];
  }
  json::object counts;
  for (const auto& [action, count] : summary) counts[action] = count;
  return {{"dryRun", outcome.dry_run}, {"changes", std::move(changes)}, {"summary", counts}};
}

}  // namespace groundcrew::service

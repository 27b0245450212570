#include "server/service/apply.hpp"

#include <fmt/format.h>

#include <algorithm>
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
#include "server/service/deb_apps.hpp"
#include "server/service/resource_model.hpp"
#include "wire/json_limits.hpp"

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

constexpr std::string_view kDevices = "autopilotDevices";

const Section& SectionOf(ResourceKind kind) {
  for (const Section& section : kSections) {
    if (section.kind == kind) return section;
  }
  return kSections[0];  // unreachable for the kinds a document lists
}

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

// The top-level property an error's field names ("detectionRules[1].kind" -> "detectionRules").
std::string TopLevelKey(std::string_view field) {
  return std::string(field.substr(0, field.find_first_of(".[")));
}

// The stored properties that hold ids, as the document names them (it holds names there).
std::string_view DocumentKey(std::string_view key) {
  static const std::map<std::string_view, std::string_view> kRenamed = {
      {"appId", "app"},
      {"selectedMobileAppIds", "selectedMobileApps"},
      {"mfaGroupIds", "mfaGroups"},
      {"mdmUserScopeGroupIds", "mdmUserScopeGroups"}};
  auto it = kRenamed.find(key);
  return it == kRenamed.end() ? key : it->second;
}

class Applier {
 public:
  Applier(store::Store& store, DeviceService& devices, const ContentStore& content,
          const Actor& actor, core::Timestamp now, ApplyMode mode, ApplyOutcome& outcome)
      : store_(store),
        devices_(devices),
        content_(content),
        actor_(actor),
        now_(now),
        mode_(mode),
        outcome_(outcome) {}

  // Applies `document`; its problems end in outcome.problems, the store's errors are returned.
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
        GC_RETURN_IF_ERROR(Note(At(field.key(),
                                   "unknown section (expected tenant, users, groups, apps, "
                                   "policies, certificateProfiles, networkProfiles, "
                                   "compliancePolicies, deploymentProfiles, espProfiles or "
                                   "devices)")));
      }
    }
    if (const json::value* version = document.if_contains("apiVersion");
        version != nullptr && !(version->is_string() && version->as_string() == "groundcrew/v1")) {
      GC_RETURN_IF_ERROR(Note(At("apiVersion", "must be \"groundcrew/v1\"")));
    }
    GC_RETURN_IF_ERROR(LoadExisting());
    GC_RETURN_IF_ERROR(AllocateIds(document));
    const json::value* devices = document.if_contains("devices");
    if (devices != nullptr || mode_.prune) GC_RETURN_IF_ERROR(LoadDevices());
    if (devices != nullptr) GC_RETURN_IF_ERROR(ReadDeviceRows(*devices));
    if (const json::value* tenant = document.if_contains("tenant")) {
      GC_RETURN_IF_ERROR(ApplyTenant(*tenant));
    }
    for (const Section& section : kSections) {
      // Groups may list devices as members: register devices first.
      if (section.kind == ResourceKind::kGroup && device_rows_) GC_RETURN_IF_ERROR(ApplyDevices());
      for (const json::object* entry : entries_[section.kind]) {
        GC_RETURN_IF_ERROR(ApplyEntry(section, *entry));
      }
    }
    GC_RETURN_IF_ERROR(SyncAssignments());
    if (mode_.prune) GC_RETURN_IF_ERROR(Prune());
    // Deletions first: what goes away is what a reader must see before anything else.
    std::stable_partition(outcome_.changes.begin(), outcome_.changes.end(),
                          [](const ApplyChange& change) { return change.action == "delete"; });
    if (!problems_.empty()) {
      outcome_.problems = std::move(problems_);
      return Ok{};
    }
    Result<LoadedTenant> tenant = LoadTenant(store_.resources());
    if (!tenant) return tenant.error();
    Result<std::shared_ptr<const core::TargetingIndex>> index = Compile(std::move(tenant->tenant));
    if (!index) {
      if (index.error().code != ErrorCode::kInvalidArgument) return index.error();
      outcome_.problems.push_back(index.error());
      return Ok{};
    }
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
  // Records a problem of the document (kInvalidArgument) and returns Ok, so that the caller
  // goes on past it; any other error (the store's) is returned, which stops the apply.
  Status Note(const Error& error) {
    if (error.code != ErrorCode::kInvalidArgument) return error;
    problems_.push_back(error);
    return Ok{};
  }

  Status LoadExisting() {
    for (const Section& section : kSections) {
      Result<std::vector<ResourceRecord>> records = store_.resources().ListAll(section.kind);
      if (!records) return records.error();
      for (ResourceRecord& record : *records) {
        ids_[section.kind][Fold(record.value.name)] = record.value.id;
        names_[record.value.id] = record.value.name;
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

  // The registered devices (once), for a document with a devices section, a prune or a group
  // that changes (a fleet may hold many: other applies do not read them all).
  Status LoadDevices() {
    if (devices_loaded_) return Ok{};
    devices_loaded_ = true;
    store::PageRequest page{.after = "", .limit = store::kMaxPageSize};
    do {
      Result<store::Page<store::DeviceRecord>> listed = store_.devices().List({}, page);
      if (!listed) return listed.error();
      for (store::DeviceRecord& device : listed->items) {
        names_[device.value.azure_ad_device_id.value()] = device.value.serial_number;
        device_by_serial_[Fold(device.value.serial_number)] = devices_stored_.size();
        devices_stored_.push_back(std::move(device));
      }
      page.after = listed->next_after;
    } while (!page.after.empty());
    return Ok{};
  }

  // Gives every named entry its id (the stored one, or a new one) before anything is written,
  // so that entries may refer to each other in any order, and keeps the entries to apply.
  // With prune, a kind whose section the document has resolves names only to its entries.
  Status AllocateIds(const json::object& document) {
    for (const Section& section : kSections) {
      const json::value* entries = document.if_contains(section.key);
      if (entries == nullptr) continue;
      if (!entries->is_array()) {
        GC_RETURN_IF_ERROR(Note(At(section.key, "must be a list")));
        continue;
      }
      managed_.insert(section.kind);
      auto& ids = ids_[section.kind];
      if (mode_.prune) ids.clear();
      std::set<std::string> seen;
      const json::array& list = entries->as_array();
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string path = fmt::format("{}[{}]", section.key, i);
        if (!list[i].is_object()) {
          GC_RETURN_IF_ERROR(Note(At(path, "must be a mapping")));
          continue;
        }
        const json::value* name = list[i].as_object().if_contains(section.name_field);
        if (name == nullptr || !name->is_string() || name->as_string().empty()) {
          GC_RETURN_IF_ERROR(Note(At(fmt::format("{}.{}", path, section.name_field),
                                     "required: resources are matched by it")));
          continue;
        }
        const std::string folded = Fold(name->as_string());
        if (!seen.insert(folded).second) {
          GC_RETURN_IF_ERROR(Note(
              At(path, fmt::format("\"{}\" is listed twice", std::string(name->as_string())))));
          continue;
        }
        auto stored = existing_[section.kind].find(folded);
        ids[folded] = stored != existing_[section.kind].end() ? stored->second.value.id
                                                              : identity::RandomUuid();
        names_[ids[folded]] = std::string(name->as_string());
        entries_[section.kind].push_back(&list[i].as_object());
      }
    }
    return Ok{};
  }

  // "no group named "X"", and with prune of that kind, why one that exists does not count.
  std::string NoSuch(ResourceKind kind, std::string_view what, std::string_view name) {
    std::string message = fmt::format("no {} named \"{}\"", what, name);
    if (mode_.prune && managed_.contains(kind) && existing_[kind].contains(Fold(name))) {
      message += fmt::format(" in the document (--prune deletes the {} it does not list)",
                             SectionOf(kind).key);
    }
    return message;
  }

  Result<std::string> IdOfName(ResourceKind kind, std::string_view what, const json::value& name,
                               std::string_view path) {
    if (!name.is_string()) return At(path, fmt::format("must be the name of {}", what));
    auto& ids = ids_[kind];
    auto it = ids.find(Fold(name.as_string()));
    if (it == ids.end()) return At(path, NoSuch(kind, what, name.as_string()));
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

  // Replaces the list of names at `entry`[names_key], when present, by the list of their ids
  // at `entry`[ids_key]. Every name that resolves to nothing is a problem (`path`[i]).
  Status NamesToIds(json::object& entry, ResourceKind kind, std::string_view what,
                    std::string_view names_key, std::string_view ids_key, const std::string& path) {
    json::value* names = entry.if_contains(names_key);
    if (names == nullptr) return Ok{};
    if (!names->is_array()) return Note(At(path, "must be a list"));
    json::array ids;
    for (size_t i = 0; i < names->as_array().size(); ++i) {
      Result<std::string> id =
          IdOfName(kind, what, names->as_array()[i], fmt::format("{}[{}]", path, i));
      if (!id) {
        GC_RETURN_IF_ERROR(Note(id.error()));
        continue;
      }
      ids.push_back(json::string(*id));
    }
    entry.erase(names_key);
    entry[ids_key] = std::move(ids);
    return Ok{};
  }

  // tenant: TenantSettings properties, plus mdmUserScopeGroups and mfaGroups (group names) in
  // place of mdmUserScopeGroupIds and mfaGroupIds.
  Status ApplyTenant(const json::value& spec) {
    if (!spec.is_object()) return Note(At("tenant", "must be a mapping"));
    const size_t problems_before = problems_.size();
    json::object translated = spec.as_object();
    GC_RETURN_IF_ERROR(NamesToIds(translated, ResourceKind::kGroup, "group", "mdmUserScopeGroups",
                                  "mdmUserScopeGroupIds", "tenant.mdmUserScopeGroups"));
    GC_RETURN_IF_ERROR(NamesToIds(translated, ResourceKind::kGroup, "group", "mfaGroups",
                                  "mfaGroupIds", "tenant.mfaGroups"));
    DropFaulty(translated, "tenant", problems_before);
    AnyResource resource = settings_;
    GC_RETURN_IF_ERROR(Decode(translated, resource, "tenant"));
    if (problems_.size() > problems_before) return Ok{};
    if (Status s = ValidateResource(resource, std::get<core::TenantSettings>(resource)); !s) {
      return Note(Within("tenant", s.error()));
    }
    settings_ = std::get<core::TenantSettings>(resource);
    return Write(ResourceKind::kTenant, resource, tenant_record_, "tenant");
  }

  // Removes from `entry` (at `path` in the document) the properties the problems noted since
  // `since` are about, so that decoding it reports only what else is wrong.
  void DropFaulty(json::object& entry, std::string_view path, size_t since) {
    for (size_t i = since; i < problems_.size(); ++i) {
      const std::string_view field = problems_[i].field;
      if (field.size() > path.size() + 1 && field.starts_with(path) && field[path.size()] == '.') {
        entry.erase(TopLevelKey(field.substr(path.size() + 1)));
      }
    }
  }

  // Decodes `entry` onto `resource`. Every property that does not decode is a problem: after
  // one, the decode is tried again without that property, so one pass finds them all.
  Status Decode(json::object entry, AnyResource& resource, std::string_view path) {
    const AnyResource start = resource;
    for (;;) {
      resource = start;
      Status decoded = DecodeOnto(entry, resource);
      if (decoded) return Ok{};
      GC_RETURN_IF_ERROR(Note(Within(path, decoded.error())));
      const std::string key = TopLevelKey(decoded.error().field);
      if (key.empty() || entry.erase(key) == 0) return Ok{};
    }
  }

  // Creates, updates or leaves alone one resource, recording what it did.
  Status Write(ResourceKind kind, const AnyResource& resource,
               const std::optional<ResourceRecord>& existing, std::string_view shown_name) {
    const std::string body = StoredBody(resource);
    const std::string name = NameOf(resource);
    const std::string kind_name(store::ToString(kind));
    if (existing && existing->value.body == body && existing->value.name == name) {
      outcome_.changes.push_back({kind_name, std::string(shown_name), "unchanged", {}});
      return Ok{};
    }
    if (existing) {
      if (kind == ResourceKind::kGroup) {
        // Its members may be devices this apply has not read: show them by serial number.
        GC_RETURN_IF_ERROR(LoadDevices());
      }
      store::Resource row = existing->value;
      row.name = name;
      row.body = body;
      row.last_modified_date_time = now_;
      Result<ResourceRecord> updated = store_.resources().Update(row, existing->version);
      if (!updated) return updated.error();
      outcome_.changes.push_back({kind_name, std::string(shown_name), "update",
                                  FieldsChanged(existing->value.body, body)});
      return Audit(store_, actor_, now_, "update", kind_name, row.id, shown_name,
                   R"({"via":"apply"})");
    }
    store::Resource row{kind, IdOf(resource), name, body, now_, now_};
    Result<ResourceRecord> created = store_.resources().Create(row);
    if (!created) return created.error();
    outcome_.changes.push_back({kind_name, std::string(shown_name), "create", {}});
    // The audit log names it as the change does (an assignment by payload, target and intent).
    return Audit(store_, actor_, now_, "create", kind_name, row.id, shown_name,
                 R"({"via":"apply"})");
  }

  // A stored body in the document's terms: ids shown as names, assignment targets as
  // {group: NAME} and the like, id lists under the document's keys.
  json::value DocumentForm(const json::value& value) {
    if (value.is_string()) {
      auto it = names_.find(std::string(value.as_string()));
      return it == names_.end() ? value : json::value(it->second);
    }
    if (value.is_array()) {
      json::array out;
      for (const json::value& item : value.as_array()) out.push_back(DocumentForm(item));
      return out;
    }
    if (!value.is_object()) return value;
    const json::object& object = value.as_object();
    if (const json::value* type = object.if_contains("@odata.type");
        type != nullptr && type->is_string()) {
      const std::string_view odata_type = type->as_string();
      const json::value* group = object.if_contains("groupId");
      if (odata_type == "#microsoft.graph.groupAssignmentTarget" && group != nullptr) {
        return json::object{{"group", DocumentForm(*group)}};
      }
      if (odata_type == "#microsoft.graph.exclusionGroupAssignmentTarget" && group != nullptr) {
        return json::object{{"excludeGroup", DocumentForm(*group)}};
      }
      if (odata_type == "#microsoft.graph.allDevicesAssignmentTarget") {
        return json::object{{"allDevices", true}};
      }
      if (odata_type == "#microsoft.graph.allLicensedUsersAssignmentTarget") {
        return json::object{{"allLicensedUsers", true}};
      }
    }
    json::object out;
    for (const auto& field : object) out[DocumentKey(field.key())] = DocumentForm(field.value());
    return out;
  }

  std::vector<FieldChange> FieldsChanged(const std::string& before, const std::string& after) {
    Result<json::value> old_body = wire::ParseJson(before, "body");
    Result<json::value> new_body = wire::ParseJson(after, "body");
    if (!old_body || !new_body) return {};
    return DiffFields(DocumentForm(*old_body), DocumentForm(*new_body));
  }

  Status ApplyEntry(const Section& section, const json::object& entry) {
    const std::string name(entry.at(section.name_field).as_string());
    const std::string path = fmt::format("{}[{}]", section.key, name);
    const size_t problems_before = problems_.size();
    json::object translated = entry;
    if (section.payload) {
      translated.erase("assignments");
      if (const json::value* assignments = entry.if_contains("assignments")) {
        GC_RETURN_IF_ERROR(CollectAssignments(*section.payload, ids_[section.kind][Fold(name)],
                                              *assignments, path + ".assignments"));
      }
      payloads_listed_.insert(ids_[section.kind][Fold(name)]);
    }
    GC_RETURN_IF_ERROR(Translate(section.kind, path, translated));
    DropFaulty(translated, path, problems_before);
    AnyResource resource = DefaultResource(section.kind);
    GC_RETURN_IF_ERROR(Decode(translated, resource, path));
    if (problems_.size() > problems_before) return Ok{};
    SetId(resource, ids_[section.kind][Fold(name)]);
    if (Status s = ValidateResource(resource, settings_); !s) return Note(Within(path, s.error()));
    if (auto* app = std::get_if<core::App>(&resource)) {
      GC_RETURN_IF_ERROR(CheckContent(*app, path));
      // Content not on the server was just reported (a dry run lists it to upload).
      if (Status read = ReadDebPackage(*app, content_);
          !read && read.error().code != ErrorCode::kNotFound) {
        return Note(Within(path, read.error()));
      }
    }
    std::optional<ResourceRecord> existing;
    if (auto it = existing_[section.kind].find(Fold(name)); it != existing_[section.kind].end()) {
      existing = it->second;
      SetBookkeeping(resource, *existing);
    }
    return Write(section.kind, resource, existing, name);
  }

  // An app's content must be on the server; a dry run reports what is not instead.
  Status CheckContent(const core::App& app, const std::string& path) {
    if (app.content.sha256.empty()) return Ok{};
    Result<std::uint64_t> size = content_.Size(app.content.sha256);
    if (size) return Ok{};
    if (size.error().code != ErrorCode::kNotFound) {
      return Note(Within(path + ".content", size.error()));
    }
    if (!mode_.dry_run) {
      return Note(At(path + ".content.sha256",
                     fmt::format("no content {} on the server: upload it first (PUT "
                                 "/v1/content/{{sha256}}; `groundcrew apply` uploads the files "
                                 "the document names)",
                                 app.content.sha256)));
    }
    auto& uploads = outcome_.content_to_upload;
    auto it = std::find_if(uploads.begin(), uploads.end(), [&](const ContentToUpload& upload) {
      return upload.sha256 == app.content.sha256;
    });
    if (it == uploads.end()) {
      uploads.push_back({app.content.sha256, app.content.file_name, app.content.size, {}});
      it = uploads.end() - 1;
    }
    it->apps.push_back(app.display_name);
    return Ok{};
  }

  // Rewrites the document's by-name references into the API's ids; every reference that
  // resolves to nothing is a problem.
  Status Translate(ResourceKind kind, const std::string& path, json::object& entry) {
    auto targets = [&](std::string_view key) -> Status {
      json::value* list = entry.if_contains(key);
      if (list == nullptr) return Ok{};
      if (!list->is_array()) return Note(At(fmt::format("{}.{}", path, key), "must be a list"));
      json::array out;
      for (size_t i = 0; i < list->as_array().size(); ++i) {
        Result<json::object> target =
            Target(list->as_array()[i], fmt::format("{}.{}[{}]", path, key, i), nullptr);
        if (!target) {
          GC_RETURN_IF_ERROR(Note(target.error()));
          continue;
        }
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
        if (!members->is_array()) return Note(At(path + ".members", "must be a list"));
        json::array ids;
        for (size_t i = 0; i < members->as_array().size(); ++i) {
          const json::value& member = members->as_array()[i];
          const std::string member_path = fmt::format("{}.members[{}]", path, i);
          if (!member.is_string()) {
            GC_RETURN_IF_ERROR(Note(At(member_path, "must be a UPN or a serial number")));
            continue;
          }
          Result<std::string> id = MemberId(member.as_string(), member_path);
          if (!id) {
            GC_RETURN_IF_ERROR(Note(id.error()));
            continue;
          }
          ids.push_back(json::string(*id));
        }
        *members = std::move(ids);
        return Ok{};
      }
      case ResourceKind::kDeploymentProfile:
        return targets("assignments");
      case ResourceKind::kEspProfile:
        GC_RETURN_IF_ERROR(targets("assignments"));
        return NamesToIds(entry, ResourceKind::kApp, "app", "selectedMobileApps",
                          "selectedMobileAppIds", path + ".selectedMobileApps");
      case ResourceKind::kApp: {
        json::value* dependencies = entry.if_contains("dependencies");
        if (dependencies == nullptr) return Ok{};
        if (!dependencies->is_array()) return Note(At(path + ".dependencies", "must be a list"));
        for (size_t i = 0; i < dependencies->as_array().size(); ++i) {
          json::value& dependency = dependencies->as_array()[i];
          const std::string dependency_path = fmt::format("{}.dependencies[{}]", path, i);
          if (!dependency.is_object() || !dependency.as_object().contains("app")) {
            GC_RETURN_IF_ERROR(Note(
                At(dependency_path, "must be a mapping such as {app: NAME, autoInstall: true}")));
            continue;
          }
          Result<std::string> id =
              IdOfName(ResourceKind::kApp, "app", dependency.as_object().at("app"),
                       dependency_path + ".app");
          if (!id) {
            GC_RETURN_IF_ERROR(Note(id.error()));
            continue;
          }
          dependency.as_object().erase("app");
          dependency.as_object()["appId"] = *id;
        }
        return Ok{};
      }
      default:
        return Ok{};
    }
  }

  // A group member named by UPN (a user) or serial number (a registered device; with prune of
  // devices, one the document lists).
  Result<std::string> MemberId(std::string_view name, std::string_view path) {
    if (auto it = ids_[ResourceKind::kUser].find(Fold(name));
        it != ids_[ResourceKind::kUser].end()) {
      return it->second;
    }
    const bool devices_pruned = mode_.prune && device_rows_.has_value();
    Result<std::optional<store::DeviceRecord>> device = store_.devices().FindBySerialNumber(name);
    if (!device) return device.error();
    if (*device && !(devices_pruned && !document_serials_.contains(Fold(name)))) {
      const std::string id = (**device).value.azure_ad_device_id.value();
      names_[id] = (**device).value.serial_number;
      return id;
    }
    std::string message = fmt::format("no user or registered device \"{}\"", std::string(name));
    if (*device || (mode_.prune && managed_.contains(ResourceKind::kUser) &&
                    existing_[ResourceKind::kUser].contains(Fold(name)))) {
      message += " in the document (--prune deletes the users and devices it does not list)";
    }
    return At(path, message);
  }

  Status CollectAssignments(core::PayloadKind kind, const std::string& payload_id,
                            const json::value& list, const std::string& path) {
    if (!list.is_array()) return Note(At(path, "must be a list"));
    for (size_t i = 0; i < list.as_array().size(); ++i) {
      const std::string item_path = fmt::format("{}[{}]", path, i);
      std::string intent = "required";
      Result<json::object> target = Target(list.as_array()[i], item_path, &intent);
      if (!target) {
        GC_RETURN_IF_ERROR(Note(target.error()));
        continue;
      }
      AnyResource assignment = core::Assignment{};
      json::object body{{"payloadKind", PayloadKindName(kind)},
                        {"payloadId", payload_id},
                        {"target", std::move(*target)},
                        {"intent", intent}};
      if (Status s = DecodeOnto(body, assignment); !s) {
        GC_RETURN_IF_ERROR(Note(At(item_path, s.error().message)));
        continue;
      }
      desired_assignments_.push_back({std::get<core::Assignment>(assignment), item_path});
    }
    return Ok{};
  }

  // "Company Portal -> group Sales devices (required)"
  std::string Describe(const core::Assignment& assignment) {
    const std::string payload = names_[assignment.payload_id];
    std::string target;
    switch (assignment.target.kind) {
      case core::TargetKind::kGroup:
        target = "group " + names_[assignment.target.group_id.value()];
        break;
      case core::TargetKind::kExclusionGroup:
        target = "excluded group " + names_[assignment.target.group_id.value()];
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

  Status DeleteAssignment(const ResourceRecord& record, const core::Assignment& assignment) {
    GC_RETURN_IF_ERROR(
        store_.resources().Delete(ResourceKind::kAssignment, record.value.id, record.version));
    const std::string described = Describe(assignment);
    outcome_.changes.push_back({"assignments", described, "delete", {}});
    return Audit(store_, actor_, now_, "delete", "assignments", record.value.id, described,
                 R"({"via":"apply"})");
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
      if (!kept.insert(key).second) {
        GC_RETURN_IF_ERROR(Note(At(path, "the same target is listed twice")));
        continue;
      }
      std::optional<ResourceRecord> existing;
      if (auto it = stored_by_name.find(key); it != stored_by_name.end()) {
        existing = *it->second;
        SetId(resource, existing->value.id);
      } else {
        SetId(resource, identity::RandomUuid());
      }
      GC_RETURN_IF_ERROR(Write(ResourceKind::kAssignment, resource, existing, Describe(desired)));
    }
    for (const auto& [record, assignment] : existing_assignments_) {
      if (!payloads_listed_.contains(assignment.payload_id)) continue;
      if (kept.contains(Fold(record.value.name))) continue;
      GC_RETURN_IF_ERROR(DeleteAssignment(record, assignment));
    }
    return Ok{};
  }

  // ---- prune ------------------------------------------------------------------------------

  // A resource prune deletes.
  struct Doomed {
    ResourceKind kind;
    const ResourceRecord* record;
  };

  // Who still refers to the resource with `id` (of a kind prune deletes), among what is kept:
  // "espProfiles "Contoso ESP" (selectedMobileApps)", ...
  std::vector<std::string> Referrers(const core::Tenant& tenant, const std::string& id,
                                     const std::set<std::string>& doomed_ids,
                                     std::string_view upn) {
    std::vector<std::string> out;
    auto refer = [&](std::string_view kind, std::string_view name, std::string_view field) {
      out.push_back(fmt::format("{} \"{}\" ({})", kind, name, field));
    };
    auto targets = [&](const std::vector<core::AssignmentTarget>& list) {
      return std::any_of(list.begin(), list.end(), [&](const core::AssignmentTarget& target) {
        return target.group_id.value() == id;
      });
    };
    auto contains = [&](const auto& ids) {
      return std::any_of(ids.begin(), ids.end(), [&](const auto& x) { return x.value() == id; });
    };
    if (contains(tenant.settings.mfa_groups)) refer("tenant", "tenant", "mfaGroups");
    if (contains(tenant.settings.mdm_user_scope_groups)) {
      refer("tenant", "tenant", "mdmUserScopeGroups");
    }
    for (const core::Group& group : tenant.groups) {
      if (doomed_ids.contains(group.id.value())) continue;
      if (std::find(group.members.begin(), group.members.end(), id) != group.members.end()) {
        refer("groups", group.display_name, "members");
      }
    }
    for (const core::App& app : tenant.apps) {
      if (doomed_ids.contains(app.id.value())) continue;
      for (const core::AppDependency& dependency : app.dependencies) {
        if (dependency.app_id.value() == id) refer("apps", app.display_name, "dependencies");
      }
    }
    for (const core::EspProfile& esp : tenant.esp_profiles) {
      if (doomed_ids.contains(esp.id.value())) continue;
      if (contains(esp.selected_mobile_app_ids)) {
        refer("espProfiles", esp.display_name, "selectedMobileApps");
      }
      if (targets(esp.assignments)) refer("espProfiles", esp.display_name, "assignments");
    }
    for (const core::DeploymentProfile& profile : tenant.deployment_profiles) {
      if (doomed_ids.contains(profile.id.value())) continue;
      if (targets(profile.assignments)) {
        refer("deploymentProfiles", profile.display_name, "assignments");
      }
    }
    for (const core::Assignment& assignment : tenant.assignments) {
      if (doomed_ids.contains(assignment.payload_id)) continue;  // deleted with its payload
      if (assignment.target.group_id.value() == id) {
        refer(store::ToString(KindOfPayload(assignment.payload_kind)),
              names_[assignment.payload_id], "assignments");
      }
    }
    if (!upn.empty()) {
      for (const store::DeviceRecord& device : devices_stored_) {
        if (doomed_ids.contains(device.value.id.value())) continue;
        if (text::EqualsIgnoreCase(device.value.user_principal_name, upn)) {
          refer(kDevices, device.value.serial_number, "assignedUser");
        }
      }
    }
    return out;
  }

  // Deletes what the managed kinds hold that the document does not list, unless something the
  // document does not manage still refers to it (a problem naming the referrers).
  Status Prune() {
    std::vector<Doomed> doomed;
    std::set<std::string> doomed_ids;
    for (const Section& section : kSections) {
      if (!managed_.contains(section.kind)) continue;
      for (const auto& [folded, record] : existing_[section.kind]) {
        if (ids_[section.kind].contains(folded)) continue;
        doomed.push_back({section.kind, &record});
        doomed_ids.insert(record.value.id);
      }
    }
    std::vector<const store::DeviceRecord*> doomed_devices;
    if (device_rows_) {
      for (const store::DeviceRecord& device : devices_stored_) {
        if (document_serials_.contains(Fold(device.value.serial_number))) continue;
        doomed_devices.push_back(&device);
        doomed_ids.insert(device.value.id.value());
      }
    }
    if (doomed.empty() && doomed_devices.empty()) return Ok{};
    Result<LoadedTenant> loaded = LoadTenant(store_.resources());
    if (!loaded) return loaded.error();
    const core::Tenant& tenant = loaded->tenant;
    auto refused = [&](std::string_view kind, std::string_view name,
                       const std::vector<std::string>& referrers) {
      std::string list;
      for (const std::string& referrer : referrers) list += (list.empty() ? "" : ", ") + referrer;
      return Note(At(fmt::format("{}[{}]", kind, name),
                     fmt::format("cannot be pruned: {} (not managed by the document) still "
                                 "refer{} to it; list it in the document again, or change the "
                                 "referrer first",
                                 list, referrers.size() == 1 ? "s" : "")));
    };
    // A device is referred to by its directory object id (group members).
    for (const store::DeviceRecord* device : doomed_devices) {
      std::vector<std::string> referrers =
          Referrers(tenant, device->value.azure_ad_device_id.value(), doomed_ids, "");
      if (!referrers.empty()) {
        GC_RETURN_IF_ERROR(refused(kDevices, device->value.serial_number, referrers));
        continue;
      }
      GC_RETURN_IF_ERROR(devices_.Delete(actor_, device->value.id.value(), device->version));
      outcome_.changes.push_back(
          {std::string(kDevices), device->value.serial_number, "delete", {}});
    }
    // Assignments go with their payload.
    for (const auto& [record, assignment] : existing_assignments_) {
      if (!doomed_ids.contains(assignment.payload_id)) continue;
      if (payloads_listed_.contains(assignment.payload_id)) continue;  // synced already
      GC_RETURN_IF_ERROR(DeleteAssignment(record, assignment));
    }
    for (const Doomed& item : doomed) {
      const ResourceRecord& record = *item.record;
      const std::string kind(store::ToString(item.kind));
      std::vector<std::string> referrers =
          Referrers(tenant, record.value.id, doomed_ids,
                    item.kind == ResourceKind::kUser ? record.value.name : "");
      if (!referrers.empty()) {
        GC_RETURN_IF_ERROR(refused(kind, record.value.name, referrers));
        continue;
      }
      GC_RETURN_IF_ERROR(store_.resources().Delete(item.kind, record.value.id, record.version));
      if (item.kind == ResourceKind::kUser) {  // a user's sign-in secrets go with the user
        GC_RETURN_IF_ERROR(store_.user_credentials().Delete(record.value.id));
        Result<int64_t> revoked = store_.tokens().RevokeForSubject(record.value.id, now_);
        if (!revoked) return revoked.error();
      }
      outcome_.changes.push_back({kind, record.value.name, "delete", {}});
      GC_RETURN_IF_ERROR(Audit(store_, actor_, now_, "delete", kind, record.value.id,
                               record.value.name, R"({"via":"apply","prune":true})"));
    }
    return Ok{};
  }

  // ---- devices ----------------------------------------------------------------------------

  // devices: {csvText: "..."} | {rows: [{serialNumber, hardwareHash, productKey, groupTag,
  // assignedUser}]} -> the rows to apply (device_rows_), their serials (document_serials_).
  Status ReadDeviceRows(const json::value& spec) {
    if (!spec.is_object()) return Note(At("devices", "must be a mapping with csvText or rows"));
    std::string csv;
    const json::object& object = spec.as_object();
    for (const auto& field : object) {
      if (field.key() != "csvText" && field.key() != "rows") {
        return Note(
            At(fmt::format("devices.{}", std::string(field.key())),
               "unknown key (expected csvText or rows; the CLI turns `csv: FILE` into csvText)"));
      }
    }
    if (object.contains("csvText") == object.contains("rows")) {
      return Note(At("devices", "give exactly one of csvText and rows"));
    }
    if (const json::value* text = object.if_contains("csvText")) {
      if (!text->is_string()) return Note(At("devices.csvText", "must be a string"));
      csv = std::string(text->as_string());
    } else {
      const size_t problems_before = problems_.size();
      Result<std::string> written = RowsToCsv(object.at("rows"));
      if (!written) return written.error();
      if (problems_.size() > problems_before) return Ok{};
      csv = std::move(*written);
    }
    core::RegistrationFile parsed = core::ReadRegistrationCsv(csv);
    for (const Error& error : parsed.file_errors)
      GC_RETURN_IF_ERROR(Note(Within("devices", error)));
    if (!parsed.file_errors.empty()) return Ok{};
    for (const core::RegistrationRowResult& row : parsed.rows) {
      document_serials_.insert(Fold(row.row.serial_number));
    }
    device_rows_ = std::move(parsed);
    return Ok{};
  }

  Status ApplyDevices() {
    core::RegistrationFile fresh;
    fresh.columns = device_rows_->columns;
    for (const core::RegistrationRowResult& row : device_rows_->rows) {
      if (!row.ok()) {
        GC_RETURN_IF_ERROR(Note(RowProblem(row)));
        continue;
      }
      auto stored = device_by_serial_.find(Fold(row.row.serial_number));
      if (stored == device_by_serial_.end()) {
        fresh.rows.push_back(row);
        continue;
      }
      GC_RETURN_IF_ERROR(UpdateDevice(row, devices_stored_[stored->second]));
    }
    if (fresh.rows.empty()) return Ok{};
    Result<ImportOutcome> imported = devices_.ImportInTransaction(fresh, settings_);
    if (!imported) return Note(imported.error());
    bool refused = false;
    for (const core::RegistrationRowResult& row : imported->file.rows) {
      if (row.ok()) continue;
      refused = true;
      GC_RETURN_IF_ERROR(Note(RowProblem(row)));
    }
    if (refused) return Ok{};
    for (const store::DeviceRecord& device : imported->imported) {
      names_[device.value.azure_ad_device_id.value()] = device.value.serial_number;
      outcome_.changes.push_back({std::string(kDevices), device.value.serial_number, "create", {}});
      GC_RETURN_IF_ERROR(Audit(store_, actor_, now_, "create", kDevices, device.value.id.value(),
                               device.value.serial_number, R"({"via":"apply"})"));
    }
    return Ok{};
  }

  static Error RowProblem(const core::RegistrationRowResult& row) {
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
      return Note(
          At(fmt::format("devices, line {}", row.line),
             fmt::format("serial number {} is registered with another hardware hash; delete "
                         "the device first to register it again",
                         row.row.serial_number)));
    }
    std::vector<FieldChange> fields;
    auto compare = [&](std::string_view path, const std::string& from, const std::string& to,
                       bool ignore_case) {
      if (ignore_case ? text::EqualsIgnoreCase(from, to) : from == to) return;
      std::vector<FieldChange> changed =
          DiffFields(json::object{{path, from}}, json::object{{path, to}});
      fields.insert(fields.end(), changed.begin(), changed.end());
    };
    compare("groupTag", device.group_tag, row.row.group_tag, true);
    compare("assignedUser", device.user_principal_name, row.row.assigned_user_principal_name, true);
    compare("productKey", device.product_key, row.row.product_id, false);
    if (fields.empty()) {
      outcome_.changes.push_back({std::string(kDevices), device.serial_number, "unchanged", {}});
      return Ok{};
    }
    const core::RegistrationFile checked =
        core::CheckAssignedUserDomains(core::RegistrationFile{{}, {}, {row}}, Domains());
    if (!checked.rows.front().ok()) return Note(RowProblem(checked.rows.front()));
    device.group_tag = row.row.group_tag;
    device.user_principal_name = row.row.assigned_user_principal_name;
    device.product_key = row.row.product_id;
    Result<store::DeviceRecord> updated = store_.devices().Update(device, stored.version);
    if (!updated) return updated.error();
    outcome_.changes.push_back(
        {std::string(kDevices), device.serial_number, "update", std::move(fields)});
    return Audit(store_, actor_, now_, "update", kDevices, device.id.value(), device.serial_number,
                 R"({"via":"apply"})");
  }

  std::vector<std::string> Domains() const {
    std::vector<std::string> domains = settings_.additional_domains;
    domains.insert(domains.begin(), settings_.domain);
    return domains;
  }

  // The rows as a registration CSV; every property that is not one is a problem.
  Result<std::string> RowsToCsv(const json::value& rows) {
    if (!rows.is_array()) {
      GC_RETURN_IF_ERROR(Note(At("devices.rows", "must be a list")));
      return std::string();
    }
    std::vector<core::RegistrationRow> out;
    for (size_t i = 0; i < rows.as_array().size(); ++i) {
      const std::string path = fmt::format("devices.rows[{}]", i);
      if (!rows.as_array()[i].is_object()) {
        GC_RETURN_IF_ERROR(Note(At(path, "must be a mapping")));
        continue;
      }
      core::RegistrationRow row;
      for (const auto& field : rows.as_array()[i].as_object()) {
        const std::string field_path = fmt::format("{}.{}", path, std::string(field.key()));
        if (!field.value().is_string()) {
          GC_RETURN_IF_ERROR(Note(At(field_path, "must be a string")));
          continue;
        }
        const std::string value(field.value().as_string());
        if (field.key() == "serialNumber") {
          row.serial_number = value;
        } else if (field.key() == "hardwareHash") {
          Result<std::string> bytes = base64::Decode(value);
          if (!bytes) {
            GC_RETURN_IF_ERROR(
                Note(At(field_path, "must be padded base64 (InvalidZtdHardwareHash)")));
            continue;
          }
          row.hardware_hash = std::move(*bytes);
        } else if (field.key() == "productKey") {
          row.product_id = value;
        } else if (field.key() == "groupTag") {
          row.group_tag = value;
        } else if (field.key() == "assignedUser") {
          row.assigned_user_principal_name = value;
        } else {
          GC_RETURN_IF_ERROR(Note(At(field_path,
                                     "unknown key (expected serialNumber, hardwareHash, "
                                     "productKey, groupTag or assignedUser)")));
        }
      }
      out.push_back(std::move(row));
    }
    return core::WriteRegistrationCsv(out);
  }

  store::Store& store_;
  DeviceService& devices_;
  const ContentStore& content_;
  const Actor& actor_;
  core::Timestamp now_;
  ApplyMode mode_;
  ApplyOutcome& outcome_;
  std::vector<Error> problems_;
  core::TenantSettings settings_;
  std::optional<ResourceRecord> tenant_record_;
  std::set<ResourceKind> managed_;  // the kinds whose section the document has
  std::map<ResourceKind, std::vector<const json::object*>> entries_;  // the entries to apply
  std::map<ResourceKind, std::unordered_map<std::string, std::string>> ids_;  // folded name -> id
  std::unordered_map<std::string, std::string> names_;  // id -> name, every kind and device
  std::map<ResourceKind, std::map<std::string, ResourceRecord>> existing_;  // by folded name
  std::vector<std::pair<ResourceRecord, core::Assignment>> existing_assignments_;
  std::vector<std::pair<core::Assignment, std::string>> desired_assignments_;
  std::set<std::string> payloads_listed_;
  bool devices_loaded_ = false;
  std::unordered_map<std::string, size_t> device_by_serial_;  // folded -> devices_stored_[i]
  std::vector<store::DeviceRecord> devices_stored_;           // as they were before the apply
  std::optional<core::RegistrationFile> device_rows_;  // the devices section, when it has one
  std::set<std::string> document_serials_;             // folded
  std::pair<int64_t, std::shared_ptr<const core::TargetingIndex>> compiled_;
};

}  // namespace

Result<ApplyOutcome> ApplyService::Apply(const Actor& actor, const boost::json::value& document,
                                         ApplyMode mode) {
  if (Status s = RequireAdmin(actor); !s) return s.error();
  ApplyOutcome outcome;
  outcome.dry_run = mode.dry_run;
  outcome.prune = mode.prune;
  if (!document.is_object()) {
    outcome.problems.push_back(At("document", "must be a mapping of sections"));
    return outcome;
  }
  std::pair<int64_t, std::shared_ptr<const core::TargetingIndex>> compiled;
  // A dry run or a refused document does all the work, then rolls it back by failing the
  // transaction on purpose.
  static const Error kRollBack = MakeError(ErrorCode::kAborted, "rolled back on purpose");
  Status done = store_.Transact([&]() -> Status {
    Applier applier(store_, devices_, content_, actor, clock_(), mode, outcome);
    GC_RETURN_IF_ERROR(applier.Run(document.as_object()));
    if (mode.dry_run || !outcome.problems.empty()) return kRollBack;
    compiled = applier.TakeCompiled();
    return Audit(store_, actor, clock_(), "apply", "tenant", "tenant", "tenant",
                 fmt::format(R"({{"changes":{}}})", outcome.changes.size()));
  });
  if (!done && done.error() != kRollBack) return done.error();
  if (!outcome.problems.empty()) {
    outcome.changes.clear();
    outcome.content_to_upload.clear();
    return outcome;
  }
  if (compiled.second) catalog_.Publish(compiled.first, std::move(compiled.second));
  return outcome;
}

boost::json::object ToJson(const ApplyOutcome& outcome) {
  json::array changes;
  std::map<std::string, int> summary = {
      {"create", 0}, {"update", 0}, {"delete", 0}, {"unchanged", 0}};
  for (const ApplyChange& change : outcome.changes) {
    json::object item{{"kind", change.kind}, {"name", change.name}, {"action", change.action}};
    if (!change.fields.empty()) {
      json::array fields;
      for (const FieldChange& field : change.fields) {
        json::object entry{{"path", field.path}};
        if (field.secret) entry["secret"] = true;
        if (field.from) entry["from"] = *field.from;
        if (field.to) entry["to"] = *field.to;
        fields.push_back(std::move(entry));
      }
      item["fields"] = std::move(fields);
    }
    changes.push_back(std::move(item));
    ++summary[change.action];
  }
  json::array uploads;
  for (const ContentToUpload& upload : outcome.content_to_upload) {
    json::array apps;
    for (const std::string& app : upload.apps) apps.push_back(json::string(app));
    uploads.push_back({{"sha256", upload.sha256},
                       {"fileName", upload.file_name},
                       {"size", upload.size},
                       {"apps", std::move(apps)}});
  }
  json::object counts;
  for (const auto& [action, count] : summary) counts[action] = count;
  return {{"dryRun", outcome.dry_run},
          {"prune", outcome.prune},
          {"changes", std::move(changes)},
          {"contentToUpload", std::move(uploads)},
          {"summary", counts}};
}

Error DocumentRefused(const std::vector<Error>& problems) {
  if (problems.size() == 1) return problems.front();
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("the document has {} problems, each in details; the first: {}",
                               problems.size(), problems.front().message),
                   problems.front().field);
}

}  // namespace groundcrew::service

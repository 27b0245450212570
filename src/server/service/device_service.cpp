#include "server/service/device_service.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <span>
#include <tuple>

#include "common/text.hpp"
#include "core/esp/lint.hpp"
#include "core/esp/plan.hpp"
#include "core/naming/device_name.hpp"
#include "core/rules/rule.hpp"
#include "core/settings/catalog.hpp"
#include "identity/random.hpp"
#include "server/service/catalog_service.hpp"
#include "server/service/deployment_service.hpp"
#include "server/service/limits.hpp"
#include "server/service/reported_inventory.hpp"
#include "wire/console_json.hpp"
#include "wire/inventory_json.hpp"
#include "wire/model_json.hpp"
#include "wire/report_json.hpp"
#include "wire/settings_json.hpp"

namespace groundcrew::service {
namespace {

// Policies that reach the device through `plans` (both flows) and set one setting to different
// values: each is an error finding naming both (Intune reports these as conflicts; the device
// cannot apply both). Settings that do not read as the catalog's are left to the device.
std::vector<core::PlanFinding> SettingConflicts(const core::Tenant& tenant,
                                                std::span<const core::EspPlan* const> plans) {
  std::vector<const core::Policy*> reaching;
  for (const core::EspPlan* plan : plans) {
    std::vector<const core::PhasePlan*> phases = {&plan->device_setup};
    if (plan->account_setup) phases.push_back(&*plan->account_setup);
    for (const core::PhasePlan* phase : phases) {
      for (const core::PlanItem& item : phase->items) {
        if (item.kind != core::ItemKind::kPolicy || item.action != core::ItemAction::kInstall) {
          continue;
        }
        for (const core::Policy& policy : tenant.policies) {
          if (policy.id.value() == item.id &&
              std::find(reaching.begin(), reaching.end(), &policy) == reaching.end()) {
            reaching.push_back(&policy);
          }
        }
      }
    }
  }
  std::vector<core::PolicySettings> settings;
  settings.reserve(reaching.size());  // the sources point into it
  std::vector<core::PolicySettingsSource> sources;
  for (const core::Policy* policy : reaching) {
    boost::system::error_code ec;
    const boost::json::value parsed = boost::json::parse(policy->settings_json, ec);
    std::vector<Error> ignored;
    settings.push_back(!ec && parsed.is_object()
                           ? wire::DecodePolicySettings(parsed.as_object(), ignored)
                           : core::PolicySettings{});
    sources.push_back({policy->display_name, &settings.back()});
  }
  std::vector<core::PlanFinding> findings;
  for (const core::SettingConflict& conflict : core::FindSettingConflicts(sources)) {
    findings.push_back({.severity = core::PlanFinding::Severity::kError,
                        .code = "setting-conflict",
                        .message = core::DescribeConflict(conflict) +
                                   ": the device can apply only one; set the same value in both, "
                                   "or target them at groups that do not overlap"});
  }
  return findings;
}

using core::AutopilotDeviceIdentity;
using store::DeviceRecord;

std::vector<std::string> Domains(const core::TenantSettings& settings) {
  std::vector<std::string> domains = settings.additional_domains;
  domains.insert(domains.begin(), settings.domain);
  return domains;
}

bool AnyRefused(const core::RegistrationFile& file) {
  for (const core::RegistrationRowResult& row : file.rows) {
    if (!row.ok()) return true;
  }
  return false;
}

AutopilotDeviceIdentity FromRow(const core::RegistrationRow& row, core::Timestamp now) {
  AutopilotDeviceIdentity device;
  device.id = core::ZtdId{identity::RandomUuid()};
  device.serial_number = row.serial_number;
  device.product_key = row.product_id;
  device.hardware_identifier = row.hardware_hash;
  device.group_tag = row.group_tag;
  device.user_principal_name = row.assigned_user_principal_name;
  if (row.groundcrew_hash) {
    device.manufacturer = row.groundcrew_hash->manufacturer;
    device.model = row.groundcrew_hash->model;
  }
  device.azure_ad_device_id = core::DirectoryObjectId{identity::RandomUuid()};
  device.enrollment_state = core::EnrollmentState::kNotContacted;
  device.created_date_time = now;
  return device;
}

Status CheckUser(const core::TenantSettings& settings, const std::string& upn) {
  if (upn.empty()) return Ok{};
  if (!core::IsPlausibleUserPrincipalName(upn)) {
    return MakeError(ErrorCode::kInvalidArgument, "userPrincipalName: must look like name@domain",
                     "userPrincipalName");
  }
  for (const std::string& domain : Domains(settings)) {
    if (text::EndsWithIgnoreCase(upn, "@" + domain)) return Ok{};
  }
  return MakeError(
      ErrorCode::kInvalidArgument,
      fmt::format("userPrincipalName: the domain is not one of the tenant's ({})", settings.domain),
      "userPrincipalName");
}

}  // namespace

Result<ImportOutcome> DeviceService::ImportInTransaction(const core::RegistrationFile& parsed,
                                                         const core::TenantSettings& settings) {
  const std::vector<std::string> domains = Domains(settings);
  core::RegistrationFile file = core::CheckAssignedUserDomains(parsed, domains);
  std::optional<Error> lookup_error;
  auto owner = [&](Result<std::optional<DeviceRecord>> found) {
    if (!found) {
      if (!lookup_error) lookup_error = found.error();
      return core::RegistrationOwner::kNone;
    }
    return *found ? core::RegistrationOwner::kThisTenant : core::RegistrationOwner::kNone;
  };
  core::RegistryLookup lookup;
  lookup.by_hardware_hash = [&](std::string_view hash) {
    return owner(store_.devices().FindByHardwareHash(hash));
  };
  lookup.by_serial_number = [&](std::string_view serial) {
    return owner(store_.devices().FindBySerialNumber(serial));
  };
  file = core::CheckAgainstRegistry(std::move(file), lookup);
  if (lookup_error) return *lookup_error;
  ImportOutcome outcome;
  outcome.file = std::move(file);
  if (AnyRefused(outcome.file) || outcome.file.rows.empty()) return outcome;
  const core::Timestamp now = clock_();
  std::vector<AutopilotDeviceIdentity> devices;
  devices.reserve(outcome.file.rows.size());
  for (const core::RegistrationRowResult& row : outcome.file.rows) {
    devices.push_back(FromRow(row.row, now));
  }
  Result<std::vector<DeviceRecord>> inserted = store_.devices().Insert(devices);
  if (!inserted) return inserted.error();
  outcome.imported = std::move(*inserted);
  return outcome;
}

Result<ImportOutcome> DeviceService::Import(const Actor& actor, std::string_view csv_bytes) {
  return ImportOrTry(actor, csv_bytes, false);
}

Result<ImportOutcome> DeviceService::ImportDryRun(const Actor& actor, std::string_view csv_bytes) {
  return ImportOrTry(actor, csv_bytes, true);
}

Result<ImportOutcome> DeviceService::ImportOrTry(const Actor& actor, std::string_view csv_bytes,
                                                 bool dry_run) {
  if (Status s = RequireAdmin(actor); !s) return s.error();
  core::RegistrationFile parsed = core::ReadRegistrationCsv(csv_bytes);
  if (!parsed.ok()) {
    Error error = parsed.file_errors.front();
    if (parsed.file_errors.size() > 1) {
      error.message +=
          fmt::format(" (and {} more problems with the file)", parsed.file_errors.size() - 1);
    }
    return error;
  }
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  ImportOutcome outcome;
  // A dry run is the import itself, rolled back by returning this error from the transaction.
  const Error roll_back = MakeError(ErrorCode::kAborted, "dry run: rolled back");
  Status done = store_.Transact([&]() -> Status {
    Result<ImportOutcome> imported = ImportInTransaction(parsed, (*snapshot)->tenant().settings);
    if (!imported) return imported.error();
    outcome = std::move(*imported);
    if (dry_run) return roll_back;
    if (outcome.imported.empty()) return Ok{};
    return Audit(store_, actor, clock_(), "import", "autopilotDevices", "", "",
                 fmt::format(R"({{"imported":{}}})", outcome.imported.size()));
  });
  if (!done && !(dry_run && done.error().message == roll_back.message &&
                 done.error().code == roll_back.code)) {
    return done.error();
  }
  return outcome;
}

Result<boost::json::object> DeviceService::ViewWith(const Snapshot& snapshot,
                                                    const DeviceRecord& record,
                                                    const store::DeploymentSession* last) {
  boost::json::object json = wire::Encode(record.value);
  json["lastDeployment"] = last != nullptr ? boost::json::value(wire::Encode(*last)) : nullptr;
  // The summary the device list filters and sorts by, from the same latest session.
  core::DeploymentSummary summary;
  if (last != nullptr) {
    summary = {last->deployment_state, last->started_date_time, last->flow};
  }
  wire::AddDeploymentSummary(summary, json);
  // The name it joined with; before it joins, the one its registration gives it.
  Result<std::optional<store::DeviceTrustRecord>> trust =
      store_.device_trust().Find(record.value.id.value());
  if (!trust) return trust.error();
  const std::string device_name = *trust ? (*trust)->value.display_name : record.value.display_name;
  json["deviceName"] =
      device_name.empty() ? boost::json::value(nullptr) : boost::json::value(device_name);
  const core::DirectoryDevice directory = core::PlaceholderFor(record.value);
  const core::DeploymentProfile* profile =
      snapshot.index->DeploymentProfileFor(snapshot.index->DeviceGroups(directory));
  // Assignment is computed on every read, so it is always in sync (DESIGN.md §4.1).
  json["deploymentProfileAssignmentStatus"] = profile != nullptr ? "assignedInSync" : "notAssigned";
  if (profile != nullptr) {
    json["deploymentProfile"] = {{"id", profile->id.value()},
                                 {"displayName", profile->display_name}};
  } else {
    json["deploymentProfile"] = nullptr;
  }
  json["version"] = record.version;
  return json;
}

Result<boost::json::object> DeviceService::View(const DeviceRecord& record) {
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  return ViewWith(**snapshot, record);
}

Result<boost::json::object> DeviceService::ViewWith(const Snapshot& snapshot,
                                                    const DeviceRecord& record) {
  const std::string id = record.value.id.value();
  Result<std::vector<store::DeploymentSession>> last =
      store_.sessions().LatestSessions(std::span(&id, 1));
  if (!last) return last.error();
  return ViewWith(snapshot, record, last->empty() ? nullptr : &last->front());
}

Result<boost::json::object> DeviceService::Get(std::string_view id) {
  Result<DeviceRecord> record = store_.devices().Get(core::ZtdId{std::string(id)});
  if (!record) return record.error();
  return View(*record);
}

Result<store::Page<boost::json::object>> DeviceService::List(const store::DeviceFilter& filter,
                                                             const store::PageRequest& page) {
  Result<store::Page<DeviceRecord>> records = store_.devices().List(filter, page);
  if (!records) return records.error();
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  // The page's latest sessions in one read, not one per device.
  std::vector<std::string> ids;
  for (const DeviceRecord& record : records->items) ids.push_back(record.value.id.value());
  Result<std::vector<store::DeploymentSession>> sessions = store_.sessions().LatestSessions(ids);
  if (!sessions) return sessions.error();
  std::map<std::string, const store::DeploymentSession*> last;
  for (const store::DeploymentSession& session : *sessions) last[session.device_id] = &session;
  store::Page<boost::json::object> out;
  out.next_after = records->next_after;
  for (const DeviceRecord& record : records->items) {
    auto found = last.find(record.value.id.value());
    Result<boost::json::object> view =
        ViewWith(**snapshot, record, found != last.end() ? found->second : nullptr);
    if (!view) return view.error();
    out.items.push_back(std::move(*view));
  }
  return out;
}

Result<store::Page<boost::json::object>> DeviceService::Query(const DeviceListQuery& query) {
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::TargetingIndex& index = *(*snapshot)->index;
  std::optional<uint32_t> group;
  if (!query.group_id.empty()) {
    group = index.GroupIndex(query.group_id);
    if (!group) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("groupId: no group has id \"{}\" (GET /v1/groups lists them)",
                                   query.group_id),
                       "groupId");
    }
  }
  const core::DeploymentProfile* profile = nullptr;
  if (!query.deployment_profile_id.empty()) {
    for (const core::DeploymentProfile& candidate : index.tenant().deployment_profiles) {
      if (candidate.id.value() == query.deployment_profile_id) profile = &candidate;
    }
    if (profile == nullptr) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("deploymentProfileId: no deployment profile has id \"{}\" "
                                   "(GET /v1/deploymentProfiles lists them)",
                                   query.deployment_profile_id),
                       "deploymentProfileId");
    }
  }
  store::Page<store::DeviceRow> rows;
  if (!group && profile == nullptr) {
    Result<store::Page<store::DeviceRow>> page = store_.devices().Query(query.store);
    if (!page) return page.error();
    rows = std::move(*page);
  } else {
    // Membership and assignment are computed from the catalog: read on in the list's order,
    // keep the devices that match, and stop at a full page (with one more match seen) or after
    // kMaxDevicesScannedPerPage devices, where the next page goes on.
    if (Status s = store::CheckDeviceQueryLimit(query.store); !s) return s.error();
    auto wanted = [&](const store::DeviceRow& row) {
      const core::GroupSet groups = index.DeviceGroups(core::PlaceholderFor(row.device.value));
      if (group && !std::binary_search(groups.begin(), groups.end(), *group)) return false;
      return profile == nullptr || index.DeploymentProfileFor(groups) == profile;
    };
    store::DeviceQuery read = query.store;
    read.limit = store::kMaxDeviceQueryPage;
    int scanned = 0;
    for (bool done = false; !done;) {
      Result<store::Page<store::DeviceRow>> page = store_.devices().Query(read);
      if (!page) return page.error();
      for (size_t i = 0; i < page->items.size() && !done; ++i) {
        const store::DeviceRow& row = page->items[i];  // copied: the cursor may be made from it
        ++scanned;
        if (wanted(row)) {
          if (static_cast<int>(rows.items.size()) == query.store.limit) {
            rows.next_after = store::EncodeDeviceCursor(query.store, rows.items.back());
            done = true;
            break;
          }
          rows.items.push_back(row);
        }
        if (scanned >= kMaxDevicesScannedPerPage) {
          const bool more = i + 1 < page->items.size() || !page->next_after.empty();
          if (more) rows.next_after = store::EncodeDeviceCursor(query.store, page->items[i]);
          done = true;
        }
      }
      if (done || page->next_after.empty()) break;
      read.after = page->next_after;
    }
  }
  // The page's latest sessions in one read, not one per device.
  std::vector<std::string> ids;
  for (const store::DeviceRow& row : rows.items) ids.push_back(row.device.value.id.value());
  Result<std::vector<store::DeploymentSession>> sessions = store_.sessions().LatestSessions(ids);
  if (!sessions) return sessions.error();
  std::map<std::string, const store::DeploymentSession*> last;
  for (const store::DeploymentSession& session : *sessions) last[session.device_id] = &session;
  store::Page<boost::json::object> out;
  out.next_after = rows.next_after;
  for (const store::DeviceRow& row : rows.items) {
    auto found = last.find(row.device.value.id.value());
    Result<boost::json::object> view =
        ViewWith(**snapshot, row.device, found != last.end() ? found->second : nullptr);
    if (!view) return view.error();
    out.items.push_back(std::move(*view));
  }
  return out;
}

Result<boost::json::object> DeviceService::Update(const Actor& actor, std::string_view id,
                                                  const boost::json::value& patch,
                                                  std::optional<int64_t> if_match) {
  if (Status s = RequireAdmin(actor); !s) return s.error();
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  DeviceRecord stored;
  Status done = store_.Transact([&]() -> Status {
    Result<DeviceRecord> current = store_.devices().Get(core::ZtdId{std::string(id)});
    if (!current) return current.error();
    AutopilotDeviceIdentity device = current->value;
    if (Status s = wire::DecodeDevicePatch(patch, device); !s) return s;
    for (const auto& [field, value, max] :
         {std::tuple{"groupTag", &device.group_tag, core::kMaxGroupTagLength},
          std::tuple{"userPrincipalName", &device.user_principal_name,
                     core::kMaxAssignedUserLength},
          std::tuple{"addressableUserName", &device.addressable_user_name, kMaxNameLength},
          std::tuple{"displayName", &device.display_name, kMaxNameLength}}) {
      if (Status s = CheckLength(field, *value, max); !s) return s;
    }
    if (Status s = CheckUser((*snapshot)->tenant().settings, device.user_principal_name); !s) {
      return s;
    }
    if (device.user_principal_name.empty()) device.addressable_user_name.clear();
    Result<DeviceRecord> updated =
        store_.devices().Update(device, if_match.value_or(current->version));
    if (!updated) return updated.error();
    stored = std::move(*updated);
    return Audit(store_, actor, clock_(), "update", "autopilotDevices", device.id.value(),
                 device.serial_number, boost::json::serialize(patch));
  });
  if (!done) return done.error();
  return ViewWith(**snapshot, stored);
}

Status DeviceService::Delete(const Actor& actor, std::string_view id,
                             std::optional<int64_t> if_match) {
  if (Status s = RequireAdmin(actor); !s) return s;
  return store_.Transact([&]() -> Status {
    Result<DeviceRecord> current = store_.devices().Get(core::ZtdId{std::string(id)});
    if (!current) return current.error();
    if (Status s = store_.devices().Delete(current->value.id, if_match.value_or(current->version));
        !s) {
      return s;
    }
    // Its trust and reported inventory go with it (the store cascades); what was issued to it
    // stops working.
    if (Result<int64_t> revoked = store_.tokens().RevokeForDevice(id, clock_()); !revoked) {
      return revoked.error();
    }
    return Audit(store_, actor, clock_(), "delete", "autopilotDevices", current->value.id.value(),
                 current->value.serial_number);
  });
}

Result<boost::json::object> DeviceService::Reprovision(const Actor& actor, std::string_view id) {
  if (Status s = RequireTechnicianOrAdmin(actor); !s) return s.error();
  DeviceRecord stored;
  Status done = store_.Transact([&]() -> Status {
    Result<DeviceRecord> current = store_.devices().Get(core::ZtdId{std::string(id)});
    if (!current) return current.error();
    AutopilotDeviceIdentity device = current->value;
    device.enrollment_state = core::EnrollmentState::kNotContacted;
    device.managed_device_id.clear();
    Result<DeviceRecord> updated = store_.devices().Update(device, current->version);
    if (!updated) return updated.error();
    // Revoke what was issued: its join, enrollment and reseal, and every token issued on it;
    // forget the inventory it reported (its next technician flow reports another).
    if (Status s = store_.device_trust().Delete(id); !s) return s;
    if (Status s = store_.inventories().Delete(id); !s) return s;
    if (Result<int64_t> revoked = store_.tokens().RevokeForDevice(id, clock_()); !revoked) {
      return revoked.error();
    }
    stored = std::move(*updated);
    return Audit(store_, actor, clock_(), "reprovision", "autopilotDevices", device.id.value(),
                 device.serial_number);
  });
  if (!done) return done.error();
  return View(stored);
}

Result<boost::json::object> DeviceService::Members(std::string_view group_id) {
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::TargetingIndex& index = *(*snapshot)->index;
  const std::optional<uint32_t> g = index.GroupIndex(group_id);
  if (!g) {
    return MakeError(ErrorCode::kNotFound, fmt::format("no group has id {}", group_id), "id");
  }
  const core::Group& group = index.tenant().groups[*g];
  boost::json::array members;
  auto add_user = [&](const core::User& user) {
    members.push_back({{"@odata.type", "#microsoft.graph.user"},
                       {"id", user.id.value()},
                       {"userPrincipalName", user.user_principal_name}});
  };
  bool devices = group.membership_kind == core::MembershipKind::kAssigned;
  bool users = devices;
  if (group.membership_kind == core::MembershipKind::kDynamic) {
    Result<core::rules::CompiledRule> rule = core::rules::CompileRule(group.membership_rule);
    if (!rule) return rule.error();
    devices = rule->object_type() == core::rules::ObjectType::kDevice;
    users = !devices;
  }
  if (users) {
    for (const core::User& user : index.tenant().users) {
      const core::GroupSet groups = index.UserGroups(user);
      if (std::binary_search(groups.begin(), groups.end(), *g)) add_user(user);
    }
  }
  if (devices) {
    store::PageRequest page{.after = "", .limit = store::kMaxPageSize};
    for (;;) {
      Result<store::Page<DeviceRecord>> batch = store_.devices().List({}, page);
      if (!batch) return batch.error();
      for (const DeviceRecord& record : batch->items) {
        const core::GroupSet groups = index.DeviceGroups(core::PlaceholderFor(record.value));
        if (!std::binary_search(groups.begin(), groups.end(), *g)) continue;
        members.push_back({{"@odata.type", "#microsoft.graph.windowsAutopilotDeviceIdentity"},
                           {"id", record.value.id.value()},
                           {"serialNumber", record.value.serial_number},
                           {"azureAdDeviceId", record.value.azure_ad_device_id.value()}});
      }
      if (batch->next_after.empty()) break;
      page.after = batch->next_after;
    }
  }
  return boost::json::object{{"groupId", group.id.value()},
                             {"displayName", group.display_name},
                             {"value", std::move(members)}};
}

Result<boost::json::object> DeviceService::Plan(std::string_view serial_number,
                                                std::string_view user_upn) {
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::TargetingIndex& index = *(*snapshot)->index;
  Result<std::optional<DeviceRecord>> found = store_.devices().FindBySerialNumber(serial_number);
  if (!found) return found.error();
  if (!*found) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("no registered device has serial number {}", serial_number),
                     "serialNumber");
  }
  const AutopilotDeviceIdentity& registration = (*found)->value;
  const core::DirectoryDevice directory = core::PlaceholderFor(registration);
  const core::GroupSet device_groups = index.DeviceGroups(directory);

  const std::string upn =
      user_upn.empty() ? registration.user_principal_name : std::string(user_upn);
  const core::User* user = upn.empty() ? nullptr : index.FindUserByPrincipalName(upn);
  if (user == nullptr && !user_upn.empty()) {
    return MakeError(ErrorCode::kNotFound, fmt::format("no user {} in the directory", user_upn),
                     "user");
  }

  boost::json::object plan;
  plan["serialNumber"] = registration.serial_number;
  plan["deviceId"] = registration.id.value();
  std::vector<std::string> group_names;
  for (uint32_t g : device_groups) group_names.push_back(index.tenant().groups[g].display_name);
  std::sort(group_names.begin(), group_names.end());
  boost::json::array groups;
  for (const std::string& name : group_names) groups.push_back(boost::json::string(name));
  plan["groups"] = std::move(groups);

  const core::DeploymentProfile* profile = index.DeploymentProfileFor(device_groups);
  plan["deploymentProfile"] = nullptr;
  plan["deviceName"] = nullptr;
  if (!registration.display_name.empty()) plan["deviceName"] = registration.display_name;
  if (profile != nullptr) {
    plan["deploymentProfile"] = {{"id", profile->id.value()},
                                 {"displayName", profile->display_name},
                                 {"preprovisioningAllowed", profile->preprovisioning_allowed}};
    if (registration.display_name.empty() && !profile->device_name_template.empty()) {
      Result<core::NameTemplate> name_template =
          core::ParseNameTemplate(profile->device_name_template);
      if (name_template) {
        // %RAND% digits are chosen on the device; the preview shows zeros in their place.
        Result<std::string> name =
            core::ExpandName(*name_template, registration.serial_number,
                             std::string(static_cast<size_t>(name_template->random_digits), '0'));
        if (name) plan["deviceName"] = *name;
      }
    }
  }
  plan["userPrincipalName"] = nullptr;
  if (user != nullptr) plan["userPrincipalName"] = user->user_principal_name;

  core::PlanRequest technician;
  technician.flow = core::Flow::kTechnician;
  technician.device = &directory;
  technician.registration = &registration;
  Result<core::EspPlan> technician_plan = core::BuildEspPlan(index, technician);
  if (!technician_plan) return technician_plan.error();
  plan["technician"] = wire::Encode(*technician_plan);

  // The user flow's Device setup is the delta from what the device has: the inventory it
  // reported when its last flow ended, else (it has reported none) a clean technician flow.
  Result<std::optional<core::ReportedInventory>> reported =
      store_.inventories().Find(registration.id.value());
  if (!reported) return reported.error();
  plan["userFlowBasis"] = wire::UserFlowBasisName(reported->has_value());
  plan["reportedInventory"] = nullptr;
  if (*reported) plan["reportedInventory"] = wire::Encode(**reported);
  plan["user"] = nullptr;
  std::optional<core::EspPlan> user_plan;
  if (user != nullptr) {
    core::PlanRequest user_flow;
    user_flow.flow = core::Flow::kUser;
    user_flow.device = &directory;
    user_flow.registration = &registration;
    user_flow.user = user;
    user_flow.installed = UserFlowBasis(*reported, *technician_plan);
    Result<core::EspPlan> built = core::BuildEspPlan(index, user_flow);
    if (!built) return built.error();
    plan["user"] = wire::Encode(*built);
    user_plan = std::move(*built);
  }

  // Conflicts first (errors), then the linter's findings (errors, warnings, info).
  boost::json::array findings;
  std::vector<const core::EspPlan*> plans = {&*technician_plan};
  if (user_plan) plans.push_back(&*user_plan);
  for (const core::PlanFinding& finding : SettingConflicts(index.tenant(), plans)) {
    findings.push_back(wire::Encode(finding));
  }
  for (const core::PlanFinding& finding :
       core::LintDeployment(index, registration, directory, user)) {
    findings.push_back(wire::Encode(finding));
  }
  plan["findings"] = std::move(findings);
  return plan;
}

}  // namespace groundcrew::service

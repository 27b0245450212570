#include "scenario_tenant.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <utility>

#include "common/text.hpp"
#include "scenario_values.hpp"

namespace groundcrew::core::scenarios {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

// Objects are "created" a day before the scenario starts, a second apart, in declaration order.
const Timestamp kCreatedBase = kDefaultStart - hours{24};

// key=value options as tables of setters, one table per kind of object.
template <class T>
using Setter = std::function<Status(T&, const std::string&)>;
template <class T>
using Setters = std::map<std::string, Setter<T>, std::less<>>;

template <class T>
Status ApplyOptions(T& object, const Line& line, const Setters<T>& setters, std::string_view kind) {
  for (const auto& [key, value] : line.options) {
    auto setter = setters.find(key);
    if (setter == setters.end()) return Bad(fmt::format("unknown {} option \"{}\"", kind, key));
    if (Status ok = setter->second(object, value); !ok) return ok;
  }
  return Ok{};
}

template <class T>
Setter<T> Text(std::string T::*member) {
  return [member](T& object, const std::string& value) -> Status {
    object.*member = value;
    return Ok{};
  };
}

template <class T>
Setter<T> Flag(bool T::*member, bool inverted = false) {
  return [=](T& object, const std::string& value) -> Status {
    Result<bool> flag = ParseBool(value);
    if (!flag) return flag.error();
    object.*member = *flag != inverted;
    return Ok{};
  };
}

template <class T, class N>
Setter<T> Number(N T::*member) {
  return [member](T& object, const std::string& value) -> Status {
    Result<long long> n = ParseInt(value);
    if (!n) return n.error();
    object.*member = static_cast<N>(*n);
    return Ok{};
  };
}

// One of a few words, each standing for a value of the member.
template <class T, class V>
Setter<T> Choice(V T::*member, std::vector<std::pair<std::string, V>> words) {
  return [=](T& object, const std::string& value) -> Status {
    std::vector<std::string> names;
    for (const auto& [word, meaning] : words) {
      if (word == value) {
        object.*member = meaning;
        return Ok{};
      }
      names.push_back(word);
    }
    return Bad(fmt::format("expected one of {}, got \"{}\"", fmt::join(names, ", "), value));
  };
}

// A setter of a member's member.
template <class T, class M>
Setter<T> Nested(M T::*member, Setter<M> inner) {
  return [=](T& object, const std::string& value) { return inner(object.*member, value); };
}

template <class T, class Id>
Setter<T> IdList(std::vector<Id> T::*member) {
  return [member](T& object, const std::string& value) -> Status {
    (object.*member).clear();
    for (const std::string& id : SplitList(value)) (object.*member).emplace_back(id);
    return Ok{};
  };
}

const Setters<TenantSettings>& SettingsOptions() {
  static const Setters<TenantSettings> kSetters = {
      {"name", Text(&TenantSettings::organization_name)},
      {"domain", Text(&TenantSettings::domain)},
      {"mdm-scope", Choice(&TenantSettings::mdm_user_scope, {{"all", MdmUserScope::kAll},
                                                             {"some", MdmUserScope::kSome},
                                                             {"none", MdmUserScope::kNone}})},
      {"mdm-groups", IdList(&TenantSettings::mdm_user_scope_groups)},
      {"join", Choice(&TenantSettings::device_join_scope, {{"all", DeviceJoinScope::kAll},
                                                           {"selected", DeviceJoinScope::kSelected},
                                                           {"none", DeviceJoinScope::kNone}})},
      {"join-groups", IdList(&TenantSettings::device_join_groups)},
      {"join-users", IdList(&TenantSettings::device_join_users)},
  };
  return kSetters;
}

const Setters<User>& UserOptions() {
  static const Setters<User> kSetters = {
      {"upn", Text(&User::user_principal_name)},
      {"name", Text(&User::display_name)},
      {"enabled", Flag(&User::account_enabled)},
      {"licensed", Flag(&User::licensed)},
      {"department", Text(&User::department)},
      {"job-title", Text(&User::job_title)},
      {"city", Text(&User::city)},
      {"country", Text(&User::country)},
      {"company", Text(&User::company_name)},
      {"employee-id", Text(&User::employee_id)},
  };
  return kSetters;
}

const Setters<Group>& GroupOptions() {
  static const Setters<Group> kSetters = {
      {"name", Text(&Group::display_name)},
      {"rule",
       [](Group& group, const std::string& rule) -> Status {
         group.membership_kind = MembershipKind::kDynamic;
         group.membership_rule = rule;
         return Ok{};
       }},
      {"members",
       [](Group& group, const std::string& members) -> Status {
         group.membership_kind = MembershipKind::kAssigned;
         group.members = SplitList(members);
         return Ok{};
       }},
      {"paused", Flag(&Group::rule_processing_paused)},
  };
  return kSetters;
}

const Setters<DeploymentProfile>& DeploymentProfileOptions() {
  using Oobe = OutOfBoxExperienceSetting;
  auto oobe = [](bool Oobe::*member, std::string yes, std::string no) {
    return Nested(
        &DeploymentProfile::out_of_box_experience_setting,
        Choice(member, std::vector<std::pair<std::string, bool>>{{yes, true}, {no, false}}));
  };
  static const Setters<DeploymentProfile> kSetters = {
      {"name", Text(&DeploymentProfile::display_name)},
      {"preprovisioning", Flag(&DeploymentProfile::preprovisioning_allowed)},
      {"default", Flag(&DeploymentProfile::is_tenant_default)},
      {"privacy", oobe(&Oobe::privacy_settings_hidden, "hidden", "shown")},
      {"eula", oobe(&Oobe::eula_hidden, "hidden", "shown")},
      {"keyboard", oobe(&Oobe::keyboard_selection_page_skipped, "skip", "show")},
      {"locale", Text(&DeploymentProfile::locale)},
      {"template", Text(&DeploymentProfile::device_name_template)},
      {"created",
       [](DeploymentProfile& profile, const std::string& value) -> Status {
         Result<Timestamp> created = ParseTime(value);
         if (!created) return created.error();
         profile.created_date_time = *created;
         return Ok{};
       }},
  };
  return kSetters;
}

const Setters<EspProfile>& EspProfileOptions() {
  static const Setters<EspProfile> kSetters = {
      {"name", Text(&EspProfile::display_name)},
      {"priority", Number(&EspProfile::priority)},
      {"timeout", Number(&EspProfile::install_progress_timeout_in_minutes)},
      {"progress",
       Choice(&EspProfile::show_installation_progress,
              std::vector<std::pair<std::string, bool>>{{"show", true}, {"hide", false}})},
      {"blocking",
       [](EspProfile& profile, const std::string& value) -> Status {
         profile.selected_mobile_app_ids.clear();
         if (value == "all") return Ok{};
         for (const std::string& id : SplitList(value))
           profile.selected_mobile_app_ids.emplace_back(id);
         return Ok{};
       }},
      {"message", Text(&EspProfile::custom_error_message)},
      {"non-blocking-install", Flag(&EspProfile::allow_non_blocking_app_installation)},
      {"reset", Flag(&EspProfile::allow_device_reset_on_install_failure)},
      {"continue", Flag(&EspProfile::allow_device_use_on_install_failure)},
      {"try-again", Flag(&EspProfile::block_device_setup_retry_by_user, /*inverted=*/true)},
      {"logs", Flag(&EspProfile::allow_log_collection_on_install_failure)},
      {"quality-updates", Flag(&EspProfile::install_quality_updates)},
      {"block-use",
       Flag(&EspProfile::allow_device_use_before_profile_and_app_install_complete, true)},
      {"default", Flag(&EspProfile::is_default)},
  };
  return kSetters;
}

Setter<App> Dependencies(bool auto_install) {
  return [auto_install](App& app, const std::string& value) -> Status {
    for (const std::string& id : SplitList(value)) {
      app.dependencies.push_back(AppDependency{AppId{id}, auto_install});
    }
    return Ok{};
  };
}

const Setters<App>& AppOptions() {
  static const Setters<App> kSetters = {
      {"name", Text(&App::display_name)},
      {"version", Text(&App::display_version)},
      {"context", Choice(&App::install_context,
                         {{"device", InstallContext::kDevice}, {"user", InstallContext::kUser}})},
      {"class",
       [](App& app, const std::string& value) -> Status {
         app.installer_class = value == "none" ? "" : value;
         return Ok{};
       }},
      {"depends", Dependencies(true)},
      {"depends-manual", Dependencies(false)},
      {"limit", Number(&App::max_run_time_in_minutes)},
      {"size", Number(&App::size)},
      {"retry-codes",  // extra exit codes that mean "retry"
       [](App& app, const std::string& value) -> Status {
         for (const std::string& text : SplitList(value)) {
           Result<std::int64_t> code = ParseCode(text);
           if (!code) return code.error();
           app.return_codes.push_back(ReturnCode{static_cast<int>(*code), ReturnCodeType::kRetry});
         }
         return Ok{};
       }},
  };
  return kSetters;
}

// Policies and certificate profiles.
template <class T>
const Setters<T>& ProfileOptions() {
  static const Setters<T> kSetters = {
      {"name", Text(&T::display_name)},
      {"version", Number(&T::version)},
  };
  return kSetters;
}

// A fact the device reports, or "unreported".
Setter<DeviceRecord> Fact(std::optional<bool> DeviceFacts::*member) {
  return [member](DeviceRecord& device, const std::string& value) -> Status {
    if (value == "unreported") {
      device.facts.*member = std::nullopt;
      return Ok{};
    }
    Result<bool> flag = ParseBool(value);
    if (!flag) return flag.error();
    device.facts.*member = *flag;
    return Ok{};
  };
}

const Setters<CompliancePolicy>& ComplianceOptions() {
  static const Setters<CompliancePolicy> kSetters = {
      {"name", Text(&CompliancePolicy::display_name)},
      {"version", Number(&CompliancePolicy::version)},
      {"os", Text(&CompliancePolicy::os_name)},
      {"os-min", Text(&CompliancePolicy::os_minimum_version)},
      {"os-max", Text(&CompliancePolicy::os_maximum_version)},
      {"encryption", Flag(&CompliancePolicy::storage_require_encryption)},
      {"secure-boot", Flag(&CompliancePolicy::secure_boot_enabled)},
      {"firewall", Flag(&CompliancePolicy::active_firewall_required)},
      {"screen-lock", Flag(&CompliancePolicy::screen_lock_required)},
      {"updates", Flag(&CompliancePolicy::automatic_security_updates_required)},
      {"password-min",
       [](CompliancePolicy& policy, const std::string& value) -> Status {
         Result<long long> n = ParseInt(value);
         if (!n) return n.error();
         policy.password_minimum_length = static_cast<int>(*n);
         return Ok{};
       }},
  };
  return kSetters;
}

const Setters<NetworkProfile>& NetworkOptions() {
  static const Setters<NetworkProfile> kSetters = {
      {"name", Text(&NetworkProfile::display_name)},
      {"version", Number(&NetworkProfile::version)},
      {"kind",
       Choice(&NetworkProfile::kind, {{"wifi", NetworkKind::kWifi}, {"vpn", NetworkKind::kVpn}})},
      {"scope", Choice(&NetworkProfile::scope,
                       {{"device", NetworkScope::kDevice}, {"user", NetworkScope::kUser}})},
  };
  return kSetters;
}

const Setters<DeviceRecord>& DeviceOptions() {
  using Identity = AutopilotDeviceIdentity;
  auto text = [](std::string Identity::*member) {
    return Nested(&DeviceRecord::registration, Text(member));
  };
  static const Setters<DeviceRecord> kSetters = {
      {"ztd",
       [](DeviceRecord& device, const std::string& value) -> Status {
         device.registration.id = ZtdId{value};
         return Ok{};
       }},
      {"serial", text(&Identity::serial_number)},
      {"tag", text(&Identity::group_tag)},
      {"po", text(&Identity::purchase_order_identifier)},
      {"user",
       [](DeviceRecord& device, const std::string& value) -> Status {
         device.registration.user_principal_name = value == "none" ? "" : value;
         return Ok{};
       }},
      {"greeting", text(&Identity::addressable_user_name)},
      {"manufacturer", text(&Identity::manufacturer)},
      {"model", text(&Identity::model)},
      {"os",
       [](DeviceRecord& device, const std::string& value) -> Status {
         device.facts.os_id = value;
         return Ok{};
       }},
      {"os-version",
       [](DeviceRecord& device, const std::string& value) -> Status {
         device.facts.os_version = value;
         return Ok{};
       }},
      {"encrypted", Fact(&DeviceFacts::storage_encrypted)},
      {"secure-boot", Fact(&DeviceFacts::secure_boot_enabled)},
      {"firewall", Fact(&DeviceFacts::firewall_active)},
      {"screen-lock", Fact(&DeviceFacts::screen_lock_enabled)},
      {"updates", Fact(&DeviceFacts::automatic_security_updates)},
      {"enrolled",
       [](DeviceRecord& device, const std::string& value) -> Status {
         Result<bool> enrolled = ParseBool(value);
         if (!enrolled) return enrolled.error();
         device.registration.enrollment_state =
             *enrolled ? EnrollmentState::kEnrolled : EnrollmentState::kNotContacted;
         device.joined = *enrolled;
         return Ok{};
       }},
  };
  return kSetters;
}

}  // namespace

TenantBuilder::TenantBuilder() {
  tenant_.settings.id = TenantId{"tenant"};
  tenant_.settings.organization_name = "Contoso";
  tenant_.settings.domain = "contoso.com";
  EspProfile esp;
  esp.id = EspProfileId{"default-esp"};
  esp.display_name = "All users and all devices";
  esp.is_default = true;
  esp.created_date_time = NextCreated();
  tenant_.esp_profiles.push_back(std::move(esp));
  kinds_.emplace("default-esp", Kind::kEspProfile);
}

std::optional<Status> TenantBuilder::Execute(const Line& line) {
  static const std::map<std::string_view, Kind> kDeclarations = {
      {"user", Kind::kUser},
      {"group", Kind::kGroup},
      {"deployment-profile", Kind::kDeploymentProfile},
      {"esp-profile", Kind::kEspProfile},
      {"app", Kind::kApp},
      {"policy", Kind::kPolicy},
      {"certificate", Kind::kCertificate},
      {"network-profile", Kind::kNetwork},
      {"compliance-policy", Kind::kCompliance},
      {"device", Kind::kDevice},
  };
  const std::string& command = line.Word(0);
  if (auto kind = kDeclarations.find(command); kind != kDeclarations.end()) {
    return Declaration(line, kind->second);
  }
  if (command == "tenant") return Settings(line);
  if (command == "set") return Set(line.Word(1), line);
  if (command == "assign" || command == "unassign") return Assign(line);
  if (command == "csv") return Csv(line);
  if (command == "registered-elsewhere") {
    for (size_t i = 1; i < line.words.size(); ++i) foreign_serials_.insert(line.words[i]);
    return Status(Ok{});
  }
  if (command == "reprovision" || command == "assign-user") {
    Result<DeviceRecord*> device = FindDevice(line.Word(1));
    if (!device) return Status(device.error());
    AutopilotDeviceIdentity& registration = (*device)->registration;
    if (command == "reprovision") {
      registration.enrollment_state = EnrollmentState::kPendingReset;
    } else {
      registration.user_principal_name = line.Word(2) == "none" ? "" : line.Word(2);
    }
    return Status(Ok{});
  }
  return std::nullopt;
}

Result<const TargetingIndex*> TenantBuilder::Index() {
  if (dirty_ || index_ == nullptr) {
    Tenant tenant = tenant_;
    for (Group& group : tenant.groups) {
      for (std::string& member : group.members) {
        auto device = devices_.find(member);
        if (device != devices_.end()) {
          member = device->second.registration.azure_ad_device_id.value();
        }
      }
    }
    Result<std::shared_ptr<const TargetingIndex>> built = TargetingIndex::Build(std::move(tenant));
    if (!built) return built.error();
    index_ = *built;
    dirty_ = false;
  }
  return index_.get();
}

Result<DeviceRecord*> TenantBuilder::FindDevice(std::string_view name) {
  auto device = devices_.find(name);
  if (device == devices_.end()) return Bad(fmt::format("no device \"{}\"", name));
  return &device->second;
}

const User* TenantBuilder::FindUser(std::string_view alias) const {
  return FindById(tenant_.users, alias);
}

DirectoryDevice TenantBuilder::DirectoryOf(const DeviceRecord& device) const {
  DirectoryDevice object = PlaceholderFor(device.registration);
  if (device.joined) {
    object.trust_type = TrustType::kAzureAd;
    object.is_managed = true;
    object.management_type = "MDM";
    object.enrollment_profile_name = device.enrollment_profile_name;
  }
  return object;
}

Status TenantBuilder::Declare(const std::string& id, Kind kind) {
  if (id.empty()) return Bad("an object needs an id");
  if (!kinds_.emplace(id, kind).second) return Bad(fmt::format("\"{}\" is declared twice", id));
  return Ok{};
}

Timestamp TenantBuilder::NextCreated() { return kCreatedBase + seconds{created_++}; }

DeviceRecord TenantBuilder::NewDevice(const std::string& name, const std::string& ztd) {
  DeviceRecord device;
  device.registration.id = ZtdId{ztd};
  device.registration.serial_number = name;
  device.registration.azure_ad_device_id = DirectoryObjectId{"obj-" + name};
  device.registration.manufacturer = "Contoso Hardware";
  device.registration.model = "Laptop 7";
  device.registration.created_date_time = NextCreated();
  return device;
}

Status TenantBuilder::Settings(const Line& line) {
  dirty_ = true;
  return ApplyOptions(tenant_.settings, line, SettingsOptions(), "tenant");
}

// Creates the object with its defaults, then applies the line's options as `set` does.
Status TenantBuilder::Declaration(const Line& line, Kind kind) {
  const std::string& id = line.Word(1);
  if (Status ok = Declare(id, kind); !ok) return ok;
  const Timestamp created = NextCreated();
  auto make = [&](auto& items, auto object) {
    object.id = decltype(object.id){id};
    object.display_name = id;
    object.created_date_time = created;
    items.push_back(std::move(object));
  };
  switch (kind) {
    case Kind::kUser: {
      User user;
      user.user_principal_name = id + "@" + tenant_.settings.domain;
      make(tenant_.users, std::move(user));
      break;
    }
    case Kind::kGroup:
      make(tenant_.groups, Group{});
      break;
    case Kind::kDeploymentProfile:
      make(tenant_.deployment_profiles, DeploymentProfile{});
      break;
    case Kind::kEspProfile: {
      EspProfile profile;
      profile.priority = 1;
      make(tenant_.esp_profiles, std::move(profile));
      break;
    }
    case Kind::kApp: {
      App app;
      app.display_version = "1.0";
      make(tenant_.apps, std::move(app));
      break;
    }
    case Kind::kPolicy:
      make(tenant_.policies, Policy{});
      break;
    case Kind::kCertificate:
      make(tenant_.certificates, CertificateProfile{});
      break;
    case Kind::kNetwork:
      make(tenant_.network_profiles, NetworkProfile{});
      break;
    case Kind::kCompliance:
      make(tenant_.compliance_policies, CompliancePolicy{});
      break;
    case Kind::kDevice:
      devices_.emplace(id, NewDevice(id, id));
      break;
  }
  return Set(id, line);
}

Status TenantBuilder::Set(const std::string& id, const Line& line) {
  auto kind = kinds_.find(id);
  if (kind == kinds_.end()) return Bad(fmt::format("no object \"{}\"", id));
  dirty_ = true;
  switch (kind->second) {
    case Kind::kUser: {
      User& user = *FindById(tenant_.users, id);
      Line rest = line;
      if (const std::string* mfa = line.Option("mfa")) {
        Result<bool> required = ParseBool(*mfa);
        if (!required) return required.error();
        if (*required) {
          mfa_users_.insert(id);
        } else {
          mfa_users_.erase(id);
        }
        std::erase_if(rest.options, [](const auto& option) { return option.first == "mfa"; });
      }
      return ApplyOptions(user, rest, UserOptions(), "user");
    }
    case Kind::kGroup:
      return ApplyOptions(*FindById(tenant_.groups, id), line, GroupOptions(), "group");
    case Kind::kDeploymentProfile:
      return ApplyOptions(*FindById(tenant_.deployment_profiles, id), line,
                          DeploymentProfileOptions(), "deployment-profile");
    case Kind::kEspProfile:
      return ApplyOptions(*FindById(tenant_.esp_profiles, id), line, EspProfileOptions(),
                          "esp-profile");
    case Kind::kApp:
      return ApplyOptions(*FindById(tenant_.apps, id), line, AppOptions(), "app");
    case Kind::kPolicy:
      return ApplyOptions(*FindById(tenant_.policies, id), line, ProfileOptions<Policy>(),
                          "policy");
    case Kind::kCertificate:
      return ApplyOptions(*FindById(tenant_.certificates, id), line,
                          ProfileOptions<CertificateProfile>(), "certificate");
    case Kind::kNetwork:
      return ApplyOptions(*FindById(tenant_.network_profiles, id), line, NetworkOptions(),
                          "network-profile");
    case Kind::kCompliance:
      return ApplyOptions(*FindById(tenant_.compliance_policies, id), line, ComplianceOptions(),
                          "compliance-policy");
    case Kind::kDevice:
      return ApplyOptions(devices_.at(id), line, DeviceOptions(), "device");
  }
  return Ok{};
}

// `assign <object> <target> [intent=...]` and `unassign <object> <target>`: profiles keep their
// targets; payloads get Assignment records.
Status TenantBuilder::Assign(const Line& line) {
  const bool add = line.Word(0) == "assign";
  const std::string& id = line.Word(1);
  Result<AssignmentTarget> target = ParseTarget(line.Word(2));
  if (!target) return target.error();
  auto kind = kinds_.find(id);
  if (kind == kinds_.end()) return Bad(fmt::format("no object \"{}\"", id));
  dirty_ = true;
  const Error not_assigned = Bad(fmt::format("{} is not assigned to {}", id, line.Word(2)));
  auto edit = [&](std::vector<AssignmentTarget>& targets) -> Status {
    if (add) {
      targets.push_back(*target);
    } else if (std::erase(targets, *target) == 0) {
      return not_assigned;
    }
    return Ok{};
  };
  PayloadKind payload = PayloadKind::kApp;
  switch (kind->second) {
    case Kind::kDeploymentProfile:
      return edit(FindById(tenant_.deployment_profiles, id)->assignments);
    case Kind::kEspProfile:
      return edit(FindById(tenant_.esp_profiles, id)->assignments);
    case Kind::kApp:
      payload = PayloadKind::kApp;
      break;
    case Kind::kPolicy:
      payload = PayloadKind::kPolicy;
      break;
    case Kind::kCertificate:
      payload = PayloadKind::kCertificate;
      break;
    case Kind::kNetwork:
      payload = PayloadKind::kNetwork;
      break;
    case Kind::kCompliance:
      payload = PayloadKind::kCompliance;
      break;
    case Kind::kUser:
    case Kind::kGroup:
    case Kind::kDevice:
      return Bad(fmt::format("\"{}\" cannot be assigned", id));
  }
  if (!add) {
    const size_t removed = std::erase_if(tenant_.assignments, [&](const Assignment& a) {
      return a.payload_kind == payload && a.payload_id == id && a.target == *target;
    });
    return removed == 0 ? Status(not_assigned) : Status(Ok{});
  }
  InstallIntent intent = InstallIntent::kRequired;
  if (const std::string* value = line.Option("intent")) {
    Assignment probe;
    Status ok =
        Choice(&Assignment::intent, {{"required", InstallIntent::kRequired},
                                     {"available", InstallIntent::kAvailable},
                                     {"uninstall", InstallIntent::kUninstall}})(probe, *value);
    if (!ok) return ok;
    intent = probe.intent;
  }
  tenant_.assignments.push_back(Assignment{AssignmentId{fmt::format("asg-{}", ++assignments_)},
                                           payload, id, *target, intent});
  return Ok{};
}

// A registration CSV: read, checked against what is registered (here and, for serials named by
// `registered-elsewhere`, in another tenant) and the tenant's domains; its accepted rows become
// devices named by their serial numbers.
Status TenantBuilder::Csv(const Line& line) {
  std::string file;
  for (const std::string& raw : line.block) file += raw + "\r\n";
  auto registered = [&](auto same) {
    for (const auto& [name, device] : devices_) {
      if (same(device.registration)) return RegistrationOwner::kThisTenant;
    }
    return RegistrationOwner::kNone;
  };
  RegistryLookup lookup;
  lookup.by_serial_number = [&](std::string_view serial) {
    for (const std::string& foreign : foreign_serials_) {
      if (text::EqualsIgnoreCase(foreign, serial)) return RegistrationOwner::kAnotherTenant;
    }
    return registered([&](const AutopilotDeviceIdentity& r) {
      return text::EqualsIgnoreCase(r.serial_number, serial);
    });
  };
  lookup.by_hardware_hash = [&](std::string_view hash) {
    return registered([&](const AutopilotDeviceIdentity& r) {
      return !hash.empty() && r.hardware_identifier == hash;
    });
  };
  std::vector<std::string> domains = {tenant_.settings.domain};
  for (const std::string& domain : tenant_.settings.additional_domains) domains.push_back(domain);
  RegistrationFile read =
      CheckAssignedUserDomains(CheckAgainstRegistry(ReadRegistrationCsv(file), lookup), domains);
  if (read.ok()) {
    for (const RegistrationRowResult& result : read.rows) {
      if (!result.ok()) continue;
      const std::string& name = result.row.serial_number;
      if (Status ok = Declare(name, Kind::kDevice); !ok) return ok;
      DeviceRecord device = NewDevice(name, name);
      device.registration.product_key = result.row.product_id;
      device.registration.hardware_identifier = result.row.hardware_hash;
      device.registration.group_tag = result.row.group_tag;
      device.registration.user_principal_name = result.row.assigned_user_principal_name;
      if (result.row.groundcrew_hash) {
        device.registration.manufacturer = result.row.groundcrew_hash->manufacturer;
        device.registration.model = result.row.groundcrew_hash->model;
      }
      devices_.emplace(name, std::move(device));
    }
  }
  csv_ = std::move(read);
  return Ok{};
}

}  // namespace groundcrew::core::scenarios

#include "server/service/catalog_service.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/text.hpp"
#include "core/model/profiles.hpp"
#include "core/model/references.hpp"
#include "core/naming/device_name.hpp"
#include "core/registration/registration_csv.hpp"
#include "core/rules/rule.hpp"
#include "identity/random.hpp"
#include "server/service/deb_apps.hpp"
#include "server/service/limits.hpp"
#include "wire/settings_json.hpp"

namespace groundcrew::service {
namespace {

using store::ResourceKind;
using store::ResourceRecord;

Status Invalid(std::string field, std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: {}", field, message), field);
}

// A policy's settings are the catalog's (core/settings/catalog.hpp), each within its limits.
// Checked where admins write policies, not where devices read them: a policy stored before the
// catalog still reads, and its device reports each unknown setting as the item's error.
Status ValidatePolicySettings(const std::string& settings_json) {
  boost::system::error_code ec;
  const boost::json::value settings = boost::json::parse(settings_json, ec);
  if (ec || !settings.is_object()) return Invalid("settings", "must be a JSON object");
  std::vector<Error> problems;
  (void)wire::DecodePolicySettings(settings.as_object(), problems);
  if (problems.empty()) return Ok{};
  return problems.front();
}

bool HasDomain(const core::TenantSettings& settings, std::string_view upn) {
  const std::string_view domain = upn.substr(upn.find('@') + 1);
  if (text::EqualsIgnoreCase(domain, settings.domain)) return true;
  for (const std::string& extra : settings.additional_domains) {
    if (text::EqualsIgnoreCase(domain, extra)) return true;
  }
  return false;
}

Status ValidateGroup(const core::Group& group) {
  if (group.membership_kind == core::MembershipKind::kDynamic) {
    if (group.membership_rule.empty()) {
      return Invalid("membershipRule", "a dynamic group needs a membership rule");
    }
    if (!group.members.empty()) {
      return Invalid("members", "a dynamic group's members come from its rule");
    }
    Result<core::rules::CompiledRule> rule = core::rules::CompileRule(group.membership_rule);
    if (!rule) {
      const Error& error = rule.error();  // its field is the position in the rule
      return MakeError(ErrorCode::kInvalidArgument,
                       error.field.empty()
                           ? fmt::format("membershipRule: {}", error.message)
                           : fmt::format("membershipRule: {}: {}", error.field, error.message),
                       "membershipRule");
    }
  } else if (!group.membership_rule.empty()) {
    return Invalid("membershipRule",
                   "an assigned group has no rule (set membershipKind to \"dynamic\")");
  }
  return Ok{};
}

// Replaces (same kind and id) or adds `resource` in `tenant`.
void Upsert(core::Tenant& tenant, const AnyResource& resource) {
  const std::string id = IdOf(resource);
  auto replace = [&](auto& items) {
    using T = typename std::decay_t<decltype(items)>::value_type;
    const T& value = std::get<T>(resource);
    for (T& item : items) {
      if (item.id.value() == id) {
        item = value;
        return;
      }
    }
    items.push_back(value);
  };
  std::visit(
      [&](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, core::TenantSettings>) {
          tenant.settings = value;
        } else if constexpr (std::is_same_v<T, core::User>) {
          replace(tenant.users);
        } else if constexpr (std::is_same_v<T, core::Group>) {
          replace(tenant.groups);
        } else if constexpr (std::is_same_v<T, core::DeploymentProfile>) {
          replace(tenant.deployment_profiles);
        } else if constexpr (std::is_same_v<T, core::EspProfile>) {
          replace(tenant.esp_profiles);
        } else if constexpr (std::is_same_v<T, core::App>) {
          replace(tenant.apps);
        } else if constexpr (std::is_same_v<T, core::App>) {
          if (value.display_name.empty()) return Invalid("displayName", "must not be empty");
          return core::CheckAppKind(value);
        } else if constexpr (std::is_same_v<T, core::Policy>) {
          replace(tenant.policies);
        } else if constexpr (std::is_same_v<T, core::CertificateProfile>) {
          replace(tenant.certificates);
        } else if constexpr (std::is_same_v<T, core::NetworkProfile>) {
          replace(tenant.network_profiles);
        } else if constexpr (std::is_same_v<T, core::CompliancePolicy>) {
          replace(tenant.compliance_policies);
        } else {
          replace(tenant.assignments);
        }
      },
      resource);
}

template <class Items>
void EraseId(Items& items, const std::string& id) {
  std::erase_if(items, [&](const auto& item) { return item.id.value() == id; });
}

void Remove(core::Tenant& tenant, ResourceKind kind, const std::string& id) {
  switch (kind) {
    case ResourceKind::kTenant:
      break;
    case ResourceKind::kUser:
      EraseId(tenant.users, id);
      break;
    case ResourceKind::kGroup:
      EraseId(tenant.groups, id);
      break;
    case ResourceKind::kDeploymentProfile:
      EraseId(tenant.deployment_profiles, id);
      break;
    case ResourceKind::kEspProfile:
      EraseId(tenant.esp_profiles, id);
      break;
    case ResourceKind::kApp:
      EraseId(tenant.apps, id);
      break;
    case ResourceKind::kPolicy:
      EraseId(tenant.policies, id);
      break;
    case ResourceKind::kCertificateProfile:
      EraseId(tenant.certificates, id);
      break;
    case ResourceKind::kNetworkProfile:
      EraseId(tenant.network_profiles, id);
      break;
    case ResourceKind::kCompliancePolicy:
      EraseId(tenant.compliance_policies, id);
      break;
    case ResourceKind::kAssignment:
      EraseId(tenant.assignments, id);
      break;
  }
}

// The index a use case compiled for the tenant it wrote, and the generation it wrote it at;
// published to the catalog once the transaction committed.
struct Compiled {
  int64_t generation = 0;
  std::shared_ptr<const core::TargetingIndex> index;

  // Compiles `tenant` (kInvalidArgument naming what is wrong) and reads the generation after
  // this use case's writes. REQUIRES: inside the transaction, after the writes.
  Status Build(store::Store& store, core::Tenant tenant) {
    SortById(tenant);
    Result<std::shared_ptr<const core::TargetingIndex>> compiled = Compile(std::move(tenant));
    if (!compiled) return compiled.error();
    Result<int64_t> at = store.resources().Generation();
    if (!at) return at.error();
    generation = *at;
    index = std::move(*compiled);
    return Ok{};
  }
  void PublishTo(Catalog& catalog) {
    if (index) catalog.Publish(generation, std::move(index));
  }
};

// A deb app's package from its .deb (ReadDebPackage); content that is not on the server is
// refused as apply refuses it.
Status ReadDebPackageOnServer(AnyResource& resource, const ContentStore& content) {
  auto* app = std::get_if<core::App>(&resource);
  if (app == nullptr) return Ok{};
  Status read = ReadDebPackage(*app, content);
  if (read || read.error().code != ErrorCode::kNotFound) return read;
  return Invalid("content.sha256", fmt::format("no content {} on the server: upload it first (PUT "
                                               "/v1/content/{{sha256}})",
                                               app->content.sha256));
}

// What is stored must load again after a restart (a resource that does not takes its tenant
// down): kInvalidArgument naming the field the stored body fails on.
Status CheckReadsBack(const store::Resource& row) {
  ResourceRecord record;
  record.value = row;
  Result<AnyResource> loaded = Load(record);
  if (loaded) return Ok{};
  return MakeError(
      ErrorCode::kInvalidArgument,
      fmt::format("the resource would not read back once stored: {}", loaded.error().message),
      loaded.error().field);
}

}  // namespace

Status ValidateResource(const AnyResource& resource, const core::TenantSettings& settings) {
  if (Status s = CheckLimits(resource); !s) return s;
  return std::visit(
      [&](const auto& value) -> Status {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, core::TenantSettings>) {
          if (value.organization_name.empty()) {
            return Invalid("organizationName", "must not be empty");
          }
          if (value.domain.empty() || value.domain.find('.') == std::string::npos) {
            return Invalid("domain", "must be a domain name such as contoso.com");
          }
          if (value.device_join_limit < 1) return Invalid("deviceJoinLimit", "must be at least 1");
          // That mfaGroupIds name existing groups is checked with the whole tenant (Compile).
          if (value.mfa_requirement == core::MfaRequirement::kSelectedGroups &&
              value.mfa_groups.empty()) {
            return Invalid("mfaGroupIds",
                           "name at least one group when mfaRequirement is selectedGroups");
          }
          return Ok{};
        } else if constexpr (std::is_same_v<T, core::User>) {
          if (!core::IsPlausibleUserPrincipalName(value.user_principal_name)) {
            return Invalid("userPrincipalName", "must look like name@domain");
          }
          if (!HasDomain(settings, value.user_principal_name)) {
            return Invalid(
                "userPrincipalName",
                fmt::format("the domain is not one of the tenant's ({})", settings.domain));
          }
          return Ok{};
        } else if constexpr (std::is_same_v<T, core::Group>) {
          if (value.display_name.empty()) return Invalid("displayName", "must not be empty");
          return ValidateGroup(value);
        } else if constexpr (std::is_same_v<T, core::DeploymentProfile>) {
          if (value.display_name.empty() || value.display_name.size() > 200) {
            return Invalid("displayName", "must have 1 to 200 characters");
          }
          if (value.description.size() > 1500) {
            return Invalid("description", "must have at most 1500 characters");
          }
          if (!value.device_name_template.empty()) {
            Result<core::NameTemplate> parsed = core::ParseNameTemplate(value.device_name_template);
            if (!parsed) {
              return MakeError(ErrorCode::kInvalidArgument,
                               "deviceNameTemplate: " + parsed.error().message,
                               "deviceNameTemplate");
            }
          }
          return Ok{};
        } else if constexpr (std::is_same_v<T, core::EspProfile>) {
          if (value.display_name.empty()) return Invalid("displayName", "must not be empty");
          if (value.selected_mobile_app_ids.size() >
              static_cast<size_t>(core::kMaxSelectedBlockingApps)) {
            return Invalid("selectedMobileAppIds",
                           fmt::format("at most {} blocking apps", core::kMaxSelectedBlockingApps));
          }
          if (value.custom_error_message.size() > core::kMaxCustomErrorMessageLength) {
            return Invalid("customErrorMessage", fmt::format("at most {} characters",
                                                             core::kMaxCustomErrorMessageLength));
          }
          if (value.is_default && !value.assignments.empty()) {
            return Invalid("assignments",
                           "the default ESP profile applies to everyone; it has "
                           "no assignments");
          }
          return Ok{};
        } else if constexpr (std::is_same_v<T, core::Assignment>) {
          if (value.payload_id.empty()) return Invalid("payloadId", "must not be empty");
          return Ok{};
        } else if constexpr (std::is_same_v<T, core::App>) {
          if (value.display_name.empty()) return Invalid("displayName", "must not be empty");
          return core::CheckAppKind(value);
        } else if constexpr (std::is_same_v<T, core::Policy>) {
          if (value.display_name.empty()) return Invalid("displayName", "must not be empty");
          return ValidatePolicySettings(value.settings_json);
        } else {
          if (value.display_name.empty()) return Invalid("displayName", "must not be empty");
          return Ok{};
        }
      },
      resource);
}

Status Audit(store::Store& store, const Actor& actor, core::Timestamp at, std::string_view action,
             std::string_view kind, std::string_view id, std::string_view name,
             std::string detail) {
  store::AuditEntry entry;
  entry.at = at;
  entry.actor = actor.name;
  entry.action = std::string(action);
  entry.resource_kind = std::string(kind);
  entry.resource_id = std::string(id);
  entry.resource_name = std::string(name);
  entry.detail = std::move(detail);
  Result<store::AuditEntry> appended = store.audit().Append(entry);
  if (!appended) return appended.error();
  return Ok{};
}

Result<boost::json::object> CatalogService::Get(ResourceKind kind, std::string_view id) {
  Result<ResourceRecord> record = store_.resources().Get(kind, id);
  if (!record) return record.error();
  return ToJson(*record);
}

Result<store::Page<boost::json::object>> CatalogService::List(ResourceKind kind,
                                                              const store::PageRequest& page) {
  Result<store::Page<ResourceRecord>> records = store_.resources().List(kind, page);
  if (!records) return records.error();
  store::Page<boost::json::object> out;
  out.next_after = records->next_after;
  out.items.reserve(records->items.size());
  for (const ResourceRecord& record : records->items) out.items.push_back(ToJson(record));
  return out;
}

Result<boost::json::object> CatalogService::Problems() {
  Result<std::vector<CatalogProblem>> problems = catalog_.Problems();
  if (!problems) return problems.error();
  boost::json::array value;
  for (const CatalogProblem& problem : *problems) {
    boost::json::object item{{"kind", store::ToString(problem.kind)},
                             {"id", problem.id},
                             {"name", problem.name},
                             {"reason", problem.reason}};
    if (problem.kind != ResourceKind::kNetworkProfile) {
      if (Result<ResourceRecord> record = store_.resources().Get(problem.kind, problem.id)) {
        item["storedBody"] = record->value.body;
      }
    }
    value.push_back(std::move(item));
  }
  return boost::json::object{{"value", std::move(value)}};
}

Result<boost::json::object> CatalogService::Create(const Actor& actor, ResourceKind kind,
                                                   const boost::json::value& json) {
  if (Status s = RequireAdmin(actor); !s) return s.error();
  if (kind == ResourceKind::kTenant) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the tenant is created by `groundcrew init`; change it with PATCH /v1/tenant");
  }
  AnyResource resource = DefaultResource(kind);
  if (Status s = DecodeOnto(json, resource); !s) return s.error();
  if (Status s = ReadDebPackageOnServer(resource, content_); !s) return s.error();
  SetId(resource, identity::RandomUuid());
  const core::Timestamp now = clock_();
  ResourceRecord stored;
  Compiled compiled;
  Status done = store_.Transact([&]() -> Status {
    Result<core::Tenant> tenant = catalog_.TenantForUpdate();
    if (!tenant) return tenant.error();
    if (Status s = ValidateResource(resource, tenant->settings); !s) return s;
    store::Resource row{kind, IdOf(resource), NameOf(resource), StoredBody(resource), now, now};
    if (Status s = CheckReadsBack(row); !s) return s;
    Result<ResourceRecord> created = store_.resources().Create(row);
    if (!created) return created.error();
    SetBookkeeping(resource, *created);
    Upsert(*tenant, resource);
    if (Status s = compiled.Build(store_, std::move(*tenant)); !s) return s;
    stored = std::move(*created);
    return Audit(store_, actor, now, "create", store::ToString(kind), stored.value.id,
                 stored.value.name);
  });
  if (!done) return done.error();
  compiled.PublishTo(catalog_);
  return ToJson(stored);
}

Result<boost::json::object> CatalogService::Update(const Actor& actor, ResourceKind kind,
                                                   std::string_view id,
                                                   const boost::json::value& patch,
                                                   std::optional<int64_t> if_match) {
  if (Status s = RequireAdmin(actor); !s) return s.error();
  const core::Timestamp now = clock_();
  ResourceRecord stored;
  Compiled compiled;
  Status done = store_.Transact([&]() -> Status {
    Result<ResourceRecord> current = store_.resources().Get(kind, id);
    if (!current) return current.error();
    if (if_match && *if_match != current->version) {
      return MakeError(ErrorCode::kAborted,
                       fmt::format("{} {} is at version {}, not {}; read it again and retry",
                                   store::ToString(kind), id, current->version, *if_match),
                       "If-Match");
    }
    Result<AnyResource> resource = Load(*current);
    if (!resource) return resource.error();
    if (auto* app = std::get_if<core::App>(&*resource); app && app->kind == core::AppKind::kDeb) {
      // Read again from the .deb, which the patch may replace.
      app->package_name.clear();
      app->package_version.clear();
    }
    if (Status s = DecodeOnto(patch, *resource); !s) return s;
    if (Status s = ReadDebPackageOnServer(*resource, content_); !s) return s;
    SetId(*resource, current->value.id);
    Result<core::Tenant> tenant = catalog_.TenantForUpdate();
    if (!tenant) return tenant.error();
    const core::TenantSettings& settings = kind == ResourceKind::kTenant
                                               ? std::get<core::TenantSettings>(*resource)
                                               : tenant->settings;
    if (Status s = ValidateResource(*resource, settings); !s) return s;
    store::Resource row = current->value;
    row.name = NameOf(*resource);
    row.body = StoredBody(*resource);
    if (Status s = CheckReadsBack(row); !s) return s;
    if (row.body == current->value.body) {  // nothing changed: no new version, no audit entry
      stored = std::move(*current);
      return Ok{};
    }
    row.last_modified_date_time = now;
    Result<ResourceRecord> updated = store_.resources().Update(row, current->version);
    if (!updated) return updated.error();
    SetBookkeeping(*resource, *updated);
    Upsert(*tenant, *resource);
    if (Status s = compiled.Build(store_, std::move(*tenant)); !s) return s;
    stored = std::move(*updated);
    return Audit(store_, actor, now, "update", store::ToString(kind), stored.value.id,
                 stored.value.name, boost::json::serialize(patch));
  });
  if (!done) return done.error();
  compiled.PublishTo(catalog_);
  return ToJson(stored);
}

Status CatalogService::Delete(const Actor& actor, ResourceKind kind, std::string_view id,
                              std::optional<int64_t> if_match) {
  if (Status s = RequireAdmin(actor); !s) return s;
  if (kind == ResourceKind::kTenant) {
    return MakeError(ErrorCode::kFailedPrecondition, "the tenant cannot be deleted");
  }
  const core::Timestamp now = clock_();
  Compiled compiled;
  Status done = store_.Transact([&]() -> Status {
    Result<ResourceRecord> current = store_.resources().Get(kind, id);
    if (!current) return current.error();
    const int64_t version = if_match.value_or(current->version);
    Result<core::Tenant> tenant = catalog_.TenantForUpdate();
    if (!tenant) return tenant.error();
    if (std::vector<std::string> users = core::ReferencesTo(*tenant, current->value.id);
        !users.empty()) {
      std::string list;
      for (const std::string& user : users) list += (list.empty() ? "" : "; ") + user;
      return MakeError(ErrorCode::kFailedPrecondition,
                       fmt::format("{} \"{}\" is still used by {}: delete or change {} first",
                                   store::ToString(kind), current->value.name, list,
                                   users.size() == 1 ? "it" : "them"));
    }
    Remove(*tenant, kind, current->value.id);
    if (Status s = store_.resources().Delete(kind, id, version); !s) return s;
    if (kind == ResourceKind::kUser) {  // a user's sign-in secrets go with the user
      if (Status s = store_.user_credentials().Delete(current->value.id); !s) return s;
      if (Result<int64_t> revoked = store_.tokens().RevokeForSubject(current->value.id, clock_());
          !revoked) {
        return revoked.error();
      }
    }
    if (Status s = compiled.Build(store_, std::move(*tenant)); !s) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       fmt::format("{} \"{}\" is still in use: {} ({}); remove that first",
                                   store::ToString(kind), current->value.name, s.error().message,
                                   s.error().field));
    }
    return Audit(store_, actor, now, "delete", store::ToString(kind), current->value.id,
                 current->value.name);
  });
  if (!done) return done;
  compiled.PublishTo(catalog_);
  return Ok{};
}

}  // namespace groundcrew::service

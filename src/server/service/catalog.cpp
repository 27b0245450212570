#include "server/service/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "server/service/resource_model.hpp"

namespace groundcrew::service {

using store::ResourceKind;

Result<core::Tenant> LoadTenant(store::ResourceStore& resources) {
  core::Tenant tenant;
  for (int k = 0; k <= static_cast<int>(ResourceKind::kAssignment); ++k) {
    Result<std::vector<store::ResourceRecord>> records =
        resources.ListAll(static_cast<ResourceKind>(k));
    if (!records) return records.error();
    for (const store::ResourceRecord& record : *records) {
      Result<AnyResource> resource = Load(record);
      if (!resource) return resource.error();
      AddTo(tenant, std::move(*resource));
    }
  }
  return tenant;
}

namespace {
template <class Items>
void ById(Items& items) {
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.id.value() < b.id.value(); });
}
}  // namespace

void SortById(core::Tenant& tenant) {
  ById(tenant.users);
  ById(tenant.groups);
  ById(tenant.deployment_profiles);
  ById(tenant.esp_profiles);
  ById(tenant.apps);
  ById(tenant.policies);
  ById(tenant.certificates);
  ById(tenant.network_profiles);
  ById(tenant.compliance_policies);
  ById(tenant.assignments);
}

Result<std::shared_ptr<const core::TargetingIndex>> Compile(core::Tenant tenant) {
  std::unordered_set<std::string> group_ids;
  for (const core::Group& group : tenant.groups) group_ids.insert(group.id.value());
  const std::vector<core::GroupId>& mfa_groups = tenant.settings.mfa_groups;
  for (size_t i = 0; i < mfa_groups.size(); ++i) {
    if (!group_ids.contains(mfa_groups[i].value())) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("the tenant's mfaGroupIds names an unknown group \"{}\"",
                                   mfa_groups[i].value()),
                       fmt::format("mfaGroupIds[{}]", i));
    }
  }
  std::unordered_set<std::string> app_ids;
  for (const core::App& app : tenant.apps) app_ids.insert(app.id.value());
  for (const core::App& app : tenant.apps) {
    for (size_t i = 0; i < app.dependencies.size(); ++i) {
      if (!app_ids.contains(app.dependencies[i].app_id.value())) {
        return MakeError(ErrorCode::kInvalidArgument,
                         fmt::format("app \"{}\" depends on an unknown app \"{}\"",
                                     app.display_name, app.dependencies[i].app_id.value()),
                         fmt::format("apps[{}].dependencies[{}].appId", app.display_name, i));
      }
    }
  }
  int default_esp = 0;
  for (const core::EspProfile& esp : tenant.esp_profiles) {
    default_esp += esp.is_default ? 1 : 0;
    for (size_t i = 0; i < esp.selected_mobile_app_ids.size(); ++i) {
      if (!app_ids.contains(esp.selected_mobile_app_ids[i].value())) {
        return MakeError(
            ErrorCode::kInvalidArgument,
            fmt::format("ESP profile \"{}\" blocks on an unknown app \"{}\"", esp.display_name,
                        esp.selected_mobile_app_ids[i].value()),
            fmt::format("espProfiles[{}].selectedMobileAppIds[{}]", esp.display_name, i));
      }
    }
  }
  if (default_esp > 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "only one ESP profile may be the default (isDefault)", "isDefault");
  }
  int default_profiles = 0;
  for (const core::DeploymentProfile& profile : tenant.deployment_profiles) {
    default_profiles += profile.is_tenant_default ? 1 : 0;
  }
  if (default_profiles > 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "only one deployment profile may be the tenant default (isTenantDefault)",
                     "isTenantDefault");
  }
  return core::TargetingIndex::Build(std::move(tenant));
}

Result<std::shared_ptr<const Snapshot>> Catalog::Current() {
  Result<int64_t> generation = store_.resources().Generation();
  if (!generation) return generation.error();
  {
    std::lock_guard lock(mutex_);
    if (cached_ && cached_->generation == *generation) return cached_;
  }
  // Load and compile under one transaction so the generation matches what was read.
  std::shared_ptr<Snapshot> fresh;
  Status loaded = store_.Transact([&]() -> Status {
    Result<int64_t> at = store_.resources().Generation();
    if (!at) return at.error();
    Result<core::Tenant> tenant = LoadTenant(store_.resources());
    if (!tenant) return tenant.error();
    Result<std::shared_ptr<const core::TargetingIndex>> index = Compile(std::move(*tenant));
    if (!index) {
      return MakeError(ErrorCode::kInternal,
                       "the stored catalog does not compile: " + index.error().message);
    }
    fresh = std::make_shared<Snapshot>(Snapshot{*at, std::move(*index)});
    return Ok{};
  });
  if (!loaded) return loaded.error();
  std::lock_guard lock(mutex_);
  if (!cached_ || cached_->generation < fresh->generation) cached_ = fresh;
  return std::shared_ptr<const Snapshot>(fresh);
}

Result<core::Tenant> Catalog::TenantForUpdate() {
  Result<int64_t> generation = store_.resources().Generation();
  if (!generation) return generation.error();
  {
    std::lock_guard lock(mutex_);
    if (cached_ && cached_->generation == *generation) return cached_->tenant();
  }
  return LoadTenant(store_.resources());
}

void Catalog::Publish(int64_t generation, std::shared_ptr<const core::TargetingIndex> index) {
  std::lock_guard lock(mutex_);
  if (cached_ && cached_->generation >= generation) return;
  cached_ = std::make_shared<Snapshot>(Snapshot{generation, std::move(index)});
}

}  // namespace groundcrew::service

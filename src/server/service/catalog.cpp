#include "server/service/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <unordered_set>

#include "core/rules/rule.hpp"
#include "server/service/resource_model.hpp"

namespace groundcrew::service {

using store::ResourceKind;

namespace {

using Skipped = std::unordered_set<std::string>;  // "kind/id" of the resources left out

std::string KeyOf(ResourceKind kind, std::string_view id) {
  return fmt::format("{}/{}", store::ToString(kind), id);
}

// The first target naming a group left out, or nullptr.
const core::AssignmentTarget* SkippedTarget(const std::vector<core::AssignmentTarget>& targets,
                                            const Skipped& skipped) {
  for (const core::AssignmentTarget& target : targets) {
    const bool names_group =
        target.kind == core::TargetKind::kGroup || target.kind == core::TargetKind::kExclusionGroup;
    if (names_group && skipped.contains(KeyOf(ResourceKind::kGroup, target.group_id.value()))) {
      return &target;
    }
  }
  return nullptr;
}

// Removes from `items` each one `refers(item)` names a left-out resource for (the text says
// which), reporting it; true when any was removed.
template <class Items, class Refers>
bool LeaveOut(Items& items, ResourceKind kind, Skipped& skipped,
              std::vector<CatalogProblem>& problems, Refers refers) {
  bool removed = false;
  std::erase_if(items, [&](const auto& item) {
    const std::string reference = refers(item);
    if (reference.empty()) return false;
    skipped.insert(KeyOf(kind, item.id.value()));
    problems.push_back({kind, item.id.value(), NameOf(AnyResource(item)),
                        fmt::format("refers to {}, which was left out", reference)});
    removed = true;
    return true;
  });
  return removed;
}

// Leaves out, until nothing changes, what refers to a resource left out.
void LeaveOutDependents(core::Tenant& tenant, Skipped& skipped,
                        std::vector<CatalogProblem>& problems) {
  const auto group = [](const core::AssignmentTarget* target) {
    return target == nullptr ? std::string() : fmt::format("group {}", target->group_id.value());
  };
  for (bool changed = true; changed;) {
    changed = false;
    changed |= LeaveOut(tenant.assignments, ResourceKind::kAssignment, skipped, problems,
                        [&](const core::Assignment& a) {
                          const ResourceKind payload = KindOfPayload(a.payload_kind);
                          if (skipped.contains(KeyOf(payload, a.payload_id))) {
                            return fmt::format("{} {}", store::ToString(payload), a.payload_id);
                          }
                          return group(SkippedTarget({a.target}, skipped));
                        });
    changed |=
        LeaveOut(tenant.apps, ResourceKind::kApp, skipped, problems, [&](const core::App& app) {
          for (const core::AppDependency& d : app.dependencies) {
            if (skipped.contains(KeyOf(ResourceKind::kApp, d.app_id.value()))) {
              return fmt::format("app {}", d.app_id.value());
            }
          }
          return std::string();
        });
    changed |= LeaveOut(tenant.esp_profiles, ResourceKind::kEspProfile, skipped, problems,
                        [&](const core::EspProfile& esp) {
                          for (const core::AppId& app : esp.selected_mobile_app_ids) {
                            if (skipped.contains(KeyOf(ResourceKind::kApp, app.value()))) {
                              return fmt::format("app {}", app.value());
                            }
                          }
                          return group(SkippedTarget(esp.assignments, skipped));
                        });
    changed |= LeaveOut(tenant.deployment_profiles, ResourceKind::kDeploymentProfile, skipped,
                        problems, [&](const core::DeploymentProfile& profile) {
                          return group(SkippedTarget(profile.assignments, skipped));
                        });
  }
  std::erase_if(tenant.settings.mfa_groups, [&](const core::GroupId& id) {
    return skipped.contains(KeyOf(ResourceKind::kGroup, id.value()));
  });
}

}  // namespace

Result<LoadedTenant> LoadTenant(store::ResourceStore& resources, bool check_rules) {
  LoadedTenant loaded;
  Skipped skipped;
  for (int k = 0; k <= static_cast<int>(ResourceKind::kAssignment); ++k) {
    Result<std::vector<store::ResourceRecord>> records =
        resources.ListAll(static_cast<ResourceKind>(k));
    if (!records) return records.error();
    for (const store::ResourceRecord& record : *records) {
      Result<AnyResource> resource = Load(record);
      if (resource && check_rules) {
        // A stored rule that no longer compiles fails the whole tenant's compilation.
        const auto* group = std::get_if<core::Group>(&*resource);
        if (group != nullptr && group->membership_kind == core::MembershipKind::kDynamic) {
          if (auto rule = core::rules::CompileRule(group->membership_rule); !rule) {
            resource = MakeError(
                ErrorCode::kInternal,
                fmt::format("the stored membershipRule does not compile: {}", rule.error().message),
                "membershipRule");
          }
        }
      }
      if (!resource) {
        skipped.insert(KeyOf(record.value.kind, record.value.id));
        loaded.problems.push_back(
            {record.value.kind, record.value.id, record.value.name, resource.error().message});
        continue;
      }
      AddTo(loaded.tenant, std::move(*resource));
    }
  }
  if (!skipped.empty()) LeaveOutDependents(loaded.tenant, skipped, loaded.problems);
  std::sort(loaded.problems.begin(), loaded.problems.end(),
            [](const CatalogProblem& a, const CatalogProblem& b) {
              return std::tie(a.kind, a.id) < std::tie(b.kind, b.id);
            });
  return loaded;
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
    Result<LoadedTenant> loaded = LoadTenant(store_.resources());
    if (!loaded) return loaded.error();
    Result<std::shared_ptr<const core::TargetingIndex>> index = Compile(std::move(loaded->tenant));
    if (!index) {  // perhaps a stored rule this version no longer compiles: leave those out
      loaded = LoadTenant(store_.resources(), /*check_rules=*/true);
      if (!loaded) return loaded.error();
      index = Compile(std::move(loaded->tenant));
    }
    if (!index) {
      return MakeError(ErrorCode::kInternal,
                       "the stored catalog does not compile: " + index.error().message);
    }
    fresh =
        std::make_shared<Snapshot>(Snapshot{*at, std::move(*index), std::move(loaded->problems)});
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
  Result<LoadedTenant> loaded = LoadTenant(store_.resources());
  if (!loaded) return loaded.error();
  return std::move(loaded->tenant);
}

void Catalog::Forget() {
  std::lock_guard lock(mutex_);
  cached_.reset();
}

Result<std::vector<CatalogProblem>> Catalog::Problems() {
  Result<std::shared_ptr<const Snapshot>> snapshot = Current();
  if (!snapshot) return snapshot.error();
  return (*snapshot)->problems;
}

void Catalog::Publish(int64_t generation, std::shared_ptr<const core::TargetingIndex> index) {
  std::lock_guard lock(mutex_);
  if (cached_ && cached_->generation >= generation) return;
  // Only a snapshot without problems is carried forward: `index` was compiled from a tenant
  // that left out what the store holds but cannot read, and the next read must report that as
  // stored then (after this use case perhaps deleted some of it), so it loads again.
  if (!cached_ || !cached_->problems.empty()) {
    cached_.reset();
    return;
  }
  cached_ = std::make_shared<Snapshot>(Snapshot{generation, std::move(index), {}});
}

}  // namespace groundcrew::service

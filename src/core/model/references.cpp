#include "core/model/references.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace groundcrew::core {
namespace {

template <class Items>
std::string NameOf(const Items& items, std::string_view id) {
  for (const auto& item : items) {
    if (item.id.value() == id) return item.display_name;
  }
  return std::string(id);
}

std::string PayloadWord(PayloadKind kind) {
  switch (kind) {
    case PayloadKind::kApp:
      return "app";
    case PayloadKind::kPolicy:
      return "policy";
    case PayloadKind::kCertificate:
      return "certificate profile";
    case PayloadKind::kNetwork:
      return "network profile";
    case PayloadKind::kCompliance:
      return "compliance policy";
  }
  return "payload";
}

std::string PayloadName(const Tenant& tenant, const Assignment& assignment) {
  const std::string_view id = assignment.payload_id;
  switch (assignment.payload_kind) {
    case PayloadKind::kApp:
      return NameOf(tenant.apps, id);
    case PayloadKind::kPolicy:
      return NameOf(tenant.policies, id);
    case PayloadKind::kCertificate:
      return NameOf(tenant.certificates, id);
    case PayloadKind::kNetwork:
      return NameOf(tenant.network_profiles, id);
    case PayloadKind::kCompliance:
      return NameOf(tenant.compliance_policies, id);
  }
  return std::string(id);
}

std::string TargetWords(const Tenant& tenant, const AssignmentTarget& target) {
  switch (target.kind) {
    case TargetKind::kGroup:
      return fmt::format("group \"{}\"", NameOf(tenant.groups, target.group_id.value()));
    case TargetKind::kExclusionGroup:
      return fmt::format("all but group \"{}\"", NameOf(tenant.groups, target.group_id.value()));
    case TargetKind::kAllDevices:
      return "all devices";
    case TargetKind::kAllLicensedUsers:
      return "all users";
  }
  return "a target";
}

bool Targets(const std::vector<AssignmentTarget>& targets, std::string_view group_id) {
  return std::any_of(targets.begin(), targets.end(), [&](const AssignmentTarget& t) {
    return t.group_id.value() == group_id &&
           (t.kind == TargetKind::kGroup || t.kind == TargetKind::kExclusionGroup);
  });
}

bool Lists(const std::vector<GroupId>& groups, std::string_view id) {
  return std::any_of(groups.begin(), groups.end(),
                     [&](const GroupId& group) { return group.value() == id; });
}

}  // namespace

std::vector<std::string> ReferencesTo(const Tenant& tenant, std::string_view id) {
  std::vector<std::string> out;
  const TenantSettings& settings = tenant.settings;
  if (Lists(settings.mdm_user_scope_groups, id)) out.push_back("the tenant's MDM user scope");
  if (Lists(settings.device_join_groups, id)) out.push_back("the tenant's device join groups");
  if (Lists(settings.mfa_groups, id)) out.push_back("the tenant's MFA groups");
  for (const DeploymentProfile& profile : tenant.deployment_profiles) {
    if (Targets(profile.assignments, id)) {
      out.push_back(
          fmt::format("deployment profile \"{}\" (assigned to it)", profile.display_name));
    }
  }
  for (const EspProfile& profile : tenant.esp_profiles) {
    if (Targets(profile.assignments, id)) {
      out.push_back(fmt::format("ESP profile \"{}\" (assigned to it)", profile.display_name));
    }
    for (const AppId& app : profile.selected_mobile_app_ids) {
      if (app.value() == id) {
        out.push_back(fmt::format("ESP profile \"{}\" (a blocking app)", profile.display_name));
      }
    }
  }
  for (const App& app : tenant.apps) {
    for (const AppDependency& dependency : app.dependencies) {
      if (dependency.app_id.value() == id) {
        out.push_back(fmt::format("app \"{}\" (a dependency)", app.display_name));
      }
    }
  }
  for (const Assignment& assignment : tenant.assignments) {
    const bool payload = assignment.payload_id == id;
    const bool group = (assignment.target.kind == TargetKind::kGroup ||
                        assignment.target.kind == TargetKind::kExclusionGroup) &&
                       assignment.target.group_id.value() == id;
    if (!payload && !group) continue;
    out.push_back(fmt::format("the assignment of {} \"{}\" to {} ({})",
                              PayloadWord(assignment.payload_kind), PayloadName(tenant, assignment),
                              TargetWords(tenant, assignment.target), assignment.id.value()));
  }
  return out;
}

}  // namespace groundcrew::core

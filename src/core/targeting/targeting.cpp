#include "core/targeting/targeting.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <unordered_map>

#include "common/text.hpp"
#include "core/rules/rule.hpp"
#include "core/rules/rule_set.hpp"
#include "core/rules/subject.hpp"

namespace groundcrew::core {
namespace {

constexpr size_t kPayloadKinds = 5;

size_t KindSlot(PayloadKind kind) { return static_cast<size_t>(kind); }

int IntentRank(InstallIntent intent) {
  switch (intent) {
    case InstallIntent::kAvailable:
      return 1;
    case InstallIntent::kUninstall:
      return 2;
    case InstallIntent::kRequired:
      return 3;
  }
  return 0;
}

InstallIntent IntentOfRank(int rank) {
  return rank == 3   ? InstallIntent::kRequired
         : rank == 2 ? InstallIntent::kUninstall
                     : InstallIntent::kAvailable;
}

bool Contains(const GroupSet& set, uint32_t group) {
  return std::binary_search(set.begin(), set.end(), group);
}

// A profile's targets, resolved to group indexes.
struct ProfileTargets {
  std::vector<uint32_t> include_groups, exclude_groups;
  bool all_devices = false;
  bool all_users = false;
};

enum class Side { kNone, kDevice, kUser };

// Which side a profile reaches the subject from: the device side wins over the user side;
// any matching exclusion removes the profile.
Side Reach(const ProfileTargets& targets, const GroupSet& device_groups,
           const GroupSet* user_groups) {
  for (uint32_t g : targets.exclude_groups) {
    if (Contains(device_groups, g) || (user_groups && Contains(*user_groups, g)))
      return Side::kNone;
  }
  if (targets.all_devices) return Side::kDevice;
  for (uint32_t g : targets.include_groups) {
    if (Contains(device_groups, g)) return Side::kDevice;
  }
  if (user_groups == nullptr) return Side::kNone;
  if (targets.all_users) return Side::kUser;
  for (uint32_t g : targets.include_groups) {
    if (Contains(*user_groups, g)) return Side::kUser;
  }
  return Side::kNone;
}

// One payload assignment with its payload resolved to an index.
struct CompiledAssignment {
  PayloadKind kind;
  uint32_t payload;
  InstallIntent intent;
};

// Per-payload accumulator used while resolving one subject.
struct Accumulator {
  int device_rank = 0;
  int user_rank = 0;
  bool excluded = false;
  bool touched = false;
};

}  // namespace

struct TargetingIndex::Impl {
  std::unordered_map<std::string, uint32_t> group_by_id;
  // Assigned groups by member id (device object ids and user ids share the map: ids are GUIDs).
  std::unordered_map<std::string, std::vector<uint32_t>> assigned_groups_by_member;
  // Dynamic rules; the second pass holds rules over memberOf, evaluated after the first.
  rules::RuleSet device_rules, device_rules_member_of, user_rules, user_rules_member_of;

  std::vector<std::vector<CompiledAssignment>> includes_by_group, excludes_by_group;
  std::vector<CompiledAssignment> all_devices, all_users;
  std::array<size_t, kPayloadKinds> payload_counts{};

  std::vector<ProfileTargets> deployment_targets;  // parallel to tenant.deployment_profiles
  std::vector<uint32_t> deployment_by_age;         // indexes, oldest first
  std::optional<uint32_t> default_deployment;
  std::vector<ProfileTargets> esp_targets;  // parallel to tenant.esp_profiles
  std::vector<uint32_t> esp_by_priority;    // non-default, highest priority first
  std::optional<uint32_t> default_esp;

  std::unordered_map<std::string, uint32_t> user_by_upn;  // folded UPN
  std::unordered_map<std::string, uint32_t> app_by_id;
};

TargetingIndex::TargetingIndex(Tenant tenant, std::unique_ptr<Impl> impl)
    : tenant_(std::move(tenant)), impl_(std::move(impl)) {}

TargetingIndex::~TargetingIndex() = default;

namespace {

template <class Items>
std::unordered_map<std::string, uint32_t> IndexById(const Items& items) {
  std::unordered_map<std::string, uint32_t> map;
  map.reserve(items.size());
  for (uint32_t i = 0; i < items.size(); ++i) map.emplace(items[i].id.value(), i);
  return map;
}

Result<ProfileTargets> ResolveTargets(const std::vector<AssignmentTarget>& targets,
                                      const std::unordered_map<std::string, uint32_t>& groups,
                                      const std::string& field) {
  ProfileTargets out;
  for (size_t i = 0; i < targets.size(); ++i) {
    const AssignmentTarget& target = targets[i];
    switch (target.kind) {
      case TargetKind::kAllDevices:
        out.all_devices = true;
        break;
      case TargetKind::kAllLicensedUsers:
        out.all_users = true;
        break;
      case TargetKind::kGroup:
      case TargetKind::kExclusionGroup: {
        auto it = groups.find(target.group_id.value());
        if (it == groups.end()) {
          return MakeError(ErrorCode::kInvalidArgument,
                           fmt::format("unknown group \"{}\"", target.group_id.value()),
                           fmt::format("{}.assignments[{}].target.groupId", field, i));
        }
        (target.kind == TargetKind::kGroup ? out.include_groups : out.exclude_groups)
            .push_back(it->second);
        break;
      }
    }
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const TargetingIndex>> TargetingIndex::Build(Tenant tenant) {
  auto impl = std::make_unique<Impl>();
  impl->group_by_id = IndexById(tenant.groups);

  std::vector<std::pair<uint32_t, rules::CompiledRule>> device_first, device_second, user_first,
      user_second;
  for (uint32_t g = 0; g < tenant.groups.size(); ++g) {
    const Group& group = tenant.groups[g];
    if (group.membership_kind == MembershipKind::kAssigned) {
      for (const std::string& member : group.members) {
        impl->assigned_groups_by_member[member].push_back(g);
      }
      continue;
    }
    if (group.rule_processing_paused) continue;
    auto rule = rules::CompileRule(group.membership_rule);
    if (!rule) {
      Error error = rule.error();
      error.field = fmt::format("groups[{}].membershipRule{}", group.display_name,
                                error.field.empty() ? "" : " " + error.field);
      return error;
    }
    const bool device = rule->object_type() == rules::ObjectType::kDevice;
    const uint8_t member_of_slot = device ? rules::SlotOf(rules::DeviceProperty::kMemberOf)
                                          : rules::SlotOf(rules::UserProperty::kMemberOf);
    const bool member_of = (rule->referenced_slots() >> member_of_slot) & 1;
    auto& bucket = device ? (member_of ? device_second : device_first)
                          : (member_of ? user_second : user_first);
    bucket.emplace_back(g, std::move(*rule));
  }
  impl->device_rules = rules::RuleSet(std::move(device_first));
  impl->device_rules_member_of = rules::RuleSet(std::move(device_second));
  impl->user_rules = rules::RuleSet(std::move(user_first));
  impl->user_rules_member_of = rules::RuleSet(std::move(user_second));

  // Payload ids by kind.
  std::array<std::unordered_map<std::string, uint32_t>, kPayloadKinds> payloads = {
      IndexById(tenant.apps), IndexById(tenant.policies), IndexById(tenant.certificates),
      IndexById(tenant.network_profiles), IndexById(tenant.compliance_policies)};
  impl->payload_counts = {tenant.apps.size(), tenant.policies.size(), tenant.certificates.size(),
                          tenant.network_profiles.size(), tenant.compliance_policies.size()};

  impl->includes_by_group.resize(tenant.groups.size());
  impl->excludes_by_group.resize(tenant.groups.size());
  for (size_t i = 0; i < tenant.assignments.size(); ++i) {
    const Assignment& assignment = tenant.assignments[i];
    const std::string field = fmt::format("assignments[{}]", i);
    const auto& by_id = payloads[KindSlot(assignment.payload_kind)];
    auto payload = by_id.find(assignment.payload_id);
    if (payload == by_id.end()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("unknown payload \"{}\"", assignment.payload_id),
                       field + ".payloadId");
    }
    const CompiledAssignment compiled{assignment.payload_kind, payload->second, assignment.intent};
    switch (assignment.target.kind) {
      case TargetKind::kAllDevices:
        impl->all_devices.push_back(compiled);
        break;
      case TargetKind::kAllLicensedUsers:
        impl->all_users.push_back(compiled);
        break;
      case TargetKind::kGroup:
      case TargetKind::kExclusionGroup: {
        auto group = impl->group_by_id.find(assignment.target.group_id.value());
        if (group == impl->group_by_id.end()) {
          return MakeError(ErrorCode::kInvalidArgument,
                           fmt::format("unknown group \"{}\"", assignment.target.group_id.value()),
                           field + ".target.groupId");
        }
        auto& lists = assignment.target.kind == TargetKind::kGroup ? impl->includes_by_group
                                                                   : impl->excludes_by_group;
        lists[group->second].push_back(compiled);
        break;
      }
    }
  }

  for (uint32_t p = 0; p < tenant.deployment_profiles.size(); ++p) {
    const DeploymentProfile& profile = tenant.deployment_profiles[p];
    auto targets = ResolveTargets(profile.assignments, impl->group_by_id,
                                  fmt::format("deploymentProfiles[{}]", profile.display_name));
    if (!targets) return targets.error();
    impl->deployment_targets.push_back(std::move(*targets));
    if (profile.is_tenant_default && !impl->default_deployment) impl->default_deployment = p;
    impl->deployment_by_age.push_back(p);
  }
  std::sort(impl->deployment_by_age.begin(), impl->deployment_by_age.end(),
            [&](uint32_t a, uint32_t b) {
              const auto& pa = tenant.deployment_profiles[a];
              const auto& pb = tenant.deployment_profiles[b];
              if (pa.created_date_time != pb.created_date_time) {
                return pa.created_date_time < pb.created_date_time;
              }
              return pa.id < pb.id;
            });

  for (uint32_t p = 0; p < tenant.esp_profiles.size(); ++p) {
    const EspProfile& profile = tenant.esp_profiles[p];
    auto targets = ResolveTargets(profile.assignments, impl->group_by_id,
                                  fmt::format("espProfiles[{}]", profile.display_name));
    if (!targets) return targets.error();
    impl->esp_targets.push_back(std::move(*targets));
    if (profile.is_default) {
      if (!impl->default_esp) impl->default_esp = p;
    } else {
      impl->esp_by_priority.push_back(p);
    }
  }
  std::sort(impl->esp_by_priority.begin(), impl->esp_by_priority.end(),
            [&](uint32_t a, uint32_t b) {
              const auto& pa = tenant.esp_profiles[a];
              const auto& pb = tenant.esp_profiles[b];
              if (pa.priority != pb.priority) return pa.priority < pb.priority;
              if (pa.created_date_time != pb.created_date_time) {
                return pa.created_date_time < pb.created_date_time;
              }
              return pa.id < pb.id;
            });

  for (uint32_t u = 0; u < tenant.users.size(); ++u) {
    impl->user_by_upn.emplace(text::ToLowerAscii(tenant.users[u].user_principal_name), u);
  }
  impl->app_by_id = IndexById(tenant.apps);

  std::shared_ptr<const TargetingIndex> index(
      new TargetingIndex(std::move(tenant), std::move(impl)));
  return index;
}

namespace {

// Adds the groups of both rule passes to `groups` (sorted, unique on return).
void CollectMemberships(const rules::RuleSet& first, const rules::RuleSet& second,
                        const std::vector<uint32_t>* assigned, const Tenant& tenant,
                        const auto& make_attributes, GroupSet& groups) {
  if (assigned != nullptr) groups.insert(groups.end(), assigned->begin(), assigned->end());
  {
    const auto attributes = make_attributes(std::span<const std::string>{});
    first.Match(attributes.subject(), groups);
  }
  if (!second.empty()) {
    std::vector<std::string> member_of;
    member_of.reserve(groups.size());
    for (uint32_t g : groups) member_of.push_back(tenant.groups[g].id.value());
    const auto attributes = make_attributes(std::span<const std::string>(member_of));
    second.Match(attributes.subject(), groups);
  }
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
}

}  // namespace

GroupSet TargetingIndex::DeviceGroups(const DirectoryDevice& device) const {
  GroupSet groups;
  auto assigned = impl_->assigned_groups_by_member.find(device.id.value());
  CollectMemberships(
      impl_->device_rules, impl_->device_rules_member_of,
      assigned == impl_->assigned_groups_by_member.end() ? nullptr : &assigned->second, tenant_,
      [&](std::span<const std::string> member_of) {
        return rules::DeviceAttributes(device, member_of);
      },
      groups);
  return groups;
}

GroupSet TargetingIndex::UserGroups(const User& user) const {
  GroupSet groups;
  auto assigned = impl_->assigned_groups_by_member.find(user.id.value());
  CollectMemberships(
      impl_->user_rules, impl_->user_rules_member_of,
      assigned == impl_->assigned_groups_by_member.end() ? nullptr : &assigned->second, tenant_,
      [&](std::span<const std::string> member_of) {
        return rules::UserAttributes(user, member_of);
      },
      groups);
  return groups;
}

std::vector<Targeted> TargetingIndex::Resolve(const GroupSet& device_groups,
                                              const GroupSet* user_groups) const {
  std::array<std::vector<Accumulator>, kPayloadKinds> acc;
  for (size_t k = 0; k < kPayloadKinds; ++k) acc[k].resize(impl_->payload_counts[k]);
  std::vector<std::pair<PayloadKind, uint32_t>> touched;

  auto include = [&](const CompiledAssignment& a, TargetedVia via) {
    Accumulator& slot = acc[KindSlot(a.kind)][a.payload];
    int& rank = via == TargetedVia::kDevice ? slot.device_rank : slot.user_rank;
    rank = std::max(rank, IntentRank(a.intent));
    if (!slot.touched) {
      slot.touched = true;
      touched.emplace_back(a.kind, a.payload);
    }
  };
  auto exclude = [&](const CompiledAssignment& a) {
    acc[KindSlot(a.kind)][a.payload].excluded = true;
  };

  for (const auto& a : impl_->all_devices) include(a, TargetedVia::kDevice);
  for (uint32_t g : device_groups) {
    for (const auto& a : impl_->includes_by_group[g]) include(a, TargetedVia::kDevice);
    for (const auto& a : impl_->excludes_by_group[g]) exclude(a);
  }
  if (user_groups != nullptr) {
    for (const auto& a : impl_->all_users) include(a, TargetedVia::kUser);
    for (uint32_t g : *user_groups) {
      for (const auto& a : impl_->includes_by_group[g]) include(a, TargetedVia::kUser);
      for (const auto& a : impl_->excludes_by_group[g]) exclude(a);
    }
  }

  std::sort(touched.begin(), touched.end());
  std::vector<Targeted> out;
  out.reserve(touched.size());
  for (const auto& [kind, payload] : touched) {
    const Accumulator& slot = acc[KindSlot(kind)][payload];
    if (slot.excluded) continue;
    const int rank = std::max(slot.device_rank, slot.user_rank);
    const TargetedVia via = slot.device_rank == rank ? TargetedVia::kDevice : TargetedVia::kUser;
    out.push_back(Targeted{kind, payload, IntentOfRank(rank), via});
  }
  return out;
}

const DeploymentProfile* TargetingIndex::DeploymentProfileFor(const GroupSet& device_groups) const {
  for (uint32_t p : impl_->deployment_by_age) {
    if (Reach(impl_->deployment_targets[p], device_groups, nullptr) == Side::kDevice) {
      return &tenant_.deployment_profiles[p];
    }
  }
  if (!impl_->default_deployment) return nullptr;
  return &tenant_.deployment_profiles[*impl_->default_deployment];
}

const EspProfile* TargetingIndex::EspProfileFor(const GroupSet& device_groups,
                                                const GroupSet* user_groups) const {
  for (uint32_t p : impl_->esp_by_priority) {
    if (Reach(impl_->esp_targets[p], device_groups, nullptr) == Side::kDevice) {
      return &tenant_.esp_profiles[p];
    }
  }
  if (user_groups != nullptr) {
    for (uint32_t p : impl_->esp_by_priority) {
      if (Reach(impl_->esp_targets[p], device_groups, user_groups) == Side::kUser) {
        return &tenant_.esp_profiles[p];
      }
    }
  }
  if (!impl_->default_esp) return nullptr;
  return &tenant_.esp_profiles[*impl_->default_esp];
}

const User* TargetingIndex::FindUserByPrincipalName(std::string_view upn) const {
  auto it = impl_->user_by_upn.find(text::ToLowerAscii(upn));
  return it == impl_->user_by_upn.end() ? nullptr : &tenant_.users[it->second];
}

const App* TargetingIndex::FindApp(std::string_view id) const {
  auto it = impl_->app_by_id.find(std::string(id));
  return it == impl_->app_by_id.end() ? nullptr : &tenant_.apps[it->second];
}

std::optional<uint32_t> TargetingIndex::GroupIndex(std::string_view group_id) const {
  auto it = impl_->group_by_id.find(std::string(group_id));
  if (it == impl_->group_by_id.end()) return std::nullopt;
  return it->second;
}

bool TargetingIndex::TargetIncludes(const AssignmentTarget& target, const GroupSet& device_groups,
                                    const GroupSet* user_groups) const {
  switch (target.kind) {
    case TargetKind::kAllDevices:
      return true;
    case TargetKind::kAllLicensedUsers:
      return user_groups != nullptr;
    case TargetKind::kGroup:
    case TargetKind::kExclusionGroup: {
      auto g = GroupIndex(target.group_id.value());
      if (!g) return false;
      return Contains(device_groups, *g) || (user_groups && Contains(*user_groups, *g));
    }
  }
  return false;
}

}  // namespace groundcrew::core

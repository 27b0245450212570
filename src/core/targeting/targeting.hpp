#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/device.hpp"
#include "core/model/tenant.hpp"

// Targeting: which groups a device or user is in, and what is assigned to them.
namespace groundcrew::core {

/// Indexes of groups in `Tenant::groups`, ascending.
using GroupSet = std::vector<uint32_t>;

/// Where a payload reached the device from.
enum class TargetedVia {
  kDevice,  ///< a device group or All devices
  kUser,    ///< a user group or All licensed users
};

/// One payload that applies, with the intent that won and how it was targeted.
struct Targeted {
  PayloadKind kind = PayloadKind::kApp;
  uint32_t index = 0;  ///< into the Tenant vector of that kind (apps, policies, ...)
  InstallIntent intent = InstallIntent::kRequired;
  TargetedVia via = TargetedVia::kDevice;
  friend bool operator==(const Targeted&, const Targeted&) = default;
};

/// A tenant compiled for fast targeting: rules compiled and indexed, assignments grouped by
/// target. Immutable once built; safe to share between threads. Holds a copy of the tenant.
class TargetingIndex {
 public:
  /// Compiles every dynamic group's rule. kInvalidArgument names the group ("groups[<name>]
  /// .membershipRule") and the rule's error position; an assignment naming an unknown group or
  /// payload is refused the same way.
  [[nodiscard]] static Result<std::shared_ptr<const TargetingIndex>> Build(Tenant tenant);

  ~TargetingIndex();
  TargetingIndex(const TargetingIndex&) = delete;
  TargetingIndex& operator=(const TargetingIndex&) = delete;

  const Tenant& tenant() const { return tenant_; }

  /// Groups `device` belongs to: assigned groups listing its object id, and dynamic device
  /// groups whose rule matches (rules over `memberOf` see the groups found before them).
  GroupSet DeviceGroups(const DirectoryDevice& device) const;
  /// Groups `user` belongs to, likewise.
  GroupSet UserGroups(const User& user) const;

  /// Payloads that apply to a device in `device_groups` and, when given, a user in `user_groups`.
  /// Per payload: an exclusion matching the device or the user removes it whatever includes it
  /// ("exclusions win"); among the remaining intents required > uninstall > available; a payload
  /// reaching the device through a device target is reported kDevice even if the user also has it.
  std::vector<Targeted> Resolve(const GroupSet& device_groups, const GroupSet* user_groups) const;

  /// The deployment profile for a device: oldest created among those targeted at it (exclusions
  /// win), else the tenant default profile, else none.
  const DeploymentProfile* DeploymentProfileFor(const GroupSet& device_groups) const;

  /// The ESP profile: highest priority (1 first) targeted at the device, else (only when
  /// `user_groups` is given, i.e. never in the technician flow) at the user, else the default.
  /// Null only when the tenant has no default ESP profile and nothing targets.
  const EspProfile* EspProfileFor(const GroupSet& device_groups, const GroupSet* user_groups) const;

  /// Lookups by id (null when absent).
  const User* FindUserByPrincipalName(std::string_view upn) const;
  const App* FindApp(std::string_view id) const;
  std::optional<uint32_t> GroupIndex(std::string_view group_id) const;

  /// True when `target` includes a subject in `device_groups` / `user_groups`.
  bool TargetIncludes(const AssignmentTarget& target, const GroupSet& device_groups,
                      const GroupSet* user_groups) const;

 private:
  struct Impl;
  TargetingIndex(Tenant tenant, std::unique_ptr<Impl> impl);

  Tenant tenant_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace groundcrew::core

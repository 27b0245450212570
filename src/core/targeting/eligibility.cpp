#include "core/targeting/eligibility.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/text.hpp"

namespace groundcrew::core {
namespace {

bool InAnyGroup(const TargetingIndex& index, const std::vector<GroupId>& groups,
                const GroupSet& user_groups) {
  return std::any_of(groups.begin(), groups.end(), [&](const GroupId& id) {
    auto g = index.GroupIndex(id.value());
    return g && std::binary_search(user_groups.begin(), user_groups.end(), *g);
  });
}

}  // namespace

std::string_view ToString(SignInRefusal::Reason reason) {
  switch (reason) {
    case SignInRefusal::Reason::kNotAssignedUser:
      return "notAssignedUser";
    case SignInRefusal::Reason::kOutsideMdmScope:
      return "outsideMdmScope";
    case SignInRefusal::Reason::kJoinNotAllowed:
      return "joinNotAllowed";
    case SignInRefusal::Reason::kDisabled:
      return "disabled";
    case SignInRefusal::Reason::kUnlicensed:
      return "unlicensed";
  }
  return "unknown";
}

std::optional<SignInRefusal> CheckSignIn(const TargetingIndex& index,
                                         const AutopilotDeviceIdentity& registration,
                                         const User& user, const GroupSet& user_groups) {
  using Reason = SignInRefusal::Reason;
  const TenantSettings& tenant = index.tenant().settings;
  if (!registration.user_principal_name.empty() &&
      !text::EqualsIgnoreCase(registration.user_principal_name, user.user_principal_name)) {
    return SignInRefusal{Reason::kNotAssignedUser,
                         fmt::format("This device is assigned to {}. Sign in with that account.",
                                     registration.user_principal_name)};
  }
  if (!user.account_enabled) {
    return SignInRefusal{Reason::kDisabled,
                         fmt::format("The account {} is disabled. Contact your support person.",
                                     user.user_principal_name)};
  }
  if (!user.licensed) {
    return SignInRefusal{
        Reason::kUnlicensed,
        fmt::format("The account {} has no device management license, so this device cannot be "
                    "set up for it. Contact your support person.",
                    user.user_principal_name)};
  }
  const bool in_mdm_scope = tenant.mdm_user_scope == MdmUserScope::kAll ||
                            (tenant.mdm_user_scope == MdmUserScope::kSome &&
                             InAnyGroup(index, tenant.mdm_user_scope_groups, user_groups));
  if (!in_mdm_scope) {
    return SignInRefusal{
        Reason::kOutsideMdmScope,
        fmt::format("{} is not in the organization's device management scope. Contact your "
                    "support person.",
                    user.user_principal_name)};
  }
  const bool may_join =
      tenant.device_join_scope == DeviceJoinScope::kAll ||
      (tenant.device_join_scope == DeviceJoinScope::kSelected &&
       (std::find(tenant.device_join_users.begin(), tenant.device_join_users.end(), user.id) !=
            tenant.device_join_users.end() ||
        InAnyGroup(index, tenant.device_join_groups, user_groups)));
  if (!may_join) {
    return SignInRefusal{
        Reason::kJoinNotAllowed,
        fmt::format("{} is not allowed to join devices to {}. Contact your support person.",
                    user.user_principal_name, tenant.organization_name)};
  }
  return std::nullopt;
}

bool MfaRequiredFor(const TargetingIndex& index, const GroupSet& user_groups) {
  const TenantSettings& tenant = index.tenant().settings;
  switch (tenant.mfa_requirement) {
    case MfaRequirement::kAllUsers:
      return true;
    case MfaRequirement::kSelectedGroups:
      return InAnyGroup(index, tenant.mfa_groups, user_groups);
    case MfaRequirement::kNone:
      return false;
  }
  return true;  // an out-of-range value fails closed
}

}  // namespace groundcrew::core

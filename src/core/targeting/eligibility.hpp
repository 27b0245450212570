#pragma once

#include <optional>
#include <string>

#include "core/model/device.hpp"
#include "core/targeting/targeting.hpp"

namespace groundcrew::core {

/// Why a user may not sign in on a device's out-of-box flow. The agent shows `message`.
struct SignInRefusal {
  enum class Reason {
    kNotAssignedUser,  ///< the device is assigned to someone else
    kOutsideMdmScope,  ///< not covered by the tenant's MDM user scope
    kJoinNotAllowed,   ///< not allowed to join devices
    kDisabled,         ///< accountEnabled is false
    kUnlicensed,       ///< no management license: Account setup would never finish
  };
  Reason reason;
  std::string message;
};

std::string_view ToString(SignInRefusal::Reason reason);

/// Checks, in this order, whether `user` (in `user_groups`) may run the user flow on
/// `registration`: assigned user, disabled, unlicensed, MDM user scope, join permission.
/// Returns nullopt when the user may sign in.
std::optional<SignInRefusal> CheckSignIn(const TargetingIndex& index,
                                         const AutopilotDeviceIdentity& registration,
                                         const User& user, const GroupSet& user_groups);

/// Whether a user in `user_groups` (from index.UserGroups) must complete a second factor (TOTP)
/// at sign-in, by the tenant's mfa_requirement: always for kAllUsers, never for kNone, and for
/// kSelectedGroups iff the user is in at least one of mfa_groups (ids the index does not know
/// match nobody; the service refuses to store them). Pure: the caller decides what to do.
/// (Not named MfaRequired: that is the user flow's event, core/flow/user_flow.hpp.)
bool MfaRequiredFor(const TargetingIndex& index, const GroupSet& user_groups);

}  // namespace groundcrew::core

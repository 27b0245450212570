#pragma once

#include <string>
#include <vector>

#include "core/model/ids.hpp"

// Assignments: who a profile or payload is for (Graph `deviceAndAppManagementAssignmentTarget`
// and its subtypes) and, for payloads, what should happen (`installIntent`).
namespace groundcrew::core {

enum class TargetKind {
  kGroup,             ///< groupAssignmentTarget: members of `group_id`
  kExclusionGroup,    ///< exclusionGroupAssignmentTarget: never members of `group_id`
  kAllDevices,        ///< allDevicesAssignmentTarget
  kAllLicensedUsers,  ///< allLicensedUsersAssignmentTarget
};

struct AssignmentTarget {
  TargetKind kind = TargetKind::kGroup;
  GroupId group_id;  ///< for kGroup and kExclusionGroup

  friend bool operator==(const AssignmentTarget&, const AssignmentTarget&) = default;
};

/// Graph `installIntent`. For policies, certificates, network and compliance profiles only
/// kRequired is meaningful (they are applied when targeted).
enum class InstallIntent { kAvailable = 0, kRequired = 1, kUninstall = 2 };

enum class PayloadKind { kApp, kPolicy, kCertificate, kNetwork, kCompliance };

/// One assignment of one payload to one target.
struct Assignment {
  AssignmentId id;
  PayloadKind payload_kind = PayloadKind::kApp;
  std::string payload_id;  ///< id of the app, policy, certificate, network or compliance profile
  AssignmentTarget target;
  InstallIntent intent = InstallIntent::kRequired;
};

}  // namespace groundcrew::core

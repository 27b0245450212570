#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/model/ids.hpp"

// The directory: tenant settings, users and groups (Microsoft Entra's model, Graph names).
namespace groundcrew::core {

/// Which users are enrolled in management automatically when they join a device (Entra's
/// "MDM user scope"). kSome limits it to members of `mdm_user_scope_groups`.
enum class MdmUserScope { kNone, kSome, kAll };

/// Who must complete a second factor (TOTP) at sign-in. kSelectedGroups limits it to members of
/// `mfa_groups`; kNone requires it of nobody.
enum class MfaRequirement { kAllUsers, kSelectedGroups, kNone };

/// Who may join devices to the organization ("Users may join devices": All, Selected, None).
enum class DeviceJoinScope { kAll, kSelected, kNone };

struct TenantSettings {
  TenantId id;
  std::string organization_name;  ///< shown on the technician and sign-in screens
  std::string domain;             ///< primary verified domain, e.g. "contoso.com"
  std::vector<std::string> additional_domains;
  MdmUserScope mdm_user_scope = MdmUserScope::kAll;
  std::vector<GroupId> mdm_user_scope_groups;  ///< used when mdm_user_scope == kSome
  DeviceJoinScope device_join_scope = DeviceJoinScope::kAll;
  std::vector<UserId> device_join_users;    ///< used when device_join_scope == kSelected
  std::vector<GroupId> device_join_groups;  ///< used when device_join_scope == kSelected
  int device_join_limit = 50;               ///< Entra devices per user
  MfaRequirement mfa_requirement = MfaRequirement::kAllUsers;
  std::vector<GroupId> mfa_groups;  ///< used when mfa_requirement == kSelectedGroups
};

/// A person in the directory (Graph `user`). Only the attributes that rules, sign-in and
/// targeting read are modelled; credentials live in the identity module.
struct User {
  UserId id;
  std::string user_principal_name;  ///< userPrincipalName
  std::string display_name;         ///< displayName
  bool account_enabled = true;      ///< accountEnabled
  bool licensed = true;             ///< holds a management license (Intune's "licensed user")
  std::string given_name, surname, mail, mail_nickname, department, job_title, company_name;
  std::string city, state, country, usage_location, employee_id, user_type = "Member";
  std::string employee_hire_date;  ///< employeeHireDate, ISO 8601 or empty
  std::vector<std::string> other_mails, proxy_addresses;
  std::array<std::string, 15> extension_attributes;  ///< extensionAttribute1..15
  Timestamp created_date_time{};
};

enum class MembershipKind {
  kAssigned,  ///< members are added by hand
  kDynamic,   ///< members are computed from `membership_rule`
};

/// A security group (Graph `group`). Assigned groups may hold users and devices; a dynamic group
/// holds users or devices, as its rule says.
struct Group {
  GroupId id;
  std::string display_name;
  std::string description;
  MembershipKind membership_kind = MembershipKind::kAssigned;
  std::string membership_rule;          ///< membershipRule; Entra rule syntax; dynamic groups only
  bool rule_processing_paused = false;  ///< membershipRuleProcessingState == "Paused"
  /// Assigned members: directory device object ids and user ids, as strings.
  std::vector<std::string> members;
  Timestamp created_date_time{};
};

}  // namespace groundcrew::core

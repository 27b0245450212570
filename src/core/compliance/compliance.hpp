#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "core/model/payloads.hpp"
#include "core/targeting/targeting.hpp"

// Compliance: a device's facts checked against the compliance policies that apply to it.
namespace groundcrew::core {

/// What the agent reads from the device (src/device/executor/compliance_facts.hpp says where
/// from). Empty strings and unset optionals = not reported.
struct DeviceFacts {
  std::string os_id;       ///< os-release ID, e.g. "debian"
  std::string os_name;     ///< os-release NAME, e.g. "Debian GNU/Linux"
  std::string os_version;  ///< e.g. "12.7" (Debian: /etc/debian_version), else VERSION_ID
  std::optional<bool> storage_encrypted;  ///< the root file system sits on dm-crypt
  std::optional<bool> secure_boot_enabled;
  std::string secure_boot_note;  ///< why, when it says more than yes or no, e.g. "not EFI"
  std::optional<bool> firewall_active;
  std::string firewall_note;  ///< e.g. "table inet groundcrew not loaded"
  std::optional<bool> screen_lock_enabled;
  std::optional<int> screen_lock_idle_minutes;
  std::optional<bool> automatic_security_updates;
  std::optional<int> password_minimum_length;
};

/// Graph `complianceState` (the values groundcrew produces).
enum class ComplianceState { kUnknown, kCompliant, kNoncompliant };
std::string_view ToString(ComplianceState state);

struct ComplianceFinding {
  std::string policy;   ///< policy display name
  std::string setting;  ///< Graph setting name, e.g. "osMinimumVersion"
  std::string expected;
  std::string actual;  ///< "not reported" when the device did not say
};

struct ComplianceResult {
  ComplianceState state = ComplianceState::kUnknown;
  std::vector<ComplianceFinding> findings;  ///< why it is not compliant; empty when compliant
  std::string note;                         ///< e.g. why the state is unknown
};

/// Compares dotted numeric versions ("10.0.19045" < "10.0.22621"); missing parts count as 0
/// and non-numeric parts compare as text. Returns <0, 0 or >0. (App detection's fileVersion;
/// compliance compares OS versions in Debian's ordering.)
int CompareVersions(std::string_view a, std::string_view b);

/// The compliance policies assigned (required) to a device in `device_groups` and, when given,
/// its user in `user_groups`, exclusions winning; in tenant order.
std::vector<CompliancePolicy> CompliancePoliciesFor(const TargetingIndex& index,
                                                    const GroupSet& device_groups,
                                                    const GroupSet* user_groups);

inline constexpr int kMaxScreenLockIdleMinutes = 1440;
inline constexpr int kMaxPasswordMinimumLength = 127;

/// Whether `policy` can be checked: osName an os-release ID (lower-case letters, digits, '.',
/// '_' and '-'); osMinimumVersion and osMaximumVersion Debian versions, each needing osName
/// (versions of different distributions do not compare), minimum <= maximum;
/// screenLockMaximumIdleMinutes 1..kMaxScreenLockIdleMinutes and passwordMinimumLength
/// 1..kMaxPasswordMinimumLength when set.
/// kInvalidArgument with `field` the setting's JSON name and a message starting with it.
[[nodiscard]] Status ValidateCompliancePolicy(const CompliancePolicy& policy);

/// Checks every policy; each failing setting is a finding with what the policy expects and what
/// the device reported ("not reported" when it did not say, which fails the check). osName
/// compares with the os-release ID; the version bounds compare in Debian's version ordering
/// ("12.7" < "12.10") and are not checked when osName already failed (another distribution's
/// versions do not compare). screenLockMaximumIdleMinutes holds when the screen locks after at
/// most that many idle minutes. No policies means compliant.
ComplianceResult EvaluateCompliance(std::span<const CompliancePolicy> policies,
                                    const DeviceFacts& facts);

/// The state at the start of the user flow: compliance is reset (as Autopilot does) and
/// re-evaluated the moment the user flow completes (DESIGN.md §4.11).
ComplianceResult ResetAtUserFlowStart();

}  // namespace groundcrew::core

#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/model/payloads.hpp"
#include "core/targeting/targeting.hpp"

// Compliance: a device's facts checked against the compliance policies that apply to it.
namespace groundcrew::core {

/// What the agent reads from the device (ROOT/etc/os-release and friends). Unset = not reported.
struct DeviceFacts {
  std::string os_name;     ///< e.g. "Debian GNU/Linux"
  std::string os_version;  ///< dotted, e.g. "12.7"
  std::optional<bool> storage_encrypted;
  std::optional<bool> secure_boot_enabled;
  std::optional<bool> firewall_active;
  std::optional<bool> password_required;
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
/// and non-numeric parts compare as text. Returns <0, 0 or >0.
int CompareVersions(std::string_view a, std::string_view b);

/// The compliance policies assigned (required) to a device in `device_groups` and, when given,
/// its user in `user_groups`, exclusions winning; in tenant order.
std::vector<CompliancePolicy> CompliancePoliciesFor(const TargetingIndex& index,
                                                    const GroupSet& device_groups,
                                                    const GroupSet* user_groups);

/// Checks every policy; a setting the device did not report fails its check. No policies means
/// compliant.
ComplianceResult EvaluateCompliance(std::span<const CompliancePolicy> policies,
                                    const DeviceFacts& facts);

/// The state at the start of the user flow: compliance is reset (as Autopilot does) and
/// re-evaluated the moment the user flow completes (DESIGN.md §4.11).
ComplianceResult ResetAtUserFlowStart();

}  // namespace groundcrew::core

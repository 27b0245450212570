#include "core/compliance/compliance.hpp"

#include <fmt/format.h>

#include <charconv>
#include <utility>

#include "core/debian/debian_version.hpp"

namespace groundcrew::core {
namespace {

std::string_view NextPart(std::string_view& rest) {
  const size_t dot = rest.find('.');
  std::string_view part = rest.substr(0, dot);
  rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
  return part;
}

std::optional<unsigned long long> AsNumber(std::string_view part) {
  unsigned long long value = 0;
  auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
  if (ec != std::errc() || end != part.data() + part.size()) return std::nullopt;
  return value;
}

const char* YesNo(bool value) { return value ? "yes" : "no"; }

// What the device said about its screen lock's idle minutes, for a finding.
std::string IdleMinutesFound(const DeviceFacts& facts) {
  if (!facts.screen_lock_enabled) return "not reported";
  if (!*facts.screen_lock_enabled) return "never (screen lock off)";
  if (!facts.screen_lock_idle_minutes) return "not reported";
  return std::to_string(*facts.screen_lock_idle_minutes);
}

std::string Reported(const std::string& fact) { return fact.empty() ? "not reported" : fact; }

// os-release(5): "A lower-case string (no spaces or other characters outside of 0-9, a-z, '.',
// '_' and '-')".
bool IsOsReleaseId(std::string_view id) {
  for (const char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return !id.empty();
}

}  // namespace

std::string_view ToString(ComplianceState state) {
  switch (state) {
    case ComplianceState::kUnknown:
      return "unknown";
    case ComplianceState::kCompliant:
      return "compliant";
    case ComplianceState::kNoncompliant:
      return "noncompliant";
  }
  return "unknown";
}

int CompareVersions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    const std::string_view pa = NextPart(a), pb = NextPart(b);
    const auto na = pa.empty() ? std::optional<unsigned long long>(0) : AsNumber(pa);
    const auto nb = pb.empty() ? std::optional<unsigned long long>(0) : AsNumber(pb);
    if (na && nb) {
      if (*na != *nb) return *na < *nb ? -1 : 1;
    } else if (int c = pa.compare(pb); c != 0) {
      return c < 0 ? -1 : 1;
    }
  }
  return 0;
}

std::vector<CompliancePolicy> CompliancePoliciesFor(const TargetingIndex& index,
                                                    const GroupSet& device_groups,
                                                    const GroupSet* user_groups) {
  std::vector<CompliancePolicy> policies;
  for (const Targeted& t : index.Resolve(device_groups, user_groups)) {
    if (t.kind == PayloadKind::kCompliance && t.intent == InstallIntent::kRequired) {
      policies.push_back(index.tenant().compliance_policies[t.index]);
    }
  }
  return policies;
}

Status ValidateCompliancePolicy(const CompliancePolicy& policy) {
  auto invalid = [](std::string_view field, std::string reason) -> Status {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: {}", field, reason),
                     std::string(field));
  };
  if (!policy.os_name.empty() && !IsOsReleaseId(policy.os_name)) {
    return invalid("osName",
                   fmt::format("\"{}\" is not an os-release ID: lower-case letters, digits, '.', "
                               "'_' and '-', e.g. \"debian\"",
                               policy.os_name));
  }
  for (const auto& [field, version] : {std::pair{"osMinimumVersion", &policy.os_minimum_version},
                                       std::pair{"osMaximumVersion", &policy.os_maximum_version}}) {
    if (version->empty()) continue;
    if (Result<DebianVersion> parsed = ParseDebianVersion(*version); !parsed) {
      return invalid(field, fmt::format("\"{}\" is not a Debian version ({}), e.g. \"12.7\"",
                                        *version, parsed.error().message));
    }
    if (policy.os_name.empty()) {
      return invalid(field,
                     "needs osName, the distribution the version is of (e.g. \"debian\"): "
                     "versions of different distributions do not compare");
    }
  }
  if (!policy.os_minimum_version.empty() && !policy.os_maximum_version.empty() &&
      CompareDebianVersions(policy.os_minimum_version, policy.os_maximum_version) > 0) {
    return invalid("osMaximumVersion",
                   fmt::format("\"{}\" is lower than osMinimumVersion \"{}\"",
                               policy.os_maximum_version, policy.os_minimum_version));
  }
  auto in_range = [&](std::string_view field, const std::optional<int>& value, int low,
                      int high) -> Status {
    if (value && (*value < low || *value > high)) {
      return invalid(
          field, fmt::format("must be a whole number from {} to {}, found {}", low, high, *value));
    }
    return Ok{};
  };
  GC_RETURN_IF_ERROR(in_range("screenLockMaximumIdleMinutes",
                              policy.screen_lock_maximum_idle_minutes, 1,
                              kMaxScreenLockIdleMinutes));
  return in_range("passwordMinimumLength", policy.password_minimum_length, 1,
                  kMaxPasswordMinimumLength);
}

ComplianceResult EvaluateCompliance(std::span<const CompliancePolicy> policies,
                                    const DeviceFacts& facts) {
  ComplianceResult result;
  for (const CompliancePolicy& policy : policies) {
    auto fail = [&](const char* setting, std::string expected, std::string actual) {
      result.findings.push_back(
          {policy.display_name, setting, std::move(expected), std::move(actual)});
    };
    bool distribution_matches = true;
    if (!policy.os_name.empty() && facts.os_id != policy.os_name) {
      distribution_matches = false;
      fail("osName", policy.os_name, Reported(facts.os_id));
    }
    if (distribution_matches) {
      if (!policy.os_minimum_version.empty() &&
          (facts.os_version.empty() ||
           CompareDebianVersions(facts.os_version, policy.os_minimum_version) < 0)) {
        fail("osMinimumVersion", ">= " + policy.os_minimum_version, Reported(facts.os_version));
      }
      if (!policy.os_maximum_version.empty() &&
          (facts.os_version.empty() ||
           CompareDebianVersions(facts.os_version, policy.os_maximum_version) > 0)) {
        fail("osMaximumVersion", "<= " + policy.os_maximum_version, Reported(facts.os_version));
      }
    }
    auto require = [&](bool wanted, const char* setting, const std::optional<bool>& fact,
                       const std::string& note) {
      if (!wanted || fact.value_or(false)) return;
      std::string actual = fact ? YesNo(*fact) : "not reported";
      if (!note.empty()) actual += " (" + note + ")";
      fail(setting, "yes", std::move(actual));
    };
    auto at_least = [&](const std::optional<int>& wanted, const char* setting,
                        const std::optional<int>& fact) {
      if (!wanted || (fact && *fact >= *wanted)) return;
      fail(setting, fmt::format(">= {}", *wanted), fact ? std::to_string(*fact) : "not reported");
    };
    require(policy.storage_require_encryption, "storageRequireEncryption", facts.storage_encrypted,
            "");
    require(policy.secure_boot_enabled, "secureBootEnabled", facts.secure_boot_enabled,
            facts.secure_boot_note);
    require(policy.active_firewall_required, "activeFirewallRequired", facts.firewall_active,
            facts.firewall_note);
    require(policy.screen_lock_required, "screenLockRequired", facts.screen_lock_enabled, "");
    if (const std::optional<int>& most = policy.screen_lock_maximum_idle_minutes; most) {
      // A screen that never locks fails too, whatever its idle minutes say.
      const bool locks = facts.screen_lock_enabled.value_or(false);
      if (!locks || !facts.screen_lock_idle_minutes || *facts.screen_lock_idle_minutes > *most) {
        fail("screenLockMaximumIdleMinutes", fmt::format("<= {}", *most), IdleMinutesFound(facts));
      }
    }
    require(policy.automatic_security_updates_required, "automaticSecurityUpdatesRequired",
            facts.automatic_security_updates, "");
    at_least(policy.password_minimum_length, "passwordMinimumLength",
             facts.password_minimum_length);
  }
  result.state =
      result.findings.empty() ? ComplianceState::kCompliant : ComplianceState::kNoncompliant;
  return result;
}

ComplianceResult ResetAtUserFlowStart() {
  return {ComplianceState::kUnknown,
          {},
          "reset when the user flow started; evaluated again when it completes"};
}

}  // namespace groundcrew::core

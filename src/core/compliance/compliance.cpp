#include "core/compliance/compliance.hpp"

#include <fmt/format.h>

#include <charconv>

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

ComplianceResult EvaluateCompliance(std::span<const CompliancePolicy> policies,
                                    const DeviceFacts& facts) {
  ComplianceResult result;
  for (const CompliancePolicy& policy : policies) {
    auto fail = [&](const char* setting, std::string expected, std::string actual) {
      result.findings.push_back(
          {policy.display_name, setting, std::move(expected), std::move(actual)});
    };
    const std::string reported_version =
        facts.os_version.empty() ? "not reported" : facts.os_version;
    if (!policy.os_minimum_version.empty() &&
        (facts.os_version.empty() ||
         CompareVersions(facts.os_version, policy.os_minimum_version) < 0)) {
      fail("osMinimumVersion", ">= " + policy.os_minimum_version, reported_version);
    }
    if (!policy.os_maximum_version.empty() &&
        (facts.os_version.empty() ||
         CompareVersions(facts.os_version, policy.os_maximum_version) > 0)) {
      fail("osMaximumVersion", "<= " + policy.os_maximum_version, reported_version);
    }
    auto require = [&](bool wanted, const char* setting, const std::optional<bool>& fact) {
      if (!wanted || fact.value_or(false)) return;
      fail(setting, "yes", fact ? YesNo(*fact) : "not reported");
    };
    require(policy.storage_require_encryption, "storageRequireEncryption", facts.storage_encrypted);
    require(policy.secure_boot_enabled, "secureBootEnabled", facts.secure_boot_enabled);
    require(policy.active_firewall_required, "activeFirewallRequired", facts.firewall_active);
    require(policy.password_required, "passwordRequired", facts.password_required);
    if (policy.password_minimum_length &&
        facts.password_minimum_length.value_or(0) < *policy.password_minimum_length) {
      fail("passwordMinimumLength", fmt::format(">= {}", *policy.password_minimum_length),
           facts.password_minimum_length ? std::to_string(*facts.password_minimum_length)
                                         : "not reported");
    }
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

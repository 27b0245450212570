#pragma once

#include <string>
#include <vector>

#include "core/model/device.hpp"
#include "core/model/tenant.hpp"

// Synthetic tenants and fleets shaped like real Autopilot tenants, for benchmarks. Deterministic:
// the same arguments give the same data.
namespace groundcrew::bench {

/// Dynamic device rules of the kinds admins write, in these proportions: 93% group-tag rules
/// (`-any (_ -eq "[OrderID]:TagN")`), 1% all-Autopilot `-startsWith "[ZTDId]"`, 4% model or
/// manufacturer rules, 2% unindexable (`-match` ... `-or -not (... -contains ...)`).
std::vector<std::string> DeviceRules(int count);

/// `count` registered devices spread over `tags` group tags and 20 models.
std::vector<core::DirectoryDevice> Fleet(int count, int tags);

/// A tenant with `groups` dynamic device groups (rules from DeviceRules), and `assignments`
/// assignments of apps, policies, certificates and network profiles spread over them, plus a
/// default and a device-targeted ESP profile and deployment profile.
core::Tenant LargeTenant(int groups, int assignments);

}  // namespace groundcrew::bench

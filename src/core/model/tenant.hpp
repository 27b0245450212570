#pragma once

#include <vector>

#include "core/model/assignment.hpp"
#include "core/model/directory.hpp"
#include "core/model/payloads.hpp"
#include "core/model/profiles.hpp"

namespace groundcrew::core {

/// Everything targeting reads about one tenant, except its devices (there may be millions; they
/// are passed one at a time).
struct Tenant {
  TenantSettings settings;
  std::vector<User> users;
  std::vector<Group> groups;
  std::vector<DeploymentProfile> deployment_profiles;
  std::vector<EspProfile> esp_profiles;
  std::vector<App> apps;
  std::vector<Policy> policies;
  std::vector<CertificateProfile> certificates;
  std::vector<NetworkProfile> network_profiles;
  std::vector<CompliancePolicy> compliance_policies;
  std::vector<Assignment> assignments;
};

}  // namespace groundcrew::core

#include "bench/fixtures.hpp"

#include <fmt/format.h>

namespace groundcrew::bench {

std::vector<std::string> DeviceRules(int count) {
  std::vector<std::string> rules;
  rules.reserve(count);
  for (int i = 0; i < count; ++i) {
    const int kind = i % 100;
    if (kind < 93) {
      rules.push_back(
          fmt::format(R"((device.devicePhysicalIds -any (_ -eq "[OrderID]:Tag{}")))", i));
    } else if (kind == 93) {
      rules.push_back(R"((device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]")))");
    } else if (kind < 96) {
      rules.push_back(fmt::format(R"(device.deviceModel -eq "Model {}")", i % 20));
    } else if (kind < 98) {
      rules.push_back(fmt::format(
          R"(device.deviceManufacturer -eq "Contoso" -and device.deviceModel -startsWith "Model {}")",
          i % 20));
    } else {
      rules.push_back(fmt::format(
          R"(device.displayName -match "^LAB-{}" -or -not (device.deviceModel -contains "Model"))",
          i % 10));
    }
  }
  return rules;
}

std::vector<core::DirectoryDevice> Fleet(int count, int tags) {
  std::vector<core::DirectoryDevice> fleet(count);
  for (int i = 0; i < count; ++i) {
    core::DirectoryDevice& d = fleet[i];
    d.id = core::DirectoryObjectId{fmt::format("dev-{:08}", i)};
    d.display_name = fmt::format("CON-{:08}", i);
    d.manufacturer = i % 3 == 0 ? "Contoso" : "Fabrikam";
    d.model = fmt::format("Model {}", i % 20);
    d.device_physical_ids = {fmt::format("[ZTDId]:z{:08}", i),
                             fmt::format("[OrderID]:Tag{}", i % tags)};
  }
  return fleet;
}

core::Tenant LargeTenant(int groups, int assignments) {
  core::Tenant t;
  t.settings.organization_name = "Contoso";
  const auto rules = DeviceRules(groups);
  for (int g = 0; g < groups; ++g) {
    core::Group group;
    group.id = core::GroupId{fmt::format("g-{}", g)};
    group.display_name = group.id.value();
    group.membership_kind = core::MembershipKind::kDynamic;
    group.membership_rule = rules[g];
    t.groups.push_back(std::move(group));
  }
  const int payloads = std::max(1, assignments / 4);
  for (int p = 0; p < payloads; ++p) {
    core::App app;
    app.id = core::AppId{fmt::format("app-{}", p)};
    app.display_name = app.id.value();
    app.display_version = "1.0";
    app.installer_class = fmt::format("class-{}", p % 4);
    t.apps.push_back(std::move(app));
    core::Policy policy;
    policy.id = core::PolicyId{fmt::format("pol-{}", p)};
    policy.display_name = policy.id.value();
    t.policies.push_back(std::move(policy));
    core::CertificateProfile cert;
    cert.id = core::CertificateProfileId{fmt::format("cert-{}", p)};
    cert.display_name = cert.id.value();
    t.certificates.push_back(std::move(cert));
    core::NetworkProfile net;
    net.id = core::NetworkProfileId{fmt::format("net-{}", p)};
    net.display_name = net.id.value();
    t.network_profiles.push_back(std::move(net));
  }
  const core::PayloadKind kinds[] = {core::PayloadKind::kApp, core::PayloadKind::kPolicy,
                                     core::PayloadKind::kCertificate, core::PayloadKind::kNetwork};
  const char* prefixes[] = {"app", "pol", "cert", "net"};
  for (int a = 0; a < assignments; ++a) {
    core::Assignment assignment;
    const int kind = a % 4;
    assignment.payload_kind = kinds[kind];
    assignment.payload_id = fmt::format("{}-{}", prefixes[kind], (a / 4) % payloads);
    assignment.target = {a % 97 == 0 ? core::TargetKind::kExclusionGroup : core::TargetKind::kGroup,
                         core::GroupId{fmt::format("g-{}", a % groups)}};
    t.assignments.push_back(std::move(assignment));
  }
  core::EspProfile esp_default, esp;
  esp_default.id = core::EspProfileId{"esp-default"};
  esp_default.is_default = true;
  esp.id = core::EspProfileId{"esp-devices"};
  esp.priority = 1;
  esp.show_installation_progress = true;
  esp.assignments = {{core::TargetKind::kGroup, core::GroupId{"g-45"}}};
  t.esp_profiles = {esp_default, esp};
  core::DeploymentProfile profile;
  profile.id = core::DeploymentProfileId{"dp"};
  profile.is_tenant_default = true;
  profile.preprovisioning_allowed = true;
  t.deployment_profiles = {profile};
  return t;
}

}  // namespace groundcrew::bench

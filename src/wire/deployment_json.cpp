// The device API's deployment document and issued certificates (docs/device-api.md).
#include "wire/deployment_json.hpp"

#include <boost/json.hpp>

namespace groundcrew::wire {
namespace json = boost::json;

json::object Encode(const DeploymentPayloads& payloads) {
  json::array apps, policies, certificates, networks;
  for (const core::App& app : payloads.apps) apps.push_back(Encode(app));
  for (const core::Policy& policy : payloads.policies) policies.push_back(Encode(policy));
  for (const core::CertificateProfile& profile : payloads.certificate_profiles) {
    certificates.push_back(Encode(profile));
  }
  for (const core::NetworkProfile& profile : payloads.network_profiles) {
    networks.push_back(EncodeWithSecrets(profile));
  }
  return {{"apps", std::move(apps)},
          {"policies", std::move(policies)},
          {"certificateProfiles", std::move(certificates)},
          {"networkProfiles", std::move(networks)}};
}

json::object Encode(const DeploymentDocument& document) {
  json::array compliance;
  for (const core::CompliancePolicy& policy : document.compliance_policies) {
    compliance.push_back(Encode(policy));
  }
  json::object out;
  out["flow"] = core::ToString(document.flow);
  out["profile"] = document.profile ? json::value(Encode(*document.profile)) : json::value(nullptr);
  out["plan"] = Encode(document.plan);
  out["payloads"] = Encode(document.payloads);
  out["compliancePolicies"] = std::move(compliance);
  return out;
}

json::object Encode(const IssuedCertificate& issued) {
  return {{"certificate", issued.certificate},
          {"caCertificate", issued.ca_certificate},
          {"expirationDateTime", FormatTimestamp(issued.expires)}};
}

}  // namespace groundcrew::wire

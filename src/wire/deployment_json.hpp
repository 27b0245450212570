#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/esp/plan.hpp"
#include "core/flow/flow_common.hpp"
#include "core/model/ids.hpp"
#include "core/model/payloads.hpp"
#include "wire/model_json.hpp"

// What the device API answers a device running a flow (docs/device-api.md "Deployment" and
// "Certificates").
namespace groundcrew::wire {

/// The deployment document of one flow on one device.
struct DeploymentDocument {
  core::Flow flow = core::Flow::kTechnician;
  std::optional<core::ProfileInfo> profile;  ///< none when no deployment profile applies
  core::EspPlan plan;
  DeploymentPayloads payloads;  ///< exactly the payloads the plan's items name, each once
  std::vector<core::CompliancePolicy> compliance_policies;
};

/// {"apps", "policies", "certificateProfiles", "networkProfiles"}, each payload as Encode
/// writes it, network profiles WITH their pre-shared key (EncodeWithSecrets): for the one
/// device the plan is for, never for the admin API. The inverse of Decode(DeploymentPayloads).
boost::json::object Encode(const DeploymentPayloads& payloads);

/// {"flow", "profile" (Encode(ProfileInfo), null without one), "plan" (Encode(EspPlan)),
/// "payloads", "compliancePolicies"}.
boost::json::object Encode(const DeploymentDocument& document);

/// A certificate issued to a device for a certificate profile.
struct IssuedCertificate {
  std::string certificate;     ///< PEM
  std::string ca_certificate;  ///< PEM, the issuing CA
  core::Timestamp expires{};
};

/// {"certificate", "caCertificate", "expirationDateTime"}.
boost::json::object Encode(const IssuedCertificate& issued);

}  // namespace groundcrew::wire

#pragma once

#include <chrono>

#include "common/strong_id.hpp"

namespace groundcrew::core {

using TenantId = StrongId<struct TenantIdTag>;
using UserId = StrongId<struct UserIdTag>;
using GroupId = StrongId<struct GroupIdTag>;
/// The Autopilot registration id (Graph `windowsAutopilotDeviceIdentity.id`), a.k.a. ZtdId.
using ZtdId = StrongId<struct ZtdIdTag>;
/// The directory (Entra-style) device object's id (Graph `device.id`, rules' `objectId`).
using DirectoryObjectId = StrongId<struct DirectoryObjectIdTag>;
using DeploymentProfileId = StrongId<struct DeploymentProfileIdTag>;
using EspProfileId = StrongId<struct EspProfileIdTag>;
using AppId = StrongId<struct AppIdTag>;
using PolicyId = StrongId<struct PolicyIdTag>;
using CertificateProfileId = StrongId<struct CertificateProfileIdTag>;
using NetworkProfileId = StrongId<struct NetworkProfileIdTag>;
using CompliancePolicyId = StrongId<struct CompliancePolicyIdTag>;
using AssignmentId = StrongId<struct AssignmentIdTag>;

/// Wall-clock instants are passed in, never read: the core has no clock.
using Timestamp = std::chrono::sys_seconds;

}  // namespace groundcrew::core

#pragma once

#include <vector>

#include "core/esp/plan.hpp"

namespace groundcrew::core {

/// Findings that tell an admin, before any device boots, why a deployment would go wrong
/// (DESIGN.md §4.3): no or forbidding deployment profile, a user-only ESP profile, a blocking
/// list the technician flow ignores, a name template over 15 characters, a sign-in that would
/// be refused, unsatisfiable dependencies, settings out of range. `user` is the user to check
/// (the assigned user when null and the device has one). Errors first, then warnings, then info.
std::vector<PlanFinding> LintDeployment(const TargetingIndex& index,
                                        const AutopilotDeviceIdentity& registration,
                                        const DirectoryDevice& device, const User* user);

std::string_view ToString(PlanFinding::Severity severity);

}  // namespace groundcrew::core

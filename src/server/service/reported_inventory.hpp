#pragma once

#include <optional>
#include <vector>

#include "common/result.hpp"
#include "core/esp/plan.hpp"
#include "core/model/ids.hpp"
#include "server/store/store.hpp"

// The installed-state inventory a device reports when a flow ends (with its session's finish,
// docs/device-api.md "Sessions and events"), which the plan of its user flow starts from
// (docs/admin-api.md "The plan document").
namespace groundcrew::service {

/// Keeps `items` as the inventory the device of `session` had when the session's flow finished
/// at `finished`, replacing the one it reported before. REQUIRES: `session` is the caller's
/// (checked) and the call runs inside the caller's Transact.
[[nodiscard]] Status KeepReportedInventory(store::Store& store,
                                           const store::DeploymentSession& session,
                                           std::vector<core::InstalledItem> items,
                                           core::Timestamp finished);

/// What the user flow of a device is planned from: the inventory the device last reported
/// (`reported`), else a clean technician flow of `technician` (core::AssumedCleanTechnicianFlow).
std::vector<core::InstalledItem> UserFlowBasis(
    const std::optional<core::ReportedInventory>& reported, const core::EspPlan& technician);

}  // namespace groundcrew::service

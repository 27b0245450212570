#include "server/service/reported_inventory.hpp"

#include <utility>

namespace groundcrew::service {

Status KeepReportedInventory(store::Store& store, const store::DeploymentSession& session,
                             std::vector<core::InstalledItem> items, core::Timestamp finished) {
  core::ReportedInventory inventory;
  inventory.flow = session.flow == core::ToString(core::Flow::kUser) ? core::Flow::kUser
                                                                     : core::Flow::kTechnician;
  inventory.session_id = session.id;
  inventory.reported_date_time = finished;
  inventory.items = std::move(items);
  return store.inventories().Put(session.device_id, inventory);
}

std::vector<core::InstalledItem> UserFlowBasis(
    const std::optional<core::ReportedInventory>& reported, const core::EspPlan& technician) {
  return reported ? reported->items : core::AssumedCleanTechnicianFlow(technician);
}

}  // namespace groundcrew::service

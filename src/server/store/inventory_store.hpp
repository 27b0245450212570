#pragma once

#include <optional>
#include <string_view>

#include "common/result.hpp"
#include "core/esp/plan.hpp"

namespace groundcrew::store {

/// The latest installed-state inventory each registered device reported (at the end of a flow,
/// with its session's finish). At most one per device: a new report replaces the old one.
/// Deleting the device deletes it.
///
/// Thread-safety: implementations may be called from several threads at once.
class InventoryStore {
 public:
  virtual ~InventoryStore() = default;

  /// Nullopt when the device has reported none (or it was forgotten).
  [[nodiscard]] virtual Result<std::optional<core::ReportedInventory>> Find(
      std::string_view device_id) = 0;

  /// Stores `inventory` as the device's, replacing what it had, items in their order.
  /// kNotFound (field "deviceId") when no registered device has `device_id`.
  [[nodiscard]] virtual Status Put(std::string_view device_id,
                                   const core::ReportedInventory& inventory) = 0;

  /// Forgets the device's inventory (no error when there is none).
  [[nodiscard]] virtual Status Delete(std::string_view device_id) = 0;
};

}  // namespace groundcrew::store

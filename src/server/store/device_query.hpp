#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/device.hpp"
#include "core/model/ids.hpp"
#include "core/model/session.hpp"
#include "server/store/types.hpp"

// The console's device list (docs/admin-api.md "Listing devices"): search, filters, one sort key
// and keyset paging over the registrations with the summary of their latest deployment.
namespace groundcrew::store {

using core::DeploymentSummary;

/// The list's sort keys. Ties (equal names, equal times) are ordered by the device's id.
enum class DeviceOrder { kSerialNumber, kDeviceName, kLastDeploymentDateTime };

/// "serialNumber", "deviceName", "lastDeploymentDateTime".
std::string_view ToString(DeviceOrder order);
std::optional<DeviceOrder> ParseDeviceOrder(std::string_view text);

/// The largest page a query reads (the API asks at most 500 with `top`, 1000 with `limit`).
inline constexpr int kMaxDeviceQueryPage = kMaxPageSize;

/// One page of the console's list; empty fields do not filter.
struct DeviceQuery {
  /// Case-insensitive (ASCII) prefix of the serial number, device name (the registration's
  /// displayName), assigned user's UPN or group tag: a device matches when any of them starts
  /// with it.
  std::string search = {};
  std::string serial_number = {};  ///< exact, ASCII case-insensitive
  std::string group_tag = {};      ///< exact, ASCII case-insensitive
  std::optional<core::EnrollmentState> enrollment_state = {};
  /// DeploymentSummary::deployment_state, exact ("notStarted" selects devices without a session).
  std::string deployment_state = {};
  DeviceOrder order_by = DeviceOrder::kSerialNumber;
  bool descending = false;
  /// The previous page's cursor (EncodeDeviceCursor); "" = the first page.
  std::string after = {};
  int limit = 50;  ///< 1..kMaxDeviceQueryPage
};

/// A device of the list with its deployment summary.
struct DeviceRow {
  Versioned<core::AutopilotDeviceIdentity> device;
  DeploymentSummary summary;
};

/// Where a page ends, in the order it was read: the sort key's value and the device's id.
struct DeviceCursor {
  DeviceOrder order_by = DeviceOrder::kSerialNumber;
  bool descending = false;
  std::string text_key;  ///< kSerialNumber, kDeviceName
  int64_t time_key = 0;  ///< kLastDeploymentDateTime: Unix seconds, 0 = never deployed
  std::string id;
};

/// The cursor after `row` in the order of `query` (opaque: hex digits only, safe in a URL).
std::string EncodeDeviceCursor(const DeviceQuery& query, const DeviceRow& row);

/// Reads `query.after`. kInvalidArgument naming "after" when it is not a cursor this list
/// gave, or was given for another orderBy (the message says to start again without it).
[[nodiscard]] Result<DeviceCursor> DecodeDeviceCursor(const DeviceQuery& query);

/// kInvalidArgument naming "top" when `query.limit` is outside 1..kMaxDeviceQueryPage.
[[nodiscard]] Status CheckDeviceQueryLimit(const DeviceQuery& query);

}  // namespace groundcrew::store

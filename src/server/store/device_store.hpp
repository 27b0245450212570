#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/model/device.hpp"
#include "server/store/device_query.hpp"
#include "server/store/types.hpp"

namespace groundcrew::store {

using DeviceRecord = Versioned<core::AutopilotDeviceIdentity>;

/// Which registrations List returns; empty fields do not filter.
struct DeviceFilter {
  std::string serial_number = {};  ///< exact, ASCII case-insensitive
  std::string group_tag = {};      ///< exact, ASCII case-insensitive
  std::optional<core::EnrollmentState> enrollment_state = {};
  /// The state of the device's latest deployment session (SessionStore::LatestSessions), e.g.
  /// "failure"; devices without a session never match.
  std::string deployment_state = {};
};

/// Persistence for registered devices (Autopilot registrations, keyed by ZtdId). Serial numbers
/// (ASCII case-insensitively) and hardware hashes are unique within a store.
///
/// Thread-safety: implementations may be called from several threads at once.
class DeviceStore {
 public:
  virtual ~DeviceStore() = default;

  /// Stores new registrations, all or none (an import is one transaction). kAlreadyExists when
  /// an id, serial number or hardware hash is taken (by a stored device or another of `devices`);
  /// the message names the device. Returns the records as stored (version 1).
  [[nodiscard]] virtual Result<std::vector<DeviceRecord>> Insert(
      std::span<const core::AutopilotDeviceIdentity> devices) = 0;

  /// kNotFound when no device has `id`.
  [[nodiscard]] virtual Result<DeviceRecord> Get(const core::ZtdId& id) = 0;
  /// Nullopt when absent.
  [[nodiscard]] virtual Result<std::optional<DeviceRecord>> FindBySerialNumber(
      std::string_view serial_number) = 0;
  [[nodiscard]] virtual Result<std::optional<DeviceRecord>> FindByHardwareHash(
      std::string_view hardware_hash) = 0;

  /// Replaces the stored device if it still has `expected_version`; returns it with the next
  /// version. kAborted when another writer changed it first, kNotFound when it is gone,
  /// kAlreadyExists when the new serial number or hash is another device's.
  [[nodiscard]] virtual Result<DeviceRecord> Update(const core::AutopilotDeviceIdentity& device,
                                                    int64_t expected_version) = 0;

  /// Deletes the device if it still has `expected_version` (kAborted / kNotFound otherwise),
  /// with its deployment sessions and their events (session_store.hpp).
  [[nodiscard]] virtual Status Delete(const core::ZtdId& id, int64_t expected_version) = 0;

  /// Devices matching `filter` in id order. kInvalidArgument for a limit outside 1..kMaxPageSize.
  [[nodiscard]] virtual Result<Page<DeviceRecord>> List(const DeviceFilter& filter,
                                                        const PageRequest& page) = 0;

  /// The console's list: devices matching every filter of `query`, with their deployment
  /// summary, in `query.order_by` (then id) order, ascending or descending, starting after
  /// `query.after`; next_after is EncodeDeviceCursor of the page's last row when more follow.
  /// Each page is one keyset read: no count, no read of the pages before it. kInvalidArgument
  /// for a bad cursor (field "after", DecodeDeviceCursor) or limit (field "top").
  [[nodiscard]] virtual Result<Page<DeviceRow>> Query(const DeviceQuery& query) = 0;
};

}  // namespace groundcrew::store

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/model/device.hpp"
#include "core/model/ids.hpp"
#include "server/store/types.hpp"

namespace groundcrew::store {

/// What a registered device proved and was given: its directory join, its enrollment (the
/// certificate the tenant's CA signed) and its reseal. One per registered device; absent until
/// the device first joins. Deleting the device deletes it.
struct DeviceTrust {
  std::string device_id;            ///< the registration's ZtdId
  std::string directory_device_id;  ///< deviceId (GUID) of the joined directory object
  core::TrustType trust_type = core::TrustType::kNone;
  std::string display_name;  ///< the name the device was given at join
  std::optional<core::Timestamp> joined_date_time;
  std::string certificate_serial;  ///< 32 hex digits; "" until enrolled
  std::optional<core::Timestamp> certificate_expiration_date_time;
  std::optional<core::Timestamp> enrolled_date_time;
  std::optional<core::Timestamp> resealed_date_time;
  std::string primary_user_id;  ///< the user who last completed sign-in on it; "" when none
  core::Timestamp updated_date_time{};
};

using DeviceTrustRecord = Versioned<DeviceTrust>;

/// Persistence for device trust, keyed by device id, with optimistic versions.
///
/// Thread-safety: implementations may be called from several threads at once.
class DeviceTrustStore {
 public:
  virtual ~DeviceTrustStore() = default;

  /// Nullopt when the device has none.
  [[nodiscard]] virtual Result<std::optional<DeviceTrustRecord>> Find(
      std::string_view device_id) = 0;

  /// Stores `trust`. With `expected_version` empty it must be new (kAlreadyExists otherwise);
  /// with a version it replaces the stored one only if that is still its version (kAborted when
  /// another writer changed it, kNotFound when it is gone). kNotFound (field "deviceId") when no
  /// registered device has `trust.device_id`. Returns it as stored.
  [[nodiscard]] virtual Result<DeviceTrustRecord> Put(const DeviceTrust& trust,
                                                      std::optional<int64_t> expected_version) = 0;

  /// Removes the device's trust (no error when there is none).
  [[nodiscard]] virtual Status Delete(std::string_view device_id) = 0;
};

}  // namespace groundcrew::store

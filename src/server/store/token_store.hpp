#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/model/ids.hpp"

namespace groundcrew::store {

/// A token the service issued (never the token text: only its id and what it was for).
struct IssuedTokenRecord {
  std::string id;         ///< the token's jti
  std::string audience;   ///< "device" | "user"
  std::string subject;    ///< the device id or user id it was issued to
  std::string device_id;  ///< the device it was issued on (for user tokens too); "" when none
  core::Timestamp issued_date_time{};
  core::Timestamp expiration_date_time{};
  std::optional<core::Timestamp> revoked_date_time;
};

/// Which issued tokens are still good. A token id the store does not know counts as revoked, so
/// only tokens recorded at issue ever verify.
///
/// Thread-safety: implementations may be called from several threads at once.
class TokenStore {
 public:
  virtual ~TokenStore() = default;

  /// Records a token at issue (kAlreadyExists when the id is taken; kInvalidArgument, field "id",
  /// when it is empty).
  [[nodiscard]] virtual Status Record(const IssuedTokenRecord& token) = 0;

  /// True when the token is revoked or unknown.
  [[nodiscard]] virtual Result<bool> IsRevoked(std::string_view id) = 0;

  /// Nullopt when unknown.
  [[nodiscard]] virtual Result<std::optional<IssuedTokenRecord>> Find(std::string_view id) = 0;

  /// Revokes one token; false when it is unknown or already revoked (the first revocation time
  /// stays).
  [[nodiscard]] virtual Result<bool> Revoke(std::string_view id, core::Timestamp now) = 0;

  /// Revokes every unexpired (expiration_date_time > now), unrevoked token issued on `device_id`
  /// (its device tokens and the user tokens issued on it); returns how many. kInvalidArgument
  /// (field "deviceId") for "", which names no device (it must not reach every token issued on
  /// none).
  [[nodiscard]] virtual Result<int64_t> RevokeForDevice(std::string_view device_id,
                                                        core::Timestamp now) = 0;

  /// Revokes every unexpired (as above), unrevoked token whose subject is `subject` (e.g. a user
  /// after a password or MFA reset); returns how many. kInvalidArgument (field "subject") for "".
  [[nodiscard]] virtual Result<int64_t> RevokeForSubject(std::string_view subject,
                                                         core::Timestamp now) = 0;

  /// Forgets tokens that expired before `before` (expiration_date_time < before; they fail
  /// verification by their expiry anyway), revoked or not; returns how many.
  [[nodiscard]] virtual Result<int64_t> DeleteExpired(core::Timestamp before) = 0;
};

}  // namespace groundcrew::store

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/model/ids.hpp"

namespace groundcrew::store {

/// A short-lived, single-use challenge the service handed out and will check once: a nonce a
/// device must sign, or a pending sign-in waiting for its MFA code.
struct Challenge {
  std::string id;         ///< random, unguessable; the key
  std::string purpose;    ///< e.g. "deviceProof", "mfa"
  std::string subject;    ///< who it was issued for (a serial number, a user id)
  std::string device_id;  ///< the device it is bound to; "" when none
  std::string data;  ///< purpose-specific; may be SECRET (a TOTP seed being enrolled): never log
  int attempts = 0;  ///< wrong answers so far
  core::Timestamp expires_date_time{};
};

/// Persistence for challenges. Expired challenges are never returned by Find.
///
/// Thread-safety: implementations may be called from several threads at once.
class ChallengeStore {
 public:
  virtual ~ChallengeStore() = default;

  /// Stores a new challenge (kAlreadyExists when the id is taken; kInvalidArgument, field "id",
  /// when it is empty).
  [[nodiscard]] virtual Status Create(const Challenge& challenge) = 0;

  /// The challenge with `id` unless it expired at `now` (expires_date_time <= now); nullopt
  /// otherwise.
  [[nodiscard]] virtual Result<std::optional<Challenge>> Find(std::string_view id,
                                                              core::Timestamp now) = 0;

  /// Sets the attempts count (kNotFound when the challenge is gone).
  [[nodiscard]] virtual Status SetAttempts(std::string_view id, int attempts) = 0;

  /// Removes the challenge; true when it was there. Taking a challenge is Find then Delete in
  /// one transaction: of two callers racing, only one sees true.
  [[nodiscard]] virtual Result<bool> Delete(std::string_view id) = 0;

  /// Removes every challenge expired at `now`; returns how many.
  [[nodiscard]] virtual Result<int64_t> DeleteExpired(core::Timestamp now) = 0;
};

}  // namespace groundcrew::store

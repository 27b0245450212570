#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/ids.hpp"
#include "server/store/types.hpp"

namespace groundcrew::store {

/// What a user signs in with, kept apart from the catalog's user resource (whose JSON never
/// holds secrets). Secret at rest: the password hash and the TOTP secret; never logged.
struct UserCredential {
  std::string user_id;          ///< the catalog user's id
  std::string password_hash;    ///< argon2id string (identity/password.hpp); "" = no password
  std::string totp_secret;      ///< raw bytes; "" = MFA not enrolled
  int64_t totp_last_step = -1;  ///< the last accepted TOTP step (replay protection); -1 = none
  std::vector<core::Timestamp> recent_failures;  ///< sign-in failures inside the lockout window
  std::optional<core::Timestamp> locked_until;
  core::Timestamp updated_date_time{};
};

using UserCredentialRecord = Versioned<UserCredential>;

/// Persistence for user credentials, keyed by user id. Every change names the version it read
/// (optimistic concurrency), so two sign-ins racing on one TOTP step or one lockout count cannot
/// both win.
///
/// Thread-safety: implementations may be called from several threads at once.
class UserCredentialStore {
 public:
  virtual ~UserCredentialStore() = default;

  /// Nullopt when the user has no credential yet.
  [[nodiscard]] virtual Result<std::optional<UserCredentialRecord>> Find(
      std::string_view user_id) = 0;

  /// Stores `credential`. With `expected_version` empty it must be new (kAlreadyExists
  /// otherwise); with a version it replaces the stored one only if that is still its version
  /// (kAborted when another writer changed it, kNotFound when it is gone). Returns it as stored.
  [[nodiscard]] virtual Result<UserCredentialRecord> Put(
      const UserCredential& credential, std::optional<int64_t> expected_version) = 0;

  /// Removes the user's credential (no error when there is none).
  [[nodiscard]] virtual Status Delete(std::string_view user_id) = 0;
};

}  // namespace groundcrew::store

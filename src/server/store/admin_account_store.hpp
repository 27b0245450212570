#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/ids.hpp"
#include "server/store/credential_store.hpp"
#include "server/store/types.hpp"

// Admins as people (docs/security.md, "Console sessions"): named accounts that sign in to the
// console with a password and a TOTP code, and the sessions they hold.
namespace groundcrew::store {

/// A person who administers groundcrew. Secret at rest, as users' credentials
/// (user_credential_store.hpp): the password hash and the TOTP secret; never logged, never in
/// an error message or an audit entry.
struct AdminAccount {
  std::string name;  ///< 1-64 of [a-z0-9._-] (core::ValidateAdminName); unique; the audit actor
  CredentialRole role = CredentialRole::kReader;
  std::string password_hash;    ///< argon2id string (identity/password.hpp)
  std::string totp_secret;      ///< raw bytes
  int64_t totp_last_step = -1;  ///< the last accepted TOTP step (replay protection); -1 = none
  std::vector<core::Timestamp> recent_failures;  ///< sign-in failures inside the lockout window
  std::optional<core::Timestamp> locked_until;
  core::Timestamp created_date_time{};
  std::optional<core::Timestamp> last_sign_in_date_time;
};

using AdminAccountRecord = Versioned<AdminAccount>;

/// Persistence for admin accounts, keyed by name. Every change names the version it read
/// (optimistic concurrency), so two sign-ins racing on one TOTP step or one lockout count cannot
/// both win.
///
/// Thread-safety: implementations may be called from several threads at once.
class AdminAccountStore {
 public:
  virtual ~AdminAccountStore() = default;

  /// Stores a new account (version 1). kAlreadyExists (field "name") when the name is taken;
  /// kInvalidArgument (field "name") for an empty name.
  [[nodiscard]] virtual Result<AdminAccountRecord> Create(const AdminAccount& account) = 0;
  /// Nullopt when no account has this name.
  [[nodiscard]] virtual Result<std::optional<AdminAccountRecord>> Find(std::string_view name) = 0;
  /// Every account in name order.
  [[nodiscard]] virtual Result<std::vector<AdminAccount>> List() = 0;
  /// Replaces the account named `account.name` if `expected_version` is still its version
  /// (kAborted when another writer changed it, kNotFound (field "name") when it is gone).
  /// Returns it as stored.
  [[nodiscard]] virtual Result<AdminAccountRecord> Update(const AdminAccount& account,
                                                          int64_t expected_version) = 0;
  /// Removes the account and every console session of it. kNotFound (field "name") when absent.
  [[nodiscard]] virtual Status Delete(std::string_view name) = 0;
};

/// A signed-in admin's console session. Only the SHA-256 of its token (the cookie's value) is
/// stored; the CSRF token is stored as it is (the console reads it from GET /v1/session; alone,
/// without the cookie, it authenticates nothing).
struct ConsoleSession {
  std::string token_sha256;  ///< lower-case hex; unique
  std::string admin_name;
  std::string csrf_token;
  core::Timestamp created_date_time{};
  core::Timestamp idle_expires_date_time{};  ///< renewed by requests (core::RenewedIdleExpiry)
  core::Timestamp expires_date_time{};       ///< absolute; never renewed
};

/// Persistence for console sessions. A session belongs to an admin account and goes with it.
///
/// Thread-safety: implementations may be called from several threads at once.
class ConsoleSessionStore {
 public:
  virtual ~ConsoleSessionStore() = default;

  /// kAlreadyExists (field "tokenSha256"; the message never shows the hash) when the hash is
  /// taken; kNotFound (field "adminName") when no account has `admin_name`.
  [[nodiscard]] virtual Status Create(const ConsoleSession& session) = 0;
  /// Nullopt when no session has this token hash (expired ones are returned: the caller decides).
  [[nodiscard]] virtual Result<std::optional<ConsoleSession>> FindByTokenSha256(
      std::string_view token_sha256) = 0;
  /// Sets the idle expiry (kNotFound when the session is gone).
  [[nodiscard]] virtual Status SetIdleExpiry(std::string_view token_sha256,
                                             core::Timestamp idle_expires) = 0;
  /// Ends one session (no error when there is none).
  [[nodiscard]] virtual Status Delete(std::string_view token_sha256) = 0;
  /// Ends every session of the admin; returns how many there were.
  [[nodiscard]] virtual Result<int64_t> DeleteForAdmin(std::string_view admin_name) = 0;
  /// Removes the sessions that ended by `now` (idle or absolute expiry at or before it); returns
  /// how many.
  [[nodiscard]] virtual Result<int64_t> PurgeExpired(core::Timestamp now) = 0;
};

}  // namespace groundcrew::store

#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "core/access/console_session.hpp"
#include "identity/lockout.hpp"
#include "identity/password.hpp"
#include "server/service/context.hpp"
#include "server/service/throttle.hpp"
#include "server/store/store.hpp"

// Admins as people (docs/security.md, "Console sessions"): named accounts with a password
// (argon2id) and TOTP, managed by admins, who sign in to the console and hold a session there
// (a cookie) with idle and absolute expiry (core/access/console_session.hpp) and lockout as
// users have (the account's policy: SignInOptions::lockout).
//
// Secrets: passwords, TOTP secrets and codes and session tokens never appear in an error
// message, an audit entry or a log line. A wrong password and an unknown name get the same
// answer (identity::DummyVerifyPassword, and unknown names are counted toward a lock alike).
namespace groundcrew::service {

/// Prefix of a console session's token (the cookie's value), so that a leaked one is
/// recognisable.
inline constexpr std::string_view kConsoleSessionPrefix = "gcses_";

struct AdminOptions {
  /// When repeated failures lock an admin's sign-in: the users' account policy.
  identity::LockoutPolicy lockout;
  identity::PasswordHashCost password_cost = identity::kDefaultPasswordCost;
  /// Sign-ins' password hashes computed at once (each takes the cost's memory); 0: max(1,
  /// hardware threads / 2). A sign-in waits up to `password_hash_wait` for a slot, then is
  /// refused as busy (kUnavailable), so that a flood of sign-ins cannot exhaust memory.
  int concurrent_password_hashes = 0;
  std::chrono::milliseconds password_hash_wait{1000};
};

/// A new TOTP enrollment of an admin, handed over once. SECRET: both carry the seed.
struct AdminEnrollment {
  std::string name;
  store::CredentialRole role = store::CredentialRole::kReader;
  std::string totp_secret_base32;
  std::string otpauth_uri;
};

/// A live console session as the API shows it (GET /v1/session).
struct ConsoleSessionView {
  std::string name;
  store::CredentialRole role = store::CredentialRole::kReader;
  std::string csrf_token;
  core::Timestamp idle_expires_date_time{};
  core::Timestamp expires_date_time{};

  Actor actor() const { return Actor{name, role}; }
};

/// A sign-in's result: the session and its token (SECRET: the cookie's value, never stored).
struct SignedInSession {
  std::string token;
  ConsoleSessionView session;
};

class AdminService {
 public:
  AdminService(store::Store& store, Clock clock, AdminOptions options = {});

  /// Admin: a new admin account named `name` (core::ValidateAdminName) with `role` and
  /// `password` (identity::CheckPasswordPolicy, field "password"), and a fresh TOTP secret,
  /// returned once. Audited ("create", kind "admins"). kAlreadyExists (field "name") when an
  /// admin or an admin-API credential has the name (the audit log's actors stay unambiguous).
  [[nodiscard]] Result<AdminEnrollment> Add(const Actor& actor, std::string_view name,
                                            store::CredentialRole role, std::string_view password);
  /// Admin: every account in name order (the secrets are the caller's to leave out).
  [[nodiscard]] Result<std::vector<store::AdminAccount>> List(const Actor& actor);
  /// Admin: removes the account; its sessions end. Audited. kNotFound (field "name").
  [[nodiscard]] Status Remove(const Actor& actor, std::string_view name);
  /// Admin: a fresh TOTP secret for the account, returned once; its sessions end (the old
  /// authenticator may be lost). Audited ("resetMfa"). kNotFound (field "name").
  [[nodiscard]] Result<AdminEnrollment> ResetMfa(const Actor& actor, std::string_view name);
  /// Admin: clears the account's failures and lock. Audited. kNotFound (field "name").
  [[nodiscard]] Status Unlock(const Actor& actor, std::string_view name);

  /// Signs in with name, password and the current 6-digit TOTP code; a new console session.
  /// kPermissionDenied (field "name", saying until when) while the name is locked, checked
  /// before the password. kUnauthenticated (field "password") for a wrong name or password,
  /// (field "code") for a wrong, malformed or replayed code: each counts toward the lock
  /// (options().lockout). kInvalidArgument for a missing field. Audited ("signIn").
  [[nodiscard]] Result<SignedInSession> SignIn(std::string_view name, std::string_view password,
                                               std::string_view code);
  /// The live session whose token is `token`, its idle expiry renewed (core::RenewedIdleExpiry).
  /// kUnauthenticated (field "Cookie") when it is unknown, ended or expired (an expired one is
  /// removed).
  [[nodiscard]] Result<ConsoleSessionView> Resume(std::string_view token);
  /// Ends the session whose token is `token` (no error when there is none). Audited
  /// ("signOut") when there was one.
  [[nodiscard]] Status SignOut(std::string_view token);
  /// Removes the sessions that expired (at startup; Resume removes the others as it meets
  /// them). Returns how many.
  [[nodiscard]] Result<int64_t> PurgeExpired();

  /// kPermissionDenied (field "X-CSRF-Token") unless a cookie-authenticated request with
  /// `method` carries the session's CSRF token in `presented` (core::NeedsCsrfToken).
  [[nodiscard]] static Status CheckCsrf(const ConsoleSessionView& session, std::string_view method,
                                        std::string_view presented);

  const AdminOptions& options() const { return options_; }

 private:
  [[nodiscard]] Result<store::AdminAccountRecord> FindAccount(std::string_view name);
  /// Applies `change` to the stored account and stores it, reading again when another writer
  /// got there first (a few times).
  [[nodiscard]] Result<store::AdminAccount> Change(
      std::string_view name, const std::function<Status(store::AdminAccount&)>& change);
  /// Counts a failed sign-in of `name` (an account's or, for a name nobody has, in memory) and
  /// returns `refusal`.
  Error Failed(std::string_view name, bool known, Error refusal);
  [[nodiscard]] Result<AdminEnrollment> Enrollment(const store::AdminAccount& account,
                                                   const std::string& secret) const;

  store::Store& store_;
  Clock clock_;
  AdminOptions options_;
  WorkLimit password_hashes_;
  /// The failures of names nobody has, counted as an account's, so that a lock does not tell
  /// which names exist. At most kMaxUnknownNames (then forgotten all at once).
  static constexpr size_t kMaxUnknownNames = 10'000;
  std::mutex unknown_mutex_;
  std::unordered_map<std::string, identity::LockoutState> unknown_failures_;
};

}  // namespace groundcrew::service

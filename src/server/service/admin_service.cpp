#include "server/service/admin_service.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>

#include "common/text.hpp"
#include "identity/random.hpp"
#include "identity/sha256.hpp"
#include "identity/totp.hpp"
#include "server/service/catalog_service.hpp"
#include "server/service/sign_in_service.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::service {
namespace {

constexpr int kMaxRaceRetries = 3;  // optimistic-version retries for lockout bookkeeping
constexpr std::string_view kKind = "admins";

identity::LockoutState LockoutOf(const store::AdminAccount& account) {
  return identity::LockoutState{account.recent_failures, account.locked_until};
}

void SetLockout(store::AdminAccount& account, const identity::LockoutState& state) {
  account.recent_failures = state.failures;
  account.locked_until = state.locked_until;
}

Error NoSuchAdmin(std::string_view name) {
  return MakeError(
      ErrorCode::kNotFound,
      fmt::format("no admin is named \"{}\"; list them with `groundcrew admins list`", name),
      "name");
}

Error Locked(std::string_view name, core::Timestamp until) {
  return MakeError(ErrorCode::kPermissionDenied,
                   fmt::format("sign-in as \"{}\" is locked after too many failed sign-ins until "
                               "{}: try again then, or ask an admin to unlock it (groundcrew "
                               "admins unlock {})",
                               name, wire::FormatTimestamp(until), name),
                   "name");
}

Error WrongPassword() {
  return MakeError(ErrorCode::kUnauthenticated, "the name or the password is wrong", "password");
}

Error WrongCode() {
  return MakeError(ErrorCode::kUnauthenticated,
                   "the code is wrong or was already used: enter the current 6-digit code of "
                   "your authenticator app",
                   "code");
}

Error SessionEnded(std::string_view why) {
  return MakeError(ErrorCode::kUnauthenticated,
                   fmt::format("{}: sign in again (POST /v1/session)", why), "Cookie");
}

std::string RoleDetail(store::CredentialRole role) {
  return fmt::format(R"({{"role":"{}"}})", store::ToString(role));
}

}  // namespace

AdminService::AdminService(store::Store& store, Clock clock, AdminOptions options)
    : store_(store),
      clock_(std::move(clock)),
      options_(options),
      password_hashes_(PasswordHashSlots(options.concurrent_password_hashes)) {}

Result<AdminEnrollment> AdminService::Enrollment(const store::AdminAccount& account,
                                                 const std::string& secret) const {
  Result<std::string> uri = identity::OtpauthUri(kTotpIssuer, account.name, secret);
  if (!uri) return uri.error();
  return AdminEnrollment{account.name, account.role, identity::Base32Encode(secret), *uri};
}

Result<store::AdminAccountRecord> AdminService::FindAccount(std::string_view name) {
  Result<std::optional<store::AdminAccountRecord>> found = store_.admin_accounts().Find(name);
  if (!found) return found.error();
  if (!*found) return NoSuchAdmin(name);
  return std::move(**found);
}

Result<store::AdminAccount> AdminService::Change(
    std::string_view name, const std::function<Status(store::AdminAccount&)>& change) {
  for (int attempt = 0;; ++attempt) {
    Result<store::AdminAccountRecord> stored = FindAccount(name);
    if (!stored) return stored.error();
    store::AdminAccount account = stored->value;
    if (Status s = change(account); !s) return s.error();
    Result<store::AdminAccountRecord> updated =
        store_.admin_accounts().Update(account, stored->version);
    if (updated) return std::move(updated->value);
    if (updated.error().code != ErrorCode::kAborted || attempt == kMaxRaceRetries) {
      return updated.error();
    }
  }
}

Result<AdminEnrollment> AdminService::Add(const Actor& actor, std::string_view name,
                                          store::CredentialRole role, std::string_view password) {
  if (Status s = RequireAdmin(actor); !s) return s.error();
  if (Status s = core::ValidateAdminName(name); !s) return s.error();
  if (Status s = identity::CheckPasswordPolicy(password, name); !s) return s.error();
  Result<std::string> hash = identity::HashPassword(password, options_.password_cost);
  if (!hash) return hash.error();
  store::AdminAccount account;
  account.name = std::string(name);
  account.role = role;
  account.password_hash = std::move(*hash);
  const std::string secret = identity::NewTotpSecret();
  account.totp_secret = secret;
  account.created_date_time = clock_();
  Status stored = store_.Transact([&]() -> Status {
    // An admin and a credential never share a name: the audit log's actor names one of them.
    Result<std::vector<store::AdminCredential>> credentials = store_.credentials().List();
    if (!credentials) return credentials.error();
    for (const store::AdminCredential& credential : *credentials) {
      if (text::EqualsIgnoreCase(credential.name, name)) {
        return MakeError(ErrorCode::kAlreadyExists,
                         fmt::format("an admin-API credential is named \"{}\" (the audit log "
                                     "names both by name): choose another name",
                                     credential.name),
                         "name");
      }
    }
    if (auto created = store_.admin_accounts().Create(account); !created) {
      return created.error();
    }
    return Audit(store_, actor, account.created_date_time, "create", kKind, account.name,
                 account.name, RoleDetail(role));
  });
  if (!stored) return stored.error();
  return Enrollment(account, secret);
}

Result<std::vector<store::AdminAccount>> AdminService::List(const Actor& actor) {
  if (Status s = RequireAdmin(actor); !s) return s.error();
  return store_.admin_accounts().List();
}

Status AdminService::Remove(const Actor& actor, std::string_view name) {
  if (Status s = RequireAdmin(actor); !s) return s;
  return store_.Transact([&]() -> Status {
    Result<store::AdminAccountRecord> account = FindAccount(name);
    if (!account) return account.error();
    if (Status s = store_.admin_accounts().Delete(name); !s) return s;  // and its sessions
    return Audit(store_, actor, clock_(), "delete", kKind, account->value.name, account->value.name,
                 RoleDetail(account->value.role));
  });
}

Result<AdminEnrollment> AdminService::ResetMfa(const Actor& actor, std::string_view name) {
  if (Status s = RequireAdmin(actor); !s) return s.error();
  const std::string secret = identity::NewTotpSecret();
  store::AdminAccount changed;
  Status done = store_.Transact([&]() -> Status {
    Result<store::AdminAccount> account = Change(name, [&](store::AdminAccount& a) -> Status {
      a.totp_secret = secret;
      a.totp_last_step = identity::kNoTotpStepAccepted;
      return Ok{};
    });
    if (!account) return account.error();
    changed = std::move(*account);
    if (auto ended = store_.console_sessions().DeleteForAdmin(name); !ended) return ended.error();
    return Audit(store_, actor, clock_(), "resetMfa", kKind, changed.name, changed.name);
  });
  if (!done) return done.error();
  return Enrollment(changed, secret);
}

Status AdminService::Unlock(const Actor& actor, std::string_view name) {
  if (Status s = RequireAdmin(actor); !s) return s;
  return store_.Transact([&]() -> Status {
    Result<store::AdminAccount> account = Change(name, [](store::AdminAccount& a) -> Status {
      SetLockout(a, identity::RecordSuccess(LockoutOf(a)));
      return Ok{};
    });
    if (!account) return account.error();
    return Audit(store_, actor, clock_(), "unlock", kKind, account->name, account->name);
  });
}

Error AdminService::Failed(std::string_view name, bool known, Error refusal) {
  const core::Timestamp now = clock_();
  if (!known) {
    std::lock_guard lock(unknown_mutex_);
    if (unknown_failures_.size() >= kMaxUnknownNames) unknown_failures_.clear();
    identity::LockoutState& state = unknown_failures_[std::string(name)];
    state = identity::RecordFailure(state, options_.lockout, now);
    return refusal;
  }
  Result<store::AdminAccount> counted = Change(name, [&](store::AdminAccount& a) -> Status {
    SetLockout(a, identity::RecordFailure(LockoutOf(a), options_.lockout, now));
    return Ok{};
  });
  // A failure that cannot be counted must not let the caller try again uncounted.
  if (!counted && counted.error().code != ErrorCode::kNotFound) return counted.error();
  return refusal;
}

Result<SignedInSession> AdminService::SignIn(std::string_view name, std::string_view password,
                                             std::string_view code) {
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "name: required", "name");
  if (password.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "password: required", "password");
  }
  if (code.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "code: required, the 6-digit code of your authenticator app", "code");
  }
  const core::Timestamp now = clock_();
  Result<std::optional<store::AdminAccountRecord>> found = store_.admin_accounts().Find(name);
  if (!found) return found.error();
  const bool known = found->has_value();
  // The lock first, without hashing: a locked name answers at once.
  identity::LockoutState lockout;
  if (known) {
    lockout = LockoutOf((*found)->value);
  } else {
    std::lock_guard lock(unknown_mutex_);
    if (auto it = unknown_failures_.find(std::string(name)); it != unknown_failures_.end()) {
      lockout = it->second;
    }
  }
  if (std::optional<core::Timestamp> until = identity::LockedUntil(lockout, now)) {
    return Locked(name, *until);
  }
  std::optional<WorkLimit::Slot> slot = password_hashes_.Acquire(options_.password_hash_wait);
  if (!slot) {
    return MakeError(ErrorCode::kUnavailable,
                     "the service is busy signing others in: try again in a second");
  }
  if (!known) {
    (void)identity::DummyVerifyPassword(password, options_.password_cost);
    return Failed(name, false, WrongPassword());
  }
  const store::AdminAccount& account = (*found)->value;
  const bool password_right = identity::VerifyPassword(account.password_hash, password);
  slot.reset();
  if (!password_right) return Failed(name, true, WrongPassword());
  Result<int64_t> step =
      identity::VerifyTotp(account.totp_secret, code, now, account.totp_last_step);
  if (!step) return Failed(name, true, WrongCode());

  const std::string token = std::string(kConsoleSessionPrefix) + identity::RandomToken(32);
  const core::ConsoleExpiry expiry = core::NewConsoleExpiry(now);
  store::ConsoleSession session;
  session.token_sha256 = identity::Sha256Hex(token);
  session.admin_name = account.name;
  session.csrf_token = identity::RandomToken(32);
  session.created_date_time = now;
  session.idle_expires_date_time = expiry.idle;
  session.expires_date_time = expiry.absolute;
  store::CredentialRole role = account.role;
  Status signed_in = store_.Transact([&]() -> Status {
    Result<store::AdminAccount> updated = Change(name, [&](store::AdminAccount& a) -> Status {
      // The code's step is accepted once: a sign-in racing on it loses here.
      if (a.totp_last_step >= *step) return WrongCode();
      a.totp_last_step = *step;
      a.last_sign_in_date_time = now;
      if (!identity::IsLocked(LockoutOf(a), now)) {
        SetLockout(a, identity::RecordSuccess(LockoutOf(a)));
      }
      return Ok{};
    });
    if (!updated) return updated.error();
    role = updated->role;
    if (Status s = store_.console_sessions().Create(session); !s) return s;
    return Audit(store_, Actor{updated->name, role}, now, "signIn", kKind, updated->name,
                 updated->name);
  });
  if (!signed_in) return signed_in.error();
  return SignedInSession{token, ConsoleSessionView{account.name, role, session.csrf_token,
                                                   expiry.idle, expiry.absolute}};
}

Result<ConsoleSessionView> AdminService::Resume(std::string_view token) {
  const std::string hash = identity::Sha256Hex(token);
  Result<std::optional<store::ConsoleSession>> found =
      store_.console_sessions().FindByTokenSha256(hash);
  if (!found) return found.error();
  if (!*found) return SessionEnded("the console session is unknown or ended");
  const store::ConsoleSession& session = **found;
  const core::Timestamp now = clock_();
  core::ConsoleExpiry expiry{session.idle_expires_date_time, session.expires_date_time};
  if (!core::IsConsoleSessionLive(expiry, now)) {
    (void)store_.console_sessions().Delete(hash);
    return SessionEnded(now >= expiry.absolute ? "the console session ended (12 hours after "
                                                 "its sign-in)"
                                               : "the console session ended after 30 minutes "
                                                 "without a request");
  }
  Result<std::optional<store::AdminAccountRecord>> account =
      store_.admin_accounts().Find(session.admin_name);
  if (!account) return account.error();
  if (!*account) return SessionEnded("the console session's admin was removed");
  if (std::optional<core::Timestamp> renewed = core::RenewedIdleExpiry(expiry, now)) {
    if (Status s = store_.console_sessions().SetIdleExpiry(hash, *renewed); !s) {
      if (s.error().code == ErrorCode::kNotFound) {
        return SessionEnded("the console session is unknown or ended");
      }
      return s.error();
    }
    expiry.idle = *renewed;
  }
  return ConsoleSessionView{session.admin_name, (*account)->value.role, session.csrf_token,
                            expiry.idle, expiry.absolute};
}

Status AdminService::SignOut(std::string_view token) {
  const std::string hash = identity::Sha256Hex(token);
  return store_.Transact([&]() -> Status {
    Result<std::optional<store::ConsoleSession>> found =
        store_.console_sessions().FindByTokenSha256(hash);
    if (!found) return found.error();
    if (!*found) return Ok{};
    if (Status s = store_.console_sessions().Delete(hash); !s) return s;
    Result<std::optional<store::AdminAccountRecord>> account =
        store_.admin_accounts().Find((*found)->admin_name);
    if (!account) return account.error();
    const store::CredentialRole role =
        *account ? (*account)->value.role : store::CredentialRole::kReader;
    return Audit(store_, Actor{(*found)->admin_name, role}, clock_(), "signOut", kKind,
                 (*found)->admin_name, (*found)->admin_name);
  });
}

Result<int64_t> AdminService::PurgeExpired() {
  return store_.console_sessions().PurgeExpired(clock_());
}

Status AdminService::CheckCsrf(const ConsoleSessionView& session, std::string_view method,
                               std::string_view presented) {
  if (!core::NeedsCsrfToken(method)) return Ok{};
  if (presented.empty()) {
    return MakeError(ErrorCode::kPermissionDenied,
                     fmt::format("a {} with the console's session cookie must carry the header "
                                 "X-CSRF-Token: the csrfToken of GET /v1/session",
                                 method),
                     "X-CSRF-Token");
  }
  if (!identity::SameSecret(presented, session.csrf_token)) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "X-CSRF-Token is not this session's csrfToken (GET /v1/session gives it)",
                     "X-CSRF-Token");
  }
  return Ok{};
}

}  // namespace groundcrew::service

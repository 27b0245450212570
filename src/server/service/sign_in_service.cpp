#include "server/service/sign_in_service.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/targeting/eligibility.hpp"
#include "identity/qr.hpp"
#include "identity/random.hpp"
#include "identity/totp.hpp"
#include "server/service/catalog_service.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::service {
namespace {

namespace json = boost::json;

constexpr std::string_view kMfaPurpose = "mfa";
constexpr std::string_view kMfaRegistrationPurpose = "mfaRegistration";
constexpr int kMaxRaceRetries = 3;  // optimistic-version retries for lockout bookkeeping

// A wrong password; `after` is the failures counted for the name, this one included. When few
// tries are left the sign-in page says how many (the same for names nobody has, counted alike).
Error WrongPassword(const identity::LockoutState& after, const identity::LockoutPolicy& policy) {
  std::string message = "The user name or password is incorrect. Check them and try again.";
  const long long left = policy.max_failures - static_cast<long long>(after.failures.size());
  if (!after.locked_until && left <= 3) {
    message += fmt::format(" {} more wrong password{} will lock this account for a while.", left,
                           left == 1 ? "" : "s");
  }
  return MakeError(ErrorCode::kUnauthenticated, std::move(message), "password");
}

Error ChallengeGone() {
  return MakeError(ErrorCode::kUnauthenticated,
                   "This sign-in expired or was already completed; sign in again.", "challengeId");
}

identity::LockoutState LockoutOf(const store::UserCredential& credential) {
  return identity::LockoutState{credential.recent_failures, credential.locked_until};
}

void SetLockout(store::UserCredential& credential, const identity::LockoutState& state) {
  credential.recent_failures = state.failures;
  credential.locked_until = state.locked_until;
}

SignInStep Refused(std::string_view reason, std::string message) {
  return SignInStep{
      json::object{{"status", "refused"}, {"reason", reason}, {"message", std::move(message)}}};
}

SignInStep Locked(core::Timestamp until) {
  SignInStep step = Refused(
      "accountLocked",
      fmt::format("This account is locked after too many failed sign-ins until {:%H:%M} UTC. "
                  "Try again then, or ask your support person to unlock it.",
                  until));
  step.body["lockedUntil"] = wire::FormatTimestamp(until);
  return step;
}

std::string TotpIssuer(const core::TenantSettings& settings) {
  std::string issuer = settings.organization_name;
  for (char& c : issuer) {
    if (c == ':') c = ' ';
  }
  return issuer.empty() ? std::string(kTotpIssuer) : issuer;
}

Result<MfaEnrollment> EnrollmentFor(std::string_view issuer, std::string_view account,
                                    std::string_view secret) {
  Result<std::string> uri = identity::OtpauthUri(issuer, account, secret);
  if (!uri) return uri.error();
  Result<identity::QrCode> qr = identity::EncodeQr(*uri);
  if (!qr) return qr.error();
  return MfaEnrollment{identity::Base32Encode(secret), *uri, identity::RenderSvg(*qr),
                       identity::RenderTerminal(*qr)};
}

}  // namespace

bool SignInStep::refused() const {
  const json::value* status = body.if_contains("status");
  return status != nullptr && status->is_string() && status->as_string() == "refused";
}

SignInService::SignInService(store::Store& store, Catalog& catalog, TokenService& tokens,
                             Clock clock, SignInOptions options)
    : store_(store),
      catalog_(catalog),
      tokens_(tokens),
      clock_(std::move(clock)),
      options_(options) {}

identity::LockoutState SignInService::CountUnknownFailure(std::string_view user_principal_name,
                                                          core::Timestamp now) {
  std::string name(user_principal_name);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::lock_guard lock(unknown_mutex_);
  if (unknown_failures_.size() >= kMaxUnknownNames && !unknown_failures_.contains(name)) {
    unknown_failures_.clear();
  }
  identity::LockoutState& state = unknown_failures_[name];
  if (state.locked_until && now >= *state.locked_until) state = {};
  state = identity::RecordFailure(state, options_.lockout, now);
  return state;
}

Result<core::User> SignInService::FindUser(std::string_view user_id) {
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  for (const core::User& user : (*snapshot)->tenant().users) {
    if (user.id.value() == user_id) return user;
  }
  return MakeError(ErrorCode::kNotFound, fmt::format("no user has id {}", user_id), "id");
}

Result<SignInStep> SignInService::Begin(const DeviceCaller& caller, std::string_view device_id,
                                        std::string_view user_principal_name,
                                        std::string_view password) {
  if (device_id != caller.device_id) {
    return MakeError(ErrorCode::kNotFound, fmt::format("no device has id {}", device_id), "id");
  }
  if (user_principal_name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "userPrincipalName: enter your user name",
                     "userPrincipalName");
  }
  if (password.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "password: enter your password", "password");
  }
  Result<store::DeviceRecord> device = store_.devices().Get(core::ZtdId{std::string(device_id)});
  if (!device) return device.error();
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::TargetingIndex& index = *(*snapshot)->index;
  const core::Timestamp now = clock_();

  const core::User* user = index.FindUserByPrincipalName(user_principal_name);
  std::optional<store::UserCredentialRecord> credential;
  if (user != nullptr) {
    Result<std::optional<store::UserCredentialRecord>> found =
        store_.user_credentials().Find(user->id.value());
    if (!found) return found.error();
    credential = std::move(*found);
  }
  const bool has_password = credential && !credential->value.password_hash.empty();
  const bool verified = has_password
                            ? identity::VerifyPassword(credential->value.password_hash, password)
                            : identity::DummyVerifyPassword(password, options_.password_cost);
  if (credential && identity::IsLocked(LockoutOf(credential->value), now)) {
    return Locked(*credential->value.locked_until);
  }
  if (!verified) {
    std::optional<identity::LockoutState> after;  // the account's, once this failure counts
    if (user != nullptr) {
      for (int attempt = 0; attempt < kMaxRaceRetries; ++attempt) {
        Status recorded =
            ChangeCredential(Actor{}, *user, "", false, [&](store::UserCredential& c) -> Status {
              after = identity::RecordFailure(LockoutOf(c), options_.lockout, now);
              SetLockout(c, *after);
              return Ok{};
            });
        if (recorded || recorded.error().code != ErrorCode::kAborted) break;
      }
    }
    if (!after) after = CountUnknownFailure(user_principal_name, now);
    return WrongPassword(*after, options_.lockout);
  }

  const core::GroupSet groups = index.UserGroups(*user);
  if (auto refusal = core::CheckSignIn(index, device->value, *user, groups)) {
    return Refused(core::ToString(refusal->reason), refusal->message);
  }
  const bool enrolled = !credential->value.totp_secret.empty();
  if (!enrolled && !core::MfaRequiredFor(index, groups)) {
    Status recorded = store_.Transact([&]() -> Status {
      Result<std::optional<store::UserCredentialRecord>> current =
          store_.user_credentials().Find(user->id.value());
      if (!current) return current.error();
      if (!*current) return ChallengeGone();  // deleted meanwhile
      store::UserCredential c = (*current)->value;
      SetLockout(c, identity::RecordSuccess(LockoutOf(c)));
      c.updated_date_time = now;
      if (Result<store::UserCredentialRecord> put =
              store_.user_credentials().Put(c, (*current)->version);
          !put) {
        return put.error();
      }
      return RecordPrimaryUser(device_id, user->id.value(), now);
    });
    if (!recorded) return recorded.error();
    return SignedIn(*user, device_id);
  }

  store::Challenge challenge;
  challenge.id = identity::RandomToken(32);
  challenge.purpose = std::string(enrolled ? kMfaPurpose : kMfaRegistrationPurpose);
  challenge.subject = user->id.value();
  challenge.device_id = std::string(device_id);
  challenge.data = enrolled ? std::string() : identity::NewTotpSecret();
  challenge.expires_date_time = now + kMfaChallengeLifetime;
  if (Status created = store_.challenges().Create(challenge); !created) return created.error();
  SignInStep step{json::object{
      {"status", enrolled ? "mfaRequired" : "mfaRegistrationRequired"},
      {"challengeId", challenge.id},
      {"expirationDateTime", wire::FormatTimestamp(challenge.expires_date_time)},
      {"message", enrolled ? "Enter the code from your authenticator app."
                           : "Your organization requires a second sign-in step. Scan the QR "
                             "code with an authenticator app, then enter the code it shows."}}};
  if (!enrolled) {
    Result<MfaEnrollment> enrollment = EnrollmentFor(TotpIssuer(index.tenant().settings),
                                                     user->user_principal_name, challenge.data);
    if (!enrollment) return enrollment.error();
    step.body["otpauthUri"] = enrollment->otpauth_uri;
    step.body["qrSvg"] = enrollment->qr_svg;
    step.body["qrText"] = enrollment->qr_text;
  }
  return step;
}

Result<SignInStep> SignInService::Complete(const DeviceCaller& caller, std::string_view device_id,
                                           std::string_view challenge_id, std::string_view code) {
  if (device_id != caller.device_id) {
    return MakeError(ErrorCode::kNotFound, fmt::format("no device has id {}", device_id), "id");
  }
  const core::Timestamp now = clock_();
  Result<std::optional<store::Challenge>> found = store_.challenges().Find(challenge_id, now);
  if (!found) return found.error();
  if (!*found || (*found)->device_id != device_id ||
      ((*found)->purpose != kMfaPurpose && (*found)->purpose != kMfaRegistrationPurpose)) {
    return ChallengeGone();
  }
  const store::Challenge challenge = std::move(**found);
  const bool registering = challenge.purpose == kMfaRegistrationPurpose;
  Result<core::User> user = FindUser(challenge.subject);
  if (!user) return ChallengeGone();
  // The directory may have changed during the challenge (e.g. the account was disabled).
  Result<store::DeviceRecord> device = store_.devices().Get(core::ZtdId{std::string(device_id)});
  if (!device) return device.error();
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::TargetingIndex& index = *(*snapshot)->index;
  if (auto refusal = core::CheckSignIn(index, device->value, *user, index.UserGroups(*user))) {
    return Refused(core::ToString(refusal->reason), refusal->message);
  }

  std::optional<SignInStep> locked;
  std::optional<Error> refusal;
  Status done = store_.Transact([&]() -> Status {
    Result<std::optional<store::UserCredentialRecord>> credential =
        store_.user_credentials().Find(challenge.subject);
    if (!credential) return credential.error();
    if (!*credential) {
      refusal = ChallengeGone();
      return Ok{};
    }
    store::UserCredential c = (*credential)->value;
    if (identity::IsLocked(LockoutOf(c), now)) {
      locked = Locked(*c.locked_until);
      return Ok{};
    }
    const std::string& secret = registering ? challenge.data : c.totp_secret;
    Result<int64_t> step = identity::VerifyTotp(
        secret, code, now, registering ? identity::kNoTotpStepAccepted : c.totp_last_step);
    if (!step && step.error().code != ErrorCode::kUnauthenticated) {
      refusal = step.error();  // malformed code: not counted
      return Ok{};
    }
    if (!step) {  // wrong or replayed: counts toward lockout and toward this challenge's limit
      SetLockout(c, identity::RecordFailure(LockoutOf(c), options_.lockout, now));
      c.updated_date_time = now;
      if (Result<store::UserCredentialRecord> put =
              store_.user_credentials().Put(c, (*credential)->version);
          !put) {
        return put.error();
      }
      if (challenge.attempts + 1 >= kMaxMfaAttempts) {
        if (Result<bool> deleted = store_.challenges().Delete(challenge.id); !deleted) {
          return deleted.error();
        }
        refusal = MakeError(ErrorCode::kUnauthenticated, "Too many wrong codes; sign in again.",
                            "challengeId");
      } else {
        if (Status s = store_.challenges().SetAttempts(challenge.id, challenge.attempts + 1); !s) {
          return s;
        }
        refusal = MakeError(ErrorCode::kUnauthenticated,
                            "That code is wrong or was already used. Enter the current code "
                            "from your authenticator app.",
                            "code");
      }
      if (identity::IsLocked(LockoutOf(c), now)) locked = Locked(*c.locked_until);
      return Ok{};
    }
    Result<bool> taken = store_.challenges().Delete(challenge.id);
    if (!taken) return taken.error();
    if (!*taken) {  // another request completed it first
      refusal = ChallengeGone();
      return Ok{};
    }
    if (registering) c.totp_secret = challenge.data;
    c.totp_last_step = *step;
    SetLockout(c, identity::RecordSuccess(LockoutOf(c)));
    c.updated_date_time = now;
    if (Result<store::UserCredentialRecord> put =
            store_.user_credentials().Put(c, (*credential)->version);
        !put) {
      return put.error();
    }
    return RecordPrimaryUser(device_id, challenge.subject, now);
  });
  if (!done) {
    // Two answers raced on one challenge or credential: the loser starts again.
    if (done.error().code == ErrorCode::kAborted) return ChallengeGone();
    return done.error();
  }
  if (locked) return *locked;
  if (refusal) return *refusal;
  return SignedIn(*user, device_id);
}

Status SignInService::RecordPrimaryUser(std::string_view device_id, std::string_view user_id,
                                        core::Timestamp now) {
  Result<std::optional<store::DeviceTrustRecord>> trust = store_.device_trust().Find(device_id);
  if (!trust) return trust.error();
  store::DeviceTrust t = *trust ? (*trust)->value : store::DeviceTrust{};
  t.device_id = std::string(device_id);
  t.primary_user_id = std::string(user_id);
  t.updated_date_time = now;
  Result<store::DeviceTrustRecord> stored = store_.device_trust().Put(
      t, *trust ? std::optional<int64_t>((*trust)->version) : std::nullopt);
  if (!stored) return stored.error();
  return Ok{};
}

Result<SignInStep> SignInService::SignedIn(const core::User& user, std::string_view device_id) {
  Result<identity::IssuedToken> token =
      tokens_.IssueUserToken(user.id.value(), device_id, {{"upn", user.user_principal_name}});
  if (!token) return token.error();
  return SignInStep{
      json::object{{"status", "signedIn"},
                   {"token", token->token},
                   {"tokenType", "Bearer"},
                   {"expirationDateTime", wire::FormatTimestamp(token->claims.expires_at)},
                   {"user", json::object{{"id", user.id.value()},
                                         {"userPrincipalName", user.user_principal_name},
                                         {"displayName", user.display_name}}}}};
}

Status SignInService::ChangeCredential(
    const Actor& actor, const core::User& user, std::string_view action, bool revoke,
    const std::function<Status(store::UserCredential&)>& change) {
  const core::Timestamp now = clock_();
  return store_.Transact([&]() -> Status {
    Result<std::optional<store::UserCredentialRecord>> found =
        store_.user_credentials().Find(user.id.value());
    if (!found) return found.error();
    store::UserCredential credential = *found ? (*found)->value : store::UserCredential{};
    credential.user_id = user.id.value();
    if (Status s = change(credential); !s) return s;
    credential.updated_date_time = now;
    Result<store::UserCredentialRecord> put = store_.user_credentials().Put(
        credential, *found ? std::optional<int64_t>((*found)->version) : std::nullopt);
    if (!put) return put.error();
    if (revoke) {
      if (Result<int64_t> revoked = store_.tokens().RevokeForSubject(user.id.value(), now);
          !revoked) {
        return revoked.error();
      }
    }
    if (action.empty()) return Ok{};
    return Audit(store_, actor, now, action, "users", user.id.value(), user.user_principal_name);
  });
}

Status SignInService::SetPassword(const Actor& actor, std::string_view user_id,
                                  std::string_view password) {
  if (Status s = RequireAdmin(actor); !s) return s;
  Result<core::User> user = FindUser(user_id);
  if (!user) return user.error();
  if (Status s = identity::CheckPasswordPolicy(password, user->user_principal_name); !s) return s;
  Result<std::string> hash = identity::HashPassword(password, options_.password_cost);
  if (!hash) return hash.error();
  return ChangeCredential(actor, *user, "setPassword", true,
                          [&](store::UserCredential& c) -> Status {
                            c.password_hash = *hash;
                            SetLockout(c, identity::RecordSuccess(LockoutOf(c)));
                            return Ok{};
                          });
}

Result<MfaEnrollment> SignInService::EnrollMfa(const Actor& actor, std::string_view user_id,
                                               std::string secret) {
  if (Status s = RequireAdmin(actor); !s) return s.error();
  Result<core::User> user = FindUser(user_id);
  if (!user) return user.error();
  if (secret.empty()) secret = identity::NewTotpSecret();
  if (secret.size() < identity::kMinTotpSecretBytes) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("secret: must be at least {} bytes ({} base32 characters)",
                    identity::kMinTotpSecretBytes, (identity::kMinTotpSecretBytes * 8 + 4) / 5),
        "secret");
  }
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  Result<MfaEnrollment> enrollment =
      EnrollmentFor(TotpIssuer((*snapshot)->tenant().settings), user->user_principal_name, secret);
  if (!enrollment) return enrollment.error();
  Status changed =
      ChangeCredential(actor, *user, "enrollMfa", true, [&](store::UserCredential& c) -> Status {
        c.totp_secret = secret;
        c.totp_last_step = identity::kNoTotpStepAccepted;
        return Ok{};
      });
  if (!changed) return changed.error();
  return enrollment;
}

Status SignInService::ResetMfa(const Actor& actor, std::string_view user_id) {
  if (Status s = RequireAdmin(actor); !s) return s;
  Result<core::User> user = FindUser(user_id);
  if (!user) return user.error();
  return ChangeCredential(actor, *user, "resetMfa", true, [](store::UserCredential& c) -> Status {
    c.totp_secret.clear();
    c.totp_last_step = identity::kNoTotpStepAccepted;
    return Ok{};
  });
}

Status SignInService::Unlock(const Actor& actor, std::string_view user_id) {
  if (Status s = RequireAdmin(actor); !s) return s;
  Result<core::User> user = FindUser(user_id);
  if (!user) return user.error();
  return ChangeCredential(actor, *user, "unlock", false, [](store::UserCredential& c) -> Status {
    SetLockout(c, identity::RecordSuccess(LockoutOf(c)));
    return Ok{};
  });
}

Result<json::object> SignInService::State(std::string_view user_id) {
  Result<core::User> user = FindUser(user_id);
  if (!user) return user.error();
  Result<std::optional<store::UserCredentialRecord>> found =
      store_.user_credentials().Find(user_id);
  if (!found) return found.error();
  const core::Timestamp now = clock_();
  json::object out{{"userId", user->id.value()}, {"userPrincipalName", user->user_principal_name},
                   {"passwordSet", false},       {"mfaEnrolled", false},
                   {"recentFailures", 0},        {"lockedUntil", nullptr}};
  if (*found) {
    const store::UserCredential& c = (*found)->value;
    out["passwordSet"] = !c.password_hash.empty();
    out["mfaEnrolled"] = !c.totp_secret.empty();
    out["recentFailures"] = c.recent_failures.size();
    if (std::optional<core::Timestamp> until = identity::LockedUntil(LockoutOf(c), now)) {
      out["lockedUntil"] = wire::FormatTimestamp(*until);
    }
  }
  return out;
}

}  // namespace groundcrew::service

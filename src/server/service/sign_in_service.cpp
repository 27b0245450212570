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

// A wrong password; `left` is the tries left before a lock that applies on this device
// (identity::TriesLeft), this failure counted. When few are left the sign-in page says how many
// (the same for names nobody has, counted alike).
Error WrongPassword(long long left) {
  std::string message = "The user name or password is incorrect. Check them and try again.";
  if (left > 0 && left <= 3) {
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
      options_(std::move(options)),
      device_limiter_(options_.device_rate),
      source_limiter_(options_.source_rate),
      password_hashes_(PasswordHashSlots(options_.concurrent_password_hashes)) {}

namespace {

std::string LowerName(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

std::string PairKey(std::string_view name, std::string_view device_id) {
  return LowerName(name) + '\n' + std::string(device_id);
}

// Keeps `map` under `max` keys before one is added: keys without a failure inside the window
// or a lock are forgotten first (forgetting them changes no answer), then all.
void MakeRoom(std::unordered_map<std::string, identity::LockoutState>& map,
              const identity::LockoutPolicy& policy, core::Timestamp now, size_t max) {
  if (map.size() < max) return;
  std::erase_if(map, [&](const auto& entry) {
    return !identity::HasRecentFailures(entry.second, policy, now);
  });
  if (map.size() >= max) map.clear();
}

identity::LockoutState Peek(const std::unordered_map<std::string, identity::LockoutState>& map,
                            const std::string& key, core::Timestamp now) {
  auto found = map.find(key);
  if (found == map.end()) return {};
  identity::LockoutState state = found->second;
  if (state.locked_until && now >= *state.locked_until) state = {};  // an expired lock
  return state;
}

identity::LockoutState Count(std::unordered_map<std::string, identity::LockoutState>& map,
                             const std::string& key, const identity::LockoutPolicy& policy,
                             core::Timestamp now, size_t max) {
  if (!map.contains(key)) MakeRoom(map, policy, now, max);
  identity::LockoutState& state = map[key];
  if (state.locked_until && now >= *state.locked_until) state = {};
  state = identity::RecordFailure(state, policy, now);
  return state;
}

const char* LockReason(identity::LockScope scope) {
  switch (scope) {
    case identity::LockScope::kSource:
      return "sourceLocked";
    case identity::LockScope::kDevice:
      return "deviceLocked";
    case identity::LockScope::kAccount:
      return "accountLocked";
  }
  return "accountLocked";
}

SignInStep LockedStep(const identity::SignInLock& lock) {
  std::string message;
  switch (lock.scope) {
    case identity::LockScope::kSource:
      message = fmt::format(
          "Too many failed sign-ins came from this network; sign-ins from it are paused until "
          "{:%H:%M} UTC. Try again then, or ask your support person.",
          lock.until);
      break;
    case identity::LockScope::kDevice:
      message = fmt::format(
          "This account is locked on this device after too many failed sign-ins until {:%H:%M} "
          "UTC. Try again then, sign in on your own device, or ask your support person to "
          "unlock it.",
          lock.until);
      break;
    case identity::LockScope::kAccount:
      return Locked(lock.until);
  }
  SignInStep step = Refused("accountLocked", std::move(message));
  step.body["lockedUntil"] = wire::FormatTimestamp(lock.until);
  return step;
}

Error Busy() {
  return MakeError(ErrorCode::kUnavailable,
                   fmt::format("The service is busy; try signing in again in {} second{}.",
                               kBusyRetryAfter.count(), kBusyRetryAfter.count() == 1 ? "" : "s"));
}

}  // namespace

const char* ToString(SignInEvent::Kind kind) {
  switch (kind) {
    case SignInEvent::Kind::kFailure:
      return "failure";
    case SignInEvent::Kind::kLockout:
      return "lockout";
    case SignInEvent::Kind::kRateLimited:
      return "rateLimited";
    case SignInEvent::Kind::kBusy:
      return "busy";
  }
  return "failure";
}

void SignInService::Emit(const SignInEvent& event) {
  switch (event.kind) {
    case SignInEvent::Kind::kFailure:
      metrics_.failures.fetch_add(1, std::memory_order_relaxed);
      break;
    case SignInEvent::Kind::kLockout:
      metrics_.lockouts.fetch_add(1, std::memory_order_relaxed);
      break;
    case SignInEvent::Kind::kRateLimited:
      metrics_.rate_limited.fetch_add(1, std::memory_order_relaxed);
      break;
    case SignInEvent::Kind::kBusy:
      metrics_.busy.fetch_add(1, std::memory_order_relaxed);
      break;
  }
  if (options_.observer) options_.observer(event);
}

std::optional<Throttle> SignInService::Admit(const DeviceCaller& caller,
                                             std::string_view source_address) {
  const core::Timestamp now = clock_();
  const char* limited = nullptr;
  std::optional<std::chrono::seconds> wait = device_limiter_.Take(caller.device_id, now);
  if (wait) {
    limited = "device";
  } else if ((wait = source_limiter_.Take(source_address, now))) {
    limited = "source";
  }
  if (!wait) return std::nullopt;
  Emit(SignInEvent{SignInEvent::Kind::kRateLimited, "", caller.device_id,
                   std::string(source_address), limited});
  return TooManyRequests(std::string_view(limited) == "device"
                             ? "sign-in attempts from this device"
                             : "sign-in attempts from this network address",
                         "", *wait, now);
}

identity::LockCounters SignInService::Counters(std::string_view name, std::string_view device_id,
                                               std::string_view source_address, bool known,
                                               const identity::LockoutState& account,
                                               bool familiar) {
  const core::Timestamp now = clock_();
  std::lock_guard lock(counters_mutex_);
  identity::LockCounters counters;
  counters.account = known ? account : Peek(unknown_failures_, LowerName(name), now);
  counters.device = Peek(pair_failures_, PairKey(name, device_id), now);
  counters.source = Peek(source_failures_, std::string(source_address), now);
  counters.familiar_device = familiar;
  return counters;
}

identity::LockCounters SignInService::CountFailure(std::string_view name,
                                                   std::string_view device_id,
                                                   std::string_view source_address, bool known,
                                                   const identity::LockoutState& account,
                                                   bool familiar, core::Timestamp now) {
  std::lock_guard lock(counters_mutex_);
  identity::LockCounters after;
  after.account =
      known ? account : Count(unknown_failures_, LowerName(name), options_.lockout, now, kMaxKeys);
  after.device =
      Count(pair_failures_, PairKey(name, device_id), options_.device_lockout, now, kMaxKeys);
  after.source =
      Count(source_failures_, std::string(source_address), options_.source_lockout, now, kMaxKeys);
  after.familiar_device = familiar;
  return after;
}

void SignInService::ReportFailure(const SignInEvent& failure, const identity::LockCounters& before,
                                  const identity::LockCounters& after, core::Timestamp now) {
  Emit(failure);
  auto newly = [&](const identity::LockoutState& was, const identity::LockoutState& is) {
    return !identity::IsLocked(was, now) && identity::IsLocked(is, now);
  };
  SignInEvent lockout = failure;
  lockout.kind = SignInEvent::Kind::kLockout;
  if (newly(before.source, after.source)) {
    lockout.reason = "source";
    Emit(lockout);
  }
  if (newly(before.device, after.device)) {
    lockout.reason = "device";
    Emit(lockout);
  }
  if (newly(before.account, after.account)) {
    lockout.reason = "account";
    Emit(lockout);
  }
}

void SignInService::ForgetPair(std::string_view name, std::string_view device_id) {
  std::lock_guard lock(counters_mutex_);
  pair_failures_.erase(PairKey(name, device_id));
}

Result<bool> SignInService::Familiar(const core::AutopilotDeviceIdentity& device,
                                     std::string_view user_principal_name, const core::User* user) {
  // Read for every name, known or not, so that the time taken tells no name apart.
  Result<std::optional<store::DeviceTrustRecord>> trust =
      store_.device_trust().Find(device.id.value());
  if (!trust) return trust.error();
  if (!device.user_principal_name.empty() &&
      LowerName(device.user_principal_name) == LowerName(user_principal_name)) {
    return true;
  }
  return user != nullptr && *trust && (*trust)->value.primary_user_id == user->id.value();
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
                                        std::string_view password,
                                        std::string_view source_address) {
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
  Result<bool> familiar = Familiar(device->value, user_principal_name, user);
  if (!familiar) return familiar.error();
  // Known and unknown names alike: the account's counters are the stored ones for a known user
  // with a credential, the in-memory ones otherwise (a known user without a credential has
  // none stored, and is counted in memory as a name nobody has).
  const bool stored = credential.has_value();
  const identity::LockoutState stored_account =
      stored ? LockoutOf(credential->value) : identity::LockoutState{};
  const identity::LockCounters before =
      Counters(user_principal_name, device_id, source_address, stored, stored_account, *familiar);
  SignInEvent failure{SignInEvent::Kind::kFailure, std::string(user_principal_name),
                      std::string(device_id), std::string(source_address), ""};
  // Locks first: a refused sign-in costs no hash, for known and unknown names alike.
  if (std::optional<identity::SignInLock> lock =
          identity::CheckSignInLocks(before, options_.lockout, options_.device_lockout, now)) {
    failure.reason = LockReason(lock->scope);
    Emit(failure);
    return LockedStep(*lock);
  }

  bool verified = false;
  {
    std::optional<WorkLimit::Slot> slot = password_hashes_.Acquire(options_.password_hash_wait);
    if (!slot) {
      Emit(SignInEvent{SignInEvent::Kind::kBusy, std::string(user_principal_name),
                       std::string(device_id), std::string(source_address), "passwordHashes"});
      return Busy();
    }
    metrics_.password_hashes.fetch_add(1, std::memory_order_relaxed);
    const bool has_password = credential && !credential->value.password_hash.empty();
    verified = has_password ? identity::VerifyPassword(credential->value.password_hash, password)
                            : identity::DummyVerifyPassword(password, options_.password_cost);
  }
  if (!verified) {
    identity::LockoutState account = before.account;
    if (stored) {
      for (int attempt = 0; attempt < kMaxRaceRetries; ++attempt) {
        Status recorded =
            ChangeCredential(Actor{}, *user, "", false, [&](store::UserCredential& c) -> Status {
              account = identity::RecordFailure(LockoutOf(c), options_.lockout, now);
              SetLockout(c, account);
              return Ok{};
            });
        if (recorded || recorded.error().code != ErrorCode::kAborted) break;
      }
    }
    const identity::LockCounters after = CountFailure(
        user_principal_name, device_id, source_address, stored, account, *familiar, now);
    failure.reason = "wrongPassword";
    ReportFailure(failure, before, after, now);
    return WrongPassword(
        identity::TriesLeft(after, options_.lockout, options_.device_lockout, now));
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
      // A familiar device got through a locked account: the lock stays for the others.
      if (!identity::IsLocked(LockoutOf(c), now)) {
        SetLockout(c, identity::RecordSuccess(LockoutOf(c)));
      }
      c.updated_date_time = now;
      if (Result<store::UserCredentialRecord> put =
              store_.user_credentials().Put(c, (*current)->version);
          !put) {
        return put.error();
      }
      return RecordPrimaryUser(device_id, user->id.value(), now);
    });
    if (!recorded) return recorded.error();
    ForgetPair(user_principal_name, device_id);
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
                                           std::string_view challenge_id, std::string_view code,
                                           std::string_view source_address) {
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
  const std::string& name = user->user_principal_name;
  Result<bool> familiar = Familiar(device->value, name, &*user);
  if (!familiar) return familiar.error();

  std::optional<SignInStep> locked;
  std::optional<Error> refusal;
  identity::LockCounters before;
  std::optional<identity::LockoutState> failed;  // the account after a wrong code
  Status done = store_.Transact([&]() -> Status {
    failed.reset();
    locked.reset();
    refusal.reset();
    Result<std::optional<store::UserCredentialRecord>> credential =
        store_.user_credentials().Find(challenge.subject);
    if (!credential) return credential.error();
    if (!*credential) {
      refusal = ChallengeGone();
      return Ok{};
    }
    store::UserCredential c = (*credential)->value;
    before = Counters(name, device_id, source_address, true, LockoutOf(c), *familiar);
    if (std::optional<identity::SignInLock> lock =
            identity::CheckSignInLocks(before, options_.lockout, options_.device_lockout, now)) {
      locked = LockedStep(*lock);
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
      failed = identity::RecordFailure(LockoutOf(c), options_.lockout, now);
      SetLockout(c, *failed);
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
    // A familiar device got through a locked account: the lock stays for the others.
    if (!identity::IsLocked(LockoutOf(c), now))
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
  SignInEvent failure{SignInEvent::Kind::kFailure, name, std::string(device_id),
                      std::string(source_address), ""};
  if (locked) {
    const std::optional<identity::SignInLock> lock =
        identity::CheckSignInLocks(before, options_.lockout, options_.device_lockout, now);
    failure.reason = lock ? LockReason(lock->scope) : "accountLocked";
    Emit(failure);
    return *locked;
  }
  if (failed) {  // counted once the transaction committed
    const identity::LockCounters after =
        CountFailure(name, device_id, source_address, true, *failed, *familiar, now);
    failure.reason = "wrongCode";
    ReportFailure(failure, before, after, now);
    if (std::optional<identity::SignInLock> lock =
            identity::CheckSignInLocks(after, options_.lockout, options_.device_lockout, now)) {
      return LockedStep(*lock);
    }
  }
  if (refusal) return *refusal;
  ForgetPair(name, device_id);
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
  Status set =
      ChangeCredential(actor, *user, "setPassword", true, [&](store::UserCredential& c) -> Status {
        c.password_hash = *hash;
        SetLockout(c, identity::RecordSuccess(LockoutOf(c)));
        return Ok{};
      });
  if (set) ForgetUser(user->user_principal_name);
  return set;
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
  Status unlocked =
      ChangeCredential(actor, *user, "unlock", false, [](store::UserCredential& c) -> Status {
        SetLockout(c, identity::RecordSuccess(LockoutOf(c)));
        return Ok{};
      });
  if (!unlocked) return unlocked;
  ForgetUser(user->user_principal_name);
  return Ok{};
}

void SignInService::ForgetUser(std::string_view user_principal_name) {
  const std::string prefix = LowerName(user_principal_name) + '\n';
  std::lock_guard lock(counters_mutex_);
  unknown_failures_.erase(LowerName(user_principal_name));
  std::erase_if(pair_failures_, [&](const auto& entry) { return entry.first.starts_with(prefix); });
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
  json::array devices;
  {
    const std::string prefix = LowerName(user->user_principal_name) + '\n';
    std::lock_guard lock(counters_mutex_);
    for (const auto& [key, state] : pair_failures_) {
      if (!key.starts_with(prefix) ||
          !identity::HasRecentFailures(state, options_.device_lockout, now)) {
        continue;
      }
      std::optional<core::Timestamp> until = identity::LockedUntil(state, now);
      devices.push_back(json::object{
          {"deviceId", key.substr(prefix.size())},
          {"recentFailures", state.failures.size()},
          {"lockedUntil", until ? json::value(wire::FormatTimestamp(*until)) : json::value()}});
    }
  }
  std::sort(devices.begin(), devices.end(), [](const json::value& a, const json::value& b) {
    return a.at("deviceId").as_string() < b.at("deviceId").as_string();
  });
  out["deviceLocks"] = std::move(devices);
  return out;
}

}  // namespace groundcrew::service

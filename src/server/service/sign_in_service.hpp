#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.hpp"
#include "identity/lockout.hpp"
#include "identity/password.hpp"
#include "identity/rate_limit.hpp"
#include "server/service/catalog.hpp"
#include "server/service/context.hpp"
#include "server/service/device_trust_service.hpp"
#include "server/service/throttle.hpp"
#include "server/service/token_service.hpp"
#include "server/store/store.hpp"

// Users signing in on a device's out-of-box flow (user name + password → MFA → user token), and
// the administrator's side of user credentials (password, MFA enrollment and reset, unlock).
//
// Secrets: passwords, TOTP seeds and codes and tokens never appear in an error message, an
// audit entry or a log line. A wrong password and an unknown user name get the same answer in
// the same time (identity::DummyVerifyPassword).
namespace groundcrew::service {

inline constexpr std::chrono::seconds kMfaChallengeLifetime{std::chrono::minutes(5)};
/// Wrong codes one MFA challenge accepts before the sign-in must start again.
inline constexpr int kMaxMfaAttempts = 5;
/// The issuer name authenticator apps show beside the account.
inline constexpr std::string_view kTotpIssuer = "groundcrew";

/// How long a refused "busy" sign-in should wait (Retry-After).
inline constexpr std::chrono::seconds kBusyRetryAfter{1};

/// What the daemon logs and counts of sign-ins. Never a password, a code or a token.
struct SignInEvent {
  enum class Kind {
    kFailure,      ///< refused: wrong password or code, or a lock ("reason" says which)
    kLockout,      ///< a lock was set by this failure ("account", "device" or "source")
    kRateLimited,  ///< refused by a rate limit ("device" or "source")
    kBusy,         ///< refused: no password-hash slot came free in time
  };
  Kind kind = Kind::kFailure;
  std::string user_principal_name;  ///< as typed ("" when not known yet, e.g. rate limits)
  std::string device_id;
  std::string source_address;
  /// kFailure: "wrongPassword", "wrongCode", "accountLocked", "deviceLocked", "sourceLocked";
  /// kLockout: "account", "device", "source"; kRateLimited: "device", "source";
  /// kBusy: "passwordHashes".
  std::string reason;
};

/// "failure", "lockout", "rateLimited", "busy".
const char* ToString(SignInEvent::Kind kind);

/// Counts since start, for /metrics. Thread-safe.
struct SignInMetrics {
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> lockouts{0};
  std::atomic<uint64_t> rate_limited{0};
  std::atomic<uint64_t> busy{0};
  std::atomic<uint64_t> password_hashes{0};  ///< argon2id verifications computed (real or dummy)
};

struct SignInOptions {
  /// The account's (per-user) lockout: --lockout-threshold etc. Applies to unfamiliar devices.
  identity::LockoutPolicy lockout;
  /// The (user name, device) pair's lockout.
  identity::LockoutPolicy device_lockout = identity::kDefaultDeviceLockout;
  /// The source address's lockout (failures across user names).
  identity::LockoutPolicy source_lockout = identity::kDefaultSourceLockout;
  /// Sign-in requests (Begin and Complete) one device may make: 10 at once, then one in 6 s.
  identity::RateLimit device_rate{.burst = 10, .per_second = 1.0 / 6};
  /// Sign-in requests from one source address: 300 at once, then 10 a second.
  identity::RateLimit source_rate{.burst = 300, .per_second = 10};
  /// Password hashes computed at once; 0: max(1, hardware threads / 2).
  int concurrent_password_hashes = 0;
  /// How long a sign-in waits for a hash slot before it is refused as busy. None by default: a
  /// waiting request holds an HTTP worker thread that an admin's request may need (measured in
  /// bench/sign_in_flood_bench.cpp: 100 ms of wait let a flood hold admin reads at 200 ms).
  std::chrono::milliseconds password_hash_wait{0};
  identity::PasswordHashCost password_cost = identity::kDefaultPasswordCost;
  /// Told of every failure, lockout, rate-limited and busy sign-in (may be empty). Called on
  /// the request's thread, outside any lock of the service.
  std::function<void(const SignInEvent&)> observer;
};

/// One answer of the sign-in conversation, as the agent shows it. `status`:
///   "mfaRequired"              enter the code from the authenticator app (challengeId set)
///   "mfaRegistrationRequired"  scan the QR code (otpauthUri, qrSvg, qrText) and enter a code
///   "signedIn"                 token, tokenType, expirationDateTime, user set
///   "refused"                  reason (core::SignInRefusal spellings or "accountLocked") and
///                              message set; nothing else will succeed for this user here
struct SignInStep {
  boost::json::object body;
  bool refused() const;
};

/// What an administrator's MFA enrollment hands over (once): the seed in base32, the
/// otpauth:// URI and its QR code. SECRET: all three carry the seed.
struct MfaEnrollment {
  std::string secret_base32;
  std::string otpauth_uri;
  std::string qr_svg;
  std::string qr_text;  ///< terminal half-blocks (identity::RenderTerminal, dark background)
};

class SignInService {
 public:
  SignInService(store::Store& store, Catalog& catalog, TokenService& tokens, Clock clock,
                SignInOptions options = {});

  /// Whether a sign-in request (Begin or Complete) of `caller` from `source_address` is within
  /// options().device_rate and source_rate now: nullopt, or the 429 refusal with when to retry.
  /// Callers ask before Begin and Complete.
  [[nodiscard]] std::optional<Throttle> Admit(const DeviceCaller& caller,
                                              std::string_view source_address);

  /// Starts a sign-in on the calling device (kNotFound unless `device_id` is the caller's).
  /// The locks are checked first, without hashing (identity::CheckSignInLocks): a locked
  /// source, (user, device) pair, or account on a device unfamiliar to the user, gets a
  /// "refused" step (reason "accountLocked"). Then the password is hashed in the bounded pool:
  /// kUnavailable ("the service is busy", retry after kBusyRetryAfter) when no slot comes free
  /// within options().password_hash_wait. kUnauthenticated (field "password") for a wrong
  /// password or an unknown user name, counted for the account, the pair and the source alike;
  /// a user the device may not be set up for (core::CheckSignIn) gets a "refused" step.
  /// kInvalidArgument names a missing field.
  [[nodiscard]] Result<SignInStep> Begin(const DeviceCaller& caller, std::string_view device_id,
                                         std::string_view user_principal_name,
                                         std::string_view password,
                                         std::string_view source_address = {});

  /// Answers an MFA challenge with a 6-digit code. Locks are checked as by Begin. A wrong or
  /// replayed code is kUnauthenticated (field "code") and counts as a failure as by Begin; after
  /// kMaxMfaAttempts wrong codes, or when the challenge expired, kUnauthenticated (field
  /// "challengeId"): start again.
  [[nodiscard]] Result<SignInStep> Complete(const DeviceCaller& caller, std::string_view device_id,
                                            std::string_view challenge_id, std::string_view code,
                                            std::string_view source_address = {});

  /// Admin: sets a user's password (the policy of identity::CheckPasswordPolicy applies),
  /// clears the user's locks (as Unlock) and revokes the user's tokens.
  [[nodiscard]] Status SetPassword(const Actor& actor, std::string_view user_id,
                                   std::string_view password);

  /// Admin: enrolls the user in TOTP MFA with `secret` (raw bytes; a fresh one when empty),
  /// replacing any enrollment, and revokes the user's tokens.
  [[nodiscard]] Result<MfaEnrollment> EnrollMfa(const Actor& actor, std::string_view user_id,
                                                std::string secret = {});

  /// Admin: removes the user's MFA enrollment (they register again at the next sign-in when MFA
  /// is required) and revokes the user's tokens.
  [[nodiscard]] Status ResetMfa(const Actor& actor, std::string_view user_id);

  /// Admin: clears all of the user's failures and locks: the account's and every device's.
  [[nodiscard]] Status Unlock(const Actor& actor, std::string_view user_id);

  /// What an admin may know of a user's credentials: {"userId", "passwordSet", "mfaEnrolled",
  /// "recentFailures", "lockedUntil", "deviceLocks": [{"deviceId", "recentFailures",
  /// "lockedUntil"}]} (lockedUntil null when not locked; deviceLocks lists the devices with
  /// recent failures). Never the secrets.
  [[nodiscard]] Result<boost::json::object> State(std::string_view user_id);

  const SignInMetrics& metrics() const { return metrics_; }

 private:
  [[nodiscard]] Result<core::User> FindUser(std::string_view user_id);
  [[nodiscard]] Result<SignInStep> SignedIn(const core::User& user, std::string_view device_id);
  /// Records `user_id` as the device's primary user (the last to sign in on it), in the
  /// caller's transaction.
  [[nodiscard]] Status RecordPrimaryUser(std::string_view device_id, std::string_view user_id,
                                         core::Timestamp now);
  /// Changes the user's credential with `change` (creating it when absent) in the caller's
  /// transaction; then audits `action` and, when `revoke`, revokes the user's tokens.
  [[nodiscard]] Status ChangeCredential(
      const Actor& actor, const core::User& user, std::string_view action, bool revoke,
      const std::function<Status(store::UserCredential&)>& change);

  /// The counters of a sign-in before it: `account` as stored (for a known user) and the
  /// in-memory ones (the pair, the source, and the account of a name nobody has).
  identity::LockCounters Counters(std::string_view name, std::string_view device_id,
                                  std::string_view source_address, bool known,
                                  const identity::LockoutState& account, bool familiar);
  /// Counts a failure for the in-memory counters (pair, source, and the account of an unknown
  /// name when `known` is false); returns them after it. `account` is the account's state after
  /// it for a known user.
  identity::LockCounters CountFailure(std::string_view name, std::string_view device_id,
                                      std::string_view source_address, bool known,
                                      const identity::LockoutState& account, bool familiar,
                                      core::Timestamp now);
  /// Reports the failure and each lock it set, comparing the counters before and after.
  void ReportFailure(const SignInEvent& failure, const identity::LockCounters& before,
                     const identity::LockCounters& after, core::Timestamp now);
  void Emit(const SignInEvent& event);
  /// An admin unlocked the user or set their password: every in-memory counter of the name.
  void ForgetUser(std::string_view user_principal_name);
  /// A sign-in succeeded on the device: the pair's failures are forgotten.
  void ForgetPair(std::string_view name, std::string_view device_id);
  /// Whether `device` is familiar to the user: assigned to them (Autopilot's assigned user) or
  /// the device they last signed in on.
  Result<bool> Familiar(const core::AutopilotDeviceIdentity& device,
                        std::string_view user_principal_name, const core::User* user);

  store::Store& store_;
  Catalog& catalog_;
  TokenService& tokens_;
  Clock clock_;
  SignInOptions options_;
  SignInMetrics metrics_;
  RateLimiter device_limiter_;
  RateLimiter source_limiter_;
  WorkLimit password_hashes_;
  /// In memory, at most kMaxKeys each (those without recent failures are forgotten first, then
  /// all): the account counters of names nobody has (counted alike, so that the answer does not
  /// tell which names exist), the (name, device) pairs ("name\ndevice") and the sources.
  static constexpr size_t kMaxKeys = 10'000;
  std::mutex counters_mutex_;
  std::unordered_map<std::string, identity::LockoutState> unknown_failures_;
  std::unordered_map<std::string, identity::LockoutState> pair_failures_;
  std::unordered_map<std::string, identity::LockoutState> source_failures_;
};

}  // namespace groundcrew::service

#pragma once

#include <boost/json/object.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.hpp"
#include "identity/lockout.hpp"
#include "identity/password.hpp"
#include "server/service/catalog.hpp"
#include "server/service/context.hpp"
#include "server/service/device_trust_service.hpp"
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

struct SignInOptions {
  identity::LockoutPolicy lockout;
  identity::PasswordHashCost password_cost = identity::kDefaultPasswordCost;
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

  /// Starts a sign-in on the calling device (kNotFound unless `device_id` is the caller's).
  /// kUnauthenticated (field "password") for a wrong password or an unknown user name, which
  /// counts toward the user's lockout; a locked account, or a user the device may not be set up
  /// for (core::CheckSignIn), gets a "refused" step. kInvalidArgument names a missing field.
  [[nodiscard]] Result<SignInStep> Begin(const DeviceCaller& caller, std::string_view device_id,
                                         std::string_view user_principal_name,
                                         std::string_view password);

  /// Answers an MFA challenge with a 6-digit code. A wrong or replayed code is kUnauthenticated
  /// (field "code") and counts toward lockout; after kMaxMfaAttempts wrong codes, or when the
  /// challenge expired, kUnauthenticated (field "challengeId"): start again.
  [[nodiscard]] Result<SignInStep> Complete(const DeviceCaller& caller, std::string_view device_id,
                                            std::string_view challenge_id, std::string_view code);

  /// Admin: sets a user's password (the policy of identity::CheckPasswordPolicy applies),
  /// clears the lockout and revokes the user's tokens.
  [[nodiscard]] Status SetPassword(const Actor& actor, std::string_view user_id,
                                   std::string_view password);

  /// Admin: enrolls the user in TOTP MFA with `secret` (raw bytes; a fresh one when empty),
  /// replacing any enrollment, and revokes the user's tokens.
  [[nodiscard]] Result<MfaEnrollment> EnrollMfa(const Actor& actor, std::string_view user_id,
                                                std::string secret = {});

  /// Admin: removes the user's MFA enrollment (they register again at the next sign-in when MFA
  /// is required) and revokes the user's tokens.
  [[nodiscard]] Status ResetMfa(const Actor& actor, std::string_view user_id);

  /// Admin: clears failures and lock.
  [[nodiscard]] Status Unlock(const Actor& actor, std::string_view user_id);

  /// What an admin may know of a user's credentials: {"userId", "passwordSet", "mfaEnrolled",
  /// "recentFailures", "lockedUntil"}. Never the secrets.
  [[nodiscard]] Result<boost::json::object> State(std::string_view user_id);

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

  /// Counts a wrong password for a user name nobody has (or without a password), as an account's
  /// failures are counted, so that the answer (tries left) does not tell which names exist.
  /// Kept in memory, at most kMaxUnknownNames names (forgotten all at once beyond).
  identity::LockoutState CountUnknownFailure(std::string_view user_principal_name,
                                             core::Timestamp now);

  store::Store& store_;
  Catalog& catalog_;
  TokenService& tokens_;
  Clock clock_;
  SignInOptions options_;
  static constexpr size_t kMaxUnknownNames = 10'000;
  std::mutex unknown_mutex_;
  std::unordered_map<std::string, identity::LockoutState> unknown_failures_;
};

}  // namespace groundcrew::service

#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "identity/token.hpp"
#include "server/service/context.hpp"
#include "server/store/store.hpp"

// Issuing and checking the service's tokens (identity/token.hpp): every token issued is
// recorded (store::TokenStore) so that it can be revoked, and a token the store does not know
// is refused. The signing keys rotate; a retired key keeps verifying for the ring's retention.
namespace groundcrew::service {

struct TokenOptions {
  std::string issuer = "groundcrew";
  std::chrono::seconds device_lifetime{std::chrono::minutes(15)};
  std::chrono::seconds user_lifetime{std::chrono::hours(1)};
  /// A signing key older than this is replaced (the ring's retention must be >= the longest
  /// lifetime, which KeyRing's 48-hour default is).
  std::chrono::seconds rotation_period{std::chrono::hours(24 * 30)};
  /// Whether issuing a token also does the housekeeping: rotating the key when due and, every
  /// 256 issues, deleting expired token records. True for one instance; false when several
  /// instances share the store, where only the leader does it (LeaderJobs).
  bool housekeeping_on_issue = true;
};

/// Where a rotated key ring is saved; an error makes the rotation fail (the old key keeps
/// signing), except kAborted: another instance saved a ring first, which is then reloaded.
/// Empty: the ring lives in memory only (tests).
using SaveKeys = std::function<Status(const identity::KeyRing&)>;
/// The stored key ring when another instance may have changed it (instances sharing a store):
/// nullopt when unchanged since the last load. Empty: the ring is this instance's alone.
using ReloadKeys = std::function<Result<std::optional<identity::KeyRing>>()>;

class TokenService {
 public:
  TokenService(store::Store& store, Clock clock, identity::KeyRing keys, SaveKeys save,
               TokenOptions options = {}, ReloadKeys reload = {});

  /// A device token for `device_id` (subject and device), valid for options().device_lifetime.
  [[nodiscard]] Result<identity::IssuedToken> IssueDeviceToken(std::string_view device_id);

  /// A user token for `user_id` signed in on `device_id`, valid for options().user_lifetime,
  /// carrying `extra` claims (e.g. {"upn", ...}).
  [[nodiscard]] Result<identity::IssuedToken> IssueUserToken(
      std::string_view user_id, std::string_view device_id,
      std::map<std::string, std::string> extra = {});

  /// The claims of a token for `audience`, taken from an HTTP Authorization header value
  /// ("Bearer <token>"). kUnauthenticated (field "Authorization" or "token") when it is
  /// missing, malformed, forged, expired, for another audience, revoked or unknown. Messages
  /// never contain the token.
  [[nodiscard]] Result<identity::Claims> Authenticate(std::string_view authorization,
                                                      identity::Audience audience);

  /// Replaces the signing key when it is older than options().rotation_period. Cheap when not
  /// due; called before every issue.
  [[nodiscard]] Status RotateIfDue();
  /// Replaces the signing key now.
  [[nodiscard]] Status Rotate();
  /// Takes the stored ring if another instance changed it (a rotation). Without ReloadKeys, Ok.
  /// Authenticate calls it (at most once a second) when a token does not verify, so a token
  /// signed with a key another instance just made is accepted.
  [[nodiscard]] Status Reload();
  /// Deletes the records of tokens expired by now (they fail on their expiry alone). The number
  /// deleted.
  [[nodiscard]] Result<int64_t> PurgeExpired();

  const TokenOptions& options() const { return options_; }
  /// The key id that signs now.
  std::string CurrentKeyId() const;

 private:
  Result<identity::IssuedToken> Issue(identity::Claims claims, std::string_view device_id);

  store::Store& store_;
  Clock clock_;
  SaveKeys save_;
  TokenOptions options_;
  static constexpr int kPurgeEvery = 256;  // issues between sweeps of expired token records
  std::atomic<int> issued_{0};
  ReloadKeys reload_;
  std::atomic<int64_t> last_reload_{0};  // steady-clock milliseconds of the last Reload
  mutable std::shared_mutex mutex_;      // guards keys_
  identity::KeyRing keys_;
};

/// The token in an Authorization header value: "Bearer <token>" (scheme case-insensitive).
/// kUnauthenticated (field "Authorization") when missing or of another scheme.
[[nodiscard]] Result<std::string_view> BearerToken(std::string_view authorization);

}  // namespace groundcrew::service

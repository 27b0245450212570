#include "server/service/token_service.hpp"

#include <fmt/format.h>

#include <mutex>

#include "common/text.hpp"

namespace groundcrew::service {

Result<std::string_view> BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.empty()) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "this endpoint needs a token: send \"Authorization: Bearer <token>\"",
                     "Authorization");
  }
  if (authorization.size() <= kScheme.size() ||
      !text::EqualsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme)) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "the Authorization header must be \"Bearer <token>\"", "Authorization");
  }
  return authorization.substr(kScheme.size());
}

TokenService::TokenService(store::Store& store, Clock clock, identity::KeyRing keys, SaveKeys save,
                           TokenOptions options, ReloadKeys reload)
    : store_(store),
      clock_(std::move(clock)),
      save_(std::move(save)),
      options_(std::move(options)),
      reload_(std::move(reload)),
      keys_(std::move(keys)) {}

Status TokenService::Reload() {
  if (!reload_) return Ok{};
  last_reload_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now().time_since_epoch())
                     .count();
  Result<std::optional<identity::KeyRing>> stored = reload_();
  if (!stored) return stored.error();
  if (*stored) {
    std::unique_lock lock(mutex_);
    keys_ = std::move(**stored);
  }
  return Ok{};
}

Result<int64_t> TokenService::PurgeExpired() { return store_.tokens().DeleteExpired(clock_()); }

std::string TokenService::CurrentKeyId() const {
  std::shared_lock lock(mutex_);
  return keys_.Current().kid;
}

Status TokenService::RotateIfDue() {
  {
    std::shared_lock lock(mutex_);
    if (clock_() - keys_.Current().created_at < options_.rotation_period) return Ok{};
  }
  return Rotate();
}

Status TokenService::Rotate() {
  std::unique_lock lock(mutex_);
  identity::KeyRing rotated = keys_;
  rotated.Rotate(clock_());
  if (save_) {
    if (Status saved = save_(rotated); !saved) {
      if (saved.error().code != ErrorCode::kAborted || !reload_) return saved;
      // Another instance rotated first: its ring is the one every instance signs with now.
      Result<std::optional<identity::KeyRing>> stored = reload_();
      if (!stored) return stored.error();
      if (*stored) keys_ = std::move(**stored);
      return Ok{};
    }
  }
  keys_ = std::move(rotated);
  return Ok{};
}

Result<identity::IssuedToken> TokenService::Issue(identity::Claims claims,
                                                  std::string_view device_id) {
  if (options_.housekeeping_on_issue) {
    if (Status rotated = RotateIfDue(); !rotated) return rotated.error();
  }
  Result<identity::IssuedToken> issued = [&] {
    std::shared_lock lock(mutex_);
    return identity::Issue(keys_, std::move(claims));
  }();
  if (!issued) return issued;
  store::IssuedTokenRecord record;
  record.id = issued->claims.id;
  record.audience = identity::ToString(issued->claims.audience);
  record.subject = issued->claims.subject;
  record.device_id = std::string(device_id);
  record.issued_date_time = issued->claims.issued_at;
  record.expiration_date_time = issued->claims.expires_at;
  if (Status recorded = store_.tokens().Record(record); !recorded) return recorded.error();
  // Housekeeping: expired tokens fail on their expiry alone, so their records can go.
  if (options_.housekeeping_on_issue &&
      issued_.fetch_add(1, std::memory_order_relaxed) % kPurgeEvery == 0) {
    (void)store_.tokens().DeleteExpired(issued->claims.issued_at);
  }
  return issued;
}

Result<identity::IssuedToken> TokenService::IssueDeviceToken(std::string_view device_id) {
  const core::Timestamp now = clock_();
  identity::Claims claims;
  claims.issuer = options_.issuer;
  claims.subject = std::string(device_id);
  claims.audience = identity::Audience::kDevice;
  claims.issued_at = now;
  claims.expires_at = now + options_.device_lifetime;
  return Issue(std::move(claims), device_id);
}

Result<identity::IssuedToken> TokenService::IssueUserToken(
    std::string_view user_id, std::string_view device_id,
    std::map<std::string, std::string> extra) {
  const core::Timestamp now = clock_();
  identity::Claims claims;
  claims.issuer = options_.issuer;
  claims.subject = std::string(user_id);
  claims.audience = identity::Audience::kUser;
  claims.issued_at = now;
  claims.expires_at = now + options_.user_lifetime;
  claims.extra = std::move(extra);
  claims.extra["did"] = std::string(device_id);
  return Issue(std::move(claims), device_id);
}

Result<identity::Claims> TokenService::Authenticate(std::string_view authorization,
                                                    identity::Audience audience) {
  Result<std::string_view> token = BearerToken(authorization);
  if (!token) return token.error();
  auto is_revoked = [this](const std::string& id) { return store_.tokens().IsRevoked(id); };
  const auto verify = [&] {
    std::shared_lock lock(mutex_);
    return identity::Verify(keys_, *token, audience, clock_(), is_revoked);
  };
  Result<identity::Claims> claims = verify();
  // Signed with a key another instance made since this one loaded the ring? Reload (at most
  // once a second, so forged tokens cannot make every request read the store) and try again.
  if (!claims && reload_ && claims.error().code == ErrorCode::kUnauthenticated) {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
    if (now_ms - last_reload_.load() >= 1000 && Reload()) claims = verify();
  }
  if (!claims) return claims.error();
  if (claims->issuer != options_.issuer) {
    return MakeError(ErrorCode::kUnauthenticated, "the token was issued by someone else", "token");
  }
  return claims;
}

}  // namespace groundcrew::service

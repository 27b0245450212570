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
                           TokenOptions options)
    : store_(store),
      clock_(std::move(clock)),
      save_(std::move(save)),
      options_(std::move(options)),
      keys_(std::move(keys)) {}

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
    if (Status saved = save_(rotated); !saved) return saved;
  }
  keys_ = std::move(rotated);
  return Ok{};
}

Result<identity::IssuedToken> TokenService::Issue(identity::Claims claims,
                                                  std::string_view device_id) {
  if (Status rotated = RotateIfDue(); !rotated) return rotated.error();
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
  if (issued_.fetch_add(1, std::memory_order_relaxed) % kPurgeEvery == 0) {
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
  Result<identity::Claims> claims = [&] {
    std::shared_lock lock(mutex_);
    return identity::Verify(keys_, *token, audience, clock_(), is_revoked);
  }();
  if (!claims) return claims.error();
  if (claims->issuer != options_.issuer) {
    return MakeError(ErrorCode::kUnauthenticated, "the token was issued by someone else", "token");
  }
  return claims;
}

}  // namespace groundcrew::service

#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "common/result.hpp"
#include "core/model/ids.hpp"

// The rules of admins' console sessions (docs/security.md, "Console sessions"), as pure values:
// the caller passes the time. What is stored and how it is authenticated is the service's.
namespace groundcrew::core {

/// A console session ends after this long without a request...
inline constexpr std::chrono::seconds kConsoleIdleTimeout{std::chrono::minutes(30)};
/// ...and this long after its sign-in, whatever its use.
inline constexpr std::chrono::seconds kConsoleSessionLifetime{std::chrono::hours(12)};
/// A request renews the stored idle expiry only when that moves it by at least this much, so
/// that a burst of requests is not a burst of writes. The session then ends at most this much
/// earlier than kConsoleIdleTimeout after its last request.
inline constexpr std::chrono::seconds kConsoleIdleRenewalStep{std::chrono::minutes(1)};

/// The longest admin name.
inline constexpr std::size_t kMaxAdminNameLength = 64;

/// When a console session ends: at `idle` unless a request renews it, at `absolute` anyway.
struct ConsoleExpiry {
  Timestamp idle{};
  Timestamp absolute{};

  friend bool operator==(const ConsoleExpiry&, const ConsoleExpiry&) = default;
};

/// The expiry of a session signed in at `now`.
ConsoleExpiry NewConsoleExpiry(Timestamp now);

/// True while the session may be used at `now` (before both of its expiries).
bool IsConsoleSessionLive(const ConsoleExpiry& expiry, Timestamp now);

/// The idle expiry to store after a request at `now` on a live session: now + the idle timeout,
/// never past the absolute expiry. nullopt when the stored one is close enough (within
/// kConsoleIdleRenewalStep) or the session is not live.
std::optional<Timestamp> RenewedIdleExpiry(const ConsoleExpiry& expiry, Timestamp now);

/// kInvalidArgument (field "name") unless `name` is 1 to kMaxAdminNameLength characters of
/// [a-z0-9._-]; the message says which rule it breaks.
Status ValidateAdminName(std::string_view name);

/// Whether an HTTP method changes things, so that a cookie-authenticated request with it must
/// carry the session's CSRF token: every method but GET and HEAD.
bool NeedsCsrfToken(std::string_view method);

}  // namespace groundcrew::core

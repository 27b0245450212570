#include "core/access/console_session.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace groundcrew::core {

ConsoleExpiry NewConsoleExpiry(Timestamp now) {
  return ConsoleExpiry{now + kConsoleIdleTimeout, now + kConsoleSessionLifetime};
}

bool IsConsoleSessionLive(const ConsoleExpiry& expiry, Timestamp now) {
  return now < expiry.idle && now < expiry.absolute;
}

std::optional<Timestamp> RenewedIdleExpiry(const ConsoleExpiry& expiry, Timestamp now) {
  if (!IsConsoleSessionLive(expiry, now)) return std::nullopt;
  const Timestamp renewed = std::min(now + kConsoleIdleTimeout, expiry.absolute);
  if (renewed - expiry.idle < kConsoleIdleRenewalStep) return std::nullopt;
  return renewed;
}

Status ValidateAdminName(std::string_view name) {
  if (name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "an admin needs a name, e.g. \"alice\"", "name");
  }
  if (name.size() > kMaxAdminNameLength) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("a name has at most {} characters, this one {}",
                                 kMaxAdminNameLength, name.size()),
                     "name");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool allowed =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!allowed) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("a name may hold only a-z, 0-9, '.', '_' and '-' (lower case); "
                                   "character {} is not one of them",
                                   i + 1),
                       "name");
    }
  }
  return Ok{};
}

bool NeedsCsrfToken(std::string_view method) { return method != "GET" && method != "HEAD"; }

}  // namespace groundcrew::core

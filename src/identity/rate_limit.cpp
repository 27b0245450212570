#include "identity/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace groundcrew::identity {

RateDecision TakeToken(TokenBucket bucket, const RateLimit& limit, std::chrono::sys_seconds now) {
  const double burst = std::max(limit.burst, 1.0);
  const double per_second = limit.per_second > 0 ? limit.per_second : 1.0 / 3600;
  if (!bucket.used) {
    bucket = TokenBucket{true, burst, now};
  } else if (now > bucket.updated) {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst, bucket.tokens + elapsed * per_second);
    bucket.updated = now;
  }
  // Tolerance for the rounding of per_second (one token in 6 s is 0.1666... a second).
  constexpr double kEpsilon = 1e-9;
  if (bucket.tokens >= 1.0 - kEpsilon) {
    bucket.tokens = std::max(bucket.tokens, 1.0);
    bucket.tokens -= 1.0;
    return RateDecision{true, bucket, std::chrono::seconds(0)};
  }
  const double wait = std::ceil((1.0 - bucket.tokens) / per_second - kEpsilon);
  return RateDecision{false, bucket,
                      std::chrono::seconds(static_cast<long long>(std::max(wait, 1.0)))};
}

}  // namespace groundcrew::identity

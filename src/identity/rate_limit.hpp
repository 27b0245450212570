#pragma once

#include <chrono>

// Rate limits as token buckets, as pure values: the caller reads the clock and keeps the bucket;
// nothing here reads a clock.
namespace groundcrew::identity {

/// A bucket holds at most `burst` tokens and gains `per_second` tokens a second; each request
/// takes one. `burst` requests may come at once, then `per_second` a second.
struct RateLimit {
  double burst = 10;
  double per_second = 1;

  friend bool operator==(const RateLimit&, const RateLimit&) = default;
};

/// One key's bucket. A default-constructed bucket is full (never used).
struct TokenBucket {
  bool used = false;
  double tokens = 0;
  std::chrono::sys_seconds updated{};

  friend bool operator==(const TokenBucket&, const TokenBucket&) = default;
};

struct RateDecision {
  bool allowed = false;
  TokenBucket bucket;  ///< the bucket after this request (unchanged but refilled when refused)
  /// When refused: how long until a token is there (at least 1 second); zero when allowed.
  std::chrono::seconds retry_after{0};
};

/// Takes a token from `bucket` at `now` under `limit`. A refused request takes nothing, so a
/// client that keeps asking is allowed again as soon as a token is there. Time going backwards
/// adds nothing. A limit with burst < 1 or per_second <= 0 is treated as burst 1 and one token
/// an hour.
RateDecision TakeToken(TokenBucket bucket, const RateLimit& limit, std::chrono::sys_seconds now);

}  // namespace groundcrew::identity

#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "common/result.hpp"
#include "core/model/ids.hpp"
#include "identity/rate_limit.hpp"

// Load limits of the unauthenticated and sign-in paths: token buckets by key (a device, a
// source address) and a bounded pool of expensive work (password hashes).
namespace groundcrew::service {

/// A request refused for load: answer 429 (rate limit) or 503 (busy) with `error` and a
/// Retry-After of `retry_after` seconds.
struct Throttle {
  Error error;
  std::chrono::seconds retry_after{1};
};

/// The 429 refusal: kUnavailable, field `field`, "Too many <what>; try again in N seconds
/// (after HH:MM:SS UTC)."
Throttle TooManyRequests(std::string_view what, std::string_view field,
                         std::chrono::seconds retry_after, core::Timestamp now);

/// Token buckets (identity::TakeToken) by key. Thread-safe. At most `max_keys` keys are kept:
/// beyond, full buckets are forgotten first (forgetting a full bucket changes nothing), then all.
class RateLimiter {
 public:
  explicit RateLimiter(identity::RateLimit limit, size_t max_keys = 10'000)
      : limit_(limit), max_keys_(max_keys) {}

  /// Takes a token for `key` at `now`: nullopt when allowed, else how long to wait.
  std::optional<std::chrono::seconds> Take(std::string_view key, core::Timestamp now);

  const identity::RateLimit& limit() const { return limit_; }

 private:
  identity::RateLimit limit_;
  size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, identity::TokenBucket> buckets_;
};

/// Password hashes to compute at once: `configured`, or when it is not positive max(1,
/// hardware threads / 2).
int PasswordHashSlots(int configured);

/// At most `slots` pieces of work at once; a caller waits a bounded time for a slot.
/// Thread-safe.
class WorkLimit {
 public:
  explicit WorkLimit(int slots) : free_(slots < 1 ? 1 : slots) {}

  /// Holds a slot until destroyed.
  class Slot {
   public:
    explicit Slot(WorkLimit* owner) : owner_(owner) {}
    Slot(Slot&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (owner_ != nullptr) owner_->Release();
    }

   private:
    WorkLimit* owner_;
  };

  /// A slot, waiting up to `wait` for one; nullopt when none became free in time.
  std::optional<Slot> Acquire(std::chrono::milliseconds wait);

 private:
  void Release();

  std::mutex mutex_;
  std::condition_variable freed_;
  int free_;
};

}  // namespace groundcrew::service

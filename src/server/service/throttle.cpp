#include "server/service/throttle.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <thread>

namespace groundcrew::service {

Throttle TooManyRequests(std::string_view what, std::string_view field,
                         std::chrono::seconds retry_after, core::Timestamp now) {
  return Throttle{
      MakeError(
          ErrorCode::kUnavailable,
          fmt::format("Too many {}; try again in {} second{} (after {:%H:%M:%S} UTC).", what,
                      retry_after.count(), retry_after.count() == 1 ? "" : "s", now + retry_after),
          std::string(field)),
      retry_after};
}

std::optional<std::chrono::seconds> RateLimiter::Take(std::string_view key, core::Timestamp now) {
  std::lock_guard lock(mutex_);
  auto found = buckets_.find(std::string(key));
  if (found == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      // A bucket that refilled to the burst is the same as a fresh one: forget those first.
      for (auto it = buckets_.begin(); it != buckets_.end();) {
        const identity::RateDecision peek = identity::TakeToken(it->second, limit_, now);
        const double before = peek.allowed ? peek.bucket.tokens + 1 : peek.bucket.tokens;
        it = before >= std::max(limit_.burst, 1.0) ? buckets_.erase(it) : std::next(it);
      }
      if (buckets_.size() >= max_keys_) buckets_.clear();
    }
    found = buckets_.emplace(std::string(key), identity::TokenBucket{}).first;
  }
  const identity::RateDecision decision = identity::TakeToken(found->second, limit_, now);
  found->second = decision.bucket;
  if (decision.allowed) return std::nullopt;
  return decision.retry_after;
}

int PasswordHashSlots(int configured) {
  if (configured > 0) return configured;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency() / 2));
}

std::optional<WorkLimit::Slot> WorkLimit::Acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  if (!freed_.wait_for(lock, wait, [&] { return free_ > 0; })) return std::nullopt;
  --free_;
  return std::optional<Slot>(std::in_place, this);
}

void WorkLimit::Release() {
  {
    std::lock_guard lock(mutex_);
    ++free_;
  }
  freed_.notify_one();
}

}  // namespace groundcrew::service

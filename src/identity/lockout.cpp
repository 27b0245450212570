#include "identity/lockout.hpp"

#include <algorithm>
#include <cstddef>

namespace groundcrew::identity {

Status ValidateLockoutPolicy(const LockoutPolicy& policy) {
  if (policy.max_failures < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "must be at least 1", "max_failures");
  }
  if (policy.failure_window <= std::chrono::seconds::zero()) {
    return MakeError(ErrorCode::kInvalidArgument, "must be a positive duration", "failure_window");
  }
  if (policy.lock_duration <= std::chrono::seconds::zero()) {
    return MakeError(ErrorCode::kInvalidArgument, "must be a positive duration", "lock_duration");
  }
  return Ok{};
}

LockoutState RecordFailure(LockoutState state, const LockoutPolicy& policy,
                           std::chrono::sys_seconds now) {
  if (IsLocked(state, now)) return state;
  state.locked_until.reset();
  // Forget failures that fell out of the window ending at `now`.
  std::erase_if(state.failures,
                [&](std::chrono::sys_seconds at) { return now - at >= policy.failure_window; });
  state.failures.push_back(now);
  std::sort(state.failures.begin(), state.failures.end());
  const auto max_failures = static_cast<std::size_t>(std::max(policy.max_failures, 1));
  if (state.failures.size() >= max_failures) {
    state.failures.clear();
    state.locked_until = now + policy.lock_duration;
  }
  return state;
}

LockoutState RecordSuccess(LockoutState state) {
  state.failures.clear();
  state.locked_until.reset();
  return state;
}

bool IsLocked(const LockoutState& state, std::chrono::sys_seconds now) {
  return state.locked_until && now < *state.locked_until;
}

std::optional<std::chrono::sys_seconds> LockedUntil(const LockoutState& state,
                                                    std::chrono::sys_seconds now) {
  if (!IsLocked(state, now)) return std::nullopt;
  return state.locked_until;
}

}  // namespace groundcrew::identity

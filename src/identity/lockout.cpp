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

bool HasRecentFailures(const LockoutState& state, const LockoutPolicy& policy,
                       std::chrono::sys_seconds now) {
  if (IsLocked(state, now)) return true;
  return std::any_of(state.failures.begin(), state.failures.end(),
                     [&](std::chrono::sys_seconds at) { return now - at < policy.failure_window; });
}

bool AccountLockApplies(const LockCounters& counters, const LockoutPolicy& account_policy,
                        const LockoutPolicy& device_policy, std::chrono::sys_seconds now) {
  if (!counters.familiar_device || IsLocked(counters.device, now)) return true;
  std::chrono::sys_seconds since = now - device_policy.failure_window;
  if (IsLocked(counters.account, now)) {
    since = std::min(since, *counters.account.locked_until - account_policy.lock_duration -
                                account_policy.failure_window);
  }
  return std::any_of(counters.device.failures.begin(), counters.device.failures.end(),
                     [&](std::chrono::sys_seconds at) { return at > since; });
}

std::optional<SignInLock> CheckSignInLocks(const LockCounters& counters,
                                           const LockoutPolicy& account_policy,
                                           const LockoutPolicy& device_policy,
                                           std::chrono::sys_seconds now) {
  if (IsLocked(counters.source, now)) {
    return SignInLock{LockScope::kSource, *counters.source.locked_until};
  }
  if (IsLocked(counters.device, now)) {
    return SignInLock{LockScope::kDevice, *counters.device.locked_until};
  }
  if (IsLocked(counters.account, now) &&
      AccountLockApplies(counters, account_policy, device_policy, now)) {
    return SignInLock{LockScope::kAccount, *counters.account.locked_until};
  }
  return std::nullopt;
}

long long TriesLeft(const LockCounters& after, const LockoutPolicy& account_policy,
                    const LockoutPolicy& device_policy, std::chrono::sys_seconds now) {
  if (CheckSignInLocks(after, account_policy, device_policy, now)) return 0;
  auto left = [](const LockoutState& state, const LockoutPolicy& policy) {
    return static_cast<long long>(std::max(policy.max_failures, 1)) -
           static_cast<long long>(state.failures.size());
  };
  long long tries = left(after.device, device_policy);
  if (AccountLockApplies(after, account_policy, device_policy, now)) {
    tries = std::min(tries, left(after.account, account_policy));
  }
  return std::max(tries, 0LL);
}

}  // namespace groundcrew::identity

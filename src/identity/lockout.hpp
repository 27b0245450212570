#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "common/result.hpp"

// Account lockout after repeated sign-in failures, as pure values: the caller reads the clock
// and stores the state; nothing here reads a clock.
namespace groundcrew::identity {

/// `max_failures` failures within any `failure_window` (a sliding window) lock the account for
/// `lock_duration`. Defaults: 10 failures in 10 minutes lock for 15 minutes.
struct LockoutPolicy {
  int max_failures = 10;
  std::chrono::seconds failure_window = std::chrono::minutes(10);
  std::chrono::seconds lock_duration = std::chrono::minutes(15);

  friend bool operator==(const LockoutPolicy&, const LockoutPolicy&) = default;
};

/// kInvalidArgument naming the field ("max_failures", "failure_window", "lock_duration") unless
/// max_failures >= 1 and both durations are positive.
Status ValidateLockoutPolicy(const LockoutPolicy& policy);

/// One account's lockout state. A default-constructed state is "no failures, not locked".
struct LockoutState {
  /// The times of the failures still inside the window, oldest first; at most
  /// policy.max_failures - 1 entries (reaching max_failures locks and clears the list).
  std::vector<std::chrono::sys_seconds> failures;
  /// Locked while now < locked_until.
  std::optional<std::chrono::sys_seconds> locked_until;

  friend bool operator==(const LockoutState&, const LockoutState&) = default;
};

/// The state after a failed sign-in at `now`. Failures older than the window are forgotten
/// (a failure at t still counts at t + window - 1s, not at t + window). The failure that makes
/// max_failures within the window locks the account until now + lock_duration and clears the
/// failures, so an expired lock starts from zero. A failure while locked changes nothing: the
/// lock is not extended. An invalid policy is treated as max_failures >= 1.
LockoutState RecordFailure(LockoutState state, const LockoutPolicy& policy,
                           std::chrono::sys_seconds now);

/// The state after a successful sign-in (or an administrator's unlock): no failures, no lock.
/// REQUIRES: the caller checked IsLocked first; a success does not bypass a lock.
LockoutState RecordSuccess(LockoutState state);

/// True while the account is locked at `now`.
bool IsLocked(const LockoutState& state, std::chrono::sys_seconds now);

/// Until when the account is locked, or nullopt when it is not locked at `now`.
std::optional<std::chrono::sys_seconds> LockedUntil(const LockoutState& state,
                                                    std::chrono::sys_seconds now);

}  // namespace groundcrew::identity

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

/// True when `state` holds a failure inside `policy`'s window ending at `now`, or is locked.
bool HasRecentFailures(const LockoutState& state, const LockoutPolicy& policy,
                       std::chrono::sys_seconds now);

// ---- Sign-in lockout: three counters (docs/security.md, "Sign-in lockout") ----
//
// A sign-in is counted three times: for the account (user name), for the pair (user name,
// device) and for the source address. Each counter locks on its own policy:
//   - the pair locks first (kDefaultDeviceLockout): that user on that device;
//   - the source locks after failures across every user name (kDefaultSourceLockout);
//   - the account (the per-user policy, LockoutPolicy's defaults) locks the user on unfamiliar
//     devices only ("smart lockout"): a familiar device (the user's assigned device, or one
//     where the user signed in before) whose pair has no recent failure still gets through.

/// 5 failures of one user on one device in 10 minutes lock that pair for 15 minutes.
inline const LockoutPolicy kDefaultDeviceLockout{5, std::chrono::minutes(10),
                                                 std::chrono::minutes(15)};
/// 30 failures from one source address (any user names) in 10 minutes lock the source for 15.
inline const LockoutPolicy kDefaultSourceLockout{30, std::chrono::minutes(10),
                                                 std::chrono::minutes(15)};

/// Which counter refuses a sign-in.
enum class LockScope { kSource, kDevice, kAccount };

/// The counters of one sign-in attempt, as stored before it.
struct LockCounters {
  LockoutState account;
  LockoutState device;  ///< the (user name, device) pair
  LockoutState source;
  /// The device is the user's assigned device or one where the user signed in before.
  bool familiar_device = false;
};

struct SignInLock {
  LockScope scope = LockScope::kAccount;
  std::chrono::sys_seconds until{};

  friend bool operator==(const SignInLock&, const SignInLock&) = default;
};

/// Whether a sign-in is refused at `now` before its password is checked, and by which lock:
/// the source's, then the pair's, then the account's when AccountLockApplies. nullopt: go on
/// and check the password.
std::optional<SignInLock> CheckSignInLocks(const LockCounters& counters,
                                           const LockoutPolicy& account_policy,
                                           const LockoutPolicy& device_policy,
                                           std::chrono::sys_seconds now);

/// Whether the account's lock (when there is one) applies to this device: always on an
/// unfamiliar device; on a familiar one only when its pair is locked or failed itself: a
/// failure inside `device_policy`'s window, or, while the account is locked, any failure since
/// the window that led to the lock (so a familiar device that helped lock the account stays
/// locked out until the account's lock ends).
bool AccountLockApplies(const LockCounters& counters, const LockoutPolicy& account_policy,
                        const LockoutPolicy& device_policy, std::chrono::sys_seconds now);

/// The failures still allowed before the pair's lock, or the account's when it applies here,
/// locks (the smaller), given the counters after a failure was recorded. 0 when locked.
long long TriesLeft(const LockCounters& after, const LockoutPolicy& account_policy,
                    const LockoutPolicy& device_policy, std::chrono::sys_seconds now);

}  // namespace groundcrew::identity

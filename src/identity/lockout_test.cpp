#include "identity/lockout.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace groundcrew::identity {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_seconds;

// A fake clock: a fixed instant that tests advance by hand.
struct FakeClock {
  sys_seconds now{seconds{1'800'000'000}};
  void Advance(seconds by) { now += by; }
};

TEST(LockoutPolicy, DefaultsAreTenFailuresInTenMinutesForFifteen) {
  const LockoutPolicy policy;
  EXPECT_EQ(policy.max_failures, 10);
  EXPECT_EQ(policy.failure_window, minutes(10));
  EXPECT_EQ(policy.lock_duration, minutes(15));
  EXPECT_TRUE(ValidateLockoutPolicy(policy));
}

TEST(LockoutPolicy, ValidationNamesTheField) {
  LockoutPolicy policy;
  policy.max_failures = 0;
  ASSERT_FALSE(ValidateLockoutPolicy(policy));
  EXPECT_EQ(ValidateLockoutPolicy(policy).error().field, "max_failures");
  policy = {};
  policy.failure_window = seconds(0);
  EXPECT_EQ(ValidateLockoutPolicy(policy).error().field, "failure_window");
  policy = {};
  policy.lock_duration = seconds(-1);
  EXPECT_EQ(ValidateLockoutPolicy(policy).error().field, "lock_duration");
  EXPECT_EQ(ValidateLockoutPolicy(policy).error().code, ErrorCode::kInvalidArgument);
}

TEST(Lockout, NineFailuresDoNotLockTheTenthDoes) {
  const LockoutPolicy policy;
  FakeClock clock;
  LockoutState state;
  for (int i = 0; i < 9; ++i) {
    state = RecordFailure(state, policy, clock.now);
    EXPECT_FALSE(IsLocked(state, clock.now)) << "after failure " << i + 1;
    clock.Advance(seconds(30));
  }
  state = RecordFailure(state, policy, clock.now);
  EXPECT_TRUE(IsLocked(state, clock.now));
  EXPECT_EQ(LockedUntil(state, clock.now), clock.now + minutes(15));
}

TEST(Lockout, LockExpiresAfterFifteenMinutes) {
  const LockoutPolicy policy;
  FakeClock clock;
  LockoutState state;
  for (int i = 0; i < 10; ++i) state = RecordFailure(state, policy, clock.now);
  const sys_seconds locked_at = clock.now;
  clock.Advance(minutes(15) - seconds(1));
  EXPECT_TRUE(IsLocked(state, clock.now));
  EXPECT_EQ(LockedUntil(state, clock.now), locked_at + minutes(15));
  clock.Advance(seconds(1));
  EXPECT_FALSE(IsLocked(state, clock.now));
  EXPECT_EQ(LockedUntil(state, clock.now), std::nullopt);
  // After expiry the count starts from zero: one more failure does not lock again.
  state = RecordFailure(state, policy, clock.now);
  EXPECT_FALSE(IsLocked(state, clock.now));
}

TEST(Lockout, FailuresWhileLockedDoNotExtendTheLock) {
  const LockoutPolicy policy;
  FakeClock clock;
  LockoutState state;
  for (int i = 0; i < 10; ++i) state = RecordFailure(state, policy, clock.now);
  const LockoutState locked = state;
  clock.Advance(minutes(14));
  state = RecordFailure(state, policy, clock.now);
  EXPECT_EQ(state, locked);
  clock.Advance(minutes(1));
  EXPECT_FALSE(IsLocked(state, clock.now));
}

TEST(Lockout, FailuresOlderThanTheWindowDoNotCount) {
  const LockoutPolicy policy;
  FakeClock clock;
  LockoutState state;
  for (int i = 0; i < 9; ++i) state = RecordFailure(state, policy, clock.now);
  clock.Advance(minutes(10));  // the nine are exactly one window old now
  state = RecordFailure(state, policy, clock.now);
  EXPECT_FALSE(IsLocked(state, clock.now));
  EXPECT_EQ(state.failures.size(), 1u);
}

TEST(Lockout, TheWindowSlides) {
  // Nine failures at 0s, 60s, ..., 480s.
  const LockoutPolicy policy;
  FakeClock clock;
  const sys_seconds start = clock.now;
  LockoutState state;
  for (int i = 0; i < 9; ++i) state = RecordFailure(state, policy, start + seconds(60 * i));
  // Window ending at start + 600s: the failure at `start` has dropped out; 8 + this one = 9.
  state = RecordFailure(state, policy, start + seconds(600));
  EXPECT_FALSE(IsLocked(state, start + seconds(600)));
  // One second earlier the same tenth failure would have locked.
  LockoutState other;
  for (int i = 0; i < 9; ++i) other = RecordFailure(other, policy, start + seconds(60 * i));
  other = RecordFailure(other, policy, start + seconds(599));
  EXPECT_TRUE(IsLocked(other, start + seconds(599)));
  // 60s..601s holds ten failures: that locks, whatever fixed window boundaries would say.
  state = RecordFailure(state, policy, start + seconds(601));
  EXPECT_TRUE(IsLocked(state, start + seconds(601)));
}

TEST(Lockout, SuccessResets) {
  const LockoutPolicy policy;
  FakeClock clock;
  LockoutState state;
  for (int i = 0; i < 9; ++i) state = RecordFailure(state, policy, clock.now);
  state = RecordSuccess(state);
  EXPECT_EQ(state, LockoutState{});
  for (int i = 0; i < 9; ++i) state = RecordFailure(state, policy, clock.now);
  EXPECT_FALSE(IsLocked(state, clock.now));
}

TEST(Lockout, ConfigurablePolicy) {
  const LockoutPolicy policy{
      .max_failures = 3, .failure_window = seconds(60), .lock_duration = seconds(120)};
  FakeClock clock;
  LockoutState state;
  state = RecordFailure(state, policy, clock.now);
  state = RecordFailure(state, policy, clock.now);
  EXPECT_FALSE(IsLocked(state, clock.now));
  state = RecordFailure(state, policy, clock.now);
  EXPECT_EQ(LockedUntil(state, clock.now), clock.now + seconds(120));
}

TEST(Lockout, AnInvalidPolicyStillLocks) {
  const LockoutPolicy policy{.max_failures = -5};
  FakeClock clock;
  const LockoutState state = RecordFailure({}, policy, clock.now);
  EXPECT_TRUE(IsLocked(state, clock.now));
}

// ---- sign-in lockout: account, (user, device) pair and source ----

LockoutState LockedBy(const LockoutPolicy& policy, sys_seconds now) {
  LockoutState state;
  for (int i = 0; i < policy.max_failures; ++i) state = RecordFailure(state, policy, now);
  return state;
}

TEST(SignInLocks, DeviceAndSourceDefaultsLockBeforeTheAccount) {
  EXPECT_EQ(kDefaultDeviceLockout.max_failures, 5);
  EXPECT_LT(kDefaultDeviceLockout.max_failures, LockoutPolicy{}.max_failures);
  EXPECT_EQ(kDefaultSourceLockout.max_failures, 30);
  EXPECT_TRUE(ValidateLockoutPolicy(kDefaultDeviceLockout));
  EXPECT_TRUE(ValidateLockoutPolicy(kDefaultSourceLockout));
}

TEST(SignInLocks, NothingLockedLetsThePasswordBeChecked) {
  FakeClock clock;
  EXPECT_EQ(CheckSignInLocks({}, LockoutPolicy{}, kDefaultDeviceLockout, clock.now), std::nullopt);
}

TEST(SignInLocks, ALockedPairRefusesThatDeviceOnly) {
  FakeClock clock;
  LockCounters on_a;
  on_a.device = LockedBy(kDefaultDeviceLockout, clock.now);
  const auto lock = CheckSignInLocks(on_a, LockoutPolicy{}, kDefaultDeviceLockout, clock.now);
  ASSERT_TRUE(lock);
  EXPECT_EQ(lock->scope, LockScope::kDevice);
  EXPECT_EQ(lock->until, clock.now + minutes(15));
  LockCounters on_b;  // the same account, another device: its own pair is clean
  EXPECT_EQ(CheckSignInLocks(on_b, LockoutPolicy{}, kDefaultDeviceLockout, clock.now),
            std::nullopt);
}

TEST(SignInLocks, ALockedAccountRefusesUnfamiliarDevicesAndLetsAFamiliarCleanOneThrough) {
  const LockoutPolicy account;
  FakeClock clock;
  LockCounters counters;
  counters.account = LockedBy(account, clock.now);
  const auto unfamiliar = CheckSignInLocks(counters, account, kDefaultDeviceLockout, clock.now);
  ASSERT_TRUE(unfamiliar);
  EXPECT_EQ(unfamiliar->scope, LockScope::kAccount);
  EXPECT_EQ(unfamiliar->until, clock.now + minutes(15));
  counters.familiar_device = true;
  EXPECT_EQ(CheckSignInLocks(counters, account, kDefaultDeviceLockout, clock.now), std::nullopt);
}

TEST(SignInLocks, AFamiliarDeviceThatHelpedLockTheAccountStaysLockedOutUntilTheLockEnds) {
  const LockoutPolicy account;
  FakeClock clock;
  LockCounters counters;
  counters.familiar_device = true;
  counters.device = RecordFailure({}, kDefaultDeviceLockout, clock.now);
  counters.account = LockedBy(account, clock.now);
  EXPECT_TRUE(CheckSignInLocks(counters, account, kDefaultDeviceLockout, clock.now));
  clock.Advance(minutes(14));  // its failure left the device's window, not the account's lock
  EXPECT_TRUE(CheckSignInLocks(counters, account, kDefaultDeviceLockout, clock.now));
  clock.Advance(minutes(1));
  EXPECT_EQ(CheckSignInLocks(counters, account, kDefaultDeviceLockout, clock.now), std::nullopt);
}

TEST(SignInLocks, AFamiliarDevicesFailureLongBeforeTheLockDoesNotCount) {
  const LockoutPolicy account;
  FakeClock clock;
  LockCounters counters;
  counters.familiar_device = true;
  counters.device = RecordFailure({}, kDefaultDeviceLockout, clock.now);
  clock.Advance(minutes(30));
  counters.account = LockedBy(account, clock.now);
  EXPECT_EQ(CheckSignInLocks(counters, account, kDefaultDeviceLockout, clock.now), std::nullopt);
}

TEST(SignInLocks, ALockedSourceRefusesEveryUserAndDeviceFirst) {
  FakeClock clock;
  LockCounters counters;
  counters.familiar_device = true;
  counters.source = LockedBy(kDefaultSourceLockout, clock.now);
  counters.device = LockedBy(kDefaultDeviceLockout, clock.now);
  const auto lock = CheckSignInLocks(counters, LockoutPolicy{}, kDefaultDeviceLockout, clock.now);
  ASSERT_TRUE(lock);
  EXPECT_EQ(lock->scope, LockScope::kSource);
  clock.Advance(minutes(15));
  EXPECT_EQ(CheckSignInLocks(counters, LockoutPolicy{}, kDefaultDeviceLockout, clock.now),
            std::nullopt);
}

TEST(SignInLocks, TriesLeftIsTheNearerLockThatApplies) {
  FakeClock clock;
  LockCounters after;
  after.device = RecordFailure({}, kDefaultDeviceLockout, clock.now);  // 4 left on the device
  const LockoutPolicy account{.max_failures = 3};
  after.account = RecordFailure({}, account, clock.now);  // 2 left on the account
  EXPECT_EQ(TriesLeft(after, account, kDefaultDeviceLockout, clock.now), 2);
  after.familiar_device = true;  // the account's lock would not apply... but this device failed
  EXPECT_EQ(TriesLeft(after, account, kDefaultDeviceLockout, clock.now), 2);
  after.device = {};
  EXPECT_EQ(TriesLeft(after, account, kDefaultDeviceLockout, clock.now), 5);
  after.device = LockedBy(kDefaultDeviceLockout, clock.now);
  EXPECT_EQ(TriesLeft(after, account, kDefaultDeviceLockout, clock.now), 0);
}

}  // namespace
}  // namespace groundcrew::identity

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

}  // namespace
}  // namespace groundcrew::identity

#include "identity/rate_limit.hpp"

#include <gtest/gtest.h>

namespace groundcrew::identity {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

const sys_seconds kStart{seconds{1'800'000'000}};

TEST(RateLimit, ABurstIsAllowedThenRefusedWithWhenToRetry) {
  const RateLimit limit{.burst = 3, .per_second = 0.5};
  TokenBucket bucket;
  for (int i = 0; i < 3; ++i) {
    RateDecision taken = TakeToken(bucket, limit, kStart);
    ASSERT_TRUE(taken.allowed) << i;
    EXPECT_EQ(taken.retry_after, seconds(0));
    bucket = taken.bucket;
  }
  RateDecision refused = TakeToken(bucket, limit, kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(2));  // one token every 2 seconds
  bucket = refused.bucket;
  EXPECT_FALSE(TakeToken(bucket, limit, kStart + seconds(1)).allowed);
  EXPECT_EQ(TakeToken(bucket, limit, kStart + seconds(1)).retry_after, seconds(1));
  RateDecision again = TakeToken(bucket, limit, kStart + seconds(2));
  EXPECT_TRUE(again.allowed);
  EXPECT_FALSE(TakeToken(again.bucket, limit, kStart + seconds(2)).allowed);
}

TEST(RateLimit, RefusedRequestsTakeNothingAndTheBucketRefillsToTheBurstOnly) {
  const RateLimit limit{.burst = 2, .per_second = 1};
  TokenBucket bucket = TakeToken({}, limit, kStart).bucket;
  bucket = TakeToken(bucket, limit, kStart).bucket;
  for (int i = 0; i < 100; ++i) bucket = TakeToken(bucket, limit, kStart).bucket;
  EXPECT_TRUE(TakeToken(bucket, limit, kStart + seconds(1)).allowed);
  // An hour idle: still only `burst` at once.
  bucket = TakeToken(bucket, limit, kStart + seconds(3600)).bucket;
  bucket = TakeToken(bucket, limit, kStart + seconds(3600)).bucket;
  EXPECT_FALSE(TakeToken(bucket, limit, kStart + seconds(3600)).allowed);
}

TEST(RateLimit, TimeGoingBackwardsAddsNothing) {
  const RateLimit limit{.burst = 1, .per_second = 1};
  TokenBucket bucket = TakeToken({}, limit, kStart).bucket;
  EXPECT_FALSE(TakeToken(bucket, limit, kStart - seconds(100)).allowed);
}

TEST(RateLimit, AnInvalidLimitStillLimits) {
  const RateLimit limit{.burst = 0, .per_second = 0};
  TokenBucket bucket = TakeToken({}, limit, kStart).bucket;
  RateDecision refused = TakeToken(bucket, limit, kStart + seconds(60));
  EXPECT_FALSE(refused.allowed);
  EXPECT_GT(refused.retry_after, seconds(60));
}

}  // namespace
}  // namespace groundcrew::identity

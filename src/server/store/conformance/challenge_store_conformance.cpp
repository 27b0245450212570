#include "server/store/conformance/challenge_store_conformance.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace groundcrew::store::conformance {
namespace {

constexpr int64_t kExpires = 1'700'000'300;

// Every field set; `data` holds raw bytes, NUL and 0xff included.
Challenge Nonce(const std::string& id) {
  Challenge c;
  c.id = id;
  c.purpose = "deviceProof";
  c.subject = "SN-0042";
  c.device_id = "ztd-0042";
  c.data = std::string("\x00nonce\xff\x00\x01", 9);
  c.attempts = 2;
  c.expires_date_time = At(kExpires);
  return c;
}

void ExpectSame(const Challenge& a, const Challenge& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.purpose, b.purpose);
  EXPECT_EQ(a.subject, b.subject);
  EXPECT_EQ(a.device_id, b.device_id);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.attempts, b.attempts);
  EXPECT_EQ(a.expires_date_time, b.expires_date_time);
}

TEST_P(ChallengeStoreConformance, CreatesAndFindsEveryField) {
  ASSERT_TRUE(store().challenges().Create(Nonce("c1")).has_value());
  auto found = store().challenges().Find("c1", At(kExpires - 60));
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  ExpectSame(**found, Nonce("c1"));
  EXPECT_EQ((*found)->data.size(), 9u);

  Challenge bare;  // no subject, no device, no data
  bare.id = "c2";
  bare.purpose = "mfa";
  bare.expires_date_time = At(kExpires);
  ASSERT_TRUE(store().challenges().Create(bare).has_value());
  auto blank = store().challenges().Find("c2", At(kExpires - 60));
  ASSERT_TRUE(blank.has_value() && blank->has_value());
  ExpectSame(**blank, bare);

  auto unknown = store().challenges().Find("nope", At(kExpires - 60));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(ChallengeStoreConformance, AnIdIsUsedOnce) {
  ASSERT_TRUE(store().challenges().Create(Nonce("c1")).has_value());
  Challenge other = Nonce("c1");
  other.purpose = "mfa";
  Status duplicate = store().challenges().Create(other);
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kAlreadyExists);
  ExpectSame(**store().challenges().Find("c1", At(kExpires - 60)), Nonce("c1"));
  EXPECT_EQ(store().challenges().Create(Nonce("")).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(ChallengeStoreConformance, FindNeverReturnsAnExpiredChallenge) {
  ASSERT_TRUE(store().challenges().Create(Nonce("c1")).has_value());
  EXPECT_TRUE(store().challenges().Find("c1", At(kExpires - 1))->has_value());
  EXPECT_FALSE(store().challenges().Find("c1", At(kExpires))->has_value());
  EXPECT_FALSE(store().challenges().Find("c1", At(kExpires + 3600))->has_value());
  // Expired is not taken: an earlier clock still sees it (until it is purged).
  EXPECT_TRUE(store().challenges().Find("c1", At(kExpires - 1))->has_value());
}

TEST_P(ChallengeStoreConformance, CountsAttempts) {
  ASSERT_TRUE(store().challenges().Create(Nonce("c1")).has_value());
  ASSERT_TRUE(store().challenges().SetAttempts("c1", 3).has_value());
  auto found = store().challenges().Find("c1", At(kExpires - 60));
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->attempts, 3);
  Challenge expected = Nonce("c1");
  expected.attempts = 3;
  ExpectSame(**found, expected);

  Status missing = store().challenges().SetAttempts("nope", 1);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_P(ChallengeStoreConformance, DeleteTakesAChallengeOnce) {
  ASSERT_TRUE(store().challenges().Create(Nonce("c1")).has_value());
  ASSERT_TRUE(store().challenges().Create(Nonce("c2")).has_value());
  auto first = store().challenges().Delete("c1");
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_TRUE(*first);
  auto second = store().challenges().Delete("c1");
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(*second);
  EXPECT_FALSE(store().challenges().Find("c1", At(kExpires - 60))->has_value());
  EXPECT_FALSE(*store().challenges().Delete("nope"));
  EXPECT_EQ(store().challenges().SetAttempts("c1", 1).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store().challenges().Find("c2", At(kExpires - 60))->has_value());
}

TEST_P(ChallengeStoreConformance, OfCallersRacingToTakeAChallengeOnlyOneWins) {
  constexpr int kCallers = 8;
  for (int round = 0; round < 5; ++round) {
    const std::string id = "race-" + std::to_string(round);
    ASSERT_TRUE(store().challenges().Create(Nonce(id)).has_value());
    std::atomic<int> taken{0};
    std::atomic<int> failed{0};
    std::vector<std::thread> callers;
    for (int i = 0; i < kCallers; ++i) {
      callers.emplace_back([&] {
        // Find then Delete in one transaction, as a use case takes a challenge.
        Status done = store().Transact([&]() -> Status {
          auto found = store().challenges().Find(id, At(kExpires - 60));
          if (!found) return found.error();
          if (!found->has_value()) return Ok{};
          auto removed = store().challenges().Delete(id);
          if (!removed) return removed.error();
          if (*removed) taken.fetch_add(1);
          return Ok{};
        });
        if (!done) failed.fetch_add(1);
      });
    }
    for (std::thread& caller : callers) caller.join();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(taken.load(), 1) << "round " << round;
  }
}

TEST_P(ChallengeStoreConformance, DeleteExpiredPurgesWhatFindNoLongerReturns) {
  for (int i = 0; i < 3; ++i) {
    Challenge c = Nonce("c" + std::to_string(i));
    c.expires_date_time = At(kExpires + 100 * i);  // kExpires, +100, +200
    ASSERT_TRUE(store().challenges().Create(c).has_value());
  }
  auto none = store().challenges().DeleteExpired(At(kExpires - 1));
  ASSERT_TRUE(none.has_value()) << none.error().message;
  EXPECT_EQ(*none, 0);
  // Expired at `now` includes expiring exactly then.
  auto purged = store().challenges().DeleteExpired(At(kExpires + 100));
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 2);
  EXPECT_FALSE(*store().challenges().Delete("c0"));
  EXPECT_FALSE(*store().challenges().Delete("c1"));
  EXPECT_TRUE(store().challenges().Find("c2", At(kExpires + 150))->has_value());
  EXPECT_EQ(*store().challenges().DeleteExpired(At(kExpires + 100)), 0);
}

TEST_P(ChallengeStoreConformance, ATransactionThatFailsLeavesChallengesAsTheyWere) {
  ASSERT_TRUE(store().challenges().Create(Nonce("c1")).has_value());
  Status failed = store().Transact([&]() -> Status {
    if (auto s = store().challenges().SetAttempts("c1", 5); !s) return s.error();
    auto removed = store().challenges().Delete("c1");
    if (!removed) return removed.error();
    if (auto s = store().challenges().Create(Nonce("c2")); !s) return s.error();
    return MakeError(ErrorCode::kAborted, "the use case gave up");
  });
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kAborted) << failed.error().message;
  auto found = store().challenges().Find("c1", At(kExpires - 60));
  ASSERT_TRUE(found.has_value() && found->has_value());
  ExpectSame(**found, Nonce("c1"));
  EXPECT_FALSE(store().challenges().Find("c2", At(kExpires - 60))->has_value());
}

}  // namespace
}  // namespace groundcrew::store::conformance

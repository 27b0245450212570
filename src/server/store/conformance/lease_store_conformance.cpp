#include "server/store/conformance/lease_store_conformance.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace groundcrew::store::conformance {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kNow = 1'700'000'000;

// Whether `holder` got `name` at `now` for `ttl`; fails the test on an error.
bool Acquire(LeaseStore& leases, const std::string& name, const std::string& holder, int64_t now,
             std::chrono::seconds ttl = 60s) {
  Result<bool> taken = leases.TryAcquire(name, holder, At(now), ttl);
  EXPECT_TRUE(taken.has_value()) << taken.error().message;
  return taken.has_value() && *taken;
}

// The lease as stored; nullopt when free (or on an error, which fails the test).
std::optional<Lease> Stored(LeaseStore& leases, const std::string& name) {
  Result<std::optional<Lease>> lease = leases.Get(name);
  EXPECT_TRUE(lease.has_value()) << lease.error().message;
  return lease.has_value() ? *lease : std::nullopt;
}

TEST_P(LeaseStoreConformance, AFreeLeaseIsTakenAndStandsAgainstOthers) {
  LeaseStore& leases = store().leases();
  EXPECT_FALSE(Stored(leases, "sweep.tokens").has_value());

  EXPECT_TRUE(Acquire(leases, "sweep.tokens", "instance-a", kNow));
  std::optional<Lease> held = Stored(leases, "sweep.tokens");
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->name, "sweep.tokens");
  EXPECT_EQ(held->holder, "instance-a");
  EXPECT_EQ(held->expires_at, At(kNow + 60));

  // Another holder, before the expiry: refused, and the lease is unchanged.
  EXPECT_FALSE(Acquire(leases, "sweep.tokens", "instance-b", kNow + 30, 600s));
  EXPECT_FALSE(Acquire(leases, "sweep.tokens", "instance-b", kNow + 59));
  held = Stored(leases, "sweep.tokens");
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->holder, "instance-a");
  EXPECT_EQ(held->expires_at, At(kNow + 60));

  // Holders are compared exactly.
  EXPECT_FALSE(Acquire(leases, "sweep.tokens", "INSTANCE-A", kNow + 1));

  // Leases of other names are independent.
  EXPECT_TRUE(Acquire(leases, "sweep.nonces", "instance-b", kNow + 1));
  std::optional<Lease> other = Stored(leases, "sweep.nonces");
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->holder, "instance-b");
}

TEST_P(LeaseStoreConformance, TheHolderRenewsItsLease) {
  LeaseStore& leases = store().leases();
  ASSERT_TRUE(Acquire(leases, "rotate.keys", "instance-a", kNow));
  EXPECT_TRUE(Acquire(leases, "rotate.keys", "instance-a", kNow + 50));
  std::optional<Lease> renewed = Stored(leases, "rotate.keys");
  ASSERT_TRUE(renewed.has_value());
  EXPECT_EQ(renewed->holder, "instance-a");
  EXPECT_EQ(renewed->expires_at, At(kNow + 110));
  // Past the first expiry, the renewal still stands against others.
  EXPECT_FALSE(Acquire(leases, "rotate.keys", "instance-b", kNow + 100));

  // A renewal sets the expiry to now + ttl, shorter or not.
  EXPECT_TRUE(Acquire(leases, "rotate.keys", "instance-a", kNow + 60, 10s));
  renewed = Stored(leases, "rotate.keys");
  ASSERT_TRUE(renewed.has_value());
  EXPECT_EQ(renewed->expires_at, At(kNow + 70));

  // Its holder may take its own lease again after it expired too.
  EXPECT_TRUE(Acquire(leases, "rotate.keys", "instance-a", kNow + 500));
  renewed = Stored(leases, "rotate.keys");
  ASSERT_TRUE(renewed.has_value());
  EXPECT_EQ(renewed->expires_at, At(kNow + 560));
}

TEST_P(LeaseStoreConformance, AnExpiredLeaseIsTakenOver) {
  LeaseStore& leases = store().leases();
  ASSERT_TRUE(Acquire(leases, "sweep.tokens", "instance-a", kNow));
  // Expired at its expiry (expires_at <= now): another holder takes it.
  EXPECT_TRUE(Acquire(leases, "sweep.tokens", "instance-b", kNow + 60, 120s));
  std::optional<Lease> taken = Stored(leases, "sweep.tokens");
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->holder, "instance-b");
  EXPECT_EQ(taken->expires_at, At(kNow + 180));
  // The former holder lost it: it cannot renew.
  EXPECT_FALSE(Acquire(leases, "sweep.tokens", "instance-a", kNow + 61));
  taken = Stored(leases, "sweep.tokens");
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->holder, "instance-b");
  EXPECT_EQ(taken->expires_at, At(kNow + 180));
}

TEST_P(LeaseStoreConformance, OnlyTheHolderReleases) {
  LeaseStore& leases = store().leases();
  ASSERT_TRUE(Acquire(leases, "sweep.tokens", "instance-a", kNow));

  // Another instance's release does nothing.
  Status not_mine = leases.Release("sweep.tokens", "instance-b");
  ASSERT_TRUE(not_mine.has_value()) << not_mine.error().message;
  std::optional<Lease> still = Stored(leases, "sweep.tokens");
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->holder, "instance-a");
  EXPECT_FALSE(Acquire(leases, "sweep.tokens", "instance-b", kNow + 1));

  // The holder's release frees it at once.
  ASSERT_TRUE(leases.Release("sweep.tokens", "instance-a").has_value());
  EXPECT_FALSE(Stored(leases, "sweep.tokens").has_value());
  EXPECT_TRUE(Acquire(leases, "sweep.tokens", "instance-b", kNow + 2));

  // Releasing a free lease, or one never taken, is fine.
  ASSERT_TRUE(leases.Release("sweep.tokens", "instance-b").has_value());
  ASSERT_TRUE(leases.Release("sweep.tokens", "instance-b").has_value());
  ASSERT_TRUE(leases.Release("never.taken", "instance-a").has_value());
  EXPECT_FALSE(Stored(leases, "sweep.tokens").has_value());
}

TEST_P(LeaseStoreConformance, RefusesEmptyNamesAndHoldersAndTtls) {
  LeaseStore& leases = store().leases();
  auto expect_invalid = [](const auto& result, const std::string& field) {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().field, field);
  };
  expect_invalid(leases.TryAcquire("", "instance-a", At(kNow), 60s), "name");
  expect_invalid(leases.TryAcquire("sweep.tokens", "", At(kNow), 60s), "holder");
  expect_invalid(leases.TryAcquire("sweep.tokens", "instance-a", At(kNow), 0s), "ttl");
  expect_invalid(leases.TryAcquire("sweep.tokens", "instance-a", At(kNow), -60s), "ttl");
  expect_invalid(leases.Release("", "instance-a"), "name");
  expect_invalid(leases.Release("sweep.tokens", ""), "holder");
  expect_invalid(leases.Get(""), "name");
  // Nothing was taken.
  EXPECT_FALSE(Stored(leases, "sweep.tokens").has_value());
}

TEST_P(LeaseStoreConformance, OfTwoRacingForAFreeLeaseExactlyOneWins) {
  ExpectOneWinnerPerLease(store(), store());
}

TEST_P(LeaseStoreConformance, AnAcquireInsideARolledBackTransactionLeavesItFree) {
  LeaseStore& leases = store().leases();
  Status rolled_back = store().Transact([&]() -> Status {
    Result<bool> taken = leases.TryAcquire("sweep.tokens", "instance-a", At(kNow), 60s);
    if (!taken) return taken.error();
    EXPECT_TRUE(*taken);
    return MakeError(ErrorCode::kAborted, "the use case failed");
  });
  ASSERT_FALSE(rolled_back.has_value());
  EXPECT_FALSE(Stored(leases, "sweep.tokens").has_value());
  EXPECT_TRUE(Acquire(leases, "sweep.tokens", "instance-b", kNow));
}

}  // namespace

void ExpectOneWinnerPerLease(Store& a, Store& b) {
  constexpr int kLeases = 40;
  const std::array<Store*, 2> stores = {&a, &b};
  const std::array<std::string, 2> holders = {"instance-a", "instance-b"};
  // wins[h][i]: whether holder h got lease i.
  std::array<std::vector<char>, 2> wins = {std::vector<char>(kLeases, 0),
                                           std::vector<char>(kLeases, 0)};
  std::atomic<int> errors{0};
  std::latch start(2);
  std::vector<std::thread> threads;
  for (int h = 0; h < 2; ++h) {
    threads.emplace_back([&, h] {
      start.arrive_and_wait();
      for (int i = 0; i < kLeases; ++i) {
        Result<bool> taken =
            stores[h]->leases().TryAcquire("race." + std::to_string(i), holders[h], At(kNow), 60s);
        if (!taken) {
          ++errors;
        } else if (*taken) {
          wins[h][i] = 1;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(errors.load(), 0);
  for (int i = 0; i < kLeases; ++i) {
    SCOPED_TRACE("lease " + std::to_string(i));
    EXPECT_EQ(wins[0][i] + wins[1][i], 1);
    for (Store* store : stores) {
      std::optional<Lease> held = Stored(store->leases(), "race." + std::to_string(i));
      ASSERT_TRUE(held.has_value());
      EXPECT_EQ(held->holder, holders[wins[0][i] ? 0 : 1]);
    }
  }
}

}  // namespace groundcrew::store::conformance

#include "server/store/observed_store.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "server/store_sqlite/sqlite_store.hpp"

namespace groundcrew::store {
namespace {

TEST(ObservedStoreTest, ReportsEveryCallWithItsOutcomeAndForwardsResults) {
  auto inner = sqlite::SqliteStore::Open({.path = ":memory:"});
  ASSERT_TRUE(inner) << inner.error().message;
  std::mutex mutex;
  std::map<std::string, std::pair<int, int>> calls;  // operation -> (ok, failed)
  std::unique_ptr<Store> store =
      Observe(**inner, [&](std::string_view operation, double seconds, bool ok) {
        EXPECT_GE(seconds, 0.0);
        std::lock_guard lock(mutex);
        auto& [succeeded, failed] = calls[std::string(operation)];
        (ok ? succeeded : failed) += 1;
      });
  Status done = store->Transact([&]() -> Status {
    EXPECT_TRUE(store->resources().Create(Resource{ResourceKind::kGroup, "g1", "G", "{}", {}, {}}));
    EXPECT_FALSE(store->resources().Get(ResourceKind::kGroup, "missing"));
    return MakeError(ErrorCode::kAborted, "roll back");
  });
  EXPECT_EQ(done.error().code, ErrorCode::kAborted);
  // The results were forwarded: the rollback reached the real store.
  EXPECT_FALSE((*inner)->resources().Get(ResourceKind::kGroup, "g1"));
  EXPECT_EQ(calls["resources.Create"], std::make_pair(1, 0));
  EXPECT_EQ(calls["resources.Get"], std::make_pair(0, 1));
  EXPECT_EQ(calls["Transact"], std::make_pair(0, 1));
  EXPECT_EQ(calls.size(), 3u);
}

TEST(ObservedStoreTest, NamesTheCallsOfTheTrustChallengeAndTokenPorts) {
  auto inner = sqlite::SqliteStore::Open({.path = ":memory:"});
  ASSERT_TRUE(inner) << inner.error().message;
  std::mutex mutex;
  std::map<std::string, std::pair<int, int>> calls;  // operation -> (ok, failed)
  std::unique_ptr<Store> store = Observe(**inner, [&](std::string_view operation, double, bool ok) {
    std::lock_guard lock(mutex);
    auto& [succeeded, failed] = calls[std::string(operation)];
    (ok ? succeeded : failed) += 1;
  });
  const core::Timestamp now{std::chrono::seconds{1'700'000'000}};

  EXPECT_FALSE(store->device_trust().Find("ztd-1")->has_value());
  DeviceTrust trust;
  trust.device_id = "ztd-1";  // not registered
  EXPECT_EQ(store->device_trust().Put(trust, std::nullopt).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store->device_trust().Delete("ztd-1"));

  Challenge challenge;
  challenge.id = "c1";
  challenge.purpose = "mfa";
  challenge.expires_date_time = now + std::chrono::minutes{5};
  EXPECT_TRUE(store->challenges().Create(challenge));
  EXPECT_TRUE(store->challenges().Find("c1", now)->has_value());
  EXPECT_TRUE(store->challenges().SetAttempts("c1", 1));
  EXPECT_TRUE(*store->challenges().Delete("c1"));
  EXPECT_EQ(*store->challenges().DeleteExpired(now), 0);

  IssuedTokenRecord token;
  token.id = "t1";
  token.audience = "device";
  token.subject = "ztd-1";
  token.device_id = "ztd-1";
  token.issued_date_time = now;
  token.expiration_date_time = now + std::chrono::hours{1};
  EXPECT_TRUE(store->tokens().Record(token));
  EXPECT_FALSE(*store->tokens().IsRevoked("t1"));
  EXPECT_TRUE(store->tokens().Find("t1")->has_value());
  EXPECT_TRUE(*store->tokens().Revoke("t1", now));
  EXPECT_EQ(*store->tokens().RevokeForDevice("ztd-1", now), 0);
  EXPECT_EQ(*store->tokens().RevokeForSubject("ztd-1", now), 0);
  EXPECT_EQ(*store->tokens().DeleteExpired(now), 0);
  // Forwarded: the real store has the token, revoked.
  EXPECT_TRUE(*(*inner)->tokens().IsRevoked("t1"));
  EXPECT_TRUE((*inner)->tokens().Find("t1")->has_value());

  const std::map<std::string, std::pair<int, int>> expected = {
      {"deviceTrust.Find", {1, 0}},
      {"deviceTrust.Put", {0, 1}},
      {"deviceTrust.Delete", {1, 0}},
      {"challenges.Create", {1, 0}},
      {"challenges.Find", {1, 0}},
      {"challenges.SetAttempts", {1, 0}},
      {"challenges.Delete", {1, 0}},
      {"challenges.DeleteExpired", {1, 0}},
      {"tokens.Record", {1, 0}},
      {"tokens.IsRevoked", {1, 0}},
      {"tokens.Find", {1, 0}},
      {"tokens.Revoke", {1, 0}},
      {"tokens.RevokeForDevice", {1, 0}},
      {"tokens.RevokeForSubject", {1, 0}},
      {"tokens.DeleteExpired", {1, 0}},
  };
  EXPECT_EQ(calls, expected);
}

TEST(ObservedStoreTest, NamesTheCallsOfTheInventoryPort) {
  auto inner = sqlite::SqliteStore::Open({.path = ":memory:"});
  ASSERT_TRUE(inner) << inner.error().message;
  std::map<std::string, std::pair<int, int>> calls;  // operation -> (ok, failed)
  std::unique_ptr<Store> store = Observe(**inner, [&](std::string_view operation, double, bool ok) {
    auto& [succeeded, failed] = calls[std::string(operation)];
    (ok ? succeeded : failed) += 1;
  });
  core::AutopilotDeviceIdentity device;
  device.id = core::ZtdId{"ztd-1"};
  device.serial_number = "SN1";
  device.hardware_identifier = "hash-1";
  ASSERT_TRUE((*inner)->devices().Insert(std::vector{device}));

  core::ReportedInventory inventory;
  inventory.session_id = "s-1";
  inventory.items = {{core::ItemKind::kApp, "app-1", "1.0", core::ItemOutcome::kInstalled}};
  EXPECT_FALSE(store->inventories().Find("ztd-1")->has_value());
  EXPECT_TRUE(store->inventories().Put("ztd-1", inventory));
  EXPECT_EQ(store->inventories().Put("ztd-9", inventory).error().code, ErrorCode::kNotFound);
  // Forwarded: the real store has it.
  EXPECT_EQ(**(*inner)->inventories().Find("ztd-1"), inventory);
  EXPECT_TRUE(store->inventories().Delete("ztd-1"));

  const std::map<std::string, std::pair<int, int>> expected = {
      {"inventories.Find", {1, 0}},
      {"inventories.Put", {1, 1}},
      {"inventories.Delete", {1, 0}},
  };
  EXPECT_EQ(calls, expected);
}

TEST(ObservedStoreTest, NamesTheCallsOfTheLeaseAndSealedValuePorts) {
  auto inner = sqlite::SqliteStore::Open({.path = ":memory:"});
  ASSERT_TRUE(inner) << inner.error().message;
  std::map<std::string, std::pair<int, int>> calls;  // operation -> (ok, failed)
  std::unique_ptr<Store> store = Observe(**inner, [&](std::string_view operation, double, bool ok) {
    auto& [succeeded, failed] = calls[std::string(operation)];
    (ok ? succeeded : failed) += 1;
  });
  const core::Timestamp now{std::chrono::seconds{1'700'000'000}};

  EXPECT_TRUE(
      *store->leases().TryAcquire("sweep.tokens", "instance-a", now, std::chrono::seconds{60}));
  EXPECT_FALSE(
      *store->leases().TryAcquire("sweep.tokens", "instance-b", now, std::chrono::seconds{60}));
  EXPECT_EQ((*store->leases().Get("sweep.tokens"))->holder, "instance-a");
  EXPECT_TRUE(store->leases().Release("sweep.tokens", "instance-a"));

  EXPECT_EQ(*store->sealed_values().Put("nonceKey", "sealed", 0), 1);
  EXPECT_EQ(store->sealed_values().Put("nonceKey", "sealed", 0).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ((*store->sealed_values().Get("nonceKey"))->value, "sealed");
  EXPECT_EQ(*store->sealed_values().Names(), std::vector<std::string>{"nonceKey"});
  // Forwarded: the real store has the value, and the lease is free.
  EXPECT_EQ((*(*inner)->sealed_values().Get("nonceKey"))->version, 1);
  EXPECT_FALSE((*inner)->leases().Get("sweep.tokens")->has_value());

  const std::map<std::string, std::pair<int, int>> expected = {
      {"leases.TryAcquire", {2, 0}}, {"leases.Get", {1, 0}},       {"leases.Release", {1, 0}},
      {"sealedValues.Put", {1, 1}},  {"sealedValues.Get", {1, 0}}, {"sealedValues.Names", {1, 0}},
  };
  EXPECT_EQ(calls, expected);
}

}  // namespace
}  // namespace groundcrew::store

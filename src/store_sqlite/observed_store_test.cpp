#include "store/observed_store.hpp"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>

#include "store_sqlite/sqlite_store.hpp"

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

}  // namespace
}  // namespace groundcrew::store

#include "store_sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "store/conformance/device_store_conformance.hpp"
#include "store_sqlite/internal/connection.hpp"

namespace groundcrew::store::sqlite {
namespace {

namespace fs = std::filesystem;

// A fresh database file per test, removed with the store.
std::shared_ptr<SqliteStore> OpenFresh() {
  static std::atomic<int> counter{0};
  const fs::path dir = fs::temp_directory_path() /
                       ("gc-store-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  fs::create_directories(dir);
  auto store = SqliteStore::Open({.path = (dir / "groundcrew.db").string()});
  if (!store) {
    ADD_FAILURE() << store.error().message;
    return nullptr;
  }
  return std::shared_ptr<SqliteStore>(store->release(), [dir](SqliteStore* s) {
    delete s;
    fs::remove_all(dir);
  });
}

conformance::DeviceStoreHandle SqliteDevices() {
  auto store = OpenFresh();
  return {store, store ? &store->devices() : nullptr};
}

conformance::DeviceStoreHandle InMemoryDevices() {
  auto store = SqliteStore::Open({.path = ":memory:"});
  if (!store) {
    ADD_FAILURE() << store.error().message;  // a broken adapter must fail, not skip
    return {};
  }
  std::shared_ptr<SqliteStore> shared(std::move(*store));
  return {shared, &shared->devices()};
}

using conformance::DeviceStoreConformance;
using conformance::DeviceStoreFactory;
INSTANTIATE_TEST_SUITE_P(SqliteFile, DeviceStoreConformance,
                         ::testing::Values(DeviceStoreFactory(SqliteDevices)));
INSTANTIATE_TEST_SUITE_P(SqliteMemory, DeviceStoreConformance,
                         ::testing::Values(DeviceStoreFactory(InMemoryDevices)));

TEST(SqliteStoreTest, DataSurvivesReopening) {
  const fs::path dir = fs::temp_directory_path() / ("gc-reopen-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "groundcrew.db").string();
  core::AutopilotDeviceIdentity d;
  d.id = core::ZtdId{"ztd-1"};
  d.serial_number = "SN1";
  d.hardware_identifier = "hash";
  {
    auto store = SqliteStore::Open({.path = path});
    ASSERT_TRUE(store.has_value()) << store.error().message;
    ASSERT_TRUE((*store)->devices().Insert({&d, 1}).has_value());
  }
  {
    auto store = SqliteStore::Open({.path = path});  // migrations already applied: a no-op
    ASSERT_TRUE(store.has_value()) << store.error().message;
    auto read = (*store)->devices().Get(d.id);
    ASSERT_TRUE(read.has_value());
    EXPECT_EQ(read->value.serial_number, "SN1");
  }
  fs::remove_all(dir);
}

TEST(SqliteStoreTest, RefusesADatabaseFromANewerSchema) {
  const fs::path dir = fs::temp_directory_path() / ("gc-newer-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "groundcrew.db").string();
  {
    auto connection = internal::Connection::Open(path);
    ASSERT_TRUE(connection.has_value());
    ASSERT_TRUE(connection->Execute("PRAGMA user_version = 999").has_value());
  }
  auto store = SqliteStore::Open({.path = path});
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(store.error().message.find("999"), std::string::npos);
  fs::remove_all(dir);
}

TEST(SqliteStoreTest, UnopenablePathIsUnavailable) {
  auto store = SqliteStore::Open({.path = "/nonexistent-dir/sub/groundcrew.db"});
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store.error().field, "/nonexistent-dir/sub/groundcrew.db");
}

}  // namespace
}  // namespace groundcrew::store::sqlite

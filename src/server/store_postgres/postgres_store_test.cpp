#include "server/store_postgres/postgres_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "server/store/conformance/admin_account_store_conformance.hpp"
#include "server/store/conformance/audit_store_conformance.hpp"
#include "server/store/conformance/challenge_store_conformance.hpp"
#include "server/store/conformance/credential_store_conformance.hpp"
#include "server/store/conformance/device_store_conformance.hpp"
#include "server/store/conformance/device_trust_store_conformance.hpp"
#include "server/store/conformance/idempotency_store_conformance.hpp"
#include "server/store/conformance/inventory_store_conformance.hpp"
#include "server/store/conformance/lease_store_conformance.hpp"
#include "server/store/conformance/resource_store_conformance.hpp"
#include "server/store/conformance/sealed_value_store_conformance.hpp"
#include "server/store/conformance/session_store_conformance.hpp"
#include "server/store/conformance/token_store_conformance.hpp"
#include "server/store/conformance/transact_conformance.hpp"
#include "server/store/conformance/user_credential_store_conformance.hpp"
#include "server/store_postgres/internal/connection.hpp"
#include "tests/support/postgres_cluster.hpp"

namespace groundcrew::store::postgres {
namespace {

using test_support::PostgresCluster;

// A fresh schema name per call, for the shared throwaway cluster.
std::string FreshSchema() {
  static std::atomic<int> counter{0};
  return "t" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

// A store on `schema` in the shared throwaway cluster (started by the first test). A cluster
// that does not start fails the test: PostgreSQL is installed by scripts/bootstrap.
std::shared_ptr<PostgresStore> OpenOn(const std::string& schema) {
  std::string error;
  PostgresCluster* cluster = PostgresCluster::Shared(error);
  if (cluster == nullptr) {
    ADD_FAILURE() << "the test PostgreSQL cluster did not start: " << error;
    return nullptr;
  }
  auto store = PostgresStore::Open(
      {.conninfo = cluster->conninfo(), .schema = schema, .read_connections = 2});
  if (!store) {
    ADD_FAILURE() << store.error().message;
    return nullptr;
  }
  return std::shared_ptr<PostgresStore>(std::move(*store));
}

// A fresh schema per test.
std::shared_ptr<PostgresStore> OpenFresh() { return OpenOn(FreshSchema()); }

conformance::DeviceStoreHandle PostgresDevices() {
  auto store = OpenFresh();
  return {store, store ? &store->devices() : nullptr};
}

conformance::StoreHandle PostgresStores() {
  auto store = OpenFresh();
  return {store, store.get()};
}

using conformance::DeviceStoreConformance;
using conformance::DeviceStoreFactory;
INSTANTIATE_TEST_SUITE_P(Postgres, DeviceStoreConformance,
                         ::testing::Values(DeviceStoreFactory(PostgresDevices)));

using conformance::AdminAccountStoreConformance;
using conformance::AuditStoreConformance;
using conformance::ChallengeStoreConformance;
using conformance::ConsoleSessionStoreConformance;
using conformance::CredentialStoreConformance;
using conformance::DeviceTrustStoreConformance;
using conformance::IdempotencyStoreConformance;
using conformance::InventoryStoreConformance;
using conformance::LeaseStoreConformance;
using conformance::ResourceStoreConformance;
using conformance::SealedValueStoreConformance;
using conformance::SessionStoreConformance;
using conformance::StoreFactory;
using conformance::TokenStoreConformance;
using conformance::TransactConformance;
using conformance::UserCredentialStoreConformance;
#define GC_INSTANTIATE_STORE_SUITE(suite) \
  INSTANTIATE_TEST_SUITE_P(Postgres, suite, ::testing::Values(StoreFactory(PostgresStores)))
GC_INSTANTIATE_STORE_SUITE(ResourceStoreConformance);
GC_INSTANTIATE_STORE_SUITE(AuditStoreConformance);
GC_INSTANTIATE_STORE_SUITE(CredentialStoreConformance);
GC_INSTANTIATE_STORE_SUITE(SessionStoreConformance);
GC_INSTANTIATE_STORE_SUITE(TransactConformance);
GC_INSTANTIATE_STORE_SUITE(UserCredentialStoreConformance);
GC_INSTANTIATE_STORE_SUITE(DeviceTrustStoreConformance);
GC_INSTANTIATE_STORE_SUITE(ChallengeStoreConformance);
GC_INSTANTIATE_STORE_SUITE(TokenStoreConformance);
GC_INSTANTIATE_STORE_SUITE(IdempotencyStoreConformance);
GC_INSTANTIATE_STORE_SUITE(InventoryStoreConformance);
GC_INSTANTIATE_STORE_SUITE(AdminAccountStoreConformance);
GC_INSTANTIATE_STORE_SUITE(ConsoleSessionStoreConformance);
GC_INSTANTIATE_STORE_SUITE(LeaseStoreConformance);
GC_INSTANTIATE_STORE_SUITE(SealedValueStoreConformance);
#undef GC_INSTANTIATE_STORE_SUITE

// Two stores on one schema (as two groundcrewd instances sharing the database): each lease, and
// each replacement of a sealed value's version, goes to exactly one.
TEST(PostgresStoreTest, InstancesSharingASchemaRaceForLeasesAndSealedValuesWithOneWinner) {
  const std::string schema = FreshSchema();
  std::shared_ptr<PostgresStore> a = OpenOn(schema);
  ASSERT_NE(a, nullptr);
  std::shared_ptr<PostgresStore> b = OpenOn(schema);
  ASSERT_NE(b, nullptr);
  conformance::ExpectOneWinnerPerLease(*a, *b);
  conformance::ExpectOneWinnerPerVersion(*a, *b);
}

// The writer's session lost in the middle of a use case (a database restart, a failover, an
// administrator's pg_terminate_backend): Transact reconnects and runs the use case again, and
// only the run that committed leaves anything behind.
TEST(PostgresStoreTest, TransactRunsTheUseCaseAgainWhenItsSessionIsLostBeforeCommit) {
  const std::string schema = FreshSchema();
  std::shared_ptr<PostgresStore> store = OpenOn(schema);
  ASSERT_NE(store, nullptr);
  std::string error;
  PostgresCluster* cluster = PostgresCluster::Shared(error);
  ASSERT_NE(cluster, nullptr) << error;
  auto killer = internal::Connection::Open(cluster->conninfo(), schema);
  ASSERT_TRUE(killer.has_value()) << killer.error().message;

  int runs = 0;
  Status done = store->Transact([&]() -> Status {
    ++runs;
    AuditEntry entry;
    entry.at = core::Timestamp{std::chrono::seconds{1'700'000'000}};
    entry.actor = "admin";
    entry.action = "create";
    entry.resource_kind = "groups";
    entry.resource_id = "g1";
    entry.resource_name = "Run " + std::to_string(runs);
    entry.detail = "{}";
    GC_RETURN_IF_ERROR(store->audit().Append(entry));
    if (runs == 1) {
      // The writer is the session of this schema waiting inside its transaction.
      auto kill = killer->Prepare(
          "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE state = 'idle in "
          "transaction' AND application_name = 'groundcrewd' AND pid <> pg_backend_pid()");
      if (!kill) return kill.error();
      GC_RETURN_IF_ERROR(kill->Step());
      EXPECT_EQ(kill->Int(0), 1) << "one writer session to end";
      // The next statement finds the session gone.
      GC_RETURN_IF_ERROR(store->audit().Append(entry));
    }
    return Ok{};
  });
  ASSERT_TRUE(done.has_value()) << done.error().message;
  EXPECT_EQ(runs, 2);
  auto log = store->audit().List({}, {});
  ASSERT_TRUE(log.has_value()) << log.error().message;
  ASSERT_EQ(log->items.size(), 1u);  // the lost run left nothing
  EXPECT_EQ(log->items[0].resource_name, "Run 2");
}

// A lost session outside any transaction costs the caller nothing: the read runs again on a new
// one.
TEST(PostgresStoreTest, AReadAfterTheServerEndedEverySessionReconnects) {
  const std::string schema = FreshSchema();
  std::shared_ptr<PostgresStore> store = OpenOn(schema);
  ASSERT_NE(store, nullptr);
  std::string error;
  PostgresCluster* cluster = PostgresCluster::Shared(error);
  ASSERT_NE(cluster, nullptr) << error;
  auto killer = internal::Connection::Open(cluster->conninfo(), schema);
  ASSERT_TRUE(killer.has_value());
  ASSERT_TRUE(killer
                  ->Execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                            "application_name = 'groundcrewd' AND pid <> pg_backend_pid()")
                  .has_value());
  EXPECT_TRUE(store->audit().List({}, {}).has_value());
  EXPECT_TRUE(store->sessions().LastEventSequence().has_value());
}

}  // namespace
}  // namespace groundcrew::store::postgres

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

}  // namespace
}  // namespace groundcrew::store::postgres

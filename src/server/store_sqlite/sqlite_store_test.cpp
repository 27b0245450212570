#include "server/store_sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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
#include "server/store_sqlite/internal/connection.hpp"
#include "server/store_sqlite/internal/device_query_sql.hpp"
#include "server/store_sqlite/migrations.hpp"

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

conformance::StoreHandle SqliteStores() {
  auto store = OpenFresh();
  return {store, store.get()};
}

conformance::StoreHandle InMemoryStores() {
  auto store = SqliteStore::Open({.path = ":memory:"});
  if (!store) {
    ADD_FAILURE() << store.error().message;  // a broken adapter must fail, not skip
    return {};
  }
  std::shared_ptr<SqliteStore> shared(std::move(*store));
  return {shared, shared.get()};
}

using conformance::DeviceStoreConformance;
using conformance::DeviceStoreFactory;
INSTANTIATE_TEST_SUITE_P(SqliteFile, DeviceStoreConformance,
                         ::testing::Values(DeviceStoreFactory(SqliteDevices)));
INSTANTIATE_TEST_SUITE_P(SqliteMemory, DeviceStoreConformance,
                         ::testing::Values(DeviceStoreFactory(InMemoryDevices)));

// The Store-wide suites, for both a file and an in-memory database.
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
#define GC_INSTANTIATE_STORE_SUITE(suite)                                                     \
  INSTANTIATE_TEST_SUITE_P(SqliteFile, suite, ::testing::Values(StoreFactory(SqliteStores))); \
  INSTANTIATE_TEST_SUITE_P(SqliteMemory, suite, ::testing::Values(StoreFactory(InMemoryStores)))
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

TEST(SqliteStoreTest, EveryPortsDataSurvivesReopening) {
  const fs::path dir = fs::temp_directory_path() / ("gc-reopen-all-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "groundcrew.db").string();
  const auto at = [](int64_t s) { return core::Timestamp{std::chrono::seconds{s}}; };

  core::AutopilotDeviceIdentity device;
  device.id = core::ZtdId{"ztd-1"};
  device.serial_number = "SN1";
  device.hardware_identifier = "hash";
  const Resource group{ResourceKind::kGroup,         "grp-1", "Sales",
                       R"({"displayName":"Sales"})", at(100), at(200)};
  AuditEntry entry;
  entry.at = at(300);
  entry.actor = "admin";
  entry.action = "create";
  entry.detail = "{}";
  AdminCredential credential;
  credential.id = "cred-1";
  credential.name = "admin";
  credential.role = CredentialRole::kReader;
  credential.token_sha256 = std::string(64, 'a');
  credential.created_date_time = at(400);
  DeploymentSession session;
  session.id = "sess-1";
  session.device_id = "ztd-1";
  session.flow = "user";
  session.deployment_state = "inProgress";
  session.started_date_time = at(500);
  SessionEvent event;
  event.session_id = "sess-1";
  event.idempotency_key = "k1";
  event.at = at(600);
  event.kind = "phaseStarted";
  event.detail = "{}";

  int64_t generation = 0;
  int64_t audit_sequence = 0;
  int64_t event_sequence = 0;
  {
    auto opened = SqliteStore::Open({.path = path});
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    Store& store = **opened;
    ASSERT_TRUE(store.devices().Insert({&device, 1}).has_value());
    ASSERT_TRUE(store.resources().Create(group).has_value());
    auto appended = store.audit().Append(entry);
    ASSERT_TRUE(appended.has_value());
    audit_sequence = appended->sequence;
    // Committed by a Transact, too.
    ASSERT_TRUE(store
                    .Transact([&]() -> Status {
                      if (Status s = store.credentials().Create(credential); !s) return s;
                      if (Status s = store.sessions().CreateSession(session); !s) return s;
                      auto e = store.sessions().AppendEvent(event);
                      if (!e) return e.error();
                      event_sequence = e->sequence;
                      return Ok{};
                    })
                    .has_value());
    generation = *store.resources().Generation();
  }
  {
    auto opened = SqliteStore::Open({.path = path});
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    Store& store = **opened;
    EXPECT_TRUE(store.devices().Get(device.id).has_value());
    auto read_group = store.resources().Get(ResourceKind::kGroup, "grp-1");
    ASSERT_TRUE(read_group.has_value());
    EXPECT_EQ(read_group->value.name, "Sales");
    EXPECT_EQ(read_group->value.body, group.body);
    EXPECT_EQ(read_group->value.created_date_time, at(100));
    EXPECT_EQ(*store.resources().Generation(), generation);
    auto log = store.audit().List({});
    ASSERT_TRUE(log.has_value());
    ASSERT_EQ(log->items.size(), 1u);
    EXPECT_EQ(log->items[0].sequence, audit_sequence);
    auto found = store.credentials().FindByTokenSha256(credential.token_sha256);
    ASSERT_TRUE(found.has_value());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->role, CredentialRole::kReader);
    EXPECT_EQ(store.sessions().GetSession("sess-1")->flow, "user");
    auto events = store.sessions().ListEvents("sess-1", {});
    ASSERT_TRUE(events.has_value());
    ASSERT_EQ(events->items.size(), 1u);
    EXPECT_EQ(events->items[0].sequence, event_sequence);

    // Sequences and the generation go on from where they were.
    auto next = store.audit().Append(entry);
    ASSERT_TRUE(next.has_value());
    EXPECT_GT(next->sequence, audit_sequence);
    Resource changed = group;
    changed.name = "Sales EMEA";
    ASSERT_TRUE(store.resources().Update(changed, 1).has_value());
    EXPECT_GT(*store.resources().Generation(), generation);
  }
  fs::remove_all(dir);
}

TEST(SqliteStoreTest, TrustChallengesAndTokensSurviveReopening) {
  const fs::path dir =
      fs::temp_directory_path() / ("gc-reopen-trust-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "groundcrew.db").string();
  const auto at = [](int64_t s) { return core::Timestamp{std::chrono::seconds{s}}; };
  core::AutopilotDeviceIdentity device;
  device.id = core::ZtdId{"ztd-1"};
  device.serial_number = "SN1";
  device.hardware_identifier = "hash";
  DeviceTrust trust;
  trust.device_id = "ztd-1";
  trust.trust_type = core::TrustType::kAzureAd;
  trust.certificate_expiration_date_time = at(2'000'000'000);
  trust.updated_date_time = at(100);
  Challenge challenge;
  challenge.id = "c1";
  challenge.purpose = "mfa";
  challenge.data = std::string("\0seed", 5);
  challenge.expires_date_time = at(1'000);
  IssuedTokenRecord token;
  token.id = "t1";
  token.audience = "device";
  token.subject = "ztd-1";
  token.device_id = "ztd-1";
  token.issued_date_time = at(100);
  token.expiration_date_time = at(3'700);
  {
    auto opened = SqliteStore::Open({.path = path});
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    Store& store = **opened;
    ASSERT_TRUE(store.devices().Insert({&device, 1}).has_value());
    ASSERT_TRUE(store.device_trust().Put(trust, std::nullopt).has_value());
    ASSERT_TRUE(store.challenges().Create(challenge).has_value());
    ASSERT_TRUE(store.tokens().Record(token).has_value());
    ASSERT_TRUE(*store.tokens().Revoke("t1", at(200)));
  }
  {
    auto opened = SqliteStore::Open({.path = path});
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    Store& store = **opened;
    auto found_trust = store.device_trust().Find("ztd-1");
    ASSERT_TRUE(found_trust.has_value() && found_trust->has_value());
    EXPECT_EQ((*found_trust)->value.trust_type, core::TrustType::kAzureAd);
    EXPECT_EQ((*found_trust)->value.certificate_expiration_date_time, at(2'000'000'000));
    EXPECT_EQ((*found_trust)->version, 1);
    auto found_challenge = store.challenges().Find("c1", at(500));
    ASSERT_TRUE(found_challenge.has_value() && found_challenge->has_value());
    EXPECT_EQ((*found_challenge)->data, challenge.data);
    auto found_token = store.tokens().Find("t1");
    ASSERT_TRUE(found_token.has_value() && found_token->has_value());
    EXPECT_EQ((*found_token)->revoked_date_time, at(200));
  }
  fs::remove_all(dir);
}

TEST(SqliteStoreTest, ARolledBackTransactWritesNothingToTheFile) {
  const fs::path dir = fs::temp_directory_path() / ("gc-rollback-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "groundcrew.db").string();
  {
    auto opened = SqliteStore::Open({.path = path});
    ASSERT_TRUE(opened.has_value());
    Store& store = **opened;
    Status result = store.Transact([&]() -> Status {
      AuditEntry entry;
      entry.actor = "admin";
      if (auto appended = store.audit().Append(entry); !appended) return appended.error();
      return MakeError(ErrorCode::kAborted, "no");
    });
    ASSERT_FALSE(result.has_value());
  }
  {
    auto opened = SqliteStore::Open({.path = path});
    ASSERT_TRUE(opened.has_value());
    EXPECT_TRUE((*opened)->audit().List({})->items.empty());
  }
  fs::remove_all(dir);
}

TEST(SqliteStoreTest, AThrowingUseCaseRollsBackAndReleasesTheStore) {
  auto opened = SqliteStore::Open({.path = ":memory:"});
  ASSERT_TRUE(opened.has_value());
  Store& store = **opened;
  const Resource group{ResourceKind::kGroup, "grp-1", "Sales", "{}", {}, {}};
  EXPECT_THROW((void)store.Transact([&]() -> Status {
    (void)store.resources().Create(group);
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(store.resources().Get(ResourceKind::kGroup, "grp-1").error().code,
            ErrorCode::kNotFound);
  // Another thread can use the store: the lock was released.
  std::thread other([&] { EXPECT_TRUE(store.resources().Create(group).has_value()); });
  other.join();
  EXPECT_TRUE(store.resources().Get(ResourceKind::kGroup, "grp-1").has_value());
}

// --- The read connections and the caches (a database file: readers next to the writer). ---

Resource GroupNumber(int i) {
  const std::string id = "grp-" + std::to_string(i);
  return {ResourceKind::kGroup, id, "Group " + std::to_string(i), "{}", {}, {}};
}

TEST(SqliteStoreTest, ReadsDoNotWaitForAnotherThreadsTransaction) {
  auto store = OpenFresh();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->resources().Create(GroupNumber(1)).has_value());
  std::future<Result<ResourceRecord>> read;
  Status result = store->Transact([&]() -> Status {
    if (auto created = store->resources().Create(GroupNumber(2)); !created) {
      return created.error();
    }
    read = std::async(std::launch::async,
                      [&] { return store->resources().Get(ResourceKind::kGroup, "grp-1"); });
    // The read finishes while this transaction is still open.
    EXPECT_EQ(read.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    // It saw the last commit, not this transaction's group.
    auto uncommitted = std::async(
        std::launch::async, [&] { return store->resources().Get(ResourceKind::kGroup, "grp-2"); });
    EXPECT_EQ(uncommitted.get().error().code, ErrorCode::kNotFound);
    // This thread's own reads see its writes.
    EXPECT_TRUE(store->resources().Get(ResourceKind::kGroup, "grp-2").has_value());
    return Ok{};
  });
  ASSERT_TRUE(result.has_value()) << result.error().message;
  ASSERT_TRUE(read.valid());
  EXPECT_TRUE(read.get().has_value());
}

// A writer commits one group after another while readers check, each time, that everything
// committed before their read began is there: the group, the list and the catalog generation
// (which readers get from memory once read).
TEST(SqliteStoreTest, ConcurrentReadersSeeEveryCommitAsSoonAsItReturns) {
  auto store = OpenFresh();
  ASSERT_TRUE(store);
  const int64_t base = *store->resources().Generation();
  constexpr int kGroups = 200;
  std::atomic<int> committed{0};
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<int64_t> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      while (!done.load()) {
        const int seen = committed.load();
        if (seen > 0) {
          auto group = store->resources().Get(ResourceKind::kGroup, GroupNumber(seen).id);
          if (!group) ++failures;
        }
        auto generation = store->resources().Generation();
        if (!generation || *generation < base + seen) ++failures;
        if (r == 0) {
          auto all = store->resources().ListAll(ResourceKind::kGroup);
          if (!all || static_cast<int>(all->size()) < seen) ++failures;
        }
        ++reads;
      }
    });
  }
  for (int i = 1; i <= kGroups; ++i) {
    if (i % 2 == 0) {
      ASSERT_TRUE(store->resources().Create(GroupNumber(i)).has_value());
    } else {
      ASSERT_TRUE(store
                      ->Transact([&]() -> Status {
                        auto created = store->resources().Create(GroupNumber(i));
                        if (!created) return created.error();
                        return Ok{};
                      })
                      .has_value());
    }
    committed.store(i);
  }
  done.store(true);
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(*store->resources().Generation(), base + kGroups);
}

TEST(SqliteStoreTest, ARolledBackCatalogChangeLeavesTheGenerationAsCommitted) {
  for (const bool file : {true, false}) {
    SCOPED_TRACE(file ? "file" : "memory");
    std::shared_ptr<SqliteStore> store = file ? OpenFresh() : [] {
      auto opened = SqliteStore::Open({.path = ":memory:"});
      return std::shared_ptr<SqliteStore>(opened ? std::move(*opened) : nullptr);
    }();
    ASSERT_TRUE(store);
    const int64_t before = *store->resources().Generation();  // cached from here on
    Status result = store->Transact([&]() -> Status {
      if (auto created = store->resources().Create(GroupNumber(1)); !created) {
        return created.error();
      }
      EXPECT_EQ(*store->resources().Generation(), before + 1);  // its own transaction's
      return MakeError(ErrorCode::kAborted, "no");
    });
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(*store->resources().Generation(), before);
    ASSERT_TRUE(store->resources().Create(GroupNumber(2)).has_value());
    EXPECT_EQ(*store->resources().Generation(), before + 1);
  }
}

AdminCredential CredentialFor(std::string hash) {
  AdminCredential credential;
  credential.id = "cred-1";
  credential.name = "automation";
  credential.token_sha256 = std::move(hash);
  credential.created_date_time = core::Timestamp{std::chrono::seconds{100}};
  return credential;
}

TEST(SqliteStoreTest, ARevokedCredentialIsSeenRevokedAtOnceThoughItWasCached) {
  for (const bool file : {true, false}) {
    SCOPED_TRACE(file ? "file" : "memory");
    std::shared_ptr<SqliteStore> store = file ? OpenFresh() : [] {
      auto opened = SqliteStore::Open({.path = ":memory:"});
      return std::shared_ptr<SqliteStore>(opened ? std::move(*opened) : nullptr);
    }();
    ASSERT_TRUE(store);
    const std::string hash(64, 'c');
    ASSERT_TRUE(store->credentials().Create(CredentialFor(hash)).has_value());
    const auto revoked_on_another_thread = [&] {
      return std::async(std::launch::async,
                        [&] {
                          auto found = store->credentials().FindByTokenSha256(hash);
                          EXPECT_TRUE(found.has_value() && found->has_value());
                          return found.has_value() && found->has_value() &&
                                 (*found)->revoked_date_time.has_value();
                        })
          .get();
    };
    // Read twice (the second from memory).
    EXPECT_FALSE(revoked_on_another_thread());
    EXPECT_FALSE(revoked_on_another_thread());

    // A revocation rolled back changes nothing.
    Status rolled_back = store->Transact([&]() -> Status {
      if (Status s = store->credentials().Revoke("cred-1", core::Timestamp{}); !s) return s;
      auto inside = store->credentials().FindByTokenSha256(hash);  // its own transaction's view
      EXPECT_TRUE(inside.has_value() && inside->has_value() && (*inside)->revoked_date_time);
      return MakeError(ErrorCode::kAborted, "no");
    });
    ASSERT_FALSE(rolled_back.has_value());
    EXPECT_FALSE(revoked_on_another_thread());

    // A committed one is seen by the very next read, on any thread.
    ASSERT_TRUE(store->credentials().Revoke("cred-1", core::Timestamp{}).has_value());
    EXPECT_TRUE(revoked_on_another_thread());
    auto here = store->credentials().FindByTokenSha256(hash);
    ASSERT_TRUE(here.has_value() && here->has_value());
    EXPECT_TRUE((*here)->revoked_date_time.has_value());
  }
}

// Lookups race a revocation: none that starts after Revoke returned may see the credential
// unrevoked (a lookup that read the row before the commit must not leave it in the cache).
TEST(SqliteStoreTest, NoLookupAfterARevocationReturnedSeesTheCredentialUnrevoked) {
  for (int round = 0; round < 20; ++round) {
    auto store = OpenFresh();
    ASSERT_TRUE(store);
    const std::string hash(64, 'd');
    ASSERT_TRUE(store->credentials().Create(CredentialFor(hash)).has_value());
    std::atomic<bool> revoked{false};
    std::atomic<bool> stop{false};
    std::atomic<int> stale{0};
    std::vector<std::thread> lookups;
    for (int t = 0; t < 3; ++t) {
      lookups.emplace_back([&] {
        while (!stop.load()) {
          const bool after_revocation = revoked.load();
          auto found = store->credentials().FindByTokenSha256(hash);
          if (after_revocation && (!found || !found->has_value() || !(*found)->revoked_date_time)) {
            ++stale;
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_TRUE(store->credentials().Revoke("cred-1", core::Timestamp{}).has_value());
    revoked.store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    stop.store(true);
    for (std::thread& lookup : lookups) lookup.join();
    ASSERT_EQ(stale.load(), 0) << "round " << round;
  }
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

// Migration 10 makes admin_credentials again (its role gains "technician"): the credentials of
// a database at version 9 are kept as they were.
TEST(SqliteStoreTest, CredentialsOfASchema9DatabaseSurviveMigration10) {
  const fs::path dir = fs::temp_directory_path() / ("gc-v9-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "groundcrew.db").string();
  {
    auto connection = internal::Connection::Open(path);
    ASSERT_TRUE(connection.has_value());
    ASSERT_TRUE(internal::Migrate(*connection, Migrations().first(9)).has_value());
    ASSERT_TRUE(connection
                    ->Execute("INSERT INTO admin_credentials VALUES ('c1', 'ci', 'reader', '" +
                              std::string(64, 'a') + "', 1700000000, 1700000500)")
                    .has_value());
    EXPECT_FALSE(connection
                     ->Execute("INSERT INTO admin_credentials VALUES ('c2', 'tech', 'technician', "
                               "'b', 1, NULL)")
                     .has_value())
        << "version 9 knows no technician";
  }
  auto store = SqliteStore::Open({.path = path});
  ASSERT_TRUE(store.has_value()) << store.error().message;
  auto found = (*store)->credentials().FindByTokenSha256(std::string(64, 'a'));
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->name, "ci");
  EXPECT_EQ((*found)->role, CredentialRole::kReader);
  EXPECT_EQ((*found)->revoked_date_time, core::Timestamp{std::chrono::seconds(1'700'000'500)});
  AdminCredential technician;
  technician.id = "c2";
  technician.name = "tech";
  technician.role = CredentialRole::kTechnician;
  technician.token_sha256 = std::string(64, 'b');
  EXPECT_TRUE((*store)->credentials().Create(technician).has_value());
  store->reset();
  fs::remove_all(dir);
}

// Two stores on one file (as two groundcrewd processes sharing it): each lease, and each
// replacement of a sealed value's version, goes to exactly one.
TEST(SqliteStoreTest, StoresSharingAFileRaceForLeasesAndSealedValuesWithOneWinner) {
  const fs::path dir = fs::temp_directory_path() / ("gc-shared-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "groundcrew.db").string();
  {
    auto a = SqliteStore::Open({.path = path});
    ASSERT_TRUE(a.has_value()) << a.error().message;
    auto b = SqliteStore::Open({.path = path});
    ASSERT_TRUE(b.has_value()) << b.error().message;
    conformance::ExpectOneWinnerPerLease(**a, **b);
    conformance::ExpectOneWinnerPerVersion(**a, **b);
  }
  fs::remove_all(dir);
}

TEST(SqliteStoreTest, UnopenablePathIsUnavailable) {
  auto store = SqliteStore::Open({.path = "/nonexistent-dir/sub/groundcrew.db"});
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store.error().field, "/nonexistent-dir/sub/groundcrew.db");
}

}  // namespace
// The device list's plans (docs/admin-api.md, "Listing devices"): every order, with no filter and
// with the deployment state, either direction, first page and later page, is a SEARCH or SCAN of
// an index in the order's own order: no temporary B-tree, no scan of the table itself.
TEST(DeviceQueryPlanTest, CommonFiltersAndOrdersAreKeysetRangeScans) {
  auto db = internal::Connection::Open(":memory:");
  ASSERT_TRUE(db.has_value());
  ASSERT_TRUE(internal::Migrate(*db, Migrations()).has_value());
  auto plan_of = [&](const DeviceQuery& query) {
    auto explain = db->Prepare("EXPLAIN QUERY PLAN " + internal::DeviceQueryStatement(query));
    EXPECT_TRUE(explain.has_value()) << explain.error().message;
    std::string plan;
    for (;;) {
      auto row = explain->Step();
      if (!row || !*row) break;
      plan += explain->Text(3) + "\n";
    }
    return plan;
  };
  for (DeviceOrder order : {DeviceOrder::kSerialNumber, DeviceOrder::kDeviceName,
                            DeviceOrder::kLastDeploymentDateTime}) {
    for (bool descending : {false, true}) {
      for (const std::string& state : {std::string(), std::string("failure")}) {
        for (const std::string& after : {std::string(), std::string("cursor")}) {
          const DeviceQuery query{.deployment_state = state,
                                  .order_by = order,
                                  .descending = descending,
                                  .after = after};
          const std::string plan = plan_of(query);
          SCOPED_TRACE(internal::DeviceQueryStatement(query));
          EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
          EXPECT_NE(plan.find("INDEX "), std::string::npos) << plan;  // never the table alone
          if (!after.empty()) EXPECT_NE(plan.find("SEARCH"), std::string::npos) << plan;
        }
      }
    }
  }
  // A tag with the default order: the (group_tag, serial_number) index.
  EXPECT_NE(plan_of({.group_tag = "Sales", .after = "x"}).find("autopilot_devices_group_tag"),
            std::string::npos);
  // A search reads the four prefix ranges and sorts only its matches.
  const std::string search = plan_of({.search = "CON", .deployment_state = "failure"});
  EXPECT_NE(search.find("MULTI-INDEX OR"), std::string::npos) << search;
}

}  // namespace groundcrew::store::sqlite

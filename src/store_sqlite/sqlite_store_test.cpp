#include "store_sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "store/conformance/audit_store_conformance.hpp"
#include "store/conformance/challenge_store_conformance.hpp"
#include "store/conformance/credential_store_conformance.hpp"
#include "store/conformance/device_store_conformance.hpp"
#include "store/conformance/device_trust_store_conformance.hpp"
#include "store/conformance/resource_store_conformance.hpp"
#include "store/conformance/session_store_conformance.hpp"
#include "store/conformance/token_store_conformance.hpp"
#include "store/conformance/transact_conformance.hpp"
#include "store/conformance/user_credential_store_conformance.hpp"
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
using conformance::AuditStoreConformance;
using conformance::ChallengeStoreConformance;
using conformance::CredentialStoreConformance;
using conformance::DeviceTrustStoreConformance;
using conformance::ResourceStoreConformance;
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

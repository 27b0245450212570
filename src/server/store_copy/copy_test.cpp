#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "server/store_copy/store_copy.hpp"
#include "server/store_postgres/internal/connection.hpp"
#include "server/store_postgres/postgres_store.hpp"
#include "server/store_sqlite/migrations.hpp"
#include "server/store_sqlite/sqlite_store.hpp"
#include "tests/support/files.hpp"
#include "tests/support/postgres_cluster.hpp"

namespace groundcrew::store::copy {
namespace {

using test_support::PostgresCluster;
using ::testing::HasSubstr;

core::Timestamp At(int64_t seconds) { return core::Timestamp{std::chrono::seconds{seconds}}; }

// NUL and high bytes, which text would not carry.
const std::string kBinary("\x00\x01\xff\x00zz\x00", 7);

class CopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    cluster_ = PostgresCluster::Shared(error);
    ASSERT_NE(cluster_, nullptr) << "the test PostgreSQL cluster did not start: " << error;
    sqlite_path_ = (dir_.path() / "groundcrew.db").string();
  }

  // A fresh schema in the shared cluster.
  postgres::Options Target() {
    static std::atomic<int> counter{0};
    return {.conninfo = cluster_->conninfo(),
            .schema = "copy" + std::to_string(::getpid()) + "_" + std::to_string(++counter),
            .read_connections = 1};
  }

  std::unique_ptr<sqlite::SqliteStore> OpenSqlite() {
    auto store = sqlite::SqliteStore::Open({.path = sqlite_path_});
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  std::unique_ptr<postgres::PostgresStore> OpenPostgres(const postgres::Options& options) {
    auto store = postgres::PostgresStore::Open(options);
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  PostgresCluster* cluster_ = nullptr;
  test_support::TempDir dir_;
  std::string sqlite_path_;
};

core::AutopilotDeviceIdentity Device(int n) {
  core::AutopilotDeviceIdentity d;
  d.id = core::ZtdId{"ztd-" + std::to_string(n)};
  d.serial_number = "SN" + std::to_string(n);
  d.hardware_identifier = kBinary + std::to_string(n);
  d.group_tag = n % 2 ? "Sales" : "";
  d.user_principal_name = "adele@contoso.com";
  d.display_name = "CON-" + std::to_string(n);
  d.manufacturer = "Contoso";
  d.model = "Laptop 7";
  d.enrollment_state = core::EnrollmentState::kEnrolled;
  d.deployment_profile_assigned_date_time = At(1'700'000'100 + n);
  d.created_date_time = At(1'700'000'000 + n);
  return d;
}

// One of everything the ports store, through the SQLite store's ports.
void Fill(Store& store) {
  const core::AutopilotDeviceIdentity devices[] = {Device(1), Device(2), Device(3)};
  ASSERT_TRUE(store.devices().Insert(devices));

  ASSERT_TRUE(store.resources().Create({.kind = ResourceKind::kTenant,
                                        .id = "tenant",
                                        .name = "Contoso",
                                        .body = R"({"displayName":"Contoso"})",
                                        .created_date_time = At(1'700'000'000),
                                        .last_modified_date_time = At(1'700'000'000)}));
  ASSERT_TRUE(store.resources().Create({.kind = ResourceKind::kGroup,
                                        .id = "g1",
                                        .name = "Sales laptops",
                                        .body = R"({"displayName":"Sales laptops"})",
                                        .created_date_time = At(1'700'000'001),
                                        .last_modified_date_time = At(1'700'000'002)}));

  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store.audit().Append({.at = At(1'700'000'010 + i),
                                      .actor = "admin",
                                      .action = "create",
                                      .resource_kind = "groups",
                                      .resource_id = "g" + std::to_string(i),
                                      .resource_name = "Group " + std::to_string(i),
                                      .detail = "{}"}));
  }

  // Two sessions of one device started in the same second: the latest is the one created last.
  for (const char* id : {"s1", "s2"}) {
    ASSERT_TRUE(store.sessions().CreateSession({.id = id,
                                                .device_id = "ztd-1",
                                                .flow = "technician",
                                                .user_principal_name = "",
                                                .deployment_state = "inProgress",
                                                .started_date_time = At(1'700'000'050),
                                                .finished_date_time = std::nullopt}));
  }
  ASSERT_TRUE(store.sessions().UpdateSession({.id = "s1",
                                              .device_id = "ztd-1",
                                              .flow = "technician",
                                              .user_principal_name = "",
                                              .deployment_state = "failure",
                                              .started_date_time = At(1'700'000'050),
                                              .finished_date_time = At(1'700'000'060)}));
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(store.sessions().AppendEvent({.session_id = i % 2 ? "s1" : "s2",
                                              .idempotency_key = "k" + std::to_string(i),
                                              .at = At(1'700'000'051 + i),
                                              .kind = "phaseStarted",
                                              .detail = R"({"phase":"apps"})"}));
  }

  ASSERT_TRUE(store.credentials().Create({.id = "c1",
                                          .name = "admin",
                                          .role = CredentialRole::kAdmin,
                                          .token_sha256 = std::string(64, 'a'),
                                          .created_date_time = At(1'700'000'000),
                                          .revoked_date_time = std::nullopt}));
  ASSERT_TRUE(store.credentials().Create({.id = "c2",
                                          .name = "Reader",
                                          .role = CredentialRole::kReader,
                                          .token_sha256 = std::string(64, 'b'),
                                          .created_date_time = At(1'700'000'001),
                                          .revoked_date_time = std::nullopt}));
  ASSERT_TRUE(store.credentials().Revoke("c2", At(1'700'000'002)));

  ASSERT_TRUE(
      store.user_credentials().Put({.user_id = "u1",
                                    .password_hash = "$argon2id$v=19$...",
                                    .totp_secret = kBinary,
                                    .totp_last_step = 42,
                                    .recent_failures = {At(1'700'000'070), At(1'700'000'071)},
                                    .locked_until = At(1'700'000'900),
                                    .updated_date_time = At(1'700'000'072)},
                                   std::nullopt));

  ASSERT_TRUE(store.tokens().Record({.id = "jti-1",
                                     .audience = "device",
                                     .subject = "ztd-1",
                                     .device_id = "ztd-1",
                                     .issued_date_time = At(1'700'000'000),
                                     .expiration_date_time = At(2'000'000'000),
                                     .revoked_date_time = std::nullopt}));
  ASSERT_TRUE(store.tokens().Record({.id = "jti-2",
                                     .audience = "user",
                                     .subject = "u1",
                                     .device_id = "",
                                     .issued_date_time = At(1'700'000'000),
                                     .expiration_date_time = At(2'000'000'000),
                                     .revoked_date_time = std::nullopt}));
  ASSERT_TRUE(store.tokens().Revoke("jti-2", At(1'700'000'500)));

  ASSERT_TRUE(store.idempotency().Put({.credential_id = "admin",
                                       .key = "key-1",
                                       .fingerprint = "POST /v1/groups sha",
                                       .status = 201,
                                       .content_type = "application/octet-stream",
                                       .body = kBinary,
                                       .created_date_time = At(1'700'000'000),
                                       .expires_date_time = At(2'000'000'000)}));

  ASSERT_TRUE(store.admin_accounts().Create({.name = "alice",
                                             .role = CredentialRole::kTechnician,
                                             .password_hash = "$argon2id$alice",
                                             .totp_secret = kBinary,
                                             .totp_last_step = 7,
                                             .recent_failures = {},
                                             .locked_until = std::nullopt,
                                             .created_date_time = At(1'700'000'000),
                                             .last_sign_in_date_time = At(1'700'000'300)}));
  ASSERT_TRUE(store.device_trust().Put({.device_id = "ztd-1",
                                        .directory_device_id = "dir-1",
                                        .trust_type = core::TrustType::kAzureAd,
                                        .display_name = "CON-1",
                                        .joined_date_time = At(1'700'000'200),
                                        .certificate_serial = std::string(32, 'f'),
                                        .certificate_expiration_date_time = At(1'800'000'000),
                                        .enrolled_date_time = std::nullopt,
                                        .resealed_date_time = std::nullopt,
                                        .primary_user_id = "u1",
                                        .updated_date_time = At(1'700'000'201)},
                                       std::nullopt));
  ASSERT_TRUE(store.challenges().Create({.id = "ch-1",
                                         .purpose = "mfa",
                                         .subject = "u1",
                                         .device_id = "ztd-1",
                                         .data = kBinary,
                                         .attempts = 2,
                                         .expires_date_time = At(2'000'000'000)}));
  ASSERT_TRUE(store.sealed_values().Put("token-keys", kBinary, 0));
  ASSERT_TRUE(store.console_sessions().Create({.token_sha256 = std::string(64, 'c'),
                                               .admin_name = "alice",
                                               .csrf_token = "csrf",
                                               .created_date_time = At(1'700'000'300),
                                               .idle_expires_date_time = At(1'700'002'000),
                                               .expires_date_time = At(1'700'040'000)}));
}

void ExpectSameDevices(Store& a, Store& b) {
  auto list = [](Store& s) {
    return ReadAllPages<DeviceRecord>(
        [&](const PageRequest& page) { return s.devices().List(DeviceFilter{}, page); });
  };
  auto left = list(a), right = list(b);
  ASSERT_TRUE(left && right);
  ASSERT_EQ(left->size(), right->size());
  for (size_t i = 0; i < left->size(); ++i) {
    const auto& x = (*left)[i];
    const auto& y = (*right)[i];
    EXPECT_EQ(x.version, y.version);
    EXPECT_EQ(x.value.id, y.value.id);
    EXPECT_EQ(x.value.serial_number, y.value.serial_number);
    EXPECT_EQ(x.value.hardware_identifier, y.value.hardware_identifier);
    EXPECT_EQ(x.value.group_tag, y.value.group_tag);
    EXPECT_EQ(x.value.user_principal_name, y.value.user_principal_name);
    EXPECT_EQ(x.value.display_name, y.value.display_name);
    EXPECT_EQ(x.value.enrollment_state, y.value.enrollment_state);
    EXPECT_EQ(x.value.deployment_profile_assigned_date_time,
              y.value.deployment_profile_assigned_date_time);
    EXPECT_EQ(x.value.last_contacted_date_time, y.value.last_contacted_date_time);
    EXPECT_EQ(x.value.created_date_time, y.value.created_date_time);
  }
  auto found = b.devices().FindByHardwareHash(kBinary + "2");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->value.id, core::ZtdId{"ztd-2"});
}

void ExpectSameEverythingElse(Store& a, Store& b) {
  // Resources and the catalog generation (the seeded row replaced by the source's).
  for (ResourceKind kind : {ResourceKind::kTenant, ResourceKind::kGroup}) {
    auto left = a.resources().ListAll(kind), right = b.resources().ListAll(kind);
    ASSERT_TRUE(left && right);
    ASSERT_EQ(left->size(), right->size());
    for (size_t i = 0; i < left->size(); ++i) {
      EXPECT_EQ((*left)[i].value.id, (*right)[i].value.id);
      EXPECT_EQ((*left)[i].value.name, (*right)[i].value.name);
      EXPECT_EQ((*left)[i].value.body, (*right)[i].value.body);
      EXPECT_EQ((*left)[i].value.last_modified_date_time,
                (*right)[i].value.last_modified_date_time);
      EXPECT_EQ((*left)[i].version, (*right)[i].version);
    }
  }
  auto generation = a.resources().Generation();
  ASSERT_TRUE(generation);
  EXPECT_GT(*generation, 0);
  EXPECT_EQ(*generation, *b.resources().Generation());

  // The audit log, sequences included.
  auto left_audit = a.audit().List(PageRequest{.after = "", .limit = 100});
  auto right_audit = b.audit().List(PageRequest{.after = "", .limit = 100});
  ASSERT_TRUE(left_audit && right_audit);
  ASSERT_EQ(left_audit->items.size(), right_audit->items.size());
  for (size_t i = 0; i < left_audit->items.size(); ++i) {
    EXPECT_EQ(left_audit->items[i].sequence, right_audit->items[i].sequence);
    EXPECT_EQ(left_audit->items[i].at, right_audit->items[i].at);
    EXPECT_EQ(left_audit->items[i].resource_name, right_audit->items[i].resource_name);
  }

  // Sessions and events; the latest of two sessions started in the same second.
  for (const char* id : {"s1", "s2"}) {
    auto left = a.sessions().GetSession(id), right = b.sessions().GetSession(id);
    ASSERT_TRUE(left && right) << id;
    EXPECT_EQ(left->deployment_state, right->deployment_state);
    EXPECT_EQ(left->started_date_time, right->started_date_time);
    EXPECT_EQ(left->finished_date_time, right->finished_date_time);
  }
  auto left_events = a.sessions().ListAllEvents(PageRequest{.after = "", .limit = 100});
  auto right_events = b.sessions().ListAllEvents(PageRequest{.after = "", .limit = 100});
  ASSERT_TRUE(left_events && right_events);
  ASSERT_EQ(left_events->items.size(), 4u);
  ASSERT_EQ(left_events->items.size(), right_events->items.size());
  for (size_t i = 0; i < left_events->items.size(); ++i) {
    EXPECT_EQ(left_events->items[i].sequence, right_events->items[i].sequence);
    EXPECT_EQ(left_events->items[i].session_id, right_events->items[i].session_id);
    EXPECT_EQ(left_events->items[i].idempotency_key, right_events->items[i].idempotency_key);
    EXPECT_EQ(left_events->items[i].detail, right_events->items[i].detail);
  }
  EXPECT_EQ(*a.sessions().LastEventSequence(), *b.sessions().LastEventSequence());
  const std::vector<std::string> device_ids = {"ztd-1"};
  auto latest = b.sessions().LatestSessions(device_ids);
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].id, "s2");

  // Credentials, user credentials, tokens, idempotency records, admins and their sessions.
  auto left_credentials = a.credentials().List(), right_credentials = b.credentials().List();
  ASSERT_TRUE(left_credentials && right_credentials);
  ASSERT_EQ(left_credentials->size(), 2u);
  ASSERT_EQ(left_credentials->size(), right_credentials->size());
  for (size_t i = 0; i < left_credentials->size(); ++i) {
    EXPECT_EQ((*left_credentials)[i].name, (*right_credentials)[i].name);
    EXPECT_EQ((*left_credentials)[i].role, (*right_credentials)[i].role);
    EXPECT_EQ((*left_credentials)[i].revoked_date_time, (*right_credentials)[i].revoked_date_time);
  }
  auto by_token = b.credentials().FindByTokenSha256(std::string(64, 'a'));
  ASSERT_TRUE(by_token && by_token->has_value());
  EXPECT_EQ((*by_token)->name, "admin");

  auto user = b.user_credentials().Find("u1");
  ASSERT_TRUE(user && user->has_value());
  EXPECT_EQ((*user)->value.totp_secret, kBinary);
  EXPECT_EQ((*user)->value.totp_last_step, 42);
  EXPECT_EQ((*user)->value.recent_failures.size(), 2u);
  EXPECT_EQ((*user)->value.locked_until, At(1'700'000'900));
  EXPECT_EQ((*user)->version, (*a.user_credentials().Find("u1"))->version);

  auto revoked = b.tokens().IsRevoked("jti-2");
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(*revoked);
  auto token = b.tokens().Find("jti-1");
  ASSERT_TRUE(token && token->has_value());
  EXPECT_EQ((*token)->expiration_date_time, At(2'000'000'000));
  EXPECT_FALSE((*token)->revoked_date_time.has_value());

  auto response = b.idempotency().Find("admin", "key-1", At(1'800'000'000));
  ASSERT_TRUE(response && response->has_value());
  EXPECT_EQ((*response)->body, kBinary);
  EXPECT_EQ((*response)->status, 201);

  auto account = b.admin_accounts().Find("alice");
  ASSERT_TRUE(account && account->has_value());
  EXPECT_EQ((*account)->value.role, CredentialRole::kTechnician);
  EXPECT_EQ((*account)->value.totp_secret, kBinary);
  EXPECT_EQ((*account)->value.last_sign_in_date_time, At(1'700'000'300));
  auto trust = b.device_trust().Find("ztd-1");
  ASSERT_TRUE(trust && trust->has_value());
  EXPECT_EQ((*trust)->value.trust_type, core::TrustType::kAzureAd);
  EXPECT_EQ((*trust)->value.certificate_expiration_date_time, At(1'800'000'000));
  EXPECT_FALSE((*trust)->value.enrolled_date_time.has_value());
  auto challenge = b.challenges().Find("ch-1", At(1'800'000'000));
  ASSERT_TRUE(challenge && challenge->has_value());
  EXPECT_EQ((*challenge)->data, kBinary);
  EXPECT_EQ((*challenge)->attempts, 2);
  auto sealed = b.sealed_values().Get("token-keys");
  ASSERT_TRUE(sealed && sealed->has_value());
  EXPECT_EQ((*sealed)->value, kBinary);
  EXPECT_EQ((*sealed)->version, 1);

  auto console = b.console_sessions().FindByTokenSha256(std::string(64, 'c'));
  ASSERT_TRUE(console && console->has_value());
  EXPECT_EQ((*console)->admin_name, "alice");
}

TEST_F(CopyTest, CopiesEveryTableAndReadsBackThroughThePorts) {
  {
    auto source = OpenSqlite();
    ASSERT_NE(source, nullptr);
    ASSERT_NO_FATAL_FAILURE(Fill(*source));
  }
  const postgres::Options target = Target();
  auto report = CopySqliteToPostgres(sqlite_path_, target);
  ASSERT_TRUE(report) << report.error().message;

  auto rows_of = [&](std::string_view table) -> int64_t {
    for (const auto& copied : report->tables) {
      if (copied.table == table) return copied.rows;
    }
    ADD_FAILURE() << "no report of " << table;
    return -1;
  };
  EXPECT_EQ(rows_of("autopilot_devices"), 3);
  EXPECT_EQ(rows_of("audit_log"), 3);
  EXPECT_EQ(rows_of("session_events"), 4);
  EXPECT_EQ(rows_of("catalog_generation"), 1);
  EXPECT_EQ(rows_of("challenges"), 1);
  EXPECT_EQ(rows_of("reported_inventories"), 0);
  for (const auto& copied : report->tables) EXPECT_EQ(copied.sha256.size(), 64u);
  // Parents before children.
  auto position = [&](std::string_view table) {
    for (size_t i = 0; i < report->tables.size(); ++i) {
      if (report->tables[i].table == table) return i;
    }
    return report->tables.size();
  };
  EXPECT_LT(position("autopilot_devices"), position("deployment_sessions"));
  EXPECT_LT(position("deployment_sessions"), position("session_events"));
  EXPECT_LT(position("admin_accounts"), position("console_sessions"));

  auto source = OpenSqlite();
  auto copy = OpenPostgres(target);
  ASSERT_TRUE(source && copy);
  ASSERT_NO_FATAL_FAILURE(ExpectSameDevices(*source, *copy));
  ASSERT_NO_FATAL_FAILURE(ExpectSameEverythingElse(*source, *copy));

  // The sequences continue after the copied ones.
  auto last_audit = source->audit().List(PageRequest{.after = "", .limit = 100});
  ASSERT_TRUE(last_audit);
  auto appended = copy->audit().Append({.at = At(1'700'001'000),
                                        .actor = "admin",
                                        .action = "delete",
                                        .resource_kind = "groups",
                                        .resource_id = "g1",
                                        .resource_name = "Sales laptops",
                                        .detail = "{}"});
  ASSERT_TRUE(appended) << appended.error().message;
  EXPECT_GT(appended->sequence, last_audit->items.back().sequence);
  auto event = copy->sessions().AppendEvent({.session_id = "s1",
                                             .idempotency_key = "after-copy",
                                             .at = At(1'700'001'000),
                                             .kind = "phaseStarted",
                                             .detail = "{}"});
  ASSERT_TRUE(event) << event.error().message;
  EXPECT_GT(event->sequence, *source->sessions().LastEventSequence());
  // A new session of the same second is the latest after the copied ones.
  ASSERT_TRUE(copy->sessions().CreateSession({.id = "s0",
                                              .device_id = "ztd-1",
                                              .flow = "technician",
                                              .user_principal_name = "",
                                              .deployment_state = "inProgress",
                                              .started_date_time = At(1'700'000'050),
                                              .finished_date_time = std::nullopt}));
  const std::vector<std::string> device_ids = {"ztd-1"};
  auto latest = copy->sessions().LatestSessions(device_ids);
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->size(), 1u);
  EXPECT_EQ((*latest)[0].id, "s0");
}

TEST_F(CopyTest, TheHashesDependOnlyOnTheContent) {
  // The first copy reads while the SQLite store is open (its last commits still in the WAL),
  // the second after it closed.
  auto source = OpenSqlite();
  ASSERT_NE(source, nullptr);
  ASSERT_NO_FATAL_FAILURE(Fill(*source));
  auto first = CopySqliteToPostgres(sqlite_path_, Target());
  source.reset();
  auto second = CopySqliteToPostgres(sqlite_path_, Target());
  ASSERT_TRUE(first && second);
  ASSERT_EQ(first->tables.size(), second->tables.size());
  for (size_t i = 0; i < first->tables.size(); ++i) {
    EXPECT_EQ(first->tables[i].table, second->tables[i].table);
    EXPECT_EQ(first->tables[i].sha256, second->tables[i].sha256) << first->tables[i].table;
  }
}

TEST_F(CopyTest, CopiesInBatchesAndKeepsTheHighestSequenceEverUsed) {
  // More rows than one INSERT carries (several full batches and a last partial one); the newest
  // events are then deleted, so that the highest sequence SQLite handed out is above every row.
  constexpr int kEntries = 1234;
  int64_t highest_event = 0;
  {
    auto source = OpenSqlite();
    ASSERT_NE(source, nullptr);
    const core::AutopilotDeviceIdentity devices[] = {Device(1), Device(2)};
    ASSERT_TRUE(source->devices().Insert(devices));
    ASSERT_TRUE(source->Transact([&]() -> Status {
      for (int i = 0; i < kEntries; ++i) {
        GC_RETURN_IF_ERROR(source->audit().Append({.at = At(1'700'000'000 + i),
                                                   .actor = "admin",
                                                   .action = "import",
                                                   .resource_kind = "autopilotDevices",
                                                   .resource_id = std::to_string(i),
                                                   .resource_name = "",
                                                   .detail = "{}"}));
      }
      return Ok{};
    }));
    for (int device = 1; device <= 2; ++device) {
      const std::string id = "ztd-" + std::to_string(device);
      ASSERT_TRUE(source->sessions().CreateSession({.id = "s" + std::to_string(device),
                                                    .device_id = id,
                                                    .flow = "technician",
                                                    .user_principal_name = "",
                                                    .deployment_state = "inProgress",
                                                    .started_date_time = At(1'700'000'050),
                                                    .finished_date_time = std::nullopt}));
      auto event = source->sessions().AppendEvent({.session_id = "s" + std::to_string(device),
                                                   .idempotency_key = "k",
                                                   .at = At(1'700'000'051),
                                                   .kind = "phaseStarted",
                                                   .detail = "{}"});
      ASSERT_TRUE(event);
      highest_event = event->sequence;
    }
    auto device = source->devices().Get(core::ZtdId{"ztd-2"});
    ASSERT_TRUE(device);
    ASSERT_TRUE(source->devices().Delete(core::ZtdId{"ztd-2"}, device->version));
  }
  const postgres::Options target = Target();
  auto report = CopySqliteToPostgres(sqlite_path_, target);
  ASSERT_TRUE(report) << report.error().message;
  for (const auto& copied : report->tables) {
    if (copied.table == "audit_log") {
      EXPECT_EQ(copied.rows, kEntries);
    } else if (copied.table == "session_events") {
      EXPECT_EQ(copied.rows, 1);
    }
  }
  auto copy = OpenPostgres(target);
  ASSERT_NE(copy, nullptr);
  auto last = copy->audit().List(PageRequest{.after = std::to_string(kEntries - 2), .limit = 10});
  ASSERT_TRUE(last);
  ASSERT_EQ(last->items.size(), 2u);
  EXPECT_EQ(last->items[1].resource_id, std::to_string(kEntries - 1));
  auto event = copy->sessions().AppendEvent({.session_id = "s1",
                                             .idempotency_key = "after",
                                             .at = At(1'700'000'052),
                                             .kind = "phaseStarted",
                                             .detail = "{}"});
  ASSERT_TRUE(event) << event.error().message;
  EXPECT_GT(event->sequence, highest_event);
}

TEST_F(CopyTest, RefusesATargetThatHoldsData) {
  {
    auto source = OpenSqlite();
    ASSERT_NE(source, nullptr);
    ASSERT_NO_FATAL_FAILURE(Fill(*source));
  }
  const postgres::Options target = Target();
  ASSERT_TRUE(CopySqliteToPostgres(sqlite_path_, target));
  auto again = CopySqliteToPostgres(sqlite_path_, target);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(again.error().field, "target");
  EXPECT_THAT(again.error().message, HasSubstr("table admin_accounts has rows"));

  // One row anywhere is enough, and nothing of the refused copy stays.
  const postgres::Options other = Target();
  {
    auto copy = OpenPostgres(other);
    ASSERT_NE(copy, nullptr);
    ASSERT_TRUE(copy->tokens().Record({.id = "jti-9",
                                       .audience = "device",
                                       .subject = "x",
                                       .device_id = "",
                                       .issued_date_time = At(1),
                                       .expiration_date_time = At(2),
                                       .revoked_date_time = std::nullopt}));
  }
  auto refused = CopySqliteToPostgres(sqlite_path_, other);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("table issued_tokens has rows"));
  auto copy = OpenPostgres(other);
  ASSERT_NE(copy, nullptr);
  auto devices = copy->devices().List(DeviceFilter{}, PageRequest{.after = "", .limit = 10});
  ASSERT_TRUE(devices);
  EXPECT_TRUE(devices->items.empty());
}

// The user_version of the SQLite file, read without the adapter (which would migrate it).
int UserVersion(const std::string& path) {
  sqlite3* db = nullptr;
  int version = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      version = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return version;
}

TEST_F(CopyTest, RefusesASourceAtAnOlderSchemaAndLeavesItAlone) {
  // A database at the schema before the newest: the first migrations, applied by hand.
  {
    auto db = sqlite::internal::Connection::Open(sqlite_path_);
    ASSERT_TRUE(db);
    auto migrations = sqlite::Migrations();
    ASSERT_TRUE(sqlite::internal::Migrate(*db, migrations.first(migrations.size() - 1)));
  }
  const int old_version = UserVersion(sqlite_path_);
  ASSERT_EQ(old_version, sqlite::Migrations().back().version - 1);

  auto refused = CopySqliteToPostgres(sqlite_path_, Target());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().field, "source");
  EXPECT_THAT(refused.error().message, HasSubstr("start this version of groundcrewd"));
  EXPECT_EQ(UserVersion(sqlite_path_), old_version);
}

// Runs `sql` on the SQLite file without the adapter.
void ExecuteSqlite(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST_F(CopyTest, RefusesSchemasOutOfStep) {
  { ASSERT_NE(OpenSqlite(), nullptr); }
  ExecuteSqlite(sqlite_path_, "ALTER TABLE audit_log ADD COLUMN extra TEXT");
  auto refused = CopySqliteToPostgres(sqlite_path_, Target());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInternal);
  EXPECT_THAT(refused.error().message, HasSubstr("audit_log.extra"));

  ExecuteSqlite(sqlite_path_, "CREATE TABLE stray (x INTEGER)");
  refused = CopySqliteToPostgres(sqlite_path_, Target());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInternal);
  EXPECT_THAT(refused.error().message, HasSubstr("table stray"));
}

TEST_F(CopyTest, AContentThatDiffersAfterTheCopyIsRolledBack) {
  {
    auto source = OpenSqlite();
    ASSERT_NE(source, nullptr);
    ASSERT_NO_FATAL_FAILURE(Fill(*source));
  }
  // A trigger in the target changes what is inserted into audit_log.
  const postgres::Options target = Target();
  ASSERT_NE(OpenPostgres(target), nullptr);
  {
    auto db = postgres::internal::Connection::Open(target.conninfo, target.schema);
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE(db->Execute(
        "CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN NEW.detail := NEW.detail || ' '; RETURN NEW; END $$; "
        "CREATE TRIGGER tamper BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION tamper()"));
  }
  auto refused = CopySqliteToPostgres(sqlite_path_, target);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInternal);
  EXPECT_THAT(refused.error().message, HasSubstr("table audit_log differs"));

  auto copy = OpenPostgres(target);
  ASSERT_NE(copy, nullptr);
  auto devices = copy->devices().List(DeviceFilter{}, PageRequest{.after = "", .limit = 10});
  ASSERT_TRUE(devices);
  EXPECT_TRUE(devices->items.empty());
  auto generation = copy->resources().Generation();
  ASSERT_TRUE(generation);
  EXPECT_EQ(*generation, 0);  // the seeded row is back
}

TEST_F(CopyTest, RefusesAMissingSource) {
  auto refused = CopySqliteToPostgres((dir_.path() / "none.db").string(), Target());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(refused.error().field, "source");
}

TEST_F(CopyTest, AnEmptyInstallationCopiesToAnEmptySchema) {
  { ASSERT_NE(OpenSqlite(), nullptr); }
  auto report = CopySqliteToPostgres(sqlite_path_, Target());
  ASSERT_TRUE(report) << report.error().message;
  for (const auto& copied : report->tables) {
    EXPECT_EQ(copied.rows, copied.table == "catalog_generation" ? 1 : 0) << copied.table;
  }
}

}  // namespace
}  // namespace groundcrew::store::copy

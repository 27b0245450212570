// Several groundcrewd instances over one PostgreSQL schema, as the service layer sees them: the
// secrets sealed in the database and created once, a key ring rotated by one and taken by the
// others, one leader at a time, and caches and live streams that hear the other instances'
// commits. Each "instance" is a PostgresStore of its own on a throwaway cluster's schema.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "identity/sha256.hpp"
#include "server/service/leader_jobs.hpp"
#include "server/service/stored_secrets.hpp"
#include "server/service/token_service.hpp"
#include "server/store_postgres/postgres_store.hpp"
#include "tests/support/files.hpp"
#include "tests/support/postgres_cluster.hpp"

namespace groundcrew::service {
namespace {

using namespace std::chrono_literals;
using store::postgres::PostgresStore;
using test_support::PostgresCluster;

core::Timestamp At(int64_t seconds) { return core::Timestamp{std::chrono::seconds{seconds}}; }

class SharedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    cluster_ = PostgresCluster::Shared(error);
    ASSERT_NE(cluster_, nullptr) << "the test PostgreSQL cluster did not start: " << error;
    static std::atomic<int> counter{0};
    schema_ = "svc" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    key_.fill(7);
  }

  // Another instance on the same schema.
  std::unique_ptr<PostgresStore> Instance() {
    auto store = PostgresStore::Open(
        {.conninfo = cluster_->conninfo(), .schema = schema_, .read_connections = 1});
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return store ? std::move(*store) : nullptr;
  }

  PostgresCluster* cluster_ = nullptr;
  std::string schema_;
  identity::SealingKey key_{};
};

TEST_F(SharedStoreTest, InstancesStartingTogetherCreateTheSecretsOnce) {
  auto a = Instance();
  auto b = Instance();
  ASSERT_TRUE(a && b);
  StoredKeyRing ring_a(a->sealed_values(), key_);
  StoredKeyRing ring_b(b->sealed_values(), key_);
  auto loading = std::async(std::launch::async, [&] {
    return LoadOrCreateStoredSecrets(b->sealed_values(), key_, "Contoso", At(1'700'000'000),
                                     ring_b);
  });
  Result<Secrets> first =
      LoadOrCreateStoredSecrets(a->sealed_values(), key_, "Contoso", At(1'700'000'000), ring_a);
  Result<Secrets> second = loading.get();
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(first->ca_certificate_pem, second->ca_certificate_pem);
  EXPECT_EQ(first->nonce_key, second->nonce_key);
  EXPECT_EQ(first->keys.Current().kid, second->keys.Current().kid);

  // What the database holds is sealed: no secret appears in it.
  auto stored = a->sealed_values().Get("nonce-key");
  ASSERT_TRUE(stored.has_value() && stored->has_value());
  EXPECT_EQ((*stored)->value.find(first->nonce_key), std::string::npos);
  auto ca = a->sealed_values().Get("ca");
  ASSERT_TRUE(ca.has_value() && ca->has_value());
  EXPECT_EQ((*ca)->value.find("PRIVATE KEY"), std::string::npos);
}

TEST_F(SharedStoreTest, AnotherInstallationsKeyDoesNotOpenTheSecrets) {
  auto a = Instance();
  ASSERT_TRUE(a);
  StoredKeyRing ring(a->sealed_values(), key_);
  ASSERT_TRUE(
      LoadOrCreateStoredSecrets(a->sealed_values(), key_, "Contoso", At(1'700'000'000), ring)
          .has_value());
  identity::SealingKey other{};
  other.fill(9);
  StoredKeyRing other_ring(a->sealed_values(), other);
  Result<Secrets> refused = LoadOrCreateStoredSecrets(a->sealed_values(), other, "Contoso",
                                                      At(1'700'000'000), other_ring);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().field, "secretsKeyFile");
}

TEST_F(SharedStoreTest, TheSecretsKeyFileMustBePrivateAndWellFormed) {
  test_support::TempDir dir;
  const std::filesystem::path file = dir.path() / "secrets.key";
  ASSERT_TRUE(CreateSecretsKey(file).has_value());
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_TRUE(ReadSecretsKey(file).has_value());
  EXPECT_EQ(CreateSecretsKey(file).error().code, ErrorCode::kAlreadyExists);

  std::filesystem::permissions(file, std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  EXPECT_EQ(ReadSecretsKey(file).error().code, ErrorCode::kFailedPrecondition);
  const std::string short_key = dir.Write("short.key", "abcd\n");
  std::filesystem::permissions(
      short_key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace);
  Result<identity::SealingKey> bad = ReadSecretsKey(short_key);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().field, "secretsKeyFile");
  EXPECT_EQ(ReadSecretsKey(dir.path() / "none").error().code, ErrorCode::kNotFound);
}

// Two TokenServices, each over its own instance, sharing the stored key ring.
TEST_F(SharedStoreTest, AKeyRotatedByOneInstanceVerifiesOnTheOthers) {
  auto a = Instance();
  auto b = Instance();
  ASSERT_TRUE(a && b);
  StoredKeyRing ring_a(a->sealed_values(), key_);
  StoredKeyRing ring_b(b->sealed_values(), key_);
  auto secrets_a =
      LoadOrCreateStoredSecrets(a->sealed_values(), key_, "Contoso", At(1'700'000'000), ring_a);
  auto secrets_b =
      LoadOrCreateStoredSecrets(b->sealed_values(), key_, "Contoso", At(1'700'000'000), ring_b);
  ASSERT_TRUE(secrets_a && secrets_b);
  const Clock clock = [] { return At(1'700'000'100); };
  TokenOptions options;
  options.housekeeping_on_issue = false;
  TokenService tokens_a(
      *a, clock, secrets_a->keys, [&](const identity::KeyRing& k) { return ring_a.Save(k); },
      options, [&] { return ring_a.Reload(); });
  TokenService tokens_b(
      *b, clock, secrets_b->keys, [&](const identity::KeyRing& k) { return ring_b.Save(k); },
      options, [&] { return ring_b.Reload(); });

  const std::string before = tokens_a.CurrentKeyId();
  ASSERT_TRUE(tokens_a.Rotate().has_value());
  EXPECT_NE(tokens_a.CurrentKeyId(), before);
  auto issued = tokens_a.IssueDeviceToken("ztd-1");
  ASSERT_TRUE(issued.has_value()) << issued.error().message;
  // b has not loaded the new key: it does when the token needs it.
  auto claims = tokens_b.Authenticate("Bearer " + issued->token, identity::Audience::kDevice);
  ASSERT_TRUE(claims.has_value()) << claims.error().message;
  EXPECT_EQ(tokens_b.CurrentKeyId(), tokens_a.CurrentKeyId());

  // b rotating from a stale ring loses to a's newer save and takes a's ring instead.
  ASSERT_TRUE(tokens_a.Rotate().has_value());
  ASSERT_TRUE(tokens_b.Rotate().has_value());
  EXPECT_EQ(tokens_b.CurrentKeyId(), tokens_a.CurrentKeyId());
}

TEST_F(SharedStoreTest, OneInstanceLeadsAndAnotherTakesOverWhenItStops) {
  auto a = Instance();
  auto b = Instance();
  ASSERT_TRUE(a && b);
  std::atomic<int64_t> now{1'700'000'000};
  const Clock clock = [&] { return At(now.load()); };
  std::atomic<int> runs_a{0};
  std::atomic<int> runs_b{0};
  const auto counting = [](std::atomic<int>& runs) {
    return std::vector<LeaderJob>{{"count", [&runs]() -> Status {
                                     ++runs;
                                     return Ok{};
                                   }}};
  };
  LeaderJobs jobs_a(a->leases(), clock, "a", 30s, counting(runs_a));
  LeaderJobs jobs_b(b->leases(), clock, "b", 30s, counting(runs_b));
  auto round_a = jobs_a.RunIfLeader();
  auto round_b = jobs_b.RunIfLeader();
  ASSERT_TRUE(round_a && round_b);
  EXPECT_TRUE(round_a->leader);
  EXPECT_FALSE(round_b->leader);
  EXPECT_EQ(runs_a, 1);
  EXPECT_EQ(runs_b, 0);

  // a dies without resigning: b takes over once the lease (3 intervals) has run out.
  now += 60;
  EXPECT_FALSE(jobs_b.RunIfLeader()->leader);
  now += 31;
  EXPECT_TRUE(jobs_b.RunIfLeader()->leader);
  EXPECT_FALSE(jobs_a.RunIfLeader()->leader);  // a, back, follows
  EXPECT_EQ(runs_b, 1);

  // b resigns when it stops: a leads at its next round, without waiting.
  ASSERT_TRUE(jobs_b.Resign().has_value());
  EXPECT_TRUE(jobs_a.RunIfLeader()->leader);
}

TEST_F(SharedStoreTest, ARevocationOnOneInstanceReachesTheOthersCacheWithinASecond) {
  auto a = Instance();
  auto b = Instance();
  ASSERT_TRUE(a && b);
  store::AdminCredential credential;
  credential.id = "cred-1";
  credential.name = "automation";
  credential.token_sha256 = identity::Sha256Hex("token");
  credential.created_date_time = At(1'700'000'000);
  ASSERT_TRUE(a->credentials().Create(credential).has_value());
  // a reads it twice: the second answer may come from a's cache.
  ASSERT_TRUE(a->credentials().FindByTokenSha256(credential.token_sha256)->has_value());
  ASSERT_TRUE(a->credentials().FindByTokenSha256(credential.token_sha256)->has_value());

  ASSERT_TRUE(b->credentials().Revoke(credential.id, At(1'700'000'100)).has_value());
  const auto revoked_at = std::chrono::steady_clock::now();
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() - revoked_at < 5s) {
    auto found = a->credentials().FindByTokenSha256(credential.token_sha256);
    ASSERT_TRUE(found.has_value());
    seen = (*found)->revoked_date_time.has_value();
    if (!seen) std::this_thread::sleep_for(5ms);
  }
  const auto lag = std::chrono::steady_clock::now() - revoked_at;
  EXPECT_TRUE(seen);
  // The stated bound (docs/scale-out.md): a notification's delivery, well under a second.
  EXPECT_LT(lag, 1s);
}

TEST_F(SharedStoreTest, EventsStoredByOneInstanceWakeTheOthersStreams) {
  auto a = Instance();
  auto b = Instance();
  ASSERT_TRUE(a && b);
  std::atomic<int> wakes{0};
  a->OnEventsFromElsewhere([&] { ++wakes; });
  core::AutopilotDeviceIdentity device;
  device.id = core::ZtdId{"ztd-1"};
  device.serial_number = "SN1";
  device.hardware_identifier = "hash-1";
  device.created_date_time = At(1'700'000'000);
  ASSERT_TRUE(b->devices().Insert(std::vector{device}).has_value());
  store::DeploymentSession session;
  session.id = "sess-1";
  session.device_id = "ztd-1";
  session.flow = "technician";
  session.deployment_state = "inProgress";
  session.started_date_time = At(1'700'000'001);
  ASSERT_TRUE(b->sessions().CreateSession(session).has_value());
  // The listener may wake when it subscribes (it may have missed events): count from here.
  std::this_thread::sleep_for(300ms);
  const int before = wakes;
  store::SessionEvent event;
  event.session_id = "sess-1";
  event.idempotency_key = "k1";
  event.at = At(1'700'000'002);
  event.kind = "phaseStarted";
  event.detail = R"({"phase":"devicePreparation"})";
  ASSERT_TRUE(b->sessions().AppendEvent(event).has_value());
  const auto appended = std::chrono::steady_clock::now();
  while (wakes == before && std::chrono::steady_clock::now() - appended < 2s) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_GT(wakes, before) << "no wake within 2 s of another instance's event";
}

}  // namespace
}  // namespace groundcrew::service

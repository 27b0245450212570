#include "server/store_postgres/postgres_store.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "server/store_postgres/internal/connection.hpp"
#include "server/store_postgres/internal/pool.hpp"
#include "server/store_postgres/internal/ports.hpp"
#include "server/store_postgres/migrations.hpp"

namespace groundcrew::store::postgres {
namespace {

using internal::Connection;
using internal::ConnectionPool;
using internal::Transaction;

// How many times Transact runs a use case at most, and how long it waits before a retry
// (times the attempt's number).
constexpr int kTransactAttempts = 5;
constexpr std::chrono::milliseconds kRetryPause{20};

// Hears the instances' commits (NOTIFY on the pool's channel): empties this store's caches on
// 'caches', wakes the live streams on 'events'. While its session is lost the caches are not
// used; it reconnects every second until the server is back, then wakes the streams (events
// may have been missed).
class Listener {
 public:
  Listener(ConnectionPool& pool, Connection connection)
      : pool_(pool), connection_(std::move(connection)), thread_([this] { Run(); }) {}
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener() {
    stop_ = true;
    thread_.join();
  }

  void OnEvents(std::function<void()> wake) {
    std::lock_guard lock(wake_mutex_);
    wake_events_ = std::move(wake);
  }

 private:
  void WakeEvents() {
    std::lock_guard lock(wake_mutex_);
    if (wake_events_) wake_events_();
  }

  bool Subscribe() {
    if (!connection_.Execute("LISTEN " + pool_.notify_channel())) return false;
    pool_.SetCachesUsable(true);
    WakeEvents();
    return true;
  }

  void Run() {
    bool listening = Subscribe();
    while (!stop_) {
      if (!listening || connection_.broken()) {
        pool_.SetCachesUsable(false);
        std::this_thread::sleep_for(std::chrono::seconds(1));
        listening = connection_.Reconnect().has_value() && Subscribe();
        continue;
      }
      pollfd socket{.fd = PQsocket(connection_.handle()), .events = POLLIN, .revents = 0};
      if (::poll(&socket, 1, 200) <= 0) continue;
      if (PQconsumeInput(connection_.handle()) == 0) continue;  // broken: handled above
      bool caches = false;
      bool events = false;
      while (PGnotify* notify = PQnotifies(connection_.handle())) {
        const std::string_view payload = notify->extra != nullptr ? notify->extra : "";
        caches = caches || payload == ConnectionPool::kCachesPayload;
        events = events || payload == ConnectionPool::kEventsPayload;
        PQfreemem(notify);
      }
      if (caches) pool_.InvalidateCaches();
      if (events) WakeEvents();
    }
  }

  ConnectionPool& pool_;
  Connection connection_;
  std::mutex wake_mutex_;
  std::function<void()> wake_events_;  // guarded by wake_mutex_
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: starts once the rest is ready
};

class PostgresStoreImpl final : public PostgresStore {
 public:
  PostgresStoreImpl(Connection writer, std::vector<Connection> readers, Connection listener)
      : pool_(std::move(writer), std::move(readers)),
        devices_(internal::MakeDeviceStore(pool_)),
        resources_(internal::MakeResourceStore(pool_)),
        audit_(internal::MakeAuditStore(pool_)),
        credentials_(internal::MakeCredentialStore(pool_)),
        sessions_(internal::MakeSessionStore(pool_)),
        user_credentials_(internal::MakeUserCredentialStore(pool_)),
        device_trust_(internal::MakeDeviceTrustStore(pool_)),
        challenges_(internal::MakeChallengeStore(pool_)),
        tokens_(internal::MakeTokenStore(pool_)),
        idempotency_(internal::MakeIdempotencyStore(pool_)),
        inventories_(internal::MakeInventoryStore(pool_)),
        admin_accounts_(internal::MakeAdminAccountStore(pool_)),
        console_sessions_(internal::MakeConsoleSessionStore(pool_)),
        leases_(internal::MakeLeaseStore(pool_)),
        sealed_values_(internal::MakeSealedValueStore(pool_)),
        listener_(pool_, std::move(listener)) {}

  DeviceStore& devices() override { return *devices_; }
  ResourceStore& resources() override { return *resources_; }
  AuditStore& audit() override { return *audit_; }
  CredentialStore& credentials() override { return *credentials_; }
  SessionStore& sessions() override { return *sessions_; }
  UserCredentialStore& user_credentials() override { return *user_credentials_; }
  DeviceTrustStore& device_trust() override { return *device_trust_; }
  ChallengeStore& challenges() override { return *challenges_; }
  TokenStore& tokens() override { return *tokens_; }
  IdempotencyStore& idempotency() override { return *idempotency_; }
  InventoryStore& inventories() override { return *inventories_; }
  AdminAccountStore& admin_accounts() override { return *admin_accounts_; }
  ConsoleSessionStore& console_sessions() override { return *console_sessions_; }
  LeaseStore& leases() override { return *leases_; }
  SealedValueStore& sealed_values() override { return *sealed_values_; }

  void OnEventsFromElsewhere(std::function<void()> wake) override {
    listener_.OnEvents(std::move(wake));
  }

  Status Transact(const std::function<Status()>& use_case) override {
    if (pool_.HoldsWriter()) return RunOnce(use_case);  // nested: a savepoint, no retry
    for (int attempt = 1;; ++attempt) {
      ConnectionPool::WriteGuard writer(pool_);
      Connection& db = writer.connection();
      Status result = RunOnce(use_case);
      if (result || !db.retryable_failure() || attempt == kTransactAttempts) return result;
      // Rolled back: a serialization failure, a deadlock, or a session lost before COMMIT.
      if (db.broken()) (void)db.Reconnect();
      std::this_thread::sleep_for(kRetryPause * attempt);
    }
  }

 private:
  Status RunOnce(const std::function<Status()>& use_case) {
    ConnectionPool::WriteGuard writer(pool_);
    Result<Transaction> transaction = Transaction::Begin(writer.connection());
    if (!transaction) return transaction.error();
    Status result = use_case();
    if (!result) return result;  // ~Transaction rolls back (also if use_case throws)
    return transaction->Commit();
  }

  ConnectionPool pool_;  // before the ports, which use it
  std::unique_ptr<DeviceStore> devices_;
  std::unique_ptr<ResourceStore> resources_;
  std::unique_ptr<AuditStore> audit_;
  std::unique_ptr<CredentialStore> credentials_;
  std::unique_ptr<SessionStore> sessions_;
  std::unique_ptr<UserCredentialStore> user_credentials_;
  std::unique_ptr<DeviceTrustStore> device_trust_;
  std::unique_ptr<ChallengeStore> challenges_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<IdempotencyStore> idempotency_;
  std::unique_ptr<InventoryStore> inventories_;
  std::unique_ptr<AdminAccountStore> admin_accounts_;
  std::unique_ptr<ConsoleSessionStore> console_sessions_;
  std::unique_ptr<LeaseStore> leases_;
  std::unique_ptr<SealedValueStore> sealed_values_;
  Listener listener_;  // last: stopped first
};

}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const Options& options) {
  Result<Connection> writer = Connection::Open(options.conninfo, options.schema);
  if (!writer) return writer.error();
  if (Status s = internal::Migrate(*writer, Migrations()); !s) return s.error();
  std::vector<Connection> readers;
  for (int i = 0; i < options.read_connections; ++i) {
    Result<Connection> reader =
        Connection::Open(options.conninfo, options.schema, /*read_only=*/true);
    if (!reader) return reader.error();
    readers.push_back(std::move(*reader));
  }
  Result<Connection> listener = Connection::Open(options.conninfo, options.schema);
  if (!listener) return listener.error();
  return std::unique_ptr<PostgresStore>(
      new PostgresStoreImpl(std::move(*writer), std::move(readers), std::move(*listener)));
}

}  // namespace groundcrew::store::postgres

#include "server/store_sqlite/sqlite_store.hpp"

#include <utility>
#include <vector>

#include "server/store_sqlite/internal/connection.hpp"
#include "server/store_sqlite/internal/pool.hpp"
#include "server/store_sqlite/internal/ports.hpp"
#include "server/store_sqlite/migrations.hpp"

namespace groundcrew::store::sqlite {
namespace {

using internal::Connection;
using internal::ConnectionPool;
using internal::Transaction;

class SqliteStoreImpl final : public SqliteStore {
 public:
  SqliteStoreImpl(Connection writer, std::vector<Connection> readers)
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
        sealed_values_(internal::MakeSealedValueStore(pool_)) {}

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
  PoolWaits waits() const override { return pool_.waits(); }

  Status Transact(const std::function<Status()>& use_case) override {
    ConnectionPool::WriteGuard writer(pool_);
    // Outermost: BEGIN IMMEDIATE; inside another Transact: a savepoint.
    Result<Transaction> transaction = Transaction::Begin(writer.connection());
    if (!transaction) return transaction.error();
    Status result = use_case();
    if (!result) return result;  // ~Transaction rolls back (also if use_case throws)
    return transaction->Commit();
  }

 private:
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
};

// Whether other connections to `path` see the same database (not so for SQLite's private
// in-memory and temporary databases).
bool Shareable(const std::string& path) { return !path.empty() && path != ":memory:"; }

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const Options& options) {
  Result<Connection> writer = Connection::Open(options.path, options.busy_timeout_ms);
  if (!writer) return writer.error();
  if (Status s = internal::Migrate(*writer, Migrations()); !s) return s.error();
  // Readers are opened after the migrations, so they compile statements against the schema.
  std::vector<Connection> readers;
  if (Shareable(options.path)) {
    for (int i = 0; i < options.read_connections; ++i) {
      Result<Connection> reader = Connection::Open(options.path, options.busy_timeout_ms);
      if (!reader) return reader.error();
      // A write sent to a reader by mistake fails instead of competing with the writer.
      if (Status s = reader->Execute("PRAGMA query_only = ON"); !s) return s.error();
      readers.push_back(std::move(*reader));
    }
  }
  return std::unique_ptr<SqliteStore>(new SqliteStoreImpl(std::move(*writer), std::move(readers)));
}

}  // namespace groundcrew::store::sqlite

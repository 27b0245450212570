#include "store_sqlite/sqlite_store.hpp"

#include <mutex>

#include "store_sqlite/internal/connection.hpp"
#include "store_sqlite/internal/ports.hpp"
#include "store_sqlite/migrations.hpp"

namespace groundcrew::store::sqlite {
namespace {

using internal::Connection;
using internal::Transaction;

class SqliteStoreImpl final : public SqliteStore {
 public:
  explicit SqliteStoreImpl(Connection connection)
      : connection_(std::move(connection)),
        devices_(internal::MakeDeviceStore(shared())),
        resources_(internal::MakeResourceStore(shared())),
        audit_(internal::MakeAuditStore(shared())),
        credentials_(internal::MakeCredentialStore(shared())),
        sessions_(internal::MakeSessionStore(shared())),
        user_credentials_(internal::MakeUserCredentialStore(shared())),
        device_trust_(internal::MakeDeviceTrustStore(shared())),
        challenges_(internal::MakeChallengeStore(shared())),
        tokens_(internal::MakeTokenStore(shared())) {}

  DeviceStore& devices() override { return *devices_; }
  ResourceStore& resources() override { return *resources_; }
  AuditStore& audit() override { return *audit_; }
  CredentialStore& credentials() override { return *credentials_; }
  SessionStore& sessions() override { return *sessions_; }
  UserCredentialStore& user_credentials() override { return *user_credentials_; }
  DeviceTrustStore& device_trust() override { return *device_trust_; }
  ChallengeStore& challenges() override { return *challenges_; }
  TokenStore& tokens() override { return *tokens_; }

  Status Transact(const std::function<Status()>& use_case) override {
    std::lock_guard lock(mutex_);
    // Outermost: BEGIN IMMEDIATE; inside another Transact: a savepoint.
    Result<Transaction> transaction = Transaction::Begin(connection_);
    if (!transaction) return transaction.error();
    Status result = use_case();
    if (!result) return result;  // ~Transaction rolls back (also if use_case throws)
    return transaction->Commit();
  }

 private:
  internal::Shared shared() { return {connection_, mutex_}; }

  std::recursive_mutex mutex_;
  Connection connection_;
  std::unique_ptr<DeviceStore> devices_;
  std::unique_ptr<ResourceStore> resources_;
  std::unique_ptr<AuditStore> audit_;
  std::unique_ptr<CredentialStore> credentials_;
  std::unique_ptr<SessionStore> sessions_;
  std::unique_ptr<UserCredentialStore> user_credentials_;
  std::unique_ptr<DeviceTrustStore> device_trust_;
  std::unique_ptr<ChallengeStore> challenges_;
  std::unique_ptr<TokenStore> tokens_;
};

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const Options& options) {
  Result<Connection> connection = Connection::Open(options.path, options.busy_timeout_ms);
  if (!connection) return connection.error();
  if (Status s = internal::Migrate(*connection, Migrations()); !s) return s.error();
  return std::unique_ptr<SqliteStore>(new SqliteStoreImpl(std::move(*connection)));
}

}  // namespace groundcrew::store::sqlite

#include <fmt/format.h>

#include "server/store_postgres/internal/ports.hpp"

// CredentialStore on PostgreSQL: admin-API credentials in admin_credentials (schema_identity.cpp),
// only each token's SHA-256, names unique case-insensitively (gc_nocase). Every admin-API request
// looks its credential up by token hash, so found credentials are cached (CommittedCache) until a
// credential write of this instance ends or another instance's write is notified.
namespace groundcrew::store::postgres::internal {
namespace {

#define GC_CREDENTIAL_COLUMNS "id, name, role, token_sha256, created_at, revoked_at"

// A clash with any unique key (id, name, token) inserts nothing: Taken then says which, on a
// transaction that is still usable.
constexpr const char* kInsertCredential =
    "INSERT INTO admin_credentials (" GC_CREDENTIAL_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
constexpr const char* kSelectCredentialByToken =
    "SELECT " GC_CREDENTIAL_COLUMNS " FROM admin_credentials WHERE token_sha256 = $1";
constexpr const char* kListCredentials =
    "SELECT " GC_CREDENTIAL_COLUMNS " FROM admin_credentials ORDER BY name, id";
// Which unique key a new credential clashes with (name compares with the column's gc_nocase).
constexpr const char* kCredentialClash =
    "SELECT bool_or(id = $1), bool_or(name = $2), bool_or(token_sha256 = $3) "
    "FROM admin_credentials WHERE id = $1 OR name = $2 OR token_sha256 = $3";
// Revoking twice keeps the first time.
constexpr const char* kRevokeCredential =
    "UPDATE admin_credentials SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1";

#undef GC_CREDENTIAL_COLUMNS

// Credentials are few (people and automation); the bound only guards memory.
constexpr size_t kMaxCachedCredentials = 1024;

Result<AdminCredential> ReadCredential(const Statement& row) {
  AdminCredential credential;
  credential.id = row.Text(0);
  credential.name = row.Text(1);
  const std::string role = row.Text(2);
  std::optional<CredentialRole> parsed = ParseCredentialRole(role);
  if (!parsed) {
    return MakeError(ErrorCode::kInternal,
                     fmt::format("credential {} has an unknown role '{}'", credential.id, role));
  }
  credential.role = *parsed;
  credential.token_sha256 = row.Text(3);
  credential.created_date_time = TimeAt(row, 4);
  credential.revoked_date_time = OptionalTimeAt(row, 5);
  return credential;
}

class PostgresCredentialStore final : public CredentialStore {
 public:
  explicit PostgresCredentialStore(ConnectionPool& pool) : pool_(pool) {
    pool_.Register(by_token_);
  }

  Status Create(const AdminCredential& credential) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    pool_.AfterWrite(by_token_);
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> insert = db.Prepare(kInsertCredential);
    if (!insert) return insert.error();
    insert->Bind(1, credential.id);
    insert->Bind(2, credential.name);
    insert->Bind(3, ToString(credential.role));
    insert->Bind(4, credential.token_sha256);
    insert->Bind(5, Seconds(credential.created_date_time));
    insert->Bind(6, Seconds(credential.revoked_date_time));
    if (Status s = insert->Run(); !s) return s;
    if (db.changes() == 0) return Taken(db, credential);
    return transaction->Commit();
  }

  // Every admin-API request asks this: a credential found is answered from memory afterwards,
  // until a credential write ends (revocation included) here or in another instance. Unknown
  // hashes are not cached (they would let anyone fill memory), nor is anything read inside this
  // thread's own write or while other instances' writes would go unheard (caches_usable()).
  Result<std::optional<AdminCredential>> FindByTokenSha256(std::string_view token_sha256) override {
    const bool cacheable = !pool_.HoldsWriter() && pool_.caches_usable();
    uint64_t ticket = 0;
    if (cacheable) {
      if (std::optional<AdminCredential> cached = by_token_.Find(token_sha256, ticket)) {
        return cached;
      }
    }
    ConnectionPool::ReadLease lease(pool_);
    Result<Statement> select = lease.connection().Prepare(kSelectCredentialByToken);
    if (!select) return select.error();
    select->Bind(1, token_sha256);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<AdminCredential>();
    Result<AdminCredential> credential = ReadCredential(*select);
    if (!credential) return credential.error();
    if (cacheable) by_token_.Fill(ticket, token_sha256, *credential);
    return std::optional<AdminCredential>(std::move(*credential));
  }

  Result<std::vector<AdminCredential>> List() override {
    ConnectionPool::ReadLease lease(pool_);
    Result<Statement> list = lease.connection().Prepare(kListCredentials);
    if (!list) return list.error();
    std::vector<AdminCredential> result;
    for (;;) {
      Result<bool> row = list->Step();
      if (!row) return row.error();
      if (!*row) break;
      Result<AdminCredential> credential = ReadCredential(*list);
      if (!credential) return credential.error();
      result.push_back(std::move(*credential));
    }
    return result;
  }

  Status Revoke(std::string_view id, core::Timestamp at) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    pool_.AfterWrite(by_token_);
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> revoke = db.Prepare(kRevokeCredential);
    if (!revoke) return revoke.error();
    revoke->Bind(1, id);
    revoke->Bind(2, Seconds(at));
    if (Status s = revoke->Run(); !s) return s;
    if (db.changes() == 0) {
      return MakeError(ErrorCode::kNotFound, fmt::format("no credential has id {}", id), "id");
    }
    return transaction->Commit();
  }

 private:
  // After an insert that a unique key refused: which key? REQUIRES: `db` is the writer, held by
  // this thread.
  Error Taken(Connection& db, const AdminCredential& credential) {
    Result<Statement> clash = db.Prepare(kCredentialClash);
    if (!clash) return clash.error();
    clash->Bind(1, credential.id);
    clash->Bind(2, credential.name);
    clash->Bind(3, credential.token_sha256);
    Result<bool> row = clash->Step();
    if (!row) return row.error();
    if (*row && !clash->IsNull(0) && clash->Int(0) == 1) {
      return MakeError(ErrorCode::kAlreadyExists,
                       fmt::format("a credential with id {} already exists", credential.id), "id");
    }
    if (*row && !clash->IsNull(1) && clash->Int(1) == 1) {
      return MakeError(ErrorCode::kAlreadyExists,
                       fmt::format("a credential named '{}' already exists (names compare "
                                   "case-insensitively, and a revoked credential keeps its name "
                                   "so that the audit log stays unambiguous): choose another name",
                                   credential.name),
                       "name");
    }
    // Never echo the hash: it identifies a secret.
    return MakeError(ErrorCode::kAlreadyExists, "another credential has the same token",
                     "tokenSha256");
  }

  ConnectionPool& pool_;
  // Credentials by token hash as last committed; every credential write invalidates it.
  CommittedCache<AdminCredential> by_token_{kMaxCachedCredentials};
};

}  // namespace

std::unique_ptr<CredentialStore> MakeCredentialStore(ConnectionPool& pool) {
  return std::make_unique<PostgresCredentialStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal

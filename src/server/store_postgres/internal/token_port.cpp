#include <fmt/format.h>

#include "server/store_postgres/internal/ports.hpp"

// TokenStore on PostgreSQL: the table issued_tokens (schema_sessions.cpp), one row per issued
// token's id (jti), never its text; revoked_at NULL = not revoked. Revoking by device or subject
// is one UPDATE through their indexes. The SQL is store_sqlite/internal/token_port.cpp's.
namespace groundcrew::store::postgres::internal {
namespace {

#define GC_TOKEN_COLUMNS "id, audience, subject, device_id, issued_at, expires_at, revoked_at"

constexpr const char* kInsertToken =
    "INSERT INTO issued_tokens (" GC_TOKEN_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr const char* kSelectToken = "SELECT " GC_TOKEN_COLUMNS " FROM issued_tokens WHERE id = $1";
constexpr const char* kTokenRevoked =
    "SELECT revoked_at IS NOT NULL FROM issued_tokens WHERE id = $1";
// Revoking never moves an earlier revocation.
constexpr const char* kRevokeToken =
    "UPDATE issued_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
// Unexpired (expires_at > now) and unrevoked only.
constexpr const char* kRevokeTokensForDevice =
    "UPDATE issued_tokens SET revoked_at = $2 "
    "WHERE device_id = $1 AND revoked_at IS NULL AND expires_at > $2";
constexpr const char* kRevokeTokensForSubject =
    "UPDATE issued_tokens SET revoked_at = $2 "
    "WHERE subject = $1 AND revoked_at IS NULL AND expires_at > $2";
constexpr const char* kDeleteExpiredTokens = "DELETE FROM issued_tokens WHERE expires_at < $1";

#undef GC_TOKEN_COLUMNS

IssuedTokenRecord ReadToken(const Statement& row) {
  IssuedTokenRecord t;
  t.id = row.Text(0);
  t.audience = row.Text(1);
  t.subject = row.Text(2);
  t.device_id = row.Text(3);
  t.issued_date_time = TimeAt(row, 4);
  t.expiration_date_time = TimeAt(row, 5);
  t.revoked_date_time = OptionalTimeAt(row, 6);
  return t;
}

class PostgresTokenStore final : public TokenStore {
 public:
  explicit PostgresTokenStore(ConnectionPool& pool) : pool_(pool) {}

  Status Record(const IssuedTokenRecord& token) override {
    if (token.id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "an issued token needs an id", "id");
    }
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> insert = db.Prepare(kInsertToken);
    if (!insert) return insert.error();
    insert->Bind(1, token.id);
    insert->Bind(2, token.audience);
    insert->Bind(3, token.subject);
    insert->Bind(4, token.device_id);
    insert->Bind(5, Seconds(token.issued_date_time));
    insert->Bind(6, Seconds(token.expiration_date_time));
    insert->Bind(7, Seconds(token.revoked_date_time));
    if (Status s = insert->Run(); !s) {
      if (s.error().code == ErrorCode::kAlreadyExists) {
        return MakeError(ErrorCode::kAlreadyExists,
                         fmt::format("a token with id {} was already issued", token.id), "id");
      }
      return s;
    }
    return transaction->Commit();
  }

  Result<bool> IsRevoked(std::string_view id) override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(kTokenRevoked);
    if (!select) return select.error();
    select->Bind(1, id);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return true;  // unknown: never issued here, or forgotten after it expired
    return select->Int(0) != 0;
  }

  Result<std::optional<IssuedTokenRecord>> Find(std::string_view id) override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(kSelectToken);
    if (!select) return select.error();
    select->Bind(1, id);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<IssuedTokenRecord>();
    return std::optional<IssuedTokenRecord>(ReadToken(*select));
  }

  Result<bool> Revoke(std::string_view id, core::Timestamp now) override {
    Result<int64_t> revoked = Change(kRevokeToken, id, now);
    if (!revoked) return revoked.error();
    return *revoked > 0;
  }

  Result<int64_t> RevokeForDevice(std::string_view device_id, core::Timestamp now) override {
    if (device_id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "revoking by device needs a device id (\"\" is no device)", "deviceId");
    }
    return Change(kRevokeTokensForDevice, device_id, now);
  }

  Result<int64_t> RevokeForSubject(std::string_view subject, core::Timestamp now) override {
    if (subject.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "revoking by subject needs a subject",
                       "subject");
    }
    return Change(kRevokeTokensForSubject, subject, now);
  }

  Result<int64_t> DeleteExpired(core::Timestamp before) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> remove = db.Prepare(kDeleteExpiredTokens);
    if (!remove) return remove.error();
    remove->Bind(1, Seconds(before));
    if (Status s = remove->Run(); !s) return s.error();
    const int64_t removed = db.changes();
    if (Status s = transaction->Commit(); !s) return s.error();
    return removed;
  }

 private:
  // Runs `sql` (an UPDATE of $1 = key, $2 = now) as one transaction; returns the rows changed.
  Result<int64_t> Change(const char* sql, std::string_view key, core::Timestamp now) {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> update = db.Prepare(sql);
    if (!update) return update.error();
    update->Bind(1, key);
    update->Bind(2, Seconds(now));
    if (Status s = update->Run(); !s) return s.error();
    const int64_t changed = db.changes();
    if (Status s = transaction->Commit(); !s) return s.error();
    return changed;
  }

  ConnectionPool& pool_;
};

}  // namespace

std::unique_ptr<TokenStore> MakeTokenStore(ConnectionPool& pool) {
  return std::make_unique<PostgresTokenStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal

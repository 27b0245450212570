#include <fmt/format.h>

#include "server/store_postgres/internal/ports.hpp"

// IdempotencyStore on PostgreSQL: the table idempotent_responses (schema_sessions.cpp), one row
// per (credential, key); the body is bytea. An expired answer gives way to a new one under its
// key; DeleteExpired sweeps the rest. The SQL is store_sqlite/internal/idempotency_port.cpp's.
namespace groundcrew::store::postgres::internal {
namespace {

#define GC_IDEMPOTENT_COLUMNS \
  "credential_id, key, fingerprint, status, content_type, body, created_at, expires_at"

// An expired answer under the same key gives way (Put's contract); an unexpired one stays and
// the INSERT then fails on the primary key.
constexpr const char* kDeleteExpiredKey =
    "DELETE FROM idempotent_responses WHERE credential_id = $1 AND key = $2 AND expires_at <= $3";
constexpr const char* kInsertResponse = "INSERT INTO idempotent_responses (" GC_IDEMPOTENT_COLUMNS
                                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
constexpr const char* kSelectResponse =
    "SELECT " GC_IDEMPOTENT_COLUMNS
    " FROM idempotent_responses WHERE credential_id = $1 AND key = $2 AND expires_at > $3";
constexpr const char* kDeleteExpiredResponses =
    "DELETE FROM idempotent_responses WHERE expires_at <= $1";

#undef GC_IDEMPOTENT_COLUMNS

IdempotentResponse ReadResponse(const Statement& row) {
  IdempotentResponse r;
  r.credential_id = row.Text(0);
  r.key = row.Text(1);
  r.fingerprint = row.Text(2);
  r.status = static_cast<int>(row.Int(3));
  r.content_type = row.Text(4);
  r.body = row.Blob(5);
  r.created_date_time = TimeAt(row, 6);
  r.expires_date_time = TimeAt(row, 7);
  return r;
}

class PostgresIdempotencyStore final : public IdempotencyStore {
 public:
  explicit PostgresIdempotencyStore(ConnectionPool& pool) : pool_(pool) {}

  Status Put(const IdempotentResponse& response) override {
    if (response.key.empty() || response.credential_id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "an idempotent answer needs a key and a credential", "Idempotency-Key");
    }
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> expired = db.Prepare(kDeleteExpiredKey);
    if (!expired) return expired.error();
    expired->Bind(1, response.credential_id);
    expired->Bind(2, response.key);
    expired->Bind(3, Seconds(response.created_date_time));
    if (Status s = expired->Run(); !s) return s;
    Result<Statement> insert = db.Prepare(kInsertResponse);
    if (!insert) return insert.error();
    insert->Bind(1, response.credential_id);
    insert->Bind(2, response.key);
    insert->Bind(3, response.fingerprint);
    insert->Bind(4, static_cast<int64_t>(response.status));
    insert->Bind(5, response.content_type);
    insert->BindBlob(6, response.body);
    insert->Bind(7, Seconds(response.created_date_time));
    insert->Bind(8, Seconds(response.expires_date_time));
    if (Status s = insert->Run(); !s) {
      if (s.error().code == ErrorCode::kAlreadyExists) {
        return MakeError(ErrorCode::kAlreadyExists, "this Idempotency-Key already has an answer",
                         "Idempotency-Key");
      }
      return s;
    }
    return transaction->Commit();
  }

  Result<std::optional<IdempotentResponse>> Find(std::string_view credential_id,
                                                 std::string_view key,
                                                 core::Timestamp now) override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(kSelectResponse);
    if (!select) return select.error();
    select->Bind(1, credential_id);
    select->Bind(2, key);
    select->Bind(3, Seconds(now));
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<IdempotentResponse>();
    return std::optional<IdempotentResponse>(ReadResponse(*select));
  }

  Result<int64_t> DeleteExpired(core::Timestamp now) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> remove = db.Prepare(kDeleteExpiredResponses);
    if (!remove) return remove.error();
    remove->Bind(1, Seconds(now));
    if (Status s = remove->Run(); !s) return s.error();
    const int64_t removed = db.changes();
    if (Status s = transaction->Commit(); !s) return s.error();
    return removed;
  }

 private:
  ConnectionPool& pool_;
};

}  // namespace

std::unique_ptr<IdempotencyStore> MakeIdempotencyStore(ConnectionPool& pool) {
  return std::make_unique<PostgresIdempotencyStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal

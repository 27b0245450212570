#include <fmt/format.h>

#include "server/store_postgres/internal/ports.hpp"

// ChallengeStore on PostgreSQL: the table challenges (schema_sessions.cpp), one row per
// challenge, keyed by its random id; data is bytea. Expired rows are never read and are removed
// by DeleteExpired. The SQL is store_sqlite/internal/challenge_port.cpp's.
namespace groundcrew::store::postgres::internal {
namespace {

#define GC_CHALLENGE_COLUMNS "id, purpose, subject, device_id, data, attempts, expires_at"

constexpr const char* kInsertChallenge =
    "INSERT INTO challenges (" GC_CHALLENGE_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)";
// Expired (expires_at <= now) challenges are never read.
constexpr const char* kSelectChallenge =
    "SELECT " GC_CHALLENGE_COLUMNS " FROM challenges WHERE id = $1 AND expires_at > $2";
constexpr const char* kSetChallengeAttempts = "UPDATE challenges SET attempts = $2 WHERE id = $1";
constexpr const char* kDeleteChallenge = "DELETE FROM challenges WHERE id = $1";
constexpr const char* kDeleteExpiredChallenges = "DELETE FROM challenges WHERE expires_at <= $1";

#undef GC_CHALLENGE_COLUMNS

Challenge ReadChallenge(const Statement& row) {
  Challenge c;
  c.id = row.Text(0);
  c.purpose = row.Text(1);
  c.subject = row.Text(2);
  c.device_id = row.Text(3);
  c.data = row.Blob(4);
  c.attempts = static_cast<int>(row.Int(5));
  c.expires_date_time = TimeAt(row, 6);
  return c;
}

class PostgresChallengeStore final : public ChallengeStore {
 public:
  explicit PostgresChallengeStore(ConnectionPool& pool) : pool_(pool) {}

  Status Create(const Challenge& challenge) override {
    if (challenge.id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "a challenge needs an id", "id");
    }
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> insert = db.Prepare(kInsertChallenge);
    if (!insert) return insert.error();
    insert->Bind(1, challenge.id);
    insert->Bind(2, challenge.purpose);
    insert->Bind(3, challenge.subject);
    insert->Bind(4, challenge.device_id);
    insert->BindBlob(5, challenge.data);
    insert->Bind(6, static_cast<int64_t>(challenge.attempts));
    insert->Bind(7, Seconds(challenge.expires_date_time));
    if (Status s = insert->Run(); !s) {
      // The id is random: never echo it (it is what answers the challenge).
      if (s.error().code == ErrorCode::kAlreadyExists) {
        return MakeError(ErrorCode::kAlreadyExists, "a challenge with this id already exists",
                         "id");
      }
      return s;
    }
    return transaction->Commit();
  }

  Result<std::optional<Challenge>> Find(std::string_view id, core::Timestamp now) override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(kSelectChallenge);
    if (!select) return select.error();
    select->Bind(1, id);
    select->Bind(2, Seconds(now));
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<Challenge>();
    return std::optional<Challenge>(ReadChallenge(*select));
  }

  Status SetAttempts(std::string_view id, int attempts) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> update = db.Prepare(kSetChallengeAttempts);
    if (!update) return update.error();
    update->Bind(1, id);
    update->Bind(2, static_cast<int64_t>(attempts));
    if (Status s = update->Run(); !s) return s;
    if (db.changes() == 0) {
      return MakeError(ErrorCode::kNotFound,
                       "the challenge is gone (taken, or purged once expired)", "id");
    }
    return transaction->Commit();
  }

  Result<bool> Delete(std::string_view id) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> remove = db.Prepare(kDeleteChallenge);
    if (!remove) return remove.error();
    remove->Bind(1, id);
    if (Status s = remove->Run(); !s) return s.error();
    const bool removed = db.changes() > 0;
    if (Status s = transaction->Commit(); !s) return s.error();
    return removed;
  }

  Result<int64_t> DeleteExpired(core::Timestamp now) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> remove = db.Prepare(kDeleteExpiredChallenges);
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

std::unique_ptr<ChallengeStore> MakeChallengeStore(ConnectionPool& pool) {
  return std::make_unique<PostgresChallengeStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal

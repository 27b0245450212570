#include <fmt/format.h>

#include "server/store_postgres/internal/ports.hpp"

// UserCredentialStore on PostgreSQL: one row of user_credentials (schema_identity.cpp) per user,
// the TOTP secret as bytea and the recent failures as comma-separated Unix seconds. Each write
// names the version it read (optimistic concurrency): a changed row is kAborted.
namespace groundcrew::store::postgres::internal {
namespace {

#define GC_USER_CREDENTIAL_COLUMNS                                                       \
  "user_id, password_hash, totp_secret, totp_last_step, recent_failures, locked_until, " \
  "updated_at, version"

constexpr const char* kSelectUserCredential =
    "SELECT " GC_USER_CREDENTIAL_COLUMNS " FROM user_credentials WHERE user_id = $1";
// A user who already has a row inserts nothing (changes() == 0).
constexpr const char* kInsertUserCredential =
    "INSERT INTO user_credentials (" GC_USER_CREDENTIAL_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, 1) ON CONFLICT DO NOTHING";
constexpr const char* kUpdateUserCredential =
    "UPDATE user_credentials SET password_hash = $2, totp_secret = $3, totp_last_step = $4, "
    "recent_failures = $5, locked_until = $6, updated_at = $7, version = version + 1 "
    "WHERE user_id = $1 AND version = $8";
constexpr const char* kUserCredentialVersion =
    "SELECT version FROM user_credentials WHERE user_id = $1";
constexpr const char* kDeleteUserCredential = "DELETE FROM user_credentials WHERE user_id = $1";

#undef GC_USER_CREDENTIAL_COLUMNS

void BindCredential(Statement& s, const UserCredential& c) {
  s.Bind(1, c.user_id);
  s.Bind(2, c.password_hash);
  s.BindBlob(3, c.totp_secret);
  s.Bind(4, c.totp_last_step);
  s.Bind(5, JoinTimes(c.recent_failures));
  s.Bind(6, Seconds(c.locked_until));
  s.Bind(7, Seconds(c.updated_date_time));
}

Result<UserCredentialRecord> ReadCredential(const Statement& row) {
  UserCredentialRecord record;
  UserCredential& c = record.value;
  c.user_id = row.Text(0);
  c.password_hash = row.Text(1);
  c.totp_secret = row.Blob(2);
  c.totp_last_step = row.Int(3);
  Result<std::vector<core::Timestamp>> failures = SplitTimes(row.Text(4));
  if (!failures) return failures.error();
  c.recent_failures = std::move(*failures);
  c.locked_until = OptionalTimeAt(row, 5);
  c.updated_date_time = TimeAt(row, 6);
  record.version = row.Int(7);
  return record;
}

class PostgresUserCredentialStore final : public UserCredentialStore {
 public:
  explicit PostgresUserCredentialStore(ConnectionPool& pool) : pool_(pool) {}

  Result<std::optional<UserCredentialRecord>> Find(std::string_view user_id) override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(kSelectUserCredential);
    if (!select) return select.error();
    select->Bind(1, user_id);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<UserCredentialRecord>();
    Result<UserCredentialRecord> record = ReadCredential(*select);
    if (!record) return record.error();
    return std::optional<UserCredentialRecord>(std::move(*record));
  }

  Result<UserCredentialRecord> Put(const UserCredential& credential,
                                   std::optional<int64_t> expected_version) override {
    if (credential.user_id.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "a user credential needs a user id", "userId");
    }
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> write =
        db.Prepare(expected_version ? kUpdateUserCredential : kInsertUserCredential);
    if (!write) return write.error();
    BindCredential(*write, credential);
    if (expected_version) write->Bind(8, *expected_version);
    if (Status s = write->Run(); !s) return s.error();
    if (db.changes() == 0) {
      if (!expected_version) {
        return MakeError(ErrorCode::kAlreadyExists,
                         fmt::format("user {} already has a credential", credential.user_id),
                         "userId");
      }
      return ConflictOrMissing(db, credential.user_id, *expected_version);
    }
    if (Status s = transaction->Commit(); !s) return s.error();
    return UserCredentialRecord{credential, expected_version ? *expected_version + 1 : 1};
  }

  Status Delete(std::string_view user_id) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Statement> remove = db.Prepare(kDeleteUserCredential);
    if (!remove) return remove.error();
    remove->Bind(1, user_id);
    return remove->Run();
  }

 private:
  // After an update changed nothing. REQUIRES: `db` is this call's connection.
  Error ConflictOrMissing(Connection& db, const std::string& user_id, int64_t expected_version) {
    Result<Statement> version = db.Prepare(kUserCredentialVersion);
    if (!version) return version.error();
    version->Bind(1, user_id);
    Result<bool> row = version->Step();
    if (!row) return row.error();
    if (!*row) {
      return MakeError(ErrorCode::kNotFound, fmt::format("user {} has no credential", user_id),
                       "userId");
    }
    return MakeError(ErrorCode::kAborted,
                     fmt::format("the credential of user {} changed (version {}, not {}); read "
                                 "it again and retry",
                                 user_id, version->Int(0), expected_version),
                     "version");
  }

  ConnectionPool& pool_;
};

}  // namespace

std::unique_ptr<UserCredentialStore> MakeUserCredentialStore(ConnectionPool& pool) {
  return std::make_unique<PostgresUserCredentialStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal

#include <fmt/format.h>

#include "server/store_postgres/internal/ports.hpp"

// AdminAccountStore and ConsoleSessionStore on PostgreSQL: named console admins in
// admin_accounts (schema_identity.cpp; names compare exactly, the TOTP secret is bytea, recent
// failures comma-separated Unix seconds) and their sign-in sessions in console_sessions, by the
// SHA-256 of the session's token, going with their admin (ON DELETE CASCADE). An account write
// names the version it read (optimistic concurrency): a changed row is kAborted.
namespace groundcrew::store::postgres::internal {
namespace {

#define GC_ADMIN_ACCOUNT_COLUMNS                                                            \
  "name, role, password_hash, totp_secret, totp_last_step, recent_failures, locked_until, " \
  "created_at, last_sign_in_at, version"

// A taken name inserts nothing (changes() == 0).
constexpr const char* kInsertAccount =
    "INSERT INTO admin_accounts (" GC_ADMIN_ACCOUNT_COLUMNS
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) ON CONFLICT DO NOTHING";
constexpr const char* kSelectAccount =
    "SELECT " GC_ADMIN_ACCOUNT_COLUMNS " FROM admin_accounts WHERE name = $1";
constexpr const char* kListAccounts =
    "SELECT " GC_ADMIN_ACCOUNT_COLUMNS " FROM admin_accounts ORDER BY name";
constexpr const char* kUpdateAccount =
    "UPDATE admin_accounts SET role = $2, password_hash = $3, totp_secret = $4, "
    "totp_last_step = $5, recent_failures = $6, locked_until = $7, created_at = $8, "
    "last_sign_in_at = $9, version = version + 1 WHERE name = $1 AND version = $10";
constexpr const char* kAccountVersion = "SELECT version FROM admin_accounts WHERE name = $1";
// Its sessions go with it (ON DELETE CASCADE).
constexpr const char* kDeleteAccount = "DELETE FROM admin_accounts WHERE name = $1";

#undef GC_ADMIN_ACCOUNT_COLUMNS

#define GC_CONSOLE_SESSION_COLUMNS \
  "token_sha256, admin_name, csrf_token, created_at, idle_expires_at, expires_at"

// A taken hash inserts nothing (changes() == 0).
constexpr const char* kInsertSession = "INSERT INTO console_sessions (" GC_CONSOLE_SESSION_COLUMNS
                                       ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
constexpr const char* kSelectSession =
    "SELECT " GC_CONSOLE_SESSION_COLUMNS " FROM console_sessions WHERE token_sha256 = $1";
constexpr const char* kSetIdleExpiry =
    "UPDATE console_sessions SET idle_expires_at = $2 WHERE token_sha256 = $1";
constexpr const char* kDeleteSession = "DELETE FROM console_sessions WHERE token_sha256 = $1";
constexpr const char* kDeleteAdminSessions = "DELETE FROM console_sessions WHERE admin_name = $1";
constexpr const char* kPurgeSessions =
    "DELETE FROM console_sessions WHERE idle_expires_at <= $1 OR expires_at <= $1";

#undef GC_CONSOLE_SESSION_COLUMNS

Error NoAccount(std::string_view name) {
  return MakeError(ErrorCode::kNotFound, fmt::format("no admin is named \"{}\"", name), "name");
}

void BindAccount(Statement& s, const AdminAccount& a) {
  s.Bind(1, a.name);
  s.Bind(2, ToString(a.role));
  s.Bind(3, a.password_hash);
  s.BindBlob(4, a.totp_secret);
  s.Bind(5, a.totp_last_step);
  s.Bind(6, JoinTimes(a.recent_failures));
  s.Bind(7, Seconds(a.locked_until));
  s.Bind(8, Seconds(a.created_date_time));
  s.Bind(9, Seconds(a.last_sign_in_date_time));
}

Result<AdminAccountRecord> ReadAccount(const Statement& row) {
  AdminAccountRecord record;
  AdminAccount& a = record.value;
  a.name = row.Text(0);
  const std::string role = row.Text(1);
  std::optional<CredentialRole> parsed = ParseCredentialRole(role);
  if (!parsed) {
    return MakeError(ErrorCode::kInternal,
                     fmt::format("admin \"{}\" has an unknown role '{}'", a.name, role));
  }
  a.role = *parsed;
  a.password_hash = row.Text(2);
  a.totp_secret = row.Blob(3);
  a.totp_last_step = row.Int(4);
  Result<std::vector<core::Timestamp>> failures = SplitTimes(row.Text(5));
  if (!failures) return failures.error();
  a.recent_failures = std::move(*failures);
  a.locked_until = OptionalTimeAt(row, 6);
  a.created_date_time = TimeAt(row, 7);
  a.last_sign_in_date_time = OptionalTimeAt(row, 8);
  record.version = row.Int(9);
  return record;
}

class PostgresAdminAccountStore final : public AdminAccountStore {
 public:
  explicit PostgresAdminAccountStore(ConnectionPool& pool) : pool_(pool) {}

  Result<AdminAccountRecord> Create(const AdminAccount& account) override {
    if (account.name.empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "an admin needs a name", "name");
    }
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Statement> insert = db.Prepare(kInsertAccount);
    if (!insert) return insert.error();
    BindAccount(*insert, account);
    if (Status s = insert->Run(); !s) return s.error();
    if (db.changes() == 0) {
      return MakeError(ErrorCode::kAlreadyExists,
                       fmt::format("an admin named \"{}\" already exists", account.name), "name");
    }
    return AdminAccountRecord{account, 1};
  }

  Result<std::optional<AdminAccountRecord>> Find(std::string_view name) override {
    ConnectionPool::ReadLease lease(pool_);
    Result<Statement> select = lease.connection().Prepare(kSelectAccount);
    if (!select) return select.error();
    select->Bind(1, name);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<AdminAccountRecord>();
    Result<AdminAccountRecord> record = ReadAccount(*select);
    if (!record) return record.error();
    return std::optional<AdminAccountRecord>(std::move(*record));
  }

  Result<std::vector<AdminAccount>> List() override {
    ConnectionPool::ReadLease lease(pool_);
    Result<Statement> list = lease.connection().Prepare(kListAccounts);
    if (!list) return list.error();
    std::vector<AdminAccount> accounts;
    for (;;) {
      Result<bool> row = list->Step();
      if (!row) return row.error();
      if (!*row) return accounts;
      Result<AdminAccountRecord> record = ReadAccount(*list);
      if (!record) return record.error();
      accounts.push_back(std::move(record->value));
    }
  }

  Result<AdminAccountRecord> Update(const AdminAccount& account,
                                    int64_t expected_version) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> update = db.Prepare(kUpdateAccount);
    if (!update) return update.error();
    BindAccount(*update, account);
    update->Bind(10, expected_version);
    if (Status s = update->Run(); !s) return s.error();
    if (db.changes() == 0) {
      Result<Statement> version = db.Prepare(kAccountVersion);
      if (!version) return version.error();
      version->Bind(1, account.name);
      Result<bool> row = version->Step();
      if (!row) return row.error();
      if (!*row) return NoAccount(account.name);
      return MakeError(ErrorCode::kAborted,
                       fmt::format("admin \"{}\" changed (version {}, not {}); read it again and "
                                   "retry",
                                   account.name, version->Int(0), expected_version),
                       "version");
    }
    if (Status s = transaction->Commit(); !s) return s.error();
    return AdminAccountRecord{account, expected_version + 1};
  }

  Status Delete(std::string_view name) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Statement> remove = db.Prepare(kDeleteAccount);
    if (!remove) return remove.error();
    remove->Bind(1, name);
    if (Status s = remove->Run(); !s) return s;
    if (db.changes() == 0) return NoAccount(name);
    return Ok{};
  }

 private:
  ConnectionPool& pool_;
};

ConsoleSession ReadSession(const Statement& row) {
  ConsoleSession session;
  session.token_sha256 = row.Text(0);
  session.admin_name = row.Text(1);
  session.csrf_token = row.Text(2);
  session.created_date_time = TimeAt(row, 3);
  session.idle_expires_date_time = TimeAt(row, 4);
  session.expires_date_time = TimeAt(row, 5);
  return session;
}

class PostgresConsoleSessionStore final : public ConsoleSessionStore {
 public:
  explicit PostgresConsoleSessionStore(ConnectionPool& pool) : pool_(pool) {}

  Status Create(const ConsoleSession& session) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    // Checked first so that a missing admin is kNotFound rather than a foreign-key failure.
    Result<Statement> admin = db.Prepare(kAccountVersion);
    if (!admin) return admin.error();
    admin->Bind(1, session.admin_name);
    Result<bool> found = admin->Step();
    if (!found) return found.error();
    if (!*found) {
      return MakeError(ErrorCode::kNotFound,
                       fmt::format("no admin is named \"{}\"", session.admin_name), "adminName");
    }
    Result<Statement> insert = db.Prepare(kInsertSession);
    if (!insert) return insert.error();
    insert->Bind(1, session.token_sha256);
    insert->Bind(2, session.admin_name);
    insert->Bind(3, session.csrf_token);
    insert->Bind(4, Seconds(session.created_date_time));
    insert->Bind(5, Seconds(session.idle_expires_date_time));
    insert->Bind(6, Seconds(session.expires_date_time));
    if (Status s = insert->Run(); !s) return s;
    if (db.changes() == 0) {
      // Never echo the hash: it identifies a secret.
      return MakeError(ErrorCode::kAlreadyExists, "another console session has the same token",
                       "tokenSha256");
    }
    return transaction->Commit();
  }

  Result<std::optional<ConsoleSession>> FindByTokenSha256(std::string_view hash) override {
    ConnectionPool::ReadLease lease(pool_);
    Result<Statement> select = lease.connection().Prepare(kSelectSession);
    if (!select) return select.error();
    select->Bind(1, hash);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<ConsoleSession>();
    return std::optional<ConsoleSession>(ReadSession(*select));
  }

  Status SetIdleExpiry(std::string_view hash, core::Timestamp idle_expires) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Statement> update = db.Prepare(kSetIdleExpiry);
    if (!update) return update.error();
    update->Bind(1, hash);
    update->Bind(2, Seconds(idle_expires));
    if (Status s = update->Run(); !s) return s;
    if (db.changes() == 0) {
      return MakeError(ErrorCode::kNotFound, "the console session has ended", "tokenSha256");
    }
    return Ok{};
  }

  Status Delete(std::string_view hash) override {
    Result<int64_t> removed = Remove(kDeleteSession, [&](Statement& s) { s.Bind(1, hash); });
    if (!removed) return removed.error();
    return Ok{};
  }

  Result<int64_t> DeleteForAdmin(std::string_view admin_name) override {
    return Remove(kDeleteAdminSessions, [&](Statement& s) { s.Bind(1, admin_name); });
  }

  Result<int64_t> PurgeExpired(core::Timestamp now) override {
    return Remove(kPurgeSessions, [&](Statement& s) { s.Bind(1, Seconds(now)); });
  }

 private:
  // Runs the DELETE `sql` with `bind`'s parameters; returns the rows it removed.
  template <class Bind>
  Result<int64_t> Remove(const char* sql, Bind&& bind) {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Statement> remove = db.Prepare(sql);
    if (!remove) return remove.error();
    bind(*remove);
    if (Status s = remove->Run(); !s) return s.error();
    return static_cast<int64_t>(db.changes());
  }

  ConnectionPool& pool_;
};

}  // namespace

std::unique_ptr<AdminAccountStore> MakeAdminAccountStore(ConnectionPool& pool) {
  return std::make_unique<PostgresAdminAccountStore>(pool);
}

std::unique_ptr<ConsoleSessionStore> MakeConsoleSessionStore(ConnectionPool& pool) {
  return std::make_unique<PostgresConsoleSessionStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal

#include "server/store_sqlite/internal/connection.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

namespace groundcrew::store::sqlite::internal {
namespace {

Error FromSqlite(sqlite3* db, int rc, std::string_view what) {
  const std::string message =
      fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xFF) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return MakeError(ErrorCode::kAlreadyExists, message);
      }
      return MakeError(ErrorCode::kFailedPrecondition, message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
      return MakeError(ErrorCode::kUnavailable, message);
    default:
      return MakeError(ErrorCode::kInternal, message);
  }
}

}  // namespace

Result<Connection> Connection::Open(const std::string& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  Connection connection(db);  // closes `db` on every path below
  if (rc != SQLITE_OK) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot open the database: {}", sqlite3_errstr(rc)), path);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // WAL: readers do not block the writer. NORMAL sync is durable across process crashes in WAL
  // mode (a power loss may lose the last commits, never corrupt the file).
  if (Status s = connection.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                    "PRAGMA foreign_keys=ON;");
      !s) {
    Error error = s.error();
    error.field = path;
    return error;
  }
  return connection;
}

Connection::Connection(sqlite3* db) : db_(db), cache_(std::make_unique<StatementCache>()) {}

Connection::Connection(Connection&& other) noexcept
    : db_(other.db_),
      transaction_depth_(other.transaction_depth_),
      cache_(std::move(other.cache_)) {
  other.db_ = nullptr;
  other.transaction_depth_ = 0;
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    Close();
    db_ = other.db_;
    transaction_depth_ = other.transaction_depth_;
    cache_ = std::move(other.cache_);
    other.db_ = nullptr;
    other.transaction_depth_ = 0;
  }
  return *this;
}

Connection::~Connection() { Close(); }

void Connection::Close() {
  if (cache_) {
    for (auto& [sql, cached] : *cache_) sqlite3_finalize(cached.stmt);
    cache_->clear();
  }
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
}

Status Connection::Execute(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string why = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    Error error = FromSqlite(nullptr, rc, "statement failed");
    error.message = fmt::format("statement failed: {}", why);
    return error;
  }
  return Ok{};
}

Result<Statement> Connection::Prepare(std::string_view sql) {
  CachedStatement& cached = (*cache_)[std::string(sql)];
  if (cached.stmt != nullptr && !cached.in_use) {
    cached.in_use = true;
    return Statement(db_, cached.stmt, &cached.in_use);
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return FromSqlite(db_, rc, "cannot prepare a statement");
  if (cached.stmt != nullptr) return Statement(db_, stmt, nullptr);  // in use: an extra one
  cached.stmt = stmt;
  cached.in_use = true;
  return Statement(db_, stmt, &cached.in_use);
}

int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Connection::changes() const { return sqlite3_changes(db_); }
bool Connection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), in_use_(other.in_use_) {
  other.stmt_ = nullptr;
  other.in_use_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    db_ = other.db_;
    stmt_ = other.stmt_;
    in_use_ = other.in_use_;
    other.stmt_ = nullptr;
    other.in_use_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { Release(); }

// A cached statement goes back to its connection's cache, rewound (so that it holds no read
// lock) and without bindings; an uncached one is finalized.
void Statement::Release() {
  if (stmt_ == nullptr) return;
  if (in_use_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *in_use_ = false;
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
  in_use_ = nullptr;
}

void Statement::Bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void Statement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

void Statement::BindNull(int index) { sqlite3_bind_null(stmt_, index); }

void Statement::Bind(int index, const std::optional<int64_t>& value) {
  if (value) {
    Bind(index, *value);
  } else {
    BindNull(index);
  }
}

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return FromSqlite(db_, sqlite3_extended_errcode(db_), "statement failed");
}

Status Statement::Run() {
  Result<bool> row = Step();
  if (!row) return row.error();
  return Ok{};
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::Text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return text == nullptr ? std::string() : std::string(text, sqlite3_column_bytes(stmt_, column));
}

std::string Statement::Blob(int column) const {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  return bytes == nullptr ? std::string() : std::string(bytes, sqlite3_column_bytes(stmt_, column));
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

namespace {

// The savepoint of a nested Transaction at `level` (>= 2).
std::string SavepointName(int level) { return fmt::format("gc_savepoint_{}", level); }

}  // namespace

Result<Transaction> Transaction::Begin(Connection& connection, Mode mode) {
  const int level = connection.transaction_depth_ + 1;
  if (level == 1) {
    if (Status s = connection.Execute(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"); !s) {
      return s.error();
    }
  } else {
    if (!connection.in_transaction()) {
      return MakeError(ErrorCode::kAborted,
                       "the enclosing transaction was rolled back by the database after an "
                       "earlier error; start the operation again");
    }
    if (Status s = connection.Execute(fmt::format("SAVEPOINT {}", SavepointName(level))); !s) {
      return s.error();
    }
  }
  connection.transaction_depth_ = level;
  return Transaction(&connection, level);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(other.connection_), level_(other.level_) {
  other.connection_ = nullptr;
}

Transaction::~Transaction() {
  if (connection_ == nullptr) return;
  if (level_ == 1) {
    // SQLite may have rolled back already (after an I/O error); ROLLBACK would then fail.
    if (connection_->in_transaction()) (void)connection_->Execute("ROLLBACK");
  } else if (connection_->in_transaction()) {
    // ROLLBACK TO undoes the savepoint's changes but keeps it open; RELEASE ends it.
    const std::string name = SavepointName(level_);
    (void)connection_->Execute(fmt::format("ROLLBACK TO {0}; RELEASE {0}", name));
  }
  connection_->transaction_depth_ = level_ - 1;
}

Status Transaction::Commit() {
  if (connection_ == nullptr) {
    return MakeError(ErrorCode::kInternal, "the transaction is already finished");
  }
  if (!connection_->in_transaction()) {
    return MakeError(ErrorCode::kAborted,
                     "the transaction was rolled back by the database after an earlier error; "
                     "start the operation again");
  }
  const std::string sql =
      level_ == 1 ? std::string("COMMIT") : fmt::format("RELEASE {}", SavepointName(level_));
  if (Status s = connection_->Execute(sql); !s) return s;
  connection_->transaction_depth_ = level_ - 1;
  connection_ = nullptr;
  return Ok{};
}

Status Migrate(Connection& connection, std::span<const Migration> migrations) {
  int64_t current = 0;
  {
    // Finished before any migration runs: a pending statement would make DROP fail ("table
    // is locked").
    Result<Statement> version = connection.Prepare("PRAGMA user_version");
    if (!version) return version.error();
    Result<bool> row = version->Step();
    if (!row) return row.error();
    current = version->Int(0);
  }
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (current > newest) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("the database is at schema version {}, newer than this "
                                 "groundcrew's {}; use a newer groundcrew",
                                 current, newest));
  }
  for (size_t i = 0; i < migrations.size(); ++i) {
    const Migration& migration = migrations[i];
    if (migration.version != static_cast<int>(i) + 1) {
      return MakeError(ErrorCode::kInternal,
                       fmt::format("migration {} is numbered {}", i + 1, migration.version));
    }
    if (migration.version <= current) continue;
    Result<Transaction> transaction = Transaction::Begin(connection);
    if (!transaction) return transaction.error();
    if (Status s = connection.Execute(migration.sql); !s) {
      Error error = s.error();
      error.message = fmt::format("migration {}: {}", migration.version, error.message);
      return error;
    }
    if (Status s = connection.Execute(fmt::format("PRAGMA user_version = {}", migration.version));
        !s) {
      return s;
    }
    if (Status s = transaction->Commit(); !s) return s;
  }
  return Ok{};
}

}  // namespace groundcrew::store::sqlite::internal

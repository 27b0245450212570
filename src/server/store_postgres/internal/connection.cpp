#include "server/store_postgres/internal/connection.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <cctype>
#include <charconv>
#include <cstring>

namespace groundcrew::store::postgres::internal {
namespace {

// SQLSTATE classes and codes (PostgreSQL's Appendix A).
bool IsConnectionLoss(std::string_view state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03";
}
bool IsRetryable(std::string_view state) { return state == "40001" || state == "40P01"; }

ErrorCode CodeOf(std::string_view state) {
  if (state == "23505") return ErrorCode::kAlreadyExists;
  if (state.starts_with("23")) return ErrorCode::kFailedPrecondition;
  if (IsRetryable(state) || IsConnectionLoss(state)) return ErrorCode::kUnavailable;
  return ErrorCode::kInternal;
}

std::string Trimmed(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// A schema name used unquoted-safe: lower-case letters, digits and '_', not starting with a
// digit, at most 63 bytes (PostgreSQL's identifier limit).
bool ValidSchema(std::string_view schema) {
  if (schema.empty() || schema.size() > 63) return false;
  if (std::isdigit(static_cast<unsigned char>(schema.front()))) return false;
  for (char c : schema) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return false;
    }
  }
  return true;
}

// FNV-1a of the schema name: the advisory lock key of its writers.
int64_t LockKey(std::string_view schema) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : schema) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return static_cast<int64_t>(hash);
}

void IgnoreNotice(void*, const char*) {}

bool Succeeded(const PGresult* result) {
  const ExecStatusType status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY;
}

}  // namespace

// --- Connection -------------------------------------------------------------------------------

Result<Connection> Connection::Open(const std::string& conninfo, const std::string& schema,
                                    bool read_only) {
  if (!ValidSchema(schema)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("the schema name '{}' must be 1 to 63 lower-case letters, digits "
                                 "or '_', not starting with a digit",
                                 schema),
                     "schema");
  }
  // Defaults first: the connection string's own values, expanded from "dbname", override them.
  const char* keywords[] = {"connect_timeout", "application_name", "keepalives_idle", "dbname",
                            nullptr};
  const char* values[] = {"5", "groundcrewd", "30", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return MakeError(ErrorCode::kUnavailable, "out of memory connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot connect to PostgreSQL: {}", message), "database");
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  Connection connection(conn, schema, read_only);
  if (Status s = connection.Configure(); !s) return s.error();
  return connection;
}

Connection::Connection(pg_conn* conn, std::string schema, bool read_only)
    : conn_(conn),
      schema_(std::move(schema)),
      read_only_(read_only),
      write_lock_key_(LockKey(schema_)),
      prepared_(std::make_unique<std::unordered_map<std::string, std::string>>()) {}

Connection::Connection(Connection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      schema_(std::move(other.schema_)),
      read_only_(other.read_only_),
      write_lock_key_(other.write_lock_key_),
      transaction_depth_(other.transaction_depth_),
      changes_(other.changes_),
      retryable_failure_(other.retryable_failure_),
      before_commit_(std::move(other.before_commit_)),
      prepared_(std::move(other.prepared_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    Close();
    conn_ = std::exchange(other.conn_, nullptr);
    schema_ = std::move(other.schema_);
    read_only_ = other.read_only_;
    write_lock_key_ = other.write_lock_key_;
    transaction_depth_ = other.transaction_depth_;
    changes_ = other.changes_;
    retryable_failure_ = other.retryable_failure_;
    before_commit_ = std::move(other.before_commit_);
    prepared_ = std::move(other.prepared_);
  }
  return *this;
}

Connection::~Connection() { Close(); }

void Connection::Close() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

Status Connection::Configure() {
  // Two instances starting at once may both create the schema: the loser's unique violation on
  // the catalog means it exists now.
  Status created = ExecuteOnce(fmt::format("CREATE SCHEMA IF NOT EXISTS \"{}\"", schema_));
  if (!created && created.error().code != ErrorCode::kAlreadyExists) return created;
  return ExecuteOnce(fmt::format(
      "SET search_path TO \"{}\"; SET TIME ZONE 'UTC'; SET default_transaction_read_only = {}",
      schema_, read_only_ ? "on" : "off"));
}

bool Connection::broken() const { return conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD; }

bool Connection::in_transaction() const {
  if (conn_ == nullptr) return false;
  const PGTransactionStatusType status = PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

Status Connection::Reconnect() {
  if (conn_ == nullptr) return MakeError(ErrorCode::kUnavailable, "the connection is closed");
  PQreset(conn_);
  prepared_->clear();
  if (PQstatus(conn_) != CONNECTION_OK) {
    return MakeError(
        ErrorCode::kUnavailable,
        fmt::format("cannot reconnect to PostgreSQL: {}", Trimmed(PQerrorMessage(conn_))),
        "database");
  }
  return Configure();
}

bool Connection::ReconnectedForRetry() {
  if (transaction_depth_ != 0 || !broken()) return false;
  return Reconnect().has_value();
}

Error Connection::Failure(pg_result* result) {
  const char* state_field =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string state = state_field != nullptr ? state_field : "";
  std::string message = Trimmed(result != nullptr ? PQresultErrorMessage(result) : "");
  if (message.empty()) message = Trimmed(PQerrorMessage(conn_));
  if (result != nullptr) PQclear(result);
  const bool lost = broken() || IsConnectionLoss(state);
  if (IsRetryable(state)) retryable_failure_ = true;
  if (lost) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("the connection to PostgreSQL was lost: {}", message), "database");
  }
  return MakeError(CodeOf(state), fmt::format("PostgreSQL: {}", message));
}

Status Connection::ExecuteOnce(std::string_view sql) {
  const std::string text(sql);
  PGresult* result = PQexec(conn_, text.c_str());
  if (result == nullptr || !Succeeded(result)) return Failure(result);
  PQclear(result);
  return Ok{};
}

Status Connection::Execute(std::string_view sql) {
  Status status = ExecuteOnce(sql);
  if (!status && ReconnectedForRetry()) status = ExecuteOnce(sql);
  return status;
}

Result<std::string> Connection::PreparedName(const std::string& sql) {
  if (auto it = prepared_->find(sql); it != prepared_->end()) return it->second;
  std::string name = "s" + std::to_string(prepared_->size() + 1);
  PGresult* result = PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr);
  if (result == nullptr || !Succeeded(result)) return Failure(result);
  PQclear(result);
  prepared_->emplace(sql, name);
  return name;
}

Result<Statement> Connection::Prepare(std::string_view sql) {
  const std::string text(sql);
  Result<std::string> name = PreparedName(text);
  if (!name && ReconnectedForRetry()) name = PreparedName(text);
  if (!name) return name.error();
  return Statement(this, text, std::move(*name));
}

// --- Statement --------------------------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)),
      sql_(std::move(other.sql_)),
      name_(std::move(other.name_)),
      values_(std::move(other.values_)),
      formats_(std::move(other.formats_)),
      result_(std::exchange(other.result_, nullptr)),
      row_(other.row_),
      ran_(other.ran_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Clear();
    connection_ = std::exchange(other.connection_, nullptr);
    sql_ = std::move(other.sql_);
    name_ = std::move(other.name_);
    values_ = std::move(other.values_);
    formats_ = std::move(other.formats_);
    result_ = std::exchange(other.result_, nullptr);
    row_ = other.row_;
    ran_ = other.ran_;
  }
  return *this;
}

Statement::~Statement() { Clear(); }

void Statement::Clear() {
  if (result_ != nullptr) PQclear(result_);
  result_ = nullptr;
  row_ = -1;
  ran_ = false;
}

namespace {
void Put(std::vector<std::optional<std::string>>& values, std::vector<int>& formats, int index,
         std::optional<std::string> value, int format) {
  const size_t at = static_cast<size_t>(index - 1);
  if (values.size() <= at) {
    values.resize(at + 1);
    formats.resize(at + 1, 0);
  }
  values[at] = std::move(value);
  formats[at] = format;
}
}  // namespace

void Statement::Bind(int index, int64_t value) {
  Put(values_, formats_, index, std::to_string(value), 0);
}
void Statement::Bind(int index, std::string_view text) {
  Put(values_, formats_, index, std::string(text), 0);
}
void Statement::BindBlob(int index, std::string_view bytes) {
  Put(values_, formats_, index, std::string(bytes), 1);
}
void Statement::BindNull(int index) { Put(values_, formats_, index, std::nullopt, 0); }
void Statement::Bind(int index, const std::optional<int64_t>& value) {
  if (value) {
    Bind(index, *value);
  } else {
    BindNull(index);
  }
}

Status Statement::Execute() {
  const auto run = [this]() -> PGresult* {
    std::vector<const char*> values(values_.size());
    std::vector<int> lengths(values_.size());
    for (size_t i = 0; i < values_.size(); ++i) {
      values[i] = values_[i] ? values_[i]->data() : nullptr;
      lengths[i] = values_[i] ? static_cast<int>(values_[i]->size()) : 0;
    }
    return PQexecPrepared(connection_->conn_, name_.c_str(), static_cast<int>(values.size()),
                          values.data(), lengths.data(), formats_.data(), /*resultFormat=*/0);
  };
  PGresult* result = run();
  if (result == nullptr || !Succeeded(result)) {
    Error error = connection_->Failure(result);
    // A statement outside any transaction that found the session lost runs again on a new one.
    if (!connection_->ReconnectedForRetry()) return error;
    Result<std::string> name = connection_->PreparedName(sql_);
    if (!name) return name.error();
    name_ = std::move(*name);
    result = run();
    if (result == nullptr || !Succeeded(result)) return connection_->Failure(result);
  }
  result_ = result;
  ran_ = true;
  row_ = -1;
  const char* tuples = PQcmdTuples(result_);
  int changed = 0;
  std::from_chars(tuples, tuples + std::strlen(tuples), changed);
  connection_->changes_ = changed;
  return Ok{};
}

Result<bool> Statement::Step() {
  if (!ran_) {
    if (Status s = Execute(); !s) return s.error();
  }
  ++row_;
  return row_ < PQntuples(result_);
}

Status Statement::Run() {
  if (ran_) return Ok{};
  return Execute();
}

void Statement::Reset() {
  Clear();
  values_.clear();
  formats_.clear();
}

int64_t Statement::Int(int column) const {
  const char* text = PQgetvalue(result_, row_, column);
  if (text[0] == 't' && text[1] == '\0') return 1;
  if (text[0] == 'f' && text[1] == '\0') return 0;
  int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

std::string Statement::Text(int column) const {
  return std::string(PQgetvalue(result_, row_, column),
                     static_cast<size_t>(PQgetlength(result_, row_, column)));
}

std::string Statement::Blob(int column) const {
  size_t length = 0;
  unsigned char* bytes = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row_, column)), &length);
  if (bytes == nullptr) return {};
  std::string blob(reinterpret_cast<const char*>(bytes), length);
  PQfreemem(bytes);
  return blob;
}

bool Statement::IsNull(int column) const { return PQgetisnull(result_, row_, column) != 0; }

// --- Transaction ------------------------------------------------------------------------------

Result<Transaction> Transaction::Begin(Connection& connection, Mode mode) {
  const int level = connection.transaction_depth_ + 1;
  const bool write = mode == Mode::kWrite;
  if (level == 1) {
    connection.retryable_failure_ = false;
    const std::string begin =
        write ? fmt::format("BEGIN; SELECT pg_advisory_xact_lock({})", connection.write_lock_key_)
              : std::string("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    // Execute reconnects and runs it again when the session was lost while idle.
    if (Status s = connection.Execute(begin); !s) {
      if (connection.in_transaction()) (void)connection.ExecuteOnce("ROLLBACK");
      return s.error();
    }
  } else {
    if (Status s = connection.ExecuteOnce(fmt::format("SAVEPOINT s{}", level)); !s) {
      return s.error();
    }
  }
  connection.transaction_depth_ = level;
  return Transaction(&connection, level, write);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)),
      level_(other.level_),
      write_(other.write_) {}

Status Transaction::Commit() {
  Connection& connection = *connection_;
  if (level_ > 1) {
    if (Status s = connection.ExecuteOnce(fmt::format("RELEASE SAVEPOINT s{}", level_)); !s) {
      return s;
    }
  } else {
    if (PQtransactionStatus(connection.conn_) == PQTRANS_INERROR) {
      (void)connection.ExecuteOnce("ROLLBACK");
      connection.transaction_depth_ = 0;
      connection_ = nullptr;
      return MakeError(ErrorCode::kAborted,
                       "a statement of this transaction failed: it was rolled back");
    }
    if (write_ && connection.before_commit_) {
      if (Status s = connection.before_commit_(connection); !s) return s;
    }
    PGresult* result = PQexec(connection.conn_, "COMMIT");
    if (result == nullptr || !Succeeded(result)) {
      // Lost during COMMIT: whether it took effect is unknown, so it must not be retried.
      Error error = connection.Failure(result);
      connection.retryable_failure_ = false;
      connection.transaction_depth_ = 0;
      connection_ = nullptr;
      return error;
    }
    // COMMIT of a transaction the server had to abort answers "ROLLBACK".
    const bool rolled_back = std::strcmp(PQcmdStatus(result), "ROLLBACK") == 0;
    PQclear(result);
    connection.transaction_depth_ = 0;
    connection_ = nullptr;
    if (rolled_back) {
      return MakeError(ErrorCode::kAborted, "the transaction was rolled back by the server");
    }
    return Ok{};
  }
  connection.transaction_depth_ = level_ - 1;
  connection_ = nullptr;
  return Ok{};
}

Transaction::~Transaction() {
  if (connection_ == nullptr) return;
  Connection& connection = *connection_;
  if (!connection.broken()) {
    if (level_ == 1) {
      (void)connection.ExecuteOnce("ROLLBACK");
    } else {
      (void)connection.ExecuteOnce(
          fmt::format("ROLLBACK TO SAVEPOINT s{0}; RELEASE SAVEPOINT s{0}", level_));
    }
  }
  // A lost session took its transaction with it: a connection lost before COMMIT is a unit of
  // work that can be run again on a new one.
  if (connection.broken() && level_ == 1) connection.retryable_failure_ = true;
  connection.transaction_depth_ = level_ - 1;
}

// --- Migrate ----------------------------------------------------------------------------------

namespace {
Result<int64_t> SchemaVersion(Connection& connection) {
  Result<Statement> version =
      connection.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!version) return version.error();
  Result<bool> row = version->Step();
  if (!row) return row.error();
  return version->Int(0);
}
}  // namespace

Status Migrate(Connection& connection, std::span<const Migration> migrations) {
  {
    Result<Transaction> transaction = Transaction::Begin(connection);
    if (!transaction) return transaction.error();
    if (Status s = connection.Execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint PRIMARY KEY, "
            "applied_at timestamptz NOT NULL DEFAULT now())");
        !s) {
      return s;
    }
    if (Status s = transaction->Commit(); !s) return s;
  }
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  for (size_t i = 0; i < migrations.size(); ++i) {
    const Migration& migration = migrations[i];
    if (migration.version != static_cast<int>(i) + 1) {
      return MakeError(ErrorCode::kInternal,
                       fmt::format("migration {} is numbered {}", i + 1, migration.version));
    }
    // Each under the write lock, reading the version again: another instance may have just
    // applied it.
    Result<Transaction> transaction = Transaction::Begin(connection);
    if (!transaction) return transaction.error();
    Result<int64_t> current = SchemaVersion(connection);
    if (!current) return current.error();
    if (*current > newest) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       fmt::format("the database schema \"{}\" is at version {}, newer than this "
                                   "groundcrew's {}; use a newer groundcrew",
                                   connection.schema(), *current, newest));
    }
    if (migration.version <= *current) continue;
    if (Status s = connection.Execute(migration.sql); !s) {
      Error error = s.error();
      error.message = fmt::format("migration {}: {}", migration.version, error.message);
      return error;
    }
    if (Status s = connection.Execute(
            fmt::format("INSERT INTO schema_migrations (version) VALUES ({})", migration.version));
        !s) {
      return s;
    }
    if (Status s = transaction->Commit(); !s) return s;
  }
  return Ok{};
}

}  // namespace groundcrew::store::postgres::internal

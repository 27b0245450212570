#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"

struct pg_conn;
struct pg_result;

// A thin RAII layer over libpq that reports errors as values, shaped like the SQLite adapter's
// (store_sqlite/internal/connection.hpp) so that the ports read alike: Prepare, Bind, Step, Run,
// Int/Text/Blob. A Connection must not be used by two threads at once; ConnectionPool
// (pool.hpp) hands each of PostgresStore's connections to one thread at a time.
//
// SQL uses PostgreSQL's placeholders $1, $2, ... Parameters are sent as text (integers in
// decimal) except blobs (bytea, sent binary); results are read as text. A parameter whose type
// PostgreSQL cannot infer from its context needs a cast in the SQL ($1::bigint, $2::text).
namespace groundcrew::store::postgres::internal {

class Statement;

/// How a failed statement is reported (ErrorCode), by SQLSTATE:
/// - 23505 (unique violation) -> kAlreadyExists;
/// - 23503, 23502, 23514, 23P01 (other constraints) -> kFailedPrecondition;
/// - 40001 (serialization failure), 40P01 (deadlock) -> kUnavailable, and the connection
///   remembers it (retryable_failure()) so that Transact retries the whole use case;
/// - a lost connection (class 08, 57P01..57P03, or libpq reporting the connection bad) ->
///   kUnavailable, and the connection is broken() until Reconnect();
/// - anything else -> kInternal.
/// Messages name no password: libpq's messages never contain it, and the conninfo is not
/// repeated.

/// One session with the server. Every session runs `SET search_path` to the store's schema and
/// `SET TIME ZONE 'UTC'` when it connects (and reconnects).
class Connection {
 public:
  /// Connects to `conninfo` (a "postgresql://..." URI or "key=value ..." string) and selects
  /// `schema` (created if missing). A `read_only` session refuses writes
  /// (default_transaction_read_only), so that a write sent to a reader by mistake fails instead
  /// of bypassing the write lock. kUnavailable when the server cannot be reached or refuses the
  /// login; kInvalidArgument (field "schema") for a schema name that is not lower-case letters,
  /// digits and '_'.
  [[nodiscard]] static Result<Connection> Open(const std::string& conninfo,
                                               const std::string& schema, bool read_only = false);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  /// Runs one or more statements that return no rows, with the simple query protocol (DDL,
  /// BEGIN, SET...). Errors as for statements.
  [[nodiscard]] Status Execute(std::string_view sql);

  /// A prepared statement for `sql`. The text is prepared on the server once per session and
  /// reused; a second Statement of the same text alive at once is fine (statements hold no
  /// server state between executions here). kInternal on a syntax error; kUnavailable when the
  /// connection is lost. REQUIRES: Statements are destroyed before their Connection.
  [[nodiscard]] Result<Statement> Prepare(std::string_view sql);

  /// Rows changed by the last statement run on this connection (INSERT, UPDATE, DELETE).
  int changes() const { return changes_; }

  /// How many Transactions are open on this connection: 0 = none, 1 = a transaction, more =
  /// savepoints nested in it.
  int transaction_depth() const { return transaction_depth_; }
  /// Whether the server has a transaction open on this session (idle in transaction, or in a
  /// failed transaction).
  bool in_transaction() const;

  /// Whether a statement failed with a serialization failure (40001) or a deadlock (40P01),
  /// or the connection was lost before an outermost COMMIT was sent, since the outermost
  /// transaction began: the whole transaction may be retried (after Reconnect() when lost).
  bool retryable_failure() const { return retryable_failure_; }

  /// Whether the session to the server is lost (the server restarted, the network failed).
  /// A lost session is noticed by the next statement; when that statement begins a new unit of
  /// work (an outermost BEGIN, or a statement outside any transaction) the connection
  /// reconnects and runs it again, once, so that callers see a server restart only while the
  /// server is down.
  bool broken() const;
  /// Connects again (forgetting the prepared statements), keeping the schema. kUnavailable when
  /// the server cannot be reached yet. REQUIRES: transaction_depth() == 0.
  [[nodiscard]] Status Reconnect();

  /// Called by the outermost write Transaction just before its COMMIT, on this connection (the
  /// pool sends its NOTIFYs from there, so that they are delivered with the commit). An error
  /// fails the commit.
  void SetBeforeCommit(std::function<Status(Connection&)> hook) {
    before_commit_ = std::move(hook);
  }

  /// The key of the advisory lock every outermost write transaction takes first
  /// (pg_advisory_xact_lock): derived from the schema, so that the instances sharing a schema
  /// write one at a time, as SQLite's one writer does.
  int64_t write_lock_key() const { return write_lock_key_; }
  const std::string& schema() const { return schema_; }

  pg_conn* handle() const { return conn_; }

 private:
  friend class Statement;
  friend class Transaction;

  Connection(pg_conn* conn, std::string schema, bool read_only);
  void Close();
  // Turns a failed result (or a null one) into an Error, noting a retryable failure or a lost
  // connection. Takes ownership of `result` (may be null).
  Error Failure(pg_result* result);
  // Runs `sql` with the simple protocol, without the reconnect-and-retry.
  Status ExecuteOnce(std::string_view sql);
  // The server-side name of `sql` prepared on this session (preparing it if needed).
  Result<std::string> PreparedName(const std::string& sql);
  // After a failure: whether the session was lost at a point where running the same statement
  // again on a new session is safe (no transaction open), having reconnected.
  bool ReconnectedForRetry();
  Status Configure();

  pg_conn* conn_ = nullptr;
  std::string schema_;
  bool read_only_ = false;
  int64_t write_lock_key_ = 0;
  int transaction_depth_ = 0;
  int changes_ = 0;
  bool retryable_failure_ = false;
  std::function<Status(Connection&)> before_commit_;
  // Prepared statement names by SQL text ("s1", "s2", ...), per session.
  std::unique_ptr<std::unordered_map<std::string, std::string>> prepared_;
};

/// A prepared statement and, once run, its rows. Parameters are 1-based ($1 is index 1),
/// columns 0-based. Binding is by value; the statement runs on the first Step() or Run().
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  void Bind(int index, int64_t value);
  void Bind(int index, std::string_view text);
  void Bind(int index, const char* text) { Bind(index, std::string_view(text)); }
  void Bind(int index, const std::string& text) { Bind(index, std::string_view(text)); }
  void BindBlob(int index, std::string_view bytes);
  void BindNull(int index);
  /// Binds NULL for an empty optional.
  void Bind(int index, const std::optional<int64_t>& value);

  /// Advances to the next row: true with a row, false when done. The first call runs the
  /// statement (errors as listed above Connection).
  [[nodiscard]] Result<bool> Step();
  /// Runs a statement; its rows, if any, are ignored. Connection::changes() then tells how many
  /// rows it changed.
  [[nodiscard]] Status Run();
  /// Forgets the rows and the bindings, to run the statement again.
  void Reset();

  /// The current row's column as an integer: a bigint/integer, or a boolean as 1/0.
  int64_t Int(int column) const;
  std::string Text(int column) const;
  /// A bytea column's bytes.
  std::string Blob(int column) const;
  bool IsNull(int column) const;

 private:
  friend class Connection;
  Statement(Connection* connection, std::string sql, std::string name)
      : connection_(connection), sql_(std::move(sql)), name_(std::move(name)) {}
  Status Execute();
  void Clear();

  Connection* connection_ = nullptr;
  std::string sql_;
  std::string name_;
  std::vector<std::optional<std::string>> values_;  // by index - 1
  std::vector<int> formats_;                        // 0 text, 1 binary
  pg_result* result_ = nullptr;
  int row_ = -1;  // the current row; -1 before the first Step
  bool ran_ = false;
};

/// A transaction, or a savepoint inside one, rolled back on destruction unless Commit()
/// succeeded.
///
/// The outermost Transaction of a connection runs BEGIN and, for a write, takes the schema's
/// advisory write lock (pg_advisory_xact_lock(write_lock_key())) at once, so that writers of
/// every instance queue one after another, as SQLite's BEGIN IMMEDIATE makes them; the lock is
/// released by COMMIT or ROLLBACK. Isolation is READ COMMITTED: each statement sees every commit
/// made before it started, and with one writer at a time a write sees all earlier writes.
/// One begun while another is open on the same connection is nested: it runs SAVEPOINT, its
/// Commit only RELEASEs the savepoint (the enclosing transaction decides what is kept) and its
/// rollback (ROLLBACK TO + RELEASE) undoes only what was done since it began, including a
/// failed statement (after which PostgreSQL refuses further statements until the rollback).
///
/// A read transaction (kRead) begins with BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY: no
/// lock, and its SELECTs see one snapshot.
///
/// REQUIRES: the Transactions of one connection end in the reverse order of their beginning
/// (scoped objects do), on a connection used by one thread at a time.
class Transaction {
 public:
  enum class Mode { kWrite, kRead };

  /// kUnavailable when the connection is lost.
  [[nodiscard]] static Result<Transaction> Begin(Connection& connection, Mode mode = Mode::kWrite);
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  /// COMMIT (outermost; after the connection's before-commit hook) or RELEASE (nested). On
  /// failure the transaction is rolled back (by the server for a failed COMMIT, else on
  /// destruction). kUnavailable when the connection was lost: if it was lost during the
  /// COMMIT itself, whether the transaction took effect is unknown (retryable_failure() is then
  /// false). A transaction in which a statement failed without a savepoint to undo it cannot
  /// commit: kAborted, rolled back.
  [[nodiscard]] Status Commit();

  int level() const { return level_; }

 private:
  Transaction(Connection* connection, int level, bool write)
      : connection_(connection), level_(level), write_(write) {}
  Connection* connection_ = nullptr;  // null once finished or moved from
  int level_ = 0;
  bool write_ = false;
};

/// One numbered schema change. Versions start at 1 and have no gaps.
struct Migration {
  int version;
  std::string_view sql;
};

/// Applies, in order and each in its own transaction, every migration newer than the schema's
/// recorded version (table schema_migrations), recording the new version with it. Several
/// instances starting at once migrate one after another (the write lock). kFailedPrecondition
/// when the schema is newer than the newest migration (written by a later groundcrew).
[[nodiscard]] Status Migrate(Connection& connection, std::span<const Migration> migrations);

}  // namespace groundcrew::store::postgres::internal

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

// A thin RAII layer over the SQLite C API that reports errors as values. SQLite is used in
// serialized mode by one Connection per thread of use; a Connection is not shared between threads
// without external locking.
namespace groundcrew::store::sqlite::internal {

class Statement;

/// One open database. Opened with WAL journaling, foreign keys on and a busy timeout, so that
/// readers never block the writer and a second writer waits instead of failing at once.
class Connection {
 public:
  /// Opens (creating if needed) the database at `path`; ":memory:" gives a private in-memory one.
  /// kUnavailable when the file cannot be opened or configured.
  [[nodiscard]] static Result<Connection> Open(const std::string& path, int busy_timeout_ms = 5000);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  /// Runs one or more statements that return no rows (DDL, PRAGMA, BEGIN...).
  [[nodiscard]] Status Execute(std::string_view sql);

  /// Compiles one statement. kInternal on a syntax error (SQL here is constant text).
  [[nodiscard]] Result<Statement> Prepare(std::string_view sql);

  /// The database's rowid of the last insert and rows changed by the last statement.
  int64_t last_insert_rowid() const;
  int changes() const;

  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

/// A prepared statement. Parameters are 1-based, columns 0-based (SQLite's convention).
class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  void Bind(int index, int64_t value);
  void Bind(int index, std::string_view text);
  void BindBlob(int index, std::string_view bytes);
  void BindNull(int index);
  /// Binds NULL for an empty optional.
  void Bind(int index, const std::optional<int64_t>& value);

  /// Advances to the next row: true with a row, false when done. kAlreadyExists on a UNIQUE or
  /// PRIMARY KEY violation, kFailedPrecondition on another constraint (e.g. a foreign key),
  /// kUnavailable when the database stays busy, kInternal otherwise.
  [[nodiscard]] Result<bool> Step();
  /// Runs a statement that returns no rows.
  [[nodiscard]] Status Run();
  /// Clears bindings and rewinds, to run the statement again.
  void Reset();

  int64_t Int(int column) const;
  std::string Text(int column) const;
  std::string Blob(int column) const;
  bool IsNull(int column) const;

 private:
  friend class Connection;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

/// A transaction: BEGIN IMMEDIATE on construction (takes the write lock at once, so concurrent
/// writers queue on the busy timeout instead of deadlocking), ROLLBACK on destruction unless
/// Commit() succeeded.
class Transaction {
 public:
  [[nodiscard]] static Result<Transaction> Begin(Connection& connection);
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  [[nodiscard]] Status Commit();

 private:
  explicit Transaction(Connection* connection) : connection_(connection) {}
  Connection* connection_ = nullptr;  // null once committed or moved from
};

/// One numbered schema change. Versions start at 1 and have no gaps.
struct Migration {
  int version;
  std::string_view sql;
};

/// Applies, in order and each in its own transaction, every migration newer than the database's
/// `PRAGMA user_version`, recording the new version with it. kFailedPrecondition when the
/// database is newer than the newest migration (written by a later groundcrew).
[[nodiscard]] Status Migrate(Connection& connection, std::span<const Migration> migrations);

}  // namespace groundcrew::store::sqlite::internal

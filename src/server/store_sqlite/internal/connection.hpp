#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

// A thin RAII layer over the SQLite C API that reports errors as values. Connections are opened
// without SQLite's own mutex (SQLITE_OPEN_NOMUTEX): a Connection must not be used by two threads
// at once; ConnectionPool (pool.hpp) hands each of SqliteStore's connections to one thread at a
// time.
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

  /// A compiled statement for `sql`. Statements are compiled once per connection and reused:
  /// the Statement returned is reset (bindings cleared) when it is destroyed and handed out
  /// again by the next Prepare of the same text. A text already in use (a second Statement
  /// alive at once) gets a fresh, uncached statement. kInternal on a syntax error (SQL here is
  /// constant text). REQUIRES: Statements are destroyed before their Connection.
  [[nodiscard]] Result<Statement> Prepare(std::string_view sql);

  /// The database's rowid of the last insert and rows changed by the last statement.
  int64_t last_insert_rowid() const;
  int changes() const;

  /// How many Transactions are open on this connection: 0 = none, 1 = a transaction, more =
  /// savepoints nested in it.
  int transaction_depth() const { return transaction_depth_; }
  /// Whether SQLite has a transaction open (false in autocommit mode). Can be false while
  /// transaction_depth() > 0 when SQLite rolled the transaction back itself (after an I/O error).
  bool in_transaction() const;

  sqlite3* handle() const { return db_; }

 private:
  friend class Transaction;
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  using StatementCache = std::unordered_map<std::string, CachedStatement>;

  explicit Connection(sqlite3* db);
  void Close();

  sqlite3* db_ = nullptr;
  int transaction_depth_ = 0;
  std::unique_ptr<StatementCache> cache_;  // stable addresses across moves
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
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool* in_use)
      : db_(db), stmt_(stmt), in_use_(in_use) {}
  void Release();

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool* in_use_ = nullptr;  // the cache entry's flag; null for an uncached statement
};

/// A transaction, or a savepoint inside one, rolled back on destruction unless Commit()
/// succeeded.
///
/// The outermost Transaction of a connection runs BEGIN IMMEDIATE (takes the write lock at once,
/// so concurrent writers queue on the busy timeout instead of deadlocking) and COMMIT / ROLLBACK.
/// One begun while another is open on the same connection is nested: it runs SAVEPOINT, its
/// Commit only RELEASEs the savepoint (the enclosing transaction decides what is kept) and its
/// rollback (ROLLBACK TO + RELEASE) undoes only what was done since it began.
///
/// A read transaction (kRead) begins with a plain (deferred) BEGIN instead: it takes no write
/// lock, so it can run on a query_only reader connection next to the writer, and it makes
/// several SELECTs see one snapshot.
///
/// REQUIRES: the Transactions of one connection end in the reverse order of their beginning
/// (scoped objects do), on a connection used by one thread at a time.
class Transaction {
 public:
  enum class Mode { kWrite, kRead };

  /// kAborted when nested in a transaction that SQLite has already rolled back (after an I/O
  /// error, say): statements run now would commit one by one, outside any transaction. Nested
  /// transactions are savepoints whatever their mode.
  [[nodiscard]] static Result<Transaction> Begin(Connection& connection, Mode mode = Mode::kWrite);
  Transaction(Transaction&&) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  /// COMMIT (outermost) or RELEASE (nested). On failure the transaction stays open and is
  /// rolled back on destruction. kAborted when SQLite already rolled the transaction back.
  [[nodiscard]] Status Commit();

  /// 1 for the outermost transaction, 2 for a savepoint in it, and so on.
  int level() const { return level_; }

 private:
  Transaction(Connection* connection, int level) : connection_(connection), level_(level) {}
  Connection* connection_ = nullptr;  // null once finished or moved from
  int level_ = 0;
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

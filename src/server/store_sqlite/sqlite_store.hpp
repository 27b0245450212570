#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "server/store/store.hpp"
#include "server/store_sqlite/pool_waits.hpp"

namespace groundcrew::store::sqlite {

struct Options {
  std::string path;  ///< a file; ":memory:" for a private in-memory database (tests)
  int busy_timeout_ms = 5000;
  /// Connections that serve reads made outside a write, next to the one writer (WAL lets them
  /// read while it writes). Ignored for ":memory:" and "" (private databases that another
  /// connection cannot see): there, the writer serves reads too. 0 = reads use the writer.
  int read_connections = 4;
};

/// The SQLite adapter of every store port, over one database. Opening applies pending
/// migrations.
///
/// Connections (internal::ConnectionPool):
/// - One writer connection, guarded by one recursive lock: each port call that writes holds it
///   for its duration and is one transaction; Transact holds it for the whole use case, whose
///   port calls on the same thread (reads included) nest in its transaction as savepoints.
///   Writes from other threads wait meanwhile, so a use case must not wait for another thread's
///   store write (deadlock).
/// - For a database file, `Options::read_connections` readers serve every read made outside a
///   write, several at once. A read never waits for a write and never sees uncommitted changes:
///   it sees what was committed when it began, so a read made after a commit returned (on any
///   thread) sees that commit. A read that runs several statements (a page of events and the
///   session's existence) runs them in one read transaction, one snapshot.
/// - A private database (":memory:") has only the writer: reads then wait for writes, as with
///   the lock of earlier versions. A shared-cache in-memory URI would let several connections
///   share the data, but SQLite's shared cache locks whole tables instead of using WAL
///   (readers would fail with SQLITE_LOCKED while a write is open), so it is not used.
///
/// Caches: the admin credential found for a token hash and the catalog generation are kept in
/// memory once read outside a write; every write of credentials (resources) invalidates them
/// when its transaction ends, before the writer is released, so a revocation or catalog change
/// is seen by the very next call. They assume this store is the only writer of its database
/// (groundcrewd is): another process's writes to the same file would not invalidate them. One
/// exception is relied upon: a credential another process creates (`groundcrew credentials
/// recover`) is accepted at once, since a token not found is never remembered; that process's
/// revocation would not be seen by a store that had found the token before.
///
/// Thread-safety: every port and Transact may be called from any thread at once.
class SqliteStore : public Store {
 public:
  /// kUnavailable when the file cannot be opened, kFailedPrecondition when it was written by a
  /// newer schema.
  [[nodiscard]] static Result<std::unique_ptr<SqliteStore>> Open(const Options& options);
  ~SqliteStore() override = default;

  /// Waits for connections so far (thread-safe).
  virtual PoolWaits waits() const = 0;
};

}  // namespace groundcrew::store::sqlite

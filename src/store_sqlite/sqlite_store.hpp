#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "store/store.hpp"

namespace groundcrew::store::sqlite {

struct Options {
  std::string path;  ///< a file; ":memory:" for a private in-memory database (tests)
  int busy_timeout_ms = 5000;
};

/// The SQLite adapter of every store port, over one database. Opening applies pending
/// migrations.
///
/// One connection serves all callers, guarded by one recursive mutex: each port call holds it
/// for its duration and is one transaction; Transact holds it for the whole use case, whose port
/// calls (on the same thread) nest in its transaction as savepoints. Calls from other threads
/// wait meanwhile, so a use case must not wait for another thread's store call (deadlock).
class SqliteStore : public Store {
 public:
  /// kUnavailable when the file cannot be opened, kFailedPrecondition when it was written by a
  /// newer schema.
  [[nodiscard]] static Result<std::unique_ptr<SqliteStore>> Open(const Options& options);
  ~SqliteStore() override = default;
};

}  // namespace groundcrew::store::sqlite

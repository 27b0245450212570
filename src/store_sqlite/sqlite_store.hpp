#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "store/device_store.hpp"

namespace groundcrew::store::sqlite {

struct Options {
  std::string path;  ///< a file; ":memory:" for a private in-memory database (tests)
  int busy_timeout_ms = 5000;
};

/// The SQLite adapter of every store port, over one database. Opening applies pending
/// migrations. One connection serves all callers, writers serialized by a mutex (SQLite allows
/// one writer at a time anyway); every use case is one transaction.
class SqliteStore {
 public:
  /// kUnavailable when the file cannot be opened, kFailedPrecondition when it was written by a
  /// newer schema.
  [[nodiscard]] static Result<std::unique_ptr<SqliteStore>> Open(const Options& options);
  virtual ~SqliteStore() = default;

  virtual DeviceStore& devices() = 0;
};

}  // namespace groundcrew::store::sqlite

#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "server/store/store.hpp"

namespace groundcrew::store::postgres {

struct Options {
  /// libpq's connection string: "postgresql://user@host:5432/db?sslmode=..." or "host=... ".
  std::string conninfo;
  /// The schema holding groundcrew's tables (created if missing). Instances that share one
  /// installation use the same schema; tests use one per test.
  std::string schema = "groundcrew";
  /// Connections that serve reads made outside a write, next to the one writer.
  int read_connections = 4;
};

/// The PostgreSQL adapter of every store port (docs/scale-out.md). Opening applies pending
/// migrations (one instance at a time). Several PostgresStores, in one process or several, may
/// share a schema: writes are serialized by an advisory lock, reads never wait, and the caches
/// each keeps (the admin credential by token, the catalog generation) are emptied by a
/// notification another store's write sends at its commit, so they lag another instance's
/// commit by the notification's delivery time (milliseconds); while the notification listener
/// is disconnected, they are not used at all.
///
/// Lost connections (a server restart) are reconnected when next used; calls made while the
/// server is down fail with kUnavailable. Transact retries its use case (up to 5 times in all)
/// after a serialization failure (40001), a deadlock (40P01) or a connection lost before COMMIT
/// was sent, so on this adapter a use case may run more than once: it must have no effect
/// outside the store before it returns.
///
/// Thread-safety: every port and Transact may be called from any thread at once.
class PostgresStore : public Store {
 public:
  /// kUnavailable when the server cannot be reached, kFailedPrecondition when the schema was
  /// written by a newer groundcrew.
  [[nodiscard]] static Result<std::unique_ptr<PostgresStore>> Open(const Options& options);
  ~PostgresStore() override = default;
};

}  // namespace groundcrew::store::postgres

#include <string>

#include "server/store_postgres/internal/ports.hpp"

// Leases: one row per lease taken (table leases, kSchemaShared), keyed by name, with its holder
// and expiry (Unix seconds). A free lease has no row; an expired one keeps its row until it is
// taken over or released. Taking one is a single upsert that overwrites the row only when it is
// the holder's own or has expired: one statement, atomic on its own (the conflicting row is
// locked and its condition checked again), and run under the schema's write lock besides, so
// that of the instances racing for a lease exactly one changes it.
namespace groundcrew::store::postgres::internal {
namespace {

// $1 name, $2 holder, $3 new expiry, $4 now. Changes one row when the lease is taken: inserted
// (it was free) or overwritten (the holder's own, or expired at $4); none while another
// holder's lease stands.
constexpr const char* kAcquire =
    "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) "
    "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
    "WHERE leases.holder = excluded.holder OR leases.expires_at <= $4";
constexpr const char* kRelease = "DELETE FROM leases WHERE name = $1 AND holder = $2";
constexpr const char* kSelectLease = "SELECT name, holder, expires_at FROM leases WHERE name = $1";

Status CheckNamed(std::string_view name, std::string_view holder) {
  if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "a lease needs a name", "name");
  if (holder.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "a lease needs a holder", "holder");
  }
  return Ok{};
}

class PostgresLeaseStore final : public LeaseStore {
 public:
  explicit PostgresLeaseStore(ConnectionPool& pool) : pool_(pool) {}

  Result<bool> TryAcquire(std::string_view name, std::string_view holder, core::Timestamp now,
                          std::chrono::seconds ttl) override {
    if (Status s = CheckNamed(name, holder); !s) return s.error();
    if (ttl.count() <= 0) {
      return MakeError(ErrorCode::kInvalidArgument, "a lease's ttl must be positive", "ttl");
    }
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> acquire = db.Prepare(kAcquire);
    if (!acquire) return acquire.error();
    acquire->Bind(1, name);
    acquire->Bind(2, holder);
    acquire->Bind(3, Seconds(now + ttl));
    acquire->Bind(4, Seconds(now));
    if (Status s = acquire->Run(); !s) return s.error();
    const bool taken = db.changes() == 1;
    if (Status s = transaction->Commit(); !s) return s.error();
    return taken;
  }

  Status Release(std::string_view name, std::string_view holder) override {
    if (Status s = CheckNamed(name, holder); !s) return s;
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> release = db.Prepare(kRelease);
    if (!release) return release.error();
    release->Bind(1, name);
    release->Bind(2, holder);
    if (Status s = release->Run(); !s) return s;
    return transaction->Commit();
  }

  Result<std::optional<Lease>> Get(std::string_view name) override {
    if (name.empty()) return MakeError(ErrorCode::kInvalidArgument, "a lease needs a name", "name");
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(kSelectLease);
    if (!select) return select.error();
    select->Bind(1, name);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<Lease>();
    return std::optional<Lease>(Lease{
        .name = select->Text(0), .holder = select->Text(1), .expires_at = TimeAt(*select, 2)});
  }

 private:
  ConnectionPool& pool_;
};

}  // namespace

std::unique_ptr<LeaseStore> MakeLeaseStore(ConnectionPool& pool) {
  return std::make_unique<PostgresLeaseStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal

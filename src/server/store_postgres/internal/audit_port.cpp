#include <fmt/format.h>

#include "server/store_postgres/internal/ports.hpp"

// AuditStore on PostgreSQL: the append-only audit_log, one row per entry, its sequence given by
// an identity column (never handed out twice; increasing in commit order, as writers run one at
// a time). List pages by sequence, filtering by actor (case-insensitively) and resource kind.
namespace groundcrew::store::postgres::internal {
namespace {

constexpr const char* kInsertAuditEntry =
    "INSERT INTO audit_log (at, actor, action, resource_kind, resource_id, resource_name, "
    "detail) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING sequence";
constexpr const char* kListAuditEntries =
    "SELECT sequence, at, actor, action, resource_kind, resource_id, resource_name, detail "
    "FROM audit_log WHERE sequence > $1 AND ($3::text = '' OR actor COLLATE gc_nocase = $3) "
    "AND ($4::text = '' OR resource_kind = $4) ORDER BY sequence LIMIT $2";

AuditEntry ReadAuditEntry(const Statement& row) {
  AuditEntry entry;
  entry.sequence = row.Int(0);
  entry.at = TimeAt(row, 1);
  entry.actor = row.Text(2);
  entry.action = row.Text(3);
  entry.resource_kind = row.Text(4);
  entry.resource_id = row.Text(5);
  entry.resource_name = row.Text(6);
  entry.detail = row.Text(7);
  return entry;
}

class PostgresAuditStore final : public AuditStore {
 public:
  explicit PostgresAuditStore(ConnectionPool& pool) : pool_(pool) {}

  Result<AuditEntry> Append(const AuditEntry& entry) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> insert = db.Prepare(kInsertAuditEntry);
    if (!insert) return insert.error();
    insert->Bind(1, Seconds(entry.at));
    insert->Bind(2, entry.actor);
    insert->Bind(3, entry.action);
    insert->Bind(4, entry.resource_kind);
    insert->Bind(5, entry.resource_id);
    insert->Bind(6, entry.resource_name);
    insert->Bind(7, entry.detail);
    Result<bool> row = insert->Step();
    if (!row) return row.error();
    if (!*row) {
      return MakeError(ErrorCode::kInternal, "an audit entry was stored without a sequence");
    }
    AuditEntry stored = entry;
    stored.sequence = insert->Int(0);
    if (Status s = transaction->Commit(); !s) return s.error();
    return stored;
  }

  Result<Page<AuditEntry>> List(const AuditFilter& filter, const PageRequest& page) override {
    if (Status s = CheckLimit(page); !s) return s.error();
    Result<int64_t> after = ParseSequenceCursor(page.after);
    if (!after) return after.error();
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> list = db.Prepare(kListAuditEntries);
    if (!list) return list.error();
    list->Bind(1, *after);
    list->Bind(2, static_cast<int64_t>(page.limit) + 1);  // one more tells whether a page follows
    list->Bind(3, filter.actor);
    list->Bind(4, filter.resource_kind);
    Result<Page<AuditEntry>> result = ReadPage<AuditEntry>(
        *list, page.limit, [&](const Statement& row) { return ReadAuditEntry(row); },
        [](const AuditEntry& item) { return std::to_string(item.sequence); });
    return result;
  }

 private:
  ConnectionPool& pool_;
};

}  // namespace

std::unique_ptr<AuditStore> MakeAuditStore(ConnectionPool& pool) {
  return std::make_unique<PostgresAuditStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal

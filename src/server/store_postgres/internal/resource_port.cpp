#include <fmt/format.h>

#include "server/store_postgres/internal/ports.hpp"

// ResourceStore on PostgreSQL: catalog resources keyed by (kind, id) with names unique per kind
// case-insensitively (gc_nocase), versioned for compare-and-swap updates, and the catalog
// generation (one row) that every change bumps in its own transaction. The generation is cached
// outside writes: this instance's writes invalidate it at their end, the other instances' by
// their notification (ConnectionPool).
namespace groundcrew::store::postgres::internal {
namespace {

// Resource columns, in this order; `kind` is not read back (every query names it).
#define GC_RESOURCE_COLUMNS "id, name, body, created_at, modified_at, version"

// A clash on the id or the name inserts nothing (rather than failing the transaction), so that
// Taken can then look which it was.
constexpr const char* kInsertResource = "INSERT INTO resources (kind, " GC_RESOURCE_COLUMNS
                                        ") VALUES ($1, $2, $3, $4, $5, $6, 1) "
                                        "ON CONFLICT DO NOTHING";
constexpr const char* kSelectResourceById =
    "SELECT " GC_RESOURCE_COLUMNS " FROM resources WHERE kind = $1 AND id = $2";
constexpr const char* kSelectResourceByName =
    "SELECT " GC_RESOURCE_COLUMNS " FROM resources WHERE kind = $1 AND name = $2";
constexpr const char* kUpdateResource =
    "UPDATE resources SET name = $3, body = $4, modified_at = $5, version = version + 1 "
    "WHERE kind = $1 AND id = $2 AND version = $6";
constexpr const char* kDeleteResource =
    "DELETE FROM resources WHERE kind = $1 AND id = $2 AND version = $3";
constexpr const char* kResourceVersion =
    "SELECT version FROM resources WHERE kind = $1 AND id = $2";
constexpr const char* kListResources = "SELECT " GC_RESOURCE_COLUMNS
                                       " FROM resources WHERE kind = $1 AND id > $2 "
                                       "ORDER BY id LIMIT $3";
constexpr const char* kListAllResources =
    "SELECT " GC_RESOURCE_COLUMNS " FROM resources WHERE kind = $1 ORDER BY id";
constexpr const char* kBumpGeneration =
    "UPDATE catalog_generation SET generation = generation + 1 WHERE singleton = 1";
constexpr const char* kSelectGeneration =
    "SELECT generation FROM catalog_generation WHERE singleton = 1";

#undef GC_RESOURCE_COLUMNS

ResourceRecord ReadResource(ResourceKind kind, const Statement& row) {
  ResourceRecord record;
  Resource& r = record.value;
  r.kind = kind;
  r.id = row.Text(0);
  r.name = row.Text(1);
  r.body = row.Text(2);
  r.created_date_time = TimeAt(row, 3);
  r.last_modified_date_time = TimeAt(row, 4);
  record.version = row.Int(5);
  return record;
}

class PostgresResourceStore final : public ResourceStore {
 public:
  explicit PostgresResourceStore(ConnectionPool& pool) : pool_(pool) {
    pool_.Register(generation_);
  }

  Result<ResourceRecord> Create(const Resource& resource) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    pool_.AfterWrite(generation_);
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> insert = db.Prepare(kInsertResource);
    if (!insert) return insert.error();
    insert->Bind(1, ToString(resource.kind));
    insert->Bind(2, resource.id);
    insert->Bind(3, resource.name);
    insert->Bind(4, resource.body);
    insert->Bind(5, Seconds(resource.created_date_time));
    insert->Bind(6, Seconds(resource.last_modified_date_time));
    if (Status s = insert->Run(); !s) return s.error();
    if (db.changes() == 0) return Taken(db, resource, false);
    if (Status s = BumpGeneration(db); !s) return s.error();
    if (Status s = transaction->Commit(); !s) return s.error();
    return ResourceRecord{resource, 1};
  }

  Result<ResourceRecord> Get(ResourceKind kind, std::string_view id) override {
    ConnectionPool::ReadLease lease(pool_);
    Result<std::optional<ResourceRecord>> found =
        FindOne(lease.connection(), kSelectResourceById, kind, id);
    if (!found) return found.error();
    if (!*found) return Missing(kind, id);
    return std::move(**found);
  }

  Result<std::optional<ResourceRecord>> FindByName(ResourceKind kind,
                                                   std::string_view name) override {
    ConnectionPool::ReadLease lease(pool_);
    return FindOne(lease.connection(), kSelectResourceByName, kind, name);
  }

  Result<ResourceRecord> Update(const Resource& resource, int64_t expected_version) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    pool_.AfterWrite(generation_);
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    if (Status s = UpdateInSavepoint(db, resource, expected_version); !s) {
      if (s.error().code == ErrorCode::kAlreadyExists) return Taken(db, resource, true);
      return s.error();
    }
    // Read back: created_date_time is the stored one, not the caller's.
    Result<std::optional<ResourceRecord>> stored =
        FindOne(db, kSelectResourceById, resource.kind, resource.id);
    if (!stored) return stored.error();
    if (!*stored) return MakeError(ErrorCode::kInternal, "an updated resource vanished");
    if (Status s = BumpGeneration(db); !s) return s.error();
    if (Status s = transaction->Commit(); !s) return s.error();
    return std::move(**stored);
  }

  Status Delete(ResourceKind kind, std::string_view id, int64_t expected_version) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    pool_.AfterWrite(generation_);
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> remove = db.Prepare(kDeleteResource);
    if (!remove) return remove.error();
    remove->Bind(1, ToString(kind));
    remove->Bind(2, id);
    remove->Bind(3, expected_version);
    if (Status s = remove->Run(); !s) return s;
    if (db.changes() == 0) return ConflictOrMissing(db, kind, id, expected_version);
    if (Status s = BumpGeneration(db); !s) return s;
    return transaction->Commit();
  }

  Result<Page<ResourceRecord>> List(ResourceKind kind, const PageRequest& page) override {
    if (Status s = CheckLimit(page); !s) return s.error();
    ConnectionPool::ReadLease lease(pool_);
    Result<Statement> list = lease.connection().Prepare(kListResources);
    if (!list) return list.error();
    list->Bind(1, ToString(kind));
    list->Bind(2, page.after);
    list->Bind(3, static_cast<int64_t>(page.limit) + 1);  // one more tells whether a page follows
    Result<Page<ResourceRecord>> result = ReadPage<ResourceRecord>(
        *list, page.limit, [&](const Statement& row) { return ReadResource(kind, row); },
        [](const ResourceRecord& item) { return item.value.id; });
    return result;
  }

  Result<std::vector<ResourceRecord>> ListAll(ResourceKind kind) override {
    ConnectionPool::ReadLease lease(pool_);
    Result<Statement> list = lease.connection().Prepare(kListAllResources);
    if (!list) return list.error();
    list->Bind(1, ToString(kind));
    std::vector<ResourceRecord> result;
    for (;;) {
      Result<bool> row = list->Step();
      if (!row) return row.error();
      if (!*row) break;
      result.push_back(ReadResource(kind, *list));
    }
    return result;
  }

  // Answered from memory outside a write once read (Catalog::Current asks on every request),
  // while the pool hears of the other instances' writes; inside this thread's write, from its
  // own transaction.
  Result<int64_t> Generation() override {
    const bool cacheable = !pool_.HoldsWriter() && pool_.caches_usable();
    uint64_t ticket = 0;
    if (cacheable) {
      if (std::optional<int64_t> cached = generation_.Find("", ticket)) return *cached;
    }
    ConnectionPool::ReadLease lease(pool_);
    Result<Statement> select = lease.connection().Prepare(kSelectGeneration);
    if (!select) return select.error();
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return MakeError(ErrorCode::kInternal, "the catalog generation row is missing");
    const int64_t generation = select->Int(0);
    if (cacheable) generation_.Fill(ticket, "", generation);
    return generation;
  }

 private:
  // REQUIRES: `db` is this call's connection.
  Result<std::optional<ResourceRecord>> FindOne(Connection& db, const char* sql, ResourceKind kind,
                                                std::string_view key) {
    Result<Statement> select = db.Prepare(sql);
    if (!select) return select.error();
    select->Bind(1, ToString(kind));
    select->Bind(2, key);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<ResourceRecord>();
    return std::optional<ResourceRecord>(ReadResource(kind, *select));
  }

  // Runs the UPDATE in a savepoint of its own, rolled back when it fails, so that after a unique
  // violation (the new name) the transaction can still query who holds the name. REQUIRES: `db`
  // is the writer, held by this thread, in a transaction.
  Status UpdateInSavepoint(Connection& db, const Resource& resource, int64_t expected_version) {
    Result<Transaction> savepoint = Transaction::Begin(db);
    if (!savepoint) return savepoint.error();
    Result<Statement> update = db.Prepare(kUpdateResource);
    if (!update) return update.error();
    update->Bind(1, ToString(resource.kind));
    update->Bind(2, resource.id);
    update->Bind(3, resource.name);
    update->Bind(4, resource.body);
    update->Bind(5, Seconds(resource.last_modified_date_time));
    update->Bind(6, expected_version);
    if (Status s = update->Run(); !s) return s;
    if (db.changes() == 0) {
      return ConflictOrMissing(db, resource.kind, resource.id, expected_version);
    }
    return savepoint->Commit();
  }

  // Every catalog change bumps the generation in its own transaction. REQUIRES: `db` is the
  // writer, held by this thread.
  Status BumpGeneration(Connection& db) {
    Result<Statement> bump = db.Prepare(kBumpGeneration);
    if (!bump) return bump.error();
    if (Status s = bump->Run(); !s) return s;
    if (db.changes() != 1) {
      return MakeError(ErrorCode::kInternal, "the catalog generation row is missing");
    }
    return Ok{};
  }

  Error Missing(ResourceKind kind, std::string_view id) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("{} has no resource with id {}", ToString(kind), id), "id");
  }

  // After a clash on a unique key: was it the id or the name? An update keeps its id, so for one
  // only the name can clash. REQUIRES: `db` is this call's connection.
  Error Taken(Connection& db, const Resource& resource, bool updating) {
    if (!updating) {
      Result<std::optional<ResourceRecord>> by_id =
          FindOne(db, kSelectResourceById, resource.kind, resource.id);
      if (!by_id) return by_id.error();
      if (*by_id) {
        return MakeError(
            ErrorCode::kAlreadyExists,
            fmt::format("{}: the id {} is already taken", ToString(resource.kind), resource.id),
            "id");
      }
    }
    Result<std::optional<ResourceRecord>> by_name =
        FindOne(db, kSelectResourceByName, resource.kind, resource.name);
    if (!by_name) return by_name.error();
    const std::string holder = *by_name ? (*by_name)->value.id : std::string("another resource");
    return MakeError(ErrorCode::kAlreadyExists,
                     fmt::format("{}: the name '{}' is already taken by {} (names compare "
                                 "case-insensitively)",
                                 ToString(resource.kind), resource.name, holder),
                     "name");
  }

  // After an update or delete changed nothing: was the row changed by someone else, or deleted?
  // REQUIRES: `db` is this call's connection.
  Error ConflictOrMissing(Connection& db, ResourceKind kind, std::string_view id,
                          int64_t expected_version) {
    Result<Statement> version = db.Prepare(kResourceVersion);
    if (!version) return version.error();
    version->Bind(1, ToString(kind));
    version->Bind(2, id);
    Result<bool> row = version->Step();
    if (!row) return row.error();
    if (!*row) return Missing(kind, id);
    return MakeError(ErrorCode::kAborted,
                     fmt::format("{} {} is at version {}, not {}: someone else changed it; read "
                                 "it again and retry",
                                 ToString(kind), id, version->Int(0), expected_version),
                     "version");
  }

  ConnectionPool& pool_;
  // The committed catalog generation (one entry, key ""); every resource write invalidates it,
  // here and, by notification, in the other instances.
  CommittedCache<int64_t> generation_{1};
};

}  // namespace

std::unique_ptr<ResourceStore> MakeResourceStore(ConnectionPool& pool) {
  return std::make_unique<PostgresResourceStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal

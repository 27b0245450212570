// The SQLite to PostgreSQL copy (store_copy.hpp). The source is read with the SQLite C API
// directly (a read-only handle: the adapter's Connection always opens read-write and sets WAL
// mode), the target through store_postgres's connection layer. Both schemas are read from the
// databases' own catalogs, so that a table or column added on both sides is copied without a
// change here; kRenamedColumns and SeededTables() list what the catalogs cannot tell.
#include "server/store_copy/store_copy.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "identity/sha256.hpp"
#include "server/store_postgres/internal/connection.hpp"
#include "server/store_sqlite/migrations.hpp"

namespace groundcrew::store::copy {
namespace {

namespace pg = store::postgres::internal;

// PostgreSQL columns whose SQLite counterpart has another name. deployment_sessions'
// creation_order orders a device's sessions started in the same second (the session port's
// "latest"); SQLite orders them by rowid, which is what the column takes.
struct RenamedColumn {
  std::string_view table;
  std::string_view column;         // PostgreSQL's
  std::string_view sqlite_source;  // an SQLite expression over the table's row
};
constexpr std::array<RenamedColumn, 1> kRenamedColumns = {{
    {"deployment_sessions", "creation_order", "rowid"},
}};

// The PostgreSQL migrations' own bookkeeping, never copied nor compared.
constexpr std::string_view kMigrationsTable = "schema_migrations";

// How a column's values are bound and hashed, by its PostgreSQL type.
enum class Kind { kInteger, kText, kBytes };

char Tag(Kind kind) {
  switch (kind) {
    case Kind::kInteger:
      return 'i';
    case Kind::kBytes:
      return 'b';
    case Kind::kText:
      break;
  }
  return 't';
}

struct Column {
  std::string name;    // PostgreSQL's
  std::string source;  // the SQLite expression read for it
  Kind kind = Kind::kText;
  bool identity_always = false;
};

struct TablePlan {
  std::string name;
  std::vector<Column> columns;  // the copied ones, in PostgreSQL's column order
};

std::string Quote(std::string_view identifier) {
  std::string quoted = "\"";
  for (char c : identifier) {
    quoted += c;
    if (c == '"') quoted += '"';
  }
  return quoted + "\"";
}

// --- The canonical row encoding and the table hash -------------------------------------------

class RowEncoder {
 public:
  void Null() { bytes_ += 'n'; }
  void Value(Kind kind, std::string_view value) {
    bytes_ += Tag(kind);
    uint64_t length = value.size();
    char be[8];
    for (int i = 7; i >= 0; --i) {
      be[i] = static_cast<char>(length & 0xFF);
      length >>= 8;
    }
    bytes_.append(be, 8);
    bytes_.append(value);
  }
  // The row's digest; starts the next row.
  identity::Sha256Digest Finish() {
    identity::Sha256Digest digest = identity::Sha256Of(bytes_);
    bytes_.clear();
    return digest;
  }

 private:
  std::string bytes_;
};

struct TableHash {
  int64_t rows = 0;
  std::string sha256;
};

TableHash HashOf(std::vector<identity::Sha256Digest>& digests) {
  std::sort(digests.begin(), digests.end());
  identity::Sha256 hash;
  for (const auto& digest : digests) {
    hash.Update(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  }
  return {static_cast<int64_t>(digests.size()), identity::ToHex(hash.Finish())};
}

// --- The source: a read-only SQLite handle ---------------------------------------------------

Error SourceError(ErrorCode code, std::string message) {
  return MakeError(code, std::move(message), "source");
}

class Source {
 public:
  static Result<Source> Open(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      return SourceError(ErrorCode::kNotFound, fmt::format("no SQLite database at {}", path));
    }
    sqlite3* db = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    Source source(db);
    if (rc != SQLITE_OK) {
      return SourceError(ErrorCode::kUnavailable,
                         fmt::format("cannot open {}: {}", path,
                                     db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    }
    sqlite3_busy_timeout(db, 5000);
    return source;
  }

  Source(Source&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Source& operator=(Source&&) = delete;
  ~Source() {
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }

  Status Execute(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return Failure(sql);
    return Ok{};
  }

  // Runs `sql` with `text` bound to ?1 (when given), calling `row` with each row's statement.
  template <class Row>
  Status Query(const std::string& sql, Row&& row, std::optional<std::string_view> text = {}) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return Failure(sql);
    }
    if (text) sqlite3_bind_text(stmt, 1, text->data(), static_cast<int>(text->size()), nullptr);
    Status status = Ok{};
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        status = Failure(sql);
        break;
      }
      if (Status s = row(stmt); !s) {
        status = s;
        break;
      }
    }
    sqlite3_finalize(stmt);
    return status;
  }

 private:
  explicit Source(sqlite3* db) : db_(db) {}
  Error Failure(std::string_view sql) {
    return SourceError(ErrorCode::kUnavailable, fmt::format("reading the SQLite database ({}): {}",
                                                            sql, sqlite3_errmsg(db_)));
  }
  sqlite3* db_ = nullptr;
};

std::string_view TextOf(sqlite3_stmt* stmt, int column) {
  const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  return {bytes != nullptr ? bytes : "", static_cast<size_t>(sqlite3_column_bytes(stmt, column))};
}

std::string_view BlobOf(sqlite3_stmt* stmt, int column) {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, column));
  return {bytes != nullptr ? bytes : "", static_cast<size_t>(sqlite3_column_bytes(stmt, column))};
}

// The column's value as it is bound and hashed for a PostgreSQL column of `kind`: integers in
// decimal, anything else as its bytes.
std::string SourceValue(sqlite3_stmt* stmt, int column, Kind kind) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER:
      return std::to_string(sqlite3_column_int64(stmt, column));
    case SQLITE_FLOAT:
      return fmt::format("{}", sqlite3_column_double(stmt, column));
    default:
      return std::string(kind == Kind::kBytes ? BlobOf(stmt, column) : TextOf(stmt, column));
  }
}

Status CheckSourceVersion(Source& source) {
  int64_t version = -1;
  GC_RETURN_IF_ERROR(source.Query("PRAGMA user_version", [&](sqlite3_stmt* stmt) -> Status {
    version = sqlite3_column_int64(stmt, 0);
    return Ok{};
  }));
  const int newest = store::sqlite::Migrations().back().version;
  if (version < newest) {
    return SourceError(
        ErrorCode::kFailedPrecondition,
        fmt::format("the SQLite database is at schema version {}, this groundcrew's is {}: "
                    "start this version of groundcrewd on its data directory once (it migrates "
                    "the database), stop it, then copy",
                    version, newest));
  }
  if (version > newest) {
    return SourceError(ErrorCode::kFailedPrecondition,
                       fmt::format("the SQLite database is at schema version {}, written by a "
                                   "newer groundcrew (this one knows up to {}): use that one",
                                   version, newest));
  }
  return Ok{};
}

Result<std::set<std::string>> SourceTables(Source& source) {
  std::set<std::string> tables;
  GC_RETURN_IF_ERROR(source.Query(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
      "ESCAPE '\\'",
      [&](sqlite3_stmt* stmt) -> Status {
        tables.emplace(TextOf(stmt, 0));
        return Ok{};
      }));
  return tables;
}

Result<std::set<std::string>> SourceColumns(Source& source, const std::string& table) {
  std::set<std::string> columns;
  GC_RETURN_IF_ERROR(source.Query(
      "SELECT name FROM pragma_table_info(?1)",
      [&](sqlite3_stmt* stmt) -> Status {
        columns.emplace(TextOf(stmt, 0));
        return Ok{};
      },
      table));
  return columns;
}

// The highest value an AUTOINCREMENT table has handed out (sqlite_sequence), 0 when none.
Result<int64_t> SourceSequence(Source& source, const std::string& table) {
  bool has_sequences = false;
  GC_RETURN_IF_ERROR(
      source.Query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'",
                   [&](sqlite3_stmt*) -> Status {
                     has_sequences = true;
                     return Ok{};
                   }));
  int64_t seq = 0;
  if (!has_sequences) return seq;
  GC_RETURN_IF_ERROR(source.Query(
      "SELECT seq FROM sqlite_sequence WHERE name = ?1",
      [&](sqlite3_stmt* stmt) -> Status {
        seq = sqlite3_column_int64(stmt, 0);
        return Ok{};
      },
      table));
  return seq;
}

// --- The target ------------------------------------------------------------------------------

Error TargetError(const Error& error, std::string_view context) {
  return MakeError(error.code, fmt::format("{}: {}", context, error.message), "target");
}

Error OutOfStep(std::string message) {
  return MakeError(
      ErrorCode::kInternal,
      "the SQLite and PostgreSQL schemas are out of step (a groundcrew bug): " + std::move(message),
      "target");
}

// Runs `sql` with `params` (text) on `db`, calling `row` with each row.
template <class Row>
Status PgQuery(pg::Connection& db, std::string_view sql, std::span<const std::string> params,
               Row&& row) {
  auto statement = db.Prepare(sql);
  if (!statement) return TargetError(statement.error(), "querying the PostgreSQL schema");
  for (size_t i = 0; i < params.size(); ++i) statement->Bind(static_cast<int>(i) + 1, params[i]);
  for (;;) {
    auto stepped = statement->Step();
    if (!stepped) return TargetError(stepped.error(), "querying the PostgreSQL schema");
    if (!*stepped) return Ok{};
    row(*statement);
  }
}

Result<std::vector<std::string>> TargetTables(pg::Connection& db, const std::string& schema) {
  std::vector<std::string> tables;
  const std::array params{schema};
  GC_RETURN_IF_ERROR(PgQuery(db,
                             "SELECT table_name FROM information_schema.tables WHERE "
                             "table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1",
                             params, [&](const pg::Statement& row) {
                               std::string name = row.Text(0);
                               if (name != kMigrationsTable) tables.push_back(std::move(name));
                             }));
  return tables;
}

// `tables` with every table after the tables its foreign keys reference (ties by name).
Result<std::vector<std::string>> ParentsFirst(pg::Connection& db, const std::string& schema,
                                              const std::vector<std::string>& tables) {
  std::map<std::string, std::set<std::string>> parents;
  for (const auto& table : tables) parents[table];
  const std::array params{schema};
  GC_RETURN_IF_ERROR(PgQuery(db,
                             "SELECT child.relname::text, parent.relname::text "
                             "FROM pg_constraint c "
                             "JOIN pg_class child ON child.oid = c.conrelid "
                             "JOIN pg_class parent ON parent.oid = c.confrelid "
                             "JOIN pg_namespace n ON n.oid = child.relnamespace "
                             "WHERE c.contype = 'f' AND n.nspname = $1::text",
                             params, [&](const pg::Statement& row) {
                               std::string child = row.Text(0), parent = row.Text(1);
                               if (child != parent && parents.contains(child) &&
                                   parents.contains(parent)) {
                                 parents[child].insert(parent);
                               }
                             }));
  std::vector<std::string> ordered;
  std::set<std::string> placed;
  while (ordered.size() < tables.size()) {
    bool progressed = false;
    for (const auto& [table, needs] : parents) {
      if (placed.contains(table)) continue;
      if (std::all_of(needs.begin(), needs.end(),
                      [&](const std::string& p) { return placed.contains(p); })) {
        ordered.push_back(table);
        placed.insert(table);
        progressed = true;
      }
    }
    if (!progressed) return OutOfStep("the foreign keys between its tables form a cycle");
  }
  return ordered;
}

Result<TablePlan> PlanTable(pg::Connection& db, const std::string& schema, Source& source,
                            const std::string& table) {
  GC_ASSIGN_OR_RETURN(const std::set<std::string> sqlite_columns, SourceColumns(source, table));
  TablePlan plan{.name = table, .columns = {}};
  std::set<std::string> pg_columns;
  const std::array params{schema, table};
  GC_RETURN_IF_ERROR(
      PgQuery(db,
              "SELECT column_name::text, data_type::text, is_identity::text, "
              "coalesce(identity_generation::text, '') FROM information_schema.columns "
              "WHERE table_schema = $1::text AND table_name = $2::text ORDER BY ordinal_position",
              params, [&](const pg::Statement& row) {
                Column column;
                column.name = row.Text(0);
                const std::string type = row.Text(1);
                column.kind = type == "bytea" ? Kind::kBytes
                              : (type == "bigint" || type == "integer" || type == "smallint")
                                  ? Kind::kInteger
                                  : Kind::kText;
                column.identity_always = row.Text(2) == "YES" && row.Text(3) == "ALWAYS";
                pg_columns.insert(column.name);
                if (sqlite_columns.contains(column.name)) {
                  column.source = Quote(column.name);
                } else {
                  for (const auto& renamed : kRenamedColumns) {
                    if (renamed.table == table && renamed.column == column.name) {
                      column.source = std::string(renamed.sqlite_source);
                    }
                  }
                }
                // A column with no source is left to its default.
                if (!column.source.empty()) plan.columns.push_back(std::move(column));
              }));
  for (const auto& name : sqlite_columns) {
    if (!pg_columns.contains(name)) {
      return OutOfStep(fmt::format("SQLite's {}.{} has no PostgreSQL column", table, name));
    }
  }
  if (plan.columns.empty()) return OutOfStep(fmt::format("{} has no column in common", table));
  return plan;
}

// "INSERT INTO s.t (a, b) VALUES ($1, $2), ($3, $4)" for `rows` rows.
std::string InsertSql(const std::string& schema, const TablePlan& plan, size_t rows) {
  std::string sql = fmt::format("INSERT INTO {}.{} (", Quote(schema), Quote(plan.name));
  bool overriding = false;
  for (size_t i = 0; i < plan.columns.size(); ++i) {
    sql += (i ? ", " : "") + Quote(plan.columns[i].name);
    overriding = overriding || plan.columns[i].identity_always;
  }
  sql += overriding ? ") OVERRIDING SYSTEM VALUE VALUES " : ") VALUES ";
  int parameter = 1;
  for (size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (size_t i = 0; i < plan.columns.size(); ++i) {
      sql += fmt::format("{}${}", i ? ", " : "", parameter++);
    }
    sql += ")";
  }
  return sql;
}

// Copies one table's rows (source rowid order), in batches of several rows per INSERT. Returns
// the source's count and hash, computed from the values as read.
Result<TableHash> CopyTable(Source& source, pg::Connection& db, const std::string& schema,
                            const TablePlan& plan) {
  const size_t width = plan.columns.size();
  // PostgreSQL takes at most 65535 parameters per statement.
  const size_t batch = std::max<size_t>(1, std::min<size_t>(500, 60000 / width));
  std::string select = "SELECT ";
  for (size_t i = 0; i < width; ++i) select += (i ? ", " : "") + plan.columns[i].source;
  select += fmt::format(" FROM {} ORDER BY rowid", Quote(plan.name));

  // Pending rows' values (nullopt = NULL), flushed by one INSERT.
  std::vector<std::optional<std::string>> pending;
  pending.reserve(batch * width);
  auto flush = [&]() -> Status {
    if (pending.empty()) return Ok{};
    const size_t rows = pending.size() / width;
    auto insert = db.Prepare(InsertSql(schema, plan, rows));
    if (!insert) return TargetError(insert.error(), fmt::format("copying {}", plan.name));
    for (size_t p = 0; p < pending.size(); ++p) {
      const int index = static_cast<int>(p) + 1;
      const Column& column = plan.columns[p % width];
      if (!pending[p]) {
        insert->BindNull(index);
      } else if (column.kind == Kind::kBytes) {
        insert->BindBlob(index, *pending[p]);
      } else {
        insert->Bind(index, std::string_view(*pending[p]));
      }
    }
    if (Status s = insert->Run(); !s) {
      return TargetError(s.error(), fmt::format("copying {}", plan.name));
    }
    pending.clear();
    return Ok{};
  };

  std::vector<identity::Sha256Digest> digests;
  RowEncoder encoder;
  GC_RETURN_IF_ERROR(source.Query(select, [&](sqlite3_stmt* stmt) -> Status {
    for (size_t i = 0; i < width; ++i) {
      const int column = static_cast<int>(i);
      if (sqlite3_column_type(stmt, column) == SQLITE_NULL) {
        encoder.Null();
        pending.emplace_back(std::nullopt);
        continue;
      }
      std::string value = SourceValue(stmt, column, plan.columns[i].kind);
      encoder.Value(plan.columns[i].kind, value);
      pending.emplace_back(std::move(value));
    }
    digests.push_back(encoder.Finish());
    if (pending.size() >= batch * width) return flush();
    return Ok{};
  }));
  GC_RETURN_IF_ERROR(flush());
  return HashOf(digests);
}

// The table's count and hash as PostgreSQL holds it now (in this transaction).
Result<TableHash> TargetHash(pg::Connection& db, const std::string& schema, const TablePlan& plan) {
  std::string select = "SELECT ";
  for (size_t i = 0; i < plan.columns.size(); ++i) {
    select += (i ? ", " : "") + Quote(plan.columns[i].name);
  }
  select += fmt::format(" FROM {}.{}", Quote(schema), Quote(plan.name));
  auto statement = db.Prepare(select);
  if (!statement) return TargetError(statement.error(), fmt::format("checking {}", plan.name));
  std::vector<identity::Sha256Digest> digests;
  RowEncoder encoder;
  for (;;) {
    auto stepped = statement->Step();
    if (!stepped) return TargetError(stepped.error(), fmt::format("checking {}", plan.name));
    if (!*stepped) break;
    for (size_t i = 0; i < plan.columns.size(); ++i) {
      const int column = static_cast<int>(i);
      const Kind kind = plan.columns[i].kind;
      if (statement->IsNull(column)) {
        encoder.Null();
      } else {
        encoder.Value(kind,
                      kind == Kind::kBytes ? statement->Blob(column) : statement->Text(column));
      }
    }
    digests.push_back(encoder.Finish());
  }
  return HashOf(digests);
}

// Moves each copied identity's (or serial's) sequence past the highest value the source used:
// the table's highest value, or for an SQLite AUTOINCREMENT table its sqlite_sequence entry
// when higher (entries removed since).
Status AdvanceSequences(Source& source, pg::Connection& db, const std::string& schema,
                        const TablePlan& plan) {
  const std::string qualified = Quote(schema) + "." + Quote(plan.name);
  for (const Column& column : plan.columns) {
    std::optional<std::string> sequence;
    const std::array params{qualified, column.name};
    GC_RETURN_IF_ERROR(PgQuery(db, "SELECT pg_get_serial_sequence($1::text, $2::text)", params,
                               [&](const pg::Statement& row) {
                                 if (!row.IsNull(0)) sequence = row.Text(0);
                               }));
    if (!sequence) continue;
    int64_t highest = 0;
    GC_RETURN_IF_ERROR(PgQuery(
        db, fmt::format("SELECT coalesce(max({}), 0) FROM {}", Quote(column.name), qualified), {},
        [&](const pg::Statement& row) { highest = row.Int(0); }));
    // sqlite_sequence counts the table's AUTOINCREMENT key, the column copied under its own
    // name; a column taken from the bare rowid (creation_order) has no such record.
    if (column.source != "rowid") {
      GC_ASSIGN_OR_RETURN(const int64_t used, SourceSequence(source, plan.name));
      highest = std::max(highest, used);
    }
    if (highest < 1) continue;
    const std::array set_params{*sequence, std::to_string(highest)};
    GC_RETURN_IF_ERROR(PgQuery(db, "SELECT setval($1::text::regclass, $2::bigint, true)",
                               set_params, [](const pg::Statement&) {}));
  }
  return Ok{};
}

}  // namespace

const std::vector<std::string>& SeededTables() {
  // catalog_generation: one row (generation 0), inserted by the catalog's migration
  // (store_postgres/internal/schema_catalog.cpp) as by SQLite's migration 2.
  static const std::vector<std::string> kSeeded = {"catalog_generation"};
  return kSeeded;
}

Result<CopyReport> CopySqliteToPostgres(const std::string& sqlite_path,
                                        const postgres::Options& target) {
  // The source, in one read snapshot, at the newest schema.
  GC_ASSIGN_OR_RETURN(Source source, Source::Open(sqlite_path));
  GC_RETURN_IF_ERROR(source.Execute("BEGIN"));
  GC_RETURN_IF_ERROR(CheckSourceVersion(source));
  GC_ASSIGN_OR_RETURN(const std::set<std::string> source_tables, SourceTables(source));

  // The target: migrated by PostgresStore::Open, then written on a connection of our own.
  {
    auto opened = postgres::PostgresStore::Open(target);
    if (!opened) {
      Error error = opened.error();
      error.field = "target";
      return error;
    }
  }
  auto connection = pg::Connection::Open(target.conninfo, target.schema);
  if (!connection) return TargetError(connection.error(), "connecting to PostgreSQL");
  pg::Connection& db = *connection;
  auto transaction = pg::Transaction::Begin(db);  // takes the schema's write lock
  if (!transaction) return TargetError(transaction.error(), "beginning the copy");

  GC_ASSIGN_OR_RETURN(const std::vector<std::string> tables, TargetTables(db, target.schema));
  for (const auto& table : tables) {
    if (!source_tables.contains(table)) {
      return OutOfStep(fmt::format("PostgreSQL's table {} is not in the SQLite database", table));
    }
  }
  for (const auto& table : source_tables) {
    if (std::find(tables.begin(), tables.end(), table) == tables.end()) {
      return OutOfStep(fmt::format("SQLite's table {} is not in PostgreSQL", table));
    }
  }

  // Refuse a target that holds data; empty what the migrations seeded.
  const auto& seeded = SeededTables();
  for (const auto& table : tables) {
    const std::string qualified = Quote(target.schema) + "." + Quote(table);
    if (std::find(seeded.begin(), seeded.end(), table) != seeded.end()) {
      if (Status s = db.Execute("DELETE FROM " + qualified); !s) {
        return TargetError(s.error(), fmt::format("emptying {}", table));
      }
      continue;
    }
    bool has_rows = false;
    GC_RETURN_IF_ERROR(PgQuery(db, fmt::format("SELECT EXISTS (SELECT 1 FROM {})", qualified), {},
                               [&](const pg::Statement& row) { has_rows = row.Int(0) != 0; }));
    if (has_rows) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       fmt::format("the PostgreSQL schema {} already holds data (table {} has "
                                   "rows): copy into an empty schema",
                                   target.schema, table),
                       "target");
    }
  }

  GC_ASSIGN_OR_RETURN(const std::vector<std::string> ordered,
                      ParentsFirst(db, target.schema, tables));
  std::vector<TablePlan> plans;
  CopyReport report;
  for (const auto& table : ordered) {
    GC_ASSIGN_OR_RETURN(TablePlan plan, PlanTable(db, target.schema, source, table));
    GC_ASSIGN_OR_RETURN(const TableHash copied, CopyTable(source, db, target.schema, plan));
    report.tables.push_back({.table = table, .rows = copied.rows, .sha256 = copied.sha256});
    plans.push_back(std::move(plan));
  }

  // Check every table as PostgreSQL now holds it, then commit.
  for (size_t i = 0; i < plans.size(); ++i) {
    GC_ASSIGN_OR_RETURN(const TableHash stored, TargetHash(db, target.schema, plans[i]));
    const TableCopy& copied = report.tables[i];
    if (stored.rows != copied.rows || stored.sha256 != copied.sha256) {
      return MakeError(
          ErrorCode::kInternal,
          fmt::format("table {} differs after the copy ({} rows read from SQLite, hash {}; {} "
                      "in PostgreSQL, hash {}): nothing was committed",
                      copied.table, copied.rows, copied.sha256.substr(0, 12), stored.rows,
                      stored.sha256.substr(0, 12)),
          "target");
    }
  }
  for (const TablePlan& plan : plans) {
    GC_RETURN_IF_ERROR(AdvanceSequences(source, db, target.schema, plan));
  }
  if (Status s = transaction->Commit(); !s) return TargetError(s.error(), "committing the copy");
  return report;
}

}  // namespace groundcrew::store::copy

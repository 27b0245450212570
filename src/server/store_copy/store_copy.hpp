#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "server/store_postgres/postgres_store.hpp"

// Copying one groundcrew installation's store into another: an embedded SQLite database into a
// PostgreSQL schema (`groundcrew migrate`, docs/scale-out.md), table by table, row by row, with
// the content checked on both sides before it is committed.
namespace groundcrew::store::copy {

/// What was copied into one table.
struct TableCopy {
  std::string table;
  int64_t rows = 0;
  /// 64 lower-case hex digits: the table's content hash (CopySqliteToPostgres), equal on both
  /// sides.
  std::string sha256;
};

struct CopyReport {
  std::vector<TableCopy> tables;  ///< in the order copied (parents before children)
};

/// Copies the SQLite database at `sqlite_path` into the schema `target.schema` of the
/// PostgreSQL database `target.conninfo`, all in one PostgreSQL transaction: either every row
/// is there, checked, or nothing is.
///
/// The source is opened read-only and read in one snapshot; it is never migrated nor changed.
/// The target is opened with PostgresStore::Open first (which creates the schema and applies
/// the PostgreSQL migrations), then written through raw connections under the schema's write
/// lock, so that no groundcrewd instance writes meanwhile.
///
/// Tables: every table of the target schema except schema_migrations; the source must have the
/// same set. Tables are copied parents first (the schema's foreign keys). Columns: those of the
/// PostgreSQL table. Each takes the SQLite column of the same name, except the columns listed in
/// kRenamedColumns (store_copy.cpp: deployment_sessions.creation_order is SQLite's rowid); a
/// PostgreSQL column with neither is left to its default; a SQLite column PostgreSQL lacks is an
/// error. NULLs stay NULL; bytea columns receive the SQLite value's bytes. Rows are inserted in
/// the SQLite rowid order, with identity values as the source has them (OVERRIDING SYSTEM
/// VALUE); each identity's sequence then continues past the highest value the source ever
/// handed out (its sqlite_sequence entry for AUTOINCREMENT tables), so a new audit entry or
/// session event gets a higher sequence than any copied one.
///
/// Check, before the commit: per table, the row counts and a content hash read back from
/// PostgreSQL equal the source's. The hash is the SHA-256 of the sorted SHA-256 digests of each
/// row's canonical encoding: for each copied column in the PostgreSQL column order, a type tag
/// (by the PostgreSQL column's type: 'i' bigint/integer/smallint, 'b' bytea, 't' anything else;
/// 'n' for NULL, with no value) then, unless NULL, the value's length (8 bytes, big-endian) and
/// the value (integers in decimal, text and bytea as their bytes).
///
/// Errors (field "source" for the SQLite side, "target" for the PostgreSQL side):
/// - kNotFound: no file at `sqlite_path`;
/// - kFailedPrecondition: the source is not at the newest SQLite schema version (the message
///   says to start this groundcrewd on it once first) or was written by a newer groundcrew; the
///   target already holds data (the message names the first table found with rows); the
///   target's schema is newer than this groundcrew (PostgresStore::Open);
/// - kUnavailable: either database cannot be opened or reached;
/// - kInternal: the two schemas are out of step (a table or column on one side only, naming
///   it), or a table's count or hash differs after the copy (naming the table); nothing is
///   committed;
/// - a row PostgreSQL refuses (e.g. two names that SQLite's NOCASE tells apart but gc_nocase
///   does not): that error, its message naming the table; nothing is committed.
[[nodiscard]] Result<CopyReport> CopySqliteToPostgres(const std::string& sqlite_path,
                                                      const postgres::Options& target);

/// The tables the PostgreSQL migrations fill themselves (catalog_generation's one row): they
/// are not counted when deciding whether the target is empty, and their rows are replaced by the
/// source's.
const std::vector<std::string>& SeededTables();

}  // namespace groundcrew::store::copy

#include <fmt/format.h>

#include <string>
#include <vector>

#include "server/store_postgres/internal/ports.hpp"

// Sealed values: one row per name (table sealed_values, kSchemaShared) holding the opaque bytes
// as bytea and the optimistic version. Put is a compare-and-set: an insert that must not find
// the name (ON CONFLICT DO NOTHING, so that the clash leaves the transaction usable), or an
// update guarded by the version read, run under the schema's write lock so that of two writers
// (of any instance) naming the same version exactly one wins. Values never appear in errors.
namespace groundcrew::store::postgres::internal {
namespace {

constexpr const char* kSelectValue = "SELECT value, version FROM sealed_values WHERE name = $1";
constexpr const char* kInsertValue =
    "INSERT INTO sealed_values (name, value, version) VALUES ($1, $2, 1) "
    "ON CONFLICT (name) DO NOTHING";
constexpr const char* kReplaceValue =
    "UPDATE sealed_values SET value = $2, version = version + 1 WHERE name = $1 AND version = $3";
constexpr const char* kValueVersion = "SELECT version FROM sealed_values WHERE name = $1";
constexpr const char* kSelectNames = "SELECT name FROM sealed_values ORDER BY name";

Status CheckName(std::string_view name) {
  if (name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "a sealed value needs a name", "name");
  }
  return Ok{};
}

class PostgresSealedValueStore final : public SealedValueStore {
 public:
  explicit PostgresSealedValueStore(ConnectionPool& pool) : pool_(pool) {}

  Result<std::optional<Versioned<std::string>>> Get(std::string_view name) override {
    if (Status s = CheckName(name); !s) return s.error();
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(kSelectValue);
    if (!select) return select.error();
    select->Bind(1, name);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<Versioned<std::string>>();
    return std::optional<Versioned<std::string>>(
        Versioned<std::string>{.value = select->Blob(0), .version = select->Int(1)});
  }

  Result<int64_t> Put(std::string_view name, std::string_view bytes,
                      int64_t expected_version) override {
    if (Status s = CheckName(name); !s) return s.error();
    if (expected_version < 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "expected_version is 0 (create) or the version read", "expected_version");
    }
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    if (expected_version == 0) {
      Result<Statement> insert = db.Prepare(kInsertValue);
      if (!insert) return insert.error();
      insert->Bind(1, name);
      insert->BindBlob(2, bytes);
      if (Status s = insert->Run(); !s) return s.error();
      if (db.changes() == 0) {
        return MakeError(ErrorCode::kAlreadyExists,
                         fmt::format("sealed value \"{}\" already exists", name), "name");
      }
    } else {
      Result<Statement> replace = db.Prepare(kReplaceValue);
      if (!replace) return replace.error();
      replace->Bind(1, name);
      replace->BindBlob(2, bytes);
      replace->Bind(3, expected_version);
      if (Status s = replace->Run(); !s) return s.error();
      if (db.changes() == 0) return Conflict(db, name, expected_version);
    }
    if (Status s = transaction->Commit(); !s) return s.error();
    return expected_version + 1;
  }

  Result<std::vector<std::string>> Names() override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(kSelectNames);
    if (!select) return select.error();
    std::vector<std::string> names;
    for (;;) {
      Result<bool> row = select->Step();
      if (!row) return row.error();
      if (!*row) return names;
      names.push_back(select->Text(0));
    }
  }

 private:
  // Why a guarded replace changed nothing: the value is gone, or its version moved on.
  static Error Conflict(Connection& db, std::string_view name, int64_t expected_version) {
    Result<Statement> version = db.Prepare(kValueVersion);
    if (!version) return version.error();
    version->Bind(1, name);
    Result<bool> row = version->Step();
    if (!row) return row.error();
    if (!*row) {
      return MakeError(ErrorCode::kNotFound, fmt::format("there is no sealed value \"{}\"", name),
                       "name");
    }
    return MakeError(ErrorCode::kAborted,
                     fmt::format("sealed value \"{}\" changed (version {}, not {}); read it "
                                 "again and retry",
                                 name, version->Int(0), expected_version),
                     "expected_version");
  }

  ConnectionPool& pool_;
};

}  // namespace

std::unique_ptr<SealedValueStore> MakeSealedValueStore(ConnectionPool& pool) {
  return std::make_unique<PostgresSealedValueStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal

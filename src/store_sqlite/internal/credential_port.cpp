#include <fmt/format.h>

#include <mutex>

#include "store_sqlite/internal/ports.hpp"

namespace groundcrew::store::sqlite::internal {
namespace {

#define GC_CREDENTIAL_COLUMNS "id, name, role, token_sha256, created_at, revoked_at"

constexpr const char* kInsertCredential =
    "INSERT INTO admin_credentials (" GC_CREDENTIAL_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kSelectCredentialByToken =
    "SELECT " GC_CREDENTIAL_COLUMNS " FROM admin_credentials WHERE token_sha256 = ?1";
constexpr const char* kListCredentials =
    "SELECT " GC_CREDENTIAL_COLUMNS " FROM admin_credentials ORDER BY name, id";
// Which unique key a new credential clashes with (name compares with the column's NOCASE).
constexpr const char* kCredentialClash =
    "SELECT max(id = ?1), max(name = ?2), max(token_sha256 = ?3) FROM admin_credentials "
    "WHERE id = ?1 OR name = ?2 OR token_sha256 = ?3";
// Revoking twice keeps the first time.
constexpr const char* kRevokeCredential =
    "UPDATE admin_credentials SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1";

#undef GC_CREDENTIAL_COLUMNS

Result<AdminCredential> ReadCredential(const Statement& row) {
  AdminCredential credential;
  credential.id = row.Text(0);
  credential.name = row.Text(1);
  const std::string role = row.Text(2);
  std::optional<CredentialRole> parsed = ParseCredentialRole(role);
  if (!parsed) {
    return MakeError(ErrorCode::kInternal,
                     fmt::format("credential {} has an unknown role '{}'", credential.id, role));
  }
  credential.role = *parsed;
  credential.token_sha256 = row.Text(3);
  credential.created_date_time = TimeAt(row, 4);
  credential.revoked_date_time = OptionalTimeAt(row, 5);
  return credential;
}

class SqliteCredentialStore final : public CredentialStore {
 public:
  explicit SqliteCredentialStore(Shared shared)
      : connection_(shared.connection), mutex_(shared.mutex) {}

  Status Create(const AdminCredential& credential) override {
    std::lock_guard lock(mutex_);
    Result<Transaction> transaction = Transaction::Begin(connection_);
    if (!transaction) return transaction.error();
    Result<Statement> insert = connection_.Prepare(kInsertCredential);
    if (!insert) return insert.error();
    insert->Bind(1, credential.id);
    insert->Bind(2, credential.name);
    insert->Bind(3, ToString(credential.role));
    insert->Bind(4, credential.token_sha256);
    insert->Bind(5, Seconds(credential.created_date_time));
    insert->Bind(6, Seconds(credential.revoked_date_time));
    if (Status s = insert->Run(); !s) {
      if (s.error().code == ErrorCode::kAlreadyExists) return Taken(credential);
      return s;
    }
    return transaction->Commit();
  }

  Result<std::optional<AdminCredential>> FindByTokenSha256(std::string_view token_sha256) override {
    std::lock_guard lock(mutex_);
    Result<Statement> select = connection_.Prepare(kSelectCredentialByToken);
    if (!select) return select.error();
    select->Bind(1, token_sha256);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<AdminCredential>();
    Result<AdminCredential> credential = ReadCredential(*select);
    if (!credential) return credential.error();
    return std::optional<AdminCredential>(std::move(*credential));
  }

  Result<std::vector<AdminCredential>> List() override {
    std::lock_guard lock(mutex_);
    Result<Statement> list = connection_.Prepare(kListCredentials);
    if (!list) return list.error();
    std::vector<AdminCredential> result;
    for (;;) {
      Result<bool> row = list->Step();
      if (!row) return row.error();
      if (!*row) break;
      Result<AdminCredential> credential = ReadCredential(*list);
      if (!credential) return credential.error();
      result.push_back(std::move(*credential));
    }
    return result;
  }

  Status Revoke(std::string_view id, core::Timestamp at) override {
    std::lock_guard lock(mutex_);
    Result<Transaction> transaction = Transaction::Begin(connection_);
    if (!transaction) return transaction.error();
    Result<Statement> revoke = connection_.Prepare(kRevokeCredential);
    if (!revoke) return revoke.error();
    revoke->Bind(1, id);
    revoke->Bind(2, Seconds(at));
    if (Status s = revoke->Run(); !s) return s;
    if (connection_.changes() == 0) {
      return MakeError(ErrorCode::kNotFound, fmt::format("no credential has id {}", id), "id");
    }
    return transaction->Commit();
  }

 private:
  // After a UNIQUE violation: which key? REQUIRES: mutex_ held.
  Error Taken(const AdminCredential& credential) {
    Result<Statement> clash = connection_.Prepare(kCredentialClash);
    if (!clash) return clash.error();
    clash->Bind(1, credential.id);
    clash->Bind(2, credential.name);
    clash->Bind(3, credential.token_sha256);
    Result<bool> row = clash->Step();
    if (!row) return row.error();
    if (*row && clash->Int(0) == 1) {
      return MakeError(ErrorCode::kAlreadyExists,
                       fmt::format("a credential with id {} already exists", credential.id), "id");
    }
    if (*row && clash->Int(1) == 1) {
      return MakeError(ErrorCode::kAlreadyExists,
                       fmt::format("a credential named '{}' already exists (names compare "
                                   "case-insensitively)",
                                   credential.name),
                       "name");
    }
    // Never echo the hash: it identifies a secret.
    return MakeError(ErrorCode::kAlreadyExists, "another credential has the same token",
                     "tokenSha256");
  }

  Connection& connection_;
  std::recursive_mutex& mutex_;
};

}  // namespace

std::unique_ptr<CredentialStore> MakeCredentialStore(Shared shared) {
  return std::make_unique<SqliteCredentialStore>(shared);
}

}  // namespace groundcrew::store::sqlite::internal

#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "core/model/ids.hpp"
#include "server/store/adapter_support.hpp"
#include "server/store/admin_account_store.hpp"
#include "server/store/audit_store.hpp"
#include "server/store/challenge_store.hpp"
#include "server/store/credential_store.hpp"
#include "server/store/device_store.hpp"
#include "server/store/device_trust_store.hpp"
#include "server/store/idempotency_store.hpp"
#include "server/store/inventory_store.hpp"
#include "server/store/lease_store.hpp"
#include "server/store/resource_store.hpp"
#include "server/store/sealed_value_store.hpp"
#include "server/store/session_store.hpp"
#include "server/store/token_store.hpp"
#include "server/store/types.hpp"
#include "server/store/user_credential_store.hpp"
#include "server/store_postgres/internal/connection.hpp"
#include "server/store_postgres/internal/pool.hpp"

// The PostgreSQL implementations of the store ports, and what they share. The rules are the
// SQLite adapter's (store_sqlite/internal/ports.hpp): each port method that writes holds the
// pool's writer (ConnectionPool::WriteGuard) for its whole duration and runs as one
// internal::Transaction, which nests (as a savepoint) in the one PostgresStore::Transact opened
// on the same thread. Each method that only reads takes a ConnectionPool::ReadLease: a reader
// connection outside the writer (one statement, or one read Transaction when it runs several),
// or the writer inside this thread's own Transact.
//
// PostgreSQL differences the ports handle:
// - After a statement fails inside a transaction, PostgreSQL refuses every further statement
//   until a rollback. A port that wants to look further after a failure (which unique key a new
//   row clashes with) inserts with ON CONFLICT DO NOTHING and looks when changes() == 0, or runs
//   the statement in a nested Transaction of its own.
// - Names compared ASCII case-insensitively use the collation gc_nocase (migration 1);
//   other text columns are COLLATE "C", so that orders match SQLite's BINARY whatever the
//   database's locale.
// - Times are bigint Unix seconds, as in SQLite; blobs are bytea; JSON text is text (cast to
//   jsonb where a query reads inside it).
namespace groundcrew::store::postgres::internal {

std::unique_ptr<DeviceStore> MakeDeviceStore(ConnectionPool& pool);
std::unique_ptr<ResourceStore> MakeResourceStore(ConnectionPool& pool);
std::unique_ptr<AuditStore> MakeAuditStore(ConnectionPool& pool);
std::unique_ptr<CredentialStore> MakeCredentialStore(ConnectionPool& pool);
std::unique_ptr<SessionStore> MakeSessionStore(ConnectionPool& pool);
std::unique_ptr<UserCredentialStore> MakeUserCredentialStore(ConnectionPool& pool);
std::unique_ptr<DeviceTrustStore> MakeDeviceTrustStore(ConnectionPool& pool);
std::unique_ptr<ChallengeStore> MakeChallengeStore(ConnectionPool& pool);
std::unique_ptr<TokenStore> MakeTokenStore(ConnectionPool& pool);
std::unique_ptr<IdempotencyStore> MakeIdempotencyStore(ConnectionPool& pool);
std::unique_ptr<InventoryStore> MakeInventoryStore(ConnectionPool& pool);
std::unique_ptr<AdminAccountStore> MakeAdminAccountStore(ConnectionPool& pool);
std::unique_ptr<ConsoleSessionStore> MakeConsoleSessionStore(ConnectionPool& pool);
std::unique_ptr<LeaseStore> MakeLeaseStore(ConnectionPool& pool);
std::unique_ptr<SealedValueStore> MakeSealedValueStore(ConnectionPool& pool);

/// The schema, in the numbered migrations' order (migrations.cpp): each part creates the tables
/// of the ports defined next to it.
extern const std::string_view kSchemaBase;      // 1: the gc_nocase collation
extern const std::string_view kSchemaCatalog;   // 2: devices, resources, audit, inventories
extern const std::string_view kSchemaSessions;  // 3: sessions, events, challenges, tokens,
                                                //    idempotency
extern const std::string_view kSchemaIdentity;  // 4: credentials, user credentials, device
                                                //    trust, admin accounts, console sessions
extern const std::string_view kSchemaShared;    // 5: leases, sealed values

using store::CheckLimit;
using store::JoinTimes;
using store::ParseSequenceCursor;
using store::ReadPage;
using store::Seconds;
using store::SplitTimes;

/// A column of Unix seconds as a Timestamp (NULL as nullopt for the optional form).
inline core::Timestamp TimeAt(const Statement& row, int column) {
  return core::Timestamp{std::chrono::seconds{row.Int(column)}};
}
inline std::optional<core::Timestamp> OptionalTimeAt(const Statement& row, int column) {
  if (row.IsNull(column)) return std::nullopt;
  return TimeAt(row, column);
}

}  // namespace groundcrew::store::postgres::internal

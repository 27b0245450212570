#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
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
#include "server/store_sqlite/internal/connection.hpp"
#include "server/store_sqlite/internal/pool.hpp"

// The SQLite implementations of the store ports, and what they share. Each port method that
// writes holds the pool's writer (ConnectionPool::WriteGuard) for its whole duration and runs as
// one internal::Transaction, which nests (as a savepoint) in the one SqliteStore::Transact opened
// on the same thread. Each method that only reads takes a ConnectionPool::ReadLease: a reader
// connection outside the writer (one statement, or one read Transaction when it runs several),
// or the writer inside this thread's own Transact.
namespace groundcrew::store::sqlite::internal {

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

}  // namespace groundcrew::store::sqlite::internal

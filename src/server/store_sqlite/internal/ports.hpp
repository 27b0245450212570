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
#include "server/store/admin_account_store.hpp"
#include "server/store/audit_store.hpp"
#include "server/store/challenge_store.hpp"
#include "server/store/credential_store.hpp"
#include "server/store/device_store.hpp"
#include "server/store/device_trust_store.hpp"
#include "server/store/idempotency_store.hpp"
#include "server/store/inventory_store.hpp"
#include "server/store/resource_store.hpp"
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

/// kInvalidArgument (field "limit") unless 1 <= page.limit <= kMaxPageSize.
[[nodiscard]] Status CheckLimit(const PageRequest& page);

/// A sequence cursor: "" is 0 (from the start), otherwise decimal digits of a non-negative
/// int64. kInvalidArgument (field "after") for anything else.
[[nodiscard]] Result<int64_t> ParseSequenceCursor(std::string_view after);

/// Reads one page of rows from `list`, a statement that was asked for `limit` + 1 rows (the
/// extra row only tells whether another page follows): each row through `read(statement)`, and,
/// when more rows follow, `next_after` = `cursor(last item)`.
template <class T, class Read, class Cursor>
Result<Page<T>> ReadPage(Statement& list, int limit, Read&& read, Cursor&& cursor) {
  Page<T> page;
  for (;;) {
    Result<bool> row = list.Step();
    if (!row) return row.error();
    if (!*row) break;
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_after = cursor(page.items.back());
      break;
    }
    page.items.push_back(read(list));
  }
  return page;
}

/// Sign-in failure times (UserCredential::recent_failures and the like) as comma-separated Unix
/// seconds ("" for none), and back (kInternal when the stored text is damaged).
std::string JoinTimes(const std::vector<core::Timestamp>& times);
[[nodiscard]] Result<std::vector<core::Timestamp>> SplitTimes(std::string_view text);

/// Timestamps are stored as Unix seconds; NULL for an unset optional.
inline int64_t Seconds(core::Timestamp t) { return t.time_since_epoch().count(); }
inline std::optional<int64_t> Seconds(const std::optional<core::Timestamp>& t) {
  if (!t) return std::nullopt;
  return Seconds(*t);
}
inline core::Timestamp TimeAt(const Statement& row, int column) {
  return core::Timestamp{std::chrono::seconds{row.Int(column)}};
}
inline std::optional<core::Timestamp> OptionalTimeAt(const Statement& row, int column) {
  if (row.IsNull(column)) return std::nullopt;
  return TimeAt(row, column);
}

}  // namespace groundcrew::store::sqlite::internal

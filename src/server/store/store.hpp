#pragma once

#include <functional>

#include "common/result.hpp"
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
#include "server/store/user_credential_store.hpp"

namespace groundcrew::store {

/// One database behind every port. Each port call is a transaction of its own, unless it is
/// made inside Transact(), which makes a use case's calls one transaction.
///
/// Thread-safety: may be called from several threads at once.
class Store {
 public:
  virtual ~Store() = default;

  virtual DeviceStore& devices() = 0;
  virtual ResourceStore& resources() = 0;
  virtual AuditStore& audit() = 0;
  virtual CredentialStore& credentials() = 0;
  virtual SessionStore& sessions() = 0;
  virtual UserCredentialStore& user_credentials() = 0;
  virtual DeviceTrustStore& device_trust() = 0;
  virtual ChallengeStore& challenges() = 0;
  virtual TokenStore& tokens() = 0;
  virtual IdempotencyStore& idempotency() = 0;
  virtual InventoryStore& inventories() = 0;
  virtual AdminAccountStore& admin_accounts() = 0;
  virtual ConsoleSessionStore& console_sessions() = 0;
  /// What the instances sharing one database coordinate through: who runs each leader-only
  /// job, and the values they must all read alike (keys the service seals itself).
  virtual LeaseStore& leases() = 0;
  virtual SealedValueStore& sealed_values() = 0;

  /// Runs `use_case` as one transaction: every port call it makes on this thread joins it. It
  /// commits when `use_case` returns Ok and rolls back (leaving the database as it was) when
  /// it returns an error, which Transact returns. A Transact inside a Transact joins the outer
  /// one (an inner error rolls back only the inner part; the outer use case decides). Likewise
  /// a port call that fails inside it undoes only its own changes. Other threads never see its
  /// changes before it commits: their writes wait until it ends (so `use_case` must not wait for
  /// another thread's store call), and their reads either wait too or, with adapters whose reads
  /// do not block on writes, see the database as last committed; a read that starts after the
  /// commit returned sees it.
  [[nodiscard]] virtual Status Transact(const std::function<Status()>& use_case) = 0;

  /// Calls `wake` (on a thread of the adapter's) soon after another process commits deployment
  /// events to this database, so that this process's live streams show them at once. Adapters
  /// whose database has one writer (SQLite: groundcrewd) never call it. Set once, before the
  /// store serves; `wake` must be quick and must outlive the store's use.
  virtual void OnEventsFromElsewhere(std::function<void()> wake) { (void)wake; }
};

}  // namespace groundcrew::store

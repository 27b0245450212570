#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "core/model/tenant.hpp"
#include "core/targeting/targeting.hpp"
#include "server/store/store.hpp"

namespace groundcrew::service {

/// A stored resource the catalog left out: its body does not decode (written by an older
/// version, or damaged), or it refers to a resource that was left out. The rest of the tenant
/// keeps serving; an admin reads the problem (GET /v1/catalog/problems) and deletes or rewrites
/// the resource by id.
struct CatalogProblem {
  store::ResourceKind kind = store::ResourceKind::kUser;
  std::string id;
  std::string name;
  std::string reason;  ///< e.g. "the stored body does not decode: settings: nests deeper ..."
};

/// The tenant as targeting sees it at one catalog generation, compiled. Immutable; shared.
struct Snapshot {
  int64_t generation = 0;
  std::shared_ptr<const core::TargetingIndex> index;
  std::vector<CatalogProblem> problems;  ///< what the tenant left out, by kind then id
  const core::Tenant& tenant() const { return index->tenant(); }
};

/// The catalog as stored, read into a core::Tenant, and what had to be left out.
struct LoadedTenant {
  core::Tenant tenant;
  std::vector<CatalogProblem> problems;
};

/// Reads the whole catalog into a core::Tenant. A resource that does not decode is left out
/// and reported, and so is, in turn, every resource that refers to one left out (an assignment
/// of it, an app depending on it, a profile targeting a group left out); a tenant's
/// mfaGroupIds drops groups left out. With `check_rules`, a dynamic group whose stored rule
/// does not compile is left out too (compiling every rule twice is what Compile would do; the
/// catalog asks for it only when the tenant failed to compile). Errors only when the store
/// cannot be read.
[[nodiscard]] Result<LoadedTenant> LoadTenant(store::ResourceStore& resources,
                                              bool check_rules = false);

/// Orders every list of the tenant by id, as LoadTenant returns them (so that a tenant edited in
/// memory compiles exactly like the same tenant loaded from the store).
void SortById(core::Tenant& tenant);

/// Compiles a tenant and checks what targeting alone does not: references from the tenant's
/// mfaGroupIds, from ESP profiles' blocking lists and from app dependencies, at most one default
/// ESP and one default deployment profile. kInvalidArgument names the resource and field.
[[nodiscard]] Result<std::shared_ptr<const core::TargetingIndex>> Compile(core::Tenant tenant);

/// The current snapshot, rebuilt only when the catalog's generation moved. Thread-safe.
class Catalog {
 public:
  explicit Catalog(store::Store& store) : store_(store) {}

  /// The snapshot of the catalog as committed now: every committed change is visible to the
  /// next call (there is no background refresh). Must not be called inside Store::Transact
  /// (uncommitted changes must not be cached); use cases that write compile their own tenant.
  [[nodiscard]] Result<std::shared_ptr<const Snapshot>> Current();

  /// Drops the cached snapshot, so the next read loads the catalog as committed. For a caller
  /// whose transaction rolled back after a use case inside it published.
  void Forget();

  /// The resources the current snapshot left out (see LoadTenant), by kind then id.
  [[nodiscard]] Result<std::vector<CatalogProblem>> Problems();

  /// Inside Store::Transact, before this use case writes: the tenant as it is committed (a
  /// copy of the cached snapshot's when its generation is current, else loaded).
  [[nodiscard]] Result<core::Tenant> TenantForUpdate();

  /// After a use case committed: offers the index it compiled for the catalog at `generation`
  /// (read inside its transaction after its writes), so the next read need not rebuild it.
  /// Ignored when the cache already holds that generation or a newer one, and when no snapshot
  /// without problems is cached (the next read then loads).
  void Publish(int64_t generation, std::shared_ptr<const core::TargetingIndex> index);

 private:
  store::Store& store_;
  std::mutex mutex_;
  std::shared_ptr<const Snapshot> cached_;
};

}  // namespace groundcrew::service

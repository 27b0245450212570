#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "common/result.hpp"
#include "core/model/tenant.hpp"
#include "core/targeting/targeting.hpp"
#include "store/store.hpp"

namespace groundcrew::service {

/// The tenant as targeting sees it at one catalog generation, compiled. Immutable; shared.
struct Snapshot {
  int64_t generation = 0;
  std::shared_ptr<const core::TargetingIndex> index;
  const core::Tenant& tenant() const { return index->tenant(); }
};

/// Reads the whole catalog into a core::Tenant.
[[nodiscard]] Result<core::Tenant> LoadTenant(store::ResourceStore& resources);

/// Compiles a tenant and checks what targeting alone does not: references from ESP profiles'
/// blocking lists and from app dependencies, at most one default ESP and one default deployment
/// profile. kInvalidArgument names the resource and field.
[[nodiscard]] Result<std::shared_ptr<const core::TargetingIndex>> Compile(core::Tenant tenant);

/// The current snapshot, rebuilt only when the catalog's generation moved. Thread-safe.
class Catalog {
 public:
  explicit Catalog(store::Store& store) : store_(store) {}

  /// The snapshot of the catalog as committed now: every committed change is visible to the
  /// next call (there is no background refresh). Must not be called inside Store::Transact
  /// (uncommitted changes must not be cached); use cases that write compile their own tenant.
  [[nodiscard]] Result<std::shared_ptr<const Snapshot>> Current();

 private:
  store::Store& store_;
  std::mutex mutex_;
  std::shared_ptr<const Snapshot> cached_;
};

}  // namespace groundcrew::service

#pragma once

#include <cstdint>
#include <string>

#include "common/result.hpp"
#include "core/model/ids.hpp"
#include "server/store/types.hpp"

namespace groundcrew::store {

/// One admin change: who did what to which resource, when.
struct AuditEntry {
  int64_t sequence = 0;  ///< assigned by the store, increasing; 0 before Append
  core::Timestamp at{};
  std::string actor;          ///< the credential's name, e.g. "admin"
  std::string action;         ///< "create", "update", "delete", "import", "reprovision", ...
  std::string resource_kind;  ///< "groups", "autopilotDevices", "tenant", "credentials", ...
  std::string resource_id;
  std::string resource_name;
  std::string detail;  ///< JSON object with what changed; never secrets
};

/// Which entries List returns; empty fields do not filter.
struct AuditFilter {
  std::string actor = {};          ///< ASCII case-insensitive
  std::string resource_kind = {};  ///< exact
};

/// The append-only audit log.
class AuditStore {
 public:
  virtual ~AuditStore() = default;

  /// Appends `entry` (its sequence is ignored) and returns it with its sequence.
  [[nodiscard]] virtual Result<AuditEntry> Append(const AuditEntry& entry) = 0;

  /// Entries matching `filter` in sequence order, newest last; `page.after` is a sequence in
  /// decimal ("" = from the start). kInvalidArgument for a malformed `after` or a limit outside
  /// 1..kMaxPageSize.
  [[nodiscard]] virtual Result<Page<AuditEntry>> List(const AuditFilter& filter,
                                                      const PageRequest& page) = 0;
  /// Every entry: List with no filter.
  [[nodiscard]] Result<Page<AuditEntry>> List(const PageRequest& page) {
    return List(AuditFilter{}, page);
  }
};

}  // namespace groundcrew::store

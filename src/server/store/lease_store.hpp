#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/model/ids.hpp"

namespace groundcrew::store {

/// A named lease: who runs a leader-only job (the token and nonce sweeps, key rotation) among
/// the groundcrewd instances sharing one database, and until when.
struct Lease {
  std::string name;    ///< the job, e.g. "sweep.tokens"
  std::string holder;  ///< the instance holding it (its instance id)
  core::Timestamp expires_at{};
};

/// Persistence for leases, so that exactly one instance does each leader-only job: an instance
/// runs the job only while TryAcquire says it holds the lease, and renews it (TryAcquire again)
/// well before it expires. A holder that dies loses its lease when the ttl runs out; another
/// instance then takes it over. Times are whole seconds, compared with the `now` each caller
/// passes: the instances' clocks must agree to well within a ttl.
///
/// Thread-safety: implementations may be called from several threads (and instances) at once.
class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  /// Makes `holder` hold `name` until now + ttl, and returns true, when the lease is free,
  /// expired at `now` (expires_at <= now), or already held by `holder` (a renewal: the expiry
  /// becomes now + ttl). Returns false, changing nothing, while another holder's lease stands.
  /// Atomic: of callers racing for one lease, exactly one gets true. kInvalidArgument (field
  /// "name", "holder" or "ttl") for an empty name or holder, or a ttl <= 0.
  [[nodiscard]] virtual Result<bool> TryAcquire(std::string_view name, std::string_view holder,
                                                core::Timestamp now, std::chrono::seconds ttl) = 0;

  /// Frees `name` when `holder` holds it (expired or not), so that another instance may take it
  /// at once; does nothing otherwise (another holder's lease stays). kInvalidArgument (field
  /// "name" or "holder") when either is empty.
  [[nodiscard]] virtual Status Release(std::string_view name, std::string_view holder) = 0;

  /// The lease as stored, expired or not (compare expires_at with the time); nullopt when it
  /// is free. kInvalidArgument (field "name") when the name is empty.
  [[nodiscard]] virtual Result<std::optional<Lease>> Get(std::string_view name) = 0;
};

}  // namespace groundcrew::store

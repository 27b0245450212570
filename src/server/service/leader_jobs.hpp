#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "server/service/context.hpp"
#include "server/store/lease_store.hpp"

// The service's housekeeping when several instances share one store (PostgreSQL): jobs that
// one instance must do at a time (sweeping expired tokens, used nonces, console sessions and
// diagnostics archives; rotating the token signing key) run on the instance that holds the
// "leader" lease. The daemon calls RunIfLeader every `interval`; the lease lasts three
// intervals, so when the leader dies another instance takes over within that time, and a
// leader that is merely slow keeps it by renewing.
namespace groundcrew::service {

struct LeaderJob {
  std::string name;  ///< for logs and metrics: "sweepTokens", "rotateKeys"...
  std::function<Status()> run;
};

/// What one call did.
struct LeaderRound {
  bool leader = false;              ///< this instance holds the lease (and ran the jobs)
  std::vector<std::string> failed;  ///< jobs that returned an error, by name
};

class LeaderJobs {
 public:
  /// `holder`: this instance's name, unique among the instances (host, process, random part).
  LeaderJobs(store::LeaseStore& leases, Clock clock, std::string holder,
             std::chrono::seconds interval, std::vector<LeaderJob> jobs);

  /// Takes or renews the lease; when held, runs every job (each failure is reported, the rest
  /// still run). Errors: the lease store's (nothing ran).
  [[nodiscard]] Result<LeaderRound> RunIfLeader();

  /// Gives the lease up (at shutdown), so another instance takes over without waiting for it to
  /// expire.
  [[nodiscard]] Status Resign();

  const std::string& holder() const { return holder_; }
  std::chrono::seconds interval() const { return interval_; }

  static constexpr const char* kLeaseName = "leader";

 private:
  store::LeaseStore& leases_;
  Clock clock_;
  std::string holder_;
  std::chrono::seconds interval_;
  std::vector<LeaderJob> jobs_;
};

}  // namespace groundcrew::service

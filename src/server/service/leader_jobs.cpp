#include "server/service/leader_jobs.hpp"

#include <utility>

namespace groundcrew::service {

LeaderJobs::LeaderJobs(store::LeaseStore& leases, Clock clock, std::string holder,
                       std::chrono::seconds interval, std::vector<LeaderJob> jobs)
    : leases_(leases),
      clock_(std::move(clock)),
      holder_(std::move(holder)),
      interval_(interval),
      jobs_(std::move(jobs)) {}

Result<LeaderRound> LeaderJobs::RunIfLeader() {
  Result<bool> held = leases_.TryAcquire(kLeaseName, holder_, clock_(), interval_ * 3);
  if (!held) return held.error();
  LeaderRound round;
  round.leader = *held;
  if (!round.leader) return round;
  for (const LeaderJob& job : jobs_) {
    if (Status done = job.run(); !done) round.failed.push_back(job.name);
  }
  return round;
}

Status LeaderJobs::Resign() { return leases_.Release(kLeaseName, holder_); }

}  // namespace groundcrew::service

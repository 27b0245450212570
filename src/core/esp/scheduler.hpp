#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/esp/plan.hpp"

// Parallel installs where safe (DESIGN.md §4.10): items start when their dependencies have
// succeeded, at most one item per installer class runs at a time, and at most `max_concurrent`
// items run at all.
namespace groundcrew::core {

class InstallScheduler {
 public:
  enum class State { kPending, kRunning, kSucceeded, kFailed, kSkipped, kBlocked };

  /// Deferred items start out kSkipped and items with a plan_error kFailed. Dependencies that
  /// are not items of `plan` count as satisfied (they were installed earlier).
  /// REQUIRES: max_concurrent >= 1.
  InstallScheduler(const PhasePlan& plan, int max_concurrent);

  /// Items that may start now, in plan order; starting all of them respects every limit.
  std::vector<size_t> Startable() const;

  /// REQUIRES: `item` was returned by Startable() and not started since.
  void Start(size_t item);
  /// Records the end of a running item. A failure blocks every item that depends on it,
  /// directly or not (they end kBlocked without being attempted).
  void Finish(size_t item, bool succeeded);
  /// Puts a finished item back to kPending (Try again / Retry); blocked dependents too.
  void Reset(size_t item);

  State state(size_t item) const { return states_[item]; }
  size_t size() const { return states_.size(); }
  int running() const { return running_; }
  /// No item pending or running.
  bool Done() const;

 private:
  bool DependenciesMet(size_t item) const;
  bool ClassBusy(size_t item) const;

  std::vector<State> states_;
  std::vector<std::vector<size_t>> dependencies_;  // item -> items it waits for
  std::vector<std::string> classes_;
  int max_concurrent_;
  int running_ = 0;
};

std::string_view ToString(InstallScheduler::State state);

/// How long a phase takes with these install durations (seconds, parallel to plan.items):
/// `scheduled` simulates the scheduler (earliest-start, plan order); `critical_path` is the lower
/// bound no schedule can beat: the longest dependency chain, the busiest installer class, or the
/// total work divided by the concurrency limit, whichever is largest.
struct WallTimeEstimate {
  double scheduled = 0;
  double critical_path = 0;
};
WallTimeEstimate EstimateWallTime(const PhasePlan& plan, std::span<const double> durations,
                                  int max_concurrent);

}  // namespace groundcrew::core

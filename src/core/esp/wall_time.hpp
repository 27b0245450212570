#pragma once

#include <chrono>
#include <span>

#include "core/esp/plan.hpp"

namespace groundcrew::core {

/// How long a phase takes when every item succeeds after the given install duration (parallel to
/// plan.items), with at most `max_concurrent` items running (DESIGN.md §4.10).
/// - `scheduled`: what the ESP runtime actually does: a replay of the phase through the same
///   PhaseRun rules (ReadyItems: dependencies first, one item per installer class, the
///   concurrency limit), starting every ready item the moment it is ready. Phase and item time
///   limits are ignored: this is the wall time of a successful run.
/// - `critical_path`: the lower bound no schedule can beat: the longest dependency chain, the
///   busiest installer class, or the total work divided by `max_concurrent`, whichever is largest.
/// Both are zero when `durations` does not have one entry per item.
struct WallTimeEstimate {
  std::chrono::seconds scheduled{0};
  std::chrono::seconds critical_path{0};
};
WallTimeEstimate EstimateWallTime(const PhasePlan& plan,
                                  std::span<const std::chrono::seconds> durations,
                                  int max_concurrent);

/// The critical path alone (as WallTimeEstimate::critical_path) for durations in milliseconds:
/// what the fleet simulator compares a phase's measured wall time with. Zero when `durations`
/// does not have one entry per item.
std::chrono::milliseconds CriticalPath(const PhasePlan& plan,
                                       std::span<const std::chrono::milliseconds> durations,
                                       int max_concurrent);

}  // namespace groundcrew::core

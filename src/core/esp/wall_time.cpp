#include "core/esp/wall_time.hpp"

#include <algorithm>
#include <map>
#include <queue>
#include <unordered_map>

#include "core/esp/run.hpp"

namespace groundcrew::core {
namespace {

using std::chrono::seconds;

template <class Duration>
Duration LowerBound(const PhasePlan& plan, std::span<const Duration> durations,
                    int max_concurrent) {
  std::unordered_map<std::string, size_t> app_position;
  for (size_t i = 0; i < plan.items.size(); ++i) {
    if (plan.items[i].kind == ItemKind::kApp) app_position.emplace(plan.items[i].id, i);
  }
  std::vector<Duration> finish(plan.items.size());  // plan items come in dependency order
  Duration total{0}, chain{0};
  std::map<std::string, Duration> per_class;
  for (size_t i = 0; i < plan.items.size(); ++i) {
    const PlanItem& item = plan.items[i];
    Duration start{0};
    for (const std::string& dep : item.depends_on) {
      auto it = app_position.find(dep);
      if (it != app_position.end() && it->second < i) start = std::max(start, finish[it->second]);
    }
    finish[i] = start + durations[i];
    chain = std::max(chain, finish[i]);
    total += durations[i];
    if (item.kind == ItemKind::kApp && !item.installer_class.empty()) {
      per_class[item.installer_class] += durations[i];
    }
  }
  Duration busiest{0};
  for (const auto& [name, sum] : per_class) busiest = std::max(busiest, sum);
  const Duration spread{(total.count() + max_concurrent - 1) / max_concurrent};
  return std::max({chain, busiest, spread});
}

}  // namespace

WallTimeEstimate EstimateWallTime(const PhasePlan& plan, std::span<const seconds> durations,
                                  int max_concurrent) {
  WallTimeEstimate estimate;
  if (durations.size() != plan.items.size() || plan.items.empty()) return estimate;
  max_concurrent = std::max(1, max_concurrent);
  estimate.critical_path = LowerBound(plan, durations, max_concurrent);

  std::unordered_map<std::string, size_t> position;
  for (size_t i = 0; i < plan.items.size(); ++i) position.emplace(plan.items[i].id, i);
  // The replay sends no Tick events, so neither the phase clock nor item limits can fire.
  const Timestamp start{};
  auto run = StartPhase(NewPhaseRun(plan), start);
  if (!run) return estimate;
  using Running = std::pair<Timestamp, std::string>;  // (end, item id)
  std::priority_queue<Running, std::vector<Running>, std::greater<>> running;
  Timestamp now = start;
  for (;;) {
    for (const std::string& id : ReadyItems(*run, now, max_concurrent)) {
      auto started = Apply(*run, ItemStarted{id}, now);
      if (!started) return estimate;
      run = std::move(started);
      running.emplace(now + durations[position.at(id)], id);
    }
    if (running.empty()) break;
    auto [end, id] = running.top();
    running.pop();
    now = end;
    auto done = Apply(*run, ItemSucceeded{id}, now);
    if (!done) return estimate;
    run = std::move(done);
  }
  estimate.scheduled = now - start;
  return estimate;
}

std::chrono::milliseconds CriticalPath(const PhasePlan& plan,
                                       std::span<const std::chrono::milliseconds> durations,
                                       int max_concurrent) {
  if (durations.size() != plan.items.size() || plan.items.empty()) {
    return std::chrono::milliseconds{0};
  }
  return LowerBound(plan, durations, std::max(1, max_concurrent));
}

}  // namespace groundcrew::core

#include "core/esp/scheduler.hpp"

#include <algorithm>
#include <map>
#include <queue>
#include <unordered_map>

namespace groundcrew::core {

InstallScheduler::InstallScheduler(const PhasePlan& plan, int max_concurrent)
    : states_(plan.items.size(), State::kPending),
      dependencies_(plan.items.size()),
      max_concurrent_(std::max(1, max_concurrent)) {
  std::unordered_map<std::string, size_t> app_position;
  for (size_t i = 0; i < plan.items.size(); ++i) {
    const PlanItem& item = plan.items[i];
    if (item.kind == ItemKind::kApp) app_position.emplace(item.id, i);
    classes_.push_back(item.kind == ItemKind::kApp ? item.installer_class : std::string());
  }
  for (size_t i = 0; i < plan.items.size(); ++i) {
    for (const std::string& dep : plan.items[i].depends_on) {
      auto it = app_position.find(dep);
      if (it != app_position.end()) dependencies_[i].push_back(it->second);
    }
  }
  for (size_t i = 0; i < plan.items.size(); ++i) {
    if (plan.items[i].deferred) states_[i] = State::kSkipped;
    if (!plan.items[i].plan_error.empty()) Finish(i, false);
  }
}

bool InstallScheduler::DependenciesMet(size_t item) const {
  return std::all_of(dependencies_[item].begin(), dependencies_[item].end(),
                     [&](size_t dep) { return states_[dep] == State::kSucceeded; });
}

bool InstallScheduler::ClassBusy(size_t item) const {
  if (classes_[item].empty()) return false;
  for (size_t i = 0; i < states_.size(); ++i) {
    if (states_[i] == State::kRunning && classes_[i] == classes_[item]) return true;
  }
  return false;
}

std::vector<size_t> InstallScheduler::Startable() const {
  std::vector<size_t> out;
  int slots = max_concurrent_ - running_;
  std::vector<const std::string*> claimed;
  for (size_t i = 0; i < states_.size() && slots > 0; ++i) {
    if (states_[i] != State::kPending || !DependenciesMet(i) || ClassBusy(i)) continue;
    const bool class_taken =
        !classes_[i].empty() && std::any_of(claimed.begin(), claimed.end(), [&](const auto* c) {
          return *c == classes_[i];
        });
    if (class_taken) continue;
    claimed.push_back(&classes_[i]);
    out.push_back(i);
    --slots;
  }
  return out;
}

void InstallScheduler::Start(size_t item) {
  states_[item] = State::kRunning;
  ++running_;
}

void InstallScheduler::Finish(size_t item, bool succeeded) {
  if (states_[item] == State::kRunning) --running_;
  states_[item] = succeeded ? State::kSucceeded : State::kFailed;
  if (succeeded) return;
  // Block everything downstream. Items are few (a phase holds tens to hundreds), so a fixpoint
  // over the dependency lists is simpler than keeping reverse edges.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < states_.size(); ++i) {
      if (states_[i] != State::kPending) continue;
      for (size_t dep : dependencies_[i]) {
        if (states_[dep] == State::kFailed || states_[dep] == State::kBlocked) {
          states_[i] = State::kBlocked;
          changed = true;
          break;
        }
      }
    }
  }
}

void InstallScheduler::Reset(size_t item) {
  if (states_[item] == State::kRunning) --running_;
  states_[item] = State::kPending;
  for (size_t i = 0; i < states_.size(); ++i) {
    if (states_[i] == State::kBlocked) states_[i] = State::kPending;
  }
  for (size_t i = 0; i < states_.size(); ++i) {  // re-block what still waits on failures
    if (states_[i] == State::kFailed) {
      const State keep = states_[i];
      Finish(i, false);
      states_[i] = keep;
    }
  }
}

bool InstallScheduler::Done() const {
  return std::none_of(states_.begin(), states_.end(), [](State s) {
    return s == State::kPending || s == State::kRunning;
  });
}

std::string_view ToString(InstallScheduler::State state) {
  switch (state) {
    case InstallScheduler::State::kPending: return "pending";
    case InstallScheduler::State::kRunning: return "running";
    case InstallScheduler::State::kSucceeded: return "succeeded";
    case InstallScheduler::State::kFailed: return "failed";
    case InstallScheduler::State::kSkipped: return "skipped";
    case InstallScheduler::State::kBlocked: return "blocked";
  }
  return "unknown";
}

WallTimeEstimate EstimateWallTime(const PhasePlan& plan, std::span<const double> durations,
                                  int max_concurrent) {
  WallTimeEstimate estimate;
  const size_t n = plan.items.size();
  if (n == 0 || durations.size() != n) return estimate;

  // Lower bounds.
  std::unordered_map<std::string, size_t> app_position;
  for (size_t i = 0; i < n; ++i) {
    if (plan.items[i].kind == ItemKind::kApp) app_position.emplace(plan.items[i].id, i);
  }
  std::vector<double> finish(n, 0);  // items are in dependency order
  double total = 0, chain = 0;
  std::map<std::string, double> per_class;
  for (size_t i = 0; i < n; ++i) {
    double start = 0;
    for (const std::string& dep : plan.items[i].depends_on) {
      auto it = app_position.find(dep);
      if (it != app_position.end() && it->second < i) start = std::max(start, finish[it->second]);
    }
    finish[i] = start + durations[i];
    chain = std::max(chain, finish[i]);
    total += durations[i];
    const PlanItem& item = plan.items[i];
    if (item.kind == ItemKind::kApp && !item.installer_class.empty()) {
      per_class[item.installer_class] += durations[i];
    }
  }
  double busiest = 0;
  for (const auto& [name, sum] : per_class) busiest = std::max(busiest, sum);
  estimate.critical_path =
      std::max({chain, busiest, total / static_cast<double>(std::max(1, max_concurrent))});

  // Simulation: event-driven, starting whatever the scheduler allows whenever an item ends.
  InstallScheduler scheduler(plan, max_concurrent);
  using Running = std::pair<double, size_t>;  // (end time, item)
  std::priority_queue<Running, std::vector<Running>, std::greater<>> running;
  double now = 0;
  for (;;) {
    for (size_t i : scheduler.Startable()) {
      scheduler.Start(i);
      running.emplace(now + durations[i], i);
    }
    if (running.empty()) break;
    const auto [end, item] = running.top();
    running.pop();
    now = end;
    scheduler.Finish(item, true);
  }
  estimate.scheduled = now;
  return estimate;
}

}  // namespace groundcrew::core

// Microbenchmarks for the DESIGN.md §5 targets that the pure core alone decides.
// Run: make bench (or build/release/bench/gc_core_bench). Figures: docs/performance.md.
#include <benchmark/benchmark.h>

#include <random>
#include <thread>

#include "bench/fixtures.hpp"
#include "core/esp/plan.hpp"
#include "core/esp/wall_time.hpp"
#include "core/rules/rule.hpp"
#include "core/rules/rule_set.hpp"
#include "core/rules/subject.hpp"
#include "core/targeting/targeting.hpp"

namespace groundcrew::bench {
namespace {
namespace rules = core::rules;

rules::RuleSet CompileAll(const std::vector<std::string>& texts) {
  std::vector<std::pair<uint32_t, rules::CompiledRule>> compiled;
  for (uint32_t i = 0; i < texts.size(); ++i) {
    auto rule = rules::CompileRule(texts[i]);
    if (!rule) std::abort();
    compiled.emplace_back(i, std::move(*rule));
  }
  return rules::RuleSet(std::move(compiled));
}

// Memberships of `fleet[begin, end)`; returns the number of (device, group) pairs.
size_t EvaluateRange(const rules::RuleSet& set, const std::vector<core::DirectoryDevice>& fleet,
                     size_t begin, size_t end) {
  std::vector<uint32_t> matched;
  matched.reserve(64);
  size_t pairs = 0;
  for (size_t i = begin; i < end; ++i) {
    matched.clear();
    rules::DeviceAttributes attributes(fleet[i], {});
    set.Match(attributes.subject(), matched);
    pairs += matched.size();
  }
  return pairs;
}

// DESIGN.md §5: 1,000 rules over 1,000,000 devices fully evaluated in < 5 s (2 cores).
// Args: devices, rules, threads. One iteration evaluates every rule set membership of every device.
void BM_RuleEvaluation(benchmark::State& state) {
  const auto fleet = Fleet(static_cast<int>(state.range(0)), 900);
  const auto set = CompileAll(DeviceRules(static_cast<int>(state.range(1))));
  const int threads = static_cast<int>(state.range(2));
  size_t pairs = 0;
  for (auto _ : state) {
    std::vector<std::thread> workers;
    std::vector<size_t> counts(threads);
    const size_t chunk = fleet.size() / threads;
    for (int t = 0; t < threads; ++t) {
      const size_t begin = t * chunk, end = t + 1 == threads ? fleet.size() : begin + chunk;
      workers.emplace_back(
          [&, t, begin, end] { counts[t] = EvaluateRange(set, fleet, begin, end); });
    }
    for (auto& w : workers) w.join();
    pairs = 0;
    for (size_t c : counts) pairs += c;
  }
  state.counters["devices/s"] = benchmark::Counter(static_cast<double>(fleet.size()),
                                                   benchmark::Counter::kIsIterationInvariantRate);
  state.counters["memberships"] = static_cast<double>(pairs);
  state.counters["unindexed"] = static_cast<double>(set.unindexed_count());
}
BENCHMARK(BM_RuleEvaluation)
    ->ArgNames({"devices", "rules", "threads"})
    ->Args({10'000, 1000, 1})
    ->Args({100'000, 1000, 1})
    ->Args({1'000'000, 1000, 1})
    ->Args({1'000'000, 1000, 2})
    ->Args({100'000, 100, 1})
    ->Args({100'000, 10'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// DESIGN.md §5: one device's memberships recomputed after a change in < 50 µs with 1,000 rules.
void BM_OneDeviceMemberships(benchmark::State& state) {
  const int groups = static_cast<int>(state.range(0));
  auto index = core::TargetingIndex::Build(LargeTenant(groups, groups));
  if (!index) std::abort();
  auto fleet = Fleet(1000, 900);
  size_t i = 0;
  for (auto _ : state) {
    core::DirectoryDevice& device = fleet[i++ % fleet.size()];
    device.device_physical_ids[1] = "[OrderID]:Tag" + std::to_string(i % 900);  // the change
    benchmark::DoNotOptimize((*index)->DeviceGroups(device));
  }
}
BENCHMARK(BM_OneDeviceMemberships)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

// DESIGN.md §5: one device's complete plan (1,000 groups, 10,000 assignments) in < 100 µs.
// Args: groups, assignments.
void BM_DevicePlan(benchmark::State& state) {
  auto index = core::TargetingIndex::Build(
      LargeTenant(static_cast<int>(state.range(0)), static_cast<int>(state.range(1))));
  if (!index) std::abort();
  auto fleet = Fleet(1000, 900);
  core::AutopilotDeviceIdentity registration;
  size_t items = 0, i = 0;
  for (auto _ : state) {
    core::PlanRequest request;
    request.flow = core::Flow::kTechnician;
    request.device = &fleet[i++ % fleet.size()];
    request.registration = &registration;
    auto plan = core::BuildEspPlan(**index, request);
    items = plan->device_setup.items.size();
    benchmark::DoNotOptimize(plan);
  }
  state.counters["items"] = static_cast<double>(items);
}
BENCHMARK(BM_DevicePlan)
    ->Args({100, 1000})
    ->Args({1000, 10000})
    ->Args({10000, 100000})
    ->Unit(benchmark::kMicrosecond);

// Building the targeting index (compiling every rule, grouping assignments).
void BM_BuildIndex(benchmark::State& state) {
  const auto tenant =
      LargeTenant(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  for (auto _ : state) {
    auto index = core::TargetingIndex::Build(tenant);
    benchmark::DoNotOptimize(index);
  }
}
BENCHMARK(BM_BuildIndex)->Args({1000, 10000})->Unit(benchmark::kMillisecond);

// DESIGN.md §5: ESP wall time <= 1.05 x the critical path of the item graph under the
// concurrency limit. A 50-item phase (8 installer classes, some dependencies, install times of
// 10 s to 10 min) replayed through the ESP runtime; "ratio" is scheduled / critical path,
// averaged over 20 random graphs. Args: items, max concurrent installs.
void BM_EspWallTime(benchmark::State& state) {
  const int items = static_cast<int>(state.range(0));
  const int concurrency = static_cast<int>(state.range(1));
  std::mt19937 rng(42);
  std::vector<std::pair<core::PhasePlan, std::vector<std::chrono::seconds>>> graphs;
  for (int g = 0; g < 20; ++g) {
    core::PhasePlan plan;
    std::vector<std::chrono::seconds> durations;
    for (int i = 0; i < items; ++i) {
      core::PlanItem item;
      item.id = "app-" + std::to_string(i);
      item.installer_class = "class-" + std::to_string(rng() % 8);
      if (i > 0 && rng() % 4 == 0) item.depends_on = {"app-" + std::to_string(rng() % i)};
      plan.items.push_back(std::move(item));
      durations.emplace_back(10 + rng() % 590);
    }
    graphs.emplace_back(std::move(plan), std::move(durations));
  }
  double ratio = 0;
  for (auto _ : state) {
    ratio = 0;
    for (const auto& [plan, durations] : graphs) {
      const auto estimate = core::EstimateWallTime(plan, durations, concurrency);
      ratio += static_cast<double>(estimate.scheduled.count()) / estimate.critical_path.count();
    }
    ratio /= static_cast<double>(graphs.size());
  }
  state.counters["ratio"] = ratio;
}
BENCHMARK(BM_EspWallTime)->Args({50, 4})->Args({50, 8})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace groundcrew::bench

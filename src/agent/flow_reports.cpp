#include "agent/flow_reports.hpp"

#include <map>

#include "core/esp/run.hpp"

namespace groundcrew::agent {
namespace {

namespace json = boost::json;

template <class State>
std::vector<FlowReport> Transition(const State& before, const State& after) {
  std::vector<FlowReport> out;
  auto report = [&out](std::string kind, json::object detail) {
    out.push_back({std::move(kind), std::move(detail)});
  };
  if (before.screen != after.screen) {
    report("screen", {{"screen", core::ToString(after.screen)}});
  }
  // Phase starts come before the items' events, phase ends after them.
  auto phases = [&](bool starting) {
    for (core::EspPhase phase : {core::EspPhase::kDevicePreparation, core::EspPhase::kDeviceSetup,
                                 core::EspPhase::kAccountSetup}) {
      const core::PhaseStatus was = core::PhaseStatusOf(before, phase);
      const core::PhaseStatus is = core::PhaseStatusOf(after, phase);
      if (was == is) continue;
      const std::string name(core::ToString(phase));
      if (starting) {
        // Also a phase that ended as it started (nothing to do): its run has a start too.
        if (is == core::PhaseStatus::kInProgress || was == core::PhaseStatus::kNotStarted) {
          report("phaseStarted", {{"phase", name}});
        }
        continue;
      }
      if (is == core::PhaseStatus::kComplete) report("phaseCompleted", {{"phase", name}});
      if (is == core::PhaseStatus::kFailed) {
        json::object detail{{"phase", name}};
        for (const core::PhaseRun* run : PhaseRuns(after)) {
          if (run->phase == phase && run->failure) {
            detail["code"] = core::FormatErrorCode(run->failure->code);
            detail["message"] = run->failure->message;
          }
        }
        report("phaseFailed", std::move(detail));
      }
    }
  };
  phases(true);
  std::map<std::string, const core::ItemRun*> previous;
  for (const core::PhaseRun* run : PhaseRuns(before)) {
    for (const core::ItemRun& item : run->items) {
      previous[std::string(core::ToString(run->phase)) + "/" + item.plan.id] = &item;
    }
  }
  for (const core::PhaseRun* run : PhaseRuns(after)) {
    const std::string phase(core::ToString(run->phase));
    for (const core::ItemRun& item : run->items) {
      auto it = previous.find(phase + "/" + item.plan.id);
      const bool changed = it == previous.end() || it->second->status != item.status ||
                           it->second->attempt != item.attempt;
      if (!changed) continue;
      json::object detail{{"phase", phase}, {"id", item.plan.id},
                          {"displayName", item.plan.display_name}};
      switch (item.status) {
        case core::ItemStatus::kInProgress:
          detail["attempt"] = item.attempt;
          report("itemStarted", std::move(detail));
          break;
        case core::ItemStatus::kSucceeded:
          report("itemSucceeded", std::move(detail));
          break;
        case core::ItemStatus::kFailed:
          detail["code"] = core::FormatErrorCode(item.code);
          detail["message"] = item.message;
          report("itemFailed", std::move(detail));
          break;
        case core::ItemStatus::kTimedOut:
          report("itemTimedOut", std::move(detail));
          break;
        case core::ItemStatus::kNotAttempted:
          report("itemNotAttempted", std::move(detail));
          break;
        case core::ItemStatus::kWaiting:
        case core::ItemStatus::kDeferred:
          break;
      }
    }
  }

  phases(false);
  return out;
}

}  // namespace

std::vector<FlowReport> TransitionReports(const core::TechnicianState& before,
                                          const core::TechnicianState& after) {
  return Transition(before, after);
}

std::vector<FlowReport> TransitionReports(const core::UserState& before,
                                          const core::UserState& after) {
  return Transition(before, after);
}

std::vector<const core::PhaseRun*> PhaseRuns(const core::TechnicianState& state) {
  std::vector<const core::PhaseRun*> runs{&state.preparation};
  if (state.device_setup) runs.push_back(&*state.device_setup);
  return runs;
}

std::vector<const core::PhaseRun*> PhaseRuns(const core::UserState& state) {
  std::vector<const core::PhaseRun*> runs;
  if (state.device_setup) runs.push_back(&*state.device_setup);
  if (state.account_setup) runs.push_back(&*state.account_setup);
  return runs;
}

}  // namespace groundcrew::agent

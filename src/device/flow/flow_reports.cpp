#include "device/flow/flow_reports.hpp"

#include <map>

#include "core/esp/run.hpp"
#include "wire/inventory_json.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::device {
namespace {

namespace json = boost::json;

template <class State>
std::vector<FlowReport> Transition(const State& before, const State& after) {
  std::vector<FlowReport> out;
  auto report = [&out](std::string kind, json::object detail) {
    out.push_back({std::move(kind), std::move(detail)});
  };
  if (before.screen != after.screen) {
    report("screen", {{"screen", wire::ScreenName(after.screen)}});
  }
  // Phase starts come before the items' events, phase ends after them.
  auto phases = [&](bool starting) {
    for (core::EspPhase phase : {core::EspPhase::kDevicePreparation, core::EspPhase::kDeviceSetup,
                                 core::EspPhase::kAccountSetup}) {
      const core::PhaseStatus was = core::PhaseStatusOf(before, phase);
      const core::PhaseStatus is = core::PhaseStatusOf(after, phase);
      if (was == is) continue;
      const std::string name(wire::PhaseName(phase));
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
        for (const core::PhaseRun* run : core::PhaseRuns(after)) {
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
  for (const core::PhaseRun* run : core::PhaseRuns(before)) {
    for (const core::ItemRun& item : run->items) {
      previous[std::string(wire::PhaseName(run->phase)) + "/" + item.plan.id] = &item;
    }
  }
  for (const core::PhaseRun* run : core::PhaseRuns(after)) {
    const std::string phase(wire::PhaseName(run->phase));
    for (const core::ItemRun& item : run->items) {
      auto it = previous.find(phase + "/" + item.plan.id);
      const bool changed = it == previous.end() || it->second->status != item.status ||
                           it->second->attempt != item.attempt;
      if (!changed) continue;
      json::object detail{
          {"phase", phase}, {"id", item.plan.id}, {"displayName", item.plan.display_name}};
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

namespace {

template <class State, class Event>
Result<Advanced<State>> AdvanceFlow(const State& state, const Event& event, core::Timestamp now) {
  GC_ASSIGN_OR_RETURN(State next, core::Apply(state, event, now));
  std::vector<FlowReport> reports = Transition(state, next);
  return Advanced<State>{std::move(next), std::move(reports)};
}

}  // namespace

Result<Advanced<core::TechnicianState>> Advance(const core::TechnicianState& state,
                                                const core::TechnicianEvent& event,
                                                core::Timestamp now) {
  return AdvanceFlow(state, event, now);
}

Result<Advanced<core::UserState>> Advance(const core::UserState& state,
                                          const core::UserEvent& event, core::Timestamp now) {
  return AdvanceFlow(state, event, now);
}

FlowReport FlowFinished(core::DeploymentState state) {
  return {"flowFinished", {{"deploymentState", core::ToString(state)}}};
}

FlowReport ComplianceAtStart() {
  return {"compliance",
          {{"when", "before"},
           {"state", core::ToString(core::ResetAtUserFlowStart().state)},
           {"findings", json::array()}}};
}

bool ComplianceDue(const core::UserState& state) {
  return state.compliance.state == core::ComplianceState::kUnknown &&
         state.compliance.note != "evaluated";
}

ComplianceCheck CheckCompliance(const json::array& policies, const core::DeviceFacts& facts) {
  std::vector<core::CompliancePolicy> decoded;
  for (const json::value& p : policies) {
    core::CompliancePolicy policy;
    if (wire::Decode(p, policy)) decoded.push_back(std::move(policy));
  }
  ComplianceCheck check{core::EvaluateCompliance(decoded, facts), {}};
  json::array findings;
  for (const core::ComplianceFinding& f : check.result.findings) {
    findings.push_back({{"policy", f.policy},
                        {"setting", f.setting},
                        {"expected", f.expected},
                        {"actual", f.actual}});
  }
  check.report = {"compliance",
                  {{"when", "after"},
                   {"state", core::ToString(check.result.state)},
                   {"findings", std::move(findings)}}};
  if (check.result.state == core::ComplianceState::kUnknown) check.result.note = "evaluated";
  return check;
}

json::object SessionOpening(std::string_view flow, std::string_view user_principal_name,
                            core::Timestamp started) {
  return {{"flow", flow},
          {"userPrincipalName", user_principal_name},
          {"startedDateTime", wire::FormatTimestamp(started)}};
}

json::object SessionEvent(std::string_view idempotency_key, core::Timestamp at,
                          const FlowReport& report) {
  return {{"idempotencyKey", idempotency_key},
          {"at", wire::FormatTimestamp(at)},
          {"kind", report.kind},
          {"detail", report.detail}};
}

json::object SessionFinish(std::string_view deployment_state, core::Timestamp finished,
                           std::optional<std::vector<core::InstalledItem>> inventory) {
  return wire::Encode(
      wire::SessionFinish{std::string(deployment_state), finished, std::move(inventory)});
}

}  // namespace groundcrew::device

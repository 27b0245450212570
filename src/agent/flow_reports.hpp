#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "core/flow/technician_flow.hpp"
#include "core/flow/user_flow.hpp"

// What a device tells the service about its flows (docs/device-api.md, "Sessions and events"):
// the reports one transition of a flow makes. The agent and the fleet simulator both derive
// their reports here, so the service sees the same events from a real and a simulated device.
namespace groundcrew::agent {

/// One report: its kind ("screen", "phaseStarted", "itemStarted", "itemSucceeded",
/// "itemFailed", "itemTimedOut", "itemNotAttempted", "phaseCompleted", "phaseFailed") and its
/// detail object.
struct FlowReport {
  std::string kind;
  boost::json::object detail;
};

/// The reports of the transition from `before` to `after`, in the order the service expects
/// them: the screen, then phase starts, then item changes (a new status or a new attempt), then
/// phase ends. Pure.
std::vector<FlowReport> TransitionReports(const core::TechnicianState& before,
                                          const core::TechnicianState& after);
std::vector<FlowReport> TransitionReports(const core::UserState& before,
                                          const core::UserState& after);

/// The phase runs a flow holds, in ESP order (Device preparation, Device setup, Account setup).
std::vector<const core::PhaseRun*> PhaseRuns(const core::TechnicianState& state);
std::vector<const core::PhaseRun*> PhaseRuns(const core::UserState& state);

}  // namespace groundcrew::agent

#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/compliance/compliance.hpp"
#include "core/flow/technician_flow.hpp"
#include "core/flow/user_flow.hpp"

// What a device tells the service about its flows (docs/device-api.md, "Sessions and events"):
// the reports one transition of a flow makes. The agent and the fleet simulator both derive
// their reports here, so the service sees the same events from a real and a simulated device.
namespace groundcrew::device {

/// How many reports a device sends in one POST .../sessions/{id}/events.
inline constexpr std::size_t kReportBatch = 100;

/// One report: its kind ("screen", "phaseStarted", "itemStarted", "itemSucceeded",
/// "itemFailed", "itemTimedOut", "itemNotAttempted", "itemDetected", "phaseCompleted",
/// "phaseFailed", "compliance", "flowFinished") and its detail object. Phases, screens and
/// states are spelled as wire/model_json.hpp's names.
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

/// A flow after one event: the new state and the reports of the transition.
template <class State>
struct Advanced {
  State state;
  std::vector<FlowReport> reports;
};

/// core::Apply of `event` at `now`, with the transition's reports. The one way a device moves
/// its flows, so that what it does and what it reports cannot diverge. core::Apply's errors.
[[nodiscard]] Result<Advanced<core::TechnicianState>> Advance(const core::TechnicianState& state,
                                                              const core::TechnicianEvent& event,
                                                              core::Timestamp now);
[[nodiscard]] Result<Advanced<core::UserState>> Advance(const core::UserState& state,
                                                        const core::UserEvent& event,
                                                        core::Timestamp now);

/// The flow's final report: `flowFinished` with the deployment state (Graph's spelling).
FlowReport FlowFinished(core::DeploymentState state);

// ---- Compliance ---------------------------------------------------------------------------

/// The report when the user flow starts: compliance is reset (core::ResetAtUserFlowStart).
FlowReport ComplianceAtStart();

/// Whether the desktop still waits for the compliance check (it runs once: an unknown result is
/// marked "evaluated").
bool ComplianceDue(const core::UserState& state);

/// The compliance check when the desktop appears: the deployment's compliance policies (JSON as
/// the service sent them; one that does not decode is left out) evaluated against the device's
/// facts, and its `compliance` report ("after", with the findings).
struct ComplianceCheck {
  core::ComplianceResult result;
  FlowReport report;
};
ComplianceCheck CheckCompliance(const boost::json::array& policies, const core::DeviceFacts& facts);

// ---- Sessions (docs/device-api.md, "Sessions and events") ---------------------------------

/// The body of PUT .../sessions/{id}: the flow ("technician" or "user"), the user (empty in the
/// technician flow) and when it started.
boost::json::object SessionOpening(std::string_view flow, std::string_view user_principal_name,
                                   core::Timestamp started);

/// One element of POST .../sessions/{id}/events: a report with its idempotency key and time.
boost::json::object SessionEvent(std::string_view idempotency_key, core::Timestamp at,
                                 const FlowReport& report);

/// The body of POST .../sessions/{id}/finish (wire::SessionFinish): how the flow ended and,
/// when given, the inventory the device has now (core::InventoryAfter), which the service keeps
/// and plans the user flow from.
boost::json::object SessionFinish(
    std::string_view deployment_state, core::Timestamp finished,
    std::optional<std::vector<core::InstalledItem>> inventory = std::nullopt);

}  // namespace groundcrew::device

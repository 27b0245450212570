#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "core/model/session.hpp"
#include "core/rules/explain.hpp"

// What the console's own endpoints answer (docs/admin-api.md "The console's endpoints"): a
// device's deployment summary in the device list, the dashboard, and rule validation.
namespace groundcrew::wire {

/// Adds "deploymentState", "lastDeploymentDateTime" (or null) and "lastFlow" (or null) to a
/// device as the list shows it.
void AddDeploymentSummary(const core::DeploymentSummary& summary, boost::json::object& device);

/// {"inProgress": [{"deviceId", "serialNumber", "deviceName", "flow", "phase",
/// "startedDateTime"}], "failedLast24Hours": [{"deviceId", "serialNumber", "deviceName", "flow",
/// "finishedDateTime", "errorMessage"}], "flows": {"technician": {"succeeded", "failed",
/// "successRate", "medianDurationSeconds"}, "user": {...}}, "waitingForUserFlow",
/// "generatedDateTime"}. Names, phases and messages that are empty are null, and so are the
/// rate and median of a flow with no finished session.
boost::json::object Encode(const core::DashboardFigures& figures);

/// One object a rule was validated against.
struct RuleSubjectOutcome {
  std::string id;
  std::string display_name;
  core::rules::RuleOutcome outcome;
};

/// {"results": [{"id", "displayName", "matches", "clauses": [{"expression", "matches",
/// "values"}]}]}.
boost::json::object Encode(const std::vector<RuleSubjectOutcome>& results);

}  // namespace groundcrew::wire

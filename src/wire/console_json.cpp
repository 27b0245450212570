#include "wire/console_json.hpp"

#include <boost/json/array.hpp>

#include "wire/model_json.hpp"

namespace groundcrew::wire {
namespace {

namespace json = boost::json;

json::value TextOrNull(const std::string& text) {
  return text.empty() ? json::value(nullptr) : json::value(text);
}

json::object Flow(const core::FlowFigures& flow) {
  const int64_t finished = flow.succeeded + flow.failed;
  json::object out{{"succeeded", flow.succeeded}, {"failed", flow.failed}};
  out["successRate"] =
      finished == 0
          ? json::value(nullptr)
          : json::value(static_cast<double>(flow.succeeded) / static_cast<double>(finished));
  out["medianDurationSeconds"] = flow.median_duration_seconds
                                     ? json::value(*flow.median_duration_seconds)
                                     : json::value(nullptr);
  return out;
}

}  // namespace

void AddDeploymentSummary(const core::DeploymentSummary& summary, json::object& device) {
  device["deploymentState"] = summary.deployment_state;
  device["lastDeploymentDateTime"] =
      summary.last_deployment_date_time
          ? json::value(FormatTimestamp(*summary.last_deployment_date_time))
          : json::value(nullptr);
  device["lastFlow"] = TextOrNull(summary.last_flow);
}

json::object Encode(const core::DashboardFigures& figures) {
  json::array in_progress;
  for (const core::DashboardSession& listed : figures.in_progress) {
    in_progress.push_back(
        json::object{{"deviceId", listed.session.device_id},
                     {"serialNumber", listed.serial_number},
                     {"deviceName", TextOrNull(listed.device_name)},
                     {"flow", listed.session.flow},
                     {"phase", TextOrNull(listed.phase)},
                     {"startedDateTime", FormatTimestamp(listed.session.started_date_time)}});
  }
  json::array failed;
  for (const core::DashboardSession& listed : figures.failed) {
    json::object row{{"deviceId", listed.session.device_id},
                     {"serialNumber", listed.serial_number},
                     {"deviceName", TextOrNull(listed.device_name)},
                     {"flow", listed.session.flow}};
    row["finishedDateTime"] = listed.session.finished_date_time
                                  ? json::value(FormatTimestamp(*listed.session.finished_date_time))
                                  : json::value(nullptr);
    row["errorMessage"] = TextOrNull(listed.error_message);
    failed.push_back(std::move(row));
  }
  return {{"inProgress", std::move(in_progress)},
          {"failedLast24Hours", std::move(failed)},
          {"flows", {{"technician", Flow(figures.technician)}, {"user", Flow(figures.user)}}},
          {"waitingForUserFlow", figures.waiting_for_user_flow},
          {"generatedDateTime", FormatTimestamp(figures.generated_date_time)}};
}

json::object Encode(const std::vector<RuleSubjectOutcome>& results) {
  json::array out;
  for (const RuleSubjectOutcome& result : results) {
    json::array clauses;
    for (const core::rules::ClauseOutcome& clause : result.outcome.clauses) {
      json::array values;
      for (const std::string& value : clause.values) values.emplace_back(value);
      clauses.push_back(json::object{{"expression", clause.expression},
                                     {"matches", clause.matches},
                                     {"values", std::move(values)}});
    }
    out.push_back(json::object{{"id", result.id},
                               {"displayName", result.display_name},
                               {"matches", result.outcome.matches},
                               {"clauses", std::move(clauses)}});
  }
  return {{"results", std::move(out)}};
}

}  // namespace groundcrew::wire

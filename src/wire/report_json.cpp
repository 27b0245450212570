// Deployment sessions and reports (docs/admin-api.md "Reports").
#include "wire/report_json.hpp"

#include <boost/json.hpp>
#include <cstdint>
#include <string>

#include "wire/json_limits.hpp"
#include "wire/json_reader.hpp"
#include "wire/model_json.hpp"
#include "wire/spellings.hpp"

namespace groundcrew::wire {
namespace json = boost::json;
using internal::NameOf;
using internal::OptionalTime;

namespace {

std::string TextOf(const json::object& detail, std::string_view key) {
  const json::value* v = detail.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::optional<std::string> OptionalTextOf(const json::object& detail, std::string_view key) {
  const json::value* v = detail.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

// "1603" or "0x800705B4" (core::FormatErrorCode) for an integer code; a text code as given.
std::optional<std::string> CodeOf(const json::object& detail) {
  const json::value* v = detail.if_contains("code");
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return core::FormatErrorCode(v->as_int64());
  if (v->is_uint64()) return core::FormatErrorCode(static_cast<std::int64_t>(v->as_uint64()));
  if (v->is_string()) return std::string(v->as_string());
  return std::nullopt;
}

json::value TextOrNull(const std::optional<std::string>& text) {
  return text ? json::value(json::string(*text)) : json::value(nullptr);
}

json::value DurationOrNull(const std::optional<core::Timestamp>& from,
                           const std::optional<core::Timestamp>& to) {
  const std::optional<std::int64_t> seconds = core::DurationSeconds(from, to);
  return seconds ? json::value(*seconds) : json::value(nullptr);
}

json::object Encode(const core::PhaseTimeline& row) {
  return {{"phase", row.phase},
          {"status", PhaseStatusName(row.status)},
          {"runs", row.runs},
          {"startedDateTime", OptionalTime(row.started)},
          {"finishedDateTime", OptionalTime(row.finished)},
          {"durationSeconds", DurationOrNull(row.started, row.finished)},
          {"code", TextOrNull(row.code)},
          {"message", TextOrNull(row.message)}};
}

json::object Encode(const core::ItemTimeline& row) {
  return {{"phase", row.phase},
          {"id", row.id},
          {"displayName", row.display_name},
          {"status", NameOf(internal::kTimelineItemStatuses, row.status)},
          {"attempts", row.attempts},
          {"startedDateTime", OptionalTime(row.started)},
          {"finishedDateTime", OptionalTime(row.finished)},
          {"durationSeconds", DurationOrNull(row.started, row.finished)},
          {"code", TextOrNull(row.code)},
          {"message", TextOrNull(row.message)}};
}

json::value Encode(const std::optional<core::ComplianceCheck>& check) {
  if (!check) return nullptr;
  Result<json::value> parsed = ParseJson(check->detail, "detail");
  json::object entry;
  if (parsed && parsed->is_object()) entry = std::move(parsed->as_object());
  entry.erase("when");
  entry["at"] = FormatTimestamp(check->at);
  if (!entry.contains("findings")) entry["findings"] = json::array();
  return entry;
}

}  // namespace

core::TimelineEvent ReadTimelineEvent(core::Timestamp at, std::string_view kind,
                                      std::string_view detail) {
  core::TimelineEvent event;
  event.at = at;
  event.kind = std::string(kind);
  event.detail = std::string(detail);
  Result<json::value> parsed = ParseJson(detail, "detail");
  if (!parsed || !parsed->is_object()) return event;
  const json::object& o = parsed->as_object();
  event.phase = TextOf(o, "phase");
  event.id = TextOf(o, "id");
  event.display_name = TextOf(o, "displayName");
  if (const json::value* attempt = o.if_contains("attempt"); attempt && attempt->is_int64()) {
    event.attempt = attempt->as_int64();
  }
  event.code = CodeOf(o);
  event.message = OptionalTextOf(o, "message");
  event.when = TextOf(o, "when");
  event.deployment_state = TextOf(o, "deploymentState");
  return event;
}

json::object Encode(const core::DeploymentSession& session) {
  return {{"id", session.id},
          {"deviceId", session.device_id},
          {"flow", session.flow},
          {"userPrincipalName", session.user_principal_name},
          {"deploymentState", session.deployment_state},
          {"startedDateTime", FormatTimestamp(session.started_date_time)},
          {"finishedDateTime", OptionalTime(session.finished_date_time)}};
}

json::object Encode(const core::SessionTimeline& timeline) {
  const core::DeploymentSession& session = timeline.session;
  json::object out;
  out["id"] = session.id;
  out["flow"] = session.flow;
  out["userPrincipalName"] = session.user_principal_name;
  out["deploymentState"] = timeline.deployment_state;
  out["startedDateTime"] = FormatTimestamp(session.started_date_time);
  out["finishedDateTime"] = OptionalTime(session.finished_date_time);
  out["durationSeconds"] = DurationOrNull(session.started_date_time, session.finished_date_time);
  json::array phases, items;
  for (const core::PhaseTimeline& row : timeline.phases) phases.push_back(Encode(row));
  for (const core::ItemTimeline& row : timeline.items) items.push_back(Encode(row));
  out["phases"] = std::move(phases);
  out["items"] = std::move(items);
  out["compliance"] = json::object{{"before", Encode(timeline.compliance_before)},
                                   {"after", Encode(timeline.compliance_after)}};
  out["eventCount"] = timeline.event_count;
  return out;
}

json::object Encode(const core::DeploymentReport& report) {
  auto text_or_null = [](const std::string& text) {
    return text.empty() ? json::value(nullptr) : json::value(text);
  };
  json::object device;
  device["id"] = report.device_id;
  device["serialNumber"] = report.serial_number;
  device["displayName"] = text_or_null(report.display_name);
  device["userPrincipalName"] = text_or_null(report.user_principal_name);
  device["enrollmentState"] = core::ToString(report.enrollment_state);
  device["resealedDateTime"] = OptionalTime(report.resealed);
  json::array sessions;
  for (const core::SessionTimeline& session : report.sessions) sessions.push_back(Encode(session));
  json::object out;
  out["device"] = std::move(device);
  out["deploymentState"] = report.sessions.empty()
                               ? json::value(nullptr)
                               : json::value(report.sessions.back().deployment_state);
  out["sessions"] = std::move(sessions);
  return out;
}

json::object Encode(const FeedEvent& event) {
  json::object out;
  out["sequence"] = event.sequence;
  out["sessionId"] = event.session_id;
  out["deviceId"] = TextOrNull(event.device_id);
  out["serialNumber"] = TextOrNull(event.serial_number);
  out["flow"] = TextOrNull(event.flow);
  out["at"] = FormatTimestamp(event.at);
  out["kind"] = event.kind;
  Result<json::value> detail = ParseJson(event.detail, "detail");
  out["detail"] = detail ? std::move(*detail) : json::value(event.detail);
  return out;
}

json::object Encode(const FeedPage& page) {
  json::array value;
  for (const FeedEvent& event : page.events) value.push_back(Encode(event));
  return {{"value", std::move(value)}, {"nextAfter", std::to_string(page.next_after)}};
}

}  // namespace groundcrew::wire

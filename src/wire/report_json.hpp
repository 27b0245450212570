#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/ids.hpp"
#include "core/model/session.hpp"
#include "core/report/timeline.hpp"

// Deployment sessions and the report derived from their events (docs/admin-api.md "Reports",
// docs/device-api.md "Sessions and events").
namespace groundcrew::wire {

/// A stored event as core::FoldSessionTimeline reads it: `detail` (a JSON object's text) gives
/// "phase", "id", "displayName" (strings), "attempt" (an integer), "code" (an integer as
/// core::FormatErrorCode spells it — "1603", "0x800705B4" — or text as given), "message",
/// "when" and "deploymentState"; a property of another JSON type counts as absent. The detail
/// text itself is kept. A detail that is not a JSON object reads as no properties.
core::TimelineEvent ReadTimelineEvent(core::Timestamp at, std::string_view kind,
                                      std::string_view detail);

/// A deployment session as the APIs show it: {"id", "deviceId", "flow", "userPrincipalName",
/// "deploymentState", "startedDateTime", "finishedDateTime" (null until finished)}.
boost::json::object Encode(const core::DeploymentSession& session);

/// One session of a report: {"id", "flow", "userPrincipalName", "deploymentState" (the
/// timeline's), "startedDateTime", "finishedDateTime", "durationSeconds", "phases": [{"phase",
/// "status", "runs", "startedDateTime", "finishedDateTime", "durationSeconds", "code",
/// "message"}], "items": [{"phase", "id", "displayName", "status", "attempts",
/// "startedDateTime", "finishedDateTime", "durationSeconds", "code", "message"}],
/// "compliance": {"before", "after"}, "eventCount"}. Absent times, durations, codes and
/// messages are null. A compliance check is its event's detail without "when", with "at" and
/// with "findings" ([] when the device sent none); null when there was none.
boost::json::object Encode(const core::SessionTimeline& timeline);

/// {"device": {"id", "serialNumber", "displayName", "userPrincipalName", "enrollmentState",
/// "resealedDateTime"} (empty texts and no time as null), "deploymentState" (the last
/// session's, null without sessions), "sessions": [...]}.
boost::json::object Encode(const core::DeploymentReport& report);

/// One event of the admin's feed of every device's events.
struct FeedEvent {
  std::int64_t sequence = 0;
  std::string session_id;
  std::optional<std::string> device_id;      ///< none when the session is gone
  std::optional<std::string> serial_number;  ///< none when the device is gone
  std::optional<std::string> flow;           ///< none when the session is gone
  core::Timestamp at{};
  std::string kind;
  std::string detail;  ///< as stored (a JSON object's text)
};

/// A page of the feed and the sequence to ask after for the next one.
struct FeedPage {
  std::vector<FeedEvent> events;
  std::int64_t next_after = 0;
};

/// {"sequence", "sessionId", "deviceId", "serialNumber", "flow", "at", "kind", "detail"}: what
/// is absent as null; the detail parsed (as a JSON string holding the text when it is not JSON).
boost::json::object Encode(const FeedEvent& event);

/// {"value": [<each event as Encode(FeedEvent)>], "nextAfter": "<next_after>"}.
boost::json::object Encode(const FeedPage& page);

}  // namespace groundcrew::wire

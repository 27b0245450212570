#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/ids.hpp"

// The events a device reports during a deployment session (docs/device-api.md "Sessions and
// events"): the batch a device posts, and the documented kinds' details.
//
// Every error is ErrorCode::kInvalidArgument whose `field` is the path in the request body
// ("events[3].idempotencyKey", "events[1].detail.phase") and whose message starts with it.
namespace groundcrew::wire {

/// The longest idempotency key and event kind, in bytes.
inline constexpr std::size_t kMaxIdempotencyKeyBytes = 200;
inline constexpr std::size_t kMaxEventKindBytes = 64;
/// The largest `detail` of one event (serialized), and the most events in one batch.
inline constexpr std::size_t kMaxEventDetailBytes = 16 * 1024;
inline constexpr std::size_t kMaxEventsPerBatch = 500;

/// One event as a device sends it.
struct DeploymentEvent {
  std::string idempotency_key;  ///< unique per session: a resent event is stored once
  core::Timestamp at{};         ///< the device's clock
  std::string kind;             ///< "phaseStarted", "itemFailed", ... (docs/device-api.md)
  boost::json::object detail;   ///< the kind's properties
};

/// The body of POST .../sessions/{sessionId}/events: {"events": [{"idempotencyKey", "at",
/// "kind", "detail"}]} ("detail" optional, default {}). Strict: unknown properties, wrong types,
/// an empty or over-long key or kind, a malformed "at", more than kMaxEventsPerBatch events or
/// a detail over kMaxEventDetailBytes are refused naming the path ("events[3].idempotencyKey").
/// The kinds' own properties are checked by CheckEvents.
[[nodiscard]] Result<std::vector<DeploymentEvent>> ParseEvents(const boost::json::value& body);

/// Checks the documented properties of one event's detail (docs/device-api.md "Events"):
/// phases spelled as plans spell them (PhaseName), items' "id", "attempt" >= 1, "bytesDone" and
/// "bytesTotal" >= 0, codes as integers or text, compliance "when" and "state", flowFinished's
/// final "deploymentState". Properties beyond the documented ones, and kinds not documented,
/// pass unchecked. `path` is the detail's own ("events[2].detail"); errors name
/// "events[2].detail.phase" and so on.
[[nodiscard]] Status CheckEventDetail(std::string_view kind, const boost::json::object& detail,
                                      std::string_view path);

/// An event ready to store: checked, its detail serialized (a JSON object's text).
struct CheckedEvent {
  std::string idempotency_key;
  core::Timestamp at{};
  std::string kind;
  std::string detail;
};

/// A batch as the service stores it, all or nothing: at most kMaxEventsPerBatch events (path
/// "events"), each with a 1..kMaxIdempotencyKeyBytes key, a kind of ASCII letters and digits
/// and a detail CheckEventDetail accepts, in that order, naming "events[i]...." for the first
/// that is not. ParseEvents' answer always passes the first two checks.
[[nodiscard]] Result<std::vector<CheckedEvent>> CheckEvents(
    const std::vector<DeploymentEvent>& events);

/// What storing a batch answers: the stored sequence of each event in the batch's order (a
/// resent event's first sequence).
struct AppendedEvents {
  std::vector<std::int64_t> sequences;
};

/// {"sequences": [...]}.
boost::json::object Encode(const AppendedEvents& appended);

/// The deployment states a session or flow may end in, in Graph's spelling: every
/// core::DeploymentState but inProgress, in the enumeration's order.
const std::vector<std::string>& FinalDeploymentStates();
bool IsFinalDeploymentState(std::string_view state);
/// Ok when `state` is one of FinalDeploymentStates(); otherwise `field: expected one of
/// "success", ..., found "<state>"`.
[[nodiscard]] Status CheckFinalDeploymentState(std::string_view state, std::string_view field);

}  // namespace groundcrew::wire

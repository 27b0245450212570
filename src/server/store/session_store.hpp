#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/ids.hpp"
#include "core/model/session.hpp"
#include "server/store/types.hpp"

namespace groundcrew::store {

/// One run of a flow on one device (core/model/session.hpp).
using core::DeploymentSession;

/// One thing that happened in a session (a phase started, an item installed, an error...).
struct SessionEvent {
  int64_t sequence = 0;  ///< assigned by the store, increasing across all sessions
  std::string session_id;
  std::string idempotency_key;  ///< unique per session: a resent event is stored once
  core::Timestamp at{};
  std::string kind;    ///< e.g. "phaseStarted", "itemCompleted"
  std::string detail;  ///< JSON object
};

/// Which sessions ListSessions returns (and whose events ListMatchingEvents returns); empty
/// fields do not filter.
struct SessionFilter {
  std::string device_id = {};         ///< exact
  std::string flow = {};              ///< "technician" | "user"
  std::string deployment_state = {};  ///< the session's state now (not when an event came)
  bool empty() const { return device_id.empty() && flow.empty() && deployment_state.empty(); }
};

using core::DashboardFigures;
using core::DashboardSession;
using core::FlowFigures;

/// Deployment sessions and their events. Devices write them (a later issue); admins read them.
/// A session belongs to a registered device: deleting the device deletes its sessions and their
/// events.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  /// kAlreadyExists when the id is taken (field "id"), kNotFound when no device has
  /// `device_id` (field "deviceId").
  [[nodiscard]] virtual Status CreateSession(const DeploymentSession& session) = 0;
  /// Replaces state and finish time (kNotFound when absent).
  [[nodiscard]] virtual Status UpdateSession(const DeploymentSession& session) = 0;
  [[nodiscard]] virtual Result<DeploymentSession> GetSession(std::string_view id) = 0;
  /// Sessions matching `filter` in id order. kInvalidArgument for a limit outside
  /// 1..kMaxPageSize.
  [[nodiscard]] virtual Result<Page<DeploymentSession>> ListSessions(const SessionFilter& filter,
                                                                     const PageRequest& page) = 0;

  /// Appends an event; returns it with its sequence. Appending an event whose (session,
  /// idempotency key) is already stored returns the stored event and changes nothing.
  /// kNotFound when the session does not exist, kInvalidArgument (field "idempotencyKey") when
  /// the key is empty.
  [[nodiscard]] virtual Result<SessionEvent> AppendEvent(const SessionEvent& event) = 0;
  /// The session's events in sequence order; `page.after` is a sequence in decimal ("" = from
  /// the start). kNotFound when the session does not exist, kInvalidArgument for a malformed
  /// `after` or a limit outside 1..kMaxPageSize.
  [[nodiscard]] virtual Result<Page<SessionEvent>> ListEvents(std::string_view session_id,
                                                              const PageRequest& page) = 0;
  /// Every session's events in sequence order (the order they were stored); `page.after` is a
  /// sequence in decimal ("" = from the start). A live stream reads on from the last sequence
  /// it saw. kInvalidArgument for a malformed `after` (field "after") or a limit outside
  /// 1..kMaxPageSize (field "limit").
  [[nodiscard]] virtual Result<Page<SessionEvent>> ListAllEvents(const PageRequest& page) = 0;
  /// ListAllEvents restricted to the events of the sessions matching `filter`. Its next_after
  /// says where a reader goes on from, so that a filtered poll does not read the same
  /// non-matching events again: the last event's sequence when the page is full, else the
  /// highest sequence stored when the page was read ("" when none is above `page.after`).
  /// Errors as ListAllEvents.
  [[nodiscard]] virtual Result<Page<SessionEvent>> ListMatchingEvents(const SessionFilter& filter,
                                                                      const PageRequest& page) = 0;
  /// The highest sequence stored (0 when no event is): where a live stream that wants only
  /// what comes next starts reading.
  [[nodiscard]] virtual Result<int64_t> LastEventSequence() = 0;

  /// The latest session of each of `device_ids` that has one (the one started last; of those
  /// started in the same second, the one created last), in no particular order: one read for a
  /// page of devices. kInvalidArgument (field "deviceIds") for more than kMaxPageSize ids.
  [[nodiscard]] virtual Result<std::vector<DeploymentSession>> LatestSessions(
      std::span<const std::string> device_ids) = 0;

  /// The dashboard's figures: flows finished at or after `since`, lists of at most `limit`
  /// sessions. kInvalidArgument (field "limit") for a limit outside 1..kMaxPageSize.
  [[nodiscard]] virtual Result<DashboardFigures> Dashboard(core::Timestamp since, int limit) = 0;
};

}  // namespace groundcrew::store

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/esp/run.hpp"
#include "core/flow/flow_common.hpp"
#include "core/model/device.hpp"
#include "core/model/ids.hpp"
#include "core/model/session.hpp"

// The timeline of a deployment session, folded from the events its device reported
// (docs/device-api.md "Events"), and the deployment report of a device made of those
// (docs/admin-api.md "Reports"). Pure: the events carry their own times.
namespace groundcrew::core {

/// One stored event of a session as the timeline reads it: its kind and the documented
/// properties of its detail (what the detail lacks is empty; a detail that could not be read
/// leaves every property empty, so the event is counted and applies nothing).
struct TimelineEvent {
  Timestamp at{};                      ///< the device's clock
  std::string kind;                    ///< "phaseStarted", "itemFailed", "compliance", ...
  std::string phase;                   ///< phase and item kinds, as the device spelled it
  std::string id;                      ///< item kinds: the item
  std::string display_name;            ///< item kinds
  std::int64_t attempt = 0;            ///< itemStarted: the attempt's number; 0 = not given
  std::optional<std::string> code;     ///< as reports show it: "1603", "0x800705B4" or the text
  std::optional<std::string> message;  ///< phaseFailed, itemFailed, itemTimedOut
  std::string when;                    ///< compliance: "before" or "after"
  std::string deployment_state;        ///< flowFinished: the final state, Graph's spelling
  std::string detail;                  ///< the whole detail as stored (JSON text, opaque here)
};

/// How an item of a session ended, as far as its events tell.
enum class TimelineItemStatus {
  kInProgress,
  kSucceeded,
  kFailed,
  kTimedOut,
  kNotAttempted,  ///< reported so, or its phase failed while it was in progress
  kDetected,      ///< found already installed
};

/// One phase of a session: its runs (a Retry starts it again) and how the last one went.
struct PhaseTimeline {
  std::string phase;
  PhaseStatus status = PhaseStatus::kInProgress;  ///< kInProgress, kComplete or kFailed
  int runs = 0;                                   ///< phaseStarted events
  std::optional<Timestamp> started;          ///< the first start (or first item's when unreported)
  std::optional<Timestamp> finished;         ///< the last run's end; none while it runs
  std::optional<std::string> code, message;  ///< the failure's
};

/// One item of a phase: its attempts and how the last one went.
struct ItemTimeline {
  std::string phase, id, display_name;
  TimelineItemStatus status = TimelineItemStatus::kInProgress;
  int attempts = 0;
  std::int64_t last_attempt = 0;  ///< the number the last itemStarted gave (0 = not given)
  std::optional<Timestamp> started, finished;
  std::optional<std::string> code, message;  ///< the failure's or timeout's
};

/// A compliance evaluation the device reported.
struct ComplianceCheck {
  Timestamp at{};
  std::string detail;  ///< the event's detail as stored (JSON text)
};

/// A session and what its events tell.
struct SessionTimeline {
  DeploymentSession session;
  /// The session's state, or the flowFinished event's while the session is still inProgress
  /// (the finish call has not arrived yet).
  std::string deployment_state;
  std::vector<PhaseTimeline> phases;  ///< in the order first reported
  std::vector<ItemTimeline> items;    ///< in the order first reported
  std::optional<ComplianceCheck> compliance_before, compliance_after;  ///< the last of each
  std::size_t event_count = 0;
};

/// Folds `events` (in the order they were stored; the agent sends its queue in order) into the
/// timeline of `session`:
/// - phaseStarted counts a run and reopens the phase (its first start is kept);
///   phaseCompleted completes it; phaseFailed fails it with the event's code and message and
///   marks its items still in progress notAttempted (as core::ItemStatus::kNotAttempted).
/// - itemStarted counts an attempt — except a restart of the attempt in progress under the same
///   number, which the core does not count either — and reopens the item; itemSucceeded,
///   itemFailed, itemTimedOut (code 0x800705B4 and message "timed out" unless given),
///   itemNotAttempted and itemDetected end it. An item event of a phase whose start was not
///   reported starts the phase at its time. A non-empty displayName renames the item.
/// - compliance keeps the last "before" and the last "after"; flowFinished gives the state.
/// Events lacking what their kind needs (a phase; an item's phase and id; compliance's "when";
/// flowFinished's state) and other kinds apply nothing; every event is counted.
SessionTimeline FoldSessionTimeline(DeploymentSession session,
                                    const std::vector<TimelineEvent>& events);

/// Whole seconds from `from` to `to`; nullopt unless both are known.
std::optional<std::int64_t> DurationSeconds(const std::optional<Timestamp>& from,
                                            const std::optional<Timestamp>& to);

/// The deployment record of one device: who it is and its sessions' timelines.
struct DeploymentReport {
  std::string device_id;  ///< the registration id
  std::string serial_number;
  std::string display_name;         ///< the joined name, else the registration's; "" = none
  std::string user_principal_name;  ///< the assigned user; "" = none
  EnrollmentState enrollment_state = EnrollmentState::kUnknown;
  std::optional<Timestamp> resealed;
  std::vector<SessionTimeline> sessions;  ///< in the order they started
};

}  // namespace groundcrew::core

#include "core/report/timeline.hpp"

#include <utility>

#include "core/flow/flow_common.hpp"

namespace groundcrew::core {
namespace {

bool IsPhaseKind(const std::string& kind) {
  return kind == "phaseStarted" || kind == "phaseCompleted" || kind == "phaseFailed";
}

bool IsItemKind(const std::string& kind) {
  return kind == "itemStarted" || kind == "itemProgress" || kind == "itemSucceeded" ||
         kind == "itemFailed" || kind == "itemTimedOut" || kind == "itemNotAttempted" ||
         kind == "itemDetected";
}

PhaseTimeline& PhaseRow(std::vector<PhaseTimeline>& phases, const std::string& phase) {
  for (PhaseTimeline& row : phases) {
    if (row.phase == phase) return row;
  }
  PhaseTimeline& row = phases.emplace_back();
  row.phase = phase;
  return row;
}

ItemTimeline& ItemRow(std::vector<ItemTimeline>& items, const std::string& phase,
                      const std::string& id) {
  for (ItemTimeline& row : items) {
    if (row.phase == phase && row.id == id) return row;
  }
  ItemTimeline& row = items.emplace_back();
  row.phase = phase;
  row.id = id;
  return row;
}

void ApplyPhaseEvent(SessionTimeline& out, const TimelineEvent& event) {
  PhaseTimeline& row = PhaseRow(out.phases, event.phase);
  if (event.kind == "phaseStarted") {
    ++row.runs;
    row.status = PhaseStatus::kInProgress;
    if (!row.started) row.started = event.at;
    row.finished.reset();
    row.code.reset();
    row.message.reset();
  } else if (event.kind == "phaseCompleted") {
    row.status = PhaseStatus::kComplete;
    row.finished = event.at;
  } else if (event.kind == "phaseFailed") {
    row.status = PhaseStatus::kFailed;
    row.finished = event.at;
    row.code = event.code;
    row.message = event.message;
    // As core::ItemStatus::kNotAttempted: the phase failed before these could finish.
    for (ItemTimeline& item : out.items) {
      if (item.phase == event.phase && item.status == TimelineItemStatus::kInProgress) {
        item.status = TimelineItemStatus::kNotAttempted;
        item.finished = event.at;
      }
    }
  }
}

void ApplyItemEvent(SessionTimeline& out, const TimelineEvent& event) {
  PhaseTimeline& phase = PhaseRow(out.phases, event.phase);
  if (phase.runs == 0 && !phase.started) phase.started = event.at;  // start not reported
  ItemTimeline& row = ItemRow(out.items, event.phase, event.id);
  if (!event.display_name.empty()) row.display_name = event.display_name;
  const std::string& kind = event.kind;
  if (kind == "itemStarted") {
    // A restart re-runs the interrupted attempt under the same number (the core does not
    // count it): one attempt, not two.
    if (!(row.status == TimelineItemStatus::kInProgress && event.attempt != 0 &&
          event.attempt == row.last_attempt)) {
      ++row.attempts;
    }
    row.last_attempt = event.attempt;
    row.status = TimelineItemStatus::kInProgress;
    if (!row.started) row.started = event.at;
    row.finished.reset();
    row.code.reset();
    row.message.reset();
  } else if (kind == "itemSucceeded") {
    row.status = TimelineItemStatus::kSucceeded;
    row.finished = event.at;
    row.code.reset();
    row.message.reset();
  } else if (kind == "itemFailed") {
    row.status = TimelineItemStatus::kFailed;
    row.finished = event.at;
    row.code = event.code;
    row.message = event.message;
  } else if (kind == "itemTimedOut") {
    row.status = TimelineItemStatus::kTimedOut;
    row.finished = event.at;
    row.code = event.code ? *event.code : FormatErrorCode(kTimeoutErrorCode);
    row.message = event.message ? *event.message : std::string("timed out");
  } else if (kind == "itemNotAttempted") {
    row.status = TimelineItemStatus::kNotAttempted;
    row.finished = event.at;
  } else if (kind == "itemDetected") {
    row.status = TimelineItemStatus::kDetected;
    if (!row.started) row.started = event.at;
    row.finished = event.at;
  }
}

}  // namespace

SessionTimeline FoldSessionTimeline(DeploymentSession session,
                                    const std::vector<TimelineEvent>& events) {
  SessionTimeline out;
  std::string finished_state;
  for (const TimelineEvent& event : events) {
    if (IsPhaseKind(event.kind) && !event.phase.empty()) {
      ApplyPhaseEvent(out, event);
    } else if (IsItemKind(event.kind) && !event.phase.empty() && !event.id.empty()) {
      ApplyItemEvent(out, event);
    } else if (event.kind == "compliance") {
      if (event.when == "before") out.compliance_before = ComplianceCheck{event.at, event.detail};
      if (event.when == "after") out.compliance_after = ComplianceCheck{event.at, event.detail};
    } else if (event.kind == "flowFinished" && !event.deployment_state.empty()) {
      finished_state = event.deployment_state;
    }
  }
  out.deployment_state = session.deployment_state;
  if (out.deployment_state == ToString(DeploymentState::kInProgress) && !finished_state.empty()) {
    out.deployment_state = finished_state;  // the finish call has not arrived yet
  }
  out.session = std::move(session);
  out.event_count = events.size();
  return out;
}

std::optional<std::int64_t> DurationSeconds(const std::optional<Timestamp>& from,
                                            const std::optional<Timestamp>& to) {
  if (!from || !to) return std::nullopt;
  return (*to - *from).count();
}

}  // namespace groundcrew::core

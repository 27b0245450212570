#include "device/flow/phase_steps.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "wire/model_json.hpp"

namespace groundcrew::device {

ItemOutcome ItemOutcome::Exited(const std::vector<core::ReturnCode>& codes, std::int64_t exit_code,
                                std::string message) {
  const core::RunEvent event = core::ExitCodeEvent("", codes, exit_code, std::move(message));
  ItemOutcome outcome;
  if (const auto* failed = std::get_if<core::ItemFailed>(&event)) {
    outcome.kind = Kind::kFailed;
    outcome.code = failed->code;
    outcome.message = failed->message;
  } else if (const auto* retry = std::get_if<core::ItemNeedsRetry>(&event)) {
    outcome.kind = Kind::kRetry;
    outcome.code = retry->code;
  } else {
    outcome.reboot = std::get<core::ItemSucceeded>(event).reboot;
  }
  return outcome;
}

ItemFinish FinishItem(const core::PhaseRun& run, const core::ItemRun& item,
                      const ItemOutcome& outcome) {
  const std::string& id = item.plan.id;
  switch (outcome.kind) {
    case ItemOutcome::Kind::kDetected:
      return {core::ItemSucceeded{.id = id},
              {{"itemDetected",
                {{"phase", wire::PhaseName(run.phase)},
                 {"id", id},
                 {"displayName", item.plan.display_name}}}}};
    case ItemOutcome::Kind::kSucceeded:
      return {core::ItemSucceeded{.id = id, .reboot = outcome.reboot}, {}};
    case ItemOutcome::Kind::kFailed:
      return {core::ItemFailed{.id = id, .code = outcome.code, .message = outcome.message}, {}};
    case ItemOutcome::Kind::kRetry:
      return {core::ItemNeedsRetry{.id = id, .code = outcome.code}, {}};
  }
  return {core::ItemFailed{.id = id, .code = outcome.code, .message = outcome.message}, {}};
}

std::vector<std::string> ItemsToStart(const core::PhaseRun& run, core::Timestamp now,
                                      int concurrency, int attempts_running) {
  if (HoldsForRestart(run)) return {};
  // ReadyItems counts the phase's items in progress against the limit itself; only attempts
  // still finishing an item the phase no longer waits for take room beyond that.
  const int stopping = std::max(0, attempts_running - core::CountItems(run).in_progress);
  return core::ReadyItems(run, now, concurrency - stopping);
}

bool StillWanted(const core::PhaseRun* run, std::string_view id) {
  const core::ItemRun* item = run != nullptr ? core::FindItem(*run, id) : nullptr;
  return item != nullptr && item->status == core::ItemStatus::kInProgress;
}

bool TickChanges(const core::PhaseRun& run, core::Timestamp now) {
  Result<core::PhaseRun> ticked = core::Apply(run, core::Tick{}, now);
  if (!ticked) return false;
  if (ticked->status != run.status || ticked->items.size() != run.items.size()) return true;
  for (size_t i = 0; i < run.items.size(); ++i) {
    const core::ItemRun& before = run.items[i];
    const core::ItemRun& after = ticked->items[i];
    if (before.status != after.status || before.attempt != after.attempt) return true;
  }
  return false;
}

bool HoldsForRestart(const core::PhaseRun& run) {
  return run.pending_reboot == core::RebootKind::kHard;
}

bool RestartsAfterPhase(const core::PhaseRun* finished) {
  return finished != nullptr && finished->status == core::PhaseStatus::kComplete &&
         finished->pending_reboot == core::RebootKind::kSoft;
}

}  // namespace groundcrew::device

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/esp/run.hpp"
#include "device/flow/flow_reports.hpp"

// What a device does on an ESP phase screen, step by step, whatever runs its items: which items
// to start, what a finished attempt means to the phase, which clock ticks matter, when the
// device must restart. The agent (items on threads), the fleet simulator (simulated installs on
// timers) and the scenario runner (scripted outcomes on a virtual clock) all drive phases with
// these. Pure.
namespace groundcrew::device {

/// How one attempt at an item ended, as whatever ran it says: an executor on a real device, a
/// simulated install, a scripted outcome.
struct ItemOutcome {
  enum class Kind {
    kSucceeded,  ///< installed (or uninstalled); `reboot` says what it asked for
    kDetected,   ///< found installed already: nothing was done
    kFailed,     ///< `code` and `message` say why
    kRetry,      ///< the installer asked to be run again later (`code`)
  };
  Kind kind = Kind::kSucceeded;
  core::RebootKind reboot = core::RebootKind::kNone;
  std::int64_t code = 0;
  std::string message{};

  /// What an installer's `exit_code` means under the app's return codes (core::ExitCodeEvent):
  /// succeeded with the reboot it asks for, retry, or failed with `message`.
  static ItemOutcome Exited(const std::vector<core::ReturnCode>& codes, std::int64_t exit_code,
                            std::string message = {});
};

/// What a finished attempt does to its phase: the run event to apply and the reports that go
/// with it beyond the transition's own. An item found installed already succeeds and is
/// reported `itemDetected` in the same step, so that it is journaled and reported once.
struct ItemFinish {
  core::RunEvent event;
  std::vector<FlowReport> reports;
};
ItemFinish FinishItem(const core::PhaseRun& run, const core::ItemRun& item,
                      const ItemOutcome& outcome);

/// The items to start on `run` at `now`: core::ReadyItems with room for `concurrency` attempts,
/// less the room still taken by attempts the phase no longer waits for (timed out, or of a
/// phase that ended) that have not stopped yet. `attempts_running` counts every attempt still
/// running, those included. Empty while a hard restart is pending (HoldsForRestart).
std::vector<std::string> ItemsToStart(const core::PhaseRun& run, core::Timestamp now,
                                      int concurrency, int attempts_running);

/// Whether an attempt at item `id` still matters to `run`: false once the item is no longer in
/// progress (it timed out) or there is no run, when whatever runs it should be stopped.
bool StillWanted(const core::PhaseRun* run, std::string_view id);

/// Whether a Tick at `now` changes `run` (an item or the phase timed out, a retry became due).
/// A driver applies, journals and reports only the ticks that do.
bool TickChanges(const core::PhaseRun& run, core::Timestamp now);

/// An app asked for a hard restart (1641): nothing more starts, and the device restarts once
/// nothing runs.
bool HoldsForRestart(const core::PhaseRun& run);

/// A soft restart (3010) an app asked for happens once its phase is complete, as the ESP does;
/// the next run's core::Rebooted satisfies it. False for a null run.
bool RestartsAfterPhase(const core::PhaseRun* finished);

}  // namespace groundcrew::device

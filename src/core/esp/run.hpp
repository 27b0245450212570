#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "core/esp/plan.hpp"
#include "core/model/ids.hpp"
#include "core/model/payloads.hpp"

// The ESP runtime: one run of one phase (Device preparation, Device setup or Account setup) over
// its plan, as a plain value. Every function is pure; time comes in as `now` (DESIGN.md §3.1).
//
// A run is created NotStarted, started (the phase clock starts), then fed item events and clock
// ticks until it is Complete or Failed. Only a blocking item's failure or timeout, or the phase
// clock running out, fails the phase; a non-blocking failure is recorded and the phase goes on
// (the item is retried by the next Device setup). "Try again" resumes a failed run: items that
// succeeded stay succeeded, everything else is attempted again under a fresh phase clock.
namespace groundcrew::core {

/// Win32 "retry" exit codes (1618: another installation is in progress) are retried, at most
/// kMaxInstallAttempts attempts per item and phase run, kRetryDelay apart (spec §11.7).
inline constexpr int kMaxInstallAttempts = 3;
inline constexpr std::chrono::minutes kRetryDelay{5};
/// Each Device-preparation step has this limit (EnrollmentStatusTracking's provider timeout).
inline constexpr int kPreparationStepTimeLimitMinutes = 15;
/// What a timeout reports: HRESULT_FROM_WIN32(ERROR_TIMEOUT), as Autopilot shows it.
inline constexpr std::int64_t kTimeoutErrorCode = 0x800705B4;
/// Win32's "another installation is in progress" exit code.
inline constexpr std::int64_t kInstallInProgressExitCode = 1618;

/// An exit code in decimal ("1603"), an HRESULT in hex ("0x800705B4"): codes of 0x80000000
/// and above, and negative codes (HRESULTs read as signed 32-bit), are HRESULTs.
std::string FormatErrorCode(std::int64_t code);

enum class ItemStatus {
  kWaiting,       ///< not started yet, or waiting to be retried (see ItemRun::not_before)
  kInProgress,    ///< an attempt is running
  kSucceeded,     ///< installed (or uninstalled, for an uninstall item)
  kFailed,        ///< failed; also an item never attempted because a dependency failed
  kTimedOut,      ///< ran past its own time limit, or was running when the phase clock ran out
  kDeferred,      ///< the plan says not to attempt it in this flow (PlanItem::deferred)
  kNotAttempted,  ///< the phase failed before the item could finish (or start)
};

/// What an item needs after it succeeded (EnrollmentStatusTracking's RebootRequired).
enum class RebootKind { kNone, kSoft, kHard };

enum class PhaseStatus { kNotStarted, kInProgress, kComplete, kFailed };

std::string_view ToString(ItemStatus status);
std::string_view ToString(RebootKind reboot);
std::string_view ToString(PhaseStatus status);

/// One tracked item of a run: its plan and where it is.
struct ItemRun {
  PlanItem plan;
  ItemStatus status = ItemStatus::kWaiting;
  int attempt = 0;  ///< attempts started in this phase run; 1 while the first one runs
  long long bytes_done = 0;
  long long bytes_total = 0;
  std::optional<Timestamp> started_at;   ///< of the current or last attempt
  std::optional<Timestamp> finished_at;  ///< when it reached its current end state
  std::optional<Timestamp> not_before;   ///< a retry may not start earlier
  std::int64_t code = 0;  ///< exit code or HRESULT of the last failure, timeout or retry
  std::string message;    ///< why it failed, timed out, is waiting to retry or was skipped
  RebootKind reboot = RebootKind::kNone;  ///< what its success asked for
};

/// Why a phase failed. `items` names the item at fault: the blocking item that failed or timed
/// out, or, when the phase clock ran out, every item still running (the items still waiting
/// when none was running).
struct PhaseFailure {
  enum class Cause { kItemFailed, kItemTimedOut, kPhaseTimedOut };
  Cause cause = Cause::kItemFailed;
  std::vector<std::string> items;
  std::int64_t code = 0;
  std::string message;  ///< for the error screen and logs; names the items
};

std::string_view ToString(PhaseFailure::Cause cause);

/// One run of one phase.
struct PhaseRun {
  EspPhase phase = EspPhase::kDeviceSetup;
  PhaseStatus status = PhaseStatus::kNotStarted;
  int timeout_minutes = kDefaultInstallProgressTimeoutMinutes;  ///< phase clock; 0 = none
  int run_number = 0;                   ///< 1 for the first run, one more for every Try again
  std::optional<Timestamp> started_at;  ///< start of the current run: the phase clock
  std::optional<Timestamp> finished_at;
  std::vector<ItemRun> items;                     ///< in plan order
  RebootKind pending_reboot = RebootKind::kNone;  ///< strongest reboot asked for since the last
  std::optional<PhaseFailure> failure;            ///< set while status is kFailed
};

/// The four Device-preparation steps, in order (spec §11.2). ToString is the step's item id.
enum class PreparationStep {
  kSecuringHardware,          ///< device key proof ("Securing your hardware")
  kJoiningOrganization,       ///< directory join ("Joining your organization's network")
  kRegisteringForManagement,  ///< enrollment ("Registering your device for mobile management")
  kPreparingForManagement,    ///< plan fetched, tracking created ("Preparing your device...")
};
inline constexpr std::array<PreparationStep, 4> kPreparationSteps = {
    PreparationStep::kSecuringHardware, PreparationStep::kJoiningOrganization,
    PreparationStep::kRegisteringForManagement, PreparationStep::kPreparingForManagement};

std::string_view ToString(PreparationStep step);
/// The step whose item id is `id` (ToString's inverse); nullopt for any other id.
std::optional<PreparationStep> PreparationStepOf(std::string_view id);
/// The label the ESP shows for a step, e.g. "Securing your hardware".
std::string_view DisplayName(PreparationStep step);
/// What the ESP calls a phase: "Device preparation", "Device setup", "Account setup".
std::string_view DisplayName(EspPhase phase);

/// A NotStarted run over `plan`.
PhaseRun NewPhaseRun(const PhasePlan& plan);

/// A NotStarted Device-preparation run: the four steps as blocking items (ids from
/// ToString(PreparationStep)), each depending on the one before and limited to
/// kPreparationStepTimeLimitMinutes, of kind ItemKind::kPreparationStep; there is no phase
/// clock.
PhaseRun NewDevicePreparationRun();

// Events. Each names itself (kName) for logs and scenario files.
struct ItemStarted {
  static constexpr std::string_view kName = "item-started";
  std::string id;
  long long bytes_total = 0;  ///< 0 = the plan's size
};
struct ItemProgress {
  static constexpr std::string_view kName = "item-progress";
  std::string id;
  long long bytes_done = 0;
  long long bytes_total = 0;  ///< 0 = unchanged
};
struct ItemSucceeded {
  static constexpr std::string_view kName = "item-succeeded";
  std::string id;
  RebootKind reboot = RebootKind::kNone;
};
struct ItemFailed {
  static constexpr std::string_view kName = "item-failed";
  std::string id;
  std::int64_t code = 0;  ///< exit code or HRESULT
  std::string message{};  ///< optional detail
};
/// The installer asked to be run again later (Win32 return code type "retry", e.g. 1618).
struct ItemNeedsRetry {
  static constexpr std::string_view kName = "item-needs-retry";
  std::string id;
  std::int64_t code = kInstallInProgressExitCode;
};
/// Time passed: checks the per-item limits and the phase clock against `now`.
struct Tick {
  static constexpr std::string_view kName = "tick";
};
/// The device restarted. Running attempts were interrupted: they wait to be started again (the
/// interrupted attempt does not count) and pending reboots are satisfied. The phase clock runs on.
struct Rebooted {
  static constexpr std::string_view kName = "rebooted";
};

using RunEvent = std::variant<ItemStarted, ItemProgress, ItemSucceeded, ItemFailed, ItemNeedsRetry,
                              Tick, Rebooted>;

/// The events about one item (the ones a flow forwards to its running phase as they are).
template <class E>
concept ItemEvent = std::is_same_v<E, ItemStarted> || std::is_same_v<E, ItemProgress> ||
    std::is_same_v<E, ItemSucceeded> || std::is_same_v<E, ItemFailed> ||
    std::is_same_v<E, ItemNeedsRetry>;

std::string_view ToString(const RunEvent& event);

/// Starts the phase clock at `now`. Deferred items become kDeferred; items with a plan_error fail
/// at once (failing the phase if they block). A run with nothing to attempt completes at once.
/// kFailedPrecondition unless `run` is NotStarted.
[[nodiscard]] Result<PhaseRun> StartPhase(const PhaseRun& run, Timestamp now);

/// The run after `event` at `now`.
/// - Item events need an InProgress run (kFailedPrecondition) and a known item (kNotFound).
/// - ItemStarted: the item must be waiting, past its retry delay, with every dependency that is an
///   item of this phase succeeded, no other item of its installer class (non-empty) running and
///   no hard reboot pending; otherwise kFailedPrecondition saying which.
/// - ItemProgress/ItemSucceeded/ItemFailed/ItemNeedsRetry: the item must be running.
///   ItemProgress with negative bytes or more done than total: kInvalidArgument.
/// - ItemNeedsRetry: waits kRetryDelay, or fails the item after kMaxInstallAttempts attempts.
/// - A failed item fails the items waiting on it (directly or not); any blocking item failing
///   fails the phase, and whatever is still waiting or running becomes kNotAttempted.
/// - Tick: items running past their time_limit_minutes time out; then, if the phase clock has
///   run out, every running item times out and the phase fails naming them. Ticks and reboots
///   are accepted in any state and change nothing outside an InProgress run.
[[nodiscard]] Result<PhaseRun> Apply(const PhaseRun& run, const RunEvent& event, Timestamp now);

/// "Try again": resumes a Failed run at `now` with a fresh phase clock and run_number + 1.
/// Succeeded and deferred items are kept; every other item waits to be attempted again with a
/// fresh attempt count. kFailedPrecondition unless `run` is Failed.
[[nodiscard]] Result<PhaseRun> TryAgain(const PhaseRun& run, Timestamp now);

/// Ids of the items that may start at `now`, such that starting all of them keeps every rule of
/// ItemStarted and at most `max_concurrent` items run (DESIGN.md §4.10). Items with the most
/// waiting work behind them (items depending on them, directly or not, plus the waiting items of
/// their installer class) come first, which keeps the phase close to its critical path; plan
/// order breaks ties.
/// Empty unless the run is InProgress.
std::vector<std::string> ReadyItems(const PhaseRun& run, Timestamp now, int max_concurrent);

/// The item with `id`, or null.
const ItemRun* FindItem(const PhaseRun& run, std::string_view id);

/// The reboot an installer asks for with a return code of `type`: kSoft for softReboot (3010),
/// kHard for hardReboot (1641), kNone for every other type.
RebootKind RebootOf(ReturnCodeType type);

/// What an installer's `exit_code` means for item `id` under the app's return codes `codes`
/// (ClassifyReturnCode; DefaultReturnCodes() for an item that is not an app): ItemSucceeded with
/// the reboot it asks for, ItemNeedsRetry, or ItemFailed carrying `exit_code` and `message`.
RunEvent ExitCodeEvent(const std::string& id, const std::vector<ReturnCode>& codes,
                       std::int64_t exit_code, std::string message = {});

/// Counts for the UI: "(succeeded of tracked)" plus the detail.
struct PhaseCounts {
  int tracked = 0;    ///< every item but deferred ones
  int succeeded = 0;  ///< finished successfully
  int failed = 0;
  int timed_out = 0;
  int in_progress = 0;
  int waiting = 0;
  int deferred = 0;
  int not_attempted = 0;
};
PhaseCounts CountItems(const PhaseRun& run);

/// `inventory` (what the device had) updated with what `run` did: installs that succeeded are
/// kInstalled at the planned version; uninstalls that succeeded are removed; failures and
/// timeouts are kFailed; anything deferred or not attempted is kSkipped unless it was installed
/// already. This is what the device reports after a flow (PlanRequest::installed).
std::vector<InstalledItem> UpdateInventory(std::vector<InstalledItem> inventory,
                                           const PhaseRun& run);

}  // namespace groundcrew::core

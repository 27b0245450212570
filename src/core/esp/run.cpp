#include "core/esp/run.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace groundcrew::core {
namespace {

// "VPN client (app-vpn)", or the id alone when the plan has no name.
std::string Describe(const PlanItem& item) {
  if (item.display_name.empty() || item.display_name == item.id) return item.id;
  return fmt::format("{} ({})", item.display_name, item.id);
}

bool Finished(ItemStatus status) {
  switch (status) {
    case ItemStatus::kWaiting:
    case ItemStatus::kInProgress:
      return false;
    case ItemStatus::kSucceeded:
    case ItemStatus::kFailed:
    case ItemStatus::kTimedOut:
    case ItemStatus::kDeferred:
    case ItemStatus::kNotAttempted:
      return true;
  }
  return true;
}

// An item that ended without succeeding: whatever depends on it cannot run.
bool EndedBadly(ItemStatus status) {
  return status == ItemStatus::kFailed || status == ItemStatus::kTimedOut ||
         status == ItemStatus::kNotAttempted || status == ItemStatus::kDeferred;
}

Error Refuse(std::string message) {
  return MakeError(ErrorCode::kFailedPrecondition, std::move(message));
}

std::optional<size_t> IndexOf(const PhaseRun& run, std::string_view id) {
  for (size_t i = 0; i < run.items.size(); ++i) {
    if (run.items[i].plan.id == id) return i;
  }
  return std::nullopt;
}

// The index of a running item, or the error an item event gets otherwise.
Result<size_t> RunningItem(const PhaseRun& run, std::string_view id, std::string_view event) {
  if (run.status != PhaseStatus::kInProgress) {
    return Refuse(fmt::format("{}: {} for \"{}\" but the phase is {}", DisplayName(run.phase),
                              event, id, ToString(run.status)));
  }
  const std::optional<size_t> index = IndexOf(run, id);
  if (!index) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("{} has no item \"{}\"", DisplayName(run.phase), id), "id");
  }
  const ItemRun& item = run.items[*index];
  if (item.status != ItemStatus::kInProgress) {
    return Refuse(fmt::format("{}: {} for {}, which is {}", DisplayName(run.phase), event,
                              Describe(item.plan), ToString(item.status)));
  }
  return *index;
}

ItemRun Waiting(PlanItem plan) {
  ItemRun item;
  item.plan = std::move(plan);
  return item;
}

void Finish(ItemRun& item, ItemStatus status, Timestamp now) {
  item.status = status;
  item.finished_at = now;
}

// Fails every waiting item whose dependency (an item of this phase) ended without succeeding,
// repeatedly, so that chains fail too. Returns the items it failed, in plan order.
std::vector<size_t> FailDependents(PhaseRun& run, Timestamp now) {
  std::vector<size_t> failed;
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < run.items.size(); ++i) {
      ItemRun& item = run.items[i];
      if (item.status != ItemStatus::kWaiting) continue;
      for (const std::string& dependency : item.plan.depends_on) {
        const std::optional<size_t> d = IndexOf(run, dependency);
        if (!d || !EndedBadly(run.items[*d].status)) continue;
        Finish(item, ItemStatus::kFailed, now);
        item.code = 0;
        item.message = fmt::format("{} not attempted: it depends on {}, which did not succeed",
                                   Describe(item.plan), Describe(run.items[*d].plan));
        failed.push_back(i);
        changed = true;
        break;
      }
    }
  }
  std::sort(failed.begin(), failed.end());
  return failed;
}

void FailPhase(PhaseRun& run, PhaseFailure failure, Timestamp now) {
  for (ItemRun& item : run.items) {
    if (item.status == ItemStatus::kWaiting) {
      Finish(item, ItemStatus::kNotAttempted, now);
      item.message = fmt::format("not attempted: {} stopped", DisplayName(run.phase));
    } else if (item.status == ItemStatus::kInProgress) {
      Finish(item, ItemStatus::kNotAttempted, now);
      item.message = fmt::format("interrupted: {} stopped", DisplayName(run.phase));
    }
  }
  run.status = PhaseStatus::kFailed;
  run.finished_at = now;
  run.failure = std::move(failure);
}

PhaseFailure ItemFailure(const PhaseRun& run, const ItemRun& item) {
  const bool timed_out = item.status == ItemStatus::kTimedOut;
  PhaseFailure failure;
  failure.cause = timed_out ? PhaseFailure::Cause::kItemTimedOut : PhaseFailure::Cause::kItemFailed;
  failure.items = {item.plan.id};
  failure.code = item.code;
  failure.message = fmt::format("{} failed: {}", DisplayName(run.phase), item.message);
  return failure;
}

// Called after every change to an InProgress run. `changed` is the item the event ended, if
// any. Fails dependents; fails the phase when a blocking item (the changed one first, then any
// dependent) ended badly; completes it when nothing is left to run.
void Settle(PhaseRun& run, std::optional<size_t> changed, Timestamp now) {
  if (run.status != PhaseStatus::kInProgress) return;
  std::vector<size_t> candidates;
  if (changed) candidates.push_back(*changed);
  for (size_t i : FailDependents(run, now)) candidates.push_back(i);
  for (size_t i : candidates) {
    const ItemRun& item = run.items[i];
    if (item.plan.blocking && EndedBadly(item.status) && item.status != ItemStatus::kDeferred) {
      FailPhase(run, ItemFailure(run, item), now);
      return;
    }
  }
  const bool done = std::all_of(run.items.begin(), run.items.end(),
                                [](const ItemRun& item) { return Finished(item.status); });
  if (done) {
    run.status = PhaseStatus::kComplete;
    run.finished_at = now;
  }
}

// Sets a (re)started run's items up: deferred items are skipped, items the plan knows cannot
// succeed fail. Then settles (a blocking plan error fails the phase at once).
void Begin(PhaseRun& run, Timestamp now) {
  run.status = PhaseStatus::kInProgress;
  run.started_at = now;
  run.finished_at.reset();
  run.failure.reset();
  run.pending_reboot = RebootKind::kNone;
  ++run.run_number;
  std::optional<size_t> first_blocking_error;
  for (size_t i = 0; i < run.items.size(); ++i) {
    ItemRun& item = run.items[i];
    if (item.status == ItemStatus::kSucceeded) continue;
    item = Waiting(std::move(item.plan));
    if (item.plan.deferred) {
      Finish(item, ItemStatus::kDeferred, now);
      item.message = "deferred: installed in the user flow";
    } else if (!item.plan.plan_error.empty()) {
      Finish(item, ItemStatus::kFailed, now);
      item.message = fmt::format("{} not attempted: {}", Describe(item.plan), item.plan.plan_error);
      if (item.plan.blocking && !first_blocking_error) first_blocking_error = i;
    }
  }
  Settle(run, first_blocking_error, now);
}

Result<PhaseRun> On(const PhaseRun& run, const ItemStarted& e, Timestamp now) {
  if (run.status != PhaseStatus::kInProgress) {
    return Refuse(fmt::format("{}: cannot start \"{}\": the phase is {}", DisplayName(run.phase),
                              e.id, ToString(run.status)));
  }
  const std::optional<size_t> index = IndexOf(run, e.id);
  if (!index) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("{} has no item \"{}\"", DisplayName(run.phase), e.id), "id");
  }
  const ItemRun& item = run.items[*index];
  const std::string name = Describe(item.plan);
  if (item.status != ItemStatus::kWaiting) {
    return Refuse(fmt::format("cannot start {}: it is {}", name, ToString(item.status)));
  }
  if (item.not_before && now < *item.not_before) {
    return Refuse(
        fmt::format("cannot start {} before {:%FT%TZ} (retry delay)", name, *item.not_before));
  }
  for (const std::string& dependency : item.plan.depends_on) {
    const std::optional<size_t> d = IndexOf(run, dependency);
    if (d && run.items[*d].status != ItemStatus::kSucceeded) {
      return Refuse(
          fmt::format("cannot start {}: it waits for {}", name, Describe(run.items[*d].plan)));
    }
  }
  if (!item.plan.installer_class.empty()) {
    for (const ItemRun& other : run.items) {
      if (other.status == ItemStatus::kInProgress &&
          other.plan.installer_class == item.plan.installer_class) {
        return Refuse(fmt::format("cannot start {} while {} (installer class \"{}\") is installing",
                                  name, Describe(other.plan), item.plan.installer_class));
      }
    }
  }
  if (run.pending_reboot == RebootKind::kHard) {
    return Refuse(fmt::format("cannot start {}: a hard reboot is pending", name));
  }
  PhaseRun next = run;
  ItemRun& started = next.items[*index];
  started.status = ItemStatus::kInProgress;
  ++started.attempt;
  started.started_at = now;
  started.finished_at.reset();
  started.not_before.reset();
  started.bytes_done = 0;
  started.bytes_total = e.bytes_total > 0 ? e.bytes_total : started.plan.size;
  started.code = 0;
  started.message.clear();
  return next;
}

Result<PhaseRun> On(const PhaseRun& run, const ItemProgress& e, Timestamp) {
  Result<size_t> index = RunningItem(run, e.id, ItemProgress::kName);
  if (!index) return index.error();
  PhaseRun next = run;
  ItemRun& item = next.items[*index];
  const long long total = e.bytes_total > 0 ? e.bytes_total : item.bytes_total;
  if (e.bytes_done < 0 || e.bytes_total < 0 || (total > 0 && e.bytes_done > total)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("progress of {}: {} of {} bytes", e.id, e.bytes_done, total),
                     "bytes_done");
  }
  item.bytes_done = e.bytes_done;
  item.bytes_total = total;
  return next;
}

Result<PhaseRun> On(const PhaseRun& run, const ItemSucceeded& e, Timestamp now) {
  Result<size_t> index = RunningItem(run, e.id, ItemSucceeded::kName);
  if (!index) return index.error();
  PhaseRun next = run;
  ItemRun& item = next.items[*index];
  Finish(item, ItemStatus::kSucceeded, now);
  item.reboot = e.reboot;
  if (item.bytes_total > 0) item.bytes_done = item.bytes_total;
  next.pending_reboot = std::max(next.pending_reboot, e.reboot);
  Settle(next, *index, now);
  return next;
}

Result<PhaseRun> On(const PhaseRun& run, const ItemFailed& e, Timestamp now) {
  Result<size_t> index = RunningItem(run, e.id, ItemFailed::kName);
  if (!index) return index.error();
  PhaseRun next = run;
  ItemRun& item = next.items[*index];
  Finish(item, ItemStatus::kFailed, now);
  item.code = e.code;
  item.message =
      fmt::format("{} failed with error {}", Describe(item.plan), FormatErrorCode(e.code));
  if (!e.message.empty()) item.message += ": " + e.message;
  Settle(next, *index, now);
  return next;
}

Result<PhaseRun> On(const PhaseRun& run, const ItemNeedsRetry& e, Timestamp now) {
  Result<size_t> index = RunningItem(run, e.id, ItemNeedsRetry::kName);
  if (!index) return index.error();
  PhaseRun next = run;
  ItemRun& item = next.items[*index];
  item.code = e.code;
  if (item.attempt < kMaxInstallAttempts) {
    item.status = ItemStatus::kWaiting;
    item.not_before = now + kRetryDelay;
    item.message =
        fmt::format("attempt {} of {} ended with {}; retrying after {:%FT%TZ}", item.attempt,
                    kMaxInstallAttempts, FormatErrorCode(e.code), *item.not_before);
    return next;
  }
  Finish(item, ItemStatus::kFailed, now);
  item.message = fmt::format("{} failed: still asking to retry ({}) after {} attempts",
                             Describe(item.plan), FormatErrorCode(e.code), kMaxInstallAttempts);
  Settle(next, *index, now);
  return next;
}

Result<PhaseRun> On(const PhaseRun& run, const Tick&, Timestamp now) {
  if (run.status != PhaseStatus::kInProgress) return run;
  PhaseRun next = run;
  std::optional<size_t> blocking_timeout;
  for (size_t i = 0; i < next.items.size(); ++i) {
    ItemRun& item = next.items[i];
    if (item.status != ItemStatus::kInProgress) continue;
    const std::chrono::minutes limit{item.plan.time_limit_minutes};
    if (now < *item.started_at + limit) continue;
    Finish(item, ItemStatus::kTimedOut, now);
    item.code = kTimeoutErrorCode;
    item.message = fmt::format("{} did not finish within its {}-minute limit", Describe(item.plan),
                               item.plan.time_limit_minutes);
    if (item.plan.blocking && !blocking_timeout) blocking_timeout = i;
  }
  if (blocking_timeout) {
    FailDependents(next, now);
    FailPhase(next, ItemFailure(next, next.items[*blocking_timeout]), now);
    return next;
  }
  Settle(next, std::nullopt, now);  // non-blocking timeouts: dependents, maybe completion
  const std::chrono::minutes timeout{next.timeout_minutes};
  if (next.status != PhaseStatus::kInProgress || next.timeout_minutes <= 0 ||
      now < *next.started_at + timeout) {
    return next;
  }
  PhaseFailure failure;
  failure.cause = PhaseFailure::Cause::kPhaseTimedOut;
  failure.code = kTimeoutErrorCode;
  std::vector<std::string> names;
  for (ItemRun& item : next.items) {
    if (item.status != ItemStatus::kInProgress) continue;
    Finish(item, ItemStatus::kTimedOut, now);
    item.code = kTimeoutErrorCode;
    item.message = fmt::format("still running when {} timed out", DisplayName(next.phase));
    failure.items.push_back(item.plan.id);
    names.push_back(Describe(item.plan));
  }
  std::string_view doing = "still installing";
  if (failure.items.empty()) {
    doing = "not yet started";
    for (const ItemRun& item : next.items) {
      if (item.status != ItemStatus::kWaiting) continue;
      failure.items.push_back(item.plan.id);
      names.push_back(Describe(item.plan));
    }
  }
  failure.message =
      fmt::format("{} did not finish within {} minutes; {}: {}", DisplayName(next.phase),
                  next.timeout_minutes, doing, fmt::join(names, ", "));
  FailPhase(next, std::move(failure), now);
  return next;
}

Result<PhaseRun> On(const PhaseRun& run, const Rebooted&, Timestamp) {
  PhaseRun next = run;
  next.pending_reboot = RebootKind::kNone;
  if (next.status != PhaseStatus::kInProgress) return next;
  for (ItemRun& item : next.items) {
    if (item.status != ItemStatus::kInProgress) continue;
    item.status = ItemStatus::kWaiting;
    --item.attempt;
    item.started_at.reset();
    item.bytes_done = 0;
    item.message = "interrupted by a restart; will start again";
  }
  return next;
}

}  // namespace

std::string FormatErrorCode(std::int64_t code) {
  if (code < 0 || code >= 0x80000000LL) {
    return fmt::format("0x{:08X}", static_cast<std::uint32_t>(code));
  }
  return std::to_string(code);
}

std::string_view ToString(ItemStatus status) {
  switch (status) {
    case ItemStatus::kWaiting:
      return "waiting";
    case ItemStatus::kInProgress:
      return "in-progress";
    case ItemStatus::kSucceeded:
      return "succeeded";
    case ItemStatus::kFailed:
      return "failed";
    case ItemStatus::kTimedOut:
      return "timed-out";
    case ItemStatus::kDeferred:
      return "deferred";
    case ItemStatus::kNotAttempted:
      return "not-attempted";
  }
  return "?";
}

std::string_view ToString(RebootKind reboot) {
  switch (reboot) {
    case RebootKind::kNone:
      return "none";
    case RebootKind::kSoft:
      return "soft";
    case RebootKind::kHard:
      return "hard";
  }
  return "?";
}

std::string_view ToString(PhaseStatus status) {
  switch (status) {
    case PhaseStatus::kNotStarted:
      return "not-started";
    case PhaseStatus::kInProgress:
      return "in-progress";
    case PhaseStatus::kComplete:
      return "complete";
    case PhaseStatus::kFailed:
      return "failed";
  }
  return "?";
}

std::string_view ToString(PhaseFailure::Cause cause) {
  switch (cause) {
    case PhaseFailure::Cause::kItemFailed:
      return "item-failed";
    case PhaseFailure::Cause::kItemTimedOut:
      return "item-timed-out";
    case PhaseFailure::Cause::kPhaseTimedOut:
      return "phase-timed-out";
  }
  return "?";
}

std::string_view ToString(PreparationStep step) {
  switch (step) {
    case PreparationStep::kSecuringHardware:
      return "securing-hardware";
    case PreparationStep::kJoiningOrganization:
      return "joining-organization";
    case PreparationStep::kRegisteringForManagement:
      return "registering-for-management";
    case PreparationStep::kPreparingForManagement:
      return "preparing-for-management";
  }
  return "?";
}

std::optional<PreparationStep> PreparationStepOf(std::string_view id) {
  for (PreparationStep step : kPreparationSteps) {
    if (ToString(step) == id) return step;
  }
  return std::nullopt;
}

std::string_view DisplayName(EspPhase phase) {
  switch (phase) {
    case EspPhase::kDevicePreparation:
      return "Device preparation";
    case EspPhase::kDeviceSetup:
      return "Device setup";
    case EspPhase::kAccountSetup:
      return "Account setup";
  }
  return "ESP";
}

std::string_view DisplayName(PreparationStep step) {
  switch (step) {
    case PreparationStep::kSecuringHardware:
      return "Securing your hardware";
    case PreparationStep::kJoiningOrganization:
      return "Joining your organization's network";
    case PreparationStep::kRegisteringForManagement:
      return "Registering your device for mobile management";
    case PreparationStep::kPreparingForManagement:
      return "Preparing your device for mobile management";
  }
  return "?";
}

std::string_view ToString(const RunEvent& event) {
  return std::visit([](const auto& e) { return e.kName; }, event);
}

PhaseRun NewPhaseRun(const PhasePlan& plan) {
  PhaseRun run;
  run.phase = plan.phase;
  run.timeout_minutes = plan.timeout_minutes;
  run.items.reserve(plan.items.size());
  for (const PlanItem& item : plan.items) run.items.push_back(Waiting(item));
  return run;
}

PhaseRun NewDevicePreparationRun() {
  PhaseRun run;
  run.phase = EspPhase::kDevicePreparation;
  run.timeout_minutes = 0;
  std::string previous;
  for (PreparationStep step : kPreparationSteps) {
    PlanItem item;
    item.kind = ItemKind::kPreparationStep;
    item.id = std::string(ToString(step));
    item.display_name = std::string(DisplayName(step));
    item.blocking = true;
    item.time_limit_minutes = kPreparationStepTimeLimitMinutes;
    if (!previous.empty()) item.depends_on = {previous};
    previous = item.id;
    run.items.push_back(Waiting(std::move(item)));
  }
  return run;
}

Result<PhaseRun> StartPhase(const PhaseRun& run, Timestamp now) {
  if (run.status != PhaseStatus::kNotStarted) {
    return Refuse(fmt::format("{} is {}; only a phase not started yet can start",
                              DisplayName(run.phase), ToString(run.status)));
  }
  PhaseRun next = run;
  Begin(next, now);
  return next;
}

Result<PhaseRun> Apply(const PhaseRun& run, const RunEvent& event, Timestamp now) {
  return std::visit([&](const auto& e) { return On(run, e, now); }, event);
}

Result<PhaseRun> TryAgain(const PhaseRun& run, Timestamp now) {
  if (run.status != PhaseStatus::kFailed) {
    return Refuse(fmt::format("Try again needs a failed phase; {} is {}", DisplayName(run.phase),
                              ToString(run.status)));
  }
  PhaseRun next = run;
  Begin(next, now);
  return next;
}

namespace {

// How much waiting work an item stands in front of: the items that depend on it, directly or not,
// plus the items still waiting in its installer class (a class is a queue of one: its backlog is
// on the critical path). Install times are unknown before the fact, so work is counted in items.
std::vector<int> WorkBehind(const PhaseRun& run) {
  const size_t n = run.items.size();
  std::unordered_map<std::string_view, size_t> position;
  for (size_t i = 0; i < n; ++i) position.emplace(run.items[i].plan.id, i);
  std::vector<std::vector<size_t>> dependents(n);
  for (size_t i = 0; i < n; ++i) {
    for (const std::string& dependency : run.items[i].plan.depends_on) {
      auto it = position.find(dependency);
      if (it != position.end()) dependents[it->second].push_back(i);
    }
  }
  std::unordered_map<std::string_view, int> class_backlog;
  for (const ItemRun& item : run.items) {
    if (item.status == ItemStatus::kWaiting && !item.plan.installer_class.empty()) {
      ++class_backlog[item.plan.installer_class];
    }
  }
  std::vector<int> work(n, 0);
  std::vector<char> seen(n);
  for (size_t i = 0; i < n; ++i) {
    if (run.items[i].status != ItemStatus::kWaiting) continue;
    std::fill(seen.begin(), seen.end(), 0);
    std::vector<size_t> stack = dependents[i];
    int downstream = 0;
    while (!stack.empty()) {
      const size_t d = stack.back();
      stack.pop_back();
      if (seen[d]) continue;
      seen[d] = 1;
      ++downstream;
      stack.insert(stack.end(), dependents[d].begin(), dependents[d].end());
    }
    const std::string& cls = run.items[i].plan.installer_class;
    work[i] = downstream + (cls.empty() ? 0 : class_backlog[cls]);
  }
  return work;
}

}  // namespace

std::vector<std::string> ReadyItems(const PhaseRun& run, Timestamp now, int max_concurrent) {
  std::vector<std::string> ready;
  if (run.status != PhaseStatus::kInProgress || run.pending_reboot == RebootKind::kHard) {
    return ready;
  }
  std::unordered_set<std::string> busy_classes;
  int running = 0;
  for (const ItemRun& item : run.items) {
    if (item.status != ItemStatus::kInProgress) continue;
    ++running;
    if (!item.plan.installer_class.empty()) busy_classes.insert(item.plan.installer_class);
  }
  // Candidates that may start, most work behind them first (plan order among equals).
  std::vector<size_t> candidates;
  for (size_t i = 0; i < run.items.size(); ++i) {
    const ItemRun& item = run.items[i];
    if (item.status != ItemStatus::kWaiting) continue;
    if (item.not_before && now < *item.not_before) continue;
    const bool dependencies_met =
        std::all_of(item.plan.depends_on.begin(), item.plan.depends_on.end(),
                    [&](const std::string& dependency) {
                      const ItemRun* d = FindItem(run, dependency);
                      return d == nullptr || d->status == ItemStatus::kSucceeded;
                    });
    if (dependencies_met) candidates.push_back(i);
  }
  if (candidates.size() > 1) {
    const std::vector<int> work = WorkBehind(run);
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](size_t a, size_t b) { return work[a] > work[b]; });
  }
  for (size_t i : candidates) {
    if (running >= max_concurrent) break;
    const ItemRun& item = run.items[i];
    if (!item.plan.installer_class.empty() &&
        !busy_classes.insert(item.plan.installer_class).second) {
      continue;
    }
    ready.push_back(item.plan.id);
    ++running;
  }
  return ready;
}

const ItemRun* FindItem(const PhaseRun& run, std::string_view id) {
  const std::optional<size_t> index = IndexOf(run, id);
  return index ? &run.items[*index] : nullptr;
}

PhaseCounts CountItems(const PhaseRun& run) {
  PhaseCounts counts;
  for (const ItemRun& item : run.items) {
    switch (item.status) {
      case ItemStatus::kWaiting:
        ++counts.waiting;
        break;
      case ItemStatus::kInProgress:
        ++counts.in_progress;
        break;
      case ItemStatus::kSucceeded:
        ++counts.succeeded;
        break;
      case ItemStatus::kFailed:
        ++counts.failed;
        break;
      case ItemStatus::kTimedOut:
        ++counts.timed_out;
        break;
      case ItemStatus::kDeferred:
        ++counts.deferred;
        break;
      case ItemStatus::kNotAttempted:
        ++counts.not_attempted;
        break;
    }
  }
  counts.tracked = static_cast<int>(run.items.size()) - counts.deferred;
  return counts;
}

std::vector<InstalledItem> UpdateInventory(std::vector<InstalledItem> inventory,
                                           const PhaseRun& run) {
  auto find = [&](const PlanItem& plan) {
    return std::find_if(inventory.begin(), inventory.end(), [&](const InstalledItem& installed) {
      return installed.kind == plan.kind && installed.id == plan.id;
    });
  };
  for (const ItemRun& item : run.items) {
    auto existing = find(item.plan);
    const bool present = existing != inventory.end();
    const bool installed_before = present && existing->outcome == ItemOutcome::kInstalled;
    InstalledItem record{item.plan.kind, item.plan.id, item.plan.version, ItemOutcome::kInstalled};
    switch (item.status) {
      case ItemStatus::kSucceeded:
        if (item.plan.action == ItemAction::kUninstall) {
          if (present) inventory.erase(existing);
          continue;
        }
        break;
      case ItemStatus::kFailed:
      case ItemStatus::kTimedOut:
        record.outcome = ItemOutcome::kFailed;
        break;
      case ItemStatus::kWaiting:
      case ItemStatus::kInProgress:
      case ItemStatus::kDeferred:
      case ItemStatus::kNotAttempted:
        if (installed_before) continue;
        record.outcome = ItemOutcome::kSkipped;
        break;
    }
    if (item.plan.action == ItemAction::kUninstall && record.outcome != ItemOutcome::kInstalled) {
      continue;  // a failed or skipped uninstall leaves the device as it was
    }
    if (present) {
      *existing = std::move(record);
    } else {
      inventory.push_back(std::move(record));
    }
  }
  return inventory;
}

RebootKind RebootOf(ReturnCodeType type) {
  switch (type) {
    case ReturnCodeType::kSoftReboot:
      return RebootKind::kSoft;
    case ReturnCodeType::kHardReboot:
      return RebootKind::kHard;
    case ReturnCodeType::kSuccess:
    case ReturnCodeType::kRetry:
    case ReturnCodeType::kFailed:
      break;
  }
  return RebootKind::kNone;
}

RunEvent ExitCodeEvent(const std::string& id, const std::vector<ReturnCode>& codes,
                       std::int64_t exit_code, std::string message) {
  const ReturnCodeType type = ClassifyReturnCode(codes, static_cast<int>(exit_code));
  switch (type) {
    case ReturnCodeType::kRetry:
      return ItemNeedsRetry{.id = id, .code = exit_code};
    case ReturnCodeType::kFailed:
      return ItemFailed{.id = id, .code = exit_code, .message = std::move(message)};
    case ReturnCodeType::kSuccess:
    case ReturnCodeType::kSoftReboot:
    case ReturnCodeType::kHardReboot:
      break;
  }
  return ItemSucceeded{.id = id, .reboot = RebootOf(type)};
}

}  // namespace groundcrew::core

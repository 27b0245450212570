#include "core/esp/run.hpp"

#include <gtest/gtest.h>

#include "core/flow/technician_flow.hpp"
#include "core/flow/user_flow.hpp"

namespace groundcrew::core {
namespace {

using std::chrono::minutes;

constexpr Timestamp kT0{std::chrono::seconds{1'700'000'000}};

PlanItem Item(std::string id, bool blocking = true, std::string installer_class = "",
              std::vector<std::string> depends_on = {}) {
  PlanItem item;
  item.kind = ItemKind::kApp;
  item.id = id;
  item.display_name = "App " + id;
  item.version = "1.0";
  item.blocking = blocking;
  item.installer_class = std::move(installer_class);
  item.depends_on = std::move(depends_on);
  item.time_limit_minutes = 60;
  item.size = 1000;
  return item;
}

PhaseRun Started(std::vector<PlanItem> items, int timeout_minutes = 60) {
  PhasePlan plan{EspPhase::kDeviceSetup, std::move(items), timeout_minutes};
  Result<PhaseRun> run = StartPhase(NewPhaseRun(plan), kT0);
  EXPECT_TRUE(run.has_value());
  return *run;
}

// Applies `event`, expecting success.
PhaseRun Must(const PhaseRun& run, const RunEvent& event, Timestamp now) {
  Result<PhaseRun> next = Apply(run, event, now);
  EXPECT_TRUE(next.has_value()) << ToString(event) << ": " << next.error().message;
  return next.has_value() ? *next : run;
}

PhaseRun Install(PhaseRun run, const std::string& id, Timestamp now) {
  run = Must(run, ItemStarted{.id = id}, now);
  return Must(run, ItemSucceeded{.id = id}, now + minutes(1));
}

ItemStatus StatusOf(const PhaseRun& run, std::string_view id) {
  const ItemRun* item = FindItem(run, id);
  EXPECT_NE(item, nullptr) << id;
  return item != nullptr ? item->status : ItemStatus::kWaiting;
}

TEST(EspRunTest, NewRunIsNotStartedAndStartingStartsTheClock) {
  PhaseRun run = NewPhaseRun(PhasePlan{EspPhase::kDeviceSetup, {Item("a")}, 45});
  EXPECT_EQ(run.status, PhaseStatus::kNotStarted);
  EXPECT_EQ(run.timeout_minutes, 45);
  Result<PhaseRun> started = StartPhase(run, kT0);
  ASSERT_TRUE(started);
  EXPECT_EQ(started->status, PhaseStatus::kInProgress);
  EXPECT_EQ(started->started_at, kT0);
  EXPECT_EQ(started->run_number, 1);
  Result<PhaseRun> again = StartPhase(*started, kT0);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
}

TEST(EspRunTest, EmptyPhaseCompletesAtOnce) {
  PhaseRun run = Started({});
  EXPECT_EQ(run.status, PhaseStatus::kComplete);
  EXPECT_EQ(run.finished_at, kT0);
}

TEST(EspRunTest, DeferredItemsAreSkippedWithoutAttempt) {
  PlanItem deferred = Item("later", false);
  deferred.deferred = true;
  PhaseRun run = Started({Item("now"), deferred});
  EXPECT_EQ(StatusOf(run, "later"), ItemStatus::kDeferred);
  run = Install(run, "now", kT0);
  EXPECT_EQ(run.status, PhaseStatus::kComplete);
  EXPECT_EQ(FindItem(run, "later")->attempt, 0);
  const PhaseCounts counts = CountItems(run);
  EXPECT_EQ(counts.tracked, 1);
  EXPECT_EQ(counts.succeeded, 1);
  EXPECT_EQ(counts.deferred, 1);
}

TEST(EspRunTest, BlockingPlanErrorFailsThePhaseAtStart) {
  PlanItem broken = Item("broken");
  broken.plan_error = "depends on \"x\", which does not exist";
  PhaseRun run = Started({Item("a"), broken});
  EXPECT_EQ(run.status, PhaseStatus::kFailed);
  EXPECT_EQ(StatusOf(run, "broken"), ItemStatus::kFailed);
  EXPECT_EQ(StatusOf(run, "a"), ItemStatus::kNotAttempted);
  ASSERT_TRUE(run.failure);
  EXPECT_EQ(run.failure->items, std::vector<std::string>{"broken"});
  EXPECT_NE(run.failure->message.find("does not exist"), std::string::npos);
}

TEST(EspRunTest, NonBlockingPlanErrorIsRecordedAndThePhaseGoesOn) {
  PlanItem broken = Item("broken", false);
  broken.plan_error = "part of a dependency cycle";
  PhaseRun run = Started({Item("a"), broken});
  EXPECT_EQ(run.status, PhaseStatus::kInProgress);
  run = Install(run, "a", kT0);
  EXPECT_EQ(run.status, PhaseStatus::kComplete);
  EXPECT_EQ(StatusOf(run, "broken"), ItemStatus::kFailed);
}

TEST(EspRunTest, BlockingFailureFailsThePhaseAndNamesTheItem) {
  PhaseRun run = Started({Item("a"), Item("b", true, "msi"), Item("c", false, "win32")});
  run = Must(run, ItemStarted{.id = "b"}, kT0);
  run = Must(run, ItemStarted{.id = "c"}, kT0);
  run = Must(run, ItemFailed{.id = "b", .code = 1603, .message = "fatal error"}, kT0 + minutes(3));
  EXPECT_EQ(run.status, PhaseStatus::kFailed);
  ASSERT_TRUE(run.failure);
  EXPECT_EQ(run.failure->cause, PhaseFailure::Cause::kItemFailed);
  EXPECT_EQ(run.failure->items, std::vector<std::string>{"b"});
  EXPECT_EQ(run.failure->code, 1603);
  EXPECT_NE(run.failure->message.find("App b (b) failed with error 1603: fatal error"),
            std::string::npos)
      << run.failure->message;
  EXPECT_EQ(StatusOf(run, "a"), ItemStatus::kNotAttempted);
  EXPECT_EQ(StatusOf(run, "c"), ItemStatus::kNotAttempted);  // interrupted
  EXPECT_EQ(run.finished_at, kT0 + minutes(3));
}

TEST(EspRunTest, NonBlockingFailureIsRecordedAndThePhaseCompletes) {
  PhaseRun run = Started({Item("a"), Item("b", false)});
  run = Install(run, "a", kT0);
  run = Must(run, ItemStarted{.id = "b"}, kT0);
  run = Must(run, ItemFailed{.id = "b", .code = 1603}, kT0 + minutes(2));
  EXPECT_EQ(run.status, PhaseStatus::kComplete);
  EXPECT_EQ(StatusOf(run, "b"), ItemStatus::kFailed);
  EXPECT_EQ(FindItem(run, "b")->code, 1603);
  EXPECT_FALSE(run.failure);
}

TEST(EspRunTest, RetryCodeWaitsFiveMinutesAndGivesUpAfterThreeAttempts) {
  PhaseRun run = Started({Item("a")});
  Timestamp now = kT0;
  for (int attempt = 1; attempt <= kMaxInstallAttempts; ++attempt) {
    run = Must(run, ItemStarted{.id = "a"}, now);
    EXPECT_EQ(FindItem(run, "a")->attempt, attempt);
    run = Must(run, ItemNeedsRetry{.id = "a"}, now + minutes(1));
    now += minutes(1);
    if (attempt < kMaxInstallAttempts) {
      EXPECT_EQ(StatusOf(run, "a"), ItemStatus::kWaiting);
      EXPECT_EQ(FindItem(run, "a")->not_before, now + kRetryDelay);
      EXPECT_TRUE(ReadyItems(run, now, 4).empty());
      Result<PhaseRun> early = Apply(run, ItemStarted{.id = "a"}, now + minutes(4));
      ASSERT_FALSE(early);
      EXPECT_EQ(early.error().code, ErrorCode::kFailedPrecondition);
      now += kRetryDelay;
      EXPECT_EQ(ReadyItems(run, now, 4), std::vector<std::string>{"a"});
    }
  }
  EXPECT_EQ(StatusOf(run, "a"), ItemStatus::kFailed);
  EXPECT_EQ(FindItem(run, "a")->code, 1618);
  EXPECT_EQ(run.status, PhaseStatus::kFailed);
}

TEST(EspRunTest, ItemPastItsTimeLimitTimesOut) {
  PlanItem slow = Item("slow", false);
  slow.time_limit_minutes = 10;
  PhaseRun run = Started({slow, Item("b")});
  run = Must(run, ItemStarted{.id = "slow"}, kT0);
  run = Must(run, Tick{}, kT0 + minutes(9));
  EXPECT_EQ(StatusOf(run, "slow"), ItemStatus::kInProgress);
  run = Must(run, Tick{}, kT0 + minutes(10));
  EXPECT_EQ(StatusOf(run, "slow"), ItemStatus::kTimedOut);
  EXPECT_EQ(FindItem(run, "slow")->code, kTimeoutErrorCode);
  EXPECT_EQ(run.status, PhaseStatus::kInProgress);  // not blocking
}

TEST(EspRunTest, BlockingItemTimeoutFailsThePhase) {
  PlanItem slow = Item("slow");
  slow.time_limit_minutes = 10;
  PhaseRun run = Started({slow});
  run = Must(run, ItemStarted{.id = "slow"}, kT0);
  run = Must(run, Tick{}, kT0 + minutes(11));
  EXPECT_EQ(run.status, PhaseStatus::kFailed);
  EXPECT_EQ(run.failure->cause, PhaseFailure::Cause::kItemTimedOut);
  EXPECT_EQ(run.failure->items, std::vector<std::string>{"slow"});
  EXPECT_EQ(run.failure->code, kTimeoutErrorCode);
}

TEST(EspRunTest, PhaseTimeoutNamesTheItemStillRunning) {
  PhaseRun run = Started({Item("a"), Item("office"), Item("c")}, 60);
  run = Install(run, "a", kT0);
  run = Must(run, ItemStarted{.id = "office"}, kT0 + minutes(2));
  run = Must(run, Tick{}, kT0 + minutes(59));
  EXPECT_EQ(run.status, PhaseStatus::kInProgress);
  run = Must(run, Tick{}, kT0 + minutes(60));
  EXPECT_EQ(run.status, PhaseStatus::kFailed);
  EXPECT_EQ(run.failure->cause, PhaseFailure::Cause::kPhaseTimedOut);
  EXPECT_EQ(run.failure->items, std::vector<std::string>{"office"});
  EXPECT_EQ(run.failure->message,
            "Device setup did not finish within 60 minutes; still installing: App office "
            "(office)");
  EXPECT_EQ(StatusOf(run, "office"), ItemStatus::kTimedOut);
  EXPECT_EQ(StatusOf(run, "a"), ItemStatus::kSucceeded);
  EXPECT_EQ(StatusOf(run, "c"), ItemStatus::kNotAttempted);
}

TEST(EspRunTest, PhaseTimeoutWithNothingRunningNamesTheWaitingItems) {
  PhaseRun run = Started({Item("a"), Item("b")}, 30);
  run = Must(run, Tick{}, kT0 + minutes(30));
  EXPECT_EQ(run.status, PhaseStatus::kFailed);
  EXPECT_EQ(run.failure->items, (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(run.failure->message.find("not yet started"), std::string::npos);
}

TEST(EspRunTest, DependenciesOrderStartsAndFailuresPropagate) {
  PhaseRun run = Started({Item("runtime", false), Item("app", false, "", {"runtime"}),
                          Item("addon", false, "", {"app"}), Item("other", false)});
  Result<PhaseRun> early = Apply(run, ItemStarted{.id = "app"}, kT0);
  ASSERT_FALSE(early);
  EXPECT_NE(early.error().message.find("waits for App runtime"), std::string::npos);
  EXPECT_EQ(ReadyItems(run, kT0, 4), (std::vector<std::string>{"runtime", "other"}));
  run = Must(run, ItemStarted{.id = "runtime"}, kT0);
  run = Must(run, ItemFailed{.id = "runtime", .code = 1}, kT0);
  EXPECT_EQ(StatusOf(run, "app"), ItemStatus::kFailed);
  EXPECT_EQ(StatusOf(run, "addon"), ItemStatus::kFailed);
  EXPECT_EQ(FindItem(run, "addon")->attempt, 0);
  EXPECT_EQ(run.status, PhaseStatus::kInProgress);  // "other" still to go
  run = Install(run, "other", kT0);
  EXPECT_EQ(run.status, PhaseStatus::kComplete);
}

TEST(EspRunTest, FailedDependencyOfABlockingItemFailsThePhaseNamingTheDependent) {
  PhaseRun run = Started({Item("runtime", false), Item("app", true, "", {"runtime"})});
  run = Must(run, ItemStarted{.id = "runtime"}, kT0);
  run = Must(run, ItemFailed{.id = "runtime", .code = 1}, kT0);
  EXPECT_EQ(run.status, PhaseStatus::kFailed);
  EXPECT_EQ(run.failure->items, std::vector<std::string>{"app"});
}

TEST(EspRunTest, OneItemPerInstallerClassAtATime) {
  PhaseRun run = Started({Item("msi-1", true, "msi"), Item("msi-2", true, "msi"),
                          Item("w32", true, "win32"), Item("free", true, "")});
  EXPECT_EQ(ReadyItems(run, kT0, 8), (std::vector<std::string>{"msi-1", "w32", "free"}));
  EXPECT_EQ(ReadyItems(run, kT0, 2), (std::vector<std::string>{"msi-1", "w32"}));
  run = Must(run, ItemStarted{.id = "msi-1"}, kT0);
  Result<PhaseRun> conflict = Apply(run, ItemStarted{.id = "msi-2"}, kT0);
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(conflict.error().message.find("installer class \"msi\""), std::string::npos);
  EXPECT_EQ(ReadyItems(run, kT0, 8), (std::vector<std::string>{"w32", "free"}));
  EXPECT_EQ(ReadyItems(run, kT0, 1), std::vector<std::string>{});
  run = Must(run, ItemSucceeded{.id = "msi-1"}, kT0);
  EXPECT_EQ(ReadyItems(run, kT0, 8), (std::vector<std::string>{"msi-2", "w32", "free"}));
}

TEST(EspRunTest, HardRebootBlocksFurtherStartsUntilTheDeviceRestarts) {
  PhaseRun run = Started({Item("driver"), Item("b"), Item("c", true, "other")});
  run = Must(run, ItemStarted{.id = "driver"}, kT0);
  run = Must(run, ItemStarted{.id = "c"}, kT0);
  run = Must(run, ItemSucceeded{.id = "driver", .reboot = RebootKind::kHard}, kT0);
  EXPECT_EQ(run.pending_reboot, RebootKind::kHard);
  EXPECT_TRUE(ReadyItems(run, kT0, 4).empty());
  EXPECT_FALSE(Apply(run, ItemStarted{.id = "b"}, kT0));
  run = Must(run, Rebooted{}, kT0 + minutes(2));
  EXPECT_EQ(run.pending_reboot, RebootKind::kNone);
  // The restart interrupted "c": it waits again and the interrupted attempt does not count.
  EXPECT_EQ(StatusOf(run, "c"), ItemStatus::kWaiting);
  EXPECT_EQ(FindItem(run, "c")->attempt, 0);
  EXPECT_EQ(run.started_at, kT0);  // the phase clock runs on
  run = Install(run, "b", kT0 + minutes(3));
  run = Install(run, "c", kT0 + minutes(5));
  EXPECT_EQ(run.status, PhaseStatus::kComplete);
  EXPECT_EQ(FindItem(run, "driver")->reboot, RebootKind::kHard);
}

TEST(EspRunTest, TryAgainKeepsSucceededItemsAndRestartsTheClock) {
  PhaseRun run = Started({Item("a"), Item("b"), Item("c", false)}, 60);
  run = Install(run, "a", kT0);
  run = Must(run, ItemStarted{.id = "b"}, kT0 + minutes(5));
  run = Must(run, Tick{}, kT0 + minutes(61));
  ASSERT_EQ(run.status, PhaseStatus::kFailed);

  const Timestamp retry_at = kT0 + minutes(70);
  Result<PhaseRun> resumed = TryAgain(run, retry_at);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->status, PhaseStatus::kInProgress);
  EXPECT_EQ(resumed->run_number, 2);
  EXPECT_EQ(resumed->started_at, retry_at);
  EXPECT_FALSE(resumed->failure);
  EXPECT_EQ(StatusOf(*resumed, "a"), ItemStatus::kSucceeded);
  EXPECT_EQ(StatusOf(*resumed, "b"), ItemStatus::kWaiting);
  EXPECT_EQ(FindItem(*resumed, "b")->attempt, 0);
  EXPECT_EQ(StatusOf(*resumed, "c"), ItemStatus::kWaiting);
  // The fresh clock: 59 minutes after Try again is not a timeout.
  run = Must(*resumed, Tick{}, retry_at + minutes(59));
  EXPECT_EQ(run.status, PhaseStatus::kInProgress);
  run = Install(run, "b", retry_at + minutes(59));
  run = Install(run, "c", retry_at + minutes(59));
  EXPECT_EQ(run.status, PhaseStatus::kComplete);

  Result<PhaseRun> not_failed = TryAgain(run, retry_at);
  ASSERT_FALSE(not_failed);
  EXPECT_EQ(not_failed.error().code, ErrorCode::kFailedPrecondition);
}

TEST(EspRunTest, ItemEventsAreCheckedAgainstThePhaseAndTheItem) {
  const PhaseRun not_started = NewPhaseRun(PhasePlan{EspPhase::kDeviceSetup, {Item("a")}, 60});
  const PhaseRun run = Started({Item("a")});
  struct Case {
    const char* name;
    const PhaseRun* run;
    RunEvent event;
    ErrorCode code;
  };
  const Case cases[] = {
      {"start before the phase", &not_started, ItemStarted{.id = "a"},
       ErrorCode::kFailedPrecondition},
      {"unknown item", &run, ItemStarted{.id = "zz"}, ErrorCode::kNotFound},
      {"success before start", &run, ItemSucceeded{.id = "a"}, ErrorCode::kFailedPrecondition},
      {"failure before start", &run, ItemFailed{.id = "a", .code = 1},
       ErrorCode::kFailedPrecondition},
      {"retry before start", &run, ItemNeedsRetry{.id = "a"}, ErrorCode::kFailedPrecondition},
      {"progress before start", &run, ItemProgress{.id = "a", .bytes_done = 1},
       ErrorCode::kFailedPrecondition},
      {"unknown progress", &run, ItemProgress{.id = "zz"}, ErrorCode::kNotFound},
  };
  for (const Case& c : cases) {
    Result<PhaseRun> next = Apply(*c.run, c.event, kT0);
    ASSERT_FALSE(next) << c.name;
    EXPECT_EQ(next.error().code, c.code) << c.name << ": " << next.error().message;
  }
  PhaseRun started = Must(run, ItemStarted{.id = "a"}, kT0);
  Result<PhaseRun> twice = Apply(started, ItemStarted{.id = "a"}, kT0);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kFailedPrecondition);
}

TEST(EspRunTest, ProgressTracksBytes) {
  PhaseRun run = Started({Item("a")});
  run = Must(run, ItemStarted{.id = "a"}, kT0);
  EXPECT_EQ(FindItem(run, "a")->bytes_total, 1000);  // the plan's size
  run = Must(run, ItemProgress{.id = "a", .bytes_done = 250, .bytes_total = 2000}, kT0);
  EXPECT_EQ(FindItem(run, "a")->bytes_done, 250);
  EXPECT_EQ(FindItem(run, "a")->bytes_total, 2000);
  Result<PhaseRun> too_much = Apply(run, ItemProgress{.id = "a", .bytes_done = 2001}, kT0);
  ASSERT_FALSE(too_much);
  EXPECT_EQ(too_much.error().code, ErrorCode::kInvalidArgument);
  run = Must(run, ItemSucceeded{.id = "a"}, kT0);
  EXPECT_EQ(FindItem(run, "a")->bytes_done, 2000);
}

TEST(EspRunTest, TicksAndRebootsOutsideARunningPhaseChangeNothing) {
  const PhaseRun not_started = NewPhaseRun(PhasePlan{EspPhase::kDeviceSetup, {Item("a")}, 1});
  PhaseRun run = Must(not_started, Tick{}, kT0 + minutes(600));
  EXPECT_EQ(run.status, PhaseStatus::kNotStarted);
  run = Must(run, Rebooted{}, kT0);
  EXPECT_EQ(run.status, PhaseStatus::kNotStarted);
}

TEST(EspRunTest, DevicePreparationRunsFourStepsInOrderWithFifteenMinutesEach) {
  PhaseRun run = NewDevicePreparationRun();
  ASSERT_EQ(run.items.size(), 4u);
  EXPECT_EQ(run.phase, EspPhase::kDevicePreparation);
  EXPECT_EQ(run.timeout_minutes, 0);
  EXPECT_EQ(run.items[0].plan.id, "securing-hardware");
  EXPECT_EQ(run.items[0].plan.display_name, "Securing your hardware");
  EXPECT_EQ(run.items[3].plan.id, "preparing-for-management");
  for (const ItemRun& item : run.items) {
    EXPECT_EQ(item.plan.time_limit_minutes, kPreparationStepTimeLimitMinutes);
    EXPECT_TRUE(item.plan.blocking);
  }
  run = *StartPhase(run, kT0);
  EXPECT_EQ(ReadyItems(run, kT0, 4), std::vector<std::string>{"securing-hardware"});
  run = Must(run, ItemStarted{.id = "securing-hardware"}, kT0);
  // No phase clock: hours pass without a timeout as long as no step runs past its limit.
  run = Must(run, ItemSucceeded{.id = "securing-hardware"}, kT0 + minutes(14));
  run = Must(run, Tick{}, kT0 + minutes(300));
  EXPECT_EQ(run.status, PhaseStatus::kInProgress);
  run = Must(run, ItemStarted{.id = "joining-organization"}, kT0 + minutes(300));
  run = Must(run, Tick{}, kT0 + minutes(315));
  EXPECT_EQ(run.status, PhaseStatus::kFailed);
  EXPECT_EQ(run.failure->items, std::vector<std::string>{"joining-organization"});
  EXPECT_EQ(run.failure->code, kTimeoutErrorCode);
}

TEST(EspRunTest, InventoryRecordsWhatTheRunDid) {
  PlanItem deferred = Item("deferred", false);
  deferred.deferred = true;
  PlanItem removed = Item("removed", false);
  removed.action = ItemAction::kUninstall;
  PlanItem upgraded = Item("upgraded", false);
  upgraded.version = "2.0";
  PhaseRun run = Started({Item("ok", false), Item("bad", false), deferred, removed, upgraded});
  run = Install(run, "ok", kT0);
  run = Must(run, ItemStarted{.id = "bad"}, kT0);
  run = Must(run, ItemFailed{.id = "bad", .code = 1603}, kT0);
  run = Install(run, "removed", kT0);
  run = Must(run, ItemStarted{.id = "upgraded"}, kT0);
  run = Must(run, ItemFailed{.id = "upgraded", .code = 1603}, kT0);
  ASSERT_EQ(run.status, PhaseStatus::kComplete);

  const std::vector<InstalledItem> before = {
      {ItemKind::kApp, "removed", "1.0", ItemOutcome::kInstalled},
      {ItemKind::kApp, "upgraded", "1.0", ItemOutcome::kInstalled},
      {ItemKind::kPolicy, "untouched", "3", ItemOutcome::kInstalled},
  };
  const std::vector<InstalledItem> after = UpdateInventory(before, run);
  auto outcome = [&](std::string_view id) -> std::optional<ItemOutcome> {
    for (const InstalledItem& item : after) {
      if (item.id == id) return item.outcome;
    }
    return std::nullopt;
  };
  EXPECT_EQ(outcome("ok"), ItemOutcome::kInstalled);
  EXPECT_EQ(outcome("bad"), ItemOutcome::kFailed);
  EXPECT_EQ(outcome("deferred"), ItemOutcome::kSkipped);
  EXPECT_EQ(outcome("removed"), std::nullopt);
  EXPECT_EQ(outcome("upgraded"), ItemOutcome::kFailed);
  EXPECT_EQ(outcome("untouched"), ItemOutcome::kInstalled);
}

TEST(EspRunTest, TheInventoryAfterAFlowFoldsThatFlowsRuns) {
  TechnicianState technician;
  EXPECT_TRUE(InventoryAfter(technician).empty()) << "no Device setup yet: nothing installed";
  PhaseRun setup = Started({Item("runtime", false), Item("vpn", false)});
  setup = Install(setup, "runtime", kT0);
  setup = Must(setup, ItemStarted{.id = "vpn"}, kT0);
  setup = Must(setup, ItemFailed{.id = "vpn", .code = 1603}, kT0);
  technician.device_setup = setup;
  const std::vector<InstalledItem> after_technician = InventoryAfter(technician);
  EXPECT_EQ(after_technician,
            (std::vector<InstalledItem>{{ItemKind::kApp, "runtime", "1.0", ItemOutcome::kInstalled},
                                        {ItemKind::kApp, "vpn", "1.0", ItemOutcome::kFailed}}));

  UserState user;  // signed in, nothing run yet: the device has what it had
  EXPECT_EQ(InventoryAfter(after_technician, user), after_technician);
  PhaseRun retry = Install(Started({Item("vpn", false)}), "vpn", kT0);
  PhaseRun account = Install(Started({Item("notes", false)}), "notes", kT0);
  user.device_setup = retry;
  user.account_setup = account;
  EXPECT_EQ(
      InventoryAfter(after_technician, user),
      (std::vector<InstalledItem>{{ItemKind::kApp, "runtime", "1.0", ItemOutcome::kInstalled},
                                  {ItemKind::kApp, "vpn", "1.0", ItemOutcome::kInstalled},
                                  {ItemKind::kApp, "notes", "1.0", ItemOutcome::kInstalled}}));
}

TEST(EspRunTest, ErrorCodesPrintAsExitCodesOrHresults) {
  const std::pair<std::int64_t, std::string> cases[] = {
      {0, "0"},
      {1603, "1603"},
      {0x800705B4, "0x800705B4"},
      {0x80180014, "0x80180014"},
      {-2147023436, "0x800705B4"},  // the same HRESULT read as a signed 32-bit value
  };
  for (const auto& [code, text] : cases) EXPECT_EQ(FormatErrorCode(code), text);
}

TEST(EspRunTest, NamesAreStable) {
  EXPECT_EQ(ToString(ItemStatus::kTimedOut), "timed-out");
  EXPECT_EQ(ToString(PhaseStatus::kNotStarted), "not-started");
  EXPECT_EQ(ToString(RunEvent{ItemNeedsRetry{}}), "item-needs-retry");
  EXPECT_EQ(ToString(PreparationStep::kRegisteringForManagement), "registering-for-management");
  EXPECT_EQ(ToString(PhaseFailure::Cause::kPhaseTimedOut), "phase-timed-out");
}

}  // namespace
}  // namespace groundcrew::core

namespace groundcrew::core {
namespace {

TEST(ExitCodeEvent, FollowsTheAppsReturnCodes) {
  const std::vector<ReturnCode> codes = DefaultReturnCodes();
  EXPECT_EQ(std::get<ItemSucceeded>(ExitCodeEvent("a", codes, 0)).reboot, RebootKind::kNone);
  EXPECT_EQ(std::get<ItemSucceeded>(ExitCodeEvent("a", codes, 3010)).reboot, RebootKind::kSoft);
  EXPECT_EQ(std::get<ItemSucceeded>(ExitCodeEvent("a", codes, 1641)).reboot, RebootKind::kHard);
  EXPECT_EQ(std::get<ItemNeedsRetry>(ExitCodeEvent("a", codes, 1618)).code, 1618);
  const ItemFailed failed = std::get<ItemFailed>(ExitCodeEvent("a", codes, 1603, "broke"));
  EXPECT_EQ(failed.id, "a");
  EXPECT_EQ(failed.code, 1603);
  EXPECT_EQ(failed.message, "broke");
  // An app's own table wins: 7 is a soft reboot there, 0 a failure.
  const std::vector<ReturnCode> own = {{7, ReturnCodeType::kSoftReboot}};
  EXPECT_EQ(std::get<ItemSucceeded>(ExitCodeEvent("a", own, 7)).reboot, RebootKind::kSoft);
  EXPECT_TRUE(std::holds_alternative<ItemFailed>(ExitCodeEvent("a", own, 0)));
}

TEST(PreparationStepOf, IsToStringsInverse) {
  for (PreparationStep step : kPreparationSteps) {
    EXPECT_EQ(PreparationStepOf(ToString(step)), step);
  }
  EXPECT_EQ(PreparationStepOf("device-setup"), std::nullopt);
  EXPECT_EQ(PreparationStepOf(""), std::nullopt);
}

}  // namespace
}  // namespace groundcrew::core

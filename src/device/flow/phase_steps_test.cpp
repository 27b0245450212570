#include "device/flow/phase_steps.hpp"

#include <gtest/gtest.h>

namespace groundcrew::device {
namespace {

using std::chrono::minutes;

constexpr core::Timestamp kT0{std::chrono::seconds{1'700'000'000}};

core::PlanItem App(std::string id) {
  core::PlanItem item;
  item.id = std::move(id);
  item.display_name = "App " + item.id;
  item.version = "1.0";
  item.time_limit_minutes = 10;
  return item;
}

core::PhaseRun Started(std::vector<core::PlanItem> items) {
  core::PhasePlan plan{core::EspPhase::kDeviceSetup, std::move(items), 60};
  Result<core::PhaseRun> run = core::StartPhase(core::NewPhaseRun(plan), kT0);
  EXPECT_TRUE(run);
  return *run;
}

core::PhaseRun Must(const core::PhaseRun& run, const core::RunEvent& event,
                    core::Timestamp now = kT0) {
  Result<core::PhaseRun> next = core::Apply(run, event, now);
  EXPECT_TRUE(next) << next.error().message;
  return next ? *next : run;
}

TEST(ItemsToStart, LeavesRoomForAttemptsTheyNoLongerWaitFor) {
  std::vector<core::PlanItem> items = {App("a"), App("b"), App("c"), App("d")};
  for (core::PlanItem& item : items) item.blocking = false;  // a timeout fails no phase
  core::PhaseRun run = Started(items);
  EXPECT_EQ(ItemsToStart(run, kT0, 2, 0).size(), 2u);
  run = Must(run, core::ItemStarted{.id = "a"});
  EXPECT_EQ(ItemsToStart(run, kT0, 2, 1), std::vector<std::string>{"b"});
  // "a" timed out, but its installer is still being stopped: it keeps its room.
  run = Must(run, core::Tick{}, kT0 + minutes(11));
  EXPECT_EQ(core::FindItem(run, "a")->status, core::ItemStatus::kTimedOut);
  EXPECT_EQ(ItemsToStart(run, kT0 + minutes(11), 2, 1).size(), 1u);
  EXPECT_EQ(ItemsToStart(run, kT0 + minutes(11), 2, 0).size(), 2u);
  EXPECT_FALSE(StillWanted(&run, "a"));
  EXPECT_FALSE(StillWanted(nullptr, "a"));
}

TEST(FinishItem, SaysWhatAnAttemptMeansAndReportsADetectedItemOnce) {
  core::PhaseRun run = Must(Started({App("a")}), core::ItemStarted{.id = "a"});
  const core::ItemRun& item = *core::FindItem(run, "a");

  ItemFinish detected = FinishItem(run, item, {.kind = ItemOutcome::Kind::kDetected});
  EXPECT_TRUE(std::holds_alternative<core::ItemSucceeded>(detected.event));
  ASSERT_EQ(detected.reports.size(), 1u);
  EXPECT_EQ(detected.reports[0].kind, "itemDetected");
  EXPECT_EQ(detected.reports[0].detail.at("phase"), "deviceSetup");
  EXPECT_EQ(detected.reports[0].detail.at("displayName"), "App a");

  ItemFinish reboot = FinishItem(
      run, item, {.kind = ItemOutcome::Kind::kSucceeded, .reboot = core::RebootKind::kSoft});
  EXPECT_EQ(std::get<core::ItemSucceeded>(reboot.event).reboot, core::RebootKind::kSoft);
  EXPECT_TRUE(reboot.reports.empty());

  ItemFinish failed =
      FinishItem(run, item, {.kind = ItemOutcome::Kind::kFailed, .code = 1603, .message = "no"});
  EXPECT_EQ(std::get<core::ItemFailed>(failed.event).code, 1603);
  EXPECT_EQ(std::get<core::ItemFailed>(failed.event).message, "no");

  ItemFinish retry = FinishItem(run, item, {.kind = ItemOutcome::Kind::kRetry, .code = 1618});
  EXPECT_EQ(std::get<core::ItemNeedsRetry>(retry.event).code, 1618);
}

TEST(ItemOutcome, ExitedFollowsTheReturnCodes) {
  const std::vector<core::ReturnCode> codes = core::DefaultReturnCodes();
  EXPECT_EQ(ItemOutcome::Exited(codes, 0).kind, ItemOutcome::Kind::kSucceeded);
  EXPECT_EQ(ItemOutcome::Exited(codes, 1641).reboot, core::RebootKind::kHard);
  EXPECT_EQ(ItemOutcome::Exited(codes, 1618).kind, ItemOutcome::Kind::kRetry);
  const ItemOutcome failed = ItemOutcome::Exited(codes, 2, "exit 2");
  EXPECT_EQ(failed.kind, ItemOutcome::Kind::kFailed);
  EXPECT_EQ(failed.code, 2);
  EXPECT_EQ(failed.message, "exit 2");
}

TEST(TickChanges, OnlyWhenSomethingTimesOut) {
  core::PhaseRun run = Must(Started({App("a")}), core::ItemStarted{.id = "a"});
  EXPECT_FALSE(TickChanges(run, kT0 + minutes(9)));
  EXPECT_TRUE(TickChanges(run, kT0 + minutes(11)));
}

TEST(Restarts, AHardRestartHoldsStartsAndASoftOneWaitsForThePhase) {
  core::PhaseRun run = Started({App("a"), App("b")});
  run = Must(run, core::ItemStarted{.id = "a"});
  run = Must(run, core::ItemSucceeded{.id = "a", .reboot = core::RebootKind::kHard});
  EXPECT_TRUE(HoldsForRestart(run));
  EXPECT_TRUE(ItemsToStart(run, kT0, 4, 0).empty());

  core::PhaseRun soft = Must(Started({App("a")}), core::ItemStarted{.id = "a"});
  soft = Must(soft, core::ItemSucceeded{.id = "a", .reboot = core::RebootKind::kSoft});
  EXPECT_EQ(soft.status, core::PhaseStatus::kComplete);
  EXPECT_TRUE(RestartsAfterPhase(&soft));
  EXPECT_FALSE(RestartsAfterPhase(nullptr));
}

}  // namespace
}  // namespace groundcrew::device

#include "core/esp/scheduler.hpp"

#include <gtest/gtest.h>

namespace groundcrew::core {
namespace {

PlanItem App(const char* id, const char* installer_class, std::vector<std::string> deps = {}) {
  PlanItem item;
  item.id = id;
  item.display_name = id;
  item.installer_class = installer_class;
  item.depends_on = std::move(deps);
  return item;
}

TEST(InstallSchedulerTest, RespectsDependenciesClassesAndConcurrency) {
  PhasePlan plan;
  plan.items = {App("runtime", "msi"), App("office", "msi", {"runtime"}), App("vpn", "win32"),
                App("agent", "script"), App("tools", "script")};
  InstallScheduler scheduler(plan, 2);

  // runtime (msi) and vpn (win32) start; office waits on runtime, the limit is 2.
  EXPECT_EQ(scheduler.Startable(), (std::vector<size_t>{0, 2}));
  scheduler.Start(0);
  scheduler.Start(2);
  EXPECT_TRUE(scheduler.Startable().empty());
  scheduler.Finish(0, true);
  EXPECT_EQ(scheduler.Startable(), (std::vector<size_t>{1}));  // office now, agent waits a slot
  scheduler.Start(1);
  scheduler.Finish(2, true);
  EXPECT_EQ(scheduler.Startable(), (std::vector<size_t>{3}));  // one script at a time
  scheduler.Start(3);
  scheduler.Finish(3, true);
  scheduler.Start(4);
  scheduler.Finish(4, true);
  scheduler.Finish(1, true);
  EXPECT_TRUE(scheduler.Done());
}

TEST(InstallSchedulerTest, FailureBlocksDependentsAndRetryUnblocks) {
  PhasePlan plan;
  plan.items = {App("runtime", ""), App("office", "", {"runtime"}), App("addin", "", {"office"})};
  InstallScheduler scheduler(plan, 4);
  scheduler.Start(0);
  scheduler.Finish(0, false);
  EXPECT_EQ(scheduler.state(1), InstallScheduler::State::kBlocked);
  EXPECT_EQ(scheduler.state(2), InstallScheduler::State::kBlocked);
  EXPECT_TRUE(scheduler.Done());

  scheduler.Reset(0);
  EXPECT_EQ(scheduler.state(2), InstallScheduler::State::kPending);
  EXPECT_EQ(scheduler.Startable(), (std::vector<size_t>{0}));
}

TEST(InstallSchedulerTest, DeferredItemsAreSkippedAndPlanErrorsFail) {
  PhasePlan plan;
  plan.items = {App("deferred", ""), App("broken", ""), App("needs-broken", "", {"broken"})};
  plan.items[0].deferred = true;
  plan.items[1].plan_error = "depends on nothing that exists";
  InstallScheduler scheduler(plan, 2);
  EXPECT_EQ(scheduler.state(0), InstallScheduler::State::kSkipped);
  EXPECT_EQ(scheduler.state(1), InstallScheduler::State::kFailed);
  EXPECT_EQ(scheduler.state(2), InstallScheduler::State::kBlocked);
  EXPECT_TRUE(scheduler.Done());
}

TEST(WallTimeTest, ScheduledTimeMatchesCriticalPathForIndependentClasses) {
  PhasePlan plan;
  plan.items = {App("a", "c1"), App("b", "c2"), App("c", "c3", {"a"}), App("d", "c4")};
  const double durations[] = {10, 20, 15, 5};
  WallTimeEstimate estimate = EstimateWallTime(plan, durations, 4);
  EXPECT_DOUBLE_EQ(estimate.critical_path, 25);  // a -> c
  EXPECT_DOUBLE_EQ(estimate.scheduled, 25);

  // One class serializes everything.
  for (auto& item : plan.items) item.installer_class = "msi";
  estimate = EstimateWallTime(plan, durations, 4);
  EXPECT_DOUBLE_EQ(estimate.critical_path, 50);
  EXPECT_DOUBLE_EQ(estimate.scheduled, 50);
}

}  // namespace
}  // namespace groundcrew::core

#include "core/esp/wall_time.hpp"

#include <gtest/gtest.h>

namespace groundcrew::core {
namespace {

using std::chrono::seconds;

PlanItem App(const char* id, const char* installer_class, std::vector<std::string> deps = {}) {
  PlanItem item;
  item.id = id;
  item.display_name = id;
  item.installer_class = installer_class;
  item.depends_on = std::move(deps);
  return item;
}

TEST(WallTimeTest, IndependentClassesRunInParallelDownToTheCriticalPath) {
  PhasePlan plan;
  plan.items = {App("a", "c1"), App("b", "c2"), App("d", "c4"), App("c", "c3", {"a"})};
  const seconds durations[] = {seconds{10}, seconds{20}, seconds{5}, seconds{15}};
  WallTimeEstimate estimate = EstimateWallTime(plan, durations, 4);
  EXPECT_EQ(estimate.critical_path, seconds{25});  // a -> c
  EXPECT_EQ(estimate.scheduled, seconds{25});
}

TEST(WallTimeTest, OneInstallerClassSerializes) {
  PhasePlan plan;
  plan.items = {App("a", "msi"), App("b", "msi"), App("c", "msi")};
  const seconds durations[] = {seconds{10}, seconds{20}, seconds{5}};
  WallTimeEstimate estimate = EstimateWallTime(plan, durations, 4);
  EXPECT_EQ(estimate.critical_path, seconds{35});
  EXPECT_EQ(estimate.scheduled, seconds{35});
}

TEST(WallTimeTest, ConcurrencyLimitBoundsParallelism) {
  PhasePlan plan;
  plan.items = {App("a", "1"), App("b", "2"), App("c", "3"), App("d", "4")};
  const seconds durations[] = {seconds{10}, seconds{10}, seconds{10}, seconds{10}};
  WallTimeEstimate estimate = EstimateWallTime(plan, durations, 2);
  EXPECT_EQ(estimate.critical_path, seconds{20});
  EXPECT_EQ(estimate.scheduled, seconds{20});
  EXPECT_EQ(EstimateWallTime(plan, durations, 1).scheduled, seconds{40});
}

TEST(WallTimeTest, MismatchedDurationsGiveZero) {
  PhasePlan plan;
  plan.items = {App("a", "")};
  EXPECT_EQ(EstimateWallTime(plan, {}, 2).scheduled, seconds{0});
}

TEST(WallTimeTest, CriticalPathInMillisecondsTakesTheLargestBound) {
  using std::chrono::milliseconds;
  PhasePlan plan;
  plan.items = {App("a", "1"), App("b", "1"), App("c", "2")};
  plan.items[2].depends_on = {"a"};
  const milliseconds durations[] = {milliseconds{150}, milliseconds{200}, milliseconds{400}};
  EXPECT_EQ(CriticalPath(plan, durations, 4), milliseconds{550});  // a -> c
  EXPECT_EQ(CriticalPath(plan, durations, 1), milliseconds{750});  // all the work on one
  EXPECT_EQ(CriticalPath(plan, std::span<const milliseconds>{}, 2), milliseconds{0});
}

}  // namespace
}  // namespace groundcrew::core

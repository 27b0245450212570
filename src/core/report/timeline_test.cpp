#include "core/report/timeline.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace groundcrew::core {
namespace {

const Timestamp kStart{std::chrono::seconds(1'800'000'000)};

Timestamp At(int second) { return kStart + std::chrono::seconds(second); }

TimelineEvent Phase(int second, std::string kind, std::string phase) {
  TimelineEvent event;
  event.at = At(second);
  event.kind = std::move(kind);
  event.phase = std::move(phase);
  return event;
}

TimelineEvent Item(int second, std::string kind, std::string id, std::int64_t attempt = 0) {
  TimelineEvent event = Phase(second, std::move(kind), "deviceSetup");
  event.id = std::move(id);
  event.attempt = attempt;
  return event;
}

DeploymentSession Session(std::string state) {
  DeploymentSession session;
  session.id = "s-1";
  session.flow = "technician";
  session.deployment_state = std::move(state);
  session.started_date_time = kStart;
  return session;
}

TEST(FoldSessionTimelineTest, PhasesCountRunsAndKeepTheFirstStartAndTheLastEnd) {
  TimelineEvent failed = Phase(30, "phaseFailed", "deviceSetup");
  failed.code = "1603";
  failed.message = "boom";
  const SessionTimeline timeline = FoldSessionTimeline(
      Session("inProgress"), {Phase(0, "phaseStarted", "devicePreparation"),
                              Phase(20, "phaseCompleted", "devicePreparation"),
                              Phase(20, "phaseStarted", "deviceSetup"), failed});
  ASSERT_EQ(timeline.phases.size(), 2u);
  const PhaseTimeline& preparation = timeline.phases[0];
  EXPECT_EQ(preparation.phase, "devicePreparation");
  EXPECT_EQ(preparation.status, PhaseStatus::kComplete);
  EXPECT_EQ(preparation.runs, 1);
  EXPECT_EQ(DurationSeconds(preparation.started, preparation.finished), 20);
  const PhaseTimeline& setup = timeline.phases[1];
  EXPECT_EQ(setup.status, PhaseStatus::kFailed);
  EXPECT_EQ(setup.code, "1603");
  EXPECT_EQ(setup.message, "boom");

  // A Retry: the phase runs again from its first start, its failure forgotten.
  const SessionTimeline retried = FoldSessionTimeline(
      Session("inProgress"),
      {Phase(20, "phaseStarted", "deviceSetup"), failed, Phase(40, "phaseStarted", "deviceSetup")});
  EXPECT_EQ(retried.phases[0].runs, 2);
  EXPECT_EQ(retried.phases[0].status, PhaseStatus::kInProgress);
  EXPECT_EQ(retried.phases[0].started, At(20));
  EXPECT_FALSE(retried.phases[0].finished);
  EXPECT_FALSE(retried.phases[0].code);
  EXPECT_FALSE(retried.phases[0].message);
}

TEST(FoldSessionTimelineTest, ItemsCountAttemptsButNotTheRestartOfOne) {
  TimelineEvent named = Item(1, "itemStarted", "app-1", 1);
  named.display_name = "Device App";
  TimelineEvent failed = Item(5, "itemFailed", "app-1");
  failed.code = "0x80070005";
  const SessionTimeline timeline = FoldSessionTimeline(
      Session("inProgress"),
      {named, Item(2, "itemStarted", "app-1", 1),  // the agent restarted: the same attempt
       failed, Item(6, "itemStarted", "app-1", 2), Item(9, "itemSucceeded", "app-1")});
  ASSERT_EQ(timeline.items.size(), 1u);
  const ItemTimeline& item = timeline.items[0];
  EXPECT_EQ(item.display_name, "Device App");  // later events without a name keep it
  EXPECT_EQ(item.attempts, 2);
  EXPECT_EQ(item.status, TimelineItemStatus::kSucceeded);
  EXPECT_EQ(item.started, At(1));
  EXPECT_EQ(item.finished, At(9));
  EXPECT_FALSE(item.code);  // the success clears the failure
  // The item's phase started with its first event, its start not being reported.
  ASSERT_EQ(timeline.phases.size(), 1u);
  EXPECT_EQ(timeline.phases[0].started, At(1));
  EXPECT_EQ(timeline.phases[0].runs, 0);

  // Attempts without numbers are each counted.
  const SessionTimeline unnumbered = FoldSessionTimeline(
      Session("inProgress"), {Item(1, "itemStarted", "a"), Item(2, "itemStarted", "a")});
  EXPECT_EQ(unnumbered.items[0].attempts, 2);
}

TEST(FoldSessionTimelineTest, EndsOfItems) {
  TimelineEvent timed_out = Item(3, "itemTimedOut", "slow");
  TimelineEvent timed_out_said = Item(3, "itemTimedOut", "said");
  timed_out_said.code = "42";
  timed_out_said.message = "too slow";
  const SessionTimeline timeline = FoldSessionTimeline(
      Session("inProgress"),
      {Item(1, "itemStarted", "slow"), timed_out, timed_out_said, Item(4, "itemDetected", "there"),
       Item(5, "itemNotAttempted", "skipped"), Item(6, "itemProgress", "busy")});
  ASSERT_EQ(timeline.items.size(), 5u);
  EXPECT_EQ(timeline.items[0].status, TimelineItemStatus::kTimedOut);
  EXPECT_EQ(timeline.items[0].code, "0x800705B4");
  EXPECT_EQ(timeline.items[0].message, "timed out");
  EXPECT_EQ(timeline.items[1].code, "42");
  EXPECT_EQ(timeline.items[1].message, "too slow");
  EXPECT_EQ(timeline.items[2].status, TimelineItemStatus::kDetected);
  EXPECT_EQ(timeline.items[2].started, At(4));
  EXPECT_EQ(timeline.items[2].finished, At(4));
  EXPECT_EQ(timeline.items[3].status, TimelineItemStatus::kNotAttempted);
  EXPECT_FALSE(timeline.items[3].started);
  EXPECT_EQ(timeline.items[4].status, TimelineItemStatus::kInProgress);
  EXPECT_EQ(timeline.items[4].attempts, 0);
}

TEST(FoldSessionTimelineTest, AFailedPhaseLeavesItsUnfinishedItemsNotAttempted) {
  TimelineEvent other_phase = Item(2, "itemStarted", "user-app");
  other_phase.phase = "accountSetup";
  const SessionTimeline timeline = FoldSessionTimeline(
      Session("inProgress"),
      {Item(1, "itemStarted", "done"), Item(2, "itemSucceeded", "done"),
       Item(3, "itemStarted", "busy"), other_phase, Phase(9, "phaseFailed", "deviceSetup")});
  ASSERT_EQ(timeline.items.size(), 3u);
  EXPECT_EQ(timeline.items[0].status, TimelineItemStatus::kSucceeded);
  EXPECT_EQ(timeline.items[1].status, TimelineItemStatus::kNotAttempted);
  EXPECT_EQ(timeline.items[1].finished, At(9));
  EXPECT_EQ(timeline.items[2].status, TimelineItemStatus::kInProgress);
}

TEST(FoldSessionTimelineTest, ComplianceKeepsTheLastOfEachAndFlowFinishedGivesTheState) {
  TimelineEvent before = Phase(1, "compliance", "");
  before.when = "before";
  before.detail = R"({"when":"before","state":"noncompliant"})";
  TimelineEvent after = before;
  after.at = At(2);
  after.when = "after";
  after.detail = R"({"when":"after","state":"compliant"})";
  TimelineEvent later_after = after;
  later_after.at = At(3);
  TimelineEvent finished = Phase(4, "flowFinished", "");
  finished.deployment_state = "success";

  const SessionTimeline running =
      FoldSessionTimeline(Session("inProgress"), {before, after, later_after, finished});
  ASSERT_TRUE(running.compliance_before);
  EXPECT_EQ(running.compliance_before->at, At(1));
  EXPECT_EQ(running.compliance_before->detail, before.detail);
  ASSERT_TRUE(running.compliance_after);
  EXPECT_EQ(running.compliance_after->at, At(3));
  // The finish call has not arrived: the flow's own word.
  EXPECT_EQ(running.deployment_state, "success");
  EXPECT_EQ(running.session.deployment_state, "inProgress");
  // Once it has, the session's state stands.
  EXPECT_EQ(FoldSessionTimeline(Session("successOnRetry"), {finished}).deployment_state,
            "successOnRetry");
  EXPECT_EQ(FoldSessionTimeline(Session("inProgress"), {}).deployment_state, "inProgress");
}

TEST(FoldSessionTimelineTest, EventsLackingWhatTheirKindNeedsAreCountedAndApplyNothing) {
  TimelineEvent no_state = Phase(5, "flowFinished", "");
  TimelineEvent no_when = Phase(5, "compliance", "");
  const SessionTimeline timeline = FoldSessionTimeline(
      Session("inProgress"),
      {Phase(1, "phaseStarted", ""), Item(2, "itemStarted", ""), no_state, no_when,
       Phase(3, "screen", "deviceSetup"), Phase(4, "somethingNew", "deviceSetup")});
  EXPECT_TRUE(timeline.phases.empty());
  EXPECT_TRUE(timeline.items.empty());
  EXPECT_FALSE(timeline.compliance_before);
  EXPECT_FALSE(timeline.compliance_after);
  EXPECT_EQ(timeline.deployment_state, "inProgress");
  EXPECT_EQ(timeline.event_count, 6u);
}

TEST(DurationSecondsTest, NeedsBothEnds) {
  EXPECT_EQ(DurationSeconds(At(3), At(65)), 62);
  EXPECT_FALSE(DurationSeconds(std::nullopt, At(65)));
  EXPECT_FALSE(DurationSeconds(At(3), std::nullopt));
}

}  // namespace
}  // namespace groundcrew::core

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "device/flow/device_answers.hpp"
#include "device/flow/flow_reports.hpp"
#include "device/flow/phase_steps.hpp"

namespace groundcrew::device {
namespace {

namespace json = boost::json;
using std::chrono::minutes;

constexpr core::Timestamp kT0{std::chrono::seconds{1'700'000'000}};

core::PlanItem App(std::string id, std::string installer_class = "") {
  core::PlanItem item;
  item.id = std::move(id);
  item.display_name = "App " + item.id;
  item.version = "1.0";
  item.installer_class = std::move(installer_class);
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

TEST(Advance, ReportsTheTransitionInTheWiresSpelling) {
  Result<Advanced<core::UserState>> next = Advance(core::UserState{}, core::NetworkUp{}, kT0);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->state.screen, core::UserScreen::kProfileDownload);
  ASSERT_EQ(next->reports.size(), 1u);
  EXPECT_EQ(next->reports[0].kind, "screen");
  EXPECT_EQ(next->reports[0].detail.at("screen"), "profileDownload");
  EXPECT_FALSE(Advance(core::UserState{}, core::PrivacyAccepted{}, kT0));  // not on screen
}

TEST(ReadSignInAnswer, ReadsEveryAnswerOfTheService) {
  SignInAnswer mfa =
      ReadSignInAnswer(200, json::parse(R"({"status":"mfaRegistrationRequired","challengeId":"c1",
                          "otpauthUri":"otpauth://totp/x?secret=AB","qrText":"##"})"));
  EXPECT_EQ(mfa.kind, SignInAnswer::Kind::kMfaRegistrationRequired);
  EXPECT_EQ(mfa.challenge_id, "c1");
  EXPECT_EQ(mfa.otpauth_uri, "otpauth://totp/x?secret=AB");

  SignInAnswer signed_in =
      ReadSignInAnswer(200, json::parse(R"({"status":"signedIn","token":"t"})"));
  EXPECT_EQ(signed_in.kind, SignInAnswer::Kind::kSignedIn);
  EXPECT_EQ(signed_in.token, "t");

  SignInAnswer refused = ReadSignInAnswer(
      403, json::parse(R"({"status":"refused","reason":"accountLocked","message":"locked"})"));
  EXPECT_EQ(refused.kind, SignInAnswer::Kind::kRefused);
  EXPECT_EQ(refused.problem.error, core::SignInError::kLockedOut);
  EXPECT_EQ(refused.problem.message, "locked");

  SignInAnswer wrong_password = ReadSignInAnswer(
      401,
      json::parse(R"({"error":{"code":"unauthenticated","message":"wrong","field":"password"}})"));
  EXPECT_EQ(wrong_password.kind, SignInAnswer::Kind::kRefused);
  EXPECT_EQ(wrong_password.problem.error, core::SignInError::kInvalidCredentials);
  EXPECT_EQ(wrong_password.problem.message, "wrong");

  SignInAnswer wrong_code = ReadSignInAnswer(
      401,
      json::parse(R"({"error":{"code":"unauthenticated","message":"bad code","field":"code"}})"));
  EXPECT_EQ(wrong_code.kind, SignInAnswer::Kind::kCodeRefused);
}

TEST(ReadDeployment, NamesWhatIsMissing) {
  EXPECT_EQ(ReadDeployment(json::parse("[]")).error().field, "deployment");
  EXPECT_EQ(ReadDeployment(json::parse("{}")).error().field, "plan");
  EXPECT_EQ(ServiceError(404, json::parse(R"({"error":{"message":"gone","field":"id"}})")).code,
            ErrorCode::kNotFound);
  EXPECT_EQ(ServiceError(502, json::parse("null")).message, "the service answered 502");
}

TEST(CheckCompliance, WithoutPoliciesIsMarkedEvaluatedOnce) {
  core::UserState state;
  EXPECT_TRUE(ComplianceDue(state));
  ComplianceCheck check = CheckCompliance(json::array{}, core::DeviceFacts{});
  EXPECT_EQ(check.report.kind, "compliance");
  EXPECT_EQ(check.report.detail.at("when"), "after");
  state.compliance = check.result;
  EXPECT_FALSE(ComplianceDue(state));
  EXPECT_EQ(ComplianceAtStart().detail.at("when"), "before");
  EXPECT_EQ(FlowFinished(core::DeploymentState::kSuccessOnRetry).detail.at("deploymentState"),
            "successOnRetry");
}

}  // namespace
}  // namespace groundcrew::device

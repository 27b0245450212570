#include "device/flow/flow_reports.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <vector>

#include "wire/inventory_json.hpp"

namespace groundcrew::device {
namespace {

namespace json = boost::json;

constexpr core::Timestamp kT0{std::chrono::seconds{1'700'000'000}};

TEST(Advance, ReportsTheTransitionInTheWiresSpelling) {
  Result<Advanced<core::UserState>> next = Advance(core::UserState{}, core::NetworkUp{}, kT0);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->state.screen, core::UserScreen::kProfileDownload);
  ASSERT_EQ(next->reports.size(), 1u);
  EXPECT_EQ(next->reports[0].kind, "screen");
  EXPECT_EQ(next->reports[0].detail.at("screen"), "profileDownload");
  EXPECT_FALSE(Advance(core::UserState{}, core::PrivacyAccepted{}, kT0));  // not on screen
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

TEST(SessionFinish, CarriesTheInventoryTheServiceDecodes) {
  const core::Timestamp finished{std::chrono::seconds{1'796'569'445}};
  EXPECT_EQ(SessionFinish("success", finished), json::parse(R"({"deploymentState": "success",
                            "finishedDateTime": "2026-12-06T15:04:05Z"})"));
  const std::vector<core::InstalledItem> inventory = {
      {core::ItemKind::kApp, "app-1", "1.0", core::ItemOutcome::kInstalled},
      {core::ItemKind::kNetwork, "net-1", "2", core::ItemOutcome::kFailed}};
  const json::object body = SessionFinish("failure", finished, inventory);
  wire::SessionFinish decoded;
  ASSERT_TRUE(wire::Decode(body, decoded).has_value());
  EXPECT_EQ(decoded, (wire::SessionFinish{"failure", finished, inventory}));
}

}  // namespace
}  // namespace groundcrew::device

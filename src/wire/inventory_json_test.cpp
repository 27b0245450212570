#include "wire/inventory_json.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string_view>

#include "wire/wire_test_util.hpp"

namespace groundcrew::wire {
namespace {

namespace json = boost::json;
using testing::Json;

constexpr core::Timestamp kFinished{std::chrono::seconds{1'796'569'445}};  // 2026-12-06T15:04:05Z

core::ReportedInventory Reported() {
  return {core::Flow::kTechnician,
          "3f2c9a6e-0b1d-4d8e-9c51-7a2b1f0e6d44",
          kFinished,
          {{core::ItemKind::kApp, "app-1", "2.1.0", core::ItemOutcome::kInstalled},
           {core::ItemKind::kPolicy, "policy-1", "1", core::ItemOutcome::kFailed},
           {core::ItemKind::kNetwork, "net-1", "3", core::ItemOutcome::kSkipped}}};
}

TEST(InventoryJsonTest, AReportedInventoryRoundTripsWithEnumNamesAsText) {
  const json::object encoded = Encode(Reported());
  EXPECT_EQ(encoded, Json(R"({"flow": "technician",
                              "sessionId": "3f2c9a6e-0b1d-4d8e-9c51-7a2b1f0e6d44",
                              "reportedDateTime": "2026-12-06T15:04:05Z",
                              "items": [
      {"kind": "app", "id": "app-1", "version": "2.1.0", "outcome": "installed"},
      {"kind": "policy", "id": "policy-1", "version": "1", "outcome": "failed"},
      {"kind": "network", "id": "net-1", "version": "3", "outcome": "skipped"}]})"));
  core::ReportedInventory decoded;
  ASSERT_TRUE(Decode(json::value(encoded), decoded).has_value());
  EXPECT_EQ(decoded, Reported());

  core::ReportedInventory user = Reported();
  user.flow = core::Flow::kUser;
  user.items.clear();
  ASSERT_TRUE(Decode(json::value(Encode(user)), decoded).has_value());
  EXPECT_EQ(decoded, user);
}

TEST(InventoryJsonTest, AReportedInventoryIsRefusedNamingThePath) {
  auto refuse = [](std::string_view text, std::string_view field) {
    core::ReportedInventory out = Reported();
    testing::ExpectDecodeError(text, out, field);
    EXPECT_EQ(out, Reported()) << "left unchanged";
  };
  const std::string_view item =
      R"({"kind": "app", "id": "a", "version": "1", "outcome": "installed"})";
  refuse(R"({"sessionId": "s", "reportedDateTime": "2026-12-06T15:04:05Z", "items": []})", "flow");
  refuse(R"({"flow": "depot", "sessionId": "s", "reportedDateTime": "2026-12-06T15:04:05Z",
             "items": []})",
         "flow");
  refuse(R"({"flow": "user", "sessionId": "s", "reportedDateTime": "yesterday", "items": []})",
         "reportedDateTime");
  refuse(R"({"flow": "user", "sessionId": "s", "reportedDateTime": "2026-12-06T15:04:05Z"})",
         "items");
  refuse(
      std::string(R"({"flow": "user", "sessionId": "s", "reportedDateTime": "2026-12-06T15:04:05Z",
             "items": [)") +
          std::string(item) +
          R"(, {"kind": 3, "id": "b", "version": "1", "outcome": "installed"}]})",
      "items[1].kind");
  refuse(R"({"flow": "user", "sessionId": "s", "reportedDateTime": "2026-12-06T15:04:05Z",
             "items": [], "extra": 1})",
         "extra");
}

TEST(InventoryJsonTest, ARequestsInventoryIsRefusedNamingItsPropertyOnce) {
  std::vector<core::InstalledItem> out;
  Status refused = DecodeInventory(
      Json(R"([{"kind": "app", "id": "a", "version": "1", "outcome": "gone"}])"), "installed", out);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().field, "installed[0].outcome");
  EXPECT_TRUE(refused.error().message.starts_with("installed[0].outcome: "))
      << refused.error().message;
  refused = DecodeInventory(Json(R"({"kind": "app"})"), "installed", out);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().field, "installed");
  EXPECT_TRUE(refused.error().message.starts_with("installed: expected an array"))
      << refused.error().message;
  ASSERT_TRUE(DecodeInventory(Json("[]"), "installed", out).has_value());
  EXPECT_TRUE(out.empty());
}

TEST(InventoryJsonTest, TheBasisIsNamedForThePlanDocument) {
  EXPECT_EQ(UserFlowBasisName(true), "reportedInventory");
  EXPECT_EQ(UserFlowBasisName(false), "assumedCleanTechnicianFlow");
}

TEST(InventoryJsonTest, ASessionFinishCarriesTheInventoryOnlyWhenSet) {
  SessionFinish finish{"success", kFinished, std::nullopt};
  EXPECT_EQ(Encode(finish),
            Json(R"({"deploymentState": "success", "finishedDateTime": "2026-12-06T15:04:05Z"})"));
  SessionFinish decoded;
  ASSERT_TRUE(Decode(json::value(Encode(finish)), decoded).has_value());
  EXPECT_EQ(decoded, finish);

  finish.inventory = Reported().items;
  const json::object encoded = Encode(finish);
  EXPECT_EQ(encoded.at("inventory"), json::value(Encode(Reported().items)));
  ASSERT_TRUE(Decode(json::value(encoded), decoded).has_value());
  EXPECT_EQ(decoded, finish);

  finish.inventory = std::vector<core::InstalledItem>{};  // "nothing installed" is said
  ASSERT_TRUE(Decode(json::value(Encode(finish)), decoded).has_value());
  ASSERT_TRUE(decoded.inventory.has_value());
  EXPECT_TRUE(decoded.inventory->empty());
}

TEST(InventoryJsonTest, ASessionFinishIsRefusedNamingThePath) {
  auto refuse = [](std::string_view text, std::string_view field) {
    SessionFinish out{"failure", kFinished, std::nullopt};
    const std::string message = testing::ExpectDecodeError(text, out, field);
    EXPECT_NE(message.find(field), std::string::npos) << message;
    EXPECT_EQ(out.deployment_state, "failure") << "left unchanged";
  };
  refuse(R"({"finishedDateTime": "2026-12-06T15:04:05Z"})", "deploymentState");
  refuse(R"({"deploymentState": 1, "finishedDateTime": "2026-12-06T15:04:05Z"})",
         "deploymentState");
  refuse(R"({"deploymentState": "success"})", "finishedDateTime");
  refuse(R"({"deploymentState": "success", "finishedDateTime": "2026-12-06 15:04"})",
         "finishedDateTime");
  refuse(R"({"deploymentState": "success", "finishedDateTime": "2026-12-06T15:04:05Z",
             "inventory": {"kind": "app"}})",
         "inventory");
  refuse(R"({"deploymentState": "success", "finishedDateTime": "2026-12-06T15:04:05Z",
             "inventory": [{"kind": "app", "id": "a", "version": "1", "outcome": "gone"}]})",
         "inventory[0].outcome");
  refuse(R"({"deploymentState": "success", "finishedDateTime": "2026-12-06T15:04:05Z",
             "installed": []})",
         "installed");
  SessionFinish out;
  EXPECT_FALSE(Decode(json::value("finish"), out).has_value());
}

}  // namespace
}  // namespace groundcrew::wire

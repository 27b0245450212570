#include "wire/console_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <chrono>

namespace groundcrew::wire {
namespace {

core::Timestamp At(int64_t seconds) { return core::Timestamp{std::chrono::seconds{seconds}}; }

TEST(ConsoleJsonTest, ADeviceWithoutASessionIsNotStartedWithNulls) {
  boost::json::object device{{"id", "z-1"}};
  AddDeploymentSummary({}, device);
  EXPECT_EQ(boost::json::serialize(device),
            R"({"id":"z-1","deploymentState":"notStarted","lastDeploymentDateTime":null,)"
            R"("lastFlow":null})");
  AddDeploymentSummary({"failure", At(1'700'000'000), "technician"}, device);
  EXPECT_EQ(device.at("deploymentState"), "failure");
  EXPECT_EQ(device.at("lastDeploymentDateTime"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(device.at("lastFlow"), "technician");
}

TEST(ConsoleJsonTest, TheDashboardHasEveryMemberTheContractNames) {
  core::DashboardFigures figures;
  core::DashboardSession running;
  running.session = {"s-1", "z-1", "technician", "", "inProgress", At(1'700'000'000), {}};
  running.serial_number = "CON-1";
  running.phase = "DeviceSetup";
  figures.in_progress.push_back(running);
  core::DashboardSession failed = running;
  failed.session.deployment_state = "failure";
  failed.session.finished_date_time = At(1'700'000'600);
  failed.device_name = "CON-LAPTOP-1";
  failed.error_message = "App failed";
  figures.failed.push_back(failed);
  figures.technician = {3, 1, 450.0};
  figures.waiting_for_user_flow = 7;
  figures.generated_date_time = At(1'700'001'000);
  EXPECT_EQ(
      boost::json::serialize(Encode(figures)),
      R"({"inProgress":[{"deviceId":"z-1","serialNumber":"CON-1","deviceName":null,)"
      R"("flow":"technician","phase":"DeviceSetup","startedDateTime":"2023-11-14T22:13:20Z"}],)"
      R"("failedLast24Hours":[{"deviceId":"z-1","serialNumber":"CON-1",)"
      R"("deviceName":"CON-LAPTOP-1","flow":"technician",)"
      R"("finishedDateTime":"2023-11-14T22:23:20Z","errorMessage":"App failed"}],)"
      R"("flows":{"technician":{"succeeded":3,"failed":1,"successRate":7.5E-1,)"
      R"("medianDurationSeconds":4.5E2},"user":{"succeeded":0,"failed":0,"successRate":null,)"
      R"("medianDurationSeconds":null}},"waitingForUserFlow":7,)"
      R"("generatedDateTime":"2023-11-14T22:30:00Z"})");
}

TEST(ConsoleJsonTest, RuleResultsListEachClause) {
  RuleSubjectOutcome result{
      "z-1", "CON-1", {true, {{"device.deviceModel -eq \"X\"", true, {"X"}}}}};
  EXPECT_EQ(boost::json::serialize(Encode(std::vector{result})),
            R"({"results":[{"id":"z-1","displayName":"CON-1","matches":true,"clauses":)"
            R"([{"expression":"device.deviceModel -eq \"X\"","matches":true,"values":["X"]}]}]})");
}

}  // namespace
}  // namespace groundcrew::wire

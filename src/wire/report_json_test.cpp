#include "wire/report_json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>

#include "wire/model_json.hpp"
#include "wire/wire_test_util.hpp"

namespace groundcrew::wire {
namespace {

using testing::Json;

const core::Timestamp kStart{std::chrono::seconds(1'800'000'000)};  // 2027-01-15T08:00:00Z

core::Timestamp At(int second) { return kStart + std::chrono::seconds(second); }

TEST(ReadTimelineEventTest, ReadsTheDocumentedPropertiesOfADetail) {
  const core::TimelineEvent event = ReadTimelineEvent(
      At(5), "itemFailed",
      R"({"phase":"deviceSetup","id":"app-1","displayName":"App","attempt":2,"code":1603,)"
      R"("message":"boom","extra":true})");
  EXPECT_EQ(event.at, At(5));
  EXPECT_EQ(event.kind, "itemFailed");
  EXPECT_EQ(event.phase, "deviceSetup");
  EXPECT_EQ(event.id, "app-1");
  EXPECT_EQ(event.display_name, "App");
  EXPECT_EQ(event.attempt, 2);
  EXPECT_EQ(event.code, "1603");
  EXPECT_EQ(event.message, "boom");
  EXPECT_TRUE(event.detail.ends_with(R"("extra":true})"));

  // Codes as Windows shows them; text as given; other JSON types are no code.
  EXPECT_EQ(ReadTimelineEvent(At(0), "x", R"({"code":2147943860})").code, "0x800705B4");
  EXPECT_EQ(ReadTimelineEvent(At(0), "x", R"({"code":"E_FAIL"})").code, "E_FAIL");
  EXPECT_FALSE(ReadTimelineEvent(At(0), "x", R"({"code":1.5})").code);
  EXPECT_FALSE(ReadTimelineEvent(At(0), "x", R"({"message":3})").message);
  EXPECT_EQ(ReadTimelineEvent(At(0), "x", R"({"phase":7,"attempt":"2"})").phase, "");
  EXPECT_EQ(ReadTimelineEvent(At(0), "x", R"({"attempt":"2"})").attempt, 0);
  EXPECT_EQ(ReadTimelineEvent(At(0), "compliance", R"({"when":"after"})").when, "after");
  EXPECT_EQ(
      ReadTimelineEvent(At(0), "flowFinished", R"({"deploymentState":"success"})").deployment_state,
      "success");
}

TEST(ReadTimelineEventTest, ADetailThatIsNotAnObjectHasNoProperties) {
  for (const char* detail : {"", "[1]", "{oops", "\"text\""}) {
    const core::TimelineEvent event = ReadTimelineEvent(At(1), "phaseStarted", detail);
    EXPECT_EQ(event.kind, "phaseStarted") << detail;
    EXPECT_EQ(event.phase, "") << detail;
    EXPECT_FALSE(event.code) << detail;
  }
}

core::DeploymentSession Session() {
  core::DeploymentSession session;
  session.id = "s-1";
  session.device_id = "ztd-1";
  session.flow = "user";
  session.user_principal_name = "adele@contoso.com";
  session.deployment_state = "inProgress";
  session.started_date_time = kStart;
  return session;
}

TEST(EncodeSessionTest, ShowsTheSessionWithNullUntilFinished) {
  core::DeploymentSession session = Session();
  EXPECT_EQ(boost::json::serialize(Encode(session)),
            R"({"id":"s-1","deviceId":"ztd-1","flow":"user","userPrincipalName":)"
            R"("adele@contoso.com","deploymentState":"inProgress",)"
            R"("startedDateTime":"2027-01-15T08:00:00Z","finishedDateTime":null})");
  session.finished_date_time = At(90);
  EXPECT_EQ(Encode(session).at("finishedDateTime"), "2027-01-15T08:01:30Z");
}

TEST(EncodeSessionTimelineTest, WritesTheReportShapeOfASession) {
  std::vector<core::TimelineEvent> events = {
      ReadTimelineEvent(At(0), "phaseStarted", R"({"phase":"accountSetup"})"),
      ReadTimelineEvent(At(1), "itemStarted",
                        R"({"phase":"accountSetup","id":"u-1","displayName":"User App"})"),
      ReadTimelineEvent(At(9), "itemTimedOut", R"({"phase":"accountSetup","id":"u-1"})"),
      ReadTimelineEvent(At(2), "compliance",
                        R"({"when":"before","state":"unknown","note":"first boot"})"),
      ReadTimelineEvent(At(3), "compliance", "not JSON")};
  core::DeploymentSession session = Session();
  session.deployment_state = "failure";
  session.finished_date_time = At(30);
  const boost::json::object encoded = Encode(core::FoldSessionTimeline(std::move(session), events));
  EXPECT_EQ(boost::json::serialize(encoded),
            R"({"id":"s-1","flow":"user","userPrincipalName":"adele@contoso.com",)"
            R"("deploymentState":"failure","startedDateTime":"2027-01-15T08:00:00Z",)"
            R"("finishedDateTime":"2027-01-15T08:00:30Z","durationSeconds":30,)"
            R"("phases":[{"phase":"accountSetup","status":"inProgress","runs":1,)"
            R"("startedDateTime":"2027-01-15T08:00:00Z","finishedDateTime":null,)"
            R"("durationSeconds":null,"code":null,"message":null}],)"
            R"("items":[{"phase":"accountSetup","id":"u-1","displayName":"User App",)"
            R"("status":"timedOut","attempts":1,"startedDateTime":"2027-01-15T08:00:01Z",)"
            R"("finishedDateTime":"2027-01-15T08:00:09Z","durationSeconds":8,)"
            R"("code":"0x800705B4","message":"timed out"}],)"
            R"("compliance":{"before":{"note":"first boot","state":"unknown",)"
            R"("at":"2027-01-15T08:00:02Z","findings":[]},"after":null},"eventCount":5})");
}

TEST(EncodeDeploymentReportTest, ShowsTheDeviceAndTheLastSessionsState) {
  core::DeploymentReport report;
  report.device_id = "ztd-1";
  report.serial_number = "SN-1";
  report.enrollment_state = core::EnrollmentState::kEnrolled;
  EXPECT_EQ(boost::json::serialize(Encode(report)),
            R"({"device":{"id":"ztd-1","serialNumber":"SN-1","displayName":null,)"
            R"("userPrincipalName":null,"enrollmentState":"enrolled","resealedDateTime":null},)"
            R"("deploymentState":null,"sessions":[]})");

  report.display_name = "CON-1";
  report.user_principal_name = "adele@contoso.com";
  report.resealed = At(60);
  core::DeploymentSession first = Session();
  first.deployment_state = "success";
  core::DeploymentSession second = Session();
  second.id = "s-2";
  report.sessions.push_back(core::FoldSessionTimeline(first, {}));
  report.sessions.push_back(core::FoldSessionTimeline(
      second, {ReadTimelineEvent(At(5), "flowFinished", R"({"deploymentState":"failure"})")}));
  const boost::json::object encoded = Encode(report);
  EXPECT_EQ(encoded.at("device").at("displayName"), "CON-1");
  EXPECT_EQ(encoded.at("device").at("userPrincipalName"), "adele@contoso.com");
  EXPECT_EQ(encoded.at("device").at("resealedDateTime"), "2027-01-15T08:01:00Z");
  EXPECT_EQ(encoded.at("deploymentState"), "failure");  // the last session's, as folded
  EXPECT_EQ(encoded.at("sessions").as_array().size(), 2u);
}

}  // namespace
}  // namespace groundcrew::wire

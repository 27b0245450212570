#include "wire/events_json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "wire/wire_test_util.hpp"

namespace groundcrew::wire {
namespace {

using testing::Json;

// The error of parsing `body`: its field and message (the test fails if it parses).
Error ParseError(std::string_view body) {
  Result<std::vector<DeploymentEvent>> parsed = ParseEvents(Json(body));
  EXPECT_FALSE(parsed) << body;
  return parsed ? Error{} : parsed.error();
}

Error DetailError(std::string_view kind, std::string_view detail) {
  Status checked = CheckEventDetail(kind, Json(detail).as_object(), "events[2].detail");
  EXPECT_FALSE(checked) << kind << " " << detail;
  return checked ? Error{} : checked.error();
}

TEST(ParseEventsTest, ReadsABatch) {
  auto events = ParseEvents(Json(R"({"events": [
      {"idempotencyKey": "k1", "at": "2026-11-25T13:00:00Z", "kind": "phaseStarted",
       "detail": {"phase": "deviceSetup", "extra": [1]}},
      {"idempotencyKey": "k2", "at": "2026-11-25T13:00:05Z", "kind": "screen"}]})"));
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].idempotency_key, "k1");
  EXPECT_EQ(FormatTimestamp((*events)[0].at), "2026-11-25T13:00:00Z");
  EXPECT_EQ((*events)[0].kind, "phaseStarted");
  EXPECT_EQ(boost::json::serialize((*events)[0].detail), R"({"phase":"deviceSetup","extra":[1]})");
  EXPECT_TRUE((*events)[1].detail.empty());  // "detail" is optional
  auto none = ParseEvents(Json(R"({"events": []})"));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(ParseEventsTest, ErrorsNameThePathAndTheReason) {
  const std::string good = R"("idempotencyKey": "k", "at": "2026-11-25T13:00:00Z", "kind": "x")";
  struct Case {
    std::string body, field, message;
  };
  const Case cases[] = {
      {"[]", "body", R"(body: expected {"events": [...]})"},
      {R"({"evnts": []})", "evnts", R"(unknown field "evnts")"},
      {"{}", "events", "events: required"},
      {R"({"events": {}})", "events", "events: expected an array of events"},
      {R"({"events": [1]})", "events[0]", "events[0]: expected an object"},
      {R"({"events": [{)" + good + R"(}, {"at": 5}]})", "events[1].at",
       "events[1].at: expected a string"},
      {R"({"events": [{"idempotencyKey": "", "at": "2026-11-25T13:00:00Z", "kind": "x"}]})",
       "events[0].idempotencyKey", "events[0].idempotencyKey: must be 1 to 200 bytes"},
      {R"({"events": [{"idempotencyKey": "k", "at": "2026-11-25T13:00:00Z", "kind": "a-b"}]})",
       "events[0].kind",
       R"(events[0].kind: must be 1 to 64 letters and digits, e.g. "itemStarted")"},
      {R"({"events": [{"idempotencyKey": "k", "at": "2026-11-25 13:00", "kind": "x"}]})",
       "events[0].at", "events[0].at: expected a time like 2026-11-25T13:00:00Z"},
      {R"({"events": [{)" + good + R"(, "detail": []}]})", "events[0].detail",
       "events[0].detail: expected an object"},
      {R"({"events": [{)" + good + R"(, "colour": "red"}]})", "events[0].colour",
       R"(unknown field "events[0].colour")"},
      {R"({"events": [{"at": "2026-11-25T13:00:00Z", "kind": "x"}]})", "events[0].idempotencyKey",
       "events[0].idempotencyKey: required"},
  };
  for (const Case& c : cases) {
    const Error error = ParseError(c.body);
    EXPECT_EQ(error.code, ErrorCode::kInvalidArgument) << c.body;
    EXPECT_EQ(error.field, c.field) << c.body;
    EXPECT_EQ(error.message, c.message) << c.body;
  }
}

TEST(ParseEventsTest, RefusesOverLongBatchesAndDetails) {
  boost::json::array many;
  for (size_t i = 0; i <= kMaxEventsPerBatch; ++i) many.push_back(boost::json::object{});
  EXPECT_EQ(ParseError(boost::json::serialize(boost::json::object{{"events", many}})).message,
            "events: at most 500 events per request");
  const std::string big(kMaxEventDetailBytes, 'x');
  const std::string body = R"({"events": [{"idempotencyKey": "k", "at": "2026-11-25T13:00:00Z",
      "kind": "x", "detail": {"note": ")" +
                           big + R"("}}]})";
  EXPECT_EQ(ParseError(body).message, "events[0].detail: larger than 16384 bytes");
}

TEST(CheckEventDetailTest, ChecksTheDocumentedKindsNamingTheProperty) {
  EXPECT_TRUE(CheckEventDetail("phaseStarted", Json(R"({"phase": "deviceSetup"})").as_object(),
                               "events[2].detail"));
  EXPECT_TRUE(CheckEventDetail("itemFailed",
                               Json(R"({"phase": "accountSetup", "id": "a", "code": "0x1",
                                        "message": "m", "mine": true})")
                                   .as_object(),
                               "events[2].detail"));
  // Kinds that are not documented pass as they are.
  EXPECT_TRUE(CheckEventDetail("myOwnKind", Json(R"({"phase": 7})").as_object(), "d"));

  struct Case {
    const char* kind;
    const char* detail;
    const char* message;
  };
  const Case cases[] = {
      {"phaseStarted", "{}", "events[2].detail.phase: required"},
      {"phaseCompleted", R"({"phase": "setup"})",
       R"(events[2].detail.phase: expected one of "devicePreparation", "deviceSetup", )"
       R"("accountSetup", found "setup")"},
      {"phaseFailed", R"({"phase": "deviceSetup", "code": 1.5})",
       "events[2].detail.code: expected an integer or a string"},
      {"itemStarted", R"({"phase": "deviceSetup", "id": ""})",
       "events[2].detail.id: must not be empty"},
      {"itemStarted", R"({"phase": "deviceSetup", "id": "a", "attempt": 0})",
       "events[2].detail.attempt: must be at least 1"},
      {"itemProgress", R"({"phase": "deviceSetup", "id": "a", "bytesDone": "1"})",
       "events[2].detail.bytesDone: expected an integer"},
      {"itemSucceeded", R"({"phase": "deviceSetup", "id": "a", "displayName": 3})",
       "events[2].detail.displayName: expected a string"},
      {"itemTimedOut", R"({"phase": "deviceSetup", "id": "a", "message": false})",
       "events[2].detail.message: expected a string"},
      {"screen", "{}", "events[2].detail.screen: required"},
      {"button", R"({"button": ""})", "events[2].detail.button: must not be empty"},
      {"compliance", R"({"when": "during"})",
       R"(events[2].detail.when: expected one of "before", "after", found "during")"},
      {"compliance", R"({"when": "after", "state": "compliant", "findings": {}})",
       "events[2].detail.findings: expected an array"},
      {"flowFinished", R"({"deploymentState": "inProgress"})",
       R"(events[2].detail.deploymentState: expected one of "unknown", "success", "failure", )"
       R"("successWithTimeout", "notAttempted", "disabled", "successOnRetry", found )"
       R"("inProgress")"},
  };
  for (const Case& c : cases) {
    const Error error = DetailError(c.kind, c.detail);
    EXPECT_EQ(error.code, ErrorCode::kInvalidArgument) << c.kind << " " << c.detail;
    EXPECT_EQ(error.message, c.message) << c.kind << " " << c.detail;
    EXPECT_EQ(error.field, error.message.substr(0, error.message.find(':')));
  }
}

TEST(CheckEventsTest, ChecksTheBatchInOrderAndSerializesTheDetails) {
  const core::Timestamp at{std::chrono::seconds(1'800'000'000)};
  std::vector<DeploymentEvent> events = {
      {"k1", at, "phaseStarted", Json(R"({"phase": "deviceSetup"})").as_object()},
      {"k2", at, "itemProgress", Json(R"({"phase": "deviceSetup", "id": "a"})").as_object()}};
  auto checked = CheckEvents(events);
  ASSERT_TRUE(checked) << checked.error().message;
  ASSERT_EQ(checked->size(), 2u);
  EXPECT_EQ((*checked)[0].idempotency_key, "k1");
  EXPECT_EQ((*checked)[0].at, at);
  EXPECT_EQ((*checked)[0].kind, "phaseStarted");
  EXPECT_EQ((*checked)[0].detail, R"({"phase":"deviceSetup"})");
  EXPECT_EQ((*checked)[1].detail, R"({"phase":"deviceSetup","id":"a"})");

  events[1].detail["phase"] = "nowhere";
  EXPECT_EQ(CheckEvents(events).error().field, "events[1].detail.phase");
  events[0].kind = "phase started";
  EXPECT_EQ(CheckEvents(events).error().message, "events[0].kind: must be letters and digits");
  events[0].idempotency_key.clear();
  EXPECT_EQ(CheckEvents(events).error().field, "events[0].idempotencyKey");
  EXPECT_EQ(CheckEvents(std::vector<DeploymentEvent>(kMaxEventsPerBatch + 1)).error().field,
            "events");
}

TEST(FinalDeploymentStatesTest, AreEveryStateButInProgress) {
  EXPECT_TRUE(IsFinalDeploymentState("success"));
  EXPECT_TRUE(IsFinalDeploymentState("successOnRetry"));
  EXPECT_FALSE(IsFinalDeploymentState("inProgress"));
  EXPECT_FALSE(IsFinalDeploymentState("Success"));
  EXPECT_TRUE(CheckFinalDeploymentState("failure", "deploymentState"));
  const Status refused = CheckFinalDeploymentState("done", "deploymentState");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "deploymentState");
  EXPECT_TRUE(refused.error().message.starts_with(
      R"(deploymentState: expected one of "unknown", "success", "failure", )"));
  EXPECT_TRUE(refused.error().message.ends_with(R"(found "done")"));
}

}  // namespace
}  // namespace groundcrew::wire

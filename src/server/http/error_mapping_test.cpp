#include "server/http/error_mapping.hpp"

#include <gtest/gtest.h>

#include <map>

namespace groundcrew::server {
namespace {

TEST(ErrorMappingTest, EveryErrorCodeHasItsStatusAndBody) {
  const std::map<ErrorCode, int> expected = {
      {ErrorCode::kInvalidArgument, 400}, {ErrorCode::kNotFound, 404},
      {ErrorCode::kAlreadyExists, 409},   {ErrorCode::kFailedPrecondition, 409},
      {ErrorCode::kAborted, 409},         {ErrorCode::kUnavailable, 503},
      {ErrorCode::kUnauthenticated, 401}, {ErrorCode::kPermissionDenied, 403},
      {ErrorCode::kInternal, 500},
  };
  // Walks the enum by value so that a new ErrorCode fails here until it is mapped.
  int count = 0;
  for (int i = 0; i <= static_cast<int>(ErrorCode::kInternal); ++i, ++count) {
    const auto code = static_cast<ErrorCode>(i);
    ASSERT_TRUE(expected.contains(code)) << "unmapped ErrorCode " << i;
    EXPECT_EQ(HttpStatusFor(code), expected.at(code)) << ToString(code);
    const Response response = ErrorResponse(MakeError(code, "why", "where"));
    EXPECT_EQ(response.status, expected.at(code));
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_EQ(response.body, std::string(R"({"error":{"code":")") + ToString(code) +
                                 R"(","message":"why","field":"where"}})");
  }
  EXPECT_EQ(count, static_cast<int>(expected.size()));
}

TEST(ErrorMappingTest, BodyEscapesAndAlwaysHasField) {
  EXPECT_EQ(ErrorJson(MakeError(ErrorCode::kInvalidArgument, "bad \"x\"\n\\ end")),
            R"({"error":{"code":"invalid_argument","message":"bad \"x\"\n\\ end","field":""}})");
}

TEST(ErrorMappingTest, SeveralProblemsAreListedInDetails) {
  const Response response =
      ErrorResponse(MakeError(ErrorCode::kInvalidArgument, "the document has 2 problems", "a"),
                    {MakeError(ErrorCode::kInvalidArgument, "a: bad", "a"),
                     MakeError(ErrorCode::kInvalidArgument, "b[0]: worse", "b[0]")});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body,
            R"({"error":{"code":"invalid_argument","message":"the document has 2 problems",)"
            R"("field":"a","details":[{"field":"a","message":"a: bad"},)"
            R"({"field":"b[0]","message":"b[0]: worse"}]}})");
  EXPECT_EQ(ErrorJson(MakeError(ErrorCode::kNotFound, "x"), {}),
            ErrorJson(MakeError(ErrorCode::kNotFound, "x")))
      << "no details, no property";
}

TEST(ErrorMappingTest, ExplicitStatusKeepsTheShape) {
  const Response response =
      ErrorResponse(413, MakeError(ErrorCode::kInvalidArgument, "big", "body"));
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.body,
            R"({"error":{"code":"invalid_argument","message":"big","field":"body"}})");
}

TEST(ErrorMappingTest, ToResponseMapsResults) {
  Result<int> good = 7;
  Result<int> bad = MakeError(ErrorCode::kNotFound, "none");
  auto render = [](int v) { return JsonResponse(200, std::to_string(v)); };
  EXPECT_EQ(ToResponse(good, render).body, "7");
  EXPECT_EQ(ToResponse(bad, render).status, 404);
}

}  // namespace
}  // namespace groundcrew::server

#include <gtest/gtest.h>

#include <chrono>

#include "wire/model_json.hpp"

namespace groundcrew::wire {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

core::Timestamp At(std::chrono::year_month_day date, std::chrono::seconds time_of_day) {
  return core::Timestamp{sys_days{date}} + time_of_day;
}

TEST(TimestampTest, FormatsIsoUtcWithSecondsPrecision) {
  EXPECT_EQ(FormatTimestamp(At(2026y / 11 / 25, 13h)), "2026-11-25T13:00:00Z");
  EXPECT_EQ(FormatTimestamp(At(2024y / 2 / 29, 23h + 59min + 59s)), "2024-02-29T23:59:59Z");
  EXPECT_EQ(FormatTimestamp(core::Timestamp{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(At(1969y / 12 / 31, 1s)), "1969-12-31T00:00:01Z");
}

TEST(TimestampTest, ParseIsTheInverseOfFormat) {
  for (core::Timestamp t :
       {core::Timestamp{}, At(2026y / 11 / 25, 13h), At(2024y / 2 / 29, 86399s),
        At(1900y / 3 / 1, 7s), At(9999y / 12 / 31, 86399s), At(1y / 1 / 1, 0s)}) {
    auto parsed = ParseTimestamp(FormatTimestamp(t));
    ASSERT_TRUE(parsed.has_value()) << FormatTimestamp(t) << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, t) << FormatTimestamp(t);
  }
  auto parsed = ParseTimestamp("2026-11-25T13:00:00Z");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, At(2026y / 11 / 25, 13h));
}

TEST(TimestampTest, RejectsAnythingButTheExactShape) {
  for (const char* bad : {"",
                          "2026-11-25",
                          "2026-11-25T13:00:00",
                          "2026-11-25T13:00:00z",
                          "2026-11-25t13:00:00Z",
                          "2026-11-25 13:00:00Z",
                          "2026-11-25T13:00:00.000Z",
                          "2026-11-25T13:00:00+00:00",
                          "2026-11-25T13:00:0aZ",
                          "2026/11/25T13:00:00Z",
                          " 2026-11-25T13:00:00Z",
                          "2026-02-30T13:00:00Z",
                          "2025-02-29T00:00:00Z",
                          "2026-13-01T00:00:00Z",
                          "2026-00-10T00:00:00Z",
                          "2026-11-00T00:00:00Z",
                          "2026-11-25T24:00:00Z",
                          "2026-11-25T13:60:00Z",
                          "2026-11-25T13:00:60Z",
                          "+026-11-25T13:00:00Z"}) {
    auto parsed = ParseTimestamp(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(parsed.error().message.find("timestamp"), std::string::npos);
  }
}

}  // namespace
}  // namespace groundcrew::wire

#include "core/access/console_session.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace groundcrew::core {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const Timestamp kSignIn{seconds(1'800'000'000)};

TEST(ConsoleSessionTest, ASessionLastsHalfAnHourIdleAndTwelveHoursAtMost) {
  const ConsoleExpiry expiry = NewConsoleExpiry(kSignIn);
  EXPECT_EQ(expiry.idle, kSignIn + minutes(30));
  EXPECT_EQ(expiry.absolute, kSignIn + hours(12));
  EXPECT_TRUE(IsConsoleSessionLive(expiry, kSignIn + minutes(30) - seconds(1)));
  EXPECT_FALSE(IsConsoleSessionLive(expiry, kSignIn + minutes(30)));
}

TEST(ConsoleSessionTest, ARequestRenewsTheIdleExpiryButNeverPastTheAbsoluteOne) {
  ConsoleExpiry expiry = NewConsoleExpiry(kSignIn);
  // Within the renewal step: nothing to store.
  EXPECT_EQ(RenewedIdleExpiry(expiry, kSignIn + seconds(30)), std::nullopt);
  EXPECT_EQ(RenewedIdleExpiry(expiry, kSignIn + minutes(20)), kSignIn + minutes(50));
  // Renewed every 20 minutes, it still ends 12 hours after the sign-in.
  Timestamp now = kSignIn;
  while (auto renewed = RenewedIdleExpiry(expiry, now + minutes(20))) {
    now += minutes(20);
    expiry.idle = *renewed;
    EXPECT_LE(expiry.idle, expiry.absolute);
  }
  EXPECT_EQ(expiry.idle, kSignIn + hours(12));
  EXPECT_FALSE(IsConsoleSessionLive(expiry, kSignIn + hours(12)));
  // An expired session is not renewed.
  EXPECT_EQ(RenewedIdleExpiry(NewConsoleExpiry(kSignIn), kSignIn + minutes(31)), std::nullopt);
}

TEST(ConsoleSessionTest, AdminNamesAreShortLowerCaseWords) {
  for (const char* good : {"alice", "a", "bob.smith", "ops_1", "night-shift"}) {
    EXPECT_TRUE(ValidateAdminName(good).has_value()) << good;
  }
  EXPECT_TRUE(ValidateAdminName(std::string(64, 'a')).has_value());
  for (const std::string& bad :
       std::vector<std::string>{"", "Alice", "bob smith", "é", "a/b", std::string(65, 'a')}) {
    Status checked = ValidateAdminName(bad);
    ASSERT_FALSE(checked.has_value()) << bad;
    EXPECT_EQ(checked.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(checked.error().field, "name");
  }
  EXPECT_NE(ValidateAdminName("Alice").error().message.find("character 1"), std::string::npos);
}

TEST(ConsoleSessionTest, OnlyGetAndHeadGoWithoutACsrfToken) {
  EXPECT_FALSE(NeedsCsrfToken("GET"));
  EXPECT_FALSE(NeedsCsrfToken("HEAD"));
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get"}) {
    EXPECT_TRUE(NeedsCsrfToken(method)) << method;
  }
}

}  // namespace
}  // namespace groundcrew::core

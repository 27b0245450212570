#include "core/debian/package_name.hpp"

#include <gtest/gtest.h>

namespace groundcrew::core {
namespace {

TEST(DebianPackageNameTest, AcceptsPolicyNames) {
  for (const char* name : {"jq", "htop", "libc6", "g++", "libstdc++6", "0ad", "python3.11"}) {
    EXPECT_TRUE(CheckDebianPackageName(name)) << name;
  }
}

TEST(DebianPackageNameTest, RefusesWithTheReason) {
  EXPECT_EQ(CheckDebianPackageName("j").error().message,
            "a package name has at least two characters");
  EXPECT_EQ(CheckDebianPackageName("-jq").error().message,
            "a package name starts with a lower-case letter or a digit");
  EXPECT_EQ(CheckDebianPackageName("Htop").error().message,
            "a package name starts with a lower-case letter or a digit");
  EXPECT_EQ(CheckDebianPackageName("my_app").error().message,
            "'_' is not allowed in a package name (lower-case letters, digits, + - . only)");
  EXPECT_EQ(CheckDebianPackageName("jq=1.6").error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace groundcrew::core

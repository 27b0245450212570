#include "core/debian/debian_version.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace groundcrew::core {
namespace {

TEST(DebianVersionTest, OrdersAsDpkgDoes) {
  // Each strictly before the next (checked against `dpkg --compare-versions`).
  const std::vector<std::string> ascending = {"0.9",    "1.0~~", "1.0~~a",   "1.0~",    "1.0~rc1",
                                              "1.0",    "1.0-1", "1.0-1+b1", "1.0-1.1", "1.0-2",
                                              "1.0-10", "1.0a",  "1.0+b1",   "1.0.1",   "1.2",
                                              "1.10",   "12.7",  "12.10",    "1:0.1",   "2:0.1"};
  for (size_t i = 0; i < ascending.size(); ++i) {
    for (size_t j = 0; j < ascending.size(); ++j) {
      const int c = CompareDebianVersions(ascending[i], ascending[j]);
      if (i < j) {
        EXPECT_LT(c, 0) << ascending[i] << " < " << ascending[j];
      } else if (i == j) {
        EXPECT_EQ(c, 0) << ascending[i];
      } else {
        EXPECT_GT(c, 0) << ascending[i] << " > " << ascending[j];
      }
    }
  }
}

TEST(DebianVersionTest, LeadingZerosAndAnExplicitZeroEpochAreEqual) {
  EXPECT_EQ(CompareDebianVersions("1.002", "1.2"), 0);
  EXPECT_EQ(CompareDebianVersions("0:1.2-1", "1.2-1"), 0);
  EXPECT_EQ(CompareDebianVersions("1.0", "1.0-0"), 0);  // no revision is revision 0
  EXPECT_GT(CompareDebianVersions("1.2.0", "1.2"), 0);  // more parts is newer
  EXPECT_LT(CompareDebianVersions("9", "10"), 0);       // numbers, not text
  EXPECT_LT(CompareDebianVersions("99999999999999999999", "100000000000000000000"), 0);
}

TEST(DebianVersionTest, ParsesItsParts) {
  Result<DebianVersion> v = ParseDebianVersion("2:1.2-rc-3+deb12u1");
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->epoch, 2u);
  EXPECT_EQ(v->upstream, "1.2-rc");
  EXPECT_EQ(v->revision, "3+deb12u1");
  v = ParseDebianVersion("12.7");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->epoch, 0u);
  EXPECT_EQ(v->revision, "");
}

TEST(DebianVersionTest, RefusesWhatIsNotAVersionWithTheReason) {
  const auto reason = [](std::string_view text) {
    Result<DebianVersion> v = ParseDebianVersion(text);
    EXPECT_FALSE(v.has_value()) << text;
    return v ? std::string() : v.error().message;
  };
  EXPECT_EQ(reason(""), "\"\" is not a Debian version: it is empty");
  EXPECT_EQ(reason("a:1.0"),
            "\"a:1.0\" is not a Debian version: the epoch (before ':') must be a number");
  EXPECT_EQ(reason("v1.0"),
            "\"v1.0\" is not a Debian version: the upstream version must start with a digit");
  EXPECT_EQ(reason("1.0-"), "\"1.0-\" is not a Debian version: the revision (after '-') is empty");
  EXPECT_EQ(reason("1.0 beta"),
            "\"1.0 beta\" is not a Debian version: ' ' is not allowed in the upstream version");
  EXPECT_EQ(reason("1.0-a_b"),
            "\"1.0-a_b\" is not a Debian version: '_' is not allowed in the revision");
  EXPECT_EQ(reason("1:"), "\"1:\" is not a Debian version: the upstream version is empty");
}

}  // namespace
}  // namespace groundcrew::core

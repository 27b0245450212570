#include "common/text.hpp"

#include <gtest/gtest.h>

namespace groundcrew::text {
namespace {

TEST(TextTest, CaseInsensitiveComparisonsFoldAsciiOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("[ZTDid]", "[ztdId]"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abcd"));
  EXPECT_FALSE(EqualsIgnoreCase("\xC3\xA9", "\xC3\x89"));  // é vs É: not folded
  EXPECT_TRUE(StartsWithIgnoreCase("[ZTDId]:1234", "[ztdid]"));
  EXPECT_FALSE(StartsWithIgnoreCase("[Z", "[ztdid]"));
  EXPECT_TRUE(EndsWithIgnoreCase("user@Contoso.COM", "@contoso.com"));
  EXPECT_TRUE(ContainsIgnoreCase("Surface Laptop 5", "LAPTOP"));
  EXPECT_TRUE(ContainsIgnoreCase("x", ""));
  EXPECT_FALSE(ContainsIgnoreCase("Surface", "pro"));
}

TEST(TextTest, TrimAndLower) {
  EXPECT_EQ(Trim("  a b \r\n"), "a b");
  EXPECT_EQ(Trim(" \t "), "");
  EXPECT_EQ(ToLowerAscii("AbC-1"), "abc-1");
}

}  // namespace
}  // namespace groundcrew::text

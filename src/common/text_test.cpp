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

TEST(TextTest, FindsTheFirstByteThatIsNotUtf8AndReplacesEachSuch) {
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xF0\x9D\x84\x9E"));
  EXPECT_EQ(FindInvalidUtf8("caf\xE9"), 3u);         // Latin-1
  EXPECT_EQ(FindInvalidUtf8("ab\xED\xA0\x80"), 2u);  // an encoded surrogate
  EXPECT_EQ(FindInvalidUtf8("\xC0\xAF"), 0u);        // overlong
  EXPECT_EQ(FindInvalidUtf8("x\xE2\x82"), 1u);       // truncated
  EXPECT_EQ(ToValidUtf8("caf\xE9!"), "caf\xEF\xBF\xBD!");
  EXPECT_EQ(ToValidUtf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ToValidUtf8("ok \xC3\xA9"), "ok \xC3\xA9");
}

}  // namespace
}  // namespace groundcrew::text

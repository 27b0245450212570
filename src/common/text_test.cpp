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

TEST(TextTest, AsciiAlnumTakesLettersDigitsAndTheGivenPunctuationOnly) {
  EXPECT_TRUE(IsAsciiAlnum("itemStarted2"));
  EXPECT_FALSE(IsAsciiAlnum(""));
  EXPECT_FALSE(IsAsciiAlnum("item-started"));
  EXPECT_FALSE(IsAsciiAlnum("caf\xC3\xA9"));  // not ASCII
  EXPECT_TRUE(IsAsciiAlnum("s-1.2_3", "._-"));
  EXPECT_FALSE(IsAsciiAlnum("s 1", "._-"));
  EXPECT_FALSE(IsAsciiAlnum("", "._-"));
}

TEST(TextTest, ShowControlsLeavesNothingATerminalWouldObey) {
  EXPECT_EQ(ShowControls("CON-0001 Café\tok"), "CON-0001 Café\tok");
  // Set the window title, erase the line, move the cursor: each escape is shown, not obeyed.
  EXPECT_EQ(ShowControls("\x1b]0;pwned\x07"), "␛]0;pwned␇");
  EXPECT_EQ(ShowControls("a\r\x1b[2Kb\nc\x7f"), "a␍␛[2Kb␊c␡");
  // C1 CSI (U+009B), a lone continuation byte, a truncated sequence, an overlong '/', a
  // surrogate: each becomes U+FFFD.
  EXPECT_EQ(ShowControls("\xc2\x9b"
                         "2J"),
            "�2J");
  EXPECT_EQ(ShowControls("\x80x\xe2\x82"), "�x��");
  EXPECT_EQ(ShowControls("\xc0\xaf\xed\xa0\x80"), "�����");
  EXPECT_EQ(ShowControls("\xf0\x9f\x94\x92"), "\xf0\x9f\x94\x92");  // U+1F512 stays
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

#include "core/registration/text_encoding.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace groundcrew::core::registration_internal {
namespace {

std::string Units(const std::vector<std::uint16_t>& units, ByteOrder order) {
  std::string bytes;
  for (std::uint16_t unit : units) {
    const char low = static_cast<char>(unit & 0xFF);
    const char high = static_cast<char>(unit >> 8);
    if (order == ByteOrder::kLittleEndian) {
      bytes += low;
      bytes += high;
    } else {
      bytes += high;
      bytes += low;
    }
  }
  return bytes;
}

TEST(RegistrationTextEncodingTest, FindsTheFirstProblem) {
  struct Case {
    std::string text;
    bool clean;
    std::string reason_part;
  };
  const Case cases[] = {
      {"", true, ""},
      {"SN-123 Contoso", true, ""},
      {"S\xC3\xA9rie \xE2\x82\xAC \xF0\x9F\x98\x80", true, ""},  // é € 😀
      {"a\tb", false, "control character \\x09"},
      {"a\x7F", false, "control character \\x7F"},
      {std::string("a\0b", 3), false, "control character \\x00"},
      {"caf\xE9", false, "byte 4 is not UTF-8"},           // Latin-1 é
      {"\xC0\xAF", false, "byte 1 is not UTF-8"},          // overlong '/'
      {"\xE0\x80\xAF", false, "byte 1 is not UTF-8"},      // overlong 3-byte
      {"\xF4\x90\x80\x80", false, "byte 1 is not UTF-8"},  // above U+10FFFF
      {"ab\xED\xA0\x80", false, "lone UTF-16 surrogate at byte 3"},
      {"\xE2\x82", false, "byte 1 is not UTF-8"},  // truncated sequence
      {"\x80", false, "byte 1 is not UTF-8"},
  };
  for (const Case& c : cases) {
    auto problem = FindTextProblem(c.text);
    EXPECT_EQ(!problem.has_value(), c.clean) << c.text;
    if (problem) {
      EXPECT_NE(problem->reason.find(c.reason_part), std::string::npos) << problem->reason;
    }
  }
}

TEST(RegistrationTextEncodingTest, ConvertsUtf16InBothByteOrders) {
  // "A", "é", "€", U+1F600 as a surrogate pair.
  const std::vector<std::uint16_t> units = {0x41, 0xE9, 0x20AC, 0xD83D, 0xDE00};
  for (ByteOrder order : {ByteOrder::kLittleEndian, ByteOrder::kBigEndian}) {
    EXPECT_EQ(Utf16ToUtf8(Units(units, order), order), "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  }
}

TEST(RegistrationTextEncodingTest, LoneSurrogatesBecomeDetectableInvalidUtf8) {
  const std::vector<std::vector<std::uint16_t>> cases = {
      {0x41, 0xD83D},          // high surrogate at the end
      {0xD83D, 0x41},          // high surrogate followed by a non-surrogate
      {0xDE00, 0x41},          // low surrogate first
      {0xD83D, 0xD83D, 0x41},  // two high surrogates
  };
  for (const auto& units : cases) {
    const std::string utf8 =
        Utf16ToUtf8(Units(units, ByteOrder::kLittleEndian), ByteOrder::kLittleEndian);
    auto problem = FindTextProblem(utf8);
    ASSERT_TRUE(problem.has_value());
    EXPECT_NE(problem->reason.find("lone UTF-16 surrogate"), std::string::npos);
  }
}

TEST(RegistrationTextEncodingTest, IgnoresAFinalOddByte) {
  EXPECT_EQ(Utf16ToUtf8(std::string("A\0B", 3), ByteOrder::kLittleEndian), "A");
}

TEST(RegistrationTextEncodingTest, QuotesSafelyForMessages) {
  EXPECT_EQ(QuoteForMessage("abc"), "\"abc\"");
  EXPECT_EQ(QuoteForMessage("a\"b\\"), "\"a\\\"b\\\\\"");
  EXPECT_EQ(QuoteForMessage("a\nb\xE9"), "\"a\\x0Ab\\xE9\"");
  EXPECT_EQ(QuoteForMessage("\xC3\xA9"), "\"\xC3\xA9\"");
  EXPECT_EQ(QuoteForMessage(std::string(100, 'x')), "\"" + std::string(64, 'x') + "...\"");
}

RC_GTEST_PROP(RegistrationTextEncodingProperty, MessagesAreAlwaysCleanText,
              (const std::string& bytes)) {
  const std::string quoted = QuoteForMessage(bytes);
  RC_ASSERT(!FindTextProblem(quoted).has_value());
  (void)FindTextProblem(bytes);
  const std::string converted = Utf16ToUtf8(bytes, ByteOrder::kLittleEndian);
  RC_ASSERT(converted.size() <= bytes.size() / 2 * 3);
}

}  // namespace
}  // namespace groundcrew::core::registration_internal

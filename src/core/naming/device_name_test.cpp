#include "core/naming/device_name.hpp"

#include <gtest/gtest.h>

namespace groundcrew::core {
namespace {

struct ExpandCase {
  const char* name_template;
  const char* serial;
  const char* expected;
};

class ExpandNameTest : public ::testing::TestWithParam<ExpandCase> {};

TEST_P(ExpandNameTest, Expands) {
  const ExpandCase& c = GetParam();
  auto parsed = ParseNameTemplate(c.name_template);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  auto name = ExpandName(*parsed, c.serial, "0123456789012345");
  ASSERT_TRUE(name.has_value()) << name.error().message;
  EXPECT_EQ(*name, c.expected);
  EXPECT_LE(name->size(), 15u);
}

INSTANTIATE_TEST_SUITE_P(
    Templates, ExpandNameTest,
    ::testing::Values(ExpandCase{"CON-%SERIAL%", "PF3XK2LM", "CON-PF3XK2LM"},
                      // Truncated from the beginning: the end of the serial survives.
                      ExpandCase{"CON-%SERIAL%", "ABCDEFGHIJKLMNOP", "CON-FGHIJKLMNOP"},
                      ExpandCase{"%serial%", "SN 12/34-x", "SN1234-x"},
                      ExpandCase{"LAB-%RAND:4%", "ignored", "LAB-0123"},
                      // %RAND% wins and %SERIAL% is ignored.
                      ExpandCase{"K-%SERIAL%-%RAND:3%", "PF3", "K--012"},
                      ExpandCase{"X%RAND:14%", "", "X01234567890123"}));

TEST(NameTemplateTest, ReportsWorstCaseAndSerialBudget) {
  auto parsed = ParseNameTemplate("CONTOSO-%SERIAL%");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->fixed_length, 8);
  EXPECT_EQ(parsed->serial_budget, 7);
  EXPECT_EQ(parsed->worst_case_length, 15);
  EXPECT_TRUE(parsed->uses_serial);
  EXPECT_FALSE(parsed->warnings.empty());

  auto rand_only = ParseNameTemplate("WS-%RAND:5%");
  ASSERT_TRUE(rand_only.has_value());
  EXPECT_EQ(rand_only->worst_case_length, 8);
}

TEST(NameTemplateTest, RefusesInvalidTemplatesWithPosition) {
  struct Bad {
    const char* text;
    const char* says;
  };
  for (const Bad& bad :
       {Bad{"", "empty"}, Bad{"CON_%SERIAL%", "character 4"}, Bad{"A%RAND:0%", "between 1 and 15"},
        Bad{"A%RAND:16%", "between 1 and 15"}, Bad{"A%RAND:x%", "between 1 and 15"},
        Bad{"A%SERIAL", "not closed"}, Bad{"A%NAME%", "unknown macro"},
        Bad{"CONTOSO-LAPTOPS-%SERIAL%", "16 characters"}, Bad{"CONTOSO-LAPTOP-%SERIAL%", "no room"},
        Bad{"%RAND:6%", "all digits"}, Bad{"12-%RAND:2%", ""}}) {
    auto parsed = ParseNameTemplate(bad.text);
    if (std::string(bad.text) == "12-%RAND:2%") {
      EXPECT_TRUE(parsed.has_value()) << "a hyphen makes it not all digits";
      continue;
    }
    ASSERT_FALSE(parsed.has_value()) << bad.text;
    EXPECT_EQ(parsed.error().field, "deviceNameTemplate");
    EXPECT_NE(parsed.error().message.find(bad.says), std::string::npos)
        << bad.text << ": " << parsed.error().message;
  }
}

TEST(NameTemplateTest, NumericSerialWithoutLiteralIsRefusedAtExpansion) {
  auto parsed = ParseNameTemplate("%SERIAL%");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(ExpandName(*parsed, "123456", "").has_value());
  EXPECT_FALSE(ExpandName(*parsed, "///", "").has_value());
  EXPECT_EQ(*ExpandName(*parsed, "12345A", ""), "12345A");
}

}  // namespace
}  // namespace groundcrew::core

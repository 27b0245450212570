#include "core/rules/explain.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace groundcrew::core::rules {
namespace {

DirectoryDevice Laptop() {
  DirectoryDevice d;
  d.id = DirectoryObjectId{"obj-1"};
  d.display_name = "LAPTOP-42";
  d.model = "Surface Laptop 5";
  d.device_physical_ids = {"[ZTDId]:abc", "[OrderID]:Sales"};
  return d;
}

RuleOutcome ExplainOn(std::string_view text, const DirectoryDevice& device) {
  Result<CompiledRule> rule = CompileRule(text);
  EXPECT_TRUE(rule.has_value()) << rule.error().message;
  Result<std::vector<RuleClause>> clauses = SplitClauses(*rule);
  EXPECT_TRUE(clauses.has_value());
  DeviceAttributes attributes(device, {});
  return Explain(*rule, *clauses, attributes.subject());
}

TEST(ExplainTest, EachTopLevelClauseWithItsResultAndTheValuesItRead) {
  const RuleOutcome outcome = ExplainOn(
      R"(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]") -and (device.deviceModel -eq "X" -or device.displayName -startsWith "laptop"))",
      Laptop());
  EXPECT_TRUE(outcome.matches);
  ASSERT_EQ(outcome.clauses.size(), 2u);
  EXPECT_EQ(outcome.clauses[0].expression,
            R"(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]"))");
  EXPECT_TRUE(outcome.clauses[0].matches);
  EXPECT_EQ(outcome.clauses[0].values,
            (std::vector<std::string>{"[ZTDId]:abc", "[OrderID]:Sales"}));
  EXPECT_TRUE(outcome.clauses[1].matches);
  // Both properties the nested clause reads, in slot order.
  EXPECT_EQ(outcome.clauses[1].values.size(), 2u);
}

TEST(ExplainTest, AFailingClauseSaysWhyAndAMissingValueIsNoValue) {
  DirectoryDevice device = Laptop();
  device.model.clear();
  const RuleOutcome outcome = ExplainOn(
      R"(device.deviceModel -eq "Surface Laptop 5" -and device.displayName -startsWith "LAPTOP")",
      device);
  EXPECT_FALSE(outcome.matches);
  ASSERT_EQ(outcome.clauses.size(), 2u);
  EXPECT_FALSE(outcome.clauses[0].matches);
  EXPECT_TRUE(outcome.clauses[0].values.empty());  // null: nothing to show
  EXPECT_TRUE(outcome.clauses[1].matches);
  EXPECT_EQ(outcome.clauses[1].values, std::vector<std::string>{"LAPTOP-42"});
}

TEST(ExplainTest, ARuleWithoutTopLevelAndOrIsOneClause) {
  const RuleOutcome outcome =
      ExplainOn(R"(-not (device.deviceModel -eq "Surface Laptop 5"))", Laptop());
  EXPECT_FALSE(outcome.matches);
  ASSERT_EQ(outcome.clauses.size(), 1u);
  EXPECT_FALSE(outcome.clauses[0].matches);
  EXPECT_EQ(outcome.clauses[0].values, std::vector<std::string>{"Surface Laptop 5"});
}

}  // namespace
}  // namespace groundcrew::core::rules

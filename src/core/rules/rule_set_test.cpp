#include "core/rules/rule_set.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace groundcrew::core::rules {
namespace {

CompiledRule Compile(const std::string& text) {
  Result<CompiledRule> rule = CompileRule(text);
  EXPECT_TRUE(rule) << text << ": " << rule.error().message;
  return std::move(*rule);
}

std::vector<uint32_t> MatchDevice(const RuleSet& set, const DirectoryDevice& device,
                                  std::vector<std::string> member_of = {}) {
  const DeviceAttributes attributes(device, member_of);
  std::vector<uint32_t> matched;
  set.Match(attributes.subject(), matched);
  return matched;
}

// Every rule, one by one: what Match must equal.
std::vector<uint32_t> MatchOneByOne(const std::vector<std::pair<uint32_t, std::string>>& rules,
                                    const Subject& subject) {
  std::vector<uint32_t> out;
  for (const auto& [id, text] : rules) {
    if (Compile(text).Matches(subject)) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

RuleSet Build(const std::vector<std::pair<uint32_t, std::string>>& rules) {
  std::vector<std::pair<uint32_t, CompiledRule>> compiled;
  for (const auto& [id, text] : rules) compiled.emplace_back(id, Compile(text));
  return RuleSet(std::move(compiled));
}

DirectoryDevice TaggedDevice(const std::string& tag) {
  DirectoryDevice device;
  device.id = DirectoryObjectId{"obj-" + tag};
  device.manufacturer = "Contoso";
  device.model = "Surface Laptop 5";
  device.device_physical_ids = {"[ZTDId]:z-" + tag, "[OrderID]:" + tag};
  return device;
}

TEST(RuleSetTest, AutopilotTenantWithAThousandTagRules) {
  std::vector<std::pair<uint32_t, std::string>> rules;
  for (uint32_t i = 0; i < 1000; ++i) {
    rules.emplace_back(
        i, "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Tag" + std::to_string(i) + "\"))");
  }
  rules.emplace_back(5000, R"((device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]")))");
  rules.emplace_back(5001, R"(device.deviceModel -eq "surface laptop 5")");
  rules.emplace_back(5002, R"(device.deviceManufacturer -eq "Fabrikam")");
  rules.emplace_back(5003, R"(device.deviceModel -match "laptop \d")");  // not indexed
  rules.emplace_back(5004, "device.objectId -ne null");                  // not indexed
  rules.emplace_back(5005, "user.objectId -ne null");                    // another type
  const RuleSet set = Build(rules);
  EXPECT_EQ(set.size(), rules.size());
  EXPECT_FALSE(set.empty());
  EXPECT_EQ(set.unindexed_count(), 3u);
  EXPECT_EQ(set.referenced_slots(ObjectType::kDevice),
            (SlotMask{1} << SlotOf(DeviceProperty::kDevicePhysicalIds)) |
                (SlotMask{1} << SlotOf(DeviceProperty::kDeviceModel)) |
                (SlotMask{1} << SlotOf(DeviceProperty::kDeviceManufacturer)) |
                (SlotMask{1} << SlotOf(DeviceProperty::kObjectId)));
  EXPECT_EQ(set.referenced_slots(ObjectType::kUser),
            SlotMask{1} << SlotOf(UserProperty::kObjectId));

  EXPECT_EQ(MatchDevice(set, TaggedDevice("tag42")),
            (std::vector<uint32_t>{42, 5000, 5001, 5003, 5004}));
  DirectoryDevice untagged = TaggedDevice("x");
  untagged.device_physical_ids = {};
  untagged.model = "Desk";
  EXPECT_EQ(MatchDevice(set, untagged), (std::vector<uint32_t>{5004}));
}

TEST(RuleSetTest, AppendsAfterWhatIsAlreadyThereInAscendingIdOrder) {
  const RuleSet set = Build({{30, R"(device.deviceModel -startsWith "Surface")"},
                             {10, "device.accountEnabled -eq true"},
                             {20, R"(device.devicePhysicalIds -any (_ -eq "[OrderID]:a"))"}});
  const DirectoryDevice device = TaggedDevice("a");
  const DeviceAttributes attributes(device, {});
  std::vector<uint32_t> matched = {99, 7};
  set.Match(attributes.subject(), matched);
  EXPECT_EQ(matched, (std::vector<uint32_t>{99, 7, 10, 20, 30}));
}

TEST(RuleSetTest, EachRuleIsReportedOnceEvenWhenSeveralValuesHitIt) {
  const RuleSet set = Build(
      {{1, R"(device.devicePhysicalIds -any (_ -startsWith "[OrderID]"))"},
       {2, R"(device.devicePhysicalIds -any (_ -in ["[orderid]:a", "[ORDERID]:A"]))"},
       {3, R"(device.devicePhysicalIds -any (_ -eq "[OrderID]:a" -or _ -eq "[ztdid]:z-a"))"}});
  DirectoryDevice device = TaggedDevice("a");
  device.device_physical_ids.push_back("[ORDERID]:A");
  EXPECT_EQ(MatchDevice(set, device), (std::vector<uint32_t>{1, 2, 3}));
}

TEST(RuleSetTest, ConjunctionsAreIndexedButStillFullyEvaluated) {
  const std::vector<std::pair<uint32_t, std::string>> rules = {
      {1, R"(device.devicePhysicalIds -any (_ -eq "[OrderID]:a") -and device.deviceModel -eq "x")"},
      {2, R"(device.deviceModel -eq "x" -or device.deviceManufacturer -eq "contoso")"},
      {3, R"(device.deviceManufacturer -in ["Contoso", "Fabrikam"] -and -not )"
          R"(device.deviceModel -contains "laptop")"},
      {4, R"(device.deviceModel -startsWith "" -and device.accountEnabled -eq true)"},
      {5, R"(device.deviceModel -eq "")"},
      {6, R"(device.memberOf -any (group.objectId -in ['g1']))"},
      {7, R"(device.devicePhysicalIds -all (_ -eq "[OrderID]:a"))"},
  };
  const RuleSet set = Build(rules);
  EXPECT_EQ(set.unindexed_count(), 1u);  // only the -all rule
  const DirectoryDevice device = TaggedDevice("a");
  EXPECT_EQ(MatchDevice(set, device, {"G1"}), (std::vector<uint32_t>{2, 4, 6}));
}

TEST(RuleSetTest, UserRulesMatchUsers) {
  const RuleSet set = Build({{1, R"(user.department -eq "sales")"},
                             {2, R"(user.proxyAddresses -any (_ -startsWith "smtp:"))"},
                             {3, R"(device.deviceModel -eq "sales")"},
                             {4, R"(user.employeeHireDate -ge "2020-01-01")"}});
  User user;
  user.id = UserId{"u"};
  user.department = "Sales";
  user.proxy_addresses = {"SMTP:a@contoso.com"};
  user.employee_hire_date = "2021-01-01";
  const UserAttributes attributes(user, {});
  std::vector<uint32_t> matched;
  set.Match(attributes.subject(), matched);
  EXPECT_EQ(matched, (std::vector<uint32_t>{1, 2, 4}));
  EXPECT_EQ(matched, MatchOneByOne({{1, R"(user.department -eq "sales")"},
                                    {2, R"(user.proxyAddresses -any (_ -startsWith "smtp:"))"},
                                    {3, R"(device.deviceModel -eq "sales")"},
                                    {4, R"(user.employeeHireDate -ge "2020-01-01")"}},
                                   attributes.subject()));
}

TEST(RuleSetTest, EmptySetMatchesNothing) {
  const RuleSet set;
  EXPECT_TRUE(set.empty());
  EXPECT_TRUE(MatchDevice(set, TaggedDevice("a")).empty());
}

}  // namespace
}  // namespace groundcrew::core::rules

#include "core/rules/parser.hpp"

#include <gtest/gtest.h>

#include <string>

namespace groundcrew::core::rules {
namespace {

struct Accepted {
  std::string text;
  std::string canonical;
};

class RuleParserAcceptsTest : public testing::TestWithParam<Accepted> {};

TEST_P(RuleParserAcceptsTest, ParsesToCanonicalFormThatReparsesToTheSameTree) {
  const Accepted& c = GetParam();
  const Result<ParsedRule> parsed = ParseRule(c.text);
  ASSERT_TRUE(parsed) << c.text << "\n" << parsed.error().field << ": " << parsed.error().message;
  EXPECT_EQ(ToString(*parsed), c.canonical);
  const Result<ParsedRule> again = ParseRule(ToString(*parsed));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, *parsed);
}

INSTANTIATE_TEST_SUITE_P(
    Documented, RuleParserAcceptsTest,
    testing::Values(
        // Autopilot's documented device rules.
        Accepted{R"((device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]")))",
                 R"(device.devicePhysicalIds -any (_ -startsWith "[ZTDid]"))"},
        Accepted{R"((device.devicePhysicalIds -any (_ -eq "[OrderID]:179887111881")))",
                 R"(device.devicePhysicalIds -any (_ -eq "[OrderID]:179887111881"))"},
        Accepted{R"((device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:76222342342")))",
                 R"(device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:76222342342"))"},
        Accepted{"device.objectId -ne null", "device.objectId -ne null"},
        // Entra's own examples, including the unparenthesized -any body and en dashes.
        Accepted{R"(device.devicePhysicalIDs -any _ -startsWith "[ZTDId]")",
                 R"(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]"))"},
        Accepted{R"(user.department -eq "Sales")", R"(user.department -eq "Sales")"},
        Accepted{R"((user.department -eq "Sales") -or (user.department -eq "Marketing"))",
                 R"(user.department -eq "Sales" -or user.department -eq "Marketing")"},
        Accepted{R"((user.department -eq "Sales") -and -not (user.jobTitle -startsWith "SDE"))",
                 R"(user.department -eq "Sales" -and -not (user.jobTitle -startsWith "SDE"))"},
        Accepted{"user.department \xE2\x80\x93"
                 "eq \"Marketing\" \xE2\x80\x93"
                 "and "
                 "user.country \xE2\x80\x93"
                 "eq \"US\"",
                 R"(user.department -eq "Marketing" -and user.country -eq "US")"},
        Accepted{"user.mail \xE2\x80\x93ne null", "user.mail -ne null"},
        Accepted{R"(user.country -eq "US" -and (user.department -eq "Marketing" -or )"
                 R"(user.department -eq "Sales"))",
                 R"(user.country -eq "US" -and (user.department -eq "Marketing" -or )"
                 R"(user.department -eq "Sales"))"},
        Accepted{R"(user.department -in ["50001","50002","50003"])",
                 R"(user.department -in ["50001", "50002", "50003"])"},
        Accepted{R"(user.memberof -any (group.objectId -in ['groupId']))",
                 R"(user.memberOf -any (group.objectId -in ["groupId"]))"},
        Accepted{R"(device.memberof -any (group.objectId -in ['g1', 'g2']))",
                 R"(device.memberOf -any (group.objectId -in ["g1", "g2"]))"},
        Accepted{R"(device.memberOf -any (_ -eq "g1"))",
                 R"(device.memberOf -any (group.objectId -eq "g1"))"},
        Accepted{R"(user.city -eq "Lagos" or user.city -startswith "Lag")",
                 R"(user.city -eq "Lagos" -or user.city -startsWith "Lag")"},
        Accepted{R"(user.displayName -match "^Da.*")", R"(user.displayName -match "^Da.*")"},
        Accepted{"user.employeehiredate -le 2020-06-10T18:13:20Z",
                 R"(user.employeeHireDate -le "2020-06-10T18:13:20Z")"},
        Accepted{R"(user.employeeHireDate -ge "2024-01-31")",
                 R"(user.employeeHireDate -ge "2024-01-31")"},
        Accepted{R"((user.proxyAddresses -any (_ -startsWith "contoso")))",
                 R"(user.proxyAddresses -any (_ -startsWith "contoso"))"},
        Accepted{R"((user.objectId -ne null) -and (user.userType -eq "Member"))",
                 R"(user.objectId -ne null -and user.userType -eq "Member")"},
        Accepted{R"((user.extensionAttribute15 -eq "Marketing"))",
                 R"(user.extensionAttribute15 -eq "Marketing")"},
        Accepted{"device.accountEnabled -eq true", "device.accountEnabled -eq true"},
        Accepted{"device.isRooted -ne FALSE", "device.isRooted -ne false"},
        Accepted{R"(device.deviceOSVersion -startsWith "10.0.1")",
                 R"(device.deviceOSVersion -startsWith "10.0.1")"},
        Accepted{R"((device.deviceOSType -eq "iPad") -or (device.deviceOSType -eq "iOS"))",
                 R"(device.deviceOSType -eq "iPad" -or device.deviceOSType -eq "iOS")"},
        Accepted{R"(user.mail -notEndsWith "@Contoso.com")",
                 R"(user.mail -notEndsWith "@Contoso.com")"},
        Accepted{R"(user.mailNickname -endsWith "-vendor")",
                 R"(user.mailNickname -endsWith "-vendor")"},
        Accepted{R"(device.deviceTrustType -eq "AzureAD")",
                 R"(device.deviceTrustType -eq "AzureAD")"},
        Accepted{R"(device.systemLabels -any (_ -startsWith "M365Managed"))",
                 R"(device.systemLabels -any (_ -startsWith "M365Managed"))"},
        Accepted{R"(user.otherMails -all (_ -endsWith "@contoso.com"))",
                 R"(user.otherMails -all (_ -endsWith "@contoso.com"))"}));

INSTANTIATE_TEST_SUITE_P(
    Spelling, RuleParserAcceptsTest,
    testing::Values(
        // Operators and property names match in any case, with or without the hyphen.
        Accepted{R"(user.department EQ "Sales")", R"(user.department -eq "Sales")"},
        Accepted{R"(DEVICE.DEVICEMODEL -EQ "x")", R"(device.deviceModel -eq "x")"},
        Accepted{R"(device.deviceModel -NOTSTARTSWITH "x" AND device.deviceModel contains "y")",
                 R"(device.deviceModel -notStartsWith "x" -and device.deviceModel -contains "y")"},
        Accepted{R"(not device.accountEnabled -eq false)",
                 R"(-not (device.accountEnabled -eq false))"},
        Accepted{R"(device.deviceModel -notIn ['a'] -or device.deviceModel -notMatch "b")",
                 R"(device.deviceModel -notIn ["a"] -or device.deviceModel -notMatch "b")"},
        // Escapes: backtick before a double quote, '' for a single quote.
        Accepted{"user.department -eq \"`\"Sales`\"\"", "user.department -eq \"`\"Sales`\"\""},
        Accepted{R"(user.surname -eq "O''Brien")", R"(user.surname -eq "O''Brien")"},
        Accepted{R"(user.surname -eq 'O''Brien')", R"(user.surname -eq "O''Brien")"},
        Accepted{R"(user.surname -eq 'say "hi"')", "user.surname -eq \"say `\"hi`\"\""},
        Accepted{"user.surname -eq \"a``b\"", "user.surname -eq \"a``b\""},
        Accepted{"user.surname -eq \"a`b\"", "user.surname -eq \"a``b\""}));

INSTANTIATE_TEST_SUITE_P(
    Structure, RuleParserAcceptsTest,
    testing::Values(
        // -and binds tighter than -or.
        Accepted{R"(device.deviceModel -eq "a" -or device.deviceModel -eq "b" -and )"
                 R"(device.deviceManufacturer -eq "c")",
                 R"(device.deviceModel -eq "a" -or (device.deviceModel -eq "b" -and )"
                 R"(device.deviceManufacturer -eq "c"))"},
        // -not binds tighter than -and, looser than comparisons.
        Accepted{R"(-not device.deviceModel -eq "a" -and device.deviceManufacturer -eq "c")",
                 R"(-not (device.deviceModel -eq "a") -and device.deviceManufacturer -eq "c")"},
        Accepted{R"(-not (device.deviceModel -eq "a" -or device.deviceModel -eq "b"))",
                 R"(-not (device.deviceModel -eq "a" -or device.deviceModel -eq "b"))"},
        Accepted{R"(-not -not device.deviceModel -eq "a")",
                 R"(-not (-not (device.deviceModel -eq "a")))"},
        // Nested -and/-or flatten.
        Accepted{R"((device.deviceModel -eq "a" -and device.deviceModel -eq "b") -and )"
                 R"((device.deviceModel -eq "c"))",
                 R"(device.deviceModel -eq "a" -and device.deviceModel -eq "b" -and )"
                 R"(device.deviceModel -eq "c")"},
        // An unparenthesized -any body is one comparison; -and after it is outside.
        Accepted{R"(device.devicePhysicalIds -any _ -eq "x" -and device.deviceModel -eq "m")",
                 R"((device.devicePhysicalIds -any (_ -eq "x")) -and device.deviceModel -eq "m")"},
        Accepted{R"(device.devicePhysicalIds -any -not _ -eq "x")",
                 R"(device.devicePhysicalIds -any (-not (_ -eq "x")))"},
        Accepted{R"(device.devicePhysicalIds -any (_ -eq "x" -or _ -startsWith "y"))",
                 R"(device.devicePhysicalIds -any (_ -eq "x" -or _ -startsWith "y"))"},
        Accepted{R"(device.devicePhysicalIds -all (_ -ne null))",
                 R"(device.devicePhysicalIds -all (_ -ne null))"},
        Accepted{"((((device.deviceModel -eq \"a\"))))", R"(device.deviceModel -eq "a")"},
        // Entra's documentation compares collections directly; such rules mean -any for a
        // positive operator and -all for a negated one.
        Accepted{R"(device.systemLabels -startsWith "M365Managed")",
                 R"(device.systemLabels -any (_ -startsWith "M365Managed"))"},
        Accepted{R"(user.otherMails -notContains "contoso")",
                 R"(user.otherMails -all (_ -notContains "contoso"))"},
        Accepted{R"(device.devicePhysicalIds -eq null)",
                 R"(device.devicePhysicalIds -all (_ -eq null))"},
        Accepted{R"(device.devicePhysicalIds -in ["[OrderID]:A", "[OrderID]:B"])",
                 R"(device.devicePhysicalIds -any (_ -in ["[OrderID]:A", "[OrderID]:B"]))"},
        Accepted{" \t\r\ndevice.deviceModel\n-eq\t\"a\" ", R"(device.deviceModel -eq "a")"},
        Accepted{R"((device.deviceModel-eq"a")-or(device.deviceModel-eq"b"))",
                 R"(device.deviceModel -eq "a" -or device.deviceModel -eq "b")"}));

struct Rejected {
  std::string text;
  size_t position;
  std::string message;  // a substring of the message
};

class RuleParserRejectsTest : public testing::TestWithParam<Rejected> {};

TEST_P(RuleParserRejectsTest, NamesThePositionAndWhatWasExpected) {
  const Rejected& c = GetParam();
  const Result<ParsedRule> parsed = ParseRule(c.text);
  ASSERT_FALSE(parsed) << c.text << " parsed as " << ToString(*parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(parsed.error().field, "position " + std::to_string(c.position)) << c.text;
  EXPECT_EQ(ErrorPosition(parsed.error()), c.position);
  EXPECT_NE(parsed.error().message.find(c.message), std::string::npos)
      << c.text << "\nmessage: " << parsed.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Syntax, RuleParserRejectsTest,
    testing::Values(
        Rejected{R"(device.deviceModel equals "x")", 20,
                 R"(expected an operator such as -eq after device.deviceModel, found "equals")"},
        Rejected{"", 1, "the rule is empty"}, Rejected{"   ", 4, "the rule is empty"},
        Rejected{R"(device.deviceModel -eq "x"  ))", 29,
                 "expected -and, -or or the end of the rule, found \")\""},
        Rejected{R"((device.deviceModel -eq "x")", 28,
                 "expected -and, -or or \")\", found the end of the rule"},
        Rejected{R"(device.deviceModel -eq "x)", 24, "has no closing \""},
        Rejected{R"(device.deviceModel -eq "x" -and)", 32,
                 "expected a property such as device.deviceModel, \"(\" or -not, found the end"},
        Rejected{R"(device.deviceModel -eq "x" -and -any)", 33, "found \"-any\""},
        Rejected{R"(device.deviceModel -eq $null)", 24, "unexpected character \"$\""},
        Rejected{R"(device.deviceModel -eq Sales)", 24,
                 "expected a quoted string or null after -eq, found \"Sales\""},
        Rejected{R"(device.deviceModel -in ("a","b"))", 24,
                 R"(expected a list such as ["a", "b"] after -in, found "(")"},
        Rejected{R"(device.deviceModel -in [])", 25, R"(expected a quoted string in the list)"},
        Rejected{R"(device.deviceModel -in ["a" "b"])", 29, R"(expected "," or "]" in the list)"},
        Rejected{"device.deviceModel -eq \"\xC3\xA9\" -and \xC3\xBC", 33,
                 "unexpected character \"\xC3\xBC\""},
        Rejected{"device.deviceModel - \"x\"", 20, "operator name after the hyphen"},
        Rejected{"device.deviceModel", 19, "expected an operator such as -eq"},
        Rejected{"device.devicePhysicalIds", 25, "expected -any or -all"},
        Rejected{"(", 2, "expected a property"}, Rejected{")", 1, "expected a property"}));

INSTANTIATE_TEST_SUITE_P(
    Semantics, RuleParserRejectsTest,
    testing::Values(
        Rejected{R"(device.deviceModle -eq "x")", 1, R"(unknown device property "deviceModle")"},
        Rejected{R"(devices.deviceModel -eq "x")", 1, "expected a property such as"},
        Rejected{R"(device.deviceModel -eq "x" -and user.department -eq "y")", 33,
                 "a rule cannot mix device and user properties"},
        Rejected{R"(user.department -eq "y" -or device.deviceModel -eq "x")", 29,
                 "this rule is about users"},
        Rejected{R"(device.devicePhysicalIds -le "x")", 26, "-le"},
        Rejected{R"(device.accountEnabled -eq "true")", 27,
                 "expected true, false or null after -eq, found \"true\""},
        Rejected{"device.accountEnabled -contains \"t\"", 23, "a boolean; use -eq or -ne"},
        Rejected{"device.deviceModel -eq true", 24, "expected a quoted string or null"},
        Rejected{"device.deviceModel -startsWith null", 32, "null compares only with -eq or -ne"},
        Rejected{"device.deviceModel -in null", 24, "null compares only with -eq or -ne"},
        Rejected{"device.deviceModel -not null", 20, "-not cannot compare a property"},
        Rejected{"device.deviceModel not null", 20, "-not cannot compare a property"},
        Rejected{R"(device.deviceModel -match "(")", 27, "expected a regular expression"},
        Rejected{R"(device.deviceModel -notMatch "a{2,1}")", 30, "expected a regular expression"},
        Rejected{R"(device.deviceModel -le "2020-01-01")", 20, "-le applies only to dates"},
        Rejected{R"(user.employeeHireDate -contains "2020")", 23, "a date; use -eq, -ne"},
        Rejected{R"(user.employeeHireDate -ge "2020-13-01")", 27, "expected a date such as"},
        Rejected{"user.employeeHireDate -ge system.now", 27, "expected a date such as"},
        Rejected{R"(_ -eq "x")", 1, "_ stands for the current element"},
        Rejected{R"(group.objectId -eq "x")", 1, "group.objectId stands for the current element"},
        Rejected{R"(device.devicePhysicalIds -any (device.deviceModel -eq "x"))", 32,
                 "expected _ (an element of device.devicePhysicalIds), found"},
        Rejected{R"(device.devicePhysicalIds -any (group.objectId -eq "x"))", 32,
                 "group.objectId is valid only inside memberOf -any"},
        Rejected{R"(device.devicePhysicalIds -any _ -eq "a" -and _ -eq "b")", 46,
                 "_ stands for the current element"},
        Rejected{R"(device.devicePhysicalIds -any (_ -any (_ -eq "b")))", 34,
                 "-any applies only to collections"},
        Rejected{R"(device.deviceModel -any (_ -eq "x"))", 20,
                 "-any applies only to collections such as device.devicePhysicalIds"}));

TEST(RuleParserTest, LengthLimitIs3072Characters) {
  const std::string head = R"(device.deviceModel -eq ")";
  const auto rule_of = [&](size_t length, const std::string& filler) {
    std::string rule = head;
    while (rule.size() + 1 < length) rule += filler;
    return rule + "\"";
  };
  EXPECT_TRUE(ParseRule(rule_of(kMaxRuleLength, "x")));
  const Result<ParsedRule> too_long = ParseRule(rule_of(kMaxRuleLength + 1, "x"));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().field, "position 3073");
  EXPECT_EQ(too_long.error().message, "the rule is 3073 characters long; the limit is 3072");

  // Characters, not bytes: 3,072 characters of which most take two bytes.
  std::string accented = head;
  for (size_t i = head.size(); i + 1 < kMaxRuleLength; ++i) accented += "\xC3\xA9";
  accented += '"';
  EXPECT_GT(accented.size(), kMaxRuleLength);
  EXPECT_TRUE(ParseRule(accented));
}

TEST(RuleParserTest, NestingIsBounded) {
  const std::string rule = R"(device.deviceModel -eq "a")";
  EXPECT_TRUE(ParseRule(std::string(kMaxRuleDepth, '(') + rule + std::string(kMaxRuleDepth, ')')));
  const Result<ParsedRule> deep =
      ParseRule(std::string(kMaxRuleDepth + 1, '(') + rule + std::string(kMaxRuleDepth + 1, ')'));
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().field, "position 65");
  EXPECT_NE(deep.error().message.find("nests deeper than 64"), std::string::npos);

  std::string nots;
  for (size_t i = 0; i <= kMaxRuleDepth; ++i) nots += "-not ";
  EXPECT_FALSE(ParseRule(nots + rule));
}

TEST(RuleParserTest, TreeRecordsSlotsOperatorsAndValues) {
  const Result<ParsedRule> parsed = ParseRule(
      R"(device.deviceModel -eq "A" -and device.devicePhysicalIds -any (_ -in ["x", 'y']))");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->type, ObjectType::kDevice);
  const Expr& root = parsed->root;
  ASSERT_EQ(root.kind, Expr::Kind::kAnd);
  ASSERT_EQ(root.children.size(), 2u);
  EXPECT_EQ(root.children[0].kind, Expr::Kind::kCompare);
  EXPECT_EQ(root.children[0].slot, SlotOf(DeviceProperty::kDeviceModel));
  EXPECT_EQ(root.children[0].op, Operator::kEq);
  EXPECT_EQ(root.children[0].value.text, "A");
  const Expr& any = root.children[1];
  EXPECT_EQ(any.kind, Expr::Kind::kAny);
  EXPECT_EQ(any.slot, SlotOf(DeviceProperty::kDevicePhysicalIds));
  ASSERT_EQ(any.children.size(), 1u);
  EXPECT_TRUE(any.children[0].on_element);
  EXPECT_EQ(any.children[0].op, Operator::kIn);
  EXPECT_EQ(any.children[0].value.items, (std::vector<std::string>{"x", "y"}));
}

TEST(RuleParserTest, ErrorPositionReadsOnlyPositionFields) {
  EXPECT_EQ(ErrorPosition(MakeError(ErrorCode::kInvalidArgument, "m", "position 12")), 12u);
  EXPECT_EQ(ErrorPosition(MakeError(ErrorCode::kInvalidArgument, "m", "rule")), std::nullopt);
  EXPECT_EQ(ErrorPosition(MakeError(ErrorCode::kInvalidArgument, "m", "position ")), std::nullopt);
  EXPECT_EQ(ErrorPosition(MakeError(ErrorCode::kInvalidArgument, "m", "position 3x")),
            std::nullopt);
}

TEST(RuleParserTest, LongTokensAreShortenedInMessages) {
  const Result<ParsedRule> parsed =
      ParseRule("device.deviceModel " + std::string(100, 'q') + " \"x\"");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find(std::string(40, 'q') + "...\""), std::string::npos)
      << parsed.error().message;
}

}  // namespace
}  // namespace groundcrew::core::rules

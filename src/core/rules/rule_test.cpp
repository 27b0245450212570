#include "core/rules/rule.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/rules/date.hpp"
#include "core/rules/reference_interpreter.hpp"
#include "core/rules/subject.hpp"

namespace groundcrew::core::rules {
namespace {

DirectoryDevice SampleDevice() {
  DirectoryDevice d;
  d.id = DirectoryObjectId{"obj-1"};
  d.device_id = "dev-1";
  d.display_name = "LAPTOP-42";
  d.manufacturer = "Contoso";
  d.model = "Surface Laptop 5";
  d.operating_system = "Windows";
  d.operating_system_version = "10.0.22631.1";
  d.trust_type = TrustType::kAzureAd;
  d.device_ownership = "Company";
  d.device_physical_ids = {"[ZTDId]:abc", "[OrderID]:Sales", "[PurchaseOrderId]:76222342342"};
  d.enrollment_profile_name = "Autopilot Sales";
  d.management_type = "MDM";
  d.extension_attributes[0] = "Blue";
  d.extension_attributes[1] = "O'Brien \"x\"";
  return d;
}

User SampleUser() {
  User u;
  u.id = UserId{"user-1"};
  u.user_principal_name = "ada@contoso.com";
  u.display_name = "David";
  u.department = "Sales";
  u.city = "Lagos";
  u.employee_hire_date = "2021-03-15T09:00:00Z";
  u.proxy_addresses = {"SMTP:ada@contoso.com", "smtp:ada@fabrikam.com"};
  u.other_mails = {"ada@example.org"};
  return u;
}

const std::vector<std::string> kDeviceGroups = {"g-1", "g-2"};

struct Case {
  std::string rule;
  bool expected;
};

// Compiles `rule` and checks the compiled program against the expectation and the reference.
void ExpectOutcome(const Case& c, const Subject& subject) {
  const Result<CompiledRule> rule = CompileRule(c.rule);
  ASSERT_TRUE(rule) << c.rule << ": " << rule.error().message;
  EXPECT_EQ(rule->Matches(subject), c.expected) << c.rule;
  EXPECT_EQ(ReferenceMatches(rule->parsed(), subject), c.expected) << c.rule << " (reference)";
}

class RuleDeviceTest : public testing::TestWithParam<Case> {};

TEST_P(RuleDeviceTest, EvaluatesAgainstSampleDevice) {
  const DirectoryDevice device = SampleDevice();
  const DeviceAttributes attributes(device, kDeviceGroups);
  ExpectOutcome(GetParam(), attributes.subject());
}

INSTANTIATE_TEST_SUITE_P(
    Operators, RuleDeviceTest,
    testing::Values(Case{R"(device.deviceModel -eq "surface laptop 5")", true},
                    Case{R"(device.deviceModel -eq "Surface")", false},
                    Case{R"(device.deviceModel -ne "Surface")", true},
                    Case{R"(device.deviceModel -ne "SURFACE LAPTOP 5")", false},
                    Case{R"(device.deviceModel -startsWith "surface")", true},
                    Case{R"(device.deviceModel -startsWith "laptop")", false},
                    Case{R"(device.deviceModel -notStartsWith "laptop")", true},
                    Case{R"(device.deviceModel -notStartsWith "SURF")", false},
                    Case{R"(device.deviceModel -endsWith "LAPTOP 5")", true},
                    Case{R"(device.deviceModel -endsWith "surface")", false},
                    Case{R"(device.deviceModel -notEndsWith "surface")", true},
                    Case{R"(device.deviceModel -notEndsWith " 5")", false},
                    Case{R"(device.displayName -contains "top-4")", true},
                    Case{R"(device.displayName -contains "desk")", false},
                    Case{R"(device.displayName -notContains "desk")", true},
                    Case{R"(device.displayName -notContains "")", false},
                    // -match is a partial, case-insensitive match.
                    Case{R"(device.deviceModel -match "laptop")", true},
                    Case{R"(device.deviceModel -match "^laptop")", false},
                    Case{R"(device.deviceModel -match "^SURFACE.*\d$")", true},
                    Case{R"(device.deviceModel -notMatch "^laptop")", true},
                    Case{R"(device.deviceModel -notMatch "Lap")", false},
                    Case{R"(device.deviceManufacturer -in ["Fabrikam", "CONTOSO"])", true},
                    Case{R"(device.deviceManufacturer -in ["Fabrikam", "Contoso Ltd"])", false},
                    Case{R"(device.deviceManufacturer -notIn ["Fabrikam"])", true},
                    Case{R"(device.deviceManufacturer -notIn ["contoso"])", false},
                    Case{"device.accountEnabled -eq true", true},
                    Case{"device.accountEnabled -eq false", false},
                    Case{"device.accountEnabled -ne false", true},
                    Case{R"(device.deviceTrustType -eq "azuread")", true},
                    Case{R"(device.deviceOSType -eq "Windows")", true},
                    Case{R"(device.deviceOSVersion -startsWith "10.0.2")", true},
                    Case{R"(device.deviceOwnership -eq "Company")", true},
                    Case{R"(device.enrollmentProfileName -eq "autopilot sales")", true},
                    Case{R"(device.managementType -eq "MDM")", true},
                    Case{R"(device.deviceId -eq "DEV-1")", true},
                    Case{R"(device.extensionAttribute1 -eq "blue")", true},
                    Case{"device.extensionAttribute2 -eq \"o''brien `\"X`\"\"", true}));

INSTANTIATE_TEST_SUITE_P(Null, RuleDeviceTest,
                         testing::Values(Case{"device.objectId -ne null", true},
                                         Case{"device.objectId -eq null", false},
                                         Case{"device.deviceCategory -eq null", true},
                                         Case{"device.deviceCategory -ne null", false},
                                         Case{R"(device.deviceCategory -eq "x")", false},
                                         Case{R"(device.deviceCategory -ne "x")", true},
                                         Case{R"(device.deviceCategory -startsWith "")", false},
                                         Case{R"(device.deviceCategory -notStartsWith "a")", true},
                                         Case{R"(device.deviceCategory -contains "")", false},
                                         Case{R"(device.deviceCategory -match ".*")", false},
                                         Case{R"(device.deviceCategory -notMatch ".*")", true},
                                         Case{R"(device.deviceCategory -in ["a"])", false},
                                         Case{R"(device.deviceCategory -notIn ["a"])", true},
                                         Case{"device.isRooted -eq null", true},
                                         Case{"device.isRooted -eq true", false},
                                         Case{"device.isRooted -eq false", false},
                                         Case{"device.isRooted -ne true", true},
                                         Case{"device.systemLabels -any (_ -ne null)", false},
                                         Case{R"(device.systemLabels -all (_ -eq "x"))", true}));

INSTANTIATE_TEST_SUITE_P(
    Collections, RuleDeviceTest,
    testing::Values(
        Case{R"((device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]")))", true},
        Case{R"((device.devicePhysicalIds -any (_ -eq "[OrderID]:sales")))", true},
        Case{R"((device.devicePhysicalIds -any (_ -eq "[OrderID]:179887111881")))", false},
        Case{R"((device.devicePhysicalIds -any (_ -eq "[PurchaseOrderId]:76222342342")))", true},
        Case{R"(device.devicePhysicalIds -any _ -eq "[OrderID]:Sales")", true},
        Case{R"(device.devicePhysicalIds -all (_ -startsWith "["))", true},
        Case{R"(device.devicePhysicalIds -all (_ -startsWith "[Z"))", false},
        Case{R"(device.devicePhysicalIds -any (_ -match "^\[orderid\]:s"))", true},
        Case{R"(device.devicePhysicalIds -any (_ -startsWith "[OrderID]" -and _ -endsWith "es"))",
             true},
        Case{R"(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]" -and _ -endsWith "es"))",
             false},
        Case{R"(device.devicePhysicalIds -all (-not _ -contains "Marketing"))", true},
        Case{R"(device.memberOf -any (group.objectId -in ['G-1']))", true},
        Case{R"(device.memberOf -any (group.objectId -in ['g-3', 'g-4']))", false},
        Case{R"(device.memberOf -any (_ -eq "g-2"))", true}));

INSTANTIATE_TEST_SUITE_P(
    Precedence, RuleDeviceTest,
    testing::Values(
        // -and before -or: x -or (model -and manufacturer).
        Case{R"(device.deviceModel -eq "x" -or device.deviceModel -eq "surface laptop 5" -and )"
             R"(device.deviceManufacturer -eq "contoso")",
             true},
        Case{R"(device.deviceModel -eq "x" -or device.deviceModel -eq "surface laptop 5" -and )"
             R"(device.deviceManufacturer -eq "fabrikam")",
             false},
        Case{R"(device.deviceModel -eq "surface laptop 5" -or device.deviceModel -eq "x" -and )"
             R"(device.deviceManufacturer -eq "fabrikam")",
             true},
        // Parentheses override.
        Case{R"((device.deviceModel -eq "surface laptop 5" -or device.deviceModel -eq "x") -and )"
             R"(device.deviceManufacturer -eq "fabrikam")",
             false},
        // -not before -and, after comparisons.
        Case{R"(-not device.deviceModel -eq "x" -and device.accountEnabled -eq true)", true},
        Case{R"(-not device.deviceModel -eq "x" -and device.accountEnabled -eq false)", false},
        Case{R"(-not (device.deviceModel -eq "x" -or device.accountEnabled -eq true))", false},
        Case{R"(-not -not device.accountEnabled -eq true)", true},
        // An unparenthesized -any body stops before -and.
        Case{R"(device.devicePhysicalIds -any _ -eq "[OrderID]:Sales" -and )"
             R"(device.deviceModel -eq "x")",
             false},
        Case{R"(device.devicePhysicalIds -any _ -eq "[OrderID]:Sales" -or )"
             R"(device.deviceModel -eq "x")",
             true}));

class RuleUserTest : public testing::TestWithParam<Case> {};

TEST_P(RuleUserTest, EvaluatesAgainstSampleUser) {
  const User user = SampleUser();
  const std::vector<std::string> groups = {"staff"};
  const UserAttributes attributes(user, groups);
  ExpectOutcome(GetParam(), attributes.subject());
}

INSTANTIATE_TEST_SUITE_P(
    Documented, RuleUserTest,
    testing::Values(
        Case{R"(user.department -eq "Sales")", true},
        Case{R"((user.department -eq "Sales") -or (user.department -eq "Marketing"))", true},
        Case{R"((user.department -eq "Sales") -and -not (user.jobTitle -startsWith "SDE"))", true},
        Case{R"(user.displayName -match "^Da.*")", true},
        Case{R"(user.displayName -match ".*vid")", true}, Case{R"(user.city -match "ago")", true},
        Case{R"(user.city -match ".*?ago.*")", true}, Case{R"(user.city -startswith "Lag")", true},
        Case{R"((user.proxyAddresses -any (_ -startsWith "contoso")))", false},
        Case{R"((user.proxyAddresses -any (_ -endsWith "@FABRIKAM.com")))", true},
        Case{R"(user.otherMails -any (_ -eq "ADA@example.org"))", true},
        Case{"user.objectId -ne null", true},
        Case{R"((user.objectId -ne null) -and (user.userType -eq "Member"))", true},
        Case{"user.mail -ne null", false},
        Case{R"(user.memberOf -any (group.objectId -in ['staff']))", true},
        Case{R"(user.employeeHireDate -ge "2021-01-01")", true},
        Case{"user.employeeHireDate -le 2021-03-15T09:00:00Z", true},
        Case{R"(user.employeeHireDate -ge "2021-03-15T09:00:01Z")", false},
        Case{R"(user.employeeHireDate -le "2021-03-15T08:59:59.999Z")", false},
        Case{R"(user.employeeHireDate -eq "2021-03-15T10:00:00+01:00")", true},
        Case{R"(user.employeeHireDate -ne "2021-03-15T10:00:00+01:00")", false},
        Case{"user.employeeHireDate -ne null", true}));

TEST(RuleTest, DeviceRulesNeverMatchUsersAndViceVersa) {
  const User user = SampleUser();
  const UserAttributes user_attributes(user, {});
  const DirectoryDevice device = SampleDevice();
  const DeviceAttributes device_attributes(device, {});
  const Result<CompiledRule> device_rule = CompileRule("device.objectId -ne null");
  const Result<CompiledRule> user_rule = CompileRule("user.objectId -ne null");
  ASSERT_TRUE(device_rule && user_rule);
  EXPECT_EQ(device_rule->object_type(), ObjectType::kDevice);
  EXPECT_EQ(user_rule->object_type(), ObjectType::kUser);
  EXPECT_TRUE(device_rule->Matches(device_attributes.subject()));
  EXPECT_FALSE(device_rule->Matches(user_attributes.subject()));
  EXPECT_TRUE(user_rule->Matches(user_attributes.subject()));
  EXPECT_FALSE(user_rule->Matches(device_attributes.subject()));
}

TEST(RuleTest, HireDatesThatAreNotDatesAreNull) {
  User user = SampleUser();
  user.employee_hire_date = "soon";
  const UserAttributes attributes(user, {});
  for (const Case& c : {Case{"user.employeeHireDate -eq null", true},
                        Case{R"(user.employeeHireDate -le "2100-01-01")", false},
                        Case{R"(user.employeeHireDate -ne "2100-01-01")", true}}) {
    ExpectOutcome(c, attributes.subject());
  }
}

TEST(RuleTest, ReferencedSlotsListWhatTheRuleReads) {
  const Result<CompiledRule> rule = CompileRule(
      R"(device.deviceModel -eq "a" -or (device.devicePhysicalIds -any (_ -eq "b")) -or )"
      R"(device.extensionAttribute15 -ne null)");
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->referenced_slots(),
            (SlotMask{1} << SlotOf(DeviceProperty::kDeviceModel)) |
                (SlotMask{1} << SlotOf(DeviceProperty::kDevicePhysicalIds)) |
                (SlotMask{1} << DeviceExtensionSlot(15)));
}

TEST(RuleTest, ToStringIsCanonicalAndCompilesToTheSameRule) {
  const Result<CompiledRule> rule =
      CompileRule(R"((device.devicePhysicalIDs -any _ -startsWith "[ZTDid]") AND )"
                  R"(device.deviceModel NOTIN ['A'])");
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->ToString(), R"((device.devicePhysicalIds -any (_ -startsWith "[ZTDid]")) )"
                              R"(-and device.deviceModel -notIn ["A"])");
  const Result<CompiledRule> again = CompileRule(rule->ToString());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->parsed(), rule->parsed());
}

TEST(RuleTest, CompileErrorsArePositioned) {
  const Result<CompiledRule> rule = CompileRule(R"(device.deviceModel -match "[a-")");
  ASSERT_FALSE(rule);
  EXPECT_EQ(rule.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(rule.error().field, "position 27");
}

TEST(RuleTest, CompiledRulesCopyAndMoveSafely) {
  Result<CompiledRule> rule =
      CompileRule(R"(device.deviceModel -in ["a", "b"] -and device.deviceModel -match "A")");
  ASSERT_TRUE(rule);
  DirectoryDevice device = SampleDevice();
  device.model = "A";
  const DeviceAttributes attributes(device, {});
  const CompiledRule copy = *rule;
  const CompiledRule moved = std::move(*rule);
  EXPECT_TRUE(copy.Matches(attributes.subject()));
  EXPECT_TRUE(moved.Matches(attributes.subject()));
}

TEST(SubjectTest, DeviceAttributesBindTheDirectoryDevice) {
  DirectoryDevice device = SampleDevice();
  device.trust_type = TrustType::kServerAd;
  const DeviceAttributes attributes(device, kDeviceGroups);
  const Subject subject = attributes.subject();
  ASSERT_EQ(subject.values.size(), kDevicePropertyCount);
  using K = AttributeValue::Kind;
  const auto& at = [&](DeviceProperty p) { return subject.values[SlotOf(p)]; };
  EXPECT_EQ(at(DeviceProperty::kDeviceTrustType).text, "ServerAD");
  EXPECT_EQ(at(DeviceProperty::kObjectId).text, "obj-1");
  EXPECT_EQ(at(DeviceProperty::kDeviceOsType).text, "Windows");
  EXPECT_EQ(at(DeviceProperty::kDeviceOsVersion).text, "10.0.22631.1");
  EXPECT_EQ(at(DeviceProperty::kDeviceManufacturer).text, "Contoso");
  EXPECT_EQ(at(DeviceProperty::kDeviceModel).text, "Surface Laptop 5");
  EXPECT_EQ(at(DeviceProperty::kDeviceCategory).kind, K::kNull);  // empty binds as null
  EXPECT_EQ(at(DeviceProperty::kIsRooted).kind, K::kNull);
  EXPECT_EQ(at(DeviceProperty::kAccountEnabled).kind, K::kBool);
  EXPECT_TRUE(at(DeviceProperty::kAccountEnabled).flag);
  EXPECT_EQ(at(DeviceProperty::kDevicePhysicalIds).items.size(), 3u);
  EXPECT_EQ(at(DeviceProperty::kMemberOf).items.data(), kDeviceGroups.data());  // not copied
  EXPECT_EQ(at(DeviceProperty::kDeviceModel).text.data(), device.model.data());
  EXPECT_EQ(subject.values[DeviceExtensionSlot(1)].text, "Blue");

  EXPECT_EQ(DeviceTrustTypeName(TrustType::kAzureAd), "AzureAD");
  EXPECT_EQ(DeviceTrustTypeName(TrustType::kWorkplace), "Workplace");
  EXPECT_EQ(DeviceTrustTypeName(TrustType::kNone), "");
}

TEST(SubjectTest, UserAttributesBindTheUser) {
  const User user = SampleUser();
  const UserAttributes attributes(user, {});
  const Subject subject = attributes.subject();
  ASSERT_EQ(subject.values.size(), kUserPropertyCount);
  EXPECT_EQ(subject.type, ObjectType::kUser);
  EXPECT_EQ(subject.values[SlotOf(UserProperty::kUserPrincipalName)].text, "ada@contoso.com");
  EXPECT_EQ(subject.values[SlotOf(UserProperty::kUserType)].text, "Member");
  EXPECT_EQ(subject.values[SlotOf(UserProperty::kMail)].kind, AttributeValue::Kind::kNull);
  EXPECT_EQ(subject.values[SlotOf(UserProperty::kProxyAddresses)].items.size(), 2u);
  EXPECT_EQ(subject.values[SlotOf(UserProperty::kMemberOf)].kind,
            AttributeValue::Kind::kStringList);
}

TEST(RuleDateTest, ParsesIso8601DatesAndTimes) {
  EXPECT_EQ(ParseRuleDate("1970-01-01"), 0);
  EXPECT_EQ(ParseRuleDate("1970-01-02T00:00:01Z"), 86'401);
  EXPECT_EQ(ParseRuleDate("2020-06-10T18:13:20Z"), 1'591'812'800);
  EXPECT_EQ(ParseRuleDate("2020-06-10T18:13:20.125Z"), 1'591'812'800);
  EXPECT_EQ(ParseRuleDate("2020-06-10T20:13:20+02:00"), 1'591'812'800);
  EXPECT_EQ(ParseRuleDate("2020-06-10T16:13:20-0200"), 1'591'812'800);
  EXPECT_EQ(ParseRuleDate("2020-06-10 18:13"), 1'591'812'780);
  EXPECT_EQ(ParseRuleDate("2024-02-29"), 1'709'164'800);
  for (const char* bad : {"", "2020", "2020-6-10", "2023-02-29", "2020-13-01", "2020-06-10T24:00",
                          "2020-06-10T18:60", "2020-06-10T18:13:20Q", "2020-06-10T18:13:20+2",
                          "2020-06-10T18:13:20.Z", "2020-06-10x", "system.now"}) {
    EXPECT_EQ(ParseRuleDate(bad), std::nullopt) << bad;
  }
}

TEST(PropertiesTest, NamesMatchWhateverTheirCase) {
  ASSERT_NE(FindProperty(ObjectType::kDevice, "devicePhysicalIDs"), nullptr);
  EXPECT_EQ(FindProperty(ObjectType::kDevice, "DEVICEPHYSICALIDS")->slot,
            SlotOf(DeviceProperty::kDevicePhysicalIds));
  EXPECT_EQ(FindProperty(ObjectType::kDevice, "devicephysicalids")->type, ValueType::kStringList);
  EXPECT_EQ(FindProperty(ObjectType::kUser, "employeehiredate")->type, ValueType::kDate);
  EXPECT_EQ(FindProperty(ObjectType::kUser, "EXTENSIONATTRIBUTE7")->slot, UserExtensionSlot(7));
  EXPECT_EQ(FindProperty(ObjectType::kUser, "deviceModel"), nullptr);
  EXPECT_EQ(FindProperty(ObjectType::kDevice, "department"), nullptr);
  for (const ObjectType type : {ObjectType::kDevice, ObjectType::kUser}) {
    const auto properties = PropertiesOf(type);
    ASSERT_EQ(properties.size(), PropertyCount(type));
    for (size_t i = 0; i < properties.size(); ++i) EXPECT_EQ(properties[i].slot, i);
  }
}

}  // namespace
}  // namespace groundcrew::core::rules

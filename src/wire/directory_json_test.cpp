#include <gtest/gtest.h>

#include <chrono>

#include "wire/model_json.hpp"
#include "wire/wire_test_util.hpp"

namespace groundcrew::wire {
namespace {

using testing::ExpectDecodeError;
using testing::ExpectRoundTrip;
using testing::Json;

core::TenantSettings SampleSettings() {
  core::TenantSettings s;
  s.id = core::TenantId("tenant-1");
  s.organization_name = "Contoso";
  s.domain = "contoso.com";
  s.additional_domains = {"contoso.net", "fabrikam.com"};
  s.mdm_user_scope = core::MdmUserScope::kSome;
  s.mdm_user_scope_groups = {core::GroupId("g-1"), core::GroupId("g-2")};
  s.device_join_scope = core::DeviceJoinScope::kSelected;
  s.device_join_users = {core::UserId("u-1")};
  s.device_join_groups = {core::GroupId("g-3")};
  s.device_join_limit = 7;
  s.mfa_requirement = core::MfaRequirement::kSelectedGroups;
  s.mfa_groups = {core::GroupId("g-4"), core::GroupId("g-5")};
  return s;
}

core::User SampleUser() {
  core::User u;
  u.id = core::UserId("u-1");
  u.user_principal_name = "adele@contoso.com";
  u.display_name = "Adele Vance";
  u.account_enabled = false;
  u.licensed = false;
  u.given_name = "Adele";
  u.surname = "Vance";
  u.mail = "adele@contoso.com";
  u.mail_nickname = "adele";
  u.department = "Sales";
  u.job_title = "Manager";
  u.company_name = "Contoso";
  u.city = "Seattle";
  u.state = "WA";
  u.country = "US";
  u.usage_location = "US";
  u.employee_id = "E1";
  u.user_type = "Guest";
  u.employee_hire_date = "2020-01-01T00:00:00Z";
  u.other_mails = {"a@example.com"};
  u.proxy_addresses = {"SMTP:adele@contoso.com", "smtp:av@contoso.com"};
  u.extension_attributes[0] = "first";
  u.extension_attributes[14] = "last";
  u.created_date_time = core::Timestamp{std::chrono::seconds{1'700'000'000}};
  return u;
}

core::Group SampleGroup() {
  core::Group g;
  g.id = core::GroupId("g-1");
  g.display_name = "Sales devices";
  g.description = "All devices of Sales";
  g.membership_kind = core::MembershipKind::kDynamic;
  g.membership_rule = R"((device.devicePhysicalIds -any (_ -startsWith "[OrderID]:Sales")))";
  g.rule_processing_paused = true;
  g.members = {"d-1", "u-2"};
  return g;
}

TEST(DirectoryJsonTest, TenantSettingsRoundTrip) {
  const core::TenantSettings original = SampleSettings();
  const core::TenantSettings decoded = ExpectRoundTrip(original);
  EXPECT_EQ(decoded.organization_name, "Contoso");
  EXPECT_EQ(decoded.mdm_user_scope, core::MdmUserScope::kSome);
  EXPECT_EQ(decoded.mdm_user_scope_groups, original.mdm_user_scope_groups);
  EXPECT_EQ(decoded.device_join_scope, core::DeviceJoinScope::kSelected);
  EXPECT_EQ(decoded.device_join_users, original.device_join_users);
  EXPECT_EQ(decoded.device_join_groups, original.device_join_groups);
  EXPECT_EQ(decoded.device_join_limit, 7);
  EXPECT_EQ(decoded.mfa_requirement, core::MfaRequirement::kSelectedGroups);
  EXPECT_EQ(decoded.mfa_groups, original.mfa_groups);
  EXPECT_TRUE(decoded.id.empty()) << "id is server-owned";

  const boost::json::object o = Encode(original);
  EXPECT_EQ(o.at("mdmUserScope"), "some");
  EXPECT_EQ(o.at("deviceJoinScope"), "selected");
  EXPECT_EQ(o.at("mdmUserScopeGroupIds"), Json(R"(["g-1","g-2"])"));
  EXPECT_EQ(o.at("additionalDomains"), Json(R"(["contoso.net","fabrikam.com"])"));
  EXPECT_EQ(o.at("deviceJoinLimit"), 7);
  EXPECT_EQ(o.at("mfaRequirement"), "selectedGroups");
  EXPECT_EQ(o.at("mfaGroupIds"), Json(R"(["g-4","g-5"])"));
}

TEST(DirectoryJsonTest, TenantSettingsMfaDefaultsAndSpellings) {
  const boost::json::object defaults = Encode(core::TenantSettings{});
  EXPECT_EQ(defaults.at("mfaRequirement"), "allUsers") << "encoded even when left at default";
  EXPECT_EQ(defaults.at("mfaGroupIds"), Json("[]"));

  core::TenantSettings s = SampleSettings();
  ASSERT_TRUE(Decode(Json(R"({"organizationName": "Fabrikam"})"), s).has_value());
  EXPECT_EQ(s.mfa_requirement, core::MfaRequirement::kSelectedGroups) << "absent: unchanged";
  EXPECT_EQ(s.mfa_groups, SampleSettings().mfa_groups);

  ASSERT_TRUE(Decode(Json(R"({"mfaRequirement": "none", "mfaGroupIds": []})"), s).has_value());
  EXPECT_EQ(s.mfa_requirement, core::MfaRequirement::kNone);
  EXPECT_TRUE(s.mfa_groups.empty());
  ASSERT_TRUE(Decode(Json(R"({"mfaRequirement": "allUsers"})"), s).has_value());
  EXPECT_EQ(s.mfa_requirement, core::MfaRequirement::kAllUsers);
}

TEST(DirectoryJsonTest, TenantSettingsRangesAndEnums) {
  core::TenantSettings s;
  EXPECT_EQ(ExpectDecodeError(R"({"deviceJoinLimit": 0})", s, "deviceJoinLimit"),
            "deviceJoinLimit: must be between 1 and 1000, found 0");
  ExpectDecodeError(R"({"deviceJoinLimit": 1001})", s, "deviceJoinLimit");
  EXPECT_EQ(ExpectDecodeError(R"({"mdmUserScope": "All"})", s, "mdmUserScope"),
            R"(mdmUserScope: expected one of "none", "some", "all", found "All")");
  ExpectDecodeError(R"({"deviceJoinGroupIds": ["g", ""]})", s, "deviceJoinGroupIds[1]");
  ExpectDecodeError(R"({"deviceJoinUserIds": "u-1"})", s, "deviceJoinUserIds");
  EXPECT_EQ(ExpectDecodeError(R"({"mfaRequirement": "all"})", s, "mfaRequirement"),
            R"(mfaRequirement: expected one of "allUsers", "selectedGroups", "none", found "all")");
  ExpectDecodeError(R"({"mfaRequirement": true})", s, "mfaRequirement");
  ExpectDecodeError(R"({"mfaGroupIds": ["g", 7]})", s, "mfaGroupIds[1]");
  ExpectDecodeError(R"({"mfaGroupIds": "g"})", s, "mfaGroupIds");
  EXPECT_EQ(s.mfa_requirement, core::MfaRequirement::kAllUsers)
      << "a failed decode changes nothing";
  EXPECT_EQ(s.device_join_limit, 50) << "a failed decode changes nothing";
}

TEST(DirectoryJsonTest, UserRoundTripIncludingExtensionAttributes) {
  const core::User original = SampleUser();
  const core::User decoded = ExpectRoundTrip(original);
  EXPECT_EQ(decoded.user_principal_name, original.user_principal_name);
  EXPECT_EQ(decoded.display_name, original.display_name);
  EXPECT_FALSE(decoded.account_enabled);
  EXPECT_FALSE(decoded.licensed);
  EXPECT_EQ(decoded.user_type, "Guest");
  EXPECT_EQ(decoded.proxy_addresses, original.proxy_addresses);
  EXPECT_EQ(decoded.extension_attributes, original.extension_attributes);

  const boost::json::object o = Encode(original);
  EXPECT_EQ(o.at("onPremisesExtensionAttributes"),
            Json(R"({"extensionAttribute1": "first", "extensionAttribute15": "last"})"))
      << "only non-empty attributes are emitted";
  EXPECT_EQ(o.at("createdDateTime"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(o.at("accountEnabled"), false);
}

TEST(DirectoryJsonTest, UserPatchAppliesOnlyPresentFields) {
  core::User stored = SampleUser();
  const Status status = Decode(Json(R"({"department": "Marketing", "accountEnabled": true,
      "onPremisesExtensionAttributes": {"extensionAttribute1": null,
                                        "extensionAttribute2": "x"}})"),
                               stored);
  ASSERT_TRUE(status.has_value()) << status.error().message;
  EXPECT_EQ(stored.department, "Marketing");
  EXPECT_TRUE(stored.account_enabled);
  EXPECT_EQ(stored.extension_attributes[0], "") << "null clears";
  EXPECT_EQ(stored.extension_attributes[1], "x");
  EXPECT_EQ(stored.extension_attributes[14], "last") << "absent attribute kept";
  // Everything else is as it was.
  core::User expected = SampleUser();
  expected.department = "Marketing";
  expected.account_enabled = true;
  expected.extension_attributes[0] = "";
  expected.extension_attributes[1] = "x";
  EXPECT_EQ(Encode(stored), Encode(expected));
}

TEST(DirectoryJsonTest, UserRequiresUserPrincipalNameAndRejectsStrangers) {
  core::User fresh;
  EXPECT_EQ(ExpectDecodeError(R"({"displayName": "No UPN"})", fresh, "userPrincipalName"),
            "userPrincipalName: must not be empty");
  EXPECT_EQ(fresh.display_name, "") << "failed decode leaves the target alone";

  core::User stored = SampleUser();
  ExpectDecodeError(R"({"userPrincipalName": ""})", stored, "userPrincipalName");
  EXPECT_EQ(ExpectDecodeError(R"({"colour": "blue"})", stored, "colour"),
            R"(unknown field "colour")");
  EXPECT_EQ(ExpectDecodeError(R"({"displayName": 5})", stored, "displayName"),
            "displayName: expected a string, found a number");
  EXPECT_EQ(ExpectDecodeError(R"({"accountEnabled": "yes"})", stored, "accountEnabled"),
            "accountEnabled: expected true or false, found a string");
  ExpectDecodeError(R"({"otherMails": ["a", 1]})", stored, "otherMails[1]");
  ExpectDecodeError(R"({"displayName": null})", stored, "displayName");
  EXPECT_EQ(ExpectDecodeError(R"({"onPremisesExtensionAttributes": {"extensionAttribute16": "x"}})",
                              stored, "onPremisesExtensionAttributes.extensionAttribute16"),
            R"(unknown field "onPremisesExtensionAttributes.extensionAttribute16")");
  ExpectDecodeError(R"({"onPremisesExtensionAttributes": []})", stored,
                    "onPremisesExtensionAttributes");
  EXPECT_EQ(Encode(stored), Encode(SampleUser())) << "failed decodes changed the user";
}

TEST(DirectoryJsonTest, TopLevelMustBeAnObject) {
  core::User user;
  for (const char* text : {"[]", "null", "\"x\"", "3"}) {
    const Status status = Decode(Json(text), user);
    ASSERT_FALSE(status.has_value()) << text;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(status.error().message.find("expected an object"), std::string::npos);
  }
}

TEST(DirectoryJsonTest, ServerOwnedFieldsAreIgnored) {
  core::Group stored = SampleGroup();
  const Status status = Decode(Json(R"({"id": "other", "createdDateTime": "garbage",
      "lastModifiedDateTime": 5, "version": 99, "@odata.type": "#microsoft.graph.group",
      "description": "changed"})"),
                               stored);
  ASSERT_TRUE(status.has_value()) << status.error().message;
  EXPECT_EQ(stored.id.value(), "g-1");
  EXPECT_EQ(stored.created_date_time, core::Timestamp{});
  EXPECT_EQ(stored.description, "changed");
}

TEST(DirectoryJsonTest, GroupRoundTripAndSpellings) {
  const core::Group original = SampleGroup();
  const core::Group decoded = ExpectRoundTrip(original);
  EXPECT_EQ(decoded.membership_kind, core::MembershipKind::kDynamic);
  EXPECT_EQ(decoded.membership_rule, original.membership_rule);
  EXPECT_TRUE(decoded.rule_processing_paused);
  EXPECT_EQ(decoded.members, original.members);

  const boost::json::object o = Encode(original);
  EXPECT_EQ(o.at("membershipKind"), "dynamic");
  EXPECT_EQ(o.at("membershipRuleProcessingState"), "Paused");
  EXPECT_EQ(Encode(core::Group{}).at("membershipRuleProcessingState"), "On");
  EXPECT_EQ(Encode(core::Group{}).at("membershipKind"), "assigned");

  core::Group g = original;
  EXPECT_EQ(ExpectDecodeError(R"({"membershipRuleProcessingState": "paused"})", g,
                              "membershipRuleProcessingState"),
            R"(membershipRuleProcessingState: expected one of "On", "Paused", found "paused")");
  ExpectDecodeError(R"({"membershipKind": 1})", g, "membershipKind");
  ExpectDecodeError(R"({"displayName": ""})", g, "displayName");
  ExpectDecodeError(R"({"members": ["", "x"]})", g, "members[0]");
  core::Group fresh;
  ExpectDecodeError(R"({"description": "nameless"})", fresh, "displayName");
}

}  // namespace
}  // namespace groundcrew::wire

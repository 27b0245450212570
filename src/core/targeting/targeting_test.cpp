#include "core/targeting/targeting.hpp"

#include <gtest/gtest.h>

#include "core/targeting/eligibility.hpp"

namespace groundcrew::core {
namespace {

Timestamp At(int day) { return Timestamp{std::chrono::hours{24 * day}}; }

Group Dynamic(const char* id, const char* rule) {
  Group g;
  g.id = GroupId{id};
  g.display_name = id;
  g.membership_kind = MembershipKind::kDynamic;
  g.membership_rule = rule;
  return g;
}

Group Assigned(const char* id, std::vector<std::string> members) {
  Group g;
  g.id = GroupId{id};
  g.display_name = id;
  g.members = std::move(members);
  return g;
}

AssignmentTarget Include(const char* group) { return {TargetKind::kGroup, GroupId{group}}; }
AssignmentTarget Exclude(const char* group) {
  return {TargetKind::kExclusionGroup, GroupId{group}};
}

Assignment AssignApp(const char* app, AssignmentTarget target,
                     InstallIntent intent = InstallIntent::kRequired) {
  return Assignment{AssignmentId{}, PayloadKind::kApp, app, target, intent};
}

App MakeApp(const char* id) {
  App app;
  app.id = AppId{id};
  app.display_name = id;
  return app;
}

DirectoryDevice Device(const char* id, std::vector<std::string> physical_ids,
                       const char* model = "Laptop 7") {
  DirectoryDevice d;
  d.id = DirectoryObjectId{id};
  d.device_physical_ids = std::move(physical_ids);
  d.model = model;
  return d;
}

class TargetingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Tenant t;
    t.settings.organization_name = "Contoso";
    t.groups = {
        Dynamic("all-autopilot", R"((device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]")))"),
        Dynamic("sales", R"((device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales")))"),
        Dynamic("laptop8", R"(device.deviceModel -eq "Laptop 8")"),
        Assigned("pilot-devices", {"dev-2"}),
        Assigned("finance-users", {"user-1"}),
    };
    t.apps = {MakeApp("a-vpn"), MakeApp("a-office"), MakeApp("a-beta"), MakeApp("a-crm")};
    t.assignments = {
        AssignApp("a-vpn", {TargetKind::kAllDevices, {}}),
        AssignApp("a-office", Include("all-autopilot")),
        AssignApp("a-office", Exclude("pilot-devices")),
        AssignApp("a-beta", Include("pilot-devices"), InstallIntent::kAvailable),
        AssignApp("a-beta", Include("sales"), InstallIntent::kRequired),
        AssignApp("a-crm", Include("finance-users")),
    };
    User u;
    u.id = UserId{"user-1"};
    u.user_principal_name = "Adele@contoso.com";
    t.users = {u};

    DeploymentProfile old_profile, new_profile, fallback;
    old_profile.id = DeploymentProfileId{"dp-old"};
    old_profile.created_date_time = At(1);
    old_profile.assignments = {Include("sales")};
    new_profile.id = DeploymentProfileId{"dp-new"};
    new_profile.created_date_time = At(5);
    new_profile.assignments = {Include("all-autopilot")};
    fallback.id = DeploymentProfileId{"dp-default"};
    fallback.is_tenant_default = true;
    fallback.created_date_time = At(0);
    t.deployment_profiles = {new_profile, old_profile, fallback};

    EspProfile esp_default, esp_devices, esp_users, esp_sales;
    esp_default.id = EspProfileId{"esp-default"};
    esp_default.is_default = true;
    esp_devices.id = EspProfileId{"esp-devices"};
    esp_devices.priority = 2;
    esp_devices.assignments = {Include("all-autopilot")};
    esp_sales.id = EspProfileId{"esp-sales"};
    esp_sales.priority = 1;
    esp_sales.assignments = {Include("sales")};
    esp_users.id = EspProfileId{"esp-users"};
    esp_users.priority = 1;
    esp_users.assignments = {Include("finance-users")};
    t.esp_profiles = {esp_default, esp_devices, esp_users, esp_sales};

    auto built = TargetingIndex::Build(std::move(t));
    ASSERT_TRUE(built.has_value()) << built.error().message << " " << built.error().field;
    index_ = *built;
  }

  std::vector<std::string> GroupNames(const GroupSet& set) const {
    std::vector<std::string> names;
    for (uint32_t g : set) names.push_back(index_->tenant().groups[g].id.value());
    return names;
  }

  std::vector<std::string> Apps(const std::vector<Targeted>& targeted,
                                InstallIntent intent = InstallIntent::kRequired) const {
    std::vector<std::string> ids;
    for (const Targeted& t : targeted) {
      if (t.kind == PayloadKind::kApp && t.intent == intent) {
        ids.push_back(index_->tenant().apps[t.index].id.value());
      }
    }
    return ids;
  }

  std::shared_ptr<const TargetingIndex> index_;
};

TEST_F(TargetingTest, DeviceGroupsCombineRulesAndAssignedMembership) {
  auto tagged = Device("dev-1", {"[ZTDId]:z1", "[OrderID]:sales"});
  EXPECT_EQ(GroupNames(index_->DeviceGroups(tagged)),
            (std::vector<std::string>{"all-autopilot", "sales"}));

  auto pilot = Device("dev-2", {"[ZTDId]:z2"}, "Laptop 8");
  EXPECT_EQ(GroupNames(index_->DeviceGroups(pilot)),
            (std::vector<std::string>{"all-autopilot", "laptop8", "pilot-devices"}));

  auto unregistered = Device("dev-3", {});
  EXPECT_TRUE(index_->DeviceGroups(unregistered).empty());
}

TEST_F(TargetingTest, ExclusionsWinAndRequiredBeatsAvailable) {
  auto pilot = Device("dev-2", {"[ZTDId]:z2", "[OrderID]:Sales"});
  auto groups = index_->DeviceGroups(pilot);
  auto targeted = index_->Resolve(groups, nullptr);
  // a-office is excluded through pilot-devices; a-beta is both available and required.
  EXPECT_EQ(Apps(targeted), (std::vector<std::string>{"a-vpn", "a-beta"}));
  EXPECT_TRUE(Apps(targeted, InstallIntent::kAvailable).empty());
}

TEST_F(TargetingTest, UserTargetsApplyOnlyWithAUser) {
  auto device = Device("dev-1", {"[ZTDId]:z1"});
  auto groups = index_->DeviceGroups(device);
  EXPECT_EQ(Apps(index_->Resolve(groups, nullptr)),
            (std::vector<std::string>{"a-vpn", "a-office"}));

  auto user_groups = index_->UserGroups(index_->tenant().users[0]);
  auto targeted = index_->Resolve(groups, &user_groups);
  EXPECT_EQ(Apps(targeted), (std::vector<std::string>{"a-vpn", "a-office", "a-crm"}));
  EXPECT_EQ(targeted.back().via, TargetedVia::kUser);
}

TEST_F(TargetingTest, DeploymentProfileIsOldestTargetedElseDefault) {
  auto tagged = Device("dev-1", {"[ZTDId]:z1", "[OrderID]:Sales"});
  EXPECT_EQ(index_->DeploymentProfileFor(index_->DeviceGroups(tagged))->id.value(), "dp-old");
  auto plain = Device("dev-1", {"[ZTDId]:z1"});
  EXPECT_EQ(index_->DeploymentProfileFor(index_->DeviceGroups(plain))->id.value(), "dp-new");
  auto stranger = Device("dev-9", {});
  EXPECT_EQ(index_->DeploymentProfileFor(index_->DeviceGroups(stranger))->id.value(), "dp-default");
}

TEST_F(TargetingTest, EspProfileByPriorityDeviceBeforeUserElseDefault) {
  auto tagged = Device("dev-1", {"[ZTDId]:z1", "[OrderID]:Sales"});
  auto user_groups = index_->UserGroups(index_->tenant().users[0]);
  EXPECT_EQ(index_->EspProfileFor(index_->DeviceGroups(tagged), &user_groups)->id.value(),
            "esp-sales");
  auto plain = Device("dev-1", {"[ZTDId]:z1"});
  // A device-targeted priority 2 beats a user-targeted priority 1.
  EXPECT_EQ(index_->EspProfileFor(index_->DeviceGroups(plain), &user_groups)->id.value(),
            "esp-devices");
  auto stranger = Device("dev-9", {});
  EXPECT_EQ(index_->EspProfileFor(index_->DeviceGroups(stranger), &user_groups)->id.value(),
            "esp-users");
  // Technician flow: no user, so the user-targeted profile is never considered.
  EXPECT_EQ(index_->EspProfileFor(index_->DeviceGroups(stranger), nullptr)->id.value(),
            "esp-default");
}

TEST(TargetingBuildTest, RefusesBadRulesAndUnknownReferencesNamingTheField) {
  Tenant bad_rule;
  bad_rule.groups = {Dynamic("g", R"(device.deviceModel -equals "x")")};
  auto built = TargetingIndex::Build(bad_rule);
  ASSERT_FALSE(built.has_value());
  EXPECT_NE(built.error().field.find("groups[g].membershipRule"), std::string::npos);

  Tenant unknown_group;
  unknown_group.apps = {MakeApp("a")};
  unknown_group.assignments = {AssignApp("a", Include("nope"))};
  built = TargetingIndex::Build(unknown_group);
  ASSERT_FALSE(built.has_value());
  EXPECT_EQ(built.error().field, "assignments[0].target.groupId");

  Tenant unknown_app;
  unknown_app.assignments = {AssignApp("ghost", {TargetKind::kAllDevices, {}})};
  built = TargetingIndex::Build(unknown_app);
  ASSERT_FALSE(built.has_value());
  EXPECT_EQ(built.error().field, "assignments[0].payloadId");
}

TEST(EligibilityTest, RefusalsInOrder) {
  Tenant t;
  t.settings.organization_name = "Contoso";
  t.groups = {Assigned("enrollers", {"u-ok"})};
  t.settings.mdm_user_scope = MdmUserScope::kSome;
  t.settings.mdm_user_scope_groups = {GroupId{"enrollers"}};
  t.settings.device_join_scope = DeviceJoinScope::kSelected;
  t.settings.device_join_users = {UserId{"u-ok"}};
  auto index = *TargetingIndex::Build(t);

  User ok;
  ok.id = UserId{"u-ok"};
  ok.user_principal_name = "ok@contoso.com";
  AutopilotDeviceIdentity device;
  device.user_principal_name = "OK@contoso.com";
  EXPECT_FALSE(CheckSignIn(*index, device, ok, index->UserGroups(ok)).has_value());

  User other = ok;
  other.id = UserId{"u-other"};
  other.user_principal_name = "other@contoso.com";
  auto refusal = CheckSignIn(*index, device, other, index->UserGroups(other));
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->reason, SignInRefusal::Reason::kNotAssignedUser);
  EXPECT_NE(refusal->message.find("OK@contoso.com"), std::string::npos);

  device.user_principal_name.clear();
  EXPECT_EQ(CheckSignIn(*index, device, other, index->UserGroups(other))->reason,
            SignInRefusal::Reason::kOutsideMdmScope);

  User disabled = ok;
  disabled.account_enabled = false;
  EXPECT_EQ(CheckSignIn(*index, device, disabled, index->UserGroups(disabled))->reason,
            SignInRefusal::Reason::kDisabled);
  User unlicensed = ok;
  unlicensed.licensed = false;
  EXPECT_EQ(CheckSignIn(*index, device, unlicensed, index->UserGroups(unlicensed))->reason,
            SignInRefusal::Reason::kUnlicensed);
}

TEST(EligibilityTest, MfaRequiredForFollowsTheTenantRequirement) {
  Tenant t;
  t.groups = {Assigned("admins", {"u-admin"}), Assigned("others", {"u-plain"})};
  User admin;
  admin.id = UserId{"u-admin"};
  User plain;
  plain.id = UserId{"u-plain"};

  auto index = *TargetingIndex::Build(t);  // the default requirement is kAllUsers
  EXPECT_TRUE(MfaRequiredFor(*index, index->UserGroups(admin)));
  EXPECT_TRUE(MfaRequiredFor(*index, index->UserGroups(plain)));
  EXPECT_TRUE(MfaRequiredFor(*index, {})) << "no groups at all";

  t.settings.mfa_requirement = MfaRequirement::kNone;
  t.settings.mfa_groups = {GroupId{"admins"}};  // ignored unless kSelectedGroups
  index = *TargetingIndex::Build(t);
  EXPECT_FALSE(MfaRequiredFor(*index, index->UserGroups(admin)));
  EXPECT_FALSE(MfaRequiredFor(*index, index->UserGroups(plain)));

  t.settings.mfa_requirement = MfaRequirement::kSelectedGroups;
  index = *TargetingIndex::Build(t);
  EXPECT_TRUE(MfaRequiredFor(*index, index->UserGroups(admin)));
  EXPECT_FALSE(MfaRequiredFor(*index, index->UserGroups(plain)));
  EXPECT_FALSE(MfaRequiredFor(*index, {}));

  t.settings.mfa_groups = {GroupId{"ghost"}, GroupId{"others"}};  // unknown ids match nobody
  index = *TargetingIndex::Build(t);
  EXPECT_FALSE(MfaRequiredFor(*index, index->UserGroups(admin)));
  EXPECT_TRUE(MfaRequiredFor(*index, index->UserGroups(plain)));

  t.settings.mfa_groups.clear();
  index = *TargetingIndex::Build(t);
  EXPECT_FALSE(MfaRequiredFor(*index, index->UserGroups(admin)));
}

}  // namespace
}  // namespace groundcrew::core

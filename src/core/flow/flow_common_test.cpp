#include "core/flow/flow_common.hpp"

#include <gtest/gtest.h>

namespace groundcrew::core {
namespace {

TEST(FlowCommonTest, DeploymentStatesUseGraphSpelling) {
  const std::pair<DeploymentState, std::string_view> cases[] = {
      {DeploymentState::kUnknown, "unknown"},
      {DeploymentState::kSuccess, "success"},
      {DeploymentState::kInProgress, "inProgress"},
      {DeploymentState::kFailure, "failure"},
      {DeploymentState::kSuccessWithTimeout, "successWithTimeout"},
      {DeploymentState::kNotAttempted, "notAttempted"},
      {DeploymentState::kDisabled, "disabled"},
      {DeploymentState::kSuccessOnRetry, "successOnRetry"},
  };
  for (const auto& [state, name] : cases) EXPECT_EQ(ToString(state), name);
}

TEST(FlowCommonTest, PagesBeforeSignInFollowTheProfile) {
  struct Case {
    const char* name;
    std::string locale;
    bool keyboard_skipped;
    bool eula_hidden;
    bool region_keyboard_shown;
    std::vector<OobePage> pages;
  };
  const Case cases[] = {
      {"nothing hidden",
       "os-default",
       false,
       false,
       false,
       {OobePage::kRegion, OobePage::kKeyboard, OobePage::kEula}},
      {"locale set", "en-US", false, true, false, {OobePage::kKeyboard}},
      {"locale set, keyboard skipped", "en-US", true, true, false, {}},
      {"keyboard skip needs a locale",
       "os-default",
       true,
       true,
       false,
       {OobePage::kRegion, OobePage::kKeyboard}},
      {"shown already for lack of network", "os-default", false, false, true, {OobePage::kEula}},
      {"shown already, eula hidden", "en-US", true, true, true, {}},
  };
  for (const Case& c : cases) {
    ProfileInfo profile;
    profile.locale = c.locale;
    profile.keyboard_selection_page_skipped = c.keyboard_skipped;
    profile.eula_hidden = c.eula_hidden;
    EXPECT_EQ(PagesBeforeSignIn(&profile, c.region_keyboard_shown), c.pages) << c.name;
  }
  EXPECT_EQ(PagesBeforeSignIn(nullptr, false),
            (std::vector<OobePage>{OobePage::kRegion, OobePage::kKeyboard, OobePage::kEula}));
}

TEST(FlowCommonTest, ProfileInfoCarriesWhatTheScreensShow) {
  TenantSettings tenant;
  tenant.organization_name = "Contoso";
  AutopilotDeviceIdentity registration;
  registration.id = ZtdId{"ztd-1"};
  registration.user_principal_name = "alice@contoso.com";
  registration.addressable_user_name = "Alice";
  DeploymentProfile profile;
  profile.display_name = "Pre-provisioned";
  profile.preprovisioning_allowed = true;
  profile.locale = "en-US";
  profile.out_of_box_experience_setting.privacy_settings_hidden = true;
  profile.out_of_box_experience_setting.eula_hidden = true;
  profile.out_of_box_experience_setting.keyboard_selection_page_skipped = true;
  profile.out_of_box_experience_setting.user_type = WindowsUserType::kStandard;

  const ProfileInfo info = MakeProfileInfo(tenant, registration, profile);
  EXPECT_EQ(info.organization_name, "Contoso");
  EXPECT_EQ(info.profile_name, "Pre-provisioned");
  EXPECT_EQ(info.registration_id, "ztd-1");
  EXPECT_EQ(info.assigned_user_upn, "alice@contoso.com");
  EXPECT_EQ(info.greeting_name, "Alice");
  EXPECT_TRUE(info.preprovisioning_allowed);
  EXPECT_TRUE(info.privacy_settings_hidden);
  EXPECT_TRUE(info.eula_hidden);
  EXPECT_TRUE(info.keyboard_selection_page_skipped);
  EXPECT_EQ(info.locale, "en-US");
  EXPECT_EQ(info.user_type, WindowsUserType::kStandard);
}

TEST(FlowCommonTest, NotAllowedNamesFlowScreenAndEvent) {
  const Error error = NotAllowed("user", "sign-in", "reseal");
  EXPECT_EQ(error.code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(error.message, "user flow: reseal is not allowed on the sign-in screen");
}

}  // namespace
}  // namespace groundcrew::core

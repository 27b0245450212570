#include <gtest/gtest.h>

#include <chrono>

#include "wire/model_json.hpp"
#include "wire/wire_test_util.hpp"

namespace groundcrew::wire {
namespace {

using testing::ExpectDecodeError;
using testing::ExpectRoundTrip;
using testing::Json;

core::AssignmentTarget GroupTarget(const char* id) {
  return {core::TargetKind::kGroup, core::GroupId(id)};
}

core::DeploymentProfile SampleDeploymentProfile() {
  core::DeploymentProfile p;
  p.id = core::DeploymentProfileId("dp-1");
  p.display_name = "Contoso pre-provisioned";
  p.description = "For the depot";
  p.locale = "en-US";
  p.out_of_box_experience_setting = {.privacy_settings_hidden = true,
                                     .eula_hidden = true,
                                     .escape_link_hidden = true,
                                     .keyboard_selection_page_skipped = true,
                                     .user_type = core::WindowsUserType::kStandard,
                                     .device_usage_type = core::DeviceUsageType::kShared};
  p.hardware_hash_extraction_enabled = true;
  p.preprovisioning_allowed = true;
  p.device_name_template = "CON-%SERIAL%";
  p.device_type = core::DeviceType::kSurfaceHub2S;
  p.is_tenant_default = true;
  p.created_date_time = core::Timestamp{std::chrono::seconds{86400}};
  p.last_modified_date_time = core::Timestamp{std::chrono::seconds{2 * 86400}};
  p.assignments = {GroupTarget("g-1"),
                   {core::TargetKind::kExclusionGroup, core::GroupId("g-2")},
                   {core::TargetKind::kAllDevices, {}},
                   {core::TargetKind::kAllLicensedUsers, {}}};
  return p;
}

core::EspProfile SampleEspProfile() {
  core::EspProfile p;
  p.id = core::EspProfileId("esp-1");
  p.display_name = "Contoso ESP";
  p.description = "blocking";
  p.priority = 3;
  p.is_default = true;
  p.version = 4;
  p.show_installation_progress = true;
  p.install_progress_timeout_in_minutes = 90;
  p.custom_error_message = "Call the help desk";
  p.allow_log_collection_on_install_failure = true;
  p.allow_device_reset_on_install_failure = true;
  p.allow_device_use_on_install_failure = true;
  p.block_device_setup_retry_by_user = true;
  p.allow_device_use_before_profile_and_app_install_complete = true;
  p.selected_mobile_app_ids = {core::AppId("a-1"), core::AppId("a-2")};
  p.allow_non_blocking_app_installation = false;
  p.install_quality_updates = true;
  p.track_install_progress_for_autopilot_only = true;
  p.disable_user_status_tracking_after_first_user = true;
  p.assignments = {GroupTarget("g-9")};
  return p;
}

TEST(ProfilesJsonTest, DeploymentProfileRoundTripAndShape) {
  const core::DeploymentProfile original = SampleDeploymentProfile();
  const core::DeploymentProfile decoded = ExpectRoundTrip(original);
  EXPECT_EQ(decoded.assignments, original.assignments);
  EXPECT_EQ(decoded.out_of_box_experience_setting.user_type, core::WindowsUserType::kStandard);
  EXPECT_EQ(decoded.device_type, core::DeviceType::kSurfaceHub2S);
  EXPECT_TRUE(decoded.preprovisioning_allowed);

  const boost::json::object o = Encode(original);
  EXPECT_EQ(o.at("preprovisioningAllowed"), true);
  EXPECT_EQ(o.at("deviceNameTemplate"), "CON-%SERIAL%");
  EXPECT_EQ(o.at("isTenantDefault"), true);
  EXPECT_EQ(o.at("deviceType"), "surfaceHub2S");
  EXPECT_EQ(o.at("createdDateTime"), "1970-01-02T00:00:00Z");
  EXPECT_EQ(o.at("lastModifiedDateTime"), "1970-01-03T00:00:00Z");
  EXPECT_EQ(o.at("outOfBoxExperienceSetting").at("userType"), "standard");
  EXPECT_EQ(o.at("outOfBoxExperienceSetting").at("deviceUsageType"), "shared");
  EXPECT_EQ(o.at("assignments"), Json(R"([
      {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g-1"},
      {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": "g-2"},
      {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"},
      {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}])"));
}

TEST(ProfilesJsonTest, NestedObjectsMergeAndReportNestedPaths) {
  core::DeploymentProfile stored = SampleDeploymentProfile();
  ASSERT_TRUE(
      Decode(Json(R"({"outOfBoxExperienceSetting": {"userType": "administrator"}})"), stored)
          .has_value());
  EXPECT_EQ(stored.out_of_box_experience_setting.user_type, core::WindowsUserType::kAdministrator);
  EXPECT_TRUE(stored.out_of_box_experience_setting.eula_hidden) << "absent nested field kept";
  EXPECT_EQ(stored.out_of_box_experience_setting.device_usage_type, core::DeviceUsageType::kShared);

  EXPECT_EQ(ExpectDecodeError(R"({"outOfBoxExperienceSetting": {"userType": "guest"}})", stored,
                              "outOfBoxExperienceSetting.userType"),
            R"(outOfBoxExperienceSetting.userType: expected one of "administrator", "standard", )"
            R"(found "guest")");
  EXPECT_EQ(ExpectDecodeError(R"({"outOfBoxExperienceSetting": {"eulaHidden": true, "skip": 1}})",
                              stored, "outOfBoxExperienceSetting.skip"),
            R"(unknown field "outOfBoxExperienceSetting.skip")");
  ExpectDecodeError(R"({"outOfBoxExperienceSetting": {"eulaHidden": 1}})", stored,
                    "outOfBoxExperienceSetting.eulaHidden");
  ExpectDecodeError(R"({"outOfBoxExperienceSetting": true})", stored, "outOfBoxExperienceSetting");
  EXPECT_EQ(ExpectDecodeError(R"({"deviceType": "mac"})", stored, "deviceType"),
            R"(deviceType: expected one of "windowsPc", "holoLens", "surfaceHub2", )"
            R"("surfaceHub2S", "virtualMachine", found "mac")");
}

TEST(ProfilesJsonTest, DeploymentProfileLengthLimits) {
  core::DeploymentProfile p = SampleDeploymentProfile();
  const std::string long_name(201, 'x');
  ExpectDecodeError(R"({"displayName": ")" + long_name + R"("})", p, "displayName");
  // 200 two-byte characters are 200 characters, not 400.
  std::string umlauts;
  for (int i = 0; i < 200; ++i) umlauts += "\xC3\xA4";
  ASSERT_TRUE(Decode(Json(R"({"displayName": ")" + umlauts + R"("})"), p).has_value());
  ExpectDecodeError(R"({"description": ")" + std::string(1501, 'd') + R"("})", p, "description");
}

TEST(ProfilesJsonTest, AssignmentTargetsAreValidated) {
  core::DeploymentProfile p = SampleDeploymentProfile();
  EXPECT_EQ(
      ExpectDecodeError(R"({"assignments": [{"groupId": "g"}]})", p, "assignments[0].@odata.type"),
      "assignments[0].@odata.type: required");
  EXPECT_NE(ExpectDecodeError(R"({"assignments": [{"@odata.type": "group", "groupId": "g"}]})", p,
                              "assignments[0].@odata.type")
                .find(R"("#microsoft.graph.allLicensedUsersAssignmentTarget", found "group")"),
            std::string::npos);
  ExpectDecodeError(
      R"({"assignments": [{"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"},
                          {"@odata.type": "#microsoft.graph.groupAssignmentTarget"}]})",
      p, "assignments[1].groupId");
  ExpectDecodeError(
      R"({"assignments": [{"@odata.type": "#microsoft.graph.groupAssignmentTarget",
                           "groupId": ""}]})",
      p, "assignments[0].groupId");
  EXPECT_EQ(ExpectDecodeError(
                R"({"assignments": [{"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
                                     "groupId": "g"}]})",
                p, "assignments[0].groupId"),
            R"(unknown field "assignments[0].groupId")");
  ExpectDecodeError(R"({"assignments": {}})", p, "assignments");
  ExpectDecodeError(R"({"assignments": ["g-1"]})", p, "assignments[0]");
  EXPECT_EQ(p.assignments, SampleDeploymentProfile().assignments);

  ASSERT_TRUE(Decode(Json(R"({"assignments": []})"), p).has_value());
  EXPECT_TRUE(p.assignments.empty()) << "arrays are replaced";

  core::AssignmentTarget target;
  ASSERT_TRUE(
      Decode(Json(R"({"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"})"),
             target)
          .has_value());
  EXPECT_EQ(target.kind, core::TargetKind::kAllLicensedUsers);
}

TEST(ProfilesJsonTest, EspProfileRoundTripAndShape) {
  const core::EspProfile original = SampleEspProfile();
  const core::EspProfile decoded = ExpectRoundTrip(original);
  EXPECT_EQ(decoded.selected_mobile_app_ids, original.selected_mobile_app_ids);
  EXPECT_EQ(decoded.install_progress_timeout_in_minutes, 90);
  EXPECT_FALSE(decoded.allow_non_blocking_app_installation);
  EXPECT_EQ(decoded.version, 1) << "version is server-owned";

  const boost::json::object o = Encode(original);
  EXPECT_EQ(o.at("selectedMobileAppIds"), Json(R"(["a-1", "a-2"])"));
  EXPECT_EQ(o.at("version"), 4);
  EXPECT_EQ(o.at("installProgressTimeoutInMinutes"), 90);
  EXPECT_EQ(o.at("allowDeviceUseBeforeProfileAndAppInstallComplete"), true);
  EXPECT_EQ(o.at("showInstallationProgress"), true);
}

TEST(ProfilesJsonTest, EspProfileIntegerRules) {
  core::EspProfile p = SampleEspProfile();
  EXPECT_EQ(ExpectDecodeError(R"({"installProgressTimeoutInMinutes": 0})", p,
                              "installProgressTimeoutInMinutes"),
            "installProgressTimeoutInMinutes: must be between 1 and 1440, found 0");
  ExpectDecodeError(R"({"installProgressTimeoutInMinutes": 1441})", p,
                    "installProgressTimeoutInMinutes");
  EXPECT_EQ(ExpectDecodeError(R"({"installProgressTimeoutInMinutes": 30.5})", p,
                              "installProgressTimeoutInMinutes"),
            "installProgressTimeoutInMinutes: expected an integer, found 30.5");
  ExpectDecodeError(R"({"installProgressTimeoutInMinutes": "30"})", p,
                    "installProgressTimeoutInMinutes");
  EXPECT_EQ(ExpectDecodeError(R"({"priority": -1})", p, "priority"),
            "priority: must be at least 0, found -1");
  ExpectDecodeError(R"({"priority": 99999999999})", p, "priority");
  ExpectDecodeError(R"({"priority": 18446744073709551615})", p, "priority");
  EXPECT_EQ(p.priority, 3);

  ASSERT_TRUE(
      Decode(Json(R"({"installProgressTimeoutInMinutes": 1440, "priority": 0})"), p).has_value());
  EXPECT_EQ(p.install_progress_timeout_in_minutes, 1440);
  EXPECT_EQ(p.priority, 0);
  ASSERT_TRUE(Decode(Json(R"({"installProgressTimeoutInMinutes": 45.0})"), p).has_value())
      << "an integral number is an integer";
  EXPECT_EQ(p.install_progress_timeout_in_minutes, 45);

  std::string many = R"({"selectedMobileAppIds": [)";
  for (int i = 0; i <= core::kMaxSelectedBlockingApps; ++i) {
    many += (i ? ",\"a" : "\"a") + std::to_string(i) + "\"";
  }
  many += "]}";
  ExpectDecodeError(many, p, "selectedMobileAppIds");
  ExpectDecodeError(R"({"customErrorMessage": ")" +
                        std::string(core::kMaxCustomErrorMessageLength + 1, 'm') + R"("})",
                    p, "customErrorMessage");
}

TEST(ProfilesJsonTest, AssignmentRoundTripAndRules) {
  core::Assignment original;
  original.id = core::AssignmentId("as-1");
  original.payload_kind = core::PayloadKind::kCompliance;
  original.payload_id = "cp-1";
  original.target = {core::TargetKind::kExclusionGroup, core::GroupId("g-4")};
  original.intent = core::InstallIntent::kUninstall;
  const core::Assignment decoded = ExpectRoundTrip(original);
  EXPECT_EQ(decoded.payload_kind, core::PayloadKind::kCompliance);
  EXPECT_EQ(decoded.payload_id, "cp-1");
  EXPECT_EQ(decoded.target, original.target);
  EXPECT_EQ(decoded.intent, core::InstallIntent::kUninstall);
  EXPECT_EQ(Encode(original), Json(R"({"id": "as-1", "payloadKind": "compliance",
      "payloadId": "cp-1", "target": {"@odata.type":
      "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": "g-4"},
      "intent": "uninstall"})")
                                  .as_object());

  core::Assignment a;
  EXPECT_EQ(ExpectDecodeError(R"({"payloadId": "x", "intent": "mandatory",
      "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}})",
                              a, "intent"),
            R"(intent: expected one of "available", "required", "uninstall", found "mandatory")");
  ExpectDecodeError(R"({"payloadKind": "profile"})", a, "payloadKind");
  ExpectDecodeError(R"({"payloadId": "x", "target": {"@odata.type": 1}})", a, "target.@odata.type");
  EXPECT_EQ(ExpectDecodeError(R"({"payloadId": "x"})", a, "target"), "target: required");
  ExpectDecodeError(R"({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}})",
                    a, "payloadId");
}

}  // namespace
}  // namespace groundcrew::wire

#include <gtest/gtest.h>

#include <chrono>

#include "wire/model_json.hpp"
#include "wire/wire_test_util.hpp"

namespace groundcrew::wire {
namespace {

using testing::Json;

core::AutopilotDeviceIdentity SampleDevice() {
  core::AutopilotDeviceIdentity d;
  d.id = core::ZtdId("ztd-1");
  d.serial_number = "CON-0001";
  d.product_key = "PK";
  d.hardware_identifier = std::string("\x00\x01\xfe\xff", 4);
  d.group_tag = "Sales";
  d.purchase_order_identifier = "PO-7";
  d.user_principal_name = "adele@contoso.com";
  d.addressable_user_name = "Adele";
  d.display_name = "CON-CON-0001";
  d.manufacturer = "Contoso";
  d.model = "Laptop 7";
  d.azure_ad_device_id = core::DirectoryObjectId("dir-1");
  d.managed_device_id = "md-1";
  d.enrollment_state = core::EnrollmentState::kPendingReset;
  d.deployment_profile_assignment_status = core::ProfileAssignmentStatus::kAssignedInSync;
  d.deployment_profile_assigned_date_time = core::Timestamp{std::chrono::seconds{60}};
  d.created_date_time = core::Timestamp{std::chrono::seconds{3600}};
  return d;
}

TEST(DeviceJsonTest, EncodesTheGraphDeviceIdentity) {
  const boost::json::object o = Encode(SampleDevice());
  EXPECT_EQ(o, Json(R"({
      "@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity",
      "id": "ztd-1", "serialNumber": "CON-0001", "productKey": "PK",
      "hardwareIdentifier": "AAH+/w==", "groupTag": "Sales", "purchaseOrderIdentifier": "PO-7",
      "userPrincipalName": "adele@contoso.com", "addressableUserName": "Adele",
      "displayName": "CON-CON-0001", "manufacturer": "Contoso", "model": "Laptop 7",
      "azureAdDeviceId": "dir-1", "managedDeviceId": "md-1", "enrollmentState": "pendingReset",
      "deploymentProfileAssignmentStatus": "assignedInSync",
      "deploymentProfileAssignedDateTime": "1970-01-01T00:01:00Z",
      "lastContactedDateTime": null, "createdDateTime": "1970-01-01T01:00:00Z"})")
                   .as_object());
  EXPECT_EQ(Encode(core::AutopilotDeviceIdentity{}).at("enrollmentState"), "notContacted");
}

TEST(DeviceJsonTest, PatchChangesOnlyTheEditableFields) {
  core::AutopilotDeviceIdentity d = SampleDevice();
  ASSERT_TRUE(DecodeDevicePatch(Json(R"({"groupTag": "Marketing", "displayName": "",
      "id": "ignored", "@odata.type": "#microsoft.graph.windowsAutopilotDeviceIdentity"})"),
                                d)
                  .has_value());
  EXPECT_EQ(d.group_tag, "Marketing");
  EXPECT_EQ(d.display_name, "");
  EXPECT_EQ(d.user_principal_name, "adele@contoso.com") << "absent field kept";
  EXPECT_EQ(d.id.value(), "ztd-1");

  ASSERT_TRUE(DecodeDevicePatch(Json(R"({"userPrincipalName": "", "addressableUserName": "X"})"), d)
                  .has_value());
  EXPECT_EQ(d.user_principal_name, "");
  EXPECT_EQ(d.addressable_user_name, "X");
}

TEST(DeviceJsonTest, PatchRefusesEverythingElse) {
  const core::AutopilotDeviceIdentity original = SampleDevice();
  core::AutopilotDeviceIdentity d = original;
  auto expect_error = [&](std::string_view text, std::string_view field) {
    const Status status = DecodeDevicePatch(Json(text), d);
    ASSERT_FALSE(status.has_value()) << text;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(status.error().field, field);
  };
  const Status serial = DecodeDevicePatch(Json(R"({"groupTag": "x", "serialNumber": "S2"})"), d);
  ASSERT_FALSE(serial.has_value());
  EXPECT_EQ(serial.error().message, "serialNumber: cannot be changed");
  EXPECT_EQ(serial.error().field, "serialNumber");
  expect_error(R"({"enrollmentState": "enrolled"})", "enrollmentState");
  expect_error(R"({"hardwareIdentifier": "AA=="})", "hardwareIdentifier");
  expect_error(R"({"colour": "red"})", "colour");
  expect_error(R"({"groupTag": 7})", "groupTag");
  expect_error(R"({"userPrincipalName": "not-an-upn"})", "userPrincipalName");
  EXPECT_EQ(d.group_tag, "Sales") << "failed patches change nothing";
  EXPECT_EQ(Encode(d), Encode(original));
  EXPECT_FALSE(DecodeDevicePatch(Json("[]"), d).has_value());
}

TEST(DeviceJsonTest, RegistrationRows) {
  core::RegistrationRowResult valid;
  valid.line = 2;
  valid.row.serial_number = "S1";
  EXPECT_EQ(Encode(valid),
            Json(R"({"row": 2, "serialNumber": "S1", "status": "valid"})").as_object());

  core::RegistrationRowResult failed;
  failed.line = 5;
  failed.row.serial_number = "S1";
  failed.failure = core::RowFailure{core::ImportError::kZtdDeviceDuplicated,
                                    "Hardware Hash: same as line 2", "Hardware Hash"};
  EXPECT_EQ(Encode(failed), Json(R"({"row": 5, "serialNumber": "S1", "status": "failed",
      "error": {"code": "ZtdDeviceDuplicated", "message": "Hardware Hash: same as line 2",
                "column": "Hardware Hash"}})")
                                .as_object());

  failed.failure = core::RowFailure{core::ImportError::kInvalidCsvRow, "3 cells, expected 5", ""};
  EXPECT_TRUE(Encode(failed).at("error").at("column").is_null());
  EXPECT_EQ(Encode(failed).at("error").at("code"), "InvalidCsvRow");
}

}  // namespace
}  // namespace groundcrew::wire

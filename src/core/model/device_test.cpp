#include "core/model/device.hpp"

#include <gtest/gtest.h>

#include "core/model/payloads.hpp"

namespace groundcrew::core {
namespace {

TEST(DeviceModelTest, PlaceholderCarriesPhysicalIdsForTagAndPurchaseOrder) {
  AutopilotDeviceIdentity device;
  device.id = ZtdId{"6f2c0f6e-0000-4000-8000-000000000001"};
  device.serial_number = "SN-001";
  device.group_tag = "Sales";
  device.purchase_order_identifier = "76222342342";
  device.manufacturer = "Contoso";
  device.model = "Laptop 7";

  DirectoryDevice object = PlaceholderFor(device);

  EXPECT_EQ(object.device_physical_ids,
            (std::vector<std::string>{"[ZTDId]:6f2c0f6e-0000-4000-8000-000000000001",
                                      "[OrderID]:Sales", "[PurchaseOrderId]:76222342342"}));
  EXPECT_EQ(object.display_name, "SN-001");
  EXPECT_EQ(object.manufacturer, "Contoso");
  EXPECT_EQ(object.trust_type, TrustType::kNone);
}

TEST(DeviceModelTest, EnrolledDeviceIsJoinedAndManaged) {
  AutopilotDeviceIdentity device;
  device.id = ZtdId{"z1"};
  EXPECT_FALSE(PlaceholderFor(device).is_managed);
  device.enrollment_state = EnrollmentState::kEnrolled;
  DirectoryDevice object = PlaceholderFor(device);
  EXPECT_EQ(object.trust_type, TrustType::kAzureAd);
  EXPECT_EQ(object.management_type, "MDM");
  EXPECT_TRUE(object.is_managed);
}

TEST(DeviceModelTest, UntaggedDeviceHasOnlyItsZtdId) {
  AutopilotDeviceIdentity device;
  device.id = ZtdId{"z1"};
  EXPECT_EQ(PhysicalIdsFor(device), std::vector<std::string>{"[ZTDId]:z1"});
}

TEST(ReturnCodeTest, Win32DefaultsAndUnknownCodesFail) {
  const auto codes = DefaultReturnCodes();
  EXPECT_EQ(ClassifyReturnCode(codes, 0), ReturnCodeType::kSuccess);
  EXPECT_EQ(ClassifyReturnCode(codes, 3010), ReturnCodeType::kSoftReboot);
  EXPECT_EQ(ClassifyReturnCode(codes, 1641), ReturnCodeType::kHardReboot);
  EXPECT_EQ(ClassifyReturnCode(codes, 1618), ReturnCodeType::kRetry);
  EXPECT_EQ(ClassifyReturnCode(codes, 1), ReturnCodeType::kFailed);
}

}  // namespace
}  // namespace groundcrew::core

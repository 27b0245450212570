#include "core/model/device.hpp"

namespace groundcrew::core {

std::string_view ToString(EnrollmentState state) {
  switch (state) {
    case EnrollmentState::kUnknown:
      return "unknown";
    case EnrollmentState::kEnrolled:
      return "enrolled";
    case EnrollmentState::kPendingReset:
      return "pendingReset";
    case EnrollmentState::kFailed:
      return "failed";
    case EnrollmentState::kNotContacted:
      return "notContacted";
    case EnrollmentState::kBlocked:
      return "blocked";
  }
  return "unknown";
}

std::vector<std::string> PhysicalIdsFor(const AutopilotDeviceIdentity& device) {
  std::vector<std::string> ids;
  ids.push_back("[ZTDId]:" + device.id.value());
  if (!device.group_tag.empty()) ids.push_back("[OrderID]:" + device.group_tag);
  if (!device.purchase_order_identifier.empty()) {
    ids.push_back("[PurchaseOrderId]:" + device.purchase_order_identifier);
  }
  return ids;
}

DirectoryDevice PlaceholderFor(const AutopilotDeviceIdentity& device) {
  DirectoryDevice object;
  object.id = device.azure_ad_device_id;
  object.display_name = device.display_name.empty() ? device.serial_number : device.display_name;
  object.device_physical_ids = PhysicalIdsFor(device);
  object.manufacturer = device.manufacturer;
  object.model = device.model;
  if (device.enrollment_state == EnrollmentState::kEnrolled) {
    object.trust_type = TrustType::kAzureAd;
    object.management_type = "MDM";
    object.is_managed = true;
  }
  return object;
}

}  // namespace groundcrew::core

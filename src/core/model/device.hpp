#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/ids.hpp"

// Devices: the Autopilot registration record and the directory device object it anchors.
namespace groundcrew::core {

/// Graph `enrollmentState`.
enum class EnrollmentState { kUnknown, kEnrolled, kPendingReset, kFailed, kNotContacted, kBlocked };

/// Graph's spelling: "enrolled", "pendingReset", "notContacted"...
std::string_view ToString(EnrollmentState state);

/// Graph `deploymentProfileAssignmentStatus` (the subset groundcrew reports; assignment is
/// synchronous here, so `pending` appears only while a device has no profile at all).
enum class ProfileAssignmentStatus { kUnknown, kAssignedInSync, kNotAssigned, kPending, kFailed };

/// A registered device (Graph `windowsAutopilotDeviceIdentity`).
struct AutopilotDeviceIdentity {
  ZtdId id;  ///< the ZtdId: registration id, in the technician QR code and `[ZTDId]:` physical id
  std::string serial_number;              ///< serialNumber
  std::string product_key;                ///< productKey ("Windows Product ID" column)
  std::string hardware_identifier;        ///< the decoded hardware hash (bytes)
  std::string group_tag;                  ///< groupTag -> "[OrderID]:<tag>"
  std::string purchase_order_identifier;  ///< purchaseOrderIdentifier -> "[PurchaseOrderId]:<po>"
  std::string user_principal_name;        ///< assigned user, empty when none
  std::string addressable_user_name;      ///< greeting name for the assigned user
  std::string display_name;               ///< name to give the device, overrides the template
  std::string manufacturer, model;
  DirectoryObjectId azure_ad_device_id;  ///< azureAdDeviceId: the placeholder directory object
  std::string managed_device_id;         ///< set once enrolled
  EnrollmentState enrollment_state = EnrollmentState::kNotContacted;
  ProfileAssignmentStatus deployment_profile_assignment_status = ProfileAssignmentStatus::kUnknown;
  std::optional<Timestamp> deployment_profile_assigned_date_time;
  std::optional<Timestamp> last_contacted_date_time;
  Timestamp created_date_time{};
};

/// Graph `device.trustType`.
enum class TrustType { kNone, kAzureAd, kServerAd, kWorkplace };

/// A directory device object (Graph `device`, what dynamic device rules read). One is created as
/// a placeholder when a device is registered and completed when the device joins.
struct DirectoryDevice {
  DirectoryObjectId id;                          ///< objectId
  std::string device_id;                         ///< deviceId (GUID the device reports once joined)
  std::string display_name;                      ///< displayName
  bool account_enabled = true;                   ///< accountEnabled
  std::vector<std::string> device_physical_ids;  ///< devicePhysicalIds
  std::string manufacturer;                      ///< rules: deviceManufacturer
  std::string model;                             ///< rules: deviceModel
  std::string operating_system = "Windows";      ///< rules: deviceOSType
  std::string operating_system_version;          ///< rules: deviceOSVersion
  TrustType trust_type = TrustType::kNone;       ///< rules: deviceTrustType
  std::string device_ownership = "Company";      ///< Personal | Company | Unknown
  std::string enrollment_profile_name;           ///< name of the deployment profile in effect
  std::string device_category;
  std::string management_type;  ///< "MDM" once enrolled
  bool is_managed = false;
  bool is_compliant = false;
  std::array<std::string, 15> extension_attributes;  ///< extensionAttribute1..15
  std::vector<std::string> system_labels;
};

/// The physical ids a registration contributes: "[ZTDId]:<id>", "[OrderID]:<tag>" when tagged,
/// "[PurchaseOrderId]:<po>" when a purchase order is known.
std::vector<std::string> PhysicalIdsFor(const AutopilotDeviceIdentity& device);

/// The directory object of a registration: physical ids, manufacturer, model, display name (the
/// serial until the device is named); trust type none until the device enrolled (it joins and
/// enrolls in one Device preparation), then AzureAd, managed by MDM.
DirectoryDevice PlaceholderFor(const AutopilotDeviceIdentity& device);

}  // namespace groundcrew::core

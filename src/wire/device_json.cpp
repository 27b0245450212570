// Autopilot device identities and registration import rows.
#include "common/base64.hpp"
#include "wire/json_reader.hpp"
#include "wire/model_json.hpp"
#include "wire/spellings.hpp"

namespace groundcrew::wire {
namespace json = boost::json;
using internal::Invalid;
using internal::NameOf;
using internal::ObjectReader;

using internal::OptionalTime;

namespace {

// Device properties only the service sets: present in what Encode emits, refused in a PATCH.
constexpr std::string_view kReadOnlyDeviceFields[] = {
    "serialNumber",
    "productKey",
    "hardwareIdentifier",
    "purchaseOrderIdentifier",
    "manufacturer",
    "model",
    "azureAdDeviceId",
    "managedDeviceId",
    "enrollmentState",
    "deploymentProfileAssignmentStatus",
    "deploymentProfileAssignedDateTime",
    "lastContactedDateTime",
};

}  // namespace

json::object Encode(const core::AutopilotDeviceIdentity& device) {
  json::object o;
  o["@odata.type"] = "#microsoft.graph.windowsAutopilotDeviceIdentity";
  o["id"] = device.id.value();
  o["serialNumber"] = device.serial_number;
  o["productKey"] = device.product_key;
  o["hardwareIdentifier"] = base64::Encode(device.hardware_identifier);
  o["groupTag"] = device.group_tag;
  o["purchaseOrderIdentifier"] = device.purchase_order_identifier;
  o["userPrincipalName"] = device.user_principal_name;
  o["addressableUserName"] = device.addressable_user_name;
  o["displayName"] = device.display_name;
  o["manufacturer"] = device.manufacturer;
  o["model"] = device.model;
  o["azureAdDeviceId"] = device.azure_ad_device_id.value();
  o["managedDeviceId"] = device.managed_device_id;
  o["enrollmentState"] = core::ToString(device.enrollment_state);
  o["deploymentProfileAssignmentStatus"] =
      NameOf(internal::kProfileAssignmentStatuses, device.deployment_profile_assignment_status);
  o["deploymentProfileAssignedDateTime"] =
      OptionalTime(device.deployment_profile_assigned_date_time);
  o["lastContactedDateTime"] = OptionalTime(device.last_contacted_date_time);
  o["createdDateTime"] = FormatTimestamp(device.created_date_time);
  return o;
}

Status DecodeDevicePatch(const json::value& json, core::AutopilotDeviceIdentity& out) {
  auto reader = internal::OpenResource(json);
  if (!reader) return reader.error();
  ObjectReader& r = *reader;
  for (std::string_view key : kReadOnlyDeviceFields) {
    if (r.Take(key) != nullptr) return Invalid(key, "cannot be changed");
  }
  core::AutopilotDeviceIdentity copy = out;
  GC_RETURN_IF_ERROR(r.String("groupTag", copy.group_tag));
  GC_RETURN_IF_ERROR(r.String("userPrincipalName", copy.user_principal_name));
  GC_RETURN_IF_ERROR(r.String("addressableUserName", copy.addressable_user_name));
  GC_RETURN_IF_ERROR(r.String("displayName", copy.display_name));
  GC_RETURN_IF_ERROR(r.Finish());
  if (copy.user_principal_name != out.user_principal_name && !copy.user_principal_name.empty() &&
      !core::IsPlausibleUserPrincipalName(copy.user_principal_name)) {
    return Invalid("userPrincipalName", "expected name@domain or \"\" for no assigned user");
  }
  out = std::move(copy);
  return Ok{};
}

json::object Encode(const core::RegistrationRowResult& row) {
  json::object o;
  o["row"] = row.line;
  o["serialNumber"] = row.row.serial_number;
  o["status"] = row.ok() ? "valid" : "failed";
  if (row.failure) {
    json::object error;
    error["code"] = core::ImportErrorName(row.failure->error);
    error["message"] = row.failure->message;
    if (row.failure->column.empty()) {
      error["column"] = nullptr;
    } else {
      error["column"] = row.failure->column;
    }
    o["error"] = std::move(error);
  }
  return o;
}

}  // namespace groundcrew::wire

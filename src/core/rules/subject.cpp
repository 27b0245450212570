#include "core/rules/subject.hpp"

namespace groundcrew::core::rules {

std::string_view DeviceTrustTypeName(TrustType trust_type) {
  switch (trust_type) {
    case TrustType::kAzureAd:
      return "AzureAD";
    case TrustType::kServerAd:
      return "ServerAD";
    case TrustType::kWorkplace:
      return "Workplace";
    case TrustType::kNone:
      break;
  }
  return {};
}

DeviceAttributes::DeviceAttributes(const DirectoryDevice& device,
                                   std::span<const std::string> member_of) {
  using P = DeviceProperty;
  auto set = [this](P p, AttributeValue v) { values_[SlotOf(p)] = v; };
  using V = AttributeValue;
  set(P::kAccountEnabled, V::Bool(device.account_enabled));
  set(P::kDeviceId, V::String(device.device_id));
  set(P::kObjectId, V::String(device.id.value()));
  set(P::kDisplayName, V::String(device.display_name));
  set(P::kDeviceCategory, V::String(device.device_category));
  set(P::kDeviceManufacturer, V::String(device.manufacturer));
  set(P::kDeviceModel, V::String(device.model));
  set(P::kDeviceOsType, V::String(device.operating_system));
  set(P::kDeviceOsVersion, V::String(device.operating_system_version));
  set(P::kDeviceOwnership, V::String(device.device_ownership));
  set(P::kDeviceTrustType, V::String(DeviceTrustTypeName(device.trust_type)));
  set(P::kDevicePhysicalIds, V::List(device.device_physical_ids));
  set(P::kEnrollmentProfileName, V::String(device.enrollment_profile_name));
  set(P::kManagementType, V::String(device.management_type));
  set(P::kIsRooted, V::Null());
  set(P::kSystemLabels, V::List(device.system_labels));
  set(P::kMemberOf, V::List(member_of));
  for (size_t n = 1; n <= kExtensionAttributeCount; ++n) {
    values_[DeviceExtensionSlot(n)] = V::String(device.extension_attributes[n - 1]);
  }
}

UserAttributes::UserAttributes(const User& user, std::span<const std::string> member_of) {
  using P = UserProperty;
  auto set = [this](P p, AttributeValue v) { values_[SlotOf(p)] = v; };
  using V = AttributeValue;
  set(P::kAccountEnabled, V::Bool(user.account_enabled));
  set(P::kObjectId, V::String(user.id.value()));
  set(P::kUserPrincipalName, V::String(user.user_principal_name));
  set(P::kDisplayName, V::String(user.display_name));
  set(P::kGivenName, V::String(user.given_name));
  set(P::kSurname, V::String(user.surname));
  set(P::kMail, V::String(user.mail));
  set(P::kMailNickname, V::String(user.mail_nickname));
  set(P::kDepartment, V::String(user.department));
  set(P::kJobTitle, V::String(user.job_title));
  set(P::kCompanyName, V::String(user.company_name));
  set(P::kCity, V::String(user.city));
  set(P::kState, V::String(user.state));
  set(P::kCountry, V::String(user.country));
  set(P::kUsageLocation, V::String(user.usage_location));
  set(P::kEmployeeId, V::String(user.employee_id));
  set(P::kUserType, V::String(user.user_type));
  set(P::kEmployeeHireDate, V::String(user.employee_hire_date));
  set(P::kOtherMails, V::List(user.other_mails));
  set(P::kProxyAddresses, V::List(user.proxy_addresses));
  set(P::kMemberOf, V::List(member_of));
  for (size_t n = 1; n <= kExtensionAttributeCount; ++n) {
    values_[UserExtensionSlot(n)] = V::String(user.extension_attributes[n - 1]);
  }
}

}  // namespace groundcrew::core::rules

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

// The attributes a dynamic membership rule may name: Microsoft Entra's device and user rule
// properties. Every property has a slot, its index in a Subject's values; slots are dense and
// start at 0 for each object type, so a set of slots fits in a SlotMask.
namespace groundcrew::core::rules {

/// What a rule selects: devices or users (never both in one rule).
enum class ObjectType : uint8_t { kDevice, kUser };

/// "device" or "user", the prefix rules write before a property name.
std::string_view ToString(ObjectType type);

/// How a property's values compare.
enum class ValueType : uint8_t {
  kString,      ///< string operators, -in/-notIn, -eq/-ne null
  kBool,        ///< -eq/-ne with true, false or null
  kDate,        ///< an ISO 8601 date-time held as a string: -eq/-ne/-le/-ge, null
  kStringList,  ///< a collection: only -any/-all, with `_` as the current element
};

struct PropertyInfo {
  std::string_view name;  ///< canonical spelling, e.g. "devicePhysicalIds"
  ValueType type = ValueType::kString;
  uint8_t slot = 0;
};

/// Device rule properties, by slot.
enum class DeviceProperty : uint8_t {
  kAccountEnabled,
  kDeviceId,
  kObjectId,
  kDisplayName,
  kDeviceCategory,
  kDeviceManufacturer,
  kDeviceModel,
  kDeviceOsType,
  kDeviceOsVersion,
  kDeviceOwnership,
  kDeviceTrustType,
  kDevicePhysicalIds,
  kEnrollmentProfileName,
  kManagementType,
  kIsRooted,
  kSystemLabels,
  kMemberOf,
  kExtensionAttribute1,  ///< extensionAttribute1..15 take the 15 consecutive slots from here
};

/// User rule properties, by slot.
enum class UserProperty : uint8_t {
  kAccountEnabled,
  kObjectId,
  kUserPrincipalName,
  kDisplayName,
  kGivenName,
  kSurname,
  kMail,
  kMailNickname,
  kDepartment,
  kJobTitle,
  kCompanyName,
  kCity,
  kState,
  kCountry,
  kUsageLocation,
  kEmployeeId,
  kUserType,
  kEmployeeHireDate,
  kOtherMails,
  kProxyAddresses,
  kMemberOf,
  kExtensionAttribute1,  ///< extensionAttribute1..15 take the 15 consecutive slots from here
};

inline constexpr size_t kExtensionAttributeCount = 15;
inline constexpr size_t kDevicePropertyCount =
    static_cast<size_t>(DeviceProperty::kExtensionAttribute1) + kExtensionAttributeCount;
inline constexpr size_t kUserPropertyCount =
    static_cast<size_t>(UserProperty::kExtensionAttribute1) + kExtensionAttributeCount;

/// A set of slots of one object type: bit `s` stands for slot `s`.
using SlotMask = uint64_t;
static_assert(kDevicePropertyCount <= 64 && kUserPropertyCount <= 64);

constexpr uint8_t SlotOf(DeviceProperty p) { return static_cast<uint8_t>(p); }
constexpr uint8_t SlotOf(UserProperty p) { return static_cast<uint8_t>(p); }

/// The slot of extensionAttribute`n`. REQUIRES: 1 <= n <= 15.
constexpr uint8_t DeviceExtensionSlot(size_t n) {
  return static_cast<uint8_t>(SlotOf(DeviceProperty::kExtensionAttribute1) + n - 1);
}
constexpr uint8_t UserExtensionSlot(size_t n) {
  return static_cast<uint8_t>(SlotOf(UserProperty::kExtensionAttribute1) + n - 1);
}

/// Number of slots of `type` (the size a Subject's values must have).
size_t PropertyCount(ObjectType type);

/// Every property of `type`, ordered by slot (element i has slot i).
std::span<const PropertyInfo> PropertiesOf(ObjectType type);

/// The property of `type` called `name`, whatever its ASCII letter case ("devicePhysicalIDs"
/// finds devicePhysicalIds); nullptr when there is none.
const PropertyInfo* FindProperty(ObjectType type, std::string_view name);

}  // namespace groundcrew::core::rules

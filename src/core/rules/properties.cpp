#include "core/rules/properties.hpp"

#include <array>

#include "common/text.hpp"

namespace groundcrew::core::rules {
namespace {

using VT = ValueType;

// Tables are built at compile time so that element i has slot i; the static_asserts below keep
// them in step with the enums.
template <size_t N>
struct Table {
  std::array<PropertyInfo, N> items{};
  size_t filled = 0;
  constexpr void Add(std::string_view name, VT type) {
    items[filled] = PropertyInfo{name, type, static_cast<uint8_t>(filled)};
    ++filled;
  }
  constexpr void AddExtensionAttributes() {
    constexpr std::array<std::string_view, kExtensionAttributeCount> kNames = {
        "extensionAttribute1",  "extensionAttribute2",  "extensionAttribute3",
        "extensionAttribute4",  "extensionAttribute5",  "extensionAttribute6",
        "extensionAttribute7",  "extensionAttribute8",  "extensionAttribute9",
        "extensionAttribute10", "extensionAttribute11", "extensionAttribute12",
        "extensionAttribute13", "extensionAttribute14", "extensionAttribute15"};
    for (std::string_view name : kNames) Add(name, VT::kString);
  }
};

constexpr Table<kDevicePropertyCount> MakeDeviceTable() {
  Table<kDevicePropertyCount> t;
  t.Add("accountEnabled", VT::kBool);
  t.Add("deviceId", VT::kString);
  t.Add("objectId", VT::kString);
  t.Add("displayName", VT::kString);
  t.Add("deviceCategory", VT::kString);
  t.Add("deviceManufacturer", VT::kString);
  t.Add("deviceModel", VT::kString);
  t.Add("deviceOSType", VT::kString);
  t.Add("deviceOSVersion", VT::kString);
  t.Add("deviceOwnership", VT::kString);
  t.Add("deviceTrustType", VT::kString);
  t.Add("devicePhysicalIds", VT::kStringList);
  t.Add("enrollmentProfileName", VT::kString);
  t.Add("managementType", VT::kString);
  t.Add("isRooted", VT::kBool);
  t.Add("systemLabels", VT::kStringList);
  t.Add("memberOf", VT::kStringList);
  t.AddExtensionAttributes();
  return t;
}

constexpr Table<kUserPropertyCount> MakeUserTable() {
  Table<kUserPropertyCount> t;
  t.Add("accountEnabled", VT::kBool);
  t.Add("objectId", VT::kString);
  t.Add("userPrincipalName", VT::kString);
  t.Add("displayName", VT::kString);
  t.Add("givenName", VT::kString);
  t.Add("surname", VT::kString);
  t.Add("mail", VT::kString);
  t.Add("mailNickname", VT::kString);
  t.Add("department", VT::kString);
  t.Add("jobTitle", VT::kString);
  t.Add("companyName", VT::kString);
  t.Add("city", VT::kString);
  t.Add("state", VT::kString);
  t.Add("country", VT::kString);
  t.Add("usageLocation", VT::kString);
  t.Add("employeeId", VT::kString);
  t.Add("userType", VT::kString);
  t.Add("employeeHireDate", VT::kDate);
  t.Add("otherMails", VT::kStringList);
  t.Add("proxyAddresses", VT::kStringList);
  t.Add("memberOf", VT::kStringList);
  t.AddExtensionAttributes();
  return t;
}

constexpr auto kDeviceTable = MakeDeviceTable();
constexpr auto kUserTable = MakeUserTable();

static_assert(kDeviceTable.filled == kDevicePropertyCount);
static_assert(kUserTable.filled == kUserPropertyCount);
static_assert(kDeviceTable.items[SlotOf(DeviceProperty::kMemberOf)].name == "memberOf");
static_assert(kDeviceTable.items[SlotOf(DeviceProperty::kIsRooted)].name == "isRooted");
static_assert(kDeviceTable.items[DeviceExtensionSlot(15)].name == "extensionAttribute15");
static_assert(kUserTable.items[SlotOf(UserProperty::kEmployeeHireDate)].name == "employeeHireDate");
static_assert(kUserTable.items[SlotOf(UserProperty::kMemberOf)].name == "memberOf");
static_assert(kUserTable.items[UserExtensionSlot(15)].name == "extensionAttribute15");

}  // namespace

std::string_view ToString(ObjectType type) {
  return type == ObjectType::kDevice ? "device" : "user";
}

size_t PropertyCount(ObjectType type) {
  return type == ObjectType::kDevice ? kDevicePropertyCount : kUserPropertyCount;
}

std::span<const PropertyInfo> PropertiesOf(ObjectType type) {
  if (type == ObjectType::kDevice) return kDeviceTable.items;
  return kUserTable.items;
}

const PropertyInfo* FindProperty(ObjectType type, std::string_view name) {
  for (const PropertyInfo& info : PropertiesOf(type)) {
    if (text::EqualsIgnoreCase(info.name, name)) return &info;
  }
  return nullptr;
}

}  // namespace groundcrew::core::rules

#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/model/device.hpp"
#include "core/model/directory.hpp"
#include "core/rules/properties.hpp"

// What a rule is evaluated against: one object's attribute values, viewed in place. Binding
// copies no strings and allocates nothing; the bound object must outlive the view.
namespace groundcrew::core::rules {

/// One attribute value. `text` is meaningful for kString, `flag` for kBool, `items` for
/// kStringList. A kString whose text is empty, and an empty item of a collection, count as
/// null: rules cannot tell a missing attribute from an empty one.
struct AttributeValue {
  enum class Kind : uint8_t { kNull, kString, kBool, kStringList };
  Kind kind = Kind::kNull;
  bool flag = false;
  std::string_view text;
  std::span<const std::string> items;

  static AttributeValue Null() { return {}; }
  /// kNull when `value` is empty.
  static AttributeValue String(std::string_view value) {
    return value.empty() ? AttributeValue{} : AttributeValue{Kind::kString, false, value, {}};
  }
  static AttributeValue Bool(bool value) { return {Kind::kBool, value, {}, {}}; }
  static AttributeValue List(std::span<const std::string> values) {
    return {Kind::kStringList, false, {}, values};
  }
};

/// An object as rules see it. INVARIANT: values.size() == PropertyCount(type), indexed by slot.
/// A value whose kind does not fit its property's ValueType is treated as null.
struct Subject {
  ObjectType type = ObjectType::kDevice;
  std::span<const AttributeValue> values;
};

/// Entra's deviceTrustType spelling: "AzureAD", "ServerAD", "Workplace"; empty for kNone.
std::string_view DeviceTrustTypeName(TrustType trust_type);

/// A directory device bound for rule evaluation. deviceOSType reads operating_system,
/// deviceOSVersion operating_system_version, deviceManufacturer/deviceModel manufacturer/model,
/// deviceTrustType the TrustType's Entra name, memberOf `member_of`. isRooted is not modelled and
/// is always null. Holds a fixed array of slots: no heap allocation.
class DeviceAttributes {
 public:
  /// `device` and `member_of` (ids of the groups the device is a direct member of) must outlive
  /// this object and any Subject taken from it.
  DeviceAttributes(const DirectoryDevice& device, std::span<const std::string> member_of);
  DeviceAttributes(DirectoryDevice&&, std::span<const std::string>) = delete;

  Subject subject() const { return {ObjectType::kDevice, values_}; }

 private:
  std::array<AttributeValue, kDevicePropertyCount> values_;
};

/// A directory user bound for rule evaluation; see DeviceAttributes for the lifetime contract.
class UserAttributes {
 public:
  UserAttributes(const User& user, std::span<const std::string> member_of);
  UserAttributes(User&&, std::span<const std::string>) = delete;

  Subject subject() const { return {ObjectType::kUser, values_}; }

 private:
  std::array<AttributeValue, kUserPropertyCount> values_;
};

}  // namespace groundcrew::core::rules

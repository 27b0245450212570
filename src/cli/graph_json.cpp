#include "cli/graph_json.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>

#include "common/text.hpp"
#include "wire/json_limits.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

using core::rules::DeviceProperty;
using core::rules::ObjectType;
using core::rules::SlotMask;
using core::rules::SlotOf;
using core::rules::UserProperty;

constexpr int kNoSlot = -1;

// Line and column (1-based) of a byte offset.
std::pair<size_t, size_t> LineColumn(std::string_view text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// The file's text as UTF-8 (see the header for the encodings accepted).
Result<std::string> ToUtf8(std::string_view bytes, std::string_view file_name) {
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  std::string text;
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    // A lone surrogate stays invalid UTF-8, which the check below names with its position.
    text = text::Utf16ToUtf8(bytes.substr(2), bytes[0] == '\xFE' ? text::ByteOrder::kBigEndian
                                                                 : text::ByteOrder::kLittleEndian);
  } else {
    text = std::string(bytes);
  }
  if (const size_t bad = text::FindInvalidUtf8(text); bad != std::string::npos) {
    const auto [line, column] = LineColumn(text, bad);
    return MakeError(ErrorCode::kInvalidArgument,
                     "not UTF-8 text (save the export as UTF-8 or UTF-16 with a byte order mark)",
                     fmt::format("{}: line {}, column {}", file_name, line, column));
  }
  return text;
}

Result<json::array> ParseObjectList(std::string_view bytes, std::string_view file_name) {
  Result<std::string> text = ToUtf8(bytes, file_name);
  if (!text) return text.error();
  json::parse_options options;
  options.max_depth = wire::kMaxJsonDepth;
  json::stream_parser parser({}, options);
  boost::system::error_code ec;
  const size_t consumed = parser.write_some(text->data(), text->size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    const auto [line, column] = LineColumn(*text, consumed);
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("invalid JSON: {}", ec.message()),
                     fmt::format("{}: line {}, column {}", file_name, line, column));
  }
  json::value root = parser.release();
  if (root.is_array()) return std::move(root.as_array());
  if (root.is_object()) {
    for (auto& entry : root.as_object()) {  // Graph's page, Windows PowerShell's wrapper
      if (text::EqualsIgnoreCase(entry.key(), "value") && entry.value().is_array()) {
        return std::move(entry.value().as_array());
      }
    }
    return json::array{std::move(root)};  // ConvertTo-Json of a single object
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "expected an array of objects, an object with a \"value\" array or one object",
                   std::string(file_name));
}

// "/Date(1705276800000)/" (Windows PowerShell's DateTime) as ISO 8601 UTC; other text as is.
std::string IsoDate(std::string text) {
  std::string_view t = text;
  if (!t.starts_with("/Date(") || !t.ends_with(")/")) return text;
  t = t.substr(6, t.size() - 8);
  const size_t end = t.find_first_of("+-", 1);  // "/Date(ms+0100)/": the offset is display only
  const std::string_view digits = t.substr(0, end);
  long long ms = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return text;
  const auto seconds = std::chrono::sys_seconds(
      std::chrono::floor<std::chrono::seconds>(std::chrono::milliseconds(ms)));
  const auto day = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(seconds - day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

// Reads known properties of one object into fields, refusing wrong types, and records which
// rule property slots it carried (a present, non-null property).
class Reader {
 public:
  Reader(const json::object& object, std::string path, SlotMask& carried)
      : object_(object), path_(std::move(path)), carried_(carried) {
    additional_ = FindIn(object_, "AdditionalProperties");
    if (additional_ != nullptr && !additional_->is_object()) additional_ = nullptr;
  }

  Status String(std::initializer_list<std::string_view> names, int slot, std::string& out) const {
    auto [key, v] = Find(names);
    if (v == nullptr || v->is_null()) return Ok{};
    if (!v->is_string()) return WrongType(key, "a string");
    out = std::string(v->as_string());
    Carry(slot);
    return Ok{};
  }

  Status Bool(std::initializer_list<std::string_view> names, int slot, bool& out) const {
    auto [key, v] = Find(names);
    if (v == nullptr || v->is_null()) return Ok{};
    if (!v->is_bool()) return WrongType(key, "true or false");
    out = v->as_bool();
    Carry(slot);
    return Ok{};
  }

  Status Strings(std::initializer_list<std::string_view> names, int slot,
                 std::vector<std::string>& out) const {
    auto [key, v] = Find(names);
    if (v == nullptr || v->is_null()) return Ok{};
    // ConvertTo-Json writes a one-element collection as that element when it unrolls it.
    if (v->is_string()) {
      out = {std::string(v->as_string())};
      Carry(slot);
      return Ok{};
    }
    if (!v->is_array()) return WrongType(key, "an array of strings");
    std::vector<std::string> values;
    for (size_t i = 0; i < v->as_array().size(); ++i) {
      const json::value& item = v->as_array()[i];
      if (!item.is_string()) {
        return MakeError(ErrorCode::kInvalidArgument, "expected a string",
                         fmt::format("{}.{}[{}]", path_, key, i));
      }
      values.emplace_back(item.as_string());
    }
    out = std::move(values);
    Carry(slot);
    return Ok{};
  }

  // extensionAttribute1..15: nested in `container` (devices: "extensionAttributes", users:
  // "onPremisesExtensionAttributes"), or at the top level.
  Status ExtensionAttributes(std::string_view container, uint8_t first_slot,
                             std::array<std::string, 15>& out) const {
    auto [key, nested] = Find({container});
    if (nested != nullptr && !nested->is_null() && !nested->is_object()) {
      return WrongType(key, "an object");
    }
    for (size_t i = 0; i < out.size(); ++i) {
      const std::string name = fmt::format("extensionAttribute{}", i + 1);
      const int slot = first_slot + static_cast<int>(i);
      if (nested != nullptr && nested->is_object()) {
        Reader inner(nested->as_object(), fmt::format("{}.{}", path_, key), carried_);
        GC_RETURN_IF_ERROR(inner.String({name}, slot, out[i]));
      }
      GC_RETURN_IF_ERROR(String({name}, slot, out[i]));
    }
    return Ok{};
  }

 private:
  static const json::value* FindIn(const json::object& object, std::string_view key) {
    for (const auto& entry : object) {
      if (text::EqualsIgnoreCase(entry.key(), key)) return &entry.value();
    }
    return nullptr;
  }

  // The first of `names` present (at the top level, else under AdditionalProperties), with the
  // name to report.
  std::pair<std::string, const json::value*> Find(
      std::initializer_list<std::string_view> names) const {
    for (std::string_view name : names) {
      if (const json::value* v = FindIn(object_, name)) return {std::string(name), v};
    }
    if (additional_ != nullptr) {
      for (std::string_view name : names) {
        if (const json::value* v = FindIn(additional_->as_object(), name)) {
          return {fmt::format("AdditionalProperties.{}", name), v};
        }
      }
    }
    return {std::string(*names.begin()), nullptr};
  }

  void Carry(int slot) const {
    if (slot != kNoSlot) carried_ |= SlotMask{1} << slot;
  }

  Error WrongType(std::string_view key, std::string_view expected) const {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("expected {}", expected),
                     fmt::format("{}.{}", path_, key));
  }

  const json::object& object_;
  const json::value* additional_ = nullptr;
  std::string path_;
  SlotMask& carried_;
};

core::TrustType ParseTrustType(std::string_view value) {
  if (text::EqualsIgnoreCase(value, "AzureAd")) return core::TrustType::kAzureAd;
  if (text::EqualsIgnoreCase(value, "ServerAd")) return core::TrustType::kServerAd;
  if (text::EqualsIgnoreCase(value, "Workplace")) return core::TrustType::kWorkplace;
  return core::TrustType::kNone;
}

int Slot(DeviceProperty p) { return SlotOf(p); }
int Slot(UserProperty p) { return SlotOf(p); }

// Graph's names for the device rule properties whose Graph name differs.
struct Spelling {
  DeviceProperty property;
  std::string_view graph;
};
constexpr Spelling kDeviceSpellings[] = {
    {DeviceProperty::kObjectId, "id"},
    {DeviceProperty::kDeviceManufacturer, "manufacturer"},
    {DeviceProperty::kDeviceModel, "model"},
    {DeviceProperty::kDeviceOsType, "operatingSystem"},
    {DeviceProperty::kDeviceOsVersion, "operatingSystemVersion"},
    {DeviceProperty::kDeviceTrustType, "trustType"},
    {DeviceProperty::kDevicePhysicalIds, "physicalIds"},
};

}  // namespace

std::string GraphSpellingOf(ObjectType type, std::uint8_t slot) {
  const std::string_view rule_name = core::rules::PropertiesOf(type)[slot].name;
  if (type == ObjectType::kDevice) {
    for (const Spelling& s : kDeviceSpellings) {
      if (SlotOf(s.property) == slot) return std::string(s.graph);
    }
    if (slot >= core::rules::DeviceExtensionSlot(1)) {
      return fmt::format("extensionAttributes.{}", rule_name);
    }
  } else {
    if (slot == SlotOf(UserProperty::kObjectId)) return "id";
    if (slot >= core::rules::UserExtensionSlot(1)) {
      return fmt::format("onPremisesExtensionAttributes.{}", rule_name);
    }
  }
  return std::string(rule_name);
}

std::string_view TrustTypeName(core::TrustType type) {
  switch (type) {
    case core::TrustType::kNone:
      return "";
    case core::TrustType::kAzureAd:
      return "AzureAd";
    case core::TrustType::kServerAd:
      return "ServerAd";
    case core::TrustType::kWorkplace:
      return "Workplace";
  }
  return "";
}

Result<GraphObjects<core::DirectoryDevice>> ParseGraphDevices(std::string_view json_text,
                                                              std::string_view file_name) {
  auto list = ParseObjectList(json_text, file_name);
  if (!list) return list.error();
  GraphObjects<core::DirectoryDevice> out;
  out.objects.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = fmt::format("value[{}]", i);
    if (!(*list)[i].is_object()) {
      return MakeError(ErrorCode::kInvalidArgument, "expected a device object",
                       fmt::format("{}: {}", file_name, path));
    }
    const Reader r((*list)[i].as_object(), fmt::format("{}: {}", file_name, path), out.carried);
    using P = DeviceProperty;
    core::DirectoryDevice d;
    std::string id, trust;
    GC_RETURN_IF_ERROR(r.String({"id", "objectId"}, Slot(P::kObjectId), id));
    d.id = core::DirectoryObjectId{id};
    GC_RETURN_IF_ERROR(r.String({"deviceId"}, Slot(P::kDeviceId), d.device_id));
    GC_RETURN_IF_ERROR(r.String({"displayName"}, Slot(P::kDisplayName), d.display_name));
    GC_RETURN_IF_ERROR(r.Bool({"accountEnabled"}, Slot(P::kAccountEnabled), d.account_enabled));
    // Graph writes physicalIds; devicePhysicalIds is the rule's name, accepted too.
    GC_RETURN_IF_ERROR(r.Strings({"physicalIds", "devicePhysicalIds"}, Slot(P::kDevicePhysicalIds),
                                 d.device_physical_ids));
    GC_RETURN_IF_ERROR(r.String({"manufacturer", "deviceManufacturer"},
                                Slot(P::kDeviceManufacturer), d.manufacturer));
    GC_RETURN_IF_ERROR(r.String({"model", "deviceModel"}, Slot(P::kDeviceModel), d.model));
    GC_RETURN_IF_ERROR(
        r.String({"operatingSystem", "deviceOSType"}, Slot(P::kDeviceOsType), d.operating_system));
    GC_RETURN_IF_ERROR(r.String({"operatingSystemVersion", "deviceOSVersion"},
                                Slot(P::kDeviceOsVersion), d.operating_system_version));
    GC_RETURN_IF_ERROR(
        r.String({"trustType", "deviceTrustType"}, Slot(P::kDeviceTrustType), trust));
    d.trust_type = ParseTrustType(trust);
    GC_RETURN_IF_ERROR(
        r.String({"deviceOwnership"}, Slot(P::kDeviceOwnership), d.device_ownership));
    GC_RETURN_IF_ERROR(r.String({"enrollmentProfileName"}, Slot(P::kEnrollmentProfileName),
                                d.enrollment_profile_name));
    GC_RETURN_IF_ERROR(r.String({"deviceCategory"}, Slot(P::kDeviceCategory), d.device_category));
    GC_RETURN_IF_ERROR(r.String({"managementType"}, Slot(P::kManagementType), d.management_type));
    GC_RETURN_IF_ERROR(r.Bool({"isManaged"}, kNoSlot, d.is_managed));
    GC_RETURN_IF_ERROR(r.Bool({"isCompliant"}, kNoSlot, d.is_compliant));
    GC_RETURN_IF_ERROR(r.Strings({"systemLabels"}, Slot(P::kSystemLabels), d.system_labels));
    GC_RETURN_IF_ERROR(r.ExtensionAttributes(
        "extensionAttributes", core::rules::DeviceExtensionSlot(1), d.extension_attributes));
    out.objects.push_back(std::move(d));
  }
  return out;
}

Result<GraphObjects<core::User>> ParseGraphUsers(std::string_view json_text,
                                                 std::string_view file_name) {
  auto list = ParseObjectList(json_text, file_name);
  if (!list) return list.error();
  GraphObjects<core::User> out;
  out.objects.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = fmt::format("value[{}]", i);
    if (!(*list)[i].is_object()) {
      return MakeError(ErrorCode::kInvalidArgument, "expected a user object",
                       fmt::format("{}: {}", file_name, path));
    }
    const Reader r((*list)[i].as_object(), fmt::format("{}: {}", file_name, path), out.carried);
    using P = UserProperty;
    core::User u;
    std::string id;
    GC_RETURN_IF_ERROR(r.String({"id", "objectId"}, Slot(P::kObjectId), id));
    u.id = core::UserId{id};
    GC_RETURN_IF_ERROR(
        r.String({"userPrincipalName"}, Slot(P::kUserPrincipalName), u.user_principal_name));
    GC_RETURN_IF_ERROR(r.String({"displayName"}, Slot(P::kDisplayName), u.display_name));
    GC_RETURN_IF_ERROR(r.Bool({"accountEnabled"}, Slot(P::kAccountEnabled), u.account_enabled));
    GC_RETURN_IF_ERROR(r.String({"givenName"}, Slot(P::kGivenName), u.given_name));
    GC_RETURN_IF_ERROR(r.String({"surname"}, Slot(P::kSurname), u.surname));
    GC_RETURN_IF_ERROR(r.String({"mail"}, Slot(P::kMail), u.mail));
    GC_RETURN_IF_ERROR(r.String({"mailNickname"}, Slot(P::kMailNickname), u.mail_nickname));
    GC_RETURN_IF_ERROR(r.String({"department"}, Slot(P::kDepartment), u.department));
    GC_RETURN_IF_ERROR(r.String({"jobTitle"}, Slot(P::kJobTitle), u.job_title));
    GC_RETURN_IF_ERROR(r.String({"companyName"}, Slot(P::kCompanyName), u.company_name));
    GC_RETURN_IF_ERROR(r.String({"city"}, Slot(P::kCity), u.city));
    GC_RETURN_IF_ERROR(r.String({"state"}, Slot(P::kState), u.state));
    GC_RETURN_IF_ERROR(r.String({"country"}, Slot(P::kCountry), u.country));
    GC_RETURN_IF_ERROR(r.String({"usageLocation"}, Slot(P::kUsageLocation), u.usage_location));
    GC_RETURN_IF_ERROR(r.String({"employeeId"}, Slot(P::kEmployeeId), u.employee_id));
    GC_RETURN_IF_ERROR(r.String({"userType"}, Slot(P::kUserType), u.user_type));
    GC_RETURN_IF_ERROR(
        r.String({"employeeHireDate"}, Slot(P::kEmployeeHireDate), u.employee_hire_date));
    u.employee_hire_date = IsoDate(std::move(u.employee_hire_date));
    GC_RETURN_IF_ERROR(r.Strings({"otherMails"}, Slot(P::kOtherMails), u.other_mails));
    GC_RETURN_IF_ERROR(r.Strings({"proxyAddresses"}, Slot(P::kProxyAddresses), u.proxy_addresses));
    GC_RETURN_IF_ERROR(r.ExtensionAttributes("onPremisesExtensionAttributes",
                                             core::rules::UserExtensionSlot(1),
                                             u.extension_attributes));
    out.objects.push_back(std::move(u));
  }
  return out;
}

}  // namespace groundcrew::cli

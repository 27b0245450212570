#include "cli/graph_json.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "common/text.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

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

Result<json::array> ParseObjectList(std::string_view text, std::string_view file_name) {
  json::stream_parser parser;
  boost::system::error_code ec;
  const size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    const auto [line, column] = LineColumn(text, consumed);
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("invalid JSON: {}", ec.message()),
                     fmt::format("{}: line {}, column {}", file_name, line, column));
  }
  json::value root = parser.release();
  if (root.is_array()) return std::move(root.as_array());
  if (root.is_object()) {
    if (auto* value = root.as_object().if_contains("value"); value && value->is_array()) {
      return std::move(value->as_array());
    }
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   "expected an array of objects or an object with a \"value\" array",
                   std::string(file_name));
}

// Reads known properties of one object into fields, refusing wrong types.
class Reader {
 public:
  Reader(const json::object& object, std::string path) : object_(object), path_(std::move(path)) {}

  Status String(std::string_view key, std::string& out) const {
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return Ok{};
    if (!v->is_string()) return WrongType(key, "a string");
    out = std::string(v->as_string());
    return Ok{};
  }

  Status Bool(std::string_view key, bool& out) const {
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return Ok{};
    if (!v->is_bool()) return WrongType(key, "true or false");
    out = v->as_bool();
    return Ok{};
  }

  Status Strings(std::string_view key, std::vector<std::string>& out) const {
    const json::value* v = Find(key);
    if (v == nullptr || v->is_null()) return Ok{};
    if (!v->is_array()) return WrongType(key, "an array of strings");
    for (size_t i = 0; i < v->as_array().size(); ++i) {
      const json::value& item = v->as_array()[i];
      if (!item.is_string()) {
        return MakeError(ErrorCode::kInvalidArgument, "expected a string",
                         fmt::format("{}.{}[{}]", path_, key, i));
      }
      out.emplace_back(item.as_string());
    }
    return Ok{};
  }

  // extensionAttributes: {"extensionAttribute1": "...", ...} (Graph devices) or top-level
  // extensionAttributeN properties (users' onPremisesExtensionAttributes are flattened too).
  Status ExtensionAttributes(std::array<std::string, 15>& out) const {
    const json::value* nested = Find("extensionAttributes");
    if (nested == nullptr) nested = Find("onPremisesExtensionAttributes");
    if (nested != nullptr && !nested->is_null() && !nested->is_object()) {
      return WrongType("extensionAttributes", "an object");
    }
    for (size_t i = 0; i < out.size(); ++i) {
      const std::string key = fmt::format("extensionAttribute{}", i + 1);
      if (nested != nullptr && nested->is_object()) {
        Reader inner(nested->as_object(), path_ + ".extensionAttributes");
        if (auto s = inner.String(key, out[i]); !s) return s;
      }
      if (auto s = String(key, out[i]); !s) return s;
    }
    return Ok{};
  }

 private:
  // Graph property names are matched case-insensitively, as rules match them.
  const json::value* Find(std::string_view key) const {
    for (const auto& entry : object_) {
      if (text::EqualsIgnoreCase(entry.key(), key)) return &entry.value();
    }
    return nullptr;
  }

  Error WrongType(std::string_view key, std::string_view expected) const {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("expected {}", expected),
                     fmt::format("{}.{}", path_, key));
  }

  const json::object& object_;
  std::string path_;
};

core::TrustType ParseTrustType(std::string_view value) {
  if (text::EqualsIgnoreCase(value, "AzureAd")) return core::TrustType::kAzureAd;
  if (text::EqualsIgnoreCase(value, "ServerAd")) return core::TrustType::kServerAd;
  if (text::EqualsIgnoreCase(value, "Workplace")) return core::TrustType::kWorkplace;
  return core::TrustType::kNone;
}

}  // namespace

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

Result<std::vector<core::DirectoryDevice>> ParseGraphDevices(std::string_view json_text,
                                                             std::string_view file_name) {
  auto list = ParseObjectList(json_text, file_name);
  if (!list) return list.error();
  std::vector<core::DirectoryDevice> devices;
  devices.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = fmt::format("value[{}]", i);
    if (!(*list)[i].is_object()) {
      return MakeError(ErrorCode::kInvalidArgument, "expected a device object",
                       fmt::format("{}: {}", file_name, path));
    }
    const Reader r((*list)[i].as_object(), fmt::format("{}: {}", file_name, path));
    core::DirectoryDevice d;
    std::string id, trust;
    GC_RETURN_IF_ERROR(r.String("id", id));
    if (id.empty()) GC_RETURN_IF_ERROR(r.String("objectId", id));
    d.id = core::DirectoryObjectId{id};
    GC_RETURN_IF_ERROR(r.String("deviceId", d.device_id));
    GC_RETURN_IF_ERROR(r.String("displayName", d.display_name));
    GC_RETURN_IF_ERROR(r.Bool("accountEnabled", d.account_enabled));
    GC_RETURN_IF_ERROR(r.Strings("devicePhysicalIds", d.device_physical_ids));
    GC_RETURN_IF_ERROR(r.String("manufacturer", d.manufacturer));
    GC_RETURN_IF_ERROR(r.String("model", d.model));
    GC_RETURN_IF_ERROR(r.String("operatingSystem", d.operating_system));
    GC_RETURN_IF_ERROR(r.String("operatingSystemVersion", d.operating_system_version));
    GC_RETURN_IF_ERROR(r.String("trustType", trust));
    d.trust_type = ParseTrustType(trust);
    GC_RETURN_IF_ERROR(r.String("deviceOwnership", d.device_ownership));
    GC_RETURN_IF_ERROR(r.String("enrollmentProfileName", d.enrollment_profile_name));
    GC_RETURN_IF_ERROR(r.String("deviceCategory", d.device_category));
    GC_RETURN_IF_ERROR(r.String("managementType", d.management_type));
    GC_RETURN_IF_ERROR(r.Bool("isManaged", d.is_managed));
    GC_RETURN_IF_ERROR(r.Bool("isCompliant", d.is_compliant));
    GC_RETURN_IF_ERROR(r.Strings("systemLabels", d.system_labels));
    GC_RETURN_IF_ERROR(r.ExtensionAttributes(d.extension_attributes));
    devices.push_back(std::move(d));
  }
  return devices;
}

Result<std::vector<core::User>> ParseGraphUsers(std::string_view json_text,
                                                std::string_view file_name) {
  auto list = ParseObjectList(json_text, file_name);
  if (!list) return list.error();
  std::vector<core::User> users;
  users.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = fmt::format("value[{}]", i);
    if (!(*list)[i].is_object()) {
      return MakeError(ErrorCode::kInvalidArgument, "expected a user object",
                       fmt::format("{}: {}", file_name, path));
    }
    const Reader r((*list)[i].as_object(), fmt::format("{}: {}", file_name, path));
    core::User u;
    std::string id;
    GC_RETURN_IF_ERROR(r.String("id", id));
    u.id = core::UserId{id};
    GC_RETURN_IF_ERROR(r.String("userPrincipalName", u.user_principal_name));
    GC_RETURN_IF_ERROR(r.String("displayName", u.display_name));
    GC_RETURN_IF_ERROR(r.Bool("accountEnabled", u.account_enabled));
    GC_RETURN_IF_ERROR(r.String("givenName", u.given_name));
    GC_RETURN_IF_ERROR(r.String("surname", u.surname));
    GC_RETURN_IF_ERROR(r.String("mail", u.mail));
    GC_RETURN_IF_ERROR(r.String("mailNickname", u.mail_nickname));
    GC_RETURN_IF_ERROR(r.String("department", u.department));
    GC_RETURN_IF_ERROR(r.String("jobTitle", u.job_title));
    GC_RETURN_IF_ERROR(r.String("companyName", u.company_name));
    GC_RETURN_IF_ERROR(r.String("city", u.city));
    GC_RETURN_IF_ERROR(r.String("state", u.state));
    GC_RETURN_IF_ERROR(r.String("country", u.country));
    GC_RETURN_IF_ERROR(r.String("usageLocation", u.usage_location));
    GC_RETURN_IF_ERROR(r.String("employeeId", u.employee_id));
    GC_RETURN_IF_ERROR(r.String("userType", u.user_type));
    GC_RETURN_IF_ERROR(r.String("employeeHireDate", u.employee_hire_date));
    GC_RETURN_IF_ERROR(r.Strings("otherMails", u.other_mails));
    GC_RETURN_IF_ERROR(r.Strings("proxyAddresses", u.proxy_addresses));
    GC_RETURN_IF_ERROR(r.ExtensionAttributes(u.extension_attributes));
    users.push_back(std::move(u));
  }
  return users;
}

#undef GC_TRY

}  // namespace groundcrew::cli

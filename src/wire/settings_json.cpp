#include "wire/settings_json.hpp"

#include <fmt/format.h>

#include "wire/json_reader.hpp"

namespace groundcrew::wire {
namespace {

namespace json = boost::json;
using core::SettingType;

std::string_view TypeName(SettingType type) {
  switch (type) {
    case SettingType::kBool:
      return "bool";
    case SettingType::kInteger:
      return "integer";
    case SettingType::kChoice:
      return "choice";
    case SettingType::kText:
      return "text";
    case SettingType::kList:
      return "list";
    case SettingType::kPortList:
      return "portList";
  }
  return "";
}

// The JSON value as the setting's type, or the problem.
Result<core::SettingValue> ReadValue(const core::SettingDefinition& setting,
                                     const json::value& value, const std::string& path) {
  switch (setting.type) {
    case SettingType::kBool: {
      bool b = false;
      GC_RETURN_IF_ERROR(internal::ReadBool(value, path, b));
      return core::SettingValue(b);
    }
    case SettingType::kInteger: {
      long long n = 0;
      GC_RETURN_IF_ERROR(internal::ReadInteger(value, path, std::numeric_limits<long long>::min(),
                                               std::numeric_limits<long long>::max(), n));
      return core::SettingValue(static_cast<std::int64_t>(n));
    }
    case SettingType::kChoice:
    case SettingType::kText: {
      std::string s;
      GC_RETURN_IF_ERROR(internal::ReadString(value, path, s));
      return core::SettingValue(std::move(s));
    }
    case SettingType::kList: {
      std::vector<std::string> names;
      GC_RETURN_IF_ERROR(internal::ReadStrings(value, path, names));
      return core::SettingValue(std::move(names));
    }
    case SettingType::kPortList: {
      if (!value.is_array()) {
        return internal::Invalid(
            path, "expected an array of port numbers, found " + internal::Describe(value));
      }
      std::vector<std::int64_t> ports;
      for (std::size_t i = 0; i < value.as_array().size(); ++i) {
        long long port = 0;
        GC_RETURN_IF_ERROR(internal::ReadInteger(value.as_array()[i], internal::IndexPath(path, i),
                                                 std::numeric_limits<long long>::min(),
                                                 std::numeric_limits<long long>::max(), port));
        ports.push_back(port);
      }
      return core::SettingValue(std::move(ports));
    }
  }
  return internal::Invalid(path, "has a type the catalog does not know");
}

}  // namespace

core::PolicySettings DecodePolicySettings(const json::object& settings,
                                          std::vector<Error>& problems) {
  core::PolicySettings out;
  for (const auto& [key, value] : settings) {
    const std::string path = internal::JoinPath("settings", key);
    const core::SettingDefinition* setting = core::FindSetting(key);
    if (setting == nullptr) {
      problems.push_back(internal::Invalid(
          path, "is not a setting of the catalog (docs/agent.md, \"Settings catalog\")"));
      continue;
    }
    Result<core::SettingValue> read = ReadValue(*setting, value, path);
    if (!read) {
      problems.push_back(read.error());
      continue;
    }
    if (Status valid = core::ValidateSetting(*setting, *read); !valid) {
      problems.push_back(internal::Invalid(path, valid.error().message));
      continue;
    }
    out.emplace(std::string(key), std::move(*read));
  }
  return out;
}

json::value EncodeSettingValue(const core::SettingValue& value) {
  struct Encoder {
    json::value operator()(bool b) const { return b; }
    json::value operator()(std::int64_t n) const { return n; }
    json::value operator()(const std::string& s) const { return json::string(s); }
    json::value operator()(const std::vector<std::string>& names) const {
      json::array out;
      for (const std::string& name : names) out.emplace_back(name);
      return out;
    }
    json::value operator()(const std::vector<std::int64_t>& numbers) const {
      json::array out;
      for (std::int64_t n : numbers) out.emplace_back(n);
      return out;
    }
  };
  return std::visit(Encoder{}, value);
}

json::object EncodePolicySettings(const core::PolicySettings& settings) {
  json::object out;
  for (const auto& [id, value] : settings) out[id] = EncodeSettingValue(value);
  return out;
}

json::array SettingsCatalogJson() {
  json::array out;
  for (const core::SettingDefinition& setting : core::SettingsCatalog()) {
    json::object o{{"id", setting.id},
                   {"title", setting.title},
                   {"description", setting.description},
                   {"type", TypeName(setting.type)}};
    if (setting.type == SettingType::kInteger) {
      o["minimum"] = setting.minimum;
      o["maximum"] = setting.maximum;
    }
    if (!setting.choices.empty()) {
      json::array choices;
      for (std::string_view choice : setting.choices) choices.emplace_back(choice);
      o["choices"] = std::move(choices);
    }
    if (setting.item_format == core::NameFormat::kHostName) o["format"] = "hostName";
    if (setting.item_format == core::NameFormat::kUserName) o["format"] = "userName";
    if (setting.max_length > 0) o["maxLength"] = setting.max_length;
    if (setting.max_items > 0) o["maxItems"] = setting.max_items;
    o["default"] = EncodeSettingValue(setting.default_value);
    o["scope"] = setting.scope == core::SettingScope::kUser ? "user" : "device";
    o["writes"] = setting.writes;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace groundcrew::wire

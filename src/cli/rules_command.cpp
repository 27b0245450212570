#include <fmt/format.h>

#include <boost/json.hpp>
#include <fstream>
#include <ostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/graph_json.hpp"
#include "cli/read_file.hpp"
#include "cli/render.hpp"
#include "cli/report.hpp"
#include "cli/table.hpp"
#include "core/rules/parser.hpp"
#include "core/rules/rule.hpp"
#include "core/rules/subject.hpp"

namespace groundcrew::cli {
namespace {

// Prints the rule with a caret under the position (1-based), windowed for long rules.
void ShowPosition(std::ostream& err, std::string_view rule, size_t position) {
  if (position == 0) return;
  constexpr size_t kWindow = 60;
  size_t begin = position > kWindow ? position - kWindow : 0;
  const size_t end = std::min(rule.size(), position + 20);
  std::string line(rule.substr(begin, end - begin));
  for (char& c : line) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  err << "  " << (begin > 0 ? "..." : "") << line << '\n';
  err << "  " << std::string((begin > 0 ? 3 : 0) + (position - 1 - begin), ' ') << "^\n";
}

struct Row {
  std::string id, name;
  bool matches = false;
};

// One line per rule property no input object carries: the rule then sees its default (empty,
// false) on every object, which is rarely what was meant (a Graph export read with the wrong
// property names matches nothing).
std::vector<std::string> MissingPropertyWarnings(const core::rules::CompiledRule& rule,
                                                 core::rules::SlotMask carried,
                                                 std::string_view file, size_t objects) {
  std::vector<std::string> warnings;
  const core::rules::ObjectType type = rule.object_type();
  const std::string_view kind = core::rules::ToString(type);
  const core::rules::SlotMask missing = rule.referenced_slots() & ~carried;
  const auto properties = core::rules::PropertiesOf(type);
  for (const core::rules::PropertyInfo& property : properties) {
    if ((missing & (core::rules::SlotMask{1} << property.slot)) == 0) continue;
    if (property.name == "memberOf") {
      warnings.push_back(fmt::format(
          "the rule reads {}.memberOf, which rules validate cannot know (it reads no group "
          "memberships): it is empty for every {}",
          kind, kind));
      continue;
    }
    warnings.push_back(fmt::format(
        "the rule reads {}.{}, but none of the {} objects in {} has {}: it is "
        "empty or its default for every {}",
        kind, property.name, objects, file, GraphSpellingOf(type, property.slot), kind));
  }
  return warnings;
}

}  // namespace

int RulesValidate(const RulesValidateOptions& options, std::ostream& out, std::ostream& err) {
  auto rule = core::rules::CompileRule(options.rule);
  if (!rule) {
    if (options.json) return ReportError(rule.error(), 2, true, out, err);
    const size_t position = core::rules::ErrorPosition(rule.error()).value_or(0);
    err << "error: invalid rule" << (position ? fmt::format(" at position {}", position) : "")
        << ": " << rule.error().message << '\n';
    ShowPosition(err, options.rule, position);
    return 2;
  }
  const bool device_rule = rule->object_type() == core::rules::ObjectType::kDevice;
  const std::string& file = device_rule ? options.devices_file : options.users_file;
  if (file.empty()) {
    return ReportError(MakeError(ErrorCode::kInvalidArgument,
                                 fmt::format("this is a {0} rule; pass {1} FILE.json",
                                             device_rule ? "device" : "user",
                                             device_rule ? "--devices" : "--users"),
                                 device_rule ? "--devices" : "--users"),
                       1, options.json, out, err);
  }
  auto bytes = ReadWholeFile(file);
  if (!bytes) return ReportError(bytes.error(), 1, options.json, out, err);

  std::vector<Row> rows;
  core::rules::SlotMask carried = 0;
  if (device_rule) {
    auto devices = ParseGraphDevices(*bytes, file);
    if (!devices) return ReportError(devices.error(), 1, options.json, out, err);
    carried = devices->carried;
    for (const core::DirectoryDevice& device : devices->objects) {
      core::rules::DeviceAttributes attributes(device, {});
      rows.push_back({device.id.value(), device.display_name, rule->Matches(attributes.subject())});
    }
  } else {
    auto users = ParseGraphUsers(*bytes, file);
    if (!users) return ReportError(users.error(), 1, options.json, out, err);
    carried = users->carried;
    for (const core::User& user : users->objects) {
      core::rules::UserAttributes attributes(user, {});
      rows.push_back(
          {user.id.value(), user.user_principal_name, rule->Matches(attributes.subject())});
    }
  }
  const size_t matched =
      std::count_if(rows.begin(), rows.end(), [](const Row& r) { return r.matches; });
  const std::vector<std::string> warnings =
      MissingPropertyWarnings(*rule, carried, file, rows.size());
  for (const std::string& warning : warnings) err << "warning: " << warning << '\n';

  if (options.json) {
    boost::json::object doc;
    doc["rule"] = rule->ToString();
    doc["objectType"] = device_rule ? "device" : "user";
    doc["evaluated"] = rows.size();
    doc["matched"] = matched;
    boost::json::array results;
    for (const Row& row : rows) {
      results.push_back(
          boost::json::object{{"id", row.id},
                              {device_rule ? "displayName" : "userPrincipalName", row.name},
                              {"matches", row.matches}});
    }
    doc["results"] = std::move(results);
    boost::json::array warning_list;
    for (const std::string& warning : warnings) warning_list.emplace_back(warning);
    doc["warnings"] = std::move(warning_list);
    out << JsonText(doc) << '\n';
    return 0;
  }
  out << "rule  " << rule->ToString() << '\n' << '\n';
  Table table({"MATCH", device_rule ? "DISPLAY NAME" : "USER PRINCIPAL NAME", "ID"});
  for (const Row& row : rows) table.Add({row.matches ? "yes" : "no", row.name, row.id});
  table.Print(out);
  out << '\n'
      << fmt::format("{} of {} {} match.", matched, rows.size(), device_rule ? "devices" : "users")
      << '\n';
  return 0;
}

}  // namespace groundcrew::cli

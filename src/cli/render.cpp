#include "cli/render.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <functional>
#include <map>
#include <ostream>
#include <sstream>

#include "cli/table.hpp"
#include "common/text.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

const json::value* Find(const json::value& value, std::string_view path) {
  const json::value* current = &value;
  while (true) {
    const json::object* object = current->if_object();
    if (!object) return nullptr;
    const size_t dot = path.find('.');
    current = object->if_contains(path.substr(0, dot));
    if (!current || dot == std::string_view::npos) return current;
    path.remove_prefix(dot + 1);
  }
}

bool Flag(const json::value& value, std::string_view path) {
  const json::value* found = Find(value, path);
  return found && found->is_bool() && found->as_bool();
}

const json::array& ArrayAt(const json::value& value, std::string_view path) {
  static const json::array kEmpty;
  const json::value* found = Find(value, path);
  return found && found->is_array() ? found->as_array() : kEmpty;
}

bool IsScalar(const json::value& v) { return !v.is_object() && !v.is_array(); }

std::string ScalarText(const json::value& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return text::ShowControls(v.as_string());
  if (v.is_bool()) return v.as_bool() ? "yes" : "no";
  return JsonText(v);
}

std::string ValueText(const json::value& v) {
  if (IsScalar(v)) return ScalarText(v);
  if (v.is_array()) {
    const json::array& array = v.as_array();
    if (std::all_of(array.begin(), array.end(), [](const json::value& e) { return IsScalar(e); })) {
      std::string text;
      for (const auto& e : array) {
        if (!text.empty()) text += ", ";
        text += ScalarText(e);
      }
      return text;
    }
  }
  return JsonText(v);
}

// Prints `table` with every line prefixed by `indent`.
void PrintIndented(const Table& table, std::string_view indent, std::ostream& out) {
  std::ostringstream text;
  table.Print(text);
  std::istringstream lines(text.str());
  for (std::string line; std::getline(lines, line);) out << indent << line << '\n';
}

// "activityDateTime" -> "ACTIVITY DATE TIME".
std::string HeaderFor(std::string_view key) {
  std::string header;
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    if (i > 0 && std::isupper(static_cast<unsigned char>(c)) &&
        !std::isupper(static_cast<unsigned char>(key[i - 1]))) {
      header += ' ';
    }
    header += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return header;
}

std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

Color SeverityColor(std::string_view severity) {
  if (severity == "error") return Color::kRed;
  if (severity == "warning") return Color::kYellow;
  return Color::kDim;
}

// ---------------------------------------------------------------------------------------------
// Plans

void RenderPhase(const json::value& phase, std::string_view title,
                 const std::map<std::string, std::string>& names, const Style& style,
                 std::ostream& out) {
  const json::value* timeout = Find(phase, "timeoutInMinutes");
  out << "  " << title;
  if (timeout && !timeout->is_null()) out << " (timeout " << ScalarText(*timeout) << " min)";
  out << '\n';
  const json::array& items = ArrayAt(phase, "items");
  if (items.empty()) {
    out << "    nothing to install\n";
    return;
  }
  Table table({"KIND", "NAME", "VERSION", "BLOCKING", "DEFERRED", "REASON", "NOTES"});
  for (const json::value& item : items) {
    std::vector<std::string> notes;
    if (Flag(item, "autoDependency")) notes.emplace_back("auto dependency");
    if (Flag(item, "fromAssignedUser")) notes.emplace_back("assigned user's app");
    if (CellText(item, "context") == "user") notes.emplace_back("user context");
    std::string after;
    for (const json::value& dependency : ArrayAt(item, "dependsOn")) {
      const std::string id = ScalarText(dependency);
      auto name = names.find(id);
      after += (after.empty() ? "" : ", ") + (name != names.end() ? name->second : id);
    }
    if (!after.empty()) notes.push_back("after " + after);
    const std::string plan_error = CellText(item, "planError");
    if (!plan_error.empty()) {
      notes.push_back(style.Paint("plan error: " + plan_error, Color::kRed));
    }
    std::string note_text;
    for (const auto& note : notes) note_text += (note_text.empty() ? "" : "; ") + note;
    table.Add({CellText(item, "kind"), CellText(item, "displayName"), CellText(item, "version"),
               Flag(item, "blocking") ? "yes" : "no", Flag(item, "deferred") ? "yes" : "no",
               CellText(item, "reason"), note_text});
  }
  PrintIndented(table, "    ", out);
}

// "2026-12-06T15:04:05Z" -> "2026-12-06 15:04 UTC"; other text as it is.
std::string MinuteText(const std::string& timestamp) {
  if (timestamp.size() != 20 || timestamp[10] != 'T' || timestamp.back() != 'Z') return timestamp;
  return timestamp.substr(0, 10) + " " + timestamp.substr(11, 5) + " UTC";
}

// What the plan document's user flow was planned from ("userFlowBasis"), as one sentence.
std::string UserFlowBasisText(const json::value& plan) {
  const std::string serial = CellText(plan, "serialNumber");
  if (CellText(plan, "userFlowBasis") == "reportedInventory") {
    const json::value* inventory = Find(plan, "reportedInventory");
    if (inventory && inventory->is_object()) {
      return fmt::format("Based on the inventory {} reported at {} after its {} flow", serial,
                         MinuteText(CellText(*inventory, "reportedDateTime")),
                         CellText(*inventory, "flow"));
    }
  }
  return fmt::format(
      "Assumes a clean technician flow: {} has not reported an inventory after a flow", serial);
}

// One flow's ESP plan under its heading; `basis` (when not empty) is a line saying what the
// plan was computed from.
void RenderEspPlan(const json::value* plan, std::string_view flow, std::string_view basis,
                   const Style& style, std::ostream& out) {
  out << '\n';
  if (!plan || !plan->is_object()) {
    out << style.Paint(fmt::format("{} flow", flow), Color::kBold)
        << ": none (no user: no assigned user and no --user)\n";
    return;
  }
  std::string profile = CellText(*plan, "espProfileName");
  if (profile.empty()) profile = "(none)";
  out << style.Paint(fmt::format("{} flow", flow), Color::kBold) << ": ESP profile " << profile;
  std::vector<std::string> traits;
  traits.emplace_back(Flag(*plan, "showInstallationProgress") ? "progress shown"
                                                              : "progress not shown");
  if (Flag(*plan, "blockDeviceUse")) traits.emplace_back("device use blocked until done");
  if (Flag(*plan, "installQualityUpdates")) traits.emplace_back("quality updates installed");
  std::string trait_text;
  for (const auto& t : traits) trait_text += (trait_text.empty() ? "" : ", ") + t;
  out << " (" << trait_text << ")\n";
  if (!basis.empty()) out << "  " << basis << '\n';

  if (const json::value* options = Find(*plan, "errorOptions"); options && options->is_object()) {
    std::vector<std::string> offered;
    if (Flag(*options, "tryAgain")) offered.emplace_back("try again");
    if (Flag(*options, "reset")) offered.emplace_back("reset");
    if (Flag(*options, "continueAnyway")) offered.emplace_back("continue anyway");
    if (Flag(*options, "collectLogs")) offered.emplace_back("collect logs");
    std::string text;
    for (const auto& o : offered) text += (text.empty() ? "" : ", ") + o;
    out << "  On error: " << (text.empty() ? "no options" : text) << '\n';
  }

  // Item ids to names, so "dependsOn" reads as names.
  std::map<std::string, std::string> names;
  for (const char* phase : {"deviceSetup", "accountSetup"}) {
    if (const json::value* p = Find(*plan, phase)) {
      for (const json::value& item : ArrayAt(*p, "items")) {
        names.emplace(CellText(item, "id"), CellText(item, "displayName"));
      }
    }
  }
  if (const json::value* device = Find(*plan, "deviceSetup"); device && device->is_object()) {
    RenderPhase(*device, "Device setup", names, style, out);
  }
  if (const json::value* account = Find(*plan, "accountSetup"); account && account->is_object()) {
    RenderPhase(*account, "Account setup", names, style, out);
  }
}

// ---------------------------------------------------------------------------------------------
// Lists

struct Column {
  const char* header;
  std::vector<const char*> keys;  ///< the first present one is shown
  /// Computes the cell instead of `keys` when set.
  std::string (*cell)(const json::value& item) = nullptr;
};

// An assignment's target in words: "group", "exclude group", "all devices", "all users".
std::string TargetKind(const json::value& item) {
  const json::object* object = item.if_object();
  const json::value* target = object ? object->if_contains("target") : nullptr;
  // Not CellText (its paths are dotted): the key itself has a dot.
  const json::value* type_value = target != nullptr && target->is_object()
                                      ? target->as_object().if_contains("@odata.type")
                                      : nullptr;
  const std::string type =
      type_value != nullptr && type_value->is_string() ? std::string(type_value->as_string()) : "";
  if (type.find("exclusionGroup") != std::string::npos) return "exclude group";
  if (type.find("allDevices") != std::string::npos) return "all devices";
  if (type.find("allLicensedUsers") != std::string::npos) return "all users";
  if (type.find("group") != std::string::npos) return "group";
  return type;
}

std::string MemberType(const json::value& item) {
  std::string type = CellText(item, "@odata.type");
  if (!type.empty()) {
    const size_t dot = type.find_last_of('.');
    return dot == std::string::npos ? type : type.substr(dot + 1);
  }
  if (Find(item, "userPrincipalName")) return "user";
  return "device";
}

// A group's membership: "assigned" or "dynamic" (from its rule when the server does not say).
std::string Membership(const json::value& group) {
  std::string membership = CellText(group, "membershipKind");
  if (!membership.empty()) return membership;
  return CellText(group, "membershipRule").empty() ? "assigned" : "dynamic";
}

// A device's latest deployment: its state, else "-" (no flow has run).
std::string DeploymentCell(const json::value& device) {
  const std::string state = CellText(device, "lastDeployment.deploymentState");
  return state.empty() ? "-" : state;
}

// A device's latest flow and when it started: "user, 2026-12-06 15:04:05Z".
std::string LastFlowCell(const json::value& device) {
  const std::string flow = CellText(device, "lastDeployment.flow");
  if (flow.empty()) return "";
  return flow + ", " + TimeCell(CellText(device, "lastDeployment.startedDateTime"));
}

std::string StartedCell(const json::value& item) {
  return TimeCell(CellText(item, "startedDateTime"));
}

std::string FinishedCell(const json::value& item) {
  return TimeCell(CellText(item, "finishedDateTime"));
}

// From start to finish; "" until finished.
std::string DurationCell(const json::value& session) {
  auto started = wire::ParseTimestamp(CellText(session, "startedDateTime"));
  auto finished = wire::ParseTimestamp(CellText(session, "finishedDateTime"));
  if (!started || !finished) return "";
  return FormatDuration((*finished - *started).count());
}

std::string AtCell(const json::value& entry) { return TimeCell(CellText(entry, "at")); }

// A setting's default as the tenant file would write it ("[]" for an empty list).
std::string DefaultCell(const json::value& setting) {
  const json::value* value = setting.as_object().if_contains("default");
  if (value == nullptr) return "";
  if (value->is_array() && value->as_array().empty()) return "[]";
  if (value->is_string() && value->as_string().empty()) return "\"\"";
  if (value->is_bool()) return value->as_bool() ? "true" : "false";  // not yes/no: YAML's words
  return ValueText(*value);
}

// What an audit entry is about: the resource's name, else its id.
std::string ResourceCell(const json::value& entry) {
  const std::string name = CellText(entry, "resourceName");
  return name.empty() ? CellText(entry, "resourceId") : name;
}

const std::map<std::string, std::vector<Column>, std::less<>>& ColumnsByKind() {
  static const auto* columns = new std::map<std::string, std::vector<Column>, std::less<>>{
      {"users",
       {{"ID", {"id"}},
        {"USER PRINCIPAL NAME", {"userPrincipalName"}},
        {"DISPLAY NAME", {"displayName"}},
        {"DEPARTMENT", {"department"}},
        {"ENABLED", {"accountEnabled"}}}},
      {"groups",
       {{"ID", {"id"}},
        {"NAME", {"displayName"}},
        {"MEMBERSHIP", {}, Membership},
        {"RULE", {"membershipRule"}}}},
      {"deploymentProfiles",
       {{"ID", {"id"}},
        {"NAME", {"displayName"}},
        {"PRE-PROVISIONING", {"preprovisioningAllowed"}},
        {"NAME TEMPLATE", {"deviceNameTemplate"}},
        {"DEFAULT", {"isTenantDefault"}}}},
      {"espProfiles",
       {{"ID", {"id"}},
        {"NAME", {"displayName"}},
        {"PRIORITY", {"priority"}},
        {"PROGRESS", {"showInstallationProgress"}},
        {"TIMEOUT", {"installProgressTimeoutInMinutes"}},
        {"DEFAULT", {"isDefault"}}}},
      {"apps",
       {{"ID", {"id"}},
        {"NAME", {"displayName"}},
        {"VERSION", {"displayVersion"}},
        {"CONTEXT", {"installContext"}},
        {"FILE", {"content.fileName"}}}},
      {"policies",
       {{"ID", {"id"}},
        {"NAME", {"displayName"}},
        {"VERSION", {"version"}},
        {"DESCRIPTION", {"description"}}}},
      {"certificateProfiles",
       {{"ID", {"id"}},
        {"NAME", {"displayName"}},
        {"SUBJECT", {"subjectNameFormat"}},
        {"VALIDITY DAYS", {"validityPeriodDays"}}}},
      {"networkProfiles",
       {{"ID", {"id"}},
        {"NAME", {"displayName"}},
        {"KIND", {"kind"}},
        {"SCOPE", {"scope"}},
        {"SSID", {"ssid"}}}},
      {"compliancePolicies",
       {{"ID", {"id"}},
        {"NAME", {"displayName"}},
        {"OS", {"osName"}},
        {"MIN OS", {"osMinimumVersion"}},
        {"ENCRYPTION", {"storageRequireEncryption"}},
        {"SECURE BOOT", {"secureBootEnabled"}}}},
      {"assignments",
       {{"ID", {"id"}},
        {"PAYLOAD KIND", {"payloadKind"}},
        {"PAYLOAD", {"payloadName", "payloadId"}},
        {"TARGET", {}, TargetKind},
        {"GROUP", {"target.groupName", "target.groupId"}},
        {"INTENT", {"intent", "installIntent"}}}},
      {"autopilotDevices",
       {{"SERIAL", {"serialNumber"}},
        {"NAME", {"deviceName", "displayName"}},
        {"GROUP TAG", {"groupTag"}},
        {"USER", {"userPrincipalName"}},
        {"ENROLLMENT", {"enrollmentState"}},
        {"DEPLOYMENT", {}, DeploymentCell},
        {"LAST FLOW", {}, LastFlowCell}}},
      {"deploymentSessions",
       {{"SERIAL", {"serialNumber", "deviceId"}},
        {"FLOW", {"flow"}},
        {"USER", {"userPrincipalName"}},
        {"RESULT", {"deploymentState"}},
        {"STARTED", {}, StartedCell},
        {"FINISHED", {}, FinishedCell},
        {"DURATION", {}, DurationCell}}},
      {"audit",
       {{"TIME", {}, AtCell},
        {"ACTOR", {"actor"}},
        {"ACTION", {"action"}},
        {"KIND", {"resourceKind"}},
        {"NAME", {}, ResourceCell}}},
      {"settingsCatalog",
       {{"SETTING", {"id"}},
        {"TYPE", {"type"}},
        {"DEFAULT", {}, DefaultCell},
        {"TITLE", {"title"}}}},
      {"members",
       {{"ID", {"id"}},
        {"TYPE", {}, MemberType},
        {"NAME", {"userPrincipalName", "displayName", "serialNumber"}}}},
  };
  return *columns;
}

// Columns for lists whose shape the API document leaves open: the scalar keys of the first item.
std::vector<std::string> DiscoverColumns(const json::array& items) {
  std::vector<std::string> keys;
  if (!items.empty() && items.front().is_object()) {
    for (const auto& entry : items.front().as_object()) {
      if (IsScalar(entry.value())) keys.emplace_back(entry.key());
    }
  }
  return keys;
}

}  // namespace

std::string Style::Paint(std::string_view text, Color c) const {
  if (!color) return std::string(text);
  const char* code = "";
  switch (c) {
    case Color::kRed:
      code = "31";
      break;
    case Color::kGreen:
      code = "32";
      break;
    case Color::kYellow:
      code = "33";
      break;
    case Color::kBold:
      code = "1";
      break;
    case Color::kDim:
      code = "2";
      break;
  }
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

std::string JsonText(const json::value& value) {
  const std::string text = json::serialize(value);
  // Only strings hold bytes >= 0x7F, so a \u escape in their place keeps the JSON valid.
  const std::string shown = text::ShowControls(text);
  if (shown == text) return text;
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == 0x7F) {
      out += "\\u007f";
      ++i;
    } else if (byte == 0xC2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(text[i + 1]));
      i += 2;
    } else if (byte >= 0x80) {
      // A well-formed multi-byte sequence is kept; anything else becomes U+FFFD's escape.
      const std::size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
      const std::string_view sequence = std::string_view(text).substr(i, length);
      if (length > 1 && sequence.size() == length && text::ShowControls(sequence) == sequence) {
        out += sequence;
        i += length;
      } else {
        out += "\\ufffd";
        ++i;
      }
    } else {
      out += text[i++];
    }
  }
  return out;
}

void WriteJson(std::ostream& out, const json::value& value) {
  struct Writer {
    std::ostream& out;
    void Write(const json::value& v, int depth) {
      const std::string indent(static_cast<size_t>(depth + 1) * 2, ' ');
      const std::string close(static_cast<size_t>(depth) * 2, ' ');
      if (v.is_object()) {
        const json::object& object = v.as_object();
        if (object.empty()) {
          out << "{}";
          return;
        }
        out << "{\n";
        size_t i = 0;
        for (const auto& entry : object) {
          out << indent << JsonText(json::string(entry.key())) << ": ";
          Write(entry.value(), depth + 1);
          out << (++i < object.size() ? ",\n" : "\n");
        }
        out << close << '}';
      } else if (v.is_array()) {
        const json::array& array = v.as_array();
        if (array.empty()) {
          out << "[]";
          return;
        }
        out << "[\n";
        for (size_t i = 0; i < array.size(); ++i) {
          out << indent;
          Write(array[i], depth + 1);
          out << (i + 1 < array.size() ? ",\n" : "\n");
        }
        out << close << ']';
      } else {
        out << JsonText(v);
      }
    }
  };
  Writer{out}.Write(value, 0);
  out << '\n';
}

std::string FormatDuration(long long seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m {:02}s", seconds / 60, seconds % 60);
  return fmt::format("{}h {:02}m {:02}s", seconds / 3600, seconds % 3600 / 60, seconds % 60);
}

std::string TimeCell(std::string_view api_time) {
  if (!wire::ParseTimestamp(api_time)) return text::ShowControls(api_time);
  std::string shown(api_time);
  shown[10] = ' ';
  return shown;
}

std::string CellText(const json::value& object, std::string_view path) {
  const json::value* found = Find(object, path);
  return found ? ValueText(*found) : std::string();
}

void RenderPlan(const json::value& plan, const Style& style, std::ostream& out) {
  Table head({"Device", CellText(plan, "serialNumber")});
  if (const std::string id = CellText(plan, "deviceId"); !id.empty()) head.Add({"Device id", id});
  const std::string name = CellText(plan, "deviceName");
  head.Add({"Device name", name.empty() ? "(kept: no name template)" : name});
  const std::string user = CellText(plan, "userPrincipalName");
  head.Add({"User", user.empty() ? "none" : user});
  const std::string groups = CellText(plan, "groups");
  head.Add({"Groups", groups.empty() ? "none" : groups});
  const json::value* profile = Find(plan, "deploymentProfile");
  if (profile && profile->is_object()) {
    const bool allowed = Flag(*profile, "preprovisioningAllowed");
    head.Add({"Deployment profile",
              fmt::format(
                  "{} ({})", CellText(*profile, "displayName"),
                  allowed ? "pre-provisioning allowed"
                          : style.Paint("pre-provisioning not allowed: 0x80180005", Color::kRed))});
  } else {
    head.Add({"Deployment profile",
              style.Paint("none (the device cannot be pre-provisioned)", Color::kRed)});
  }
  head.Print(out);

  RenderEspPlan(Find(plan, "technician"), "Technician", "", style, out);
  RenderEspPlan(Find(plan, "user"), "User", UserFlowBasisText(plan), style, out);

  out << '\n';
  const json::array& findings = ArrayAt(plan, "findings");
  if (findings.empty()) {
    out << style.Paint("Findings", Color::kBold) << ": none\n";
    return;
  }
  out << style.Paint("Findings", Color::kBold) << '\n';
  Table table({"SEVERITY", "CODE", "MESSAGE"});
  for (const json::value& finding : findings) {
    const std::string severity = CellText(finding, "severity");
    table.Add({style.Paint(severity, SeverityColor(severity)), CellText(finding, "code"),
               CellText(finding, "message")});
  }
  PrintIndented(table, "  ", out);
}

namespace {

// "(none)" for a field that is not set, else the value as JSON ("1.0" quoted, 5, [..]).
std::string FieldValueText(const json::value* value) {
  return value == nullptr ? std::string("(none)") : JsonText(*value);
}

void RenderChange(const json::value& change, const Style& style, std::ostream& out) {
  const std::string action = CellText(change, "action");
  const char* sign = "~";
  Color color = Color::kYellow;
  if (action == "create") {
    sign = "+";
    color = Color::kGreen;
  } else if (action == "delete") {
    sign = "-";
    color = Color::kRed;
  }
  const json::value* name = Find(change, "name");
  out << style.Paint(fmt::format("{} {} {}", sign, CellText(change, "kind"),
                                 name ? JsonText(*name) : std::string("\"\"")),
                     color)
      << '\n';
  for (const json::value& field : ArrayAt(change, "fields")) {
    const std::string path = CellText(field, "path");
    if (Flag(field, "secret")) {
      out << fmt::format("    {}: (changed)\n", path);
      continue;
    }
    out << fmt::format("    {}: {} \u2192 {}\n", path, FieldValueText(Find(field, "from")),
                       FieldValueText(Find(field, "to")));
  }
}

}  // namespace

void RenderApply(const json::value& answer, const Style& style, std::ostream& out, ApplyView view) {
  const bool dry_run = Flag(answer, "dryRun");
  const json::array& changes = ArrayAt(answer, "changes");
  std::map<std::string, size_t> counts;
  bool listed = false;
  for (const json::value& change : changes) {
    const std::string action = CellText(change, "action");
    ++counts[action];
    if (action == "unchanged" || view == ApplyView::kSummary) continue;
    RenderChange(change, style, out);
    listed = true;
  }
  if (listed) out << '\n';
  const json::array& uploads = ArrayAt(answer, "contentToUpload");
  if (!uploads.empty()) {
    out << style.Paint(fmt::format("Content to upload ({})", uploads.size()), Color::kBold) << '\n';
    for (const json::value& upload : uploads) {
      const json::value* size = Find(upload, "size");
      out << fmt::format("  {} ({}, sha256 {}) for {}\n", CellText(upload, "fileName"),
                         size && size->is_int64()
                             ? HumanSize(static_cast<std::uint64_t>(size->as_int64()))
                             : CellText(upload, "size"),
                         CellText(upload, "sha256").substr(0, 12), CellText(upload, "apps"));
    }
    out << '\n';
  }
  if (dry_run) {
    out << fmt::format(
        "Dry run: {} to create, {} to update, {} to delete, {} unchanged; nothing was changed.\n",
        counts["create"], counts["update"], counts["delete"], counts["unchanged"]);
  } else {
    out << fmt::format("{} created, {} updated, {} deleted, {} unchanged.\n", counts["create"],
                       counts["update"], counts["delete"], counts["unchanged"]);
  }
  if (const json::value* devices = Find(answer, "devices"); devices && devices->is_object()) {
    out << '\n' << style.Paint("Devices", Color::kBold) << '\n';
    RenderImport(*devices, style, out);
  }
}

std::string HumanSize(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  if (bytes < 1024ull * 1024 * 1024) return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024));
  return fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024));
}

size_t RenderImport(const json::value& result, const Style& style, std::ostream& out) {
  const json::array& rows = ArrayAt(result, "rows");
  size_t failed = 0;
  if (!rows.empty()) {
    Table table({"ROW", "SERIAL", "STATUS", "DETAIL"});
    for (const json::value& row : rows) {
      const std::string status = CellText(row, "status");
      std::string detail;  // a row's problem; an imported device is named by its serial number
      if (const json::value* error = Find(row, "error"); error && !error->is_null()) {
        std::string name = CellText(*error, "deviceErrorName");
        if (name.empty()) name = CellText(*error, "code");
        const std::string message = CellText(*error, "message");
        detail = error->is_object() ? (name.empty() ? message : name + ": " + message)
                                    : ValueText(*error);
      }
      Color color = Color::kGreen;
      if (status == "failed") {
        ++failed;
        color = Color::kRed;
      } else if (status == "unchanged") {
        color = Color::kDim;
      } else if (status == "updated") {
        color = Color::kYellow;
      }
      table.Add({CellText(row, "row"), CellText(row, "serialNumber"), style.Paint(status, color),
                 detail});
    }
    table.Print(out);
    out << '\n';
  }
  // The counters the answer carries ("imported", and in apply answers perhaps "updated",
  // "unchanged"), in the order sent.
  std::string counters;
  if (const json::object* object = result.if_object()) {
    for (const auto& entry : *object) {
      if (entry.value().is_number()) {
        counters += fmt::format("{}{} {}", counters.empty() ? "" : ", ", JsonText(entry.value()),
                                std::string(entry.key()));
      }
    }
  }
  if (rows.empty() && !counters.empty()) {
    out << counters;
  } else {
    out << Plural(rows.size(), "row", "rows");
    if (!counters.empty()) out << ": " << counters;
  }
  if (failed > 0) {
    out << "; " << style.Paint(fmt::format("{} failed: nothing was imported", failed), Color::kRed);
  }
  out << ".\n";
  return failed;
}

void RenderList(std::string_view kind, const json::array& items, const Style& style,
                std::ostream& out, bool show_ids) {
  (void)style;
  std::vector<std::string> headers;
  std::vector<std::function<std::string(const json::value&)>> cells;
  const auto& known = ColumnsByKind();
  if (auto it = known.find(kind); it != known.end()) {
    std::vector<Column> columns;
    for (const Column& column : it->second) {
      if (std::string_view(column.header) != "ID") columns.push_back(column);
    }
    if (show_ids) columns.push_back({"ID", {"id"}});
    for (const Column& column : columns) {
      headers.emplace_back(column.header);
      cells.emplace_back(
          [keys = column.keys, cell = column.cell](const json::value& item) -> std::string {
            if (cell != nullptr) return cell(item);
            for (const char* key : keys) {
              if (const json::value* found = Find(item, key); found && !found->is_null()) {
                return ValueText(*found);
              }
            }
            return "";
          });
    }
  } else {
    for (const std::string& key : DiscoverColumns(items)) {
      headers.push_back(HeaderFor(key));
      cells.emplace_back([key](const json::value& item) { return CellText(item, key); });
    }
  }
  if (!items.empty() && !headers.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const json::value& item : items) {
      std::vector<std::string> row;
      for (const auto& cell : cells) row.push_back(cell(item));
      rows.push_back(std::move(row));
    }
    // Resources read best by name (the server pages them by id); devices, sessions and the
    // audit log come in the order their command chose.
    if (kind != "autopilotDevices" && kind != "deploymentSessions" && kind != "audit" &&
        known.find(kind) != known.end()) {
      std::sort(rows.begin(), rows.end());
    }
    Table table(headers);
    for (std::vector<std::string>& row : rows) table.Add(std::move(row));
    table.Print(out);
    out << '\n';
  }
  out << Plural(items.size(), "item", "items") << ".\n";
}

void RenderObject(const json::value& object, std::ostream& out) {
  const json::object* fields = object.if_object();
  if (!fields) {
    WriteJson(out, object);
    return;
  }
  Table table({"PROPERTY", "VALUE"});
  for (const auto& entry : *fields) table.Add({std::string(entry.key()), ValueText(entry.value())});
  table.Print(out);
}

}  // namespace groundcrew::cli

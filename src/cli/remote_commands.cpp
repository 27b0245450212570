#include "cli/remote_commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <iostream>
#include <map>
#include <optional>
#include <ostream>
#include <set>

#include "cli/config.hpp"
#include "cli/read_file.hpp"
#include "cli/report.hpp"
#include "cli/resolve.hpp"
#include "cli/tenant_file.hpp"
#include "common/text.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

// POST `target` with the tenant document, once (Api::SendOnce).
ApiResult<boost::json::value> ApplyRequest(Api& api, std::string target,
                                           const boost::json::value& document) {
  HttpRequest request;
  request.method = "POST";
  request.target = std::move(target);
  request.body = boost::json::serialize(document);
  request.content_type = "application/json";
  return api.SendOnce(std::move(request));
}

// A one-line progress bar redrawn on `err` (a terminal).
class ProgressBar {
 public:
  ProgressBar(std::ostream& err, std::string label) : err_(err), label_(std::move(label)) {}

  void Update(std::uint64_t sent, std::uint64_t total) {
    const int percent = total == 0 ? 100 : static_cast<int>(sent * 100 / total);
    if (percent == last_percent_) return;
    last_percent_ = percent;
    constexpr int kWidth = 30;
    const int filled = percent * kWidth / 100;
    err_ << '\r' << label_ << " [" << std::string(static_cast<size_t>(filled), '#')
         << std::string(static_cast<size_t>(kWidth - filled), '.') << "] "
         << fmt::format("{:3}% {}/{}", percent, HumanSize(sent), HumanSize(total)) << std::flush;
  }

  void Clear() {
    if (last_percent_ >= 0) err_ << "\r\x1b[K" << std::flush;
  }

 private:
  std::ostream& err_;
  std::string label_;
  int last_percent_ = -1;
};

// Adds "payloadName" and "target.groupName" to assignments (which reference both by id) for
// their table; the names come from listing the payloads' and the groups' collections.
ApiResult<int> NameAssignments(Api& api, json::array& assignments) {
  static const std::map<std::string, std::string, std::less<>> kPayloadCollections{
      {"app", "apps"},
      {"policy", "policies"},
      {"certificate", "certificateProfiles"},
      {"network", "networkProfiles"},
      {"compliance", "compliancePolicies"},
      {"deploymentProfile", "deploymentProfiles"},
      {"espProfile", "espProfiles"}};
  std::map<std::string, std::string, std::less<>> names;  // id -> name, across collections
  std::set<std::string, std::less<>> listed;
  auto list = [&](const std::string& collection) -> ApiResult<int> {
    if (!listed.insert(collection).second) return 0;
    auto items = api.ListAll("/v1/" + collection);
    if (!items) return items.error();
    for (const json::value& item : *items) {
      names[CellText(item, "id")] = CellText(item, "displayName");
    }
    return 0;
  };
  for (const json::value& assignment : assignments) {
    auto collection = kPayloadCollections.find(CellText(assignment, "payloadKind"));
    if (collection != kPayloadCollections.end()) {
      if (auto done = list(collection->second); !done) return done.error();
    }
    if (!CellText(assignment, "target.groupId").empty()) {
      if (auto done = list("groups"); !done) return done.error();
    }
  }
  auto name_of = [&](const std::string& id) -> std::optional<std::string> {
    auto it = names.find(id);
    if (it == names.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  for (json::value& assignment : assignments) {
    json::object* object = assignment.if_object();
    if (object == nullptr) continue;
    if (auto name = name_of(CellText(assignment, "payloadId"))) (*object)["payloadName"] = *name;
    json::value* target = object->if_contains("target");
    if (target != nullptr && target->is_object()) {
      if (auto name = name_of(CellText(*target, "groupId"))) {
        target->as_object()["groupName"] = *name;
      }
    }
  }
  return 0;
}

std::string DevicePath(const std::string& id) { return "/v1/autopilotDevices/" + UrlEscape(id); }

HttpHeaders IfMatch(const std::string& version) {
  if (version.empty()) return {};
  return {{"If-Match", version}};
}

size_t FailedRows(const json::value& result) {
  size_t failed = 0;
  const json::object* object = result.if_object();
  const json::value* rows = object ? object->if_contains("rows") : nullptr;
  if (!rows || !rows->is_array()) return 0;
  for (const json::value& row : rows->as_array()) {
    if (CellText(row, "status") == "failed") ++failed;
  }
  return failed;
}

// Whether row `a` comes before row `b` in a table.
using RowOrder = bool (*)(const json::value& a, const json::value& b);

// How ListCommand asks and shows.
struct ListView {
  FlagNames flags = {};       ///< an error about one of these query parameters names the flag
  RowOrder before = nullptr;  ///< the table's row order; null: RenderList's
  bool show_ids = false;      ///< an ID column (--wide)
};

// Prints `items` as {"value": [...]}, or as a table of `kind` (assignments with their payloads'
// and groups' names, NameAssignments).
int PrintList(json::array items, std::string_view kind, bool as_json, const ListView& view,
              Api& api, Console& console) {
  if (as_json) {
    WriteJson(console.out, json::object{{"value", std::move(items)}});
    return 0;
  }
  if (kind == "assignments") {
    if (ApiResult<int> named = NameAssignments(api, items); !named) {
      return ReportApiError(named.error(), as_json, console);
    }
  }
  if (view.before != nullptr) std::stable_sort(items.begin(), items.end(), view.before);
  RenderList(kind, items, console.out_style, console.out, view.show_ids);
  return 0;
}

// Lists `target` completely and prints it (PrintList).
int ListCommand(const std::string& target, std::string_view kind, bool as_json, Api& api,
                Console& console, const ListView& view = {}) {
  auto items = api.ListAll(target);
  if (!items) return ReportApiError(NamingFlags(items.error(), view.flags), as_json, console);
  return PrintList(std::move(*items), kind, as_json, view, api, console);
  return 0;
}

// Devices by serial number, as admins know them (the API lists them by id).
bool BySerialNumber(const json::value& a, const json::value& b) {
  return CellText(a, "serialNumber") < CellText(b, "serialNumber");
}

// Sessions oldest first (API times sort as text), then by serial number.
bool ByStart(const json::value& a, const json::value& b) {
  return std::pair(CellText(a, "startedDateTime"), CellText(a, "serialNumber")) <
         std::pair(CellText(b, "startedDateTime"), CellText(b, "serialNumber"));
}

int ShowCommand(const std::string& target, bool as_json, Api& api, Console& console) {
  auto answer = api.Call("GET", target);
  if (!answer) return ReportApiError(answer.error(), as_json, console);
  if (as_json) {
    WriteJson(console.out, *answer);
  } else {
    RenderObject(*answer, console.out);
  }
  return 0;
}

}  // namespace

int ReportApiError(const ApiError& error, bool json, Console& console) {
  ReportError(error.code, error.message, error.field, 1, json, console.err_style.color, console.out,
              console.err);
  if (json) return 1;
  // What to do next, where the message alone does not say.
  if (error.code == "unauthenticated") {
    console.err << "hint: log in with `groundcrew login --server URL`, or set GROUNDCREW_TOKEN\n";
  } else if (error.code == "permission_denied") {
    console.err << "hint: this credential may only read; use an admin credential\n";
  } else if (error.http_status == 0 && error.code == "unavailable") {
    console.err << "hint: check that groundcrewd is running there; the server is --server, "
                   "GROUNDCREW_SERVER or the saved login (`groundcrew login --server URL`)\n";
  } else if (error.http_status == 429 || error.http_status == 503) {
    console.err << "hint: the server is busy; try again in a few seconds\n";
  } else if (error.code == "not_found" &&
             (error.field == "serialNumber" || error.field == "DEVICE") &&
             error.message.find("groundcrew devices list") == std::string::npos) {
    console.err << "hint: list the registered devices with `groundcrew devices list`\n";
  } else if (error.code == "not_found" && (error.field == "user" || error.field == "--user")) {
    console.err << "hint: list the users with `groundcrew get users`\n";
  } else if (error.http_status >= 500) {
    console.err << "hint: the server failed; its log has the details (the line with this "
                   "request's X-Request-Id)\n";
  }
  return 1;
}

ApiError NamingFlags(ApiError error, FlagNames flags) {
  for (const auto& [parameter, flag] : flags) {
    if (error.field == parameter) error.field = std::string(flag);
  }
  return error;
}

std::string QueryParameters(
    std::initializer_list<std::pair<std::string_view, std::string_view>> parameters) {
  std::string query;
  for (const auto& [name, value] : parameters) {
    if (value.empty()) continue;
    query += fmt::format("{}{}={}", query.empty() ? "" : "&", name, UrlEscape(std::string(value)));
  }
  return query;
}

Prompter TerminalPrompter() {
  if (::isatty(STDIN_FILENO) != 1) return {};
  return {true, [](std::string_view question) {
            std::cerr << question << std::flush;
            std::string answer;
            if (!std::getline(std::cin, answer)) return false;
            answer = text::ToLowerAscii(text::Trim(answer));
            return answer == "y" || answer == "yes";
          }};
}

namespace {

// What apply posts, and where its values are in the file.
struct TenantDocument {
  json::value document;
  YamlMarks marks;
};

// Reads the tenant file. With `upload`, each content file is made available on the server
// first (HEAD, then PUT when missing); without, nothing is sent (the document still names the
// content by its SHA-256).
ApiResult<TenantDocument> ReadTenant(const ApplyOptions& options, bool upload_content, Api& api,
                                     Console& console) {
  // The server's answer when an upload failed, so it is reported with its own code.
  std::optional<ApiError> upload_error;
  Uploader upload = [&](const ContentFile& file) -> Status {
    if (!upload_content) return Ok{};
    auto failed = [&](std::string_view what, ApiError error) -> Status {
      error.message = fmt::format("{} {}: {}", what, file.path, error.message);
      upload_error = error;
      return MakeError(ErrorCode::kUnavailable, error.message, error.field);
    };
    const std::string target = "/v1/content/" + file.sha256;
    HttpRequest head;
    head.method = "HEAD";
    head.target = target;
    auto present = api.Send(head);
    if (present) return Ok{};  // already on the server: nothing to say
    if (present.error().code != "not_found") return failed("checking", present.error());
    HttpRequest put;
    put.method = "PUT";
    put.target = target;
    put.body = *file.bytes;
    put.content_type = "application/octet-stream";
    ProgressBar bar(console.err, "uploading " + file.path);
    if (console.err_is_terminal) {
      put.progress = [&bar](std::uint64_t sent, std::uint64_t total) { bar.Update(sent, total); };
    }
    auto stored = api.Send(put);
    bar.Clear();
    if (!stored) return failed("uploading", stored.error());
    console.err << fmt::format("uploaded {} ({})\n", file.path, HumanSize(file.size));
    return Ok{};
  };
  TenantDocument tenant;
  auto document = LoadTenantFile(options.file, upload, &tenant.marks);
  if (!document) return upload_error ? *upload_error : ToApiError(document.error());
  tenant.document = std::move(*document);
  return tenant;
}

// A refused document: each problem once, where the file has it when that can be told.
int ReportDocumentProblems(const ApiError& error, const ApplyOptions& options,
                           const TenantDocument& tenant, Console& console) {
  if (options.json) {
    json::array details;
    for (const Error& problem : error.details) {
      json::object item{{"field", problem.field}, {"message", problem.message}};
      if (auto mark = LocateField(tenant.document, tenant.marks, problem.field)) {
        item["line"] = mark->line;
        item["column"] = mark->column;
      }
      details.push_back(std::move(item));
    }
    WriteJson(console.out, json::object{{"error",
                                         {{"code", error.code},
                                          {"message", error.message},
                                          {"field", error.field},
                                          {"details", std::move(details)}}}});
    return 1;
  }
  const std::string red_error = console.err_style.Paint("error:", Color::kRed);
  if (error.details.size() > 1) {
    console.err << fmt::format("{} {} has {} problems:\n", red_error, options.file,
                               error.details.size());
  }
  for (const Error& problem : error.details) {
    std::string where = options.file;
    if (auto mark = LocateField(tenant.document, tenant.marks, problem.field)) {
      where += fmt::format(":{}:{}", mark->line, mark->column);
    }
    console.err << (error.details.size() > 1 ? "" : red_error + " ") << where << ": "
                << text::ShowControls(WithField(problem.field, problem.message)) << '\n';
  }
  return 1;
}

// Posts the document to /v1/apply, once.
ApiResult<json::value> PostTenant(const TenantDocument& tenant, bool dry_run, bool prune,
                                  Api& api) {
  std::string target = "/v1/apply";
  if (dry_run) target += "?dryRun=true";
  if (prune) target += dry_run ? "&prune=true" : "?prune=true";
  return ApplyRequest(api, std::move(target), tenant.document);
}

int ReportApplyError(const ApiError& error, const ApplyOptions& options,
                     const TenantDocument& tenant, Console& console) {
  if (!error.details.empty()) return ReportDocumentProblems(error, options, tenant, console);
  return ReportApiError(error, options.json, console);
}

size_t Counted(const json::value& answer, std::string_view action) {
  const json::value* summary =
      answer.is_object() ? answer.as_object().if_contains("summary") : nullptr;
  const json::value* count =
      summary && summary->is_object() ? summary->as_object().if_contains(action) : nullptr;
  return count && count->is_int64() ? static_cast<size_t>(count->as_int64()) : 0;
}

}  // namespace

int Apply(const ApplyOptions& options, Api& api, Console& console) {
  const bool confirm = options.prune && !options.yes && !options.dry_run;
  if (confirm && !options.prompter.available) {
    return ReportError("invalid_argument",
                       "--prune deletes what the document no longer lists and asks first, but "
                       "stdin is not a terminal to answer on: add --yes to apply it, or review "
                       "it first with --dry-run",
                       "", 2, options.json, console.err_style.color, console.out, console.err);
  }
  if (confirm) {
    // Show what would change, then ask before changing anything (content included).
    auto tenant = ReadTenant(options, false, api, console);
    if (!tenant) return ReportApiError(tenant.error(), options.json, console);
    auto review = PostTenant(*tenant, true, true, api);
    if (!review) return ReportApplyError(review.error(), options, *tenant, console);
    // With --json, stdout holds only the apply's answer: the review goes to the terminal.
    RenderApply(*review, options.json ? console.err_style : console.out_style,
                options.json ? console.err : console.out);
    if (Counted(*review, "create") + Counted(*review, "update") + Counted(*review, "delete") == 0) {
      return 0;
    }
    console.out << std::flush;
    if (!options.prompter.ask(fmt::format("Apply these changes ({} to delete)? [y/N] ",
                                          Counted(*review, "delete")))) {
      console.err << "Nothing was changed.\n";
      return 1;
    }
  }
  auto tenant = ReadTenant(options, !options.dry_run, api, console);
  if (!tenant) return ReportApiError(tenant.error(), options.json, console);
  auto answer = PostTenant(*tenant, options.dry_run, options.prune, api);
  if (!answer) return ReportApplyError(answer.error(), options, *tenant, console);
  size_t failed = 0;
  if (const json::object* object = answer->if_object()) {
    if (const json::value* devices = object->if_contains("devices")) failed = FailedRows(*devices);
  }
  if (options.json) {
    WriteJson(console.out, *answer);
  } else {
    RenderApply(*answer, console.out_style, console.out,
                confirm ? ApplyView::kSummary : ApplyView::kDiff);
  }
  return failed > 0 ? 1 : 0;
}

int Plan(const PlanOptions& options, Api& api, Console& console) {
  auto plan = CallWithSerial(api, options.serial, [&](const std::string& serial) {
    std::string target = "/v1/plan?serialNumber=" + UrlEscape(serial);
    if (!options.user.empty()) target += "&user=" + UrlEscape(options.user);
    return api.Call("GET", target);
  });
  if (!plan) return ReportApiError(plan.error(), options.json, console);
  if (options.json) {
    WriteJson(console.out, *plan);
  } else {
    RenderPlan(*plan, console.out_style, console.out);
  }
  return 0;
}

int Get(const GetOptions& options, Api& api, Console& console) {
  auto kind = ParseKind(options.kind);
  if (!kind) return ReportApiError(kind.error(), options.json, console);
  const std::string collection = "/v1/" + (*kind)->collection;
  if (options.name.empty()) {
    return ListCommand(collection, (*kind)->collection, options.json, api, console,
                       {.show_ids = options.show_ids});
  }
  auto found = Resolve(api, **kind, options.name);
  if (!found) return ReportApiError(found.error(), options.json, console);
  return ShowCommand(collection + "/" + UrlEscape(found->id), options.json, api, console);
}

int Members(const MembersOptions& options, Api& api, Console& console) {
  auto group = Resolve(api, "groups", options.group, "GROUP");
  if (!group) return ReportApiError(group.error(), options.json, console);
  return ListCommand("/v1/groups/" + UrlEscape(group->id) + "/members", "members", options.json,
                     api, console, {.show_ids = options.show_ids});
}

int Delete(const DeleteOptions& options, Api& api, Console& console) {
  auto kind = ParseKind(options.kind);
  if (!kind) return ReportApiError(kind.error(), options.json, console);
  auto found = Resolve(api, **kind, options.name);
  if (!found) return ReportApiError(found.error(), options.json, console);
  auto answer = api.Call("DELETE", "/v1/" + (*kind)->collection + "/" + UrlEscape(found->id));
  if (!answer) return ReportApiError(answer.error(), options.json, console);
  const std::string label = found->name.empty() ? found->id : found->name;
  if (options.json) {
    WriteJson(console.out, json::object{{"kind", (*kind)->collection},
                                        {"id", found->id},
                                        {"name", found->name},
                                        {"deleted", true}});
  } else {
    console.out << fmt::format("Deleted {} \"{}\".\n", (*kind)->singular, label);
  }
  return 0;
}

int DevicesList(const DevicesListOptions& options, Api& api, Console& console) {
  const std::string query = QueryParameters({{"serialNumber", options.serial},
                                             {"groupTag", options.group_tag},
                                             {"enrollmentState", options.state},
                                             {"deploymentState", options.deployment_state}});
  return ListCommand("/v1/autopilotDevices" + (query.empty() ? "" : "?" + query),
                     "autopilotDevices", options.json, api, console,
                     {.flags = {{"serialNumber", "--serial"},
                                {"groupTag", "--group-tag"},
                                {"enrollmentState", "--state"},
                                {"deploymentState", "--deployment-state"}},
                      .before = BySerialNumber});
}

int DevicesShow(const DeviceOptions& options, Api& api, Console& console) {
  auto device = Resolve(api, "autopilotDevices", options.device, "DEVICE");
  if (!device) return ReportApiError(device.error(), options.json, console);
  if (options.json) {
    WriteJson(console.out, device->object);
  } else {
    RenderObject(device->object, console.out);
  }
  return 0;
}

int DevicesDelete(const DeviceOptions& options, Api& api, Console& console) {
  auto device = Resolve(api, "autopilotDevices", options.device, "DEVICE");
  if (!device) return ReportApiError(device.error(), options.json, console);
  auto answer = api.Call("DELETE", DevicePath(device->id), IfMatch(options.if_match));
  if (!answer) return ReportApiError(answer.error(), options.json, console);
  if (options.json) {
    WriteJson(console.out, json::object{{"kind", "autopilotDevices"},
                                        {"id", device->id},
                                        {"name", device->name},
                                        {"deleted", true}});
  } else {
    console.out << fmt::format("Deleted device \"{}\".\n", device->name);
  }
  return 0;
}

int DevicesReprovision(const DeviceOptions& options, Api& api, Console& console) {
  auto device = Resolve(api, "autopilotDevices", options.device, "DEVICE");
  if (!device) return ReportApiError(device.error(), options.json, console);
  HttpRequest reprovision;
  reprovision.method = "POST";
  reprovision.target = DevicePath(device->id) + "/reprovision";
  auto answer = api.SendOnce(std::move(reprovision));
  if (!answer) return ReportApiError(answer.error(), options.json, console);
  if (options.json) {
    WriteJson(console.out,
              answer->is_null() ? json::value(json::object{{"id", device->id}}) : *answer);
  } else {
    console.out << fmt::format(
        "Device {} may run the technician flow again (its enrollment was cleared).\n",
        device->name);
  }
  return 0;
}

int DevicesImport(const DevicesImportOptions& options, Api& api, Console& console) {
  auto bytes = ReadWholeFile(options.file);
  if (!bytes) return ReportApiError(ToApiError(bytes.error()), options.json, console);
  HttpRequest request;
  request.method = "POST";
  request.target = "/v1/autopilotDevices/import";
  request.body = std::move(*bytes);
  request.content_type = "text/csv";
  auto answer = api.SendOnce(std::move(request));
  if (!answer) return ReportApiError(answer.error(), options.json, console);
  const size_t failed = FailedRows(*answer);
  if (options.json) {
    WriteJson(console.out, *answer);
  } else {
    RenderImport(*answer, console.out_style, console.out);
  }
  return failed > 0 ? 1 : 0;
}

int DevicesUpdate(const DevicesUpdateOptions& options, Api& api, Console& console) {
  json::object body;
  if (options.set_group_tag) body["groupTag"] = options.group_tag;
  if (options.set_user) body["userPrincipalName"] = options.user;
  if (options.set_addressable_user_name) {
    body["addressableUserName"] = options.addressable_user_name;
  }
  if (options.set_display_name) body["displayName"] = options.display_name;
  if (body.empty()) {
    ReportError("invalid_argument",
                "nothing to change: give --group-tag, --user, --addressable-user-name or "
                "--display-name",
                "", 2, options.device.json, console.err_style.color, console.out, console.err);
    return 2;
  }
  auto device = Resolve(api, "autopilotDevices", options.device.device, "DEVICE");
  if (!device) return ReportApiError(device.error(), options.device.json, console);
  auto answer =
      api.CallJson("PATCH", DevicePath(device->id), body, IfMatch(options.device.if_match));
  if (!answer) return ReportApiError(answer.error(), options.device.json, console);
  if (options.device.json) {
    WriteJson(console.out, *answer);
  } else {
    RenderObject(*answer, console.out);
  }
  return 0;
}

int Audit(const AuditOptions& options, Api& api, Console& console) {
  const std::string query =
      QueryParameters({{"actor", options.actor}, {"resourceKind", options.kind}});
  return ListCommand("/v1/audit" + (query.empty() ? "" : "?" + query), "audit", options.json, api,
                     console, {.flags = {{"actor", "--actor"}, {"resourceKind", "--kind"}}});
}

int SettingsCatalog(bool json, Api& api, Console& console) {
  return ListCommand("/v1/settingsCatalog", "settingsCatalog", json, api, console, {});
}

int Sessions(const SessionsOptions& options, Api& api, Console& console) {
  std::string device_id;
  if (!options.device.empty()) {
    auto device = Resolve(api, "autopilotDevices", options.device, "--device");
    if (!device) return ReportApiError(device.error(), options.json, console);
    device_id = device->id;
  }
  const std::string query = QueryParameters(
      {{"deviceId", device_id}, {"flow", options.flow}, {"deploymentState", options.state}});
  return ListCommand(
      "/v1/deploymentSessions" + (query.empty() ? "" : "?" + query), "deploymentSessions",
      options.json, api, console,
      {.flags = {{"flow", "--flow"}, {"deploymentState", "--state"}}, .before = ByStart});
}

int Login(const LoginOptions& options, Api& api, Console& console) {
  if (options.token.empty()) {
    return ReportApiError({"invalid_argument", "no token given", "--token", 0}, options.json,
                          console);
  }
  auto me = api.Call("GET", "/v1/me");
  if (!me) return ReportApiError(me.error(), options.json, console);
  Status saved = SaveLogin(options.credentials_path, {options.server, options.token});
  if (!saved) return ReportApiError(ToApiError(saved.error()), options.json, console);
  if (options.json) {
    WriteJson(console.out, json::object{{"server", options.server},
                                        {"name", me->is_object() ? CellText(*me, "name") : ""},
                                        {"role", me->is_object() ? CellText(*me, "role") : ""},
                                        {"credentialsFile", options.credentials_path}});
  } else {
    console.out << fmt::format("Logged in to {} as {} ({}). Saved to {}.\n", options.server,
                               CellText(*me, "name"), CellText(*me, "role"),
                               options.credentials_path);
  }
  return 0;
}

int Logout(const std::string& credentials_path, Console& console) {
  auto removed = RemoveLogin(credentials_path);
  if (!removed) return ReportApiError(ToApiError(removed.error()), false, console);
  console.out << (*removed ? fmt::format("Logged out: removed {}.\n", credentials_path)
                           : std::string("Not logged in.\n"));
  return 0;
}

}  // namespace groundcrew::cli

#include "cli/remote_commands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <optional>
#include <ostream>

#include "cli/config.hpp"
#include "cli/read_file.hpp"
#include "cli/report.hpp"
#include "cli/tenant_file.hpp"

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

std::string HumanSize(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  if (bytes < 1024ull * 1024 * 1024) return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024));
  return fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024));
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

// Prints `items` as {"value": [...]}, or as a table of `kind` with its rows in the order
// `before` gives (null: as listed).
void PrintList(json::array items, std::string_view kind, bool as_json, RowOrder before,
               Console& console) {
  if (as_json) {
    WriteJson(console.out, json::object{{"value", std::move(items)}});
    return;
  }
  if (before != nullptr) std::stable_sort(items.begin(), items.end(), before);
  RenderList(kind, items, console.out_style, console.out);
}

// Lists `target` completely and prints it (PrintList). An error about one of `flags`' query
// parameters names the flag.
int ListCommand(const std::string& target, std::string_view kind, bool as_json, Api& api,
                Console& console, FlagNames flags = {}, RowOrder before = nullptr) {
  auto items = api.ListAll(target);
  if (!items) return ReportApiError(NamingFlags(items.error(), flags), as_json, console);
  PrintList(std::move(*items), kind, as_json, before, console);
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
  if (!json && error.code == "unauthenticated") {
    console.err << "hint: log in with `groundcrew login --server URL`, or set GROUNDCREW_TOKEN\n";
  } else if (!json && error.code == "permission_denied") {
    console.err << "hint: this credential may only read; use an admin credential\n";
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

int Apply(const ApplyOptions& options, Api& api, Console& console) {
  // The server's answer when an upload failed, so it is reported with its own code.
  std::optional<ApiError> upload_error;
  Uploader upload = [&](const ContentFile& file) -> Status {
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
    if (present) {
      console.err << fmt::format("content {} ({}) is already on the server\n", file.path,
                                 HumanSize(file.size));
      return Ok{};
    }
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

  auto document = LoadTenantFile(options.file, upload);
  if (!document) {
    return ReportApiError(upload_error ? *upload_error : ToApiError(document.error()), options.json,
                          console);
  }
  auto answer =
      ApplyRequest(api, options.dry_run ? "/v1/apply?dryRun=true" : "/v1/apply", *document);
  if (!answer) return ReportApiError(answer.error(), options.json, console);
  size_t failed = 0;
  if (const json::object* object = answer->if_object()) {
    if (const json::value* devices = object->if_contains("devices")) failed = FailedRows(*devices);
  }
  if (options.json) {
    WriteJson(console.out, *answer);
  } else {
    RenderApply(*answer, console.out_style, console.out);
  }
  return failed > 0 ? 1 : 0;
}

int Plan(const PlanOptions& options, Api& api, Console& console) {
  std::string target = "/v1/plan?serialNumber=" + UrlEscape(options.serial);
  if (!options.user.empty()) target += "&user=" + UrlEscape(options.user);
  auto plan = api.Call("GET", target);
  if (!plan) return ReportApiError(plan.error(), options.json, console);
  if (options.json) {
    WriteJson(console.out, *plan);
  } else {
    RenderPlan(*plan, console.out_style, console.out);
  }
  return 0;
}

int Get(const GetOptions& options, Api& api, Console& console) {
  const std::string collection = "/v1/" + options.kind;
  if (!options.id.empty()) {
    return ShowCommand(collection + "/" + UrlEscape(options.id), options.json, api, console);
  }
  return ListCommand(collection, options.kind, options.json, api, console);
}

int Members(const MembersOptions& options, Api& api, Console& console) {
  return ListCommand("/v1/groups/" + UrlEscape(options.group_id) + "/members", "members",
                     options.json, api, console);
}

int DevicesList(const DevicesListOptions& options, Api& api, Console& console) {
  const std::string query = QueryParameters({{"serialNumber", options.serial},
                                             {"groupTag", options.group_tag},
                                             {"enrollmentState", options.state},
                                             {"deploymentState", options.deployment_state}});
  return ListCommand("/v1/autopilotDevices" + (query.empty() ? "" : "?" + query),
                     "autopilotDevices", options.json, api, console,
                     {{"serialNumber", "--serial"},
                      {"groupTag", "--group-tag"},
                      {"enrollmentState", "--state"},
                      {"deploymentState", "--deployment-state"}},
                     BySerialNumber);
}

int DevicesShow(const DeviceOptions& options, Api& api, Console& console) {
  return ShowCommand(DevicePath(options.id), options.json, api, console);
}

int DevicesDelete(const DeviceOptions& options, Api& api, Console& console) {
  auto answer = api.Call("DELETE", DevicePath(options.id), IfMatch(options.if_match));
  if (!answer) return ReportApiError(answer.error(), options.json, console);
  if (options.json) {
    WriteJson(console.out, json::object{{"deleted", options.id}});
  } else {
    console.out << fmt::format("Deleted device {}.\n", options.id);
  }
  return 0;
}

int DevicesReprovision(const DeviceOptions& options, Api& api, Console& console) {
  HttpRequest reprovision;
  reprovision.method = "POST";
  reprovision.target = DevicePath(options.id) + "/reprovision";
  auto answer = api.SendOnce(std::move(reprovision));
  if (!answer) return ReportApiError(answer.error(), options.json, console);
  if (options.json) {
    WriteJson(console.out,
              answer->is_null() ? json::value(json::object{{"id", options.id}}) : *answer);
  } else {
    console.out << fmt::format(
        "Device {} may run the technician flow again (its enrollment was cleared).\n", options.id);
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
  auto answer =
      api.CallJson("PATCH", DevicePath(options.device.id), body, IfMatch(options.device.if_match));
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
                     console);
}

int Sessions(const SessionsOptions& options, Api& api, Console& console) {
  const FlagNames kFlags = {
      {"serialNumber", "--device"}, {"flow", "--flow"}, {"deploymentState", "--state"}};
  auto list = [&](std::string_view device_parameter) {
    const std::string query = QueryParameters({{device_parameter, options.device},
                                               {"flow", options.flow},
                                               {"deploymentState", options.state}});
    return api.ListAll("/v1/deploymentSessions" + (query.empty() ? "" : "?" + query));
  };
  auto sessions = list("serialNumber");
  if (!sessions && sessions.error().code == "not_found" &&
      sessions.error().field == "serialNumber") {
    // Not a serial number: a device id, if a device has it.
    auto device = api.Call("GET", DevicePath(options.device));
    if (!device) {
      ApiError error = device.error();
      if (error.code == "not_found") {
        error.message = fmt::format(
            "no registered device has the serial number or id \"{}\"; `groundcrew devices "
            "list` shows them",
            options.device);
        error.field = "--device";
      }
      return ReportApiError(error, options.json, console);
    }
    sessions = list("deviceId");
  }
  if (!sessions)
    return ReportApiError(NamingFlags(sessions.error(), kFlags), options.json, console);
  PrintList(std::move(*sessions), "deploymentSessions", options.json, ByStart, console);
  return 0;
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

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <optional>
#include <string_view>

#include "cli/admin_commands.hpp"
#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/credential_commands.hpp"
#include "cli/diagnostics_command.hpp"
#include "cli/remote_commands.hpp"
#include "cli/report.hpp"
#include "cli/report_commands.hpp"
#include "cli/resolve.hpp"
#include "cli/usage.hpp"
#include "cli/user_commands.hpp"
#include "common/text.hpp"
#include "http_client/http_client.hpp"

namespace groundcrew::cli {
namespace {

constexpr const char* kJsonHelp = "print the server's JSON answer instead of a table";
constexpr const char* kDeviceHelp = "the device's serial number (or id)";

struct Globals {
  std::string server;   ///< --server; "" = not given
  std::string ca;       ///< --ca; "" = not given
  double timeout = 30;  ///< --timeout, seconds
};

Console ProcessConsole(const Environment& env) {
  const bool no_color = env.no_color && !env.no_color->empty();
  const bool err_tty = ::isatty(STDERR_FILENO) == 1;
  return Console{std::cout, std::cerr, Style{!no_color && ::isatty(STDOUT_FILENO) == 1},
                 Style{!no_color && err_tty}, err_tty};
}

// One line typed on the terminal (stdin) without echo, after `prompt` on stderr; nullopt at the
// end of input. Only the line end is dropped. REQUIRES: stdin is a terminal (else the line is
// read as it comes, without a prompt's guarantee of no echo).
std::optional<std::string> ReadHiddenLine(std::string_view prompt) {
  std::cerr << prompt << std::flush;
  termios saved{};
  const bool restore = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (restore) {
    termios silent = saved;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
  }
  std::string line;
  const bool read = static_cast<bool>(std::getline(std::cin, line));
  if (restore) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::cerr << '\n';
  if (!read) return std::nullopt;
  return line;
}

// The token for `login`: all of stdin when it is not a terminal, else one line typed without
// echo after a prompt on stderr. Surrounding white space is dropped.
std::string ReadToken() {
  std::string token;
  if (::isatty(STDIN_FILENO) != 1) {
    token.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return std::string(text::Trim(token));
  }
  return std::string(text::Trim(ReadHiddenLine("Token: ").value_or("")));
}

// Resolves the server and the token (config.hpp), connects and runs `command`. `token` overrides
// the resolved token (login). Returns the command's exit code, or 1 when the configuration is
// unusable.
int RunRemote(const Globals& globals, bool json, const std::function<int(Api&)>& command,
              const std::optional<std::string>& token = std::nullopt,
              Connection* resolved = nullptr) {
  const Environment env = Environment::FromProcess();
  Console console = ProcessConsole(env);
  std::optional<SavedLogin> saved;
  if (auto path = CredentialsPath(env)) {
    auto loaded = LoadLogin(*path);
    if (!loaded) return ReportApiError(ToApiError(loaded.error()), json, console);
    saved = std::move(*loaded);
  }
  Connection connection = ResolveConnection(globals.server, env, saved);
  if (token) connection.token = *token;
  if (resolved) *resolved = connection;
  HttpClientOptions options;
  options.timeout = std::chrono::milliseconds(static_cast<long long>(globals.timeout * 1000));
  options.bearer_token = connection.token;
  options.user_agent = std::string("groundcrew/") + GROUNDCREW_VERSION;
  const CaFile ca = ResolveCaFile(globals.ca, env);
  options.ca_file = ca.path;
  auto client = HttpClient::Create(connection.server, options);
  if (!client) {
    Error error = client.error();
    error.field = error.field == "ca" ? ca.source : connection.server_source;
    return ReportApiError(ToApiError(error), json, console);
  }
  Api api((*client)->AsTransport());
  return command(api);
}

// Checks of option values whose messages say what is allowed (CLI11's print the range's limits
// as 300-digit numbers).
CLI::Validator Seconds() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        char* end = nullptr;
        const double seconds = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0' || !(seconds > 0 && seconds <= 86400)) {
          return "must be a number of seconds more than 0 and at most 86400, not \"" + text + "\"";
        }
        return "";
      },
      "");
}

CLI::Validator WholeNumber() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
            text.size() > 18) {
          return "must be a whole number, 0 or more, not \"" + text + "\"";
        }
        return "";
      },
      "");
}

// Whether `kind` is a kind word (resolve.hpp); if not, reports a usage error for `command` and
// sets `exit_code` to 2.
bool KnownKind(const std::string& kind, std::string_view command, int& exit_code) {
  ApiResult<const ResourceKind*> parsed = ParseKind(kind);
  if (parsed) return true;
  std::cerr << UsageText(parsed.error().message, command);
  exit_code = 2;
  return false;
}

}  // namespace

int Main(int argc, char** argv, const ExtendCli& extend) {
  CLI::App app{
      "groundcrew: pre-provisioned zero-touch device deployment.\n"
      "rules, csv and names need no server: they apply groundcrew's rules to local files.\n"
      "The other commands call groundcrewd's admin API: the server is --server, else\n"
      "GROUNDCREW_SERVER, else the saved login, else http://127.0.0.1:8080; the token is\n"
      "GROUNDCREW_TOKEN, else the saved login (see `groundcrew login`). An https:// server's\n"
      "certificate must be trusted by the system or by --ca / GROUNDCREW_CA.\n"
      "Exit codes: 0 success, 1 failure, 2 usage error."};
  app.name("groundcrew");
  app.set_version_flag("--version", std::string(GROUNDCREW_VERSION));
  app.require_subcommand(1);
  // Global options may also follow the subcommand (`groundcrew get users --server URL`).
  app.fallthrough();
  int code = 0;

  Globals globals;
  app.add_option("--server", globals.server,
                 "admin API base URL, e.g. http://127.0.0.1:8080 or https://gc.example:8443")
      ->type_name("URL");
  app.add_option("--ca", globals.ca,
                 "PEM file of CA certificates to trust for https:// instead of the system "
                 "trust store [GROUNDCREW_CA]")
      ->type_name("FILE");
  app.add_option("--timeout", globals.timeout, "seconds to wait for the server (default 30)")
      ->check(Seconds())
      ->type_name("SECONDS");

  // ---- Offline commands ---------------------------------------------------------------------
  CLI::App* rules =
      app.add_subcommand("rules", "Dynamic membership rules (Microsoft Entra syntax)");
  rules->require_subcommand(1);
  RulesValidateOptions validate;
  CLI::App* validate_cmd = rules->add_subcommand(
      "validate",
      "Show which devices or users a rule matches, like Entra's \"Validate rules\".\n"
      "Exit codes: 0 checked, 1 unreadable input, 2 invalid rule (its position is shown).");
  validate_cmd
      ->add_option("--rule", validate.rule,
                   "the rule, e.g. '(device.devicePhysicalIds "
                   "-any (_ -startsWith \"[ZTDId]\"))'")
      ->required();
  validate_cmd->add_option("--devices", validate.devices_file,
                           "Graph device objects: a JSON array or {\"value\": [...]}");
  validate_cmd->add_option("--users", validate.users_file, "Graph user objects, for user rules");
  validate_cmd->add_flag("--json", validate.json, "print JSON instead of a table");
  validate_cmd->callback([&] { code = RulesValidate(validate, std::cout, std::cerr); });

  CLI::App* csv = app.add_subcommand("csv", "Autopilot registration files");
  csv->require_subcommand(1);
  CsvCheckOptions check;
  CLI::App* check_cmd =
      csv->add_subcommand("check",
                          "Check a registration CSV row by row, with Microsoft's error names.\n"
                          "Exit codes: 0 every row valid, 1 some rows or the file have problems.");
  check_cmd->add_option("FILE", check.file, "the CSV file (UTF-8 or UTF-16LE)")->required();
  check_cmd->add_flag("--json", check.json, "print JSON instead of a table");
  check_cmd->callback([&] { code = CsvCheck(check, std::cout, std::cerr); });

  CLI::App* names = app.add_subcommand("names", "Device name templates");
  names->require_subcommand(1);
  NamesPreviewOptions preview;
  CLI::App* preview_cmd = names->add_subcommand(
      "preview",
      "Validate a deviceNameTemplate and expand it for serial numbers.\n"
      "Exit codes: 0 valid, 1 some serial gives no valid name, 2 invalid template.");
  preview_cmd->add_option("TEMPLATE", preview.name_template, "e.g. CON-%SERIAL% or LAB-%RAND:4%")
      ->required();
  preview_cmd->add_option("--serial", preview.serials, "serial numbers to expand (repeatable)");
  preview_cmd->add_option("--seed", preview.seed, "seed for %RAND% digits (default: random)");
  preview_cmd->add_flag("--json", preview.json, "print JSON instead of a table");
  preview_cmd->callback([&] { code = NamesPreview(preview, std::cout, std::cerr); });

  // ---- Credentials --------------------------------------------------------------------------
  LoginOptions login;
  CLI::App* login_cmd = app.add_subcommand(
      "login",
      "Verify a token with the server (GET /v1/me) and save the server and the token to\n"
      "$XDG_CONFIG_HOME/groundcrew/credentials.json (default ~/.config/...; mode 0600).\n"
      "Without --token the token is read from stdin, or prompted for without echo.");
  login_cmd->add_option("--token", login.token,
                        "the token (visible in the process list: "
                        "prefer stdin)");
  login_cmd->add_flag("--json", login.json, "print the result as JSON");
  login_cmd->callback([&] {
    const Environment env = Environment::FromProcess();
    Console console = ProcessConsole(env);
    auto path = CredentialsPath(env);
    if (!path) {
      code = ReportApiError(ToApiError(path.error()), login.json, console);
      return;
    }
    login.credentials_path = *path;
    if (login.token.empty()) login.token = ReadToken();
    Connection connection;
    code = RunRemote(
        globals, login.json,
        [&](Api& api) {
          login.server = connection.server;
          return Login(login, api, console);
        },
        login.token, &connection);
  });

  CLI::App* logout_cmd = app.add_subcommand("logout", "Remove the saved login.");
  logout_cmd->callback([&] {
    const Environment env = Environment::FromProcess();
    Console console = ProcessConsole(env);
    auto path = CredentialsPath(env);
    code = path ? Logout(*path, console) : ReportApiError(ToApiError(path.error()), false, console);
  });

  // ---- Admin API commands -------------------------------------------------------------------
  // Runs `command` against the server once parsing is complete.
  auto remote = [&](bool json, std::function<int(Api&, Console&)> command) {
    code = RunRemote(globals, json, [&](Api& api) {
      Console console = ProcessConsole(Environment::FromProcess());
      return command(api, console);
    });
  };

  ApplyOptions apply;
  CLI::App* apply_cmd = app.add_subcommand(
      "apply",
      "Apply a declarative tenant (YAML; docs/admin-api.md \"Declarative tenants\").\n"
      "App content files ({file: PATH}) are uploaded first, devices {csv: PATH} are read;\n"
      "paths are relative to the YAML file. Prints what was created, updated or unchanged.\n"
      "Applying the same file twice changes nothing the second time.");
  apply_cmd->add_option("-f,--file", apply.file, "the tenant YAML file")->required();
  apply_cmd->add_flag("--dry-run", apply.dry_run,
                      "show what would change without changing or uploading anything");
  apply_cmd->add_flag("--prune", apply.prune,
                      "also delete what the document's sections no longer list (asks first)");
  apply_cmd->add_flag("--yes", apply.yes, "prune without asking (needed when not on a terminal)");
  apply_cmd->add_flag("--json", apply.json, kJsonHelp);
  apply_cmd->callback(
      [&] { remote(apply.json, [&](Api& a, Console& c) { return Apply(apply, a, c); }); });

  PlanOptions plan;
  CLI::App* plan_cmd = app.add_subcommand(
      "plan",
      "Show what a device would get: its name, groups, deployment profile, and for the\n"
      "technician flow and the user flow the ESP profile and the items of Device setup and\n"
      "Account setup (blocking, deferred, why), then lint findings.");
  plan_cmd->add_option("DEVICE", plan.serial, kDeviceHelp)->required();
  plan_cmd
      ->add_option("--user", plan.user,
                   "plan the user flow for this UPN (default: the assigned user)")
      ->type_name("UPN");
  plan_cmd->add_flag("--json", plan.json, kJsonHelp);
  plan_cmd->callback(
      [&] { remote(plan.json, [&](Api& a, Console& c) { return Plan(plan, a, c); }); });

  GetOptions get;
  std::string kinds_text;
  for (const ResourceKind& kind : ResourceKinds()) {
    kinds_text += (kinds_text.empty() ? "" : ", ") + kind.collection;
  }
  CLI::App* get_cmd = app.add_subcommand(
      "get",
      "List the resources of a kind (all pages), or show one by name or id.\n"
      "Names: serial number for devices, user principal name for users, display name for the\n"
      "rest. Kinds: " +
          kinds_text + " (or singular: app, group, device...)");
  get_cmd->add_option("KIND", get.kind, "the kind")->required();
  get_cmd->add_option("NAME", get.name, "a resource's name or id (default: list all)");
  get_cmd->add_flag("--wide", get.show_ids, "also show each resource's id");
  get_cmd->add_flag("--json", get.json, kJsonHelp);
  get_cmd->callback([&] {
    if (!KnownKind(get.kind, "groundcrew get", code)) return;
    remote(get.json, [&](Api& a, Console& c) { return Get(get, a, c); });
  });

  DeleteOptions delete_options;
  CLI::App* delete_resource_cmd = app.add_subcommand(
      "delete",
      "Delete one resource by name or id (kinds as for `get`). The server refuses deleting\n"
      "what another resource still references, and names it.");
  delete_resource_cmd->add_option("KIND", delete_options.kind, "the kind")->required();
  delete_resource_cmd->add_option("NAME", delete_options.name, "the resource's name or id")
      ->required();
  delete_resource_cmd->add_flag("--json", delete_options.json, "print the result as JSON");
  delete_resource_cmd->callback([&] {
    if (!KnownKind(delete_options.kind, "groundcrew delete", code)) return;
    remote(delete_options.json, [&](Api& a, Console& c) { return Delete(delete_options, a, c); });
  });

  MembersOptions members;
  CLI::App* members_cmd =
      app.add_subcommand("members", "List a group's current members (computed now).");
  members_cmd->add_option("GROUP", members.group, "the group's name or id")->required();
  members_cmd->add_flag("--wide", members.show_ids, "also show each member's id");
  members_cmd->add_flag("--json", members.json, kJsonHelp);
  members_cmd->callback(
      [&] { remote(members.json, [&](Api& a, Console& c) { return Members(members, a, c); }); });

  CLI::App* devices = app.add_subcommand("devices", "Windows Autopilot devices");
  devices->require_subcommand(1);

  DevicesListOptions list;
  CLI::App* list_cmd = devices->add_subcommand("list", "List registered devices (all pages).");
  list_cmd->add_option("--serial", list.serial, "only this serial number");
  list_cmd->add_option("--group-tag", list.group_tag, "only devices with this group tag");
  list_cmd->add_option("--state", list.state,
                       "only this enrollmentState (notContacted, enrolled, ...)");
  list_cmd->add_option("--deployment-state", list.deployment_state,
                       "only devices whose latest flow is in this state (inProgress, success, "
                       "failure, ...)");
  list_cmd->add_flag("--json", list.json, kJsonHelp);
  list_cmd->callback(
      [&] { remote(list.json, [&](Api& a, Console& c) { return DevicesList(list, a, c); }); });

  DeviceOptions show;
  CLI::App* show_cmd = devices->add_subcommand("show", "Show one device.");
  show_cmd->add_option("DEVICE", show.device, kDeviceHelp)->required();
  show_cmd->add_flag("--json", show.json, kJsonHelp);
  show_cmd->callback(
      [&] { remote(show.json, [&](Api& a, Console& c) { return DevicesShow(show, a, c); }); });

  DevicesImportOptions import;
  CLI::App* import_cmd = devices->add_subcommand(
      "import",
      "Import a registration CSV (sent as is; UTF-8 or UTF-16). When any row fails nothing\n"
      "is imported. Exit codes: 0 all rows imported, 1 some row failed or the file was refused.");
  import_cmd->add_option("FILE", import.file, "the CSV file")->required();
  import_cmd->add_flag("--json", import.json, kJsonHelp);
  import_cmd->callback([&] {
    remote(import.json, [&](Api& a, Console& c) { return DevicesImport(import, a, c); });
  });

  DevicesUpdateOptions update;
  CLI::App* update_cmd =
      devices->add_subcommand("update", "Change a device's group tag, assigned user or name.");
  update_cmd->add_option("DEVICE", update.device.device, kDeviceHelp)->required();
  update_cmd->add_option("--group-tag", update.group_tag, "the new group tag (\"\" clears it)");
  update_cmd->add_option("--user", update.user, "the assigned user's UPN (\"\" removes it)")
      ->type_name("UPN");
  update_cmd->add_option("--addressable-user-name", update.addressable_user_name,
                         "the name greeting the user at sign-in");
  update_cmd->add_option("--display-name", update.display_name, "the device's display name");
  update_cmd
      ->add_option("--if-match", update.device.if_match,
                   "only change the device if its version is this one")
      ->type_name("VERSION");
  update_cmd->add_flag("--json", update.device.json, kJsonHelp);
  update_cmd->callback([&] {
    update.set_group_tag = update_cmd->count("--group-tag") > 0;
    update.set_user = update_cmd->count("--user") > 0;
    update.set_addressable_user_name = update_cmd->count("--addressable-user-name") > 0;
    update.set_display_name = update_cmd->count("--display-name") > 0;
    remote(update.device.json, [&](Api& a, Console& c) { return DevicesUpdate(update, a, c); });
  });

  DeviceOptions remove;
  CLI::App* delete_cmd = devices->add_subcommand("delete", "Delete a device's registration.");
  delete_cmd->add_option("DEVICE", remove.device, kDeviceHelp)->required();
  delete_cmd
      ->add_option("--if-match", remove.if_match,
                   "only delete the device if its version is this one")
      ->type_name("VERSION");
  delete_cmd->add_flag("--json", remove.json, "print the result as JSON");
  delete_cmd->callback([&] {
    remote(remove.json, [&](Api& a, Console& c) { return DevicesDelete(remove, a, c); });
  });

  DeviceOptions reprovision;
  CLI::App* reprovision_cmd = devices->add_subcommand(
      "reprovision", "Allow a fresh technician flow for a device (clears its enrollment).");
  reprovision_cmd->add_option("DEVICE", reprovision.device, kDeviceHelp)->required();
  reprovision_cmd->add_flag("--json", reprovision.json, "print the result as JSON");
  reprovision_cmd->callback([&] {
    remote(reprovision.json,
           [&](Api& a, Console& c) { return DevicesReprovision(reprovision, a, c); });
  });

  DiagnosticsOptions diagnostics;
  CLI::App* diagnostics_cmd = devices->add_subcommand(
      "diagnostics",
      "List the diagnostics archives a device's agent uploaded from an error screen (a redacted\n"
      "copy of its journal and install logs, kept 28 days), or save one with --download.");
  diagnostics_cmd->add_option("SERIAL", diagnostics.serial, "the device's serial number (or id)")
      ->required();
  diagnostics_cmd
      ->add_option("--download", diagnostics.id,
                   "save an archive: this one, or without ID the newest (give SERIAL first)")
      ->expected(0, 1)
      ->type_name("[ID]");
  diagnostics_cmd
      ->add_option("-o,--output", diagnostics.output,
                   "where to save it (default: the archive's file name in the current folder); "
                   "created 0600, never over an existing file")
      ->type_name("FILE");
  diagnostics_cmd->add_flag("--json", diagnostics.json, kJsonHelp);
  diagnostics_cmd->callback([&] {
    diagnostics.download = diagnostics_cmd->count("--download") > 0;
    remote(diagnostics.json,
           [&](Api& a, Console& c) { return DevicesDiagnostics(diagnostics, a, c); });
  });

  bool settings_json = false;
  CLI::App* settings_cmd = app.add_subcommand(
      "settings", "List the settings a policy may set (the Linux settings catalog).");
  settings_cmd->add_flag("--json", settings_json, kJsonHelp);
  settings_cmd->callback([&] {
    remote(settings_json, [&](Api& a, Console& c) { return SettingsCatalog(settings_json, a, c); });
  });

  AuditOptions audit;
  CLI::App* audit_cmd = app.add_subcommand("audit", "Show the audit log (all pages).");
  audit_cmd->add_option("--actor", audit.actor, "only what this credential did")->type_name("NAME");
  audit_cmd->add_option("--kind", audit.kind, "only changes to this kind (groups, apps, ...)");
  audit_cmd->add_flag("--json", audit.json, kJsonHelp);
  audit_cmd->callback(
      [&] { remote(audit.json, [&](Api& a, Console& c) { return Audit(audit, a, c); }); });

  SessionsOptions sessions;
  CLI::App* sessions_cmd =
      app.add_subcommand("sessions", "List deployment sessions (technician and user flows).");
  sessions_cmd->add_option("--device", sessions.device, "only this device's sessions")
      ->type_name("SERIAL|ID");
  sessions_cmd->add_option("--flow", sessions.flow, "only this flow (technician, user)");
  sessions_cmd->add_option("--state", sessions.state, "only sessions in this state (failure, ...)");
  sessions_cmd->add_flag("--json", sessions.json, kJsonHelp);
  sessions_cmd->callback(
      [&] { remote(sessions.json, [&](Api& a, Console& c) { return Sessions(sessions, a, c); }); });

  ReportOptions report;
  CLI::App* report_cmd = app.add_subcommand(
      "report",
      "Show a device's deployment: per flow (technician, user) its final state, phases and\n"
      "items with status, attempts, durations and error codes, and compliance before and\n"
      "after, from the events its agent reported.");
  report_cmd->add_option("DEVICE", report.serial, kDeviceHelp)->required();
  report_cmd->add_flag("--json", report.json, kJsonHelp);
  report_cmd->callback(
      [&] { remote(report.json, [&](Api& a, Console& c) { return Report(report, a, c); }); });

  WatchOptions watch;
  CLI::App* watch_cmd = app.add_subcommand(
      "watch",
      "Stream every device's deployment events as they are reported, one line each:\n"
      "time, serial number, flow, event, what it is about. Runs until interrupted.");
  watch_cmd
      ->add_option("--after", watch.after,
                   "only events after this sequence number (default 0: from the first)")
      ->check(WholeNumber())
      ->type_name("N");
  watch_cmd->add_flag("--once", watch.once, "print the events there are now and exit");
  watch_cmd->add_option("--serial", watch.serial, "only this device's events");
  watch_cmd->add_option("--flow", watch.flow, "only this flow's events (technician, user)");
  watch_cmd->add_option("--state", watch.state,
                        "only events of sessions now in this state (failure, ...)");
  watch_cmd->add_flag("--json", watch.json, "print each event as one line of JSON");
  watch_cmd->callback([&] {
    // Each long poll must end well within the HTTP timeout.
    watch.wait_seconds = std::clamp(static_cast<int>(globals.timeout) - 5, 0, 25);
    remote(watch.json, [&](Api& a, Console& c) { return Watch(watch, a, c); });
  });

  // ---- Users' sign-in credentials -----------------------------------------------------------
  CLI::App* users = app.add_subcommand(
      "users",
      "Users' sign-in credentials: password, MFA, lockout. USER is a user principal name\n"
      "(matched case-insensitively) or a user id.");
  users->require_subcommand(1);
  constexpr const char* kUserHelp = "the user's UPN or id";

  UserOptions user_show;
  CLI::App* user_show_cmd = users->add_subcommand(
      "show", "Show whether a password is set, MFA enrollment, recent failures and lock.");
  user_show_cmd->add_option("USER", user_show.user, kUserHelp)->required();
  user_show_cmd->add_flag("--json", user_show.json, kJsonHelp);
  user_show_cmd->callback([&] {
    remote(user_show.json, [&](Api& a, Console& c) { return UsersShow(user_show, a, c); });
  });

  UserOptions set_password;
  bool password_stdin = false;
  CLI::App* set_password_cmd = users->add_subcommand(
      "set-password",
      "Set a user's password (the server's policy applies, e.g. at least 12 characters).\n"
      "Also clears the lockout and revokes the user's tokens. The password is typed twice\n"
      "without echo, or read from stdin with --password-stdin; it is never printed.");
  set_password_cmd->add_option("USER", set_password.user, kUserHelp)->required();
  set_password_cmd->add_flag("--password-stdin", password_stdin,
                             "read the password from stdin's first line (no prompt)");
  set_password_cmd->add_flag("--json", set_password.json, "print the result as JSON");
  // A new password: from stdin's first line with --password-stdin, else typed twice on the
  // terminal; nullopt (exit 2 reported) when stdin is no terminal to type it on.
  auto new_password = [&](bool from_stdin, bool json) -> std::optional<PasswordSource> {
    if (!from_stdin && ::isatty(STDIN_FILENO) != 1) {
      Console console = ProcessConsole(Environment::FromProcess());
      code = ReportError("invalid_argument",
                         "stdin is not a terminal to type the password on: give --password-stdin "
                         "to read it from stdin",
                         "--password-stdin", 2, json, console.err_style.color, console.out,
                         console.err);
      return std::nullopt;
    }
    return PasswordSource([from_stdin]() -> Result<std::string> {
      if (from_stdin) return PasswordFromStdin(std::cin);
      return PasswordTypedTwice(ReadHiddenLine);
    });
  };
  set_password_cmd->callback([&] {
    std::optional<PasswordSource> password = new_password(password_stdin, set_password.json);
    if (!password) return;
    remote(set_password.json,
           [&](Api& a, Console& c) { return UsersSetPassword(set_password, *password, a, c); });
  });

  CLI::App* mfa = users->add_subcommand("mfa", "Time-based one-time codes (TOTP) for sign-in");
  mfa->require_subcommand(1);

  MfaEnrollOptions enroll;
  CLI::App* enroll_cmd = mfa->add_subcommand(
      "enroll",
      "Enroll a user in MFA, replacing any enrollment (their tokens are revoked). Prints the\n"
      "QR code for an authenticator app to scan from the terminal, the secret and the\n"
      "otpauth:// URI: pass them on to the user only.");
  enroll_cmd->add_option("USER", enroll.user.user, kUserHelp)->required();
  enroll_cmd
      ->add_option("--secret", enroll.secret,
                   "enroll this base32 secret instead of a fresh one (visible in the process "
                   "list)")
      ->type_name("BASE32");
  enroll_cmd
      ->add_option("--svg", enroll.svg_file,
                   "also write the QR code as SVG to FILE (mode 0600: it holds the secret)")
      ->type_name("FILE");
  enroll_cmd->add_flag("--json", enroll.user.json, kJsonHelp);
  enroll_cmd->callback([&] {
    remote(enroll.user.json, [&](Api& a, Console& c) { return UsersMfaEnroll(enroll, a, c); });
  });

  UserOptions mfa_reset;
  CLI::App* mfa_reset_cmd = mfa->add_subcommand(
      "reset",
      "Remove a user's MFA enrollment (they register again at the next sign-in that needs\n"
      "MFA; their tokens are revoked).");
  mfa_reset_cmd->add_option("USER", mfa_reset.user, kUserHelp)->required();
  mfa_reset_cmd->add_flag("--json", mfa_reset.json, "print the result as JSON");
  mfa_reset_cmd->callback([&] {
    remote(mfa_reset.json, [&](Api& a, Console& c) { return UsersMfaReset(mfa_reset, a, c); });
  });

  UserOptions unlock;
  CLI::App* unlock_cmd =
      users->add_subcommand("unlock", "Clear a user's recent sign-in failures and lock.");
  unlock_cmd->add_option("USER", unlock.user, kUserHelp)->required();
  unlock_cmd->add_flag("--json", unlock.json, "print the result as JSON");
  unlock_cmd->callback(
      [&] { remote(unlock.json, [&](Api& a, Console& c) { return UsersUnlock(unlock, a, c); }); });

  // ---- Admin-API credentials (apps/groundcrew adds `credentials recover`) -------------------
  CLI::App* credentials = app.add_subcommand(
      "credentials",
      "The admin API's bearer credentials: role admin (read and change), reader (read) or\n"
      "technician (devices, deployments, plans, reports; reprovision).\n"
      "NAME is a credential's name (matched exactly, then apart from case) or its id.");
  credentials->require_subcommand(1);

  CredentialsListOptions credentials_list;
  CLI::App* credentials_list_cmd = credentials->add_subcommand(
      "list", "List every credential, revoked ones too (never their tokens).");
  credentials_list_cmd->add_flag("--wide", credentials_list.wide, "also show each one's id");
  credentials_list_cmd->add_flag("--json", credentials_list.json, kJsonHelp);
  credentials_list_cmd->callback([&] {
    remote(credentials_list.json,
           [&](Api& a, Console& c) { return CredentialsList(credentials_list, a, c); });
  });

  CredentialsCreateOptions credentials_create;
  CLI::App* credentials_create_cmd = credentials->add_subcommand(
      "create",
      "Issue a credential. Its token is shown only once: it is written to --output FILE\n"
      "(created 0600, never over an existing file), else to stdout when stdout is not a\n"
      "terminal (`> ci.token`, a pipe); on a terminal without --output nothing is created.");
  credentials_create_cmd
      ->add_option("NAME", credentials_create.name,
                   "a name no other credential has (nor had: revoked ones keep theirs)")
      ->required();
  credentials_create_cmd
      ->add_option("--role", credentials_create.role,
                   "admin (read and change), reader (read only; the default) or technician "
                   "(devices, deployments, plans, reports; reprovision)")
      ->check(CLI::IsMember({"admin", "reader", "technician"}));
  credentials_create_cmd
      ->add_option("-o,--output", credentials_create.output,
                   "write the token to FILE (mode 0600; never over an existing file)")
      ->type_name("FILE");
  credentials_create_cmd->add_flag(
      "--json", credentials_create.json,
      "print the server's answer as JSON (with --output, the token is in the file only)");
  credentials_create_cmd->callback([&] {
    credentials_create.stdout_is_terminal = ::isatty(STDOUT_FILENO) == 1;
    remote(credentials_create.json,
           [&](Api& a, Console& c) { return CredentialsCreate(credentials_create, a, c); });
  });

  CredentialsRevokeOptions credentials_revoke;
  CLI::App* credentials_revoke_cmd = credentials->add_subcommand(
      "revoke", "Revoke a credential: its token is refused from then on.");
  credentials_revoke_cmd->add_option("NAME", credentials_revoke.credential, "its name or id")
      ->required();
  credentials_revoke_cmd->add_flag(
      "--yes", credentials_revoke.yes,
      "also when it is the credential this CLI is signed in with (which signs it out)");
  credentials_revoke_cmd->add_flag("--json", credentials_revoke.json,
                                   "print the credential as listed afterwards, as JSON");
  credentials_revoke_cmd->callback([&] {
    remote(credentials_revoke.json,
           [&](Api& a, Console& c) { return CredentialsRevoke(credentials_revoke, a, c); });
  });

  // ---- Admins as people: console accounts with a password and TOTP ------------------------
  CLI::App* admins = app.add_subcommand(
      "admins",
      "Admins who sign in to the console with a password and a TOTP code; role admin (read\n"
      "and change), reader (read) or technician (devices, deployments, plans, reports;\n"
      "reprovision). NAME is 1-64 of a-z 0-9 . _ -");
  admins->require_subcommand(1);
  constexpr const char* kAdminNameHelp = "the admin's name";

  AdminsAddOptions admins_add;
  bool admin_password_stdin = false;
  CLI::App* admins_add_cmd = admins->add_subcommand(
      "add",
      "Add an admin. The password (the server's policy applies, e.g. at least 12 characters)\n"
      "is typed twice without echo, or read from stdin with --password-stdin. Prints the new\n"
      "TOTP secret and otpauth:// URI once: pass them on to the admin only.");
  admins_add_cmd->add_option("NAME", admins_add.name, kAdminNameHelp)->required();
  admins_add_cmd
      ->add_option("--role", admins_add.role,
                   "admin (read and change), reader (read only) or technician (field work)")
      ->required()
      ->check(CLI::IsMember({"admin", "reader", "technician"}));
  admins_add_cmd->add_flag("--password-stdin", admin_password_stdin,
                           "read the password from stdin's first line (no prompt)");
  admins_add_cmd->add_flag("--json", admins_add.json,
                           "print the server's answer (with the secret) as JSON");
  admins_add_cmd->callback([&] {
    std::optional<PasswordSource> password = new_password(admin_password_stdin, admins_add.json);
    if (!password) return;
    remote(admins_add.json,
           [&](Api& a, Console& c) { return AdminsAdd(admins_add, *password, a, c); });
  });

  bool admins_list_json = false;
  CLI::App* admins_list_cmd = admins->add_subcommand(
      "list", "List the admins: role, last sign-in, lock (never their secrets).");
  admins_list_cmd->add_flag("--json", admins_list_json, kJsonHelp);
  admins_list_cmd->callback([&] {
    remote(admins_list_json,
           [&](Api& a, Console& c) { return AdminsList(admins_list_json, a, c); });
  });

  AdminNameOptions admins_remove;
  CLI::App* admins_remove_cmd =
      admins->add_subcommand("remove", "Remove an admin; their console sessions end.");
  admins_remove_cmd->add_option("NAME", admins_remove.name, kAdminNameHelp)->required();
  admins_remove_cmd->add_flag("--json", admins_remove.json, "print the result as JSON");
  admins_remove_cmd->callback([&] {
    remote(admins_remove.json,
           [&](Api& a, Console& c) { return AdminsRemove(admins_remove, a, c); });
  });

  AdminNameOptions admins_reset_mfa;
  CLI::App* admins_reset_mfa_cmd = admins->add_subcommand(
      "reset-mfa",
      "Give an admin a new TOTP secret (a lost authenticator): the old one is refused and\n"
      "their console sessions end. Prints the secret and otpauth:// URI once.");
  admins_reset_mfa_cmd->add_option("NAME", admins_reset_mfa.name, kAdminNameHelp)->required();
  admins_reset_mfa_cmd->add_flag("--json", admins_reset_mfa.json,
                                 "print the server's answer (with the secret) as JSON");
  admins_reset_mfa_cmd->callback([&] {
    remote(admins_reset_mfa.json,
           [&](Api& a, Console& c) { return AdminsResetMfa(admins_reset_mfa, a, c); });
  });

  AdminNameOptions admins_unlock;
  CLI::App* admins_unlock_cmd =
      admins->add_subcommand("unlock", "Clear an admin's recent sign-in failures and lock.");
  admins_unlock_cmd->add_option("NAME", admins_unlock.name, kAdminNameHelp)->required();
  admins_unlock_cmd->add_flag("--json", admins_unlock.json, "print the result as JSON");
  admins_unlock_cmd->callback([&] {
    remote(admins_unlock.json,
           [&](Api& a, Console& c) { return AdminsUnlock(admins_unlock, a, c); });
  });

  if (extend) extend(app, code);

  // Unknown commands and flags are named with a suggestion before CLI11 parses (it would say
  // only that a subcommand is required); its own errors are worded the same way.
  if (auto problem = FindUnknownWord(app, std::vector<std::string>(argv + 1, argv + argc))) {
    std::cerr << UsageText(problem->message, problem->command);
    return 2;
  }
  app.failure_message(
      [](const CLI::App* root, const CLI::Error& e) { return UsageTextFor(*root, e); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and --version exit 0, every usage error exits 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return code;
}

}  // namespace groundcrew::cli

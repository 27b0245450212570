#pragma once

#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/api.hpp"
#include "cli/render.hpp"

// The `groundcrew` commands that talk to groundcrewd's admin API (docs/admin-api.md). Each
// returns the process exit code: 0 success, 1 a failed call (local, transport or server error;
// reported like local errors, as JSON on stdout with --json), 2 a usage error found after
// parsing. Results go to `out`, errors and progress to `err`.
namespace groundcrew::cli {

/// Where a command writes, and how.
struct Console {
  std::ostream& out;
  std::ostream& err;
  Style out_style;               ///< colour on `out`
  Style err_style;               ///< colour on `err`
  bool err_is_terminal = false;  ///< progress bars on `err`
};

/// Reports `error` (see report.hpp; a hint follows "unauthenticated") and returns 1.
int ReportApiError(const ApiError& error, bool json, Console& console);

/// Asks the person at the terminal a yes/no question.
struct Prompter {
  bool available = false;  ///< stdin is a terminal to answer on
  /// Writes `question` (on stderr) and reads the answer: true only for "y" or "yes".
  std::function<bool(std::string_view question)> ask;
};
/// The process's: available when stdin is a terminal.
Prompter TerminalPrompter();

/// (query parameter, the command's flag that sets it), e.g. {"deploymentState", "--state"}.
using FlagNames = std::vector<std::pair<std::string_view, std::string_view>>;

/// `error` with its field, when it is one of `flags`' query parameters, named as the flag the
/// user typed.
ApiError NamingFlags(ApiError error, FlagNames flags);

/// "name=value&..." for the `parameters` whose value is not empty, values URL-escaped ("" when
/// none is).
std::string QueryParameters(
    std::initializer_list<std::pair<std::string_view, std::string_view>> parameters);

struct ApplyOptions {
  std::string file;
  bool dry_run = false;
  bool prune = false;  ///< also delete what the document's sections no longer list
  bool yes = false;    ///< prune without asking
  bool json = false;
  Prompter prompter = TerminalPrompter();
};
/// Reads the YAML tenant, uploads app content that is not on the server yet (HEAD, then PUT),
/// posts the document to /v1/apply and prints the changes. A dry run uploads nothing: the
/// server says which content it lacks. --prune without --yes asks on the terminal after
/// showing a dry run (exit 1 when refused), and is a usage error (exit 2) when stdin is not a
/// terminal. A refused document prints each problem once, as "FILE:LINE:COLUMN: PATH: WHY".
/// Exit 1 also when device rows failed.
int Apply(const ApplyOptions& options, Api& api, Console& console);

struct PlanOptions {
  std::string serial;
  std::string user;  ///< UPN; "" = the device's assigned user, if any
  bool json = false;
};
int Plan(const PlanOptions& options, Api& api, Console& console);

struct GetOptions {
  std::string kind;       ///< a kind word (resolve.hpp ParseKind): "apps", "app", "devices"...
  std::string name;       ///< a name or id (resolve.hpp Resolve); "" = list all
  bool show_ids = false;  ///< --wide: the table has an ID column
  bool json = false;
};
int Get(const GetOptions& options, Api& api, Console& console);

struct MembersOptions {
  std::string group;  ///< the group's name or id
  bool show_ids = false;
  bool json = false;
};
int Members(const MembersOptions& options, Api& api, Console& console);

struct DeleteOptions {
  std::string kind;  ///< a kind word (resolve.hpp ParseKind)
  std::string name;  ///< a name or id (resolve.hpp Resolve)
  bool json = false;
};
/// Deletes one resource found by name or id. The server refuses deleting what others still
/// reference (failed_precondition naming the referrer).
int Delete(const DeleteOptions& options, Api& api, Console& console);

struct DevicesListOptions {
  std::string serial, group_tag, state;  ///< filters; "" = any
  std::string deployment_state = {};     ///< the latest session's state; "" = any
  bool json = false;
};
int DevicesList(const DevicesListOptions& options, Api& api, Console& console);

struct DeviceOptions {
  std::string device;    ///< serial number or id
  std::string if_match;  ///< a version for If-Match; "" = none
  bool json = false;
};
int DevicesShow(const DeviceOptions& options, Api& api, Console& console);
int DevicesDelete(const DeviceOptions& options, Api& api, Console& console);
int DevicesReprovision(const DeviceOptions& options, Api& api, Console& console);

struct DevicesImportOptions {
  std::string file;
  bool json = false;
};
/// Exit 1 when the server refused the file or any row failed.
int DevicesImport(const DevicesImportOptions& options, Api& api, Console& console);

struct DevicesUpdateOptions {
  DeviceOptions device;
  /// Each field is sent only when its flag was given (an empty value clears the field).
  bool set_group_tag = false, set_user = false, set_addressable_user_name = false,
       set_display_name = false;
  std::string group_tag, user, addressable_user_name, display_name;
};
/// Exit 2 when no field was given.
int DevicesUpdate(const DevicesUpdateOptions& options, Api& api, Console& console);

struct AuditOptions {
  std::string actor = {};  ///< only this credential's entries; "" = every actor
  std::string kind = {};   ///< only entries about this resource kind; "" = every kind
  bool json = false;
};
int Audit(const AuditOptions& options, Api& api, Console& console);

/// The settings a policy may set (the server's settings catalog), by id.
int SettingsCatalog(bool json, Api& api, Console& console);

struct SessionsOptions {
  std::string device = {};  ///< a serial number or device id; "" = every device
  std::string flow = {};    ///< "technician" | "user"; "" = both
  std::string state = {};   ///< a deployment state, e.g. "failure"; "" = any
  bool json = false;
};
/// The sessions (the table oldest first). `device` is found as resolve.hpp's Resolve finds
/// devices (serial number or id; an error names --device).
int Sessions(const SessionsOptions& options, Api& api, Console& console);

struct LoginOptions {
  std::string server;            ///< as resolved (see config.hpp)
  std::string token;             ///< the token to verify and save
  std::string credentials_path;  ///< CredentialsPath()
  bool json = false;
};
/// Verifies the token with GET /v1/me (`api` must send it), then saves {server, token}.
int Login(const LoginOptions& options, Api& api, Console& console);

/// Removes the saved login (not an error when there is none).
int Logout(const std::string& credentials_path, Console& console);

}  // namespace groundcrew::cli

#include "cli/user_commands.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <istream>
#include <ostream>
#include <sstream>
#include <utility>

#include "cli/read_file.hpp"
#include "cli/render.hpp"
#include "cli/report.hpp"
#include "cli/resolve.hpp"
#include "cli/table.hpp"
#include "common/text.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

std::string UserPath(const UserRef& user) { return "/v1/users/" + UrlEscape(user.id); }

// Ends a command that changed a credential: `json_result` with --json, else `message`.
int Done(const UserOptions& options, json::object json_result, const std::string& message,
         Console& console) {
  if (options.json) {
    WriteJson(console.out, json_result);
  } else {
    console.out << message << '\n';
  }
  return 0;
}

json::object ResultFor(const UserRef& user) {
  json::object result{{"userId", user.id}};
  result["userPrincipalName"] = user.user_principal_name.empty()
                                    ? json::value(nullptr)
                                    : json::value(user.user_principal_name);
  return result;
}

bool Flag(const json::value& object, std::string_view key) {
  const json::object* o = object.if_object();
  const json::value* v = o ? o->if_contains(key) : nullptr;
  return v && v->is_bool() && v->get_bool();
}

}  // namespace

ApiResult<UserRef> ResolveUser(Api& api, std::string_view user) {
  if (user.empty()) return ApiError{"invalid_argument", "no user given", "USER", 0};
  // One word without '@' is an id, used without a call (a wrong one is the server's not_found).
  if (user.find_first_of("@ ") == std::string_view::npos) return UserRef{std::string(user), ""};
  auto found = Resolve(api, "users", user, "USER");
  if (!found) return found.error();
  return UserRef{found->id, found->name};
}

Result<std::string> PasswordFromStdin(std::istream& in) {
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "no password on stdin (its first line is the password)", "--password-stdin");
  }
  return line;
}

Result<std::string> PasswordTypedTwice(const HiddenLineReader& read) {
  std::optional<std::string> first = read("New password: ");
  if (!first || first->empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "no password entered", "password");
  }
  std::optional<std::string> second = read("Repeat the password: ");
  if (!second || *second != *first) {
    return MakeError(ErrorCode::kInvalidArgument, "the two passwords differ; nothing was changed",
                     "password");
  }
  return std::move(*first);
}

void RenderSignInState(const json::value& state, const Style& style, std::ostream& out) {
  Table table({"User", CellText(state, "userPrincipalName")});
  table.Add({"User id", CellText(state, "userId")});
  table.Add({"Password", Flag(state, "passwordSet")
                             ? "set"
                             : style.Paint("not set (the user cannot sign in)", Color::kYellow)});
  table.Add({"MFA", Flag(state, "mfaEnrolled")
                        ? "enrolled"
                        : "not enrolled (registers at the next sign-in that needs MFA)"});
  const std::string failures = CellText(state, "recentFailures");
  table.Add({"Recent failures", failures.empty() ? "0" : failures});
  const std::string locked_until = CellText(state, "lockedUntil");
  table.Add({"Locked", locked_until.empty() ? "no"
                                            : style.Paint("until " + locked_until, Color::kRed) +
                                                  " (groundcrew users unlock clears it)"});
  // The devices where the user failed recently (each locks for the user on its own).
  if (const json::object* object = state.if_object()) {
    if (const json::value* devices = object->if_contains("deviceLocks");
        devices != nullptr && devices->is_array()) {
      for (const json::value& device : devices->as_array()) {
        const std::string until = CellText(device, "lockedUntil");
        table.Add({"Device " + CellText(device, "deviceId"),
                   CellText(device, "recentFailures") + " recent failures" +
                       (until.empty() ? "" : style.Paint(", locked until " + until, Color::kRed))});
      }
    }
  }
  table.Print(out);
}

void RenderMfaEnrollment(const json::value& enrollment, const UserRef& user,
                         const std::string& svg_file, const Style& style, std::ostream& out) {
  // The QR code is several lines, each shown with its control characters made visible.
  const json::object* fields = enrollment.if_object();
  const json::value* qr_text = fields != nullptr ? fields->if_contains("qrText") : nullptr;
  std::istringstream qr(qr_text != nullptr && qr_text->is_string()
                            ? std::string(qr_text->as_string())
                            : std::string());
  for (std::string line; std::getline(qr, line);) out << text::ShowControls(line) << '\n';
  out << "Scan the QR code with an authenticator app (it is drawn for a dark terminal), or\n"
         "type in the account and the secret (time-based codes: 6 digits every 30 seconds).\n\n";
  Table table({"Account", user.label()});
  table.Add({"Secret", style.Paint(CellText(enrollment, "secret"), Color::kBold)});
  table.Add({"URI", CellText(enrollment, "otpauthUri")});
  if (!svg_file.empty()) table.Add({"SVG", svg_file + " (mode 0600: it holds the secret)"});
  table.Print(out);
  out << fmt::format(
      "\nMFA enrolled for {}: any earlier enrollment is replaced, their tokens are revoked.\n",
      user.label());
}

int UsersShow(const UserOptions& options, Api& api, Console& console) {
  auto user = ResolveUser(api, options.user);
  if (!user) return ReportApiError(user.error(), options.json, console);
  auto state = api.Call("GET", UserPath(*user) + "/signIn");
  if (!state) return ReportApiError(state.error(), options.json, console);
  if (options.json) {
    WriteJson(console.out, *state);
  } else {
    RenderSignInState(*state, console.out_style, console.out);
  }
  return 0;
}

int UsersSetPassword(const UserOptions& options, const PasswordSource& password, Api& api,
                     Console& console) {
  auto user = ResolveUser(api, options.user);
  if (!user) return ReportApiError(user.error(), options.json, console);
  Result<std::string> typed = password();
  if (!typed) return ReportApiError(ToApiError(typed.error()), options.json, console);
  auto answer =
      api.CallJson("PUT", UserPath(*user) + "/password", json::object{{"password", *typed}});
  if (!answer) return ReportApiError(answer.error(), options.json, console);
  json::object result = ResultFor(*user);
  result["passwordSet"] = true;
  return Done(options, std::move(result),
              fmt::format("Password set for {}: their lockout is cleared and their tokens are "
                          "revoked.",
                          user->label()),
              console);
}

int UsersMfaEnroll(const MfaEnrollOptions& options, Api& api, Console& console) {
  const bool as_json = options.user.json;
  auto user = ResolveUser(api, options.user.user);
  if (!user) return ReportApiError(user.error(), as_json, console);
  std::optional<PrivateFile> svg;
  if (!options.svg_file.empty()) {
    auto opened = PrivateFile::Open(options.svg_file);
    if (!opened) return ReportApiError(ToApiError(opened.error()), as_json, console);
    svg = std::move(*opened);
  }
  HttpRequest request;
  request.method = "POST";
  request.target = UserPath(*user) + "/mfa";
  if (!options.secret.empty()) {
    request.body = json::serialize(json::object{{"secret", options.secret}});
    request.content_type = "application/json";
  }
  auto enrolled = api.Send(request);
  if (!enrolled) return ReportApiError(enrolled.error(), as_json, console);
  if (svg) {
    Status written = svg->Commit(CellText(*enrolled, "qrSvg"));
    if (!written) {
      ApiError error = ToApiError(written.error());
      error.message += fmt::format(
          " (MFA was enrolled for {} but its secret is not shown: run the command again to "
          "enroll afresh)",
          user->label());
      return ReportApiError(error, as_json, console);
    }
  }
  if (as_json) {
    WriteJson(console.out, *enrolled);
  } else {
    RenderMfaEnrollment(*enrolled, *user, options.svg_file, console.out_style, console.out);
  }
  return 0;
}

int UsersMfaReset(const UserOptions& options, Api& api, Console& console) {
  auto user = ResolveUser(api, options.user);
  if (!user) return ReportApiError(user.error(), options.json, console);
  auto answer = api.Call("DELETE", UserPath(*user) + "/mfa");
  if (!answer) return ReportApiError(answer.error(), options.json, console);
  json::object result = ResultFor(*user);
  result["mfaEnrolled"] = false;
  return Done(
      options, std::move(result),
      fmt::format("MFA reset for {}: they enroll again at their next sign-in; their tokens are "
                  "revoked.",
                  user->label()),
      console);
}

int UsersUnlock(const UserOptions& options, Api& api, Console& console) {
  auto user = ResolveUser(api, options.user);
  if (!user) return ReportApiError(user.error(), options.json, console);
  auto answer = api.Call("POST", UserPath(*user) + "/unlock");
  if (!answer) return ReportApiError(answer.error(), options.json, console);
  json::object result = ResultFor(*user);
  result["unlocked"] = true;
  return Done(options, std::move(result),
              fmt::format("Unlocked {}: their recent sign-in failures are cleared.", user->label()),
              console);
}

}  // namespace groundcrew::cli

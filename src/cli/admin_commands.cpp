#include "cli/admin_commands.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <ostream>
#include <utility>

#include "cli/render.hpp"
#include "cli/report.hpp"
#include "cli/table.hpp"
#include "common/text.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

std::string AdminPath(std::string_view name) { return "/v1/admins/" + UrlEscape(name); }

// The server names the admin's name "name"; the command line calls it NAME.
int Failed(ApiError error, bool json, Console& console) {
  if (error.field == "name") error.field = "NAME";
  return ReportApiError(error, json, console);
}

// Ends a command that changed an admin: `json_result` with --json, else `message`.
int Done(const AdminNameOptions& options, json::object json_result, const std::string& message,
         Console& console) {
  if (options.json) {
    WriteJson(console.out, json_result);
  } else {
    console.out << message << '\n';
  }
  return 0;
}

}  // namespace

void RenderAdminEnrollment(const json::value& enrollment, const Style& style, std::ostream& out) {
  const std::string name = text::ShowControls(CellText(enrollment, "name"));
  Table table({"Account", name});
  table.Add({"Secret", style.Paint(CellText(enrollment, "totpSecret"), Color::kBold)});
  table.Add({"URI", CellText(enrollment, "otpauthUri")});
  table.Print(out);
  out << fmt::format(
      "\nShown only this once: pass them on to {} only. They add the secret (or the URI) to an\n"
      "authenticator app and sign in to the console with their password and its 6-digit code.\n",
      name);
}

int AdminsAdd(const AdminsAddOptions& options, const PasswordSource& password, Api& api,
              Console& console) {
  Result<std::string> typed = password();
  if (!typed) return ReportApiError(ToApiError(typed.error()), options.json, console);
  auto added = api.CallJson(
      "POST", "/v1/admins",
      json::object{{"name", options.name}, {"role", options.role}, {"password", *typed}});
  if (!added) return Failed(added.error(), options.json, console);
  if (options.json) {
    WriteJson(console.out, *added);
    return 0;
  }
  console.out << fmt::format("Added admin \"{}\" with role {}.\n\n",
                             text::ShowControls(CellText(*added, "name")),
                             CellText(*added, "role"));
  RenderAdminEnrollment(*added, console.out_style, console.out);
  return 0;
}

int AdminsList(bool as_json, Api& api, Console& console) {
  auto listed = api.ListAll("/v1/admins");
  if (!listed) return ReportApiError(listed.error(), as_json, console);
  if (as_json) {
    WriteJson(console.out, json::object{{"value", *listed}});
    return 0;
  }
  Table table({"NAME", "ROLE", "CREATED", "LAST SIGN-IN", "LOCKED UNTIL"});
  for (const json::value& item : *listed) {
    const std::string locked = CellText(item, "lockedUntilDateTime");
    table.Add({text::ShowControls(CellText(item, "name")), CellText(item, "role"),
               TimeCell(CellText(item, "createdDateTime")),
               TimeCell(CellText(item, "lastSignInDateTime")),
               locked.empty() ? "" : console.out_style.Paint(TimeCell(locked), Color::kRed)});
  }
  if (!listed->empty()) {
    table.Print(console.out);
    console.out << '\n';
  }
  console.out << fmt::format("{} {}.\n", listed->size(), listed->size() == 1 ? "admin" : "admins");
  return 0;
}

int AdminsRemove(const AdminNameOptions& options, Api& api, Console& console) {
  auto removed = api.Call("DELETE", AdminPath(options.name));
  if (!removed) return Failed(removed.error(), options.json, console);
  return Done(options, json::object{{"name", options.name}, {"removed", true}},
              fmt::format("Removed admin \"{}\": their console sessions have ended.",
                          text::ShowControls(options.name)),
              console);
}

int AdminsResetMfa(const AdminNameOptions& options, Api& api, Console& console) {
  auto reset = api.Call("POST", AdminPath(options.name) + "/mfa");
  if (!reset) return Failed(reset.error(), options.json, console);
  if (options.json) {
    WriteJson(console.out, *reset);
    return 0;
  }
  console.out << fmt::format(
      "MFA reset for admin \"{}\": the old secret is refused and their console sessions have "
      "ended.\n\n",
      text::ShowControls(options.name));
  RenderAdminEnrollment(*reset, console.out_style, console.out);
  return 0;
}

int AdminsUnlock(const AdminNameOptions& options, Api& api, Console& console) {
  auto unlocked = api.Call("POST", AdminPath(options.name) + "/unlock");
  if (!unlocked) return Failed(unlocked.error(), options.json, console);
  return Done(options, json::object{{"name", options.name}, {"unlocked", true}},
              fmt::format("Unlocked admin \"{}\": their recent sign-in failures are cleared.",
                          text::ShowControls(options.name)),
              console);
}

}  // namespace groundcrew::cli

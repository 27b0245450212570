#include "cli/report.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <ostream>

#include "cli/render.hpp"
#include "common/text.hpp"

namespace groundcrew::cli {

std::string WithField(std::string_view field, std::string_view message) {
  // The server's messages start with their field already ("apps[X].displayName: required").
  if (field.empty() ||
      (message.starts_with(field) && message.substr(field.size()).starts_with(":"))) {
    return std::string(message);
  }
  return fmt::format("{}: {}", field, message);
}

int ReportError(const Error& error, int exit_code, bool json, std::ostream& out,
                std::ostream& err) {
  return ReportError(ToString(error.code), error.message, error.field, exit_code, json, false, out,
                     err);
}

int ReportError(std::string_view code, std::string_view message, std::string_view field,
                int exit_code, bool json, bool color, std::ostream& out, std::ostream& err) {
  if (json) {
    boost::json::object body{{"code", code}, {"message", message}};
    if (!field.empty()) body["field"] = field;
    out << JsonText(boost::json::object{{"error", std::move(body)}}) << '\n';
  } else {
    err << (color ? "\x1b[31merror:\x1b[0m " : "error: ");
    err << text::ShowControls(WithField(field, message)) << '\n';
  }
  return exit_code;
}

}  // namespace groundcrew::cli

#include "cli/report.hpp"

#include <boost/json.hpp>
#include <ostream>

#include "cli/render.hpp"
#include "common/text.hpp"

namespace groundcrew::cli {

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
    // The field once, also when the message already starts with it ("limit: must be ...").
    const bool named = message.size() > field.size() && message.substr(0, field.size()) == field &&
                       message[field.size()] == ':';
    if (!field.empty() && !named) err << text::ShowControls(field) << ": ";
    err << text::ShowControls(message) << '\n';
  }
  return exit_code;
}

}  // namespace groundcrew::cli

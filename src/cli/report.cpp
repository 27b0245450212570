#include "cli/report.hpp"

#include <boost/json.hpp>
#include <ostream>

namespace groundcrew::cli {

int ReportError(const Error& error, int exit_code, bool json, std::ostream& out,
                std::ostream& err) {
  if (json) {
    boost::json::object body{{"code", ToString(error.code)}, {"message", error.message}};
    if (!error.field.empty()) body["field"] = error.field;
    out << boost::json::serialize(boost::json::object{{"error", std::move(body)}}) << '\n';
  } else {
    err << "error: " << (error.field.empty() ? "" : error.field + ": ") << error.message << '\n';
  }
  return exit_code;
}

}  // namespace groundcrew::cli

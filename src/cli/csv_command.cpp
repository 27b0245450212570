#include <fmt/format.h>

#include <boost/json.hpp>
#include <ostream>

#include "cli/commands.hpp"
#include "cli/read_file.hpp"
#include "cli/render.hpp"
#include "cli/report.hpp"
#include "cli/table.hpp"
#include "core/registration/registration_csv.hpp"

namespace groundcrew::cli {

int CsvCheck(const CsvCheckOptions& options, std::ostream& out, std::ostream& err) {
  auto bytes = ReadWholeFile(options.file);
  if (!bytes) return ReportError(bytes.error(), 1, options.json, out, err);
  const core::RegistrationFile file = core::ReadRegistrationCsv(*bytes);
  const size_t valid =
      std::count_if(file.rows.begin(), file.rows.end(), [](const auto& r) { return r.ok(); });
  const size_t refused = file.rows.size() - valid;
  const int code = file.ok() && refused == 0 ? 0 : 1;

  if (options.json) {
    boost::json::object doc;
    doc["file"] = options.file;
    boost::json::array file_errors;
    for (const Error& e : file.file_errors) {
      file_errors.push_back({{"field", e.field}, {"message", e.message}});
    }
    doc["fileErrors"] = std::move(file_errors);
    boost::json::array columns;
    for (const auto& c : file.columns) columns.emplace_back(c);
    doc["columns"] = std::move(columns);
    boost::json::array rows;
    for (const core::RegistrationRowResult& r : file.rows) {
      boost::json::object row{{"line", r.line},
                              {"serialNumber", r.row.serial_number},
                              {"productKey", r.row.product_id},
                              {"groupTag", r.row.group_tag},
                              {"assignedUserPrincipalName", r.row.assigned_user_principal_name},
                              {"status", r.ok() ? "valid" : "error"}};
      if (r.row.groundcrew_hash) {
        row["manufacturer"] = r.row.groundcrew_hash->manufacturer;
        row["model"] = r.row.groundcrew_hash->model;
      }
      if (r.failure) {
        row["deviceErrorName"] = core::ImportErrorName(r.failure->error);
        row["message"] = r.failure->message;
        row["column"] = r.failure->column;
      }
      rows.push_back(std::move(row));
    }
    doc["rows"] = std::move(rows);
    doc["valid"] = valid;
    doc["refused"] = refused;
    out << JsonText(doc) << '\n';
    return code;
  }

  for (const Error& e : file.file_errors) {
    out << "file error: " << e.field << ": " << e.message << '\n';
  }
  if (!file.file_errors.empty()) out << '\n';
  if (!file.rows.empty()) {
    Table table({"LINE", "SERIAL", "GROUP TAG", "ASSIGNED USER", "RESULT"});
    for (const core::RegistrationRowResult& r : file.rows) {
      std::string result = "valid";
      if (r.failure) {
        result = fmt::format("{}: {}", core::ImportErrorName(r.failure->error), r.failure->message);
      }
      table.Add({std::to_string(r.line), r.row.serial_number, r.row.group_tag,
                 r.row.assigned_user_principal_name, result});
    }
    table.Print(out);
    out << '\n';
  }
  out << fmt::format("{} row{}: {} valid, {} refused", file.rows.size(),
                     file.rows.size() == 1 ? "" : "s", valid, refused);
  if (!file.file_errors.empty()) {
    out << fmt::format("; {} file error{}: nothing can be imported", file.file_errors.size(),
                       file.file_errors.size() == 1 ? "" : "s");
  }
  out << '\n';
  return code;
}

}  // namespace groundcrew::cli

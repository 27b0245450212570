#include "cli/diagnostics_command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <ostream>

#include "cli/read_file.hpp"
#include "cli/render.hpp"
#include "cli/table.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

std::string DiagnosticsPath(const std::string& serial) {
  return "/v1/autopilotDevices/" + UrlEscape(serial) + "/diagnostics";
}

// The server names the device "id" and the archive "diagnosticsId"; the user typed SERIAL and
// --download.
ApiError InTermsOfTheCommand(ApiError error) {
  if (error.field == "id") error.field = "SERIAL";
  if (error.field == "diagnosticsId") error.field = "--download";
  return error;
}

std::string Size(std::uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024));
}

std::uint64_t SizeOf(const json::value& archive) {
  const json::value* size =
      archive.is_object() ? archive.as_object().if_contains("sizeBytes") : nullptr;
  if (size == nullptr) return 0;
  if (size->is_uint64()) return size->as_uint64();
  if (size->is_int64() && size->as_int64() >= 0)
    return static_cast<std::uint64_t>(size->as_int64());
  return 0;
}

// A name the archive may be saved under in the current folder as is.
bool IsPlainFileName(std::string_view name) {
  return !name.empty() && name.size() <= 128 && name.front() != '.' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
         });
}

void RenderArchives(const json::array& archives, std::ostream& out) {
  if (!archives.empty()) {
    Table table({"ID", "FILE", "SIZE", "UPLOADED", "EXPIRES"});
    for (const json::value& archive : archives) {
      table.Add({CellText(archive, "id"), CellText(archive, "fileName"), Size(SizeOf(archive)),
                 CellText(archive, "uploadedDateTime"), CellText(archive, "expiresDateTime")});
    }
    table.Print(out);
    out << '\n';
  }
  out << archives.size() << (archives.size() == 1 ? " archive" : " archives")
      << " (kept 28 days after upload).\n";
}

}  // namespace

int DevicesDiagnostics(const DiagnosticsOptions& options, Api& api, Console& console) {
  auto fail = [&](ApiError error) { return ReportApiError(error, options.json, console); };
  if (options.serial.empty()) {
    return fail({"invalid_argument", "a serial number is required", "SERIAL", 0});
  }
  auto listed = api.Call("GET", DiagnosticsPath(options.serial));
  if (!listed) return fail(InTermsOfTheCommand(listed.error()));
  const json::object* answer = listed->if_object();
  const json::value* value = answer ? answer->if_contains("value") : nullptr;
  if (value == nullptr || !value->is_array()) {
    return fail({"internal", "the server's answer has no \"value\" list", "", 200});
  }
  const json::array& archives = value->as_array();
  if (!options.download) {
    if (options.json) {
      WriteJson(console.out, *listed);
    } else {
      RenderArchives(archives, console.out);
    }
    return 0;
  }

  // The archive: the one named, else the newest (the server lists newest first).
  const json::value* chosen = nullptr;
  for (const json::value& archive : archives) {
    if (options.id.empty() || CellText(archive, "id") == options.id) {
      chosen = &archive;
      break;
    }
  }
  if (chosen == nullptr) {
    return fail({"not_found",
                 options.id.empty()
                     ? fmt::format("device {} has no diagnostics archives (an agent uploads them "
                                   "from an error screen; they are kept 28 days)",
                                   options.serial)
                     : fmt::format("device {} has no diagnostics archive {} (list them with "
                                   "`groundcrew devices diagnostics {}`)",
                                   options.serial, options.id, options.serial),
                 "--download", 0});
  }
  const std::string id = CellText(*chosen, "id");
  const std::string file_name = CellText(*chosen, "fileName");
  std::string path = options.output;
  if (path.empty()) {
    if (!IsPlainFileName(file_name)) {
      return fail({"invalid_argument",
                   fmt::format("the archive's name \"{}\" is not a plain file name: choose a file "
                               "with -o",
                               file_name),
                   "-o", 0});
    }
    path = file_name;
  }
  // Created first, so that a file in the way fails before the download.
  auto file = PrivateFile::Open(path, PrivateFile::IfExists::kRefuse);
  if (!file) return fail(ToApiError(ForOutputOption(file.error(), "-o")));
  auto fetched = api.Fetch(DiagnosticsPath(options.serial) + "/" + UrlEscape(id));
  if (!fetched) return fail(InTermsOfTheCommand(fetched.error()));
  if (Status saved = file->Commit(fetched->body); !saved) {
    return fail(ToApiError(ForOutputOption(saved.error(), "-o")));
  }
  if (options.json) {
    WriteJson(console.out, json::object{{"id", id},
                                        {"fileName", file_name},
                                        {"sizeBytes", fetched->body.size()},
                                        {"path", path}});
  } else {
    console.out << fmt::format("Saved {} ({}, uploaded {}) to {}.\n", file_name,
                               Size(fetched->body.size()), CellText(*chosen, "uploadedDateTime"),
                               path);
  }
  return 0;
}

}  // namespace groundcrew::cli

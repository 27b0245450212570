#include "server/service/deb_apps.hpp"

#include <fmt/format.h>

#include "debian_archive/deb_file.hpp"

namespace groundcrew::service {
namespace {

Error Invalid(std::string_view field, std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: {}", field, message),
                   std::string(field));
}

}  // namespace

Status ReadDebPackage(core::App& app, const ContentStore& content) {
  if (app.kind != core::AppKind::kDeb || app.content.sha256.empty()) return Ok{};
  Result<std::string> path = content.FilePath(app.content.sha256);
  if (!path) return path.error();
  const std::string& file_name =
      app.content.file_name.empty() ? app.content.sha256 : app.content.file_name;
  Result<debian_archive::DebControl> control = debian_archive::ReadDebControlFile(*path);
  if (!control) {
    if (control.error().code != ErrorCode::kInvalidArgument) return control.error();
    return Invalid("content", fmt::format("{}: {}", file_name, control.error().message));
  }
  const std::string native(debian_archive::BuildArchitecture());
  if (Status runs = debian_archive::CheckArchitecture(control->architecture, native); !runs) {
    return Invalid("content", fmt::format("{}: {}", file_name, runs.error().message));
  }
  if (!app.package_name.empty() && app.package_name != control->package) {
    return Invalid("packageName",
                   fmt::format("\"{}\", but {} is package \"{}\": leave packageName out of a deb "
                               "app (it comes from the .deb's control file)",
                               app.package_name, file_name, control->package));
  }
  if (!app.package_version.empty() && app.package_version != control->version) {
    return Invalid("packageVersion",
                   fmt::format("\"{}\", but {} is version \"{}\": leave packageVersion out of a "
                               "deb app (it comes from the .deb's control file)",
                               app.package_version, file_name, control->version));
  }
  app.package_name = std::move(control->package);
  app.package_version = std::move(control->version);
  return Ok{};
}

}  // namespace groundcrew::service

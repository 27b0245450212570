#include "core/model/payloads.hpp"

#include <fmt/format.h>

#include "core/debian/debian_version.hpp"
#include "core/debian/package_name.hpp"

namespace groundcrew::core {
namespace {

Error Invalid(std::string_view field, std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: {}", field, message),
                   std::string(field));
}

}  // namespace

std::vector<ReturnCode> DefaultReturnCodes() {
  return {{0, ReturnCodeType::kSuccess},
          {1707, ReturnCodeType::kSuccess},
          {3010, ReturnCodeType::kSoftReboot},
          {1641, ReturnCodeType::kHardReboot},
          {1618, ReturnCodeType::kRetry}};
}

ReturnCodeType ClassifyReturnCode(const std::vector<ReturnCode>& codes, int exit_code) {
  for (const ReturnCode& code : codes) {
    if (code.code == exit_code) return code.type;
  }
  return ReturnCodeType::kFailed;
}

Status CheckAppKind(const App& app) {
  if (app.kind == AppKind::kScript) {
    if (!app.package_name.empty()) {
      return Invalid("packageName", "only deb and aptPackage apps name a package");
    }
    if (!app.package_version.empty()) {
      return Invalid("packageVersion", "only deb and aptPackage apps have a package version");
    }
    return Ok{};
  }
  const std::string_view kind = app.kind == AppKind::kDeb ? "a deb" : "an aptPackage";
  if (app.install_context != InstallContext::kDevice) {
    return Invalid("installContext",
                   fmt::format("{} app installs as the system (dpkg has no per-user "
                               "packages): use \"device\"",
                               kind));
  }
  if (!app.install_command_line.empty()) {
    return Invalid("installCommandLine",
                   fmt::format("{} app is installed with apt-get: leave the command line out "
                               "(or use kind \"script\")",
                               kind));
  }
  if (!app.uninstall_command_line.empty()) {
    return Invalid("uninstallCommandLine",
                   fmt::format("{} app is removed with apt-get: leave the command line out "
                               "(or use kind \"script\")",
                               kind));
  }
  if (!app.detection_rules.empty()) {
    return Invalid("detectionRules",
                   fmt::format("{} app is detected by its package's dpkg status and version: "
                               "leave the rules out",
                               kind));
  }
  if (app.kind == AppKind::kAptPackage) {
    if (app.package_name.empty()) return Invalid("packageName", "required for an aptPackage app");
    if (!app.content.sha256.empty()) {
      return Invalid("content",
                     "an aptPackage app comes from the device's repositories: "
                     "leave content out (or use kind \"deb\" for a .deb file)");
    }
  } else if (app.content.sha256.empty()) {
    return Invalid("content",
                   "a deb app's content is its .deb file ({file: PATH} in a tenant "
                   "file)");
  }
  if (!app.package_name.empty()) {
    if (Status valid = CheckDebianPackageName(app.package_name); !valid) {
      return Invalid("packageName",
                     fmt::format("\"{}\": {}", app.package_name, valid.error().message));
    }
  }
  if (!app.package_version.empty()) {
    if (Result<DebianVersion> parsed = ParseDebianVersion(app.package_version); !parsed) {
      return Invalid("packageVersion", parsed.error().message);
    }
  }
  return Ok{};
}

const std::string& PlannedVersion(const App& app) {
  if (app.kind != AppKind::kScript && !app.package_version.empty()) return app.package_version;
  return app.display_version;
}

}  // namespace groundcrew::core

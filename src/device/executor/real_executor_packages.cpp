// RealExecutor's apps of kind deb and aptPackage (PackageInstaller does the work).
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "device/executor/device_root.hpp"
#include "device/executor/item_log.hpp"
#include "device/executor/package_installer.hpp"
#include "device/executor/real_executor.hpp"

namespace groundcrew::executor {
namespace fs = std::filesystem;

Result<ItemResult> RealExecutor::ApplyPackageApp(const core::PlanItem& item, const core::App& app,
                                                 const ApplyContext& context,
                                                 const ProgressFn& progress) {
  const std::string name = item.display_name.empty() ? app.display_name : item.display_name;
  const std::string what = fmt::format("app \"{}\" ({})", name, item.id);
  const bool install = item.action == core::ItemAction::kInstall;
  ItemLog log(state_dir_ / "logs", item.id, log_);
  log.Note(fmt::format("{} {} package {} {} ({:%Y-%m-%dT%H:%M:%SZ})",
                       install ? "install" : "uninstall", what, app.package_name,
                       app.package_version,
                       std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())));
  fs::path deb;
  if (install && app.kind == core::AppKind::kDeb) {
    if (app.content.sha256.empty()) {
      log.Note("a deb app without content");
      return ItemResult::Failed(kGenericFailureCode,
                                fmt::format("{}: a deb app without content (its .deb)", what));
    }
    Result<fs::path> fetched = FetchContent(app, log, progress);
    if (!fetched) return ContentFailure(item, what, fetched.error(), log);
    deb = *fetched;
  }
  const std::chrono::milliseconds limit =
      options_.time_limit.value_or(std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::minutes(item.time_limit_minutes)));
  const DeviceRoot root(root_);
  const PackageInstaller installer(root);
  Result<ItemResult> result = installer.Apply(item, app, deb, {limit, context.stop, log, what});
  if (!result && result.error().field.empty()) {
    Error error = result.error();
    error.field = item.id;  // as the executor's other errors name the item
    return error;
  }
  return result;
}

Result<bool> RealExecutor::DetectPackageApp(const core::PlanItem& item, const core::App& app,
                                            const ApplyContext& context) {
  const DeviceRoot root(root_);
  Result<bool> present = PackageInstaller(root).Detect(app, context.stop);
  if (!present) {
    Error error = present.error();
    const std::string name = item.display_name.empty() ? app.display_name : item.display_name;
    error.message = fmt::format("app \"{}\" ({}): {}", name, item.id, error.message);
    return error;
  }
  return *present;
}

}  // namespace groundcrew::executor

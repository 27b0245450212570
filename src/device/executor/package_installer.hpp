#pragma once

#include <chrono>
#include <filesystem>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/model/payloads.hpp"
#include "device/executor/device_root.hpp"
#include "device/executor/executor.hpp"

// Apps of kind deb and aptPackage, installed, removed and detected with the device root's own
// apt-get and dpkg (DeviceRoot: inside the root with chroot unless it is "/"), so that a
// package's dependencies come from the device's configured repositories.
namespace groundcrew::executor {

class ItemLog;

/// The code of an item whose package manager was busy (Win32's ERROR_INSTALL_ALREADY_RUNNING,
/// which the default return codes call "retry"): the driver tries it again later.
inline constexpr std::int64_t kPackageManagerBusyCode = 1618;

/// What failed apt-get output says.
enum class AptFailure {
  kLockHeld,    ///< another package manager holds dpkg's or apt's lock: try again later
  kNotLocated,  ///< the package or version is not in the package lists (update them first)
  kOther,       ///< anything else (unmet dependencies, a maintainer script...)
};

/// Classifies apt-get's output (stdout and stderr together): "Could not get lock", "Unable to
/// acquire the dpkg frontend lock", "Unable to lock ..." -> kLockHeld; "Unable to locate
/// package", "has no installation candidate", "Version '...' for '...' was not found" ->
/// kNotLocated; anything else kOther.
AptFailure ClassifyAptFailure(std::string_view output);

/// What apt said went wrong, for an item's message: the lines under "The following packages
/// have unmet dependencies:" and the "E: " lines (the last 4 in all; not "E: Can not write
/// log", which apt prints in a root without /dev/pts), joined with "; ". The output's last
/// line when there are none.
std::string AptErrorText(std::string_view output);

/// A package in the root's dpkg database.
struct PackageState {
  bool installed = false;  ///< dpkg's status is "installed" (not config-files, half-installed...)
  std::string version;     ///< the version dpkg knows ("" when it knows none)
};

/// What a PackageInstaller needs besides the app: the item's time limit (0 = none), the stop
/// token, the item's log and how messages name the item.
struct PackageRun {
  std::chrono::milliseconds time_limit{0};
  std::stop_token stop;
  ItemLog& log;
  std::string_view what;  ///< `app "Name" (id)`
};

class PackageInstaller {
 public:
  struct Options {
    /// Package lists older than this (or missing) are updated (`apt-get update`) before an
    /// install; so are lists that do not know the package.
    std::chrono::minutes list_max_age{60};
    std::chrono::milliseconds query_time_limit{std::chrono::minutes(1)};
  };

  explicit PackageInstaller(const DeviceRoot& root) : PackageInstaller(root, Options{}) {}
  PackageInstaller(const DeviceRoot& root, Options options) : root_(root), options_(options) {}

  /// Installs (or, for an uninstall item, removes) the package of `app` (kind deb or
  /// aptPackage). `deb` is the verified .deb of a deb app's content (STATE/content/...); it is
  /// checked (debian_archive::ReadDebControlFile; its architecture against the root's
  /// `dpkg --print-architecture` and `--print-foreign-architectures`), copied to
  /// ROOT/var/cache/groundcrew/debs/<sha256>.deb and installed with `apt-get install -y
  /// --no-install-recommends /var/cache/...` (removed again afterwards); an aptPackage app is
  /// installed with `apt-get install -y --no-install-recommends NAME[=VERSION]`. Uninstall is
  /// `apt-get remove -y NAME`.
  ///
  /// Detection first: a package installed at the wanted version or later (Debian ordering)
  /// is a detected success; for an uninstall, one not installed is. `apt-get update` runs first
  /// when the lists are missing or older than Options::list_max_age, and again when apt cannot
  /// locate the package. Afterwards dpkg must show the package installed at the wanted version or
  /// later (removed for an uninstall), else kNotDetectedAfterInstallCode.
  ///
  /// Outcomes: a held lock (another apt or dpkg running) is ItemResult::Retry
  /// (kPackageManagerBusyCode); apt's failure is Failed with apt-get's exit status and
  /// AptErrorText; a .deb that is not one or is for another architecture fails
  /// (kGenericFailureCode / kNotSupportedCode); past the time limit: Failed
  /// (core::kTimeoutErrorCode); a stop request: kAborted.
  [[nodiscard]] Result<ItemResult> Apply(const core::PlanItem& item, const core::App& app,
                                         const std::filesystem::path& deb,
                                         const PackageRun& run) const;

  /// Whether `app`'s package is installed at its package version or later (any version when
  /// it names none). kInvalidArgument when the app names no package; errors of dpkg-query
  /// (other than "no packages found") as kUnavailable, a stop as kAborted.
  [[nodiscard]] Result<bool> Detect(const core::App& app, std::stop_token stop) const;

  /// The package's state per `dpkg-query -W` in the root.
  [[nodiscard]] Result<PackageState> Query(std::string_view name, std::stop_token stop) const;

 private:
  const DeviceRoot& root_;
  Options options_;
};

}  // namespace groundcrew::executor

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/ids.hpp"

// What gets delivered to devices: apps, policies, certificate profiles, network profiles and
// compliance policies.
namespace groundcrew::core {

/// Who an app installs as: the system (device context) or the signed-in user.
enum class InstallContext { kDevice, kUser };

/// How the agent decides an app is already present (Win32 detection rules).
struct DetectionRule {
  enum class Kind {
    kFileExists,   ///< `path` exists under the device root
    kFileHash,     ///< `path`'s SHA-256 equals `value` (hex)
    kFileVersion,  ///< `path`'s first line, a dotted version, is >= `value`
    kCommand,      ///< `command` run with /bin/sh exits 0
  };
  Kind kind = Kind::kFileExists;
  std::string path;
  std::string value;
  std::string command;
};

/// What an installer's exit code means (Win32 return code types).
enum class ReturnCodeType { kSuccess, kSoftReboot, kHardReboot, kRetry, kFailed };

struct ReturnCode {
  int code = 0;
  ReturnCodeType type = ReturnCodeType::kSuccess;
};

/// The Win32 defaults: 0 and 1707 success, 3010 soft reboot, 1641 hard reboot, 1618 retry.
std::vector<ReturnCode> DefaultReturnCodes();

/// How an exit code is classified under `codes`; any code not listed is kFailed.
ReturnCodeType ClassifyReturnCode(const std::vector<ReturnCode>& codes, int exit_code);

struct AppDependency {
  AppId app_id;
  bool auto_install = true;  ///< install the dependency even when it is not assigned
};

/// Where an app's payload comes from: content-addressed by SHA-256.
struct AppContent {
  std::string file_name;
  std::string sha256;  ///< lower-case hex
  long long size = 0;  ///< bytes
};

/// How an app installs on the device.
enum class AppKind {
  kScript,      ///< install/uninstall command lines run with /bin/sh; detection rules
  kDeb,         ///< its content is a .deb, installed with apt (dependencies from the repositories)
  kAptPackage,  ///< a package from the device's configured repositories, by name
};

/// The installer class of every deb and aptPackage app: dpkg takes one installer at a time.
inline constexpr std::string_view kDpkgInstallerClass = "dpkg";

/// A managed application (Graph `win32LobApp`, simplified to what the agent runs).
struct App {
  AppId id;
  std::string display_name;
  std::string description, publisher;
  std::string display_version;  ///< a changed version is reinstalled in the user flow
  AppKind kind = AppKind::kScript;
  /// kAptPackage: the package to install; kDeb: the .deb's Package (set from its control file
  /// when the app is stored). Empty for scripts.
  std::string package_name;
  /// kAptPackage: the version to install and the least version detection accepts ("" = the
  /// repositories' candidate, any installed version); kDeb: the .deb's Version.
  std::string package_version;
  InstallContext install_context = InstallContext::kDevice;
  std::string install_command_line;
  std::string uninstall_command_line;
  std::vector<DetectionRule> detection_rules;
  std::vector<ReturnCode> return_codes = DefaultReturnCodes();
  std::vector<AppDependency> dependencies;
  /// Items of one installer class never install concurrently (e.g. "msi": one installer
  /// service); different classes may. Empty = the app's own class (no conflicts).
  std::string installer_class = "win32";
  AppContent content;
  long long size = 0;                ///< bytes on disk once installed
  int max_run_time_in_minutes = 60;  ///< per-item install limit
  Timestamp created_date_time{};
};

/// The fields an app's kind rules, checked on the app alone: deb and aptPackage apps install as
/// the system (installContext device) and take no install or uninstall command line and no
/// detection rules (dpkg's status is their detection); an aptPackage app names a valid Debian
/// package and, optionally, a valid Debian version; a deb app needs content. A deb app's
/// package name and version, when set, must be valid too. kInvalidArgument whose field is the
/// property ("installContext", "installCommandLine", "packageName", ...) and whose message
/// starts with it.
[[nodiscard]] Status CheckAppKind(const App& app);

/// The version the ESP delta compares for `app`: a package app's package version when it has
/// one, else its display version.
const std::string& PlannedVersion(const App& app);

/// A configuration policy (Graph `deviceConfiguration`): settings written as a JSON document.
struct Policy {
  PolicyId id;
  std::string display_name;
  std::string description;
  std::string settings_json = "{}";  ///< opaque to the core
  int version = 1;
  Timestamp created_date_time{};
};

/// A certificate the device or user gets from the tenant's certificate authority.
struct CertificateProfile {
  CertificateProfileId id;
  std::string display_name;
  std::string subject_name_format = "CN={{DeviceName}}";
  int validity_period_days = 365;
  std::vector<std::string> extended_key_usages = {"clientAuth"};
  int version = 1;
  Timestamp created_date_time{};
};

enum class NetworkKind { kWifi, kVpn };
/// kDevice: the connection is available to the system before sign-in; kUser: only to the user.
enum class NetworkScope { kDevice, kUser };
enum class WifiSecurity { kOpen, kWpa2Personal, kWpa3Personal, kWpa2Enterprise };

/// A Wi-Fi or VPN profile, written on the device as a NetworkManager keyfile.
struct NetworkProfile {
  NetworkProfileId id;
  std::string display_name;
  NetworkKind kind = NetworkKind::kWifi;
  NetworkScope scope = NetworkScope::kDevice;
  std::string ssid;  ///< Wi-Fi
  WifiSecurity security = WifiSecurity::kWpa2Personal;
  std::string pre_shared_key;  ///< secret; never logged
  bool connect_automatically = true;
  bool hidden_network = false;
  std::string server_address;  ///< VPN
  std::string vpn_type;        ///< VPN, e.g. "openvpn", "wireguard"
  int version = 1;
  Timestamp created_date_time{};
};

/// The platform a compliance policy is for: Graph `deviceManagementCompliancePolicy.platforms`.
/// groundcrew's devices run Linux, so Linux is the only kind (the discriminator keeps the wire
/// explicit and leaves room for another).
enum class CompliancePlatform { kLinux };

/// A Linux compliance policy (the settings of Intune's Linux compliance policy: allowed
/// distribution with minimum and maximum version, device encryption, password policy; named
/// after Graph's compliance settings). Empty strings, unset optionals and false booleans are not
/// checked.
struct CompliancePolicy {
  CompliancePolicyId id;
  std::string display_name;
  CompliancePlatform platform = CompliancePlatform::kLinux;  ///< platforms
  std::string os_name;                      ///< osName: the os-release ID, e.g. "debian"
  std::string os_minimum_version;           ///< osMinimumVersion, Debian version ordering ("12.7")
  std::string os_maximum_version;           ///< osMaximumVersion, Debian version ordering
  bool storage_require_encryption = false;  ///< storageRequireEncryption
  bool secure_boot_enabled = false;         ///< secureBootEnabled
  bool active_firewall_required = false;    ///< activeFirewallRequired
  bool screen_lock_required = false;        ///< screenLockRequired
  std::optional<int> screen_lock_maximum_idle_minutes;  ///< screenLockMaximumIdleMinutes
  bool automatic_security_updates_required = false;     ///< automaticSecurityUpdatesRequired
  std::optional<int> password_minimum_length;           ///< passwordMinimumLength
  int version = 1;
  Timestamp created_date_time{};
};

}  // namespace groundcrew::core

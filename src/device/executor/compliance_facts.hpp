#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/compliance/compliance.hpp"
#include "core/settings/catalog.hpp"
#include "device/executor/device_root.hpp"

// What a device reports for compliance, read from the machine under its root folder.
namespace groundcrew::executor {

/// A setting of the settings catalog as the device has it now (what its detector reads back);
/// nullopt when no policy set it, so the catalog's default is in force.
using SettingReader =
    std::function<Result<std::optional<core::SettingValue>>(std::string_view setting_id)>;

/// Reads the device's compliance facts (every path is under `root`, so a test builds the files,
/// /sys and /proc included, in a folder):
/// - OS: etc/os-release, else usr/lib/os-release (os-release(5)): ID → os_id, NAME → os_name,
///   VERSION_ID → os_version; for ID "debian" the point release in etc/debian_version ("12.7")
///   when it is a version (testing's "trixie/sid" is not).
/// - Disk encryption: the device of the "/" mount in proc/self/mountinfo (its major:minor;
///   sys/dev/block/MAJ:MIN, else its source's name under dev/) is encrypted when it, or a device
///   it sits on through sys/class/block/NAME/slaves/ (or sys/block/), is a dm device whose
///   dm/uuid starts with "CRYPT-" (dm-crypt: LUKS1, LUKS2, plain). No mountinfo, no "/" mount
///   or an unknown device: not reported.
/// - Secure Boot: the value byte of
///   sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c (after 4 bytes of
///   attributes); no sys/firmware/efi while sys/kernel exists (sysfs is there): false, "not
///   EFI"; EFI without the variable: false, "no SecureBoot variable"; no sysfs: not reported.
/// - Firewall, screen lock, automatic updates, password length: `read_setting` for
///   "firewall.enabled", "screenLock.enabled", "screenLock.idleMinutes",
///   "automaticUpdates.securityUpdates" and "passwordQuality.minimumLength". The firewall is
///   active when firewall.enabled is true and, for the system root "/", `nft list table inet
///   groundcrew` succeeds (else false, noted); in a folder root the table cannot be loaded into
///   this kernel, so the setting stands. When no policy set them:
///   - password length: minlen of pam_pwquality, when etc/pam.d/common-password uses it, as
///     libpwquality reads it (etc/security/pwquality.conf.d/*.conf in name order, then
///     etc/security/pwquality.conf, then the PAM line's minlen=; at least 6); not set anywhere:
///     not reported;
///   - automatic security updates: APT::Periodic::Unattended-Upgrade (and APT::Periodic::Enable)
///     in etc/apt/apt.conf.d/* (as apt reads them: name order, no extension or ".conf") then
///     etc/apt/apt.conf, one "Name "value";" per line; true when unattended-upgrade is
///     installed and the value is neither "0" nor empty; no etc/apt: not reported;
///   - firewall and screen lock: not reported.
/// Errors: what `read_setting` returns; kUnavailable when a file exists but cannot be read.
[[nodiscard]] Result<core::DeviceFacts> ReadComplianceFacts(const DeviceRoot& root,
                                                            const SettingReader& read_setting);

/// One line of mountinfo(5), the fields compliance needs; octal escapes (\040 for a space)
/// decoded.
struct MountInfoEntry {
  std::string device_number;  ///< "major:minor", e.g. "254:1"
  std::string mount_point;    ///< e.g. "/"
  std::string fs_type;        ///< e.g. "ext4"
  std::string source;         ///< e.g. "/dev/mapper/vg-root"
};

/// The entries of a mountinfo text, in order; lines that do not have the fields are skipped.
std::vector<MountInfoEntry> ParseMountInfo(std::string_view text);

}  // namespace groundcrew::executor

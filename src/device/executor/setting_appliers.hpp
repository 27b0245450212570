#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/settings/catalog.hpp"
#include "device/executor/device_root.hpp"

// Configuration policies made real: the settings of the catalog (core/settings/catalog.hpp)
// written as the system's own drop-in files under a device's root, and read back from them.
//
// The settings in force on a device are the union of the settings of the policies applied to
// it. Each applied policy has a record, ROOT/etc/groundcrew/policies/<policy id>.json (0600):
//   {"displayName":"Contoso baseline","version":3,"settings":{"screenLock.idleMinutes":10}}
// After every change of the records, every area (screen lock, SSH, firewall, ...) is rendered
// from their union: one drop-in per area, holding exactly the settings some record sets (a
// setting no record sets is the system's default: its line is left out, and a drop-in that
// would hold none is removed). Files are written atomically (temporary file, fsync, rename) with
// their exact mode, owned by the agent (root on a device), and only when their bytes, mode or
// owner differ, so applying the same settings twice changes nothing. The files and their formats
// are in docs/agent.md ("Settings catalog"); each catalog setting's `writes` names them.
//
// The root's own tools check a file before it replaces the old one when the root has them:
// `visudo -cf` (sudoers) and `nft -c -f` (firewall) a candidate beside it; `sshd -t` the whole
// SSH configuration with the new drop-in in place (put back as it was on refusal). `dconf
// update` compiles the screen lock into /etc/dconf/db/local; `systemctl enable` the unit that
// loads the firewall file at boot. Only when the root is the running
// system ("/") is anything loaded live: `nft -f` the firewall, `sysctl --system`, and sshd and
// systemd-timesyncd are reloaded.
//
// Changes to one root must not run at once (RealExecutor holds a lock); reading back may.
namespace groundcrew::executor {

/// One applied policy, as its record keeps it.
struct PolicyRecord {
  std::string policy_id;
  std::string display_name;
  int version = 1;
  core::PolicySettings settings;

  friend bool operator==(const PolicyRecord&, const PolicyRecord&) = default;
};

/// ROOT/etc/groundcrew/policies/<policy id>.json. `policy_id` must be IsSafeFileName.
std::filesystem::path PolicyRecordPath(const DeviceRoot& root, std::string_view policy_id);

/// The record's JSON (one line, then a new line; the settings in id order).
std::string EncodePolicyRecord(const PolicyRecord& record);

/// Reads a record's JSON. kInvalidArgument naming the field ("settings.screenLock.idleMinutes:
/// must be a whole number from 1 to 60", "displayName: expected a string").
[[nodiscard]] Result<PolicyRecord> DecodePolicyRecord(std::string_view policy_id,
                                                      std::string_view json);

/// Every record, ordered by policy id. kFailedPrecondition naming the file when one is not a
/// record (what to do: uninstall that policy, or remove the file); kUnavailable when the folder
/// cannot be read.
[[nodiscard]] Result<std::vector<PolicyRecord>> ReadPolicyRecords(const DeviceRoot& root);

/// The union of the records' settings (for a setting two records set differently, which
/// InstallPolicySettings prevents, the first record's value).
core::PolicySettings SettingsInForce(std::span<const PolicyRecord> records);

/// What a change did to the device's files, for the item's log and message.
struct SettingsChange {
  std::vector<std::string> written;  ///< paths inside the root ("/etc/sudoers.d/groundcrew")
  std::vector<std::string> removed;  ///< paths inside the root
  std::vector<std::string> notes;    ///< "ran dconf update", "no sshd in the root: not checked"
};

/// Applies `record` (install): when another record sets one of its settings to a different
/// value, kFailedPrecondition with every conflict (core::DescribeConflict, the policies' names
/// in quotes, joined by "; ") and nothing changes. Otherwise the record is written and every
/// area rendered from the union of all records. When an area cannot be written (a tool refused
/// a file: kFailedPrecondition "visudo refused /etc/sudoers.d/groundcrew: <its output>"; a disk
/// error: kUnavailable), the previous record is put back and the areas rendered from it again,
/// and the error is returned.
[[nodiscard]] Result<SettingsChange> InstallPolicySettings(const DeviceRoot& root,
                                                           const PolicyRecord& record);

/// Removes the record of `policy_id` (absent is fine) and renders every area from the others;
/// errors as InstallPolicySettings (the record is put back).
[[nodiscard]] Result<SettingsChange> UninstallPolicySettings(const DeviceRoot& root,
                                                             std::string_view policy_id);

/// Renders every area from `in_force` (see above). Exposed for tests and repairs; policies go
/// through InstallPolicySettings and UninstallPolicySettings.
[[nodiscard]] Result<SettingsChange> RenderSettings(const DeviceRoot& root,
                                                    const core::PolicySettings& in_force);

/// The value the device's files hold for `setting_id`, read back from the file its area
/// writes; nullopt when groundcrew sets nothing for it (the system's default is in force).
/// kInvalidArgument for an id the catalog lacks; kUnavailable when the file cannot be read;
/// kFailedPrecondition when groundcrew's file holds a value it would never write.
[[nodiscard]] Result<std::optional<core::SettingValue>> DetectSetting(const DeviceRoot& root,
                                                                      std::string_view setting_id);

/// Whether `record` is in force: its record is on the device with the same settings, and every
/// one of its settings reads back (DetectSetting) with its value.
[[nodiscard]] Result<bool> PolicySettingsPresent(const DeviceRoot& root,
                                                 const PolicyRecord& record);

}  // namespace groundcrew::executor

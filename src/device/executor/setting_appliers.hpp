#pragma once

#include <sys/types.h>

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
// Each applied policy has a record (0600):
//   ROOT/etc/groundcrew/policies/<policy id>.json, for a policy applied to the device:
//   {"displayName":"Contoso baseline","version":3,"settings":{"screenLock.idleMinutes":10}}
//   ROOT/etc/groundcrew/policies/users/<user>/<policy id>.json, for a policy assigned to a user
//   and applied in their Account setup, the same with "user":{"name":"ada-lovelace","uid":1000}.
// The device's settings in force are the union of every record's device settings (whoever the
// policy is for) and of the device records' user settings; a user's are the union of the user
// settings of their own records (core::SettingScope). After every change of the records, every
// area (screen lock, SSH, firewall, ...) is rendered from the device's union: one drop-in per
// area, holding exactly the settings some record sets (a setting no record sets is the system's
// default: its line is left out, and a drop-in that would hold none is removed). Then each user's
// screen lock from theirs: a dconf database of their own, groundcrew-user-<uid>, named by a
// mandatory profile /run/dconf/user/<uid> that a tmpfiles.d line makes again at every boot
// (dconf reads that profile first for the uid, so their session sees it; removed with their last
// record). Files are written atomically (temporary file, fsync, rename) with their exact mode,
// owned by the agent (root on a device), and only when their bytes, mode or owner differ, so
// applying the same settings twice changes nothing. The files and their formats are in
// docs/agent.md ("Settings catalog"); each catalog setting's `writes` names them.
//
// The root's own tools check a file before it replaces the old one when the root has them:
// `visudo -cf` (sudoers) and `nft -c -f` (firewall) a candidate beside it; `sshd -t` the whole
// SSH configuration with the new drop-in in place (put back as it was on refusal). `dconf
// update` compiles the screen locks into /etc/dconf/db; `systemctl enable` the unit that
// loads the firewall file at boot. Only when the root is the running
// system ("/") is anything loaded live: `nft -f` the firewall, `sysctl --system`, and sshd and
// systemd-timesyncd are reloaded.
//
// Changes to one root must not run at once (RealExecutor holds a lock); reading back may.
namespace groundcrew::executor {

/// The local account (local_account.hpp) a policy assigned to a user was applied for.
struct RecordUser {
  std::string name;  ///< "ada-lovelace"
  uid_t uid = 0;

  friend bool operator==(const RecordUser&, const RecordUser&) = default;
};

/// One applied policy, as its record keeps it.
struct PolicyRecord {
  std::string policy_id;
  std::string display_name;
  int version = 1;
  core::PolicySettings settings;
  /// Set when the policy was applied for a user: its user settings are theirs only.
  std::optional<RecordUser> user;

  friend bool operator==(const PolicyRecord&, const PolicyRecord&) = default;
};

/// ROOT/etc/groundcrew/policies/<policy id>.json, or for `user_name`'s record
/// ROOT/etc/groundcrew/policies/users/<user name>/<policy id>.json. Both must be IsSafeFileName.
std::filesystem::path PolicyRecordPath(const DeviceRoot& root, std::string_view policy_id,
                                       std::string_view user_name = {});

/// The record's JSON (one line, then a new line; the settings in id order).
std::string EncodePolicyRecord(const PolicyRecord& record);

/// Reads a record's JSON. kInvalidArgument naming the field ("settings.screenLock.idleMinutes:
/// must be a whole number from 1 to 60", "displayName: expected a string", "user.uid: ...").
[[nodiscard]] Result<PolicyRecord> DecodePolicyRecord(std::string_view policy_id,
                                                      std::string_view json);

/// Every record: the device's, ordered by policy id, then each user's (by user name, then policy
/// id). kFailedPrecondition naming the file when one is not a record, or a user's record is in
/// another user's folder (what to do: uninstall that policy, or remove the file); kUnavailable
/// when a folder cannot be read.
[[nodiscard]] Result<std::vector<PolicyRecord>> ReadPolicyRecords(const DeviceRoot& root);

/// The device's settings in force: every record's device settings and the device records' user
/// settings (for a setting two records set differently, which InstallPolicySettings prevents, the
/// first record's value).
core::PolicySettings SettingsInForce(std::span<const PolicyRecord> records);

/// The settings `user_name`'s own database holds: the user settings of their records.
core::PolicySettings UserSettingsInForce(std::span<const PolicyRecord> records,
                                         std::string_view user_name);

/// What a change did to the device's files, for the item's log and message.
struct SettingsChange {
  std::vector<std::string> written;  ///< paths inside the root ("/etc/sudoers.d/groundcrew")
  std::vector<std::string> removed;  ///< paths inside the root
  std::vector<std::string> notes;    ///< "ran dconf update", "no sshd in the root: not checked"
};

/// Applies `record` (install; a user's when `record.user` is set): when another record that
/// meets it sets one of its settings to a different value, kFailedPrecondition with every
/// conflict (core::DescribeConflict, the policies' names in quotes, joined by "; ") and nothing
/// changes. Records meet on every setting, except two users' records on user settings (each
/// user's go to their own database): a device record's screen lock is every user's. Otherwise the
/// record is written and every area rendered from the union of all records. When an area cannot be
/// written (a tool refused a file: kFailedPrecondition "visudo refused /etc/sudoers.d/groundcrew:
/// <its output>"; a disk error: kUnavailable), the previous record is put back and the areas
/// rendered from it again, and the error is returned.
[[nodiscard]] Result<SettingsChange> InstallPolicySettings(const DeviceRoot& root,
                                                           const PolicyRecord& record);

/// Removes the record of `policy_id` (`user_name`'s when not empty; absent is fine) and renders
/// every area from the others; errors as InstallPolicySettings (the record is put back).
[[nodiscard]] Result<SettingsChange> UninstallPolicySettings(const DeviceRoot& root,
                                                             std::string_view policy_id,
                                                             std::string_view user_name = {});

/// Renders every area from `records` (see above). Exposed for tests and repairs; policies go
/// through InstallPolicySettings and UninstallPolicySettings.
[[nodiscard]] Result<SettingsChange> RenderSettings(const DeviceRoot& root,
                                                    std::span<const PolicyRecord> records);

/// The value the device's files hold for `setting_id`, read back from the file its area
/// writes (for a user setting and a `user`, that user's database); nullopt when groundcrew sets
/// nothing for it (the system's default is in force). kInvalidArgument for an id the catalog
/// lacks; kUnavailable when the file cannot be read; kFailedPrecondition when groundcrew's file
/// holds a value it would never write.
[[nodiscard]] Result<std::optional<core::SettingValue>> DetectSetting(
    const DeviceRoot& root, std::string_view setting_id, const RecordUser* user = nullptr);

/// Whether `record` is in force: its record is on the device with the same settings and user,
/// and every one of its settings reads back (DetectSetting, as the record's user) with its
/// value.
[[nodiscard]] Result<bool> PolicySettingsPresent(const DeviceRoot& root,
                                                 const PolicyRecord& record);

}  // namespace groundcrew::executor

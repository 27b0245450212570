#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.hpp"

// The Linux settings catalog: every setting a configuration policy may set on a device, as data
// (id, type, allowed values, default, description, what it writes), so that apply, plan, lint
// and the console can show and check settings without a device. Each setting has an applier and
// a detector on the device (src/device/executor). Pure: no I/O.
namespace groundcrew::core {

enum class SettingType {
  kBool,
  kInteger,   ///< a whole number from `minimum` to `maximum`
  kChoice,    ///< one of `choices`
  kText,      ///< at most `max_length` characters of printable text (new lines allowed)
  kList,      ///< names: each of `choices` when there are some, else of `item_format`
  kPortList,  ///< TCP ports, 1 to 65535
};

/// What each name of a kList setting must look like when it has no fixed choices.
enum class NameFormat {
  kNone,
  kHostName,  ///< a DNS name or an IPv4 address: letters, digits, '-' and '.'
  kUserName,  ///< a POSIX user name: [a-z_][a-z0-9_-]*, at most 32 characters
};

/// A setting's value; which alternative is what its type says (bool; int64 for kInteger;
/// string for kChoice and kText; vector<string> for kList; vector<int64> for kPortList).
using SettingValue = std::variant<bool, std::int64_t, std::string, std::vector<std::string>,
                                  std::vector<std::int64_t>>;

/// One policy's settings, by setting id.
using PolicySettings = std::map<std::string, SettingValue, std::less<>>;

/// Where a setting applies (Intune's settings catalog has the same split). A device setting is
/// the device's, whoever the policy is assigned to. A user setting assigned to users applies to
/// each user's own session on the device (the screen lock: their dconf database); assigned to
/// the device, to every user.
enum class SettingScope {
  kDevice,
  kUser,
};

struct SettingDefinition {
  std::string_view id;           ///< "screenLock.idleMinutes": area, then the setting
  std::string_view title;        ///< "Lock the screen after idle minutes"
  std::string_view description;  ///< what it does, for the docs and the console
  SettingType type = SettingType::kBool;
  std::int64_t minimum = 0;                        ///< kInteger
  std::int64_t maximum = 0;                        ///< kInteger
  std::span<const std::string_view> choices = {};  ///< kChoice, kList (empty: any name)
  NameFormat item_format = NameFormat::kNone;      ///< kList without choices
  std::size_t max_length = 0;                      ///< kText
  std::size_t max_items = 0;                       ///< kList, kPortList
  SettingValue default_value = false;              ///< what the device has when no policy sets it
  SettingScope scope = SettingScope::kDevice;
  std::string_view writes;  ///< the files (under the device's root) and commands it uses
};

/// Every setting, ordered by id.
std::span<const SettingDefinition> SettingsCatalog();

/// The setting `id`; nullptr when the catalog has none.
const SettingDefinition* FindSetting(std::string_view id);

/// Whether `value` is valid for `setting`: its type and its limits. kInvalidArgument with field
/// "settings.<id>" and the reason ("must be a whole number from 1 to 60", "'floppy' is not one
/// of: ...").
[[nodiscard]] Status ValidateSetting(const SettingDefinition& setting, const SettingValue& value);

/// Every problem of `settings`: unknown ids (field "settings.<id>", "is not a setting of the
/// catalog") and invalid values, in id order. Empty when all are valid.
std::vector<Error> ValidatePolicySettings(const PolicySettings& settings);

/// `value` as a person reads it: true, 15, "no", [usb-storage, bluetooth], [22, 443].
std::string FormatSettingValue(const SettingValue& value);

/// A policy that reaches a device, with its settings.
struct PolicySettingsSource {
  std::string policy_name;
  const PolicySettings* settings = nullptr;
};

/// Two policies that set one setting to different values on the same device (Intune reports
/// these as conflicts; equal values are fine).
struct SettingConflict {
  std::string setting_id;
  std::string first_policy;
  SettingValue first_value;
  std::string second_policy;
  SettingValue second_value;

  friend bool operator==(const SettingConflict&, const SettingConflict&) = default;
};

/// The conflicts among `sources` (in the order given): for each setting, each policy whose value
/// differs from the first policy's that sets it. Ordered by setting id, then source order.
std::vector<SettingConflict> FindSettingConflicts(std::span<const PolicySettingsSource> sources);

/// "Setting screenLock.idleMinutes is 10 in Contoso device baseline and 5 in Contoso kiosk".
std::string DescribeConflict(const SettingConflict& conflict);

}  // namespace groundcrew::core

#include "core/settings/catalog.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace groundcrew::core {
namespace {

using namespace std::string_view_literals;

constexpr std::array kRootLoginChoices = {"no"sv, "prohibit-password"sv};
constexpr std::array kBlockableModules = {
    "bluetooth"sv, "cramfs"sv, "firewire-core"sv, "freevxfs"sv, "hfs"sv,
    "hfsplus"sv,   "jffs2"sv,  "thunderbolt"sv,   "udf"sv,      "usb-storage"sv};

constexpr std::string_view kScreenLockWrites =
    "Device: /etc/dconf/db/local.d/50-groundcrew-screen-lock and its locks/ entry, "
    "system-db:local in /etc/dconf/profile/user. A user: the same in "
    "/etc/dconf/db/groundcrew-user-UID.d/, named by their mandatory profile /run/dconf/user/UID "
    "(made at boot by /etc/tmpfiles.d/groundcrew-dconf.conf). Then dconf update";

const std::vector<SettingDefinition>& Definitions() {
  static const std::vector<SettingDefinition> definitions = [] {
    std::vector<SettingDefinition> all = {
        {.id = "automaticUpdates.securityUpdates",
         .title = "Install security updates automatically",
         .description = "Runs unattended-upgrades every day for Debian's security archive.",
         .type = SettingType::kBool,
         .default_value = true,
         .writes = "/etc/apt/apt.conf.d/52groundcrew-automatic-updates (APT::Periodic)"},
        {.id = "firewall.allowedInboundTcpPorts",
         .title = "Inbound TCP ports let through",
         .description = "With the firewall on, the TCP ports other machines may connect to "
                        "(replies to the device's own connections always pass).",
         .type = SettingType::kPortList,
         .max_items = 64,
         .default_value = std::vector<std::int64_t>{},
         .writes = "/etc/groundcrew/firewall.nft (table inet groundcrew), checked with nft -c, "
                   "loaded with nft -f and at boot by groundcrew-firewall.service"},
        {.id = "firewall.enabled",
         .title = "Firewall on",
         .description = "Drops inbound connections except to the allowed ports, loopback, "
                        "replies, ICMP and DHCP.",
         .type = SettingType::kBool,
         .default_value = true,
         .writes = "/etc/groundcrew/firewall.nft (table inet groundcrew), checked with nft -c, "
                   "loaded with nft -f and at boot by groundcrew-firewall.service"},
        {.id = "kernelModules.blocked",
         .title = "Kernel modules that may not load",
         .description = "Blocks device classes and rarely used file systems, e.g. USB storage "
                        "or Bluetooth.",
         .type = SettingType::kList,
         .choices = kBlockableModules,
         .max_items = kBlockableModules.size(),
         .default_value = std::vector<std::string>{},
         .writes =
             "/etc/modprobe.d/groundcrew-blocked.conf (install NAME /bin/false, blacklist NAME)"},
        {.id = "localAdministrators.users",
         .title = "Local administrators",
         .description = "Local users who may run any command as root with sudo, besides the "
                        "signed-in user when the profile makes them an administrator.",
         .type = SettingType::kList,
         .item_format = NameFormat::kUserName,
         .max_items = 32,
         .default_value = std::vector<std::string>{},
         .writes = "/etc/sudoers.d/groundcrew (0440, checked with visudo -cf)"},
        {.id = "loginBanner.text",
         .title = "Login banner",
         .description = "Shown before every login, on the console and over SSH.",
         .type = SettingType::kText,
         .max_length = 2000,
         .default_value = std::string(),
         .writes = "/etc/issue.d/groundcrew.issue (console), /etc/groundcrew/login-banner (SSH: "
                   "Banner in /etc/ssh/sshd_config.d/50-groundcrew.conf)"},
        {.id = "passwordQuality.minimumCharacterClasses",
         .title = "Character classes a password needs",
         .description = "Of lower case, upper case, digits and other characters.",
         .type = SettingType::kInteger,
         .minimum = 0,
         .maximum = 4,
         .default_value = std::int64_t{3},
         .writes = "/etc/security/pwquality.conf.d/50-groundcrew.conf (minclass)"},
        {.id = "passwordQuality.minimumLength",
         .title = "Minimum password length",
         .description = "Characters a new local password needs at least.",
         .type = SettingType::kInteger,
         .minimum = 8,
         .maximum = 64,
         .default_value = std::int64_t{12},
         .writes = "/etc/security/pwquality.conf.d/50-groundcrew.conf (minlen)"},
        {.id = "screenLock.enabled",
         .title = "Lock the screen when idle",
         .description = "Locks the desktop session once it has been idle for "
                        "screenLock.idleMinutes; users cannot turn it off.",
         .type = SettingType::kBool,
         .default_value = true,
         .scope = SettingScope::kUser,
         .writes = kScreenLockWrites},
        {.id = "screenLock.idleMinutes",
         .title = "Minutes idle before the screen locks",
         .description = "How long the session may be idle before the screen locks.",
         .type = SettingType::kInteger,
         .minimum = 1,
         .maximum = 60,
         .default_value = std::int64_t{15},
         .scope = SettingScope::kUser,
         .writes = kScreenLockWrites},
        {.id = "ssh.passwordAuthentication",
         .title = "SSH accepts passwords",
         .description = "Off: SSH takes keys only.",
         .type = SettingType::kBool,
         .default_value = false,
         .writes = "/etc/ssh/sshd_config.d/50-groundcrew.conf (checked with sshd -t)"},
        {.id = "ssh.permitRootLogin",
         .title = "SSH logins as root",
         .description = "no, or prohibit-password (keys only).",
         .type = SettingType::kChoice,
         .choices = kRootLoginChoices,
         .default_value = std::string("no"),
         .writes = "/etc/ssh/sshd_config.d/50-groundcrew.conf (checked with sshd -t)"},
        {.id = "sysctl.ipForwarding",
         .title = "Forward IP packets",
         .description = "Off for a device that is not a router.",
         .type = SettingType::kBool,
         .default_value = false,
         .writes = "/etc/sysctl.d/50-groundcrew.conf (net.ipv4.ip_forward, "
                   "net.ipv6.conf.all.forwarding)"},
        {.id = "sysctl.restrictKernelLogs",
         .title = "Kernel log for root only",
         .description = "Only root reads the kernel's messages and addresses.",
         .type = SettingType::kBool,
         .default_value = true,
         .writes = "/etc/sysctl.d/50-groundcrew.conf (kernel.dmesg_restrict, "
                   "kernel.kptr_restrict)"},
        {.id = "sysctl.tcpSynCookies",
         .title = "TCP SYN cookies",
         .description = "Keeps the device reachable under a SYN flood.",
         .type = SettingType::kBool,
         .default_value = true,
         .writes = "/etc/sysctl.d/50-groundcrew.conf (net.ipv4.tcp_syncookies)"},
        {.id = "timeServers.ntp",
         .title = "Time servers",
         .description = "NTP servers, by name or address; empty: the distribution's.",
         .type = SettingType::kList,
         .item_format = NameFormat::kHostName,
         .max_items = 8,
         .default_value = std::vector<std::string>{},
         .writes = "/etc/systemd/timesyncd.conf.d/50-groundcrew.conf (NTP=)"},
    };
    std::sort(all.begin(), all.end(),
              [](const SettingDefinition& a, const SettingDefinition& b) { return a.id < b.id; });
    return all;
  }();
  return definitions;
}

Error Invalid(const SettingDefinition& setting, std::string why) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(why),
                   "settings." + std::string(setting.id));
}

std::string_view TypeNoun(SettingType type) {
  switch (type) {
    case SettingType::kBool:
      return "true or false";
    case SettingType::kInteger:
      return "a whole number";
    case SettingType::kChoice:
    case SettingType::kText:
      return "a string";
    case SettingType::kList:
      return "a list of names";
    case SettingType::kPortList:
      return "a list of port numbers";
  }
  return "";
}

std::string Joined(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

bool IsHostName(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.front() == '-') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

bool IsUserName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  if (!((name.front() >= 'a' && name.front() <= 'z') || name.front() == '_')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

Status ValidateName(const SettingDefinition& setting, std::string_view name) {
  if (!setting.choices.empty()) {
    if (std::find(setting.choices.begin(), setting.choices.end(), name) != setting.choices.end()) {
      return Ok{};
    }
    return Invalid(setting,
                   "'" + std::string(name) + "' is not one of: " + Joined(setting.choices));
  }
  switch (setting.item_format) {
    case NameFormat::kHostName:
      if (IsHostName(name)) return Ok{};
      return Invalid(setting, "'" + std::string(name) +
                                  "' is not a host name or address (letters, digits, '-', '.')");
    case NameFormat::kUserName:
      if (IsUserName(name)) return Ok{};
      return Invalid(setting,
                     "'" + std::string(name) +
                         "' is not a user name (a lower-case letter or '_', then lower-case "
                         "letters, digits, '_' or '-'; 32 characters at most)");
    case NameFormat::kNone:
      return Ok{};
  }
  return Ok{};
}

}  // namespace

std::span<const SettingDefinition> SettingsCatalog() { return Definitions(); }

const SettingDefinition* FindSetting(std::string_view id) {
  const auto& all = Definitions();
  const auto found = std::lower_bound(
      all.begin(), all.end(), id,
      [](const SettingDefinition& setting, std::string_view key) { return setting.id < key; });
  return found != all.end() && found->id == id ? &*found : nullptr;
}

Status ValidateSetting(const SettingDefinition& setting, const SettingValue& value) {
  const auto wrong_type = [&] {
    return Invalid(setting, "must be " + std::string(TypeNoun(setting.type)));
  };
  switch (setting.type) {
    case SettingType::kBool:
      return std::holds_alternative<bool>(value) ? Status(Ok{}) : Status(wrong_type());
    case SettingType::kInteger: {
      const auto* number = std::get_if<std::int64_t>(&value);
      if (number == nullptr || *number < setting.minimum || *number > setting.maximum) {
        return Invalid(setting, "must be a whole number from " + std::to_string(setting.minimum) +
                                    " to " + std::to_string(setting.maximum));
      }
      return Ok{};
    }
    case SettingType::kChoice: {
      const auto* text = std::get_if<std::string>(&value);
      if (text == nullptr) {
        return Invalid(setting, "must be one of: " + Joined(setting.choices));
      }
      return ValidateName(setting, *text);
    }
    case SettingType::kText: {
      const auto* text = std::get_if<std::string>(&value);
      if (text == nullptr) return wrong_type();
      if (text->size() > setting.max_length) {
        return Invalid(setting, "is " + std::to_string(text->size()) + " characters; at most " +
                                    std::to_string(setting.max_length));
      }
      const bool printable = std::all_of(text->begin(), text->end(), [](char c) {
        return c == '\n' || static_cast<unsigned char>(c) >= 0x20;
      });
      if (!printable || text->find('\x7f') != std::string::npos) {
        return Invalid(setting, "may hold printable text and new lines only");
      }
      return Ok{};
    }
    case SettingType::kList: {
      const auto* names = std::get_if<std::vector<std::string>>(&value);
      if (names == nullptr) return wrong_type();
      if (names->size() > setting.max_items) {
        return Invalid(setting, "has " + std::to_string(names->size()) + " names; at most " +
                                    std::to_string(setting.max_items));
      }
      std::set<std::string_view> seen;
      for (const std::string& name : *names) {
        if (Status valid = ValidateName(setting, name); !valid) return valid;
        if (!seen.insert(name).second) return Invalid(setting, "names '" + name + "' twice");
      }
      return Ok{};
    }
    case SettingType::kPortList: {
      const auto* ports = std::get_if<std::vector<std::int64_t>>(&value);
      if (ports == nullptr) return wrong_type();
      if (ports->size() > setting.max_items) {
        return Invalid(setting, "has " + std::to_string(ports->size()) + " ports; at most " +
                                    std::to_string(setting.max_items));
      }
      for (std::int64_t port : *ports) {
        if (port < 1 || port > 65535) {
          return Invalid(setting, std::to_string(port) + " is not a port (1 to 65535)");
        }
      }
      return Ok{};
    }
  }
  return wrong_type();
}

std::vector<Error> ValidatePolicySettings(const PolicySettings& settings) {
  std::vector<Error> problems;
  for (const auto& [id, value] : settings) {
    const SettingDefinition* setting = FindSetting(id);
    if (setting == nullptr) {
      problems.push_back(MakeError(ErrorCode::kInvalidArgument,
                                   "is not a setting of the catalog (docs/agent.md, "
                                   "\"Settings catalog\")",
                                   "settings." + id));
      continue;
    }
    if (Status valid = ValidateSetting(*setting, value); !valid) problems.push_back(valid.error());
  }
  return problems;
}

std::string FormatSettingValue(const SettingValue& value) {
  struct Formatter {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t n) const { return std::to_string(n); }
    std::string operator()(const std::string& s) const { return "\"" + s + "\""; }
    std::string operator()(const std::vector<std::string>& names) const {
      std::string out = "[";
      for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
      return out + "]";
    }
    std::string operator()(const std::vector<std::int64_t>& numbers) const {
      std::string out = "[";
      for (std::size_t i = 0; i < numbers.size(); ++i) {
        out += (i ? ", " : "") + std::to_string(numbers[i]);
      }
      return out + "]";
    }
  };
  return std::visit(Formatter{}, value);
}

std::vector<SettingConflict> FindSettingConflicts(std::span<const PolicySettingsSource> sources) {
  // For each setting: the first policy that sets it, with its value.
  std::map<std::string_view, const PolicySettingsSource*, std::less<>> first;
  std::vector<SettingConflict> conflicts;
  for (const PolicySettingsSource& source : sources) {
    if (source.settings == nullptr) continue;
    for (const auto& [id, value] : *source.settings) {
      const auto [at, inserted] = first.emplace(id, &source);
      if (inserted) continue;
      const SettingValue& earlier = at->second->settings->find(id)->second;
      if (earlier == value) continue;
      conflicts.push_back({.setting_id = id,
                           .first_policy = at->second->policy_name,
                           .first_value = earlier,
                           .second_policy = source.policy_name,
                           .second_value = value});
    }
  }
  std::stable_sort(conflicts.begin(), conflicts.end(),
                   [](const SettingConflict& a, const SettingConflict& b) {
                     return a.setting_id < b.setting_id;
                   });
  return conflicts;
}

std::string DescribeConflict(const SettingConflict& conflict) {
  return "Setting " + conflict.setting_id + " is " + FormatSettingValue(conflict.first_value) +
         " in " + conflict.first_policy + " and " + FormatSettingValue(conflict.second_value) +
         " in " + conflict.second_policy;
}

}  // namespace groundcrew::core

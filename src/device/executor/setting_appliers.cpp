#include "device/executor/setting_appliers.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <set>
#include <system_error>

#include "common/text.hpp"
#include "device/executor/durable_file.hpp"
#include "wire/settings_json.hpp"

namespace groundcrew::executor {
namespace fs = std::filesystem;
namespace json = boost::json;
using core::PolicySettings;
using core::SettingValue;
using Names = std::vector<std::string>;
using Ports = std::vector<std::int64_t>;

namespace {

// ---- The files (paths inside the root) ----

constexpr std::string_view kRecordsDir = "/etc/groundcrew/policies";
constexpr std::string_view kScreenLockFile = "/etc/dconf/db/local.d/50-groundcrew-screen-lock";
constexpr std::string_view kScreenLockLocksFile =
    "/etc/dconf/db/local.d/locks/50-groundcrew-screen-lock";
constexpr std::string_view kDconfProfileFile = "/etc/dconf/profile/user";
// A user's screen lock: their own database, named by their mandatory profile, which the
// tmpfiles.d file makes again at every boot (/run is a tmpfs).
constexpr std::string_view kDconfDbDir = "/etc/dconf/db";
constexpr std::string_view kUserDbPrefix = "groundcrew-user-";
constexpr std::string_view kScreenLockName = "50-groundcrew-screen-lock";
constexpr std::string_view kMandatoryProfileDir = "/run/dconf/user";
constexpr std::string_view kDconfTmpfilesFile = "/etc/tmpfiles.d/groundcrew-dconf.conf";
constexpr std::string_view kUsersDir = "users";  // in kRecordsDir
constexpr std::string_view kSshFile = "/etc/ssh/sshd_config.d/50-groundcrew.conf";
constexpr std::string_view kIssueFile = "/etc/issue.d/groundcrew.issue";
constexpr std::string_view kBannerFile = "/etc/groundcrew/login-banner";
constexpr std::string_view kFirewallFile = "/etc/groundcrew/firewall.nft";
constexpr std::string_view kFirewallUnitFile = "/etc/systemd/system/groundcrew-firewall.service";
constexpr std::string_view kPasswordQualityFile =
    "/etc/security/pwquality.conf.d/50-groundcrew.conf";
constexpr std::string_view kSysctlFile = "/etc/sysctl.d/50-groundcrew.conf";
constexpr std::string_view kModprobeFile = "/etc/modprobe.d/groundcrew-blocked.conf";
constexpr std::string_view kAptFile = "/etc/apt/apt.conf.d/52groundcrew-automatic-updates";
constexpr std::string_view kSudoersFile = "/etc/sudoers.d/groundcrew";
constexpr std::string_view kTimesyncdFile = "/etc/systemd/timesyncd.conf.d/50-groundcrew.conf";

constexpr std::string_view kHeader =
    "Written by groundcrew from the policies applied to this device (/etc/groundcrew/policies); "
    "edits are overwritten.";
// The firewall file's line saying a policy turned the firewall off (the table is removed then,
// so no rule says it).
constexpr std::string_view kFirewallOffLine = "# firewall.enabled: false (no groundcrew table)";
constexpr std::string_view kPortsDefine = "define allowed_inbound_tcp_ports";

std::string Header(std::string_view comment = "#") {
  return fmt::format("{} {}\n", comment, kHeader);
}

template <typename T>
const T* Get(const PolicySettings& settings, std::string_view id) {
  const auto found = settings.find(id);
  return found == settings.end() ? nullptr : std::get_if<T>(&found->second);
}

std::string_view OneZero(bool on) { return on ? "1" : "0"; }

template <typename T>
std::string Join(const std::vector<T>& items, std::string_view separator) {
  return fmt::format("{}", fmt::join(items, separator));
}

bool IsUserSetting(std::string_view id) {
  const core::SettingDefinition* setting = core::FindSetting(id);
  return setting != nullptr && setting->scope == core::SettingScope::kUser;
}

// The settings of `settings` whose scope is the user's (`user` true) or the device's.
PolicySettings OfScope(const PolicySettings& settings, bool user) {
  PolicySettings out;
  for (const auto& [id, value] : settings) {
    if (IsUserSetting(id) == user) out.emplace(id, value);
  }
  return out;
}

// ---- Rendering: each area turns the settings in force into the files it owns ----

/// How a root's tool checks a file before it is in force.
struct FileCheck {
  std::string_view tool;  ///< skipped (with a note) when the root lacks it
  std::array<std::string_view, 2> args;
  /// true: the tool checks the whole configuration (sshd -t), so the file is put in place, then
  /// put back as it was on refusal; false: the tool checks a candidate beside the file, whose
  /// path ends the argv, and the candidate is renamed over the file once it passes.
  bool checks_in_place = false;
  std::string_view needs_dir = {};  ///< a folder the tool needs in the root (created 0755)
};

constexpr FileCheck kSshdCheck{"sshd", {"-t", ""}, true, "/run/sshd"};
constexpr FileCheck kVisudoCheck{"visudo", {"-cf", ""}};
constexpr FileCheck kNftCheck{"nft", {"-c", "-f"}};

/// A file as an area wants it: `content` nullopt = absent.
struct RenderedFile {
  std::string path;
  mode_t mode = 0644;
  std::optional<std::string> content;
  const FileCheck* check = nullptr;
};

RenderedFile Absent(std::string_view path) { return {std::string(path), 0644, std::nullopt}; }

// The screen lock's keyfile and locks in `keyfile_path` and `locks_path`.
std::vector<RenderedFile> RenderScreenLockIn(const PolicySettings& settings,
                                             std::string_view keyfile_path,
                                             std::string_view locks_path) {
  const bool* enabled = Get<bool>(settings, "screenLock.enabled");
  const std::int64_t* idle = Get<std::int64_t>(settings, "screenLock.idleMinutes");
  if (enabled == nullptr && idle == nullptr) return {Absent(keyfile_path), Absent(locks_path)};
  std::string keyfile = Header();
  std::string locks = Header();
  if (idle != nullptr) {
    keyfile += fmt::format("[org/gnome/desktop/session]\nidle-delay=uint32 {}\n", *idle * 60);
    locks += "/org/gnome/desktop/session/idle-delay\n";
  }
  if (enabled != nullptr) {
    keyfile += fmt::format("{}[org/gnome/desktop/screensaver]\nlock-enabled={}\n",
                           idle != nullptr ? "\n" : "", *enabled);
    locks += "/org/gnome/desktop/screensaver/lock-enabled\n";
    if (*enabled) {
      keyfile += "lock-delay=uint32 0\n";
      locks += "/org/gnome/desktop/screensaver/lock-delay\n";
    }
  }
  return {{std::string(keyfile_path), 0644, keyfile}, {std::string(locks_path), 0644, locks}};
}

std::vector<RenderedFile> RenderScreenLock(const PolicySettings& settings) {
  return RenderScreenLockIn(settings, kScreenLockFile, kScreenLockLocksFile);
}

std::vector<RenderedFile> RenderSsh(const PolicySettings& settings) {
  std::string lines;
  if (const bool* passwords = Get<bool>(settings, "ssh.passwordAuthentication")) {
    lines += fmt::format("PasswordAuthentication {}\n", *passwords ? "yes" : "no");
  }
  if (const std::string* root_login = Get<std::string>(settings, "ssh.permitRootLogin")) {
    lines += fmt::format("PermitRootLogin {}\n", *root_login);
  }
  if (Get<std::string>(settings, "loginBanner.text") != nullptr) {
    lines += fmt::format("Banner {}\n", kBannerFile);
  }
  if (lines.empty()) return {Absent(kSshFile)};
  return {{std::string(kSshFile), 0644, Header() + lines, &kSshdCheck}};
}

// agetty(8) reads backslash escapes in issue files: a backslash is written twice.
std::string EscapeIssue(std::string_view text) {
  std::string out;
  for (const char c : text) out += c == '\\' ? "\\\\" : std::string(1, c);
  return out;
}

std::string UnescapeIssue(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '\\') ++i;
    out += text[i];
  }
  return out;
}

// The banner's text ends with one added new line (none for an empty text), so it reads back.
std::string BannerBytes(std::string_view text) {
  return text.empty() ? std::string() : std::string(text) + "\n";
}

std::vector<RenderedFile> RenderLoginBanner(const PolicySettings& settings) {
  const std::string* text = Get<std::string>(settings, "loginBanner.text");
  if (text == nullptr) return {Absent(kIssueFile), Absent(kBannerFile)};
  return {{std::string(kIssueFile), 0644, EscapeIssue(BannerBytes(*text))},
          {std::string(kBannerFile), 0644, BannerBytes(*text)}};
}

std::vector<RenderedFile> RenderFirewall(const PolicySettings& settings) {
  const bool* enabled = Get<bool>(settings, "firewall.enabled");
  const Ports* ports = Get<Ports>(settings, "firewall.allowedInboundTcpPorts");
  if (enabled == nullptr && ports == nullptr) return {Absent(kFirewallFile)};
  std::string out = "#!/usr/sbin/nft -f\n" + Header();
  if (enabled != nullptr && !*enabled) out += std::string(kFirewallOffLine) + "\n";
  if (ports != nullptr) out += fmt::format("{} = {{ {} }}\n", kPortsDefine, Join(*ports, ", "));
  // Declaring the table first lets the delete succeed when it is not loaded: loading the file
  // replaces groundcrew's table whatever was there, and never touches other tables.
  out += "table inet groundcrew\ndelete table inet groundcrew\n";
  if (enabled != nullptr && *enabled) {
    out +=
        "table inet groundcrew {\n"
        "\tchain input {\n"
        "\t\ttype filter hook input priority filter; policy drop;\n"
        "\t\tct state established,related accept\n"
        "\t\tct state invalid drop\n"
        "\t\tiif \"lo\" accept\n"
        "\t\tmeta l4proto { icmp, icmpv6 } accept\n"
        "\t\tudp dport { 68, 546 } accept comment \"DHCP and DHCPv6 replies\"\n";
    if (ports != nullptr && !ports->empty()) {
      out += "\t\ttcp dport $allowed_inbound_tcp_ports accept\n";
    }
    out += "\t}\n}\n";
  }
  return {{std::string(kFirewallFile), 0644, out, &kNftCheck}};
}

std::vector<RenderedFile> RenderPasswordQuality(const PolicySettings& settings) {
  std::string lines;
  if (const auto* length = Get<std::int64_t>(settings, "passwordQuality.minimumLength")) {
    lines += fmt::format("minlen = {}\n", *length);
  }
  if (const auto* classes =
          Get<std::int64_t>(settings, "passwordQuality.minimumCharacterClasses")) {
    lines += fmt::format("minclass = {}\n", *classes);
  }
  if (lines.empty()) return {Absent(kPasswordQualityFile)};
  return {{std::string(kPasswordQualityFile), 0644, Header() + lines}};
}

std::vector<RenderedFile> RenderSysctl(const PolicySettings& settings) {
  std::string lines;
  if (const bool* forwarding = Get<bool>(settings, "sysctl.ipForwarding")) {
    lines += fmt::format("net.ipv4.ip_forward = {0}\nnet.ipv6.conf.all.forwarding = {0}\n",
                         OneZero(*forwarding));
  }
  if (const bool* restrict_logs = Get<bool>(settings, "sysctl.restrictKernelLogs")) {
    lines += fmt::format("kernel.dmesg_restrict = {0}\nkernel.kptr_restrict = {0}\n",
                         OneZero(*restrict_logs));
  }
  if (const bool* cookies = Get<bool>(settings, "sysctl.tcpSynCookies")) {
    lines += fmt::format("net.ipv4.tcp_syncookies = {}\n", OneZero(*cookies));
  }
  if (lines.empty()) return {Absent(kSysctlFile)};
  return {{std::string(kSysctlFile), 0644, Header() + lines}};
}

std::vector<RenderedFile> RenderKernelModules(const PolicySettings& settings) {
  const Names* blocked = Get<Names>(settings, "kernelModules.blocked");
  if (blocked == nullptr) return {Absent(kModprobeFile)};
  std::string out = Header();
  for (const std::string& name : *blocked) {
    out += fmt::format("install {0} /bin/false\nblacklist {0}\n", name);
  }
  return {{std::string(kModprobeFile), 0644, out}};
}

std::vector<RenderedFile> RenderAutomaticUpdates(const PolicySettings& settings) {
  const bool* security = Get<bool>(settings, "automaticUpdates.securityUpdates");
  if (security == nullptr) return {Absent(kAptFile)};
  return {{std::string(kAptFile), 0644,
           fmt::format("{}APT::Periodic::Update-Package-Lists \"1\";\n"
                       "APT::Periodic::Unattended-Upgrade \"{}\";\n",
                       Header("//"), OneZero(*security))}};
}

std::vector<RenderedFile> RenderLocalAdministrators(const PolicySettings& settings) {
  const Names* users = Get<Names>(settings, "localAdministrators.users");
  if (users == nullptr) return {{std::string(kSudoersFile), 0440, std::nullopt}};
  std::string out = Header();
  for (const std::string& user : *users) out += fmt::format("{} ALL=(ALL:ALL) ALL\n", user);
  return {{std::string(kSudoersFile), 0440, out, &kVisudoCheck}};
}

std::vector<RenderedFile> RenderTimeServers(const PolicySettings& settings) {
  const Names* servers = Get<Names>(settings, "timeServers.ntp");
  if (servers == nullptr) return {Absent(kTimesyncdFile)};
  return {{std::string(kTimesyncdFile), 0644,
           fmt::format("{}[Time]\nNTP={}\n", Header(), Join(*servers, " "))}};
}

// ---- Reading back: each setting from the file its area writes ----

struct ConfigLine {
  std::string section;  ///< "[section]" the line is in; "" before any
  std::string key;
  std::string value;
};

// The lines of a configuration file that are neither blank nor comments ('#', "//"), split at
// the first `separator` ('=' for "key = value", ' ' for "Keyword value").
std::vector<ConfigLine> ParseConfig(std::string_view text, char separator) {
  std::vector<ConfigLine> lines;
  std::string section;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text::Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#' || line.starts_with("//")) continue;
    if (line.front() == '[' && line.back() == ']') {
      section = std::string(line.substr(1, line.size() - 2));
      continue;
    }
    size_t split = separator == ' ' ? line.find_first_of(" \t") : line.find(separator);
    if (split == std::string_view::npos) split = line.size();
    lines.push_back({section, std::string(text::Trim(line.substr(0, split))),
                     std::string(text::Trim(line.substr(std::min(split + 1, line.size()))))});
  }
  return lines;
}

const ConfigLine* FindLine(const std::vector<ConfigLine>& lines, std::string_view section,
                           std::string_view key) {
  for (const ConfigLine& line : lines) {
    if (line.section == section && text::EqualsIgnoreCase(line.key, key)) return &line;
  }
  return nullptr;
}

using Detected = Result<std::optional<SettingValue>>;

Error NotOurs(std::string_view key, std::string_view value) {
  return MakeError(ErrorCode::kFailedPrecondition,
                   fmt::format("{} is \"{}\", which groundcrew does not write", key, value));
}

// `line`'s value as a bool spelled `on` or `off`; nullopt without the line.
Detected Boolean(const ConfigLine* line, std::string_view on, std::string_view off) {
  if (line == nullptr) return std::optional<SettingValue>();
  if (line->value == on) return std::optional<SettingValue>(true);
  if (line->value == off) return std::optional<SettingValue>(false);
  return NotOurs(line->key, line->value);
}

// `line`'s value after `prefix` as a whole number, divided by `unit`; nullopt without the line.
Detected Integer(const ConfigLine* line, std::string_view prefix = "", std::int64_t unit = 1) {
  if (line == nullptr) return std::optional<SettingValue>();
  std::string_view digits = line->value;
  std::int64_t number = 0;
  if (digits.starts_with(prefix)) {
    digits.remove_prefix(prefix.size());
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty() &&
        number % unit == 0) {
      return std::optional<SettingValue>(number / unit);
    }
  }
  return NotOurs(line->key, line->value);
}

// The words of `text`, split at spaces, tabs and commas.
Names Words(std::string_view text) {
  Names words;
  size_t at = 0;
  while ((at = text.find_first_not_of(" \t,", at)) != std::string_view::npos) {
    const size_t end = std::min(text.find_first_of(" \t,", at), text.size());
    words.emplace_back(text.substr(at, end - at));
    at = end;
  }
  return words;
}

Detected ScreenLockEnabled(std::string_view text) {
  return Boolean(FindLine(ParseConfig(text, '='), "org/gnome/desktop/screensaver", "lock-enabled"),
                 "true", "false");
}

Detected ScreenLockIdleMinutes(std::string_view text) {
  return Integer(FindLine(ParseConfig(text, '='), "org/gnome/desktop/session", "idle-delay"),
                 "uint32 ", 60);
}

Detected SshPasswordAuthentication(std::string_view text) {
  return Boolean(FindLine(ParseConfig(text, ' '), "", "PasswordAuthentication"), "yes", "no");
}

Detected SshPermitRootLogin(std::string_view text) {
  const std::vector<ConfigLine> lines = ParseConfig(text, ' ');
  const ConfigLine* line = FindLine(lines, "", "PermitRootLogin");
  if (line == nullptr) return std::optional<SettingValue>();
  return std::optional<SettingValue>(line->value);
}

Detected LoginBannerText(std::string_view text) {
  std::string banner = UnescapeIssue(text);
  if (!banner.empty() && banner.back() == '\n') banner.pop_back();
  return std::optional<SettingValue>(std::move(banner));
}

Detected FirewallEnabled(std::string_view text) {
  if (text.find("type filter hook input") != std::string_view::npos) {
    return std::optional<SettingValue>(true);
  }
  if (text.find(kFirewallOffLine) != std::string_view::npos) {
    return std::optional<SettingValue>(false);
  }
  return std::optional<SettingValue>();
}

Detected FirewallAllowedPorts(std::string_view text) {
  for (const ConfigLine& line : ParseConfig(text, '=')) {
    if (line.key != kPortsDefine) continue;
    std::string_view set = line.value;
    if (set.size() < 2 || set.front() != '{' || set.back() != '}') {
      return NotOurs(line.key, line.value);
    }
    Ports ports;
    for (const std::string& word : Words(set.substr(1, set.size() - 2))) {
      std::int64_t port = 0;
      const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), port);
      if (ec != std::errc() || end != word.data() + word.size()) {
        return NotOurs(line.key, line.value);
      }
      ports.push_back(port);
    }
    return std::optional<SettingValue>(std::move(ports));
  }
  return std::optional<SettingValue>();
}

Detected PasswordMinimumLength(std::string_view text) {
  return Integer(FindLine(ParseConfig(text, '='), "", "minlen"));
}

Detected PasswordMinimumClasses(std::string_view text) {
  return Integer(FindLine(ParseConfig(text, '='), "", "minclass"));
}

Detected IpForwarding(std::string_view text) {
  return Boolean(FindLine(ParseConfig(text, '='), "", "net.ipv4.ip_forward"), "1", "0");
}

Detected RestrictKernelLogs(std::string_view text) {
  return Boolean(FindLine(ParseConfig(text, '='), "", "kernel.dmesg_restrict"), "1", "0");
}

Detected TcpSynCookies(std::string_view text) {
  return Boolean(FindLine(ParseConfig(text, '='), "", "net.ipv4.tcp_syncookies"), "1", "0");
}

Detected BlockedModules(std::string_view text) {
  Names blocked;
  for (const ConfigLine& line : ParseConfig(text, ' ')) {
    if (line.key != "install") continue;
    const Names words = Words(line.value);
    if (words.size() != 2 || words[1] != "/bin/false") return NotOurs(line.key, line.value);
    blocked.push_back(words[0]);
  }
  return std::optional<SettingValue>(std::move(blocked));
}

Detected SecurityUpdates(std::string_view text) {
  const std::vector<ConfigLine> lines = ParseConfig(text, ' ');
  const ConfigLine* line = FindLine(lines, "", "APT::Periodic::Unattended-Upgrade");
  if (line == nullptr) return std::optional<SettingValue>();
  ConfigLine unquoted = *line;
  unquoted.value = line->value == "\"1\";" ? "1" : line->value == "\"0\";" ? "0" : line->value;
  return Boolean(&unquoted, "1", "0");
}

Detected LocalAdministrators(std::string_view text) {
  Names users;
  for (const ConfigLine& line : ParseConfig(text, ' ')) {
    if (line.value != "ALL=(ALL:ALL) ALL") return NotOurs(line.key, line.value);
    users.push_back(line.key);
  }
  return std::optional<SettingValue>(std::move(users));
}

Detected TimeServers(std::string_view text) {
  const std::vector<ConfigLine> lines = ParseConfig(text, '=');
  const ConfigLine* line = FindLine(lines, "Time", "NTP");
  if (line == nullptr) return std::optional<SettingValue>();
  return std::optional<SettingValue>(Words(line->value));
}

struct SettingReader {
  std::string_view setting_id;
  std::string_view file;
  Detected (*read)(std::string_view text);
};

constexpr std::array kReaders = {
    SettingReader{"automaticUpdates.securityUpdates", kAptFile, SecurityUpdates},
    SettingReader{"firewall.allowedInboundTcpPorts", kFirewallFile, FirewallAllowedPorts},
    SettingReader{"firewall.enabled", kFirewallFile, FirewallEnabled},
    SettingReader{"kernelModules.blocked", kModprobeFile, BlockedModules},
    SettingReader{"localAdministrators.users", kSudoersFile, LocalAdministrators},
    SettingReader{"loginBanner.text", kIssueFile, LoginBannerText},
    SettingReader{"passwordQuality.minimumCharacterClasses", kPasswordQualityFile,
                  PasswordMinimumClasses},
    SettingReader{"passwordQuality.minimumLength", kPasswordQualityFile, PasswordMinimumLength},
    SettingReader{"screenLock.enabled", kScreenLockFile, ScreenLockEnabled},
    SettingReader{"screenLock.idleMinutes", kScreenLockFile, ScreenLockIdleMinutes},
    SettingReader{"ssh.passwordAuthentication", kSshFile, SshPasswordAuthentication},
    SettingReader{"ssh.permitRootLogin", kSshFile, SshPermitRootLogin},
    SettingReader{"sysctl.ipForwarding", kSysctlFile, IpForwarding},
    SettingReader{"sysctl.restrictKernelLogs", kSysctlFile, RestrictKernelLogs},
    SettingReader{"sysctl.tcpSynCookies", kSysctlFile, TcpSynCookies},
    SettingReader{"timeServers.ntp", kTimesyncdFile, TimeServers},
};

// ---- Writing ----

struct FileState {
  std::string bytes;
  mode_t mode = 0;
  uid_t owner = 0;
};

Result<std::optional<FileState>> ReadFileState(const fs::path& path) {
  Result<std::string> bytes = ReadWholeFile(path);
  if (!bytes) {
    if (bytes.error().code == ErrorCode::kNotFound) return std::optional<FileState>();
    return bytes.error();
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot stat {}: {}", path.string(), std::strerror(errno)));
  }
  return std::optional<FileState>(FileState{std::move(*bytes), info.st_mode & 07777, info.st_uid});
}

// The first non-empty line of the tool's output (where visudo, nft and sshd say what is wrong)
// and its exit status, or how it ended.
std::string ToolMessage(const ToolOutcome& outcome) {
  if (outcome.outcome.end != ShellOutcome::End::kExited) return outcome.Describe();
  std::string_view rest = outcome.output;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    const std::string_view line = text::Trim(rest.substr(0, end));
    if (!line.empty()) return fmt::format("{} (exit status {})", line, outcome.outcome.exit_code);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  return outcome.Describe();
}

Result<ToolOutcome> RunTool(const DeviceRoot& root, std::vector<std::string> argv) {
  return root.Run(ToolRun{.argv = std::move(argv), .time_limit = std::chrono::minutes(2)});
}

// The check's tool and arguments, without the candidate's path.
std::vector<std::string> CheckArgv(const FileCheck& check) {
  std::vector<std::string> argv = {std::string(check.tool)};
  for (const std::string_view arg : check.args) {
    if (!arg.empty()) argv.emplace_back(arg);
  }
  return argv;
}

// "visudo -cf": how messages name a check.
std::string CheckName(const FileCheck& check) { return Join(CheckArgv(check), " "); }

// Runs `check` on the file at `path_in_root`; kFailedPrecondition naming `file` when it refuses.
Status RunCheck(const DeviceRoot& root, const FileCheck& check, std::string_view file,
                std::string_view path_in_root) {
  if (!check.needs_dir.empty()) {
    std::error_code ec;
    fs::create_directories(root.Under(check.needs_dir), ec);  // else the tool says what lacks
  }
  std::vector<std::string> argv = CheckArgv(check);
  if (!check.checks_in_place) argv.emplace_back(path_in_root);
  GC_ASSIGN_OR_RETURN(const ToolOutcome outcome, RunTool(root, std::move(argv)));
  if (outcome.ok()) return Ok{};
  std::string message = ToolMessage(outcome);
  // A candidate's name means nothing to a reader: the file it would become is named instead.
  for (size_t at = 0;
       path_in_root != file && (at = message.find(path_in_root, at)) != std::string::npos;
       at += file.size()) {
    message.replace(at, path_in_root.size(), file);
  }
  return MakeError(ErrorCode::kFailedPrecondition,
                   fmt::format("{} refused {}: {}", CheckName(check), file, message));
}

// Writes `file` through a candidate its check passed, renamed over it.
Status WriteThroughCandidate(const DeviceRoot& root, const RenderedFile& file) {
  const fs::path path = root.Under(file.path);
  const fs::path candidate =
      path.parent_path() / fmt::format(".{}.candidate", path.filename().string());
  const std::string candidate_in_root =
      (fs::path(file.path).parent_path() / candidate.filename()).string();
  GC_RETURN_IF_ERROR(WriteFileAtomically(candidate, *file.content, file.mode));
  if (Status checked = RunCheck(root, *file.check, file.path, candidate_in_root); !checked) {
    (void)RemoveFile(candidate);
    return checked;
  }
  std::error_code ec;
  fs::rename(candidate, path, ec);
  if (ec) {
    (void)RemoveFile(candidate);
    return MakeError(
        ErrorCode::kUnavailable,
        fmt::format("cannot rename {} to {}: {}", candidate.string(), path.string(), ec.message()));
  }
  SyncDirectory(path.parent_path());
  return Ok{};
}

// Writes `file` in place, checks it, and puts `before` back when the check refuses it.
Status WriteInPlaceChecked(const DeviceRoot& root, const RenderedFile& file,
                           const std::optional<FileState>& before) {
  const fs::path path = root.Under(file.path);
  GC_RETURN_IF_ERROR(WriteFileAtomically(path, *file.content, file.mode));
  Status checked = RunCheck(root, *file.check, file.path, file.path);
  if (checked) return Ok{};
  const Status restored =
      before ? WriteFileAtomically(path, before->bytes, before->mode) : RemoveFile(path);
  Error error = checked.error();
  error.message += restored ? (before ? "; the previous file was put back" : "; it was removed")
                            : fmt::format("; putting the previous file back failed: {}",
                                          restored.error().message);
  return error;
}

// Makes the file what `file` says; true when it changed anything.
Result<bool> PutFile(const DeviceRoot& root, const RenderedFile& file, SettingsChange& change) {
  const fs::path path = root.Under(file.path);
  GC_ASSIGN_OR_RETURN(const std::optional<FileState> before, ReadFileState(path));
  if (!file.content) {
    if (!before) return false;
    GC_RETURN_IF_ERROR(RemoveFile(path));
    change.removed.emplace_back(file.path);
    return true;
  }
  if (before && before->bytes == *file.content && before->mode == file.mode &&
      before->owner == ::geteuid()) {
    return false;
  }
  if (file.check == nullptr) {
    GC_RETURN_IF_ERROR(WriteFileAtomically(path, *file.content, file.mode));
  } else if (!root.HasTool(file.check->tool)) {
    change.notes.push_back(
        fmt::format("{} not checked: the root has no {}", file.path, file.check->tool));
    GC_RETURN_IF_ERROR(WriteFileAtomically(path, *file.content, file.mode));
  } else if (file.check->checks_in_place) {
    GC_RETURN_IF_ERROR(WriteInPlaceChecked(root, file, before));
    change.notes.push_back(fmt::format("{} checked with {}", file.path, CheckName(*file.check)));
  } else {
    GC_RETURN_IF_ERROR(WriteThroughCandidate(root, file));
    change.notes.push_back(fmt::format("{} checked with {}", file.path, CheckName(*file.check)));
  }
  change.written.emplace_back(file.path);
  return true;
}

// The dconf profile that makes the local database apply to users: created when missing,
// "system-db:local" added when it lacks it, never removed.
Result<std::vector<RenderedFile>> DconfProfile(const DeviceRoot& root) {
  GC_ASSIGN_OR_RETURN(const std::optional<FileState> profile,
                      ReadFileState(root.Under(kDconfProfileFile)));
  if (!profile)
    return std::vector<RenderedFile>{
        {std::string(kDconfProfileFile), 0644, "user-db:user\nsystem-db:local\n"}};
  for (const ConfigLine& line : ParseConfig(profile->bytes, ' ')) {
    if (line.key == "system-db:local") return std::vector<RenderedFile>{};
  }
  std::string bytes = profile->bytes;
  if (!bytes.empty() && bytes.back() != '\n') bytes += '\n';
  return std::vector<RenderedFile>{
      {std::string(kDconfProfileFile), profile->mode, bytes + "system-db:local\n"}};
}

// Loads the firewall file at boot, before the network is up (as Debian's nftables.service does
// for /etc/nftables.conf); does nothing once the file is gone.
constexpr std::string_view kFirewallUnit =
    "# Written by groundcrew: loads the firewall of the policies applied to this device.\n"
    "[Unit]\n"
    "Description=groundcrew's firewall (the firewall settings of the policies applied)\n"
    "Documentation=file:/etc/groundcrew/firewall.nft\n"
    "DefaultDependencies=no\n"
    "Wants=network-pre.target\n"
    "Before=network-pre.target shutdown.target\n"
    "Conflicts=shutdown.target\n"
    "ConditionPathExists=/etc/groundcrew/firewall.nft\n"
    "\n"
    "[Service]\n"
    "Type=oneshot\n"
    "RemainAfterExit=yes\n"
    "ExecStart=/usr/sbin/nft -f /etc/groundcrew/firewall.nft\n"
    "ExecReload=/usr/sbin/nft -f /etc/groundcrew/firewall.nft\n"
    "\n"
    "[Install]\n"
    "WantedBy=sysinit.target\n";

// The unit that loads the firewall at boot; kept when the firewall file goes (it then does
// nothing).
Result<std::vector<RenderedFile>> FirewallUnit(const DeviceRoot&) {
  return std::vector<RenderedFile>{
      {std::string(kFirewallUnitFile), 0644, std::string(kFirewallUnit)}};
}

/// One settings area: the files it owns, rendered from the settings in force, and what runs once
/// they changed.
struct Area {
  std::string_view name;
  std::vector<RenderedFile> (*render)(const PolicySettings&);
  /// Files it adds to or writes while it holds settings, and keeps afterwards (the dconf
  /// profile, the firewall's unit); may be null.
  Result<std::vector<RenderedFile>> (*companions)(const DeviceRoot&) = nullptr;
  /// Run in any root that has the tool once a file changed ("dconf update").
  std::array<std::string_view, 3> then = {};
  /// `then` runs only while the area holds settings (it enables a unit).
  bool then_only_while_holding = false;
  /// Run only when the root is the running system, once a file changed: loads the change.
  std::array<std::string_view, 3> live = {};
  /// Run instead of `live` once the area holds nothing any more (empty: `live`).
  std::array<std::string_view, 2> live_when_gone = {};
};

const std::array<Area, 10>& Areas() {
  static const std::array<Area, 10> areas = {
      Area{"screen lock", RenderScreenLock, DconfProfile, {"dconf", "update"}},
      Area{"login banner", RenderLoginBanner},
      Area{"SSH",
           RenderSsh,
           nullptr,
           {},
           false,
           {"systemctl", "try-reload-or-restart", "ssh.service"}},
      Area{"firewall",
           RenderFirewall,
           FirewallUnit,
           {"systemctl", "enable", "groundcrew-firewall.service"},
           true,
           {"nft", "-f", kFirewallFile},
           // The file is gone, but groundcrew's table is still loaded.
           {"nft", "add table inet groundcrew; delete table inet groundcrew"}},
      Area{"password quality", RenderPasswordQuality},
      Area{"sysctls", RenderSysctl, nullptr, {}, false, {"sysctl", "--system"}},
      Area{"kernel modules", RenderKernelModules},
      Area{"automatic updates", RenderAutomaticUpdates},
      Area{"local administrators", RenderLocalAdministrators},
      Area{"time servers",
           RenderTimeServers,
           nullptr,
           {},
           false,
           {"systemctl", "try-restart", "systemd-timesyncd.service"}},
  };
  return areas;
}

std::vector<std::string> Argv(std::span<const std::string_view> words) {
  std::vector<std::string> argv;
  for (const std::string_view word : words) {
    if (!word.empty()) argv.emplace_back(word);
  }
  return argv;
}

// Runs `argv` in the root; kFailedPrecondition with its message when it fails.
Status RunStep(const DeviceRoot& root, std::vector<std::string> argv, SettingsChange& change) {
  GC_ASSIGN_OR_RETURN(const ToolOutcome outcome, RunTool(root, argv));
  const std::string command = Join(argv, " ");
  if (!outcome.ok()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("{} failed: {}", command, ToolMessage(outcome)));
  }
  change.notes.push_back("ran " + command);
  return Ok{};
}

Status ApplyArea(const DeviceRoot& root, const Area& area, const PolicySettings& in_force,
                 SettingsChange& change) {
  std::vector<RenderedFile> files = area.render(in_force);
  const bool holds_settings = std::any_of(
      files.begin(), files.end(), [](const RenderedFile& f) { return f.content.has_value(); });
  if (holds_settings && area.companions != nullptr) {
    GC_ASSIGN_OR_RETURN(std::vector<RenderedFile> more, area.companions(root));
    files.insert(files.end(), more.begin(), more.end());
  }
  bool changed = false;
  for (const RenderedFile& file : files) {
    GC_ASSIGN_OR_RETURN(const bool put, PutFile(root, file, change));
    changed = changed || put;
  }
  if (!changed) return Ok{};
  if (!area.then[0].empty() && (holds_settings || !area.then_only_while_holding)) {
    if (root.HasTool(area.then[0])) {
      GC_RETURN_IF_ERROR(RunStep(root, Argv(area.then), change));
    } else {
      change.notes.push_back(
          fmt::format("{} not run: the root has no {}", Join(Argv(area.then), " "), area.then[0]));
    }
  }
  if (root.IsSystemRoot() && !area.live[0].empty()) {
    const bool gone = !holds_settings && !area.live_when_gone[0].empty();
    GC_RETURN_IF_ERROR(RunStep(root, gone ? Argv(area.live_when_gone) : Argv(area.live), change));
  }
  return Ok{};
}

// ---- Each user's screen lock ----

std::string UserDb(uid_t uid) { return fmt::format("{}{}", kUserDbPrefix, uid); }

std::string UserDbFolder(uid_t uid) { return fmt::format("{}/{}.d", kDconfDbDir, UserDb(uid)); }

std::string UserScreenLockFile(uid_t uid) {
  return fmt::format("{}/{}", UserDbFolder(uid), kScreenLockName);
}

std::string UserScreenLockLocksFile(uid_t uid) {
  return fmt::format("{}/locks/{}", UserDbFolder(uid), kScreenLockName);
}

std::string MandatoryProfileFile(uid_t uid) {
  return fmt::format("{}/{}", kMandatoryProfileDir, uid);
}

// The user's mandatory profile: the device's profile for users (/etc/dconf/profile/user, or
// dconf's default without it: the user's own database only) with the user's groundcrew database
// before the first system database, so the device's settings stay under theirs.
Result<std::string> MandatoryProfile(const DeviceRoot& root, uid_t uid) {
  GC_ASSIGN_OR_RETURN(const std::optional<FileState> device,
                      ReadFileState(root.Under(kDconfProfileFile)));
  const std::string ours = "system-db:" + UserDb(uid);
  std::string_view text = device ? std::string_view(device->bytes) : "user-db:user\n";
  std::string profile;
  bool placed = false;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text::Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) continue;
    if (!placed && line.starts_with("system-db:")) {
      profile += ours + "\n";
      placed = true;
    }
    profile += std::string(line) + "\n";
  }
  if (!placed) profile += ours + "\n";
  return profile;
}

// systemd-tmpfiles' argument field takes C escapes: the profile's lines on one line.
std::string TmpfilesArgument(std::string_view text) {
  std::string out;
  for (const char c : text) out += c == '\n' ? "\\n" : c == '\\' ? "\\\\" : std::string(1, c);
  return out;
}

// The uids of the user databases groundcrew made (ROOT/etc/dconf/db/groundcrew-user-<uid>[.d]).
std::set<uid_t> UsersWithDatabases(const DeviceRoot& root) {
  std::set<uid_t> uids;
  std::error_code ec;
  for (fs::directory_iterator it(root.Under(kDconfDbDir), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string file_name = it->path().filename().string();
    std::string_view name = file_name;
    if (!name.starts_with(kUserDbPrefix)) continue;
    name.remove_prefix(kUserDbPrefix.size());
    if (name.ends_with(".d")) name.remove_suffix(2);
    uid_t uid = 0;
    const auto [at, error] = std::from_chars(name.data(), name.data() + name.size(), uid);
    if (error == std::errc() && at == name.data() + name.size() && !name.empty()) uids.insert(uid);
  }
  return uids;
}

// Renders each user's screen lock from their records' user settings, and removes the databases
// of users who have none any more (their mandatory profile too, when it is the one groundcrew
// wrote); then `dconf update` once anything changed.
Status RenderUserScreenLocks(const DeviceRoot& root, std::span<const PolicyRecord> records,
                             SettingsChange& change) {
  std::map<uid_t, PolicySettings> wanted;
  for (const PolicyRecord& record : records) {
    if (!record.user) continue;
    const PolicySettings own = OfScope(record.settings, true);
    if (!own.empty()) wanted[record.user->uid].insert(own.begin(), own.end());
  }
  std::vector<RenderedFile> files;
  std::string tmpfiles;
  for (const auto& [uid, settings] : wanted) {
    const std::vector<RenderedFile> lock =
        RenderScreenLockIn(settings, UserScreenLockFile(uid), UserScreenLockLocksFile(uid));
    files.insert(files.end(), lock.begin(), lock.end());
    GC_ASSIGN_OR_RETURN(const std::string profile, MandatoryProfile(root, uid));
    files.push_back({MandatoryProfileFile(uid), 0644, profile});
    tmpfiles += fmt::format("f+ {} 0644 root root - {}\n", MandatoryProfileFile(uid),
                            TmpfilesArgument(profile));
  }
  files.push_back(tmpfiles.empty()
                      ? Absent(kDconfTmpfilesFile)
                      : RenderedFile{std::string(kDconfTmpfilesFile), 0644,
                                     fmt::format("{}d {} 0755 root root -\n{}", Header(),
                                                 kMandatoryProfileDir, tmpfiles)});
  std::vector<uid_t> gone;
  for (const uid_t uid : UsersWithDatabases(root)) {
    if (wanted.contains(uid)) continue;
    gone.push_back(uid);
    files.push_back(Absent(UserScreenLockFile(uid)));
    files.push_back(Absent(UserScreenLockLocksFile(uid)));
    files.push_back(Absent(fmt::format("{}/{}", kDconfDbDir, UserDb(uid))));  // compiled
    GC_ASSIGN_OR_RETURN(const std::optional<FileState> profile,
                        ReadFileState(root.Under(MandatoryProfileFile(uid))));
    if (profile && profile->bytes.find("system-db:" + UserDb(uid) + "\n") != std::string::npos) {
      files.push_back(Absent(MandatoryProfileFile(uid)));
    }
  }
  bool changed = false;
  for (const RenderedFile& file : files) {
    GC_ASSIGN_OR_RETURN(const bool put, PutFile(root, file, change));
    changed = changed || put;
  }
  for (const uid_t uid : gone) {
    // Empty once groundcrew's files are gone; a folder someone else put files in stays.
    std::error_code ec;
    fs::remove(root.Under(UserDbFolder(uid) + "/locks"), ec);
    fs::remove(root.Under(UserDbFolder(uid)), ec);
  }
  if (!changed) return Ok{};
  if (!root.HasTool("dconf")) {
    change.notes.push_back("dconf update not run: the root has no dconf");
    return Ok{};
  }
  return RunStep(root, {"dconf", "update"}, change);
}

// ---- Records ----

// Every record but that of `except_id` for `except_user` ("": the device's): the device's
// ordered by policy id, then each user's by user name and policy id (ReadPolicyRecords).
Result<std::vector<PolicyRecord>> ReadRecordsExcept(const DeviceRoot& root,
                                                    std::string_view except_id,
                                                    std::string_view except_user);

std::string Quoted(std::string_view name) { return fmt::format("\"{}\"", name); }

// Every conflict of `record` with the others: "Setting X is A in "P" and B in "Q"", joined. Two
// users' records meet on device settings only.
std::string ConflictsWith(std::span<const PolicyRecord> others, const PolicyRecord& record) {
  std::vector<std::string> found;
  for (const PolicyRecord& other : others) {
    const bool apart = record.user && other.user && record.user->name != other.user->name;
    const PolicySettings theirs = apart ? OfScope(other.settings, false) : other.settings;
    const PolicySettings mine = apart ? OfScope(record.settings, false) : record.settings;
    const std::array sources = {core::PolicySettingsSource{Quoted(other.display_name), &theirs},
                                core::PolicySettingsSource{Quoted(record.display_name), &mine}};
    for (const core::SettingConflict& conflict : core::FindSettingConflicts(sources)) {
      found.push_back(core::DescribeConflict(conflict));
    }
  }
  return Join(found, "; ");
}

// Replaces the record of `policy_id` for `user_name` by `wanted` (nullptr: removes it) and
// renders every record; on failure the previous record and rendering are put back.
Result<SettingsChange> ReplaceRecord(const DeviceRoot& root, std::string_view policy_id,
                                     std::string_view user_name, const PolicyRecord* wanted) {
  // The others must all be records; the one replaced may be anything (a file from before the
  // catalog is replaced or removed like any other).
  GC_ASSIGN_OR_RETURN(const std::vector<PolicyRecord> others,
                      ReadRecordsExcept(root, policy_id, user_name));
  const fs::path path = PolicyRecordPath(root, policy_id, user_name);
  GC_ASSIGN_OR_RETURN(const std::optional<FileState> previous, ReadFileState(path));
  std::vector<PolicyRecord> before = others;
  if (previous) {
    if (Result<PolicyRecord> record = DecodePolicyRecord(policy_id, previous->bytes)) {
      before.push_back(std::move(*record));
    }
  }
  std::vector<PolicyRecord> after = others;
  if (wanted != nullptr) {
    if (const std::string conflicts = ConflictsWith(after, *wanted); !conflicts.empty()) {
      return MakeError(ErrorCode::kFailedPrecondition, conflicts);
    }
    after.push_back(*wanted);
  }
  GC_RETURN_IF_ERROR(wanted != nullptr
                         ? WriteFileAtomically(path, EncodePolicyRecord(*wanted), 0600)
                         : RemoveFile(path));
  Result<SettingsChange> rendered = RenderSettings(root, after);
  if (rendered) {
    rendered->notes.insert(rendered->notes.begin(),
                           fmt::format("{} {}", wanted ? "wrote" : "removed", path.string()));
    return rendered;
  }
  (void)(previous ? WriteFileAtomically(path, previous->bytes, previous->mode) : RemoveFile(path));
  (void)RenderSettings(root, before);
  return rendered.error();
}

}  // namespace

fs::path PolicyRecordPath(const DeviceRoot& root, std::string_view policy_id,
                          std::string_view user_name) {
  const fs::path dir =
      user_name.empty() ? root.Under(kRecordsDir) : root.Under(kRecordsDir) / kUsersDir / user_name;
  return dir / fmt::format("{}.json", policy_id);
}

std::string EncodePolicyRecord(const PolicyRecord& record) {
  json::object object{{"displayName", record.display_name},
                      {"version", record.version},
                      {"settings", wire::EncodePolicySettings(record.settings)}};
  if (record.user) {
    object["user"] = json::object{{"name", record.user->name}, {"uid", record.user->uid}};
  }
  return json::serialize(object) + "\n";
}

Result<PolicyRecord> DecodePolicyRecord(std::string_view policy_id, std::string_view text) {
  const auto invalid = [](std::string field, std::string_view why) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: {}", field, why), field);
  };
  boost::system::error_code ec;
  const json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return invalid("", "not a JSON object");
  const json::object& object = parsed.as_object();
  PolicyRecord record;
  record.policy_id = std::string(policy_id);
  const json::value* name = object.if_contains("displayName");
  if (name == nullptr || !name->is_string()) return invalid("displayName", "expected a string");
  record.display_name = std::string(name->as_string());
  const json::value* version = object.if_contains("version");
  if (version == nullptr || !version->is_int64()) return invalid("version", "expected an integer");
  record.version = static_cast<int>(version->as_int64());
  const json::value* settings = object.if_contains("settings");
  if (settings == nullptr || !settings->is_object())
    return invalid("settings", "expected an object");
  std::vector<Error> problems;
  record.settings = wire::DecodePolicySettings(settings->as_object(), problems);
  if (!problems.empty()) return problems.front();
  if (const json::value* user = object.if_contains("user")) {
    const json::object* fields = user->if_object();
    if (fields == nullptr) return invalid("user", "expected an object");
    const json::value* user_name = fields->if_contains("name");
    if (user_name == nullptr || !user_name->is_string() ||
        !IsSafeFileName(user_name->as_string())) {
      return invalid("user.name", "expected a user name");
    }
    const json::value* uid = fields->if_contains("uid");
    if (uid == nullptr || !uid->is_int64() || uid->as_int64() < 0 ||
        uid->as_int64() >= std::int64_t{1} << 32) {
      return invalid("user.uid", "expected a user id");
    }
    record.user =
        RecordUser{std::string(user_name->as_string()), static_cast<uid_t>(uid->as_int64())};
  }
  return record;
}

Result<std::vector<PolicyRecord>> ReadPolicyRecords(const DeviceRoot& root) {
  return ReadRecordsExcept(root, "", "");
}

namespace {

// Appends the records of `dir` (`user_name`'s folder, or the device's when empty) but
// `except_id`, ordered by policy id.
Status ReadRecordsIn(const fs::path& dir, std::string_view user_name, std::string_view except_id,
                     std::vector<PolicyRecord>& records) {
  std::vector<PolicyRecord> found;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return Ok{};
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    if (name.starts_with('.') || path.extension() != ".json") continue;  // temporary files
    if (path.stem() == except_id) continue;
    GC_ASSIGN_OR_RETURN(const std::string bytes, ReadWholeFile(path));
    Result<PolicyRecord> record = DecodePolicyRecord(path.stem().string(), bytes);
    if (record && (record->user ? record->user->name : "") != user_name) {
      record = MakeError(ErrorCode::kInvalidArgument,
                         user_name.empty() ? std::string("a user's record in the device's folder")
                                           : fmt::format("not {}'s record", user_name));
    }
    if (!record) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       fmt::format("{} is not a policy record ({}): uninstall that policy or "
                                   "remove the file",
                                   path.string(), record.error().message));
    }
    found.push_back(std::move(*record));
  }
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  }
  std::sort(found.begin(), found.end(),
            [](const PolicyRecord& a, const PolicyRecord& b) { return a.policy_id < b.policy_id; });
  records.insert(records.end(), found.begin(), found.end());
  return Ok{};
}

Result<std::vector<PolicyRecord>> ReadRecordsExcept(const DeviceRoot& root,
                                                    std::string_view except_id,
                                                    std::string_view except_user) {
  std::vector<PolicyRecord> records;
  const fs::path dir = root.Under(kRecordsDir);
  GC_RETURN_IF_ERROR(ReadRecordsIn(dir, "", except_user.empty() ? except_id : "", records));
  std::vector<std::string> users;
  std::error_code ec;
  for (fs::directory_iterator it(dir / kUsersDir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (IsSafeFileName(name) && it->is_directory(ec)) users.push_back(name);
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot list {}: {}", (dir / kUsersDir).string(), ec.message()));
  }
  std::sort(users.begin(), users.end());
  for (const std::string& user : users) {
    GC_RETURN_IF_ERROR(
        ReadRecordsIn(dir / kUsersDir / user, user, user == except_user ? except_id : "", records));
  }
  return records;
}

}  // namespace

PolicySettings SettingsInForce(std::span<const PolicyRecord> records) {
  PolicySettings in_force;
  for (const PolicyRecord& record : records) {
    for (const auto& [id, value] : record.settings) {
      if (!record.user || !IsUserSetting(id)) in_force.emplace(id, value);  // keeps the first
    }
  }
  return in_force;
}

PolicySettings UserSettingsInForce(std::span<const PolicyRecord> records,
                                   std::string_view user_name) {
  PolicySettings in_force;
  for (const PolicyRecord& record : records) {
    if (!record.user || record.user->name != user_name) continue;
    const PolicySettings own = OfScope(record.settings, true);
    in_force.insert(own.begin(), own.end());
  }
  return in_force;
}

Result<SettingsChange> RenderSettings(const DeviceRoot& root,
                                      std::span<const PolicyRecord> records) {
  SettingsChange change;
  const PolicySettings in_force = SettingsInForce(records);
  for (const Area& area : Areas()) {
    if (Status applied = ApplyArea(root, area, in_force, change); !applied) {
      Error error = applied.error();
      error.message = fmt::format("{}: {}", area.name, error.message);
      return error;
    }
  }
  if (Status applied = RenderUserScreenLocks(root, records, change); !applied) {
    Error error = applied.error();
    error.message = fmt::format("users' screen lock: {}", error.message);
    return error;
  }
  return change;
}

Result<SettingsChange> InstallPolicySettings(const DeviceRoot& root, const PolicyRecord& record) {
  return ReplaceRecord(root, record.policy_id, record.user ? record.user->name : "", &record);
}

Result<SettingsChange> UninstallPolicySettings(const DeviceRoot& root, std::string_view policy_id,
                                               std::string_view user_name) {
  return ReplaceRecord(root, policy_id, user_name, nullptr);
}

Result<std::optional<SettingValue>> DetectSetting(const DeviceRoot& root,
                                                  std::string_view setting_id,
                                                  const RecordUser* user) {
  const auto reader = std::find_if(kReaders.begin(), kReaders.end(), [&](const SettingReader& r) {
    return r.setting_id == setting_id;
  });
  if (reader == kReaders.end() || core::FindSetting(setting_id) == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{} is not a setting of the catalog", setting_id), "setting_id");
  }
  // The user settings are the screen lock's: a user's are in their own database.
  const std::string file = user != nullptr && IsUserSetting(setting_id)
                               ? UserScreenLockFile(user->uid)
                               : std::string(reader->file);
  GC_ASSIGN_OR_RETURN(const std::optional<FileState> found, ReadFileState(root.Under(file)));
  if (!found) return std::optional<SettingValue>();
  Detected value = reader->read(found->bytes);
  if (!value) {
    Error error = value.error();
    error.message = fmt::format("{}: {}", file, error.message);
    return error;
  }
  return value;
}

Result<bool> PolicySettingsPresent(const DeviceRoot& root, const PolicyRecord& record) {
  Result<std::string> bytes =
      ReadWholeFile(PolicyRecordPath(root, record.policy_id, record.user ? record.user->name : ""));
  if (!bytes)
    return bytes.error().code == ErrorCode::kNotFound ? Result<bool>(false) : bytes.error();
  Result<PolicyRecord> recorded = DecodePolicyRecord(record.policy_id, *bytes);
  if (!recorded || recorded->settings != record.settings || recorded->user != record.user) {
    return false;
  }
  const RecordUser* user = record.user ? &*record.user : nullptr;
  for (const auto& [id, value] : record.settings) {
    GC_ASSIGN_OR_RETURN(const std::optional<SettingValue> found, DetectSetting(root, id, user));
    if (found != value) return false;
  }
  return true;
}

}  // namespace groundcrew::executor

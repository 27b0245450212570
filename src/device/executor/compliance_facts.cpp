#include "device/executor/compliance_facts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>
#include <string_view>
#include <system_error>

#include "common/text.hpp"
#include "core/debian/debian_version.hpp"
#include "device/executor/durable_file.hpp"

namespace groundcrew::executor {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kSecureBootVariable =
    "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";
constexpr int kMaxBlockDepth = 16;              // dm on dm on ... (LVM on LUKS is 2)
constexpr int kPwqualityBaseMinimumLength = 6;  // libpwquality raises a lower minlen to this

// The file's bytes; nullopt when it does not exist (or a folder on its way is missing).
Result<std::optional<std::string>> ReadIfPresent(const fs::path& file) {
  Result<std::string> bytes = ReadWholeFile(file);
  if (bytes) return std::optional<std::string>(std::move(*bytes));
  if (bytes.error().code == ErrorCode::kNotFound) return std::optional<std::string>();
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::optional<std::string>();
  return bytes.error();
}

// Calls `line_fn` with each line of `text`, trimmed.
template <class LineFn>
void ForEachLine(std::string_view text, LineFn line_fn) {
  while (!text.empty()) {
    const size_t end = text.find('\n');
    line_fn(text::Trim(text.substr(0, end)));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
}

std::optional<long long> WholeNumber(std::string_view text) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// An os-release value: "double quoted" (with \" \\ \$ \` escapes), 'single quoted' or bare.
std::string Unquote(std::string_view value) {
  value = text::Trim(value);
  if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
    return std::string(value.substr(1, value.size() - 2));
  }
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    std::string out;
    const std::string_view inner = value.substr(1, value.size() - 2);
    for (size_t i = 0; i < inner.size(); ++i) {
      if (inner[i] == '\\' && i + 1 < inner.size()) ++i;
      out += inner[i];
    }
    return out;
  }
  return std::string(value);
}

Status ReadOperatingSystem(const DeviceRoot& root, core::DeviceFacts& facts) {
  for (const char* candidate : {"etc/os-release", "usr/lib/os-release"}) {
    Result<std::optional<std::string>> bytes = ReadIfPresent(root.Resolve(candidate));
    if (!bytes) return bytes.error();
    if (!*bytes) continue;
    ForEachLine(**bytes, [&](std::string_view line) {
      const size_t equals = line.find('=');
      if (line.empty() || line.front() == '#' || equals == std::string_view::npos) return;
      const std::string_view key = line.substr(0, equals);
      if (key == "ID") facts.os_id = Unquote(line.substr(equals + 1));
      if (key == "NAME") facts.os_name = Unquote(line.substr(equals + 1));
      if (key == "VERSION_ID") facts.os_version = Unquote(line.substr(equals + 1));
    });
    break;
  }
  if (facts.os_id != "debian") return Ok{};
  // Debian's VERSION_ID is the major release ("12"); the point release is in debian_version.
  Result<std::optional<std::string>> point = ReadIfPresent(root.Resolve("etc/debian_version"));
  if (!point) return point.error();
  if (*point) {
    const std::string_view first_line =
        text::Trim(std::string_view(**point).substr(0, std::string_view(**point).find('\n')));
    if (core::ParseDebianVersion(first_line)) facts.os_version = std::string(first_line);
  }
  return Ok{};
}

// mountinfo(5) escapes space, tab, newline and backslash as \ooo.
std::string DecodeOctalEscapes(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string_view digits = field.substr(i + 1, 3);
      if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out +=
            static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

// The block device named `name` (e.g. "dm-0") in sysfs; empty when sysfs has none.
fs::path BlockDeviceFolder(const DeviceRoot& root, std::string_view name) {
  for (const char* folder : {"sys/class/block/", "sys/block/"}) {
    const fs::path path = root.Resolve(std::string(folder) + std::string(name));
    std::error_code ec;
    if (fs::is_directory(path, ec)) return path;
  }
  return {};
}

// Whether the block device `name` is dm-crypt or sits on dm-crypt, through its slaves.
Result<bool> OnDmCrypt(const DeviceRoot& root, const std::string& name, int depth) {
  const fs::path folder = BlockDeviceFolder(root, name);
  if (folder.empty() || depth > kMaxBlockDepth) return false;
  Result<std::optional<std::string>> uuid = ReadIfPresent(folder / "dm/uuid");
  if (!uuid) return uuid.error();
  if (*uuid && (*uuid)->starts_with("CRYPT-")) return true;
  std::error_code ec;
  for (fs::directory_iterator it(folder / "slaves", ec), end; !ec && it != end; it.increment(ec)) {
    Result<bool> below = OnDmCrypt(root, it->path().filename().string(), depth + 1);
    if (!below) return below.error();
    if (*below) return true;
  }
  return false;
}

// The kernel name of the block device `device_number` ("254:1"), from sysfs's
// dev/block/MAJ:MIN (its uevent's DEVNAME, else its link's name), else `source`'s ("/dev/dm-1",
// "/dev/mapper/root" -> its link's target) when sysfs has it; empty when neither is known.
Result<std::string> BlockDeviceName(const DeviceRoot& root, const MountInfoEntry& mount) {
  const fs::path by_number = root.Resolve("sys/dev/block/" + mount.device_number);
  std::error_code ec;
  if (fs::is_directory(by_number, ec)) {
    Result<std::optional<std::string>> uevent = ReadIfPresent(by_number / "uevent");
    if (!uevent) return uevent.error();
    std::string name;
    if (*uevent) {
      ForEachLine(**uevent, [&](std::string_view line) {
        if (line.starts_with("DEVNAME=")) name = std::string(line.substr(8));
      });
    }
    if (name.empty()) name = by_number.filename().string();
    if (!BlockDeviceFolder(root, name).empty()) return name;
  }
  if (mount.source.starts_with("/dev/")) {
    const std::string name = root.Resolve(mount.source).filename().string();
    if (!BlockDeviceFolder(root, name).empty()) return name;
  }
  return std::string();
}

Status ReadStorageEncryption(const DeviceRoot& root, core::DeviceFacts& facts) {
  Result<std::optional<std::string>> mountinfo = ReadIfPresent(root.Resolve("proc/self/mountinfo"));
  if (!mountinfo) return mountinfo.error();
  if (!*mountinfo) return Ok{};
  std::optional<MountInfoEntry> root_mount;
  for (MountInfoEntry& entry : ParseMountInfo(**mountinfo)) {
    if (entry.mount_point == "/") root_mount = std::move(entry);  // the last one is on top
  }
  if (!root_mount) return Ok{};
  Result<std::string> name = BlockDeviceName(root, *root_mount);
  if (!name) return name.error();
  if (name->empty()) return Ok{};
  Result<bool> encrypted = OnDmCrypt(root, *name, 0);
  if (!encrypted) return encrypted.error();
  facts.storage_encrypted = *encrypted;
  return Ok{};
}

Status ReadSecureBoot(const DeviceRoot& root, core::DeviceFacts& facts) {
  std::error_code ec;
  if (!fs::is_directory(root.Resolve("sys/firmware/efi"), ec)) {
    if (fs::is_directory(root.Resolve("sys/kernel"), ec)) {
      facts.secure_boot_enabled = false;
      facts.secure_boot_note = "not EFI";
    }
    return Ok{};
  }
  Result<std::optional<std::string>> bytes = ReadIfPresent(root.Resolve(kSecureBootVariable));
  if (!bytes) return bytes.error();
  // efivarfs: 4 bytes of attributes, then the variable's value (one byte: 1 = enabled).
  if (*bytes && (*bytes)->size() >= 5) {
    facts.secure_boot_enabled = (**bytes)[4] == 1;
  } else {
    facts.secure_boot_enabled = false;
    facts.secure_boot_note = "no SecureBoot variable";
  }
  return Ok{};
}

// The setting's value when it is a T; nullopt when no policy set it.
template <class T>
Result<std::optional<T>> SettingAs(const SettingReader& read_setting, std::string_view id) {
  Result<std::optional<core::SettingValue>> value = read_setting(id);
  if (!value) return value.error();
  if (!*value) return std::optional<T>();
  const T* typed = std::get_if<T>(&**value);
  if (typed == nullptr) {
    return MakeError(ErrorCode::kInternal,
                     fmt::format("the detector of {} read a value of another type", id),
                     std::string(id));
  }
  return std::optional<T>(*typed);
}

// "minlen" of libpwquality's configuration: "name = value" lines, '#' comments.
void PwqualityMinimumLength(std::string_view text, std::optional<int>& minlen) {
  ForEachLine(text, [&](std::string_view line) {
    line = text::Trim(line.substr(0, line.find('#')));
    const size_t equals = line.find('=');
    if (equals == std::string_view::npos || text::Trim(line.substr(0, equals)) != "minlen") return;
    if (auto n = WholeNumber(text::Trim(line.substr(equals + 1))); n && *n >= 0 && *n < 10000) {
      minlen = static_cast<int>(*n);
    }
  });
}

// The files of a ".d" folder whose names pass `keep`, in name order.
std::vector<fs::path> FolderFiles(const fs::path& folder, bool (*keep)(std::string_view name)) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (keep(it->path().filename().string())) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::optional<int>> SystemPasswordMinimumLength(const DeviceRoot& root) {
  Result<std::optional<std::string>> pam = ReadIfPresent(root.Resolve("etc/pam.d/common-password"));
  if (!pam) return pam.error();
  if (!*pam) return std::optional<int>();
  std::string pam_line;
  ForEachLine(**pam, [&](std::string_view line) {
    if (!line.starts_with('#') && line.find("pam_pwquality.so") != std::string_view::npos) {
      pam_line = std::string(line);
    }
  });
  if (pam_line.empty()) return std::optional<int>();  // pwquality does not check passwords

  std::optional<int> minlen;
  std::vector<fs::path> files =
      FolderFiles(root.Resolve("etc/security/pwquality.conf.d"),
                  [](std::string_view name) { return name.ends_with(".conf") && name.size() > 5; });
  files.push_back(root.Resolve("etc/security/pwquality.conf"));
  for (const fs::path& file : files) {
    Result<std::optional<std::string>> text = ReadIfPresent(file);
    if (!text) return text.error();
    if (*text) PwqualityMinimumLength(**text, minlen);
  }
  // The module's own options come last: "password requisite pam_pwquality.so minlen=14".
  std::string_view options = pam_line;
  options = options.substr(options.find("pam_pwquality.so") + 16);
  while (!options.empty()) {
    options = text::Trim(options);
    const size_t end = options.find_first_of(" \t");
    const std::string_view option = options.substr(0, end);
    if (option.starts_with("minlen=")) {
      if (auto n = WholeNumber(option.substr(7)); n && *n >= 0 && *n < 10000) {
        minlen = static_cast<int>(*n);
      }
    }
    options = end == std::string_view::npos ? std::string_view() : options.substr(end);
  }
  if (minlen) minlen = std::max(*minlen, kPwqualityBaseMinimumLength);
  return minlen;
}

// apt reads the parts whose names hold only letters, digits, '_', '-' and '.', with no
// extension or ".conf".
bool AptReadsPart(std::string_view name) {
  if (name.empty() || !text::IsAsciiAlnum(name, "_-.")) return false;
  const size_t dot = name.rfind('.');
  return dot == std::string_view::npos || name.substr(dot) == ".conf";
}

// `name "value";` lines of apt configuration: the last value of each name wins.
void AptValue(std::string_view text, std::string_view name, std::optional<std::string>& value) {
  ForEachLine(text, [&](std::string_view line) {
    if (!line.starts_with(name)) return;
    std::string_view rest = text::Trim(line.substr(name.size()));
    if (rest.size() < 2 || rest.front() != '"') return;
    const size_t close = rest.find('"', 1);
    if (close == std::string_view::npos) return;
    value = std::string(rest.substr(1, close - 1));
  });
}

Result<std::optional<bool>> SystemAutomaticSecurityUpdates(const DeviceRoot& root) {
  std::error_code ec;
  if (!fs::is_directory(root.Resolve("etc/apt"), ec)) return std::optional<bool>();
  std::vector<fs::path> files = FolderFiles(root.Resolve("etc/apt/apt.conf.d"), AptReadsPart);
  files.push_back(root.Resolve("etc/apt/apt.conf"));
  std::optional<std::string> enable, unattended;
  for (const fs::path& file : files) {
    Result<std::optional<std::string>> text = ReadIfPresent(file);
    if (!text) return text.error();
    if (!*text) continue;
    AptValue(**text, "APT::Periodic::Enable", enable);
    AptValue(**text, "APT::Periodic::Unattended-Upgrade", unattended);
  }
  const auto on = [](const std::optional<std::string>& v) { return v && *v != "0" && !v->empty(); };
  return std::optional<bool>(root.HasTool("unattended-upgrade") && (!enable || on(enable)) &&
                             on(unattended));
}

Status ReadSettings(const DeviceRoot& root, const SettingReader& read_setting,
                    core::DeviceFacts& facts) {
  Result<std::optional<bool>> firewall = SettingAs<bool>(read_setting, "firewall.enabled");
  if (!firewall) return firewall.error();
  facts.firewall_active = *firewall;
  if (facts.firewall_active.value_or(false) && root.IsSystemRoot()) {
    Result<ToolOutcome> listed = root.Run({.argv = {"nft", "list", "table", "inet", "groundcrew"},
                                           .time_limit = std::chrono::seconds(30)});
    if (!listed || !listed->ok()) {
      facts.firewall_active = false;
      facts.firewall_note = "table inet groundcrew not loaded";
    }
  }

  Result<std::optional<bool>> lock = SettingAs<bool>(read_setting, "screenLock.enabled");
  if (!lock) return lock.error();
  facts.screen_lock_enabled = *lock;
  Result<std::optional<std::int64_t>> idle =
      SettingAs<std::int64_t>(read_setting, "screenLock.idleMinutes");
  if (!idle) return idle.error();
  if (*idle) facts.screen_lock_idle_minutes = static_cast<int>(**idle);

  Result<std::optional<bool>> updates =
      SettingAs<bool>(read_setting, "automaticUpdates.securityUpdates");
  if (!updates) return updates.error();
  if (!*updates) updates = SystemAutomaticSecurityUpdates(root);
  if (!updates) return updates.error();
  facts.automatic_security_updates = *updates;

  Result<std::optional<std::int64_t>> length =
      SettingAs<std::int64_t>(read_setting, "passwordQuality.minimumLength");
  if (!length) return length.error();
  if (*length) {
    facts.password_minimum_length = static_cast<int>(**length);
  } else {
    Result<std::optional<int>> system = SystemPasswordMinimumLength(root);
    if (!system) return system.error();
    facts.password_minimum_length = *system;
  }
  return Ok{};
}

}  // namespace

std::vector<MountInfoEntry> ParseMountInfo(std::string_view text) {
  std::vector<MountInfoEntry> entries;
  ForEachLine(text, [&](std::string_view line) {
    std::vector<std::string_view> fields;
    while (!line.empty()) {
      const size_t end = line.find(' ');
      if (end != 0) fields.push_back(line.substr(0, end));
      line = end == std::string_view::npos ? std::string_view() : line.substr(end + 1);
    }
    // id parent major:minor root mount-point options [optional fields...] - type source super
    const auto separator = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 6 || separator == fields.end() || fields.end() - separator < 3 ||
        separator - fields.begin() < 6) {
      return;
    }
    entries.push_back({std::string(fields[2]), DecodeOctalEscapes(fields[4]),
                       DecodeOctalEscapes(separator[1]), DecodeOctalEscapes(separator[2])});
  });
  return entries;
}

Result<core::DeviceFacts> ReadComplianceFacts(const DeviceRoot& root,
                                              const SettingReader& read_setting) {
  core::DeviceFacts facts;
  GC_RETURN_IF_ERROR(ReadOperatingSystem(root, facts));
  GC_RETURN_IF_ERROR(ReadStorageEncryption(root, facts));
  GC_RETURN_IF_ERROR(ReadSecureBoot(root, facts));
  GC_RETURN_IF_ERROR(ReadSettings(root, read_setting, facts));
  return facts;
}

}  // namespace groundcrew::executor

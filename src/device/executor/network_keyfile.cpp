#include "device/executor/network_keyfile.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>

#include "identity/sha256.hpp"

namespace groundcrew::executor {
namespace {

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }
bool IsPrintableAscii(unsigned char c) { return c >= 0x20 && c < 0x7f; }
bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool HasControl(std::string_view text) {
  for (const char c : text) {
    if (IsControl(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

// A string value as g_key_file_set_string writes it: backslash, newline, tab and carriage return
// escaped, and a leading space as \s (GKeyFile would otherwise drop it).
std::string EscapeValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case ' ':
        out += i == 0 ? "\\s" : " ";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The SSID as NetworkManager's keyfile writer puts it: printable ASCII as a string with ';'
// escaped as "\;" (then GKeyFile-escaped), anything else as a list of byte values "1;2;3;".
std::string SsidValue(std::string_view ssid) {
  bool printable = true;
  for (const char c : ssid)
    printable = printable && IsPrintableAscii(static_cast<unsigned char>(c));
  if (!printable) {
    std::string list;
    for (const char c : ssid)
      list += fmt::format("{};", static_cast<unsigned>(static_cast<unsigned char>(c)));
    return list;
  }
  std::string semicolons_escaped;
  for (const char c : ssid) {
    if (c == ';') semicolons_escaped += '\\';
    semicolons_escaped += c;
  }
  return EscapeValue(semicolons_escaped);
}

Error Invalid(std::string_view field, std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message), std::string(field));
}

Status CheckWpa2Key(std::string_view key) {
  if (key.size() == 64) {
    for (const char c : key) {
      if (!IsHex(c)) {
        return Invalid("preSharedKey",
                       "a WPA2 key of 64 characters must be hex digits (or use 8 to 63 "
                       "printable ASCII characters)");
      }
    }
    return Ok{};
  }
  if (key.size() < 8 || key.size() > 63) {
    return Invalid("preSharedKey",
                   fmt::format("a WPA2 key must be 8 to 63 printable ASCII characters or 64 hex "
                               "digits (it has {} characters)",
                               key.size()));
  }
  for (const char c : key) {
    if (!IsPrintableAscii(static_cast<unsigned char>(c))) {
      return Invalid("preSharedKey", "a WPA2 key must be printable ASCII characters");
    }
  }
  return Ok{};
}

Status CheckWpa3Password(std::string_view key) {
  if (key.empty()) return Invalid("preSharedKey", "a WPA3 network needs a password");
  for (const char c : key) {
    if (!IsPrintableAscii(static_cast<unsigned char>(c))) {
      return Invalid("preSharedKey", "a WPA3 password must be printable ASCII characters");
    }
  }
  return Ok{};
}

// The [vpn] key a NetworkManager VPN plugin reads the server from.
std::string_view ServerKey(std::string_view vpn_type) {
  if (vpn_type == "openconnect" || vpn_type == "l2tp" || vpn_type == "pptp" || vpn_type == "sstp" ||
      vpn_type == "fortisslvpn") {
    return "gateway";
  }
  if (vpn_type == "vpnc") return "IPSec gateway";
  if (vpn_type == "strongswan") return "address";
  return "remote";
}

bool IsVpnType(std::string_view vpn_type) {
  if (vpn_type.empty() || vpn_type.size() > 64) return false;
  for (const char c : vpn_type) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status CheckUserName(std::string_view user_name) {
  for (const char c : user_name) {
    const auto u = static_cast<unsigned char>(c);
    if (IsControl(u) || c == ' ' || c == ':' || c == ';' || c == ',' || c == '\\') {
      return Invalid("userName", fmt::format("user name \"{}\" cannot be written in a connection's "
                                             "permissions (whitespace, ':', ';', ',' or '\\')",
                                             user_name));
    }
  }
  return Ok{};
}

}  // namespace

std::filesystem::path SystemConnectionsDir(const std::filesystem::path& root) {
  return root / "etc/NetworkManager/system-connections";
}

std::string KeyfileName(const core::NetworkProfile& profile) {
  std::string name;
  for (const char c : profile.display_name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == ' ' || c == '.' || c == '_' || c == '-';
    name += ok ? c : '_';
  }
  const size_t first = name.find_first_not_of(". ");
  name = first == std::string::npos ? std::string() : name.substr(first);
  if (name.size() > 100) name.resize(100);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name.empty()) name = profile.id.value();
  return name + ".nmconnection";
}

std::string ConnectionUuid(std::string_view profile_id) {
  const identity::Sha256Digest digest =
      identity::Sha256Of(fmt::format("groundcrew network profile\n{}", profile_id));
  std::array<std::uint8_t, 16> b{};
  for (size_t i = 0; i < b.size(); ++i) b[i] = digest[i];
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x80);  // version 8 (custom)
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 9562 variant
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", b[i]);
  }
  return out;
}

Result<std::string> RenderKeyfile(const core::NetworkProfile& profile, std::string_view user_name) {
  const std::string& name =
      profile.display_name.empty() ? profile.id.value() : profile.display_name;
  if (HasControl(name)) return Invalid("displayName", "must not contain control characters");
  const bool user_scoped = profile.scope == core::NetworkScope::kUser;
  if (user_scoped) {
    if (user_name.empty()) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "a user-scoped network profile needs the signed-in user's name, and there "
                       "is none (the technician flow has no user); target it at users, or make "
                       "it device-scoped",
                       "scope");
    }
    if (Status s = CheckUserName(user_name); !s) return s.error();
  }

  std::string out = "[connection]\n";
  out += fmt::format("id={}\n", EscapeValue(name));
  out += fmt::format("uuid={}\n", ConnectionUuid(profile.id.value()));
  out += fmt::format("type={}\n", profile.kind == core::NetworkKind::kWifi ? "wifi" : "vpn");
  out += fmt::format("autoconnect={}\n", profile.connect_automatically ? "true" : "false");
  if (user_scoped) out += fmt::format("permissions=user:{};\n", user_name);

  if (profile.kind == core::NetworkKind::kWifi) {
    if (profile.ssid.empty() || profile.ssid.size() > 32) {
      return Invalid(
          "ssid", fmt::format("an SSID has 1 to 32 bytes (this one has {})", profile.ssid.size()));
    }
    std::string security;
    switch (profile.security) {
      case core::WifiSecurity::kOpen:
        break;
      case core::WifiSecurity::kWpa2Personal:
        if (Status s = CheckWpa2Key(profile.pre_shared_key); !s) return s.error();
        security = fmt::format("[wifi-security]\nkey-mgmt=wpa-psk\npsk={}\n",
                               EscapeValue(profile.pre_shared_key));
        break;
      case core::WifiSecurity::kWpa3Personal:
        if (Status s = CheckWpa3Password(profile.pre_shared_key); !s) return s.error();
        security = fmt::format("[wifi-security]\nkey-mgmt=sae\npsk={}\n",
                               EscapeValue(profile.pre_shared_key));
        break;
      case core::WifiSecurity::kWpa2Enterprise:
        return MakeError(ErrorCode::kFailedPrecondition,
                         "WPA2-Enterprise is not supported yet: network profiles carry no EAP "
                         "method, identity or CA certificate, so no working 802.1X settings can "
                         "be written; use WPA2 or WPA3 personal",
                         "security");
    }
    out += "\n[wifi]\n";
    out += fmt::format("hidden={}\n", profile.hidden_network ? "true" : "false");
    out += "mode=infrastructure\n";
    out += fmt::format("ssid={}\n", SsidValue(profile.ssid));
    if (!security.empty()) out += "\n" + security;
  } else {
    if (!IsVpnType(profile.vpn_type)) {
      return Invalid("vpnType",
                     fmt::format("\"{}\" is not a NetworkManager VPN plugin name (lower-case "
                                 "letters, digits, '.', '_' or '-', e.g. \"openvpn\")",
                                 profile.vpn_type));
    }
    if (profile.server_address.empty()) return Invalid("serverAddress", "a VPN needs a server");
    if (HasControl(profile.server_address)) {
      return Invalid("serverAddress", "must not contain control characters");
    }
    out += "\n[vpn]\n";
    out += fmt::format("service-type=org.freedesktop.NetworkManager.{}\n", profile.vpn_type);
    out += fmt::format("{}={}\n", ServerKey(profile.vpn_type), EscapeValue(profile.server_address));
  }
  out += "\n[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=auto\n";
  return out;
}

}  // namespace groundcrew::executor

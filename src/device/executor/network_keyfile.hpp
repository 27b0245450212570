#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/model/payloads.hpp"

// Network profiles as NetworkManager keyfiles (nm-settings-keyfile(5)), the files NetworkManager
// reads from /etc/NetworkManager/system-connections/ (it ignores them unless they are owned by
// root and of mode 0600).
namespace groundcrew::executor {

/// ROOT/etc/NetworkManager/system-connections.
std::filesystem::path SystemConnectionsDir(const std::filesystem::path& root);

/// The keyfile's name: the display name with every byte outside [A-Za-z0-9 ._-] replaced by
/// '_', leading dots and spaces dropped, cut to 100 bytes, plus ".nmconnection"; the profile id
/// when nothing is left.
std::string KeyfileName(const core::NetworkProfile& profile);

/// The connection's uuid, derived from the profile id (SHA-256 of the id as an RFC 9562 version
/// 8 UUID, lower case): the same on every device and every rewrite, so NetworkManager sees an
/// update rather than a new connection, and a renamed profile's old file can be found.
std::string ConnectionUuid(std::string_view profile_id);

/// The keyfile for `profile`:
/// - [connection] id (display name), uuid, type (wifi or vpn), autoconnect, and for a
///   user-scoped profile `permissions=user:<user_name>;` (the connection is that user's alone);
/// - Wi-Fi: [wifi] mode=infrastructure, ssid, hidden; [wifi-security] key-mgmt=wpa-psk (WPA2
///   personal) or sae (WPA3 personal) with psk; no security section for an open network;
/// - VPN: [vpn] service-type=org.freedesktop.NetworkManager.<vpnType> and the server under the
///   plugin's key (remote for openvpn, gateway for openconnect, l2tp, pptp, sstp and
///   fortisslvpn, "IPSec gateway" for vpnc, address for strongswan; remote for others);
/// - [ipv4] and [ipv6] method=auto.
/// Values are escaped as GKeyFile does; an SSID that is not printable ASCII is written as
/// NetworkManager writes it, a list of byte values.
/// Errors (messages never contain the pre-shared key):
/// - kInvalidArgument, field naming the property: ssid empty or over 32 bytes; a WPA2 key not of
///   8 to 63 printable ASCII characters or 64 hex digits; a WPA3 password empty or not printable
///   ASCII; a VPN without serverAddress or with a vpnType not of [a-z0-9._-]; control characters
///   in the display name or server; a user name with whitespace, ':', ';', ',' or '\';
/// - kFailedPrecondition: WPA2-Enterprise (network profiles carry no EAP method, identity or CA
///   yet, so no working 802.1X section can be written); a user-scoped profile without
///   `user_name` (there is no signed-in user in the technician flow).
[[nodiscard]] Result<std::string> RenderKeyfile(const core::NetworkProfile& profile,
                                                std::string_view user_name);

}  // namespace groundcrew::executor

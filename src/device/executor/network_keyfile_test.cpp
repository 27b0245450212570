#include "device/executor/network_keyfile.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

namespace groundcrew::executor {
namespace {

constexpr char kPsk[] = "correct horse battery staple";

core::NetworkProfile Wifi(core::WifiSecurity security) {
  core::NetworkProfile profile;
  profile.id = core::NetworkProfileId("7b1f0c9e-0d44-4a35-9b8e-3c1d2e4f5a6b");
  profile.display_name = "Contoso Corp";
  profile.kind = core::NetworkKind::kWifi;
  profile.ssid = "CONTOSO-CORP";
  profile.security = security;
  profile.pre_shared_key = kPsk;
  return profile;
}

core::NetworkProfile Vpn(std::string type) {
  core::NetworkProfile profile;
  profile.id = core::NetworkProfileId("0e6f9d8c-1b2a-4c3d-8e7f-6a5b4c3d2e1f");
  profile.display_name = "Contoso VPN";
  profile.kind = core::NetworkKind::kVpn;
  profile.server_address = "vpn.contoso.com";
  profile.vpn_type = std::move(type);
  profile.connect_automatically = false;
  return profile;
}

TEST(NetworkKeyfileTest, Wpa2Personal) {
  const core::NetworkProfile profile = Wifi(core::WifiSecurity::kWpa2Personal);
  Result<std::string> keyfile = RenderKeyfile(profile, "");
  ASSERT_TRUE(keyfile) << keyfile.error().message;
  EXPECT_EQ(*keyfile,
            "[connection]\n"
            "id=Contoso Corp\n"
            "uuid=" +
                ConnectionUuid(profile.id.value()) +
                "\n"
                "type=wifi\n"
                "autoconnect=true\n"
                "\n"
                "[wifi]\n"
                "hidden=false\n"
                "mode=infrastructure\n"
                "ssid=CONTOSO-CORP\n"
                "\n"
                "[wifi-security]\n"
                "key-mgmt=wpa-psk\n"
                "psk=correct horse battery staple\n"
                "\n"
                "[ipv4]\n"
                "method=auto\n"
                "\n"
                "[ipv6]\n"
                "method=auto\n");
}

TEST(NetworkKeyfileTest, Wpa3PersonalUsesSae) {
  core::NetworkProfile profile = Wifi(core::WifiSecurity::kWpa3Personal);
  profile.hidden_network = true;
  Result<std::string> keyfile = RenderKeyfile(profile, "");
  ASSERT_TRUE(keyfile) << keyfile.error().message;
  EXPECT_NE(keyfile->find("[wifi-security]\nkey-mgmt=sae\npsk=correct horse battery staple\n"),
            std::string::npos);
  EXPECT_NE(keyfile->find("hidden=true\n"), std::string::npos);
}

TEST(NetworkKeyfileTest, OpenNetworkHasNoSecuritySection) {
  core::NetworkProfile profile = Wifi(core::WifiSecurity::kOpen);
  profile.pre_shared_key.clear();
  Result<std::string> keyfile = RenderKeyfile(profile, "");
  ASSERT_TRUE(keyfile);
  EXPECT_EQ(keyfile->find("wifi-security"), std::string::npos);
  EXPECT_EQ(keyfile->find("psk"), std::string::npos);
  EXPECT_NE(keyfile->find("[wifi]\nhidden=false\nmode=infrastructure\nssid=CONTOSO-CORP\n"),
            std::string::npos);
}

TEST(NetworkKeyfileTest, OpenVpn) {
  const core::NetworkProfile profile = Vpn("openvpn");
  Result<std::string> keyfile = RenderKeyfile(profile, "");
  ASSERT_TRUE(keyfile) << keyfile.error().message;
  EXPECT_EQ(*keyfile,
            "[connection]\n"
            "id=Contoso VPN\n"
            "uuid=" +
                ConnectionUuid(profile.id.value()) +
                "\n"
                "type=vpn\n"
                "autoconnect=false\n"
                "\n"
                "[vpn]\n"
                "service-type=org.freedesktop.NetworkManager.openvpn\n"
                "remote=vpn.contoso.com\n"
                "\n"
                "[ipv4]\n"
                "method=auto\n"
                "\n"
                "[ipv6]\n"
                "method=auto\n");
}

TEST(NetworkKeyfileTest, VpnPluginsReadTheServerFromTheirOwnKey) {
  EXPECT_NE(RenderKeyfile(Vpn("vpnc"), "")->find("\nIPSec gateway=vpn.contoso.com\n"),
            std::string::npos);
  EXPECT_NE(RenderKeyfile(Vpn("openconnect"), "")->find("\ngateway=vpn.contoso.com\n"),
            std::string::npos);
  EXPECT_NE(RenderKeyfile(Vpn("strongswan"), "")->find("\naddress=vpn.contoso.com\n"),
            std::string::npos);
}

TEST(NetworkKeyfileTest, UserScopedProfilesBelongToTheUser) {
  core::NetworkProfile profile = Wifi(core::WifiSecurity::kWpa2Personal);
  profile.scope = core::NetworkScope::kUser;
  Result<std::string> keyfile = RenderKeyfile(profile, "adele");
  ASSERT_TRUE(keyfile);
  EXPECT_NE(keyfile->find("autoconnect=true\npermissions=user:adele;\n"), std::string::npos);

  Result<std::string> no_user = RenderKeyfile(profile, "");
  ASSERT_FALSE(no_user);
  EXPECT_EQ(no_user.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(no_user.error().field, "scope");

  Result<std::string> bad_user = RenderKeyfile(profile, "adele;root");
  ASSERT_FALSE(bad_user);
  EXPECT_EQ(bad_user.error().field, "userName");

  // Device-scoped profiles ignore the user.
  EXPECT_EQ(RenderKeyfile(Wifi(core::WifiSecurity::kWpa2Personal), "adele")->find("permissions"),
            std::string::npos);
}

TEST(NetworkKeyfileTest, Wpa2EnterpriseIsRefusedClearly) {
  Result<std::string> keyfile = RenderKeyfile(Wifi(core::WifiSecurity::kWpa2Enterprise), "");
  ASSERT_FALSE(keyfile);
  EXPECT_EQ(keyfile.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(keyfile.error().field, "security");
  EXPECT_NE(keyfile.error().message.find("WPA2-Enterprise"), std::string::npos);
}

TEST(NetworkKeyfileTest, BadKeysAreRefusedWithoutShowingThem) {
  const std::vector<std::string> keys = {"short77", std::string(64, 'g'), std::string(70, 'a'),
                                         "tab\there!"};
  for (const std::string& key : keys) {
    core::NetworkProfile profile = Wifi(core::WifiSecurity::kWpa2Personal);
    profile.pre_shared_key = key;
    Result<std::string> keyfile = RenderKeyfile(profile, "");
    ASSERT_FALSE(keyfile) << key;
    EXPECT_EQ(keyfile.error().field, "preSharedKey");
    EXPECT_EQ(keyfile.error().message.find(key), std::string::npos) << keyfile.error().message;
  }
  core::NetworkProfile hex = Wifi(core::WifiSecurity::kWpa2Personal);
  hex.pre_shared_key = std::string(64, 'a');
  EXPECT_TRUE(RenderKeyfile(hex, ""));
  core::NetworkProfile wpa3 = Wifi(core::WifiSecurity::kWpa3Personal);
  wpa3.pre_shared_key.clear();
  EXPECT_FALSE(RenderKeyfile(wpa3, ""));
}

TEST(NetworkKeyfileTest, RefusesMalformedProfiles) {
  core::NetworkProfile no_ssid = Wifi(core::WifiSecurity::kOpen);
  no_ssid.ssid.clear();
  EXPECT_EQ(RenderKeyfile(no_ssid, "").error().field, "ssid");
  core::NetworkProfile long_ssid = Wifi(core::WifiSecurity::kOpen);
  long_ssid.ssid = std::string(33, 's');
  EXPECT_EQ(RenderKeyfile(long_ssid, "").error().field, "ssid");
  EXPECT_EQ(RenderKeyfile(Vpn("Open VPN"), "").error().field, "vpnType");
  core::NetworkProfile no_server = Vpn("openvpn");
  no_server.server_address.clear();
  EXPECT_EQ(RenderKeyfile(no_server, "").error().field, "serverAddress");
  core::NetworkProfile newline = Wifi(core::WifiSecurity::kOpen);
  newline.display_name = "Corp\n[connection]";
  EXPECT_EQ(RenderKeyfile(newline, "").error().field, "displayName");
}

TEST(NetworkKeyfileTest, EscapesValuesAsNetworkManagerDoes) {
  core::NetworkProfile profile = Wifi(core::WifiSecurity::kWpa2Personal);
  profile.display_name = " Lobby\\Guest";
  profile.ssid = "guest;net";
  profile.pre_shared_key = " pass\\word";
  Result<std::string> keyfile = RenderKeyfile(profile, "");
  ASSERT_TRUE(keyfile);
  EXPECT_NE(keyfile->find("\nid=\\sLobby\\\\Guest\n"), std::string::npos) << *keyfile;
  EXPECT_NE(keyfile->find("\nssid=guest\\\\;net\n"), std::string::npos) << *keyfile;
  EXPECT_NE(keyfile->find("\npsk=\\spass\\\\word\n"), std::string::npos) << *keyfile;

  profile.ssid = "Caf\xc3\xa9";
  keyfile = RenderKeyfile(profile, "");
  ASSERT_TRUE(keyfile);
  EXPECT_NE(keyfile->find("\nssid=67;97;102;195;169;\n"), std::string::npos) << *keyfile;
}

TEST(NetworkKeyfileTest, TheUuidIsStableAndWellFormed) {
  const std::string uuid = ConnectionUuid("7b1f0c9e-0d44-4a35-9b8e-3c1d2e4f5a6b");
  EXPECT_EQ(uuid, ConnectionUuid("7b1f0c9e-0d44-4a35-9b8e-3c1d2e4f5a6b"));
  EXPECT_NE(uuid, ConnectionUuid("another profile"));
  EXPECT_TRUE(std::regex_match(
      uuid, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << uuid;
}

TEST(NetworkKeyfileTest, FileNamesComeFromTheDisplayName) {
  core::NetworkProfile profile = Wifi(core::WifiSecurity::kOpen);
  EXPECT_EQ(KeyfileName(profile), "Contoso Corp.nmconnection");
  profile.display_name = "../Lobby/Guest*";
  EXPECT_EQ(KeyfileName(profile), "_Lobby_Guest_.nmconnection");
  profile.display_name = "...";
  EXPECT_EQ(KeyfileName(profile), profile.id.value() + ".nmconnection");
  EXPECT_EQ(SystemConnectionsDir("/r"), "/r/etc/NetworkManager/system-connections");
}

}  // namespace
}  // namespace groundcrew::executor

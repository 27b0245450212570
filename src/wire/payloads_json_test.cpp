#include <gtest/gtest.h>

#include "wire/json_limits.hpp"
#include "wire/model_json.hpp"
#include "wire/wire_test_util.hpp"

namespace groundcrew::wire {
namespace {

using testing::ExpectDecodeError;
using testing::ExpectRoundTrip;
using testing::Json;

const std::string kSha(64, 'a');

core::App SampleApp() {
  core::App a;
  a.id = core::AppId("app-1");
  a.display_name = "Company Portal";
  a.description = "The portal";
  a.publisher = "Contoso";
  a.display_version = "2.1";
  a.install_context = core::InstallContext::kUser;
  a.install_command_line = "sh install.sh";
  a.uninstall_command_line = "sh uninstall.sh";
  a.detection_rules = {
      {core::DetectionRule::Kind::kFileExists, "/opt/portal", "", ""},
      {core::DetectionRule::Kind::kFileHash, "/opt/portal/bin", std::string(64, 'f'), ""},
      {core::DetectionRule::Kind::kFileVersion, "/opt/portal/VERSION", "2.1", ""},
      {core::DetectionRule::Kind::kCommand, "", "", "test -x /opt/portal/bin"},
  };
  a.return_codes = {{0, core::ReturnCodeType::kSuccess},
                    {3010, core::ReturnCodeType::kSoftReboot},
                    {-5, core::ReturnCodeType::kFailed}};
  a.dependencies = {{core::AppId("runtime"), false}, {core::AppId("fonts"), true}};
  a.installer_class = "msi";
  a.content = {"portal.tar", kSha, 12345};
  a.size = 999999999999LL;
  a.max_run_time_in_minutes = 15;
  return a;
}

TEST(PayloadsJsonTest, AppRoundTripAndShape) {
  const core::App original = SampleApp();
  const core::App decoded = ExpectRoundTrip(original);
  ASSERT_EQ(decoded.detection_rules.size(), 4u);
  EXPECT_EQ(decoded.detection_rules[3].command, "test -x /opt/portal/bin");
  ASSERT_EQ(decoded.return_codes.size(), 3u);
  EXPECT_EQ(decoded.return_codes[2].code, -5);
  EXPECT_EQ(decoded.dependencies[0].app_id.value(), "runtime");
  EXPECT_FALSE(decoded.dependencies[0].auto_install);
  EXPECT_EQ(decoded.content.size, 12345);
  EXPECT_EQ(decoded.size, 999999999999LL);

  const boost::json::object o = Encode(original);
  EXPECT_EQ(o.at("installContext"), "user");
  EXPECT_EQ(o.at("installCommandLine"), "sh install.sh");
  EXPECT_EQ(o.at("maxRunTimeInMinutes"), 15);
  EXPECT_EQ(o.at("content"),
            Json(R"({"fileName": "portal.tar", "sha256": ")" + kSha + R"(", "size": 12345})"));
  EXPECT_EQ(o.at("returnCodes").at(1), Json(R"({"returnCode": 3010, "type": "softReboot"})"));
  EXPECT_EQ(o.at("dependencies").at(0), Json(R"({"appId": "runtime", "autoInstall": false})"));
  EXPECT_EQ(o.at("detectionRules").at(2).at("kind"), "fileVersion");
  EXPECT_EQ(o.at("detectionRules").at(0).at("path"), "/opt/portal");

  EXPECT_EQ(o.at("kind"), "script");
  EXPECT_EQ(o.at("packageName"), "");

  core::App package;
  ASSERT_TRUE(Decode(Json(R"({"displayName": "jq", "kind": "aptPackage", "packageName": "jq",
                             "packageVersion": "1.6-2.1"})"),
                     package)
                  .has_value());
  EXPECT_EQ(package.kind, core::AppKind::kAptPackage);
  EXPECT_EQ(package.package_name, "jq");
  EXPECT_EQ(package.package_version, "1.6-2.1");
  EXPECT_EQ(Encode(package).at("kind"), "aptPackage");
  ExpectRoundTrip(package);

  // The model's default return codes survive an app created without "returnCodes".
  core::App created;
  ASSERT_TRUE(Decode(Json(R"({"displayName": "x"})"), created).has_value());
  EXPECT_EQ(created.return_codes.size(), core::DefaultReturnCodes().size());
}

TEST(PayloadsJsonTest, AppErrorsNameTheNestedPath) {
  core::App a = SampleApp();
  EXPECT_EQ(ExpectDecodeError(R"({"detectionRules": [{"kind": "fileExists", "path": "/a"},
                                                   {"kind": "x", "path": "/b"}]})",
                              a, "detectionRules[1].kind"),
            R"(detectionRules[1].kind: expected one of "fileExists", "fileHash", "fileVersion", )"
            R"("command", found "x")");
  ExpectDecodeError(R"({"detectionRules": [{"path": "/a"}]})", a, "detectionRules[0].kind");
  EXPECT_EQ(ExpectDecodeError(R"({"detectionRules": [{"kind": "fileExists"}]})", a,
                              "detectionRules[0].path"),
            R"(detectionRules[0].path: required for kind "fileExists")");
  ExpectDecodeError(R"({"detectionRules": [{"kind": "fileVersion", "path": "/v"}]})", a,
                    "detectionRules[0].value");
  ExpectDecodeError(R"({"detectionRules": [{"kind": "fileHash", "path": "/v", "value": "ABC"}]})",
                    a, "detectionRules[0].value");
  ExpectDecodeError(R"({"detectionRules": [{"kind": "command", "path": "/v"}]})", a,
                    "detectionRules[0].command");
  ExpectDecodeError(R"({"detectionRules": [{"kind": "command", "command": "true", "x": 1}]})", a,
                    "detectionRules[0].x");
  ExpectDecodeError(R"({"detectionRules": [1]})", a, "detectionRules[0]");
  ExpectDecodeError(R"({"returnCodes": [{"returnCode": 0, "type": "ok"}]})", a,
                    "returnCodes[0].type");
  ExpectDecodeError(R"({"returnCodes": [{"type": "success"}]})", a, "returnCodes[0].returnCode");
  ExpectDecodeError(R"({"returnCodes": [{"returnCode": 1.5, "type": "success"}]})", a,
                    "returnCodes[0].returnCode");
  EXPECT_EQ(ExpectDecodeError(R"({"returnCodes": [{"returnCode": 4294967296, "type": "success"}]})",
                              a, "returnCodes[0].returnCode"),
            "returnCodes[0].returnCode: must be at most 2147483647, found 4294967296");
  ExpectDecodeError(R"({"dependencies": [{"autoInstall": true}]})", a, "dependencies[0].appId");
  ExpectDecodeError(R"({"dependencies": [{"appId": "", "autoInstall": true}]})", a,
                    "dependencies[0].appId");
  ExpectDecodeError(R"({"content": {"sha256": "ABC"}})", a, "content.sha256");
  ExpectDecodeError(R"({"content": {"sha256": ")" + std::string(64, 'A') + R"("}})", a,
                    "content.sha256");
  ExpectDecodeError(R"({"content": {"size": -1}})", a, "content.size");
  ExpectDecodeError(R"({"content": {"file": "x.tar"}})", a, "content.file");
  ExpectDecodeError(R"({"maxRunTimeInMinutes": 0})", a, "maxRunTimeInMinutes");
  ExpectDecodeError(R"({"size": -3})", a, "size");
  ExpectDecodeError(R"({"installContext": "system"})", a, "installContext");
  EXPECT_EQ(ExpectDecodeError(R"({"kind": "rpm"})", a, "kind"),
            R"(kind: expected one of "script", "deb", "aptPackage", found "rpm")");
  ExpectDecodeError(R"({"packageName": 3})", a, "packageName");
  EXPECT_EQ(Encode(a), Encode(SampleApp())) << "failed decodes changed the app";

  // content merges: a new sha256 keeps the file name.
  ASSERT_TRUE(Decode(Json(R"({"content": {"sha256": ""}})"), a).has_value());
  EXPECT_EQ(a.content.file_name, "portal.tar");
  EXPECT_EQ(a.content.sha256, "");
}

TEST(PayloadsJsonTest, PolicySettingsAreJson) {
  core::Policy original;
  original.id = core::PolicyId("p-1");
  original.display_name = "Wallpaper";
  original.description = "Blue";
  original.settings_json = R"({"wallpaper":{"color":"blue","sizes":[1,2]}})";
  original.version = 3;
  const core::Policy decoded = ExpectRoundTrip(original);
  EXPECT_EQ(decoded.settings_json, original.settings_json);

  const boost::json::object o = Encode(original);
  EXPECT_EQ(o.at("settings"), Json(R"({"wallpaper": {"color": "blue", "sizes": [1, 2]}})"));
  EXPECT_EQ(o.at("version"), 3);

  core::Policy p = original;
  EXPECT_EQ(ExpectDecodeError(R"({"settings": "{}"})", p, "settings"),
            "settings: expected an object, found a string");
  ExpectDecodeError(R"({"settings": [1]})", p, "settings");
  ASSERT_TRUE(Decode(Json(R"({"settings": {}})"), p).has_value());
  EXPECT_EQ(p.settings_json, "{}");
}

TEST(PayloadsJsonTest, CertificateProfileRoundTrip) {
  core::CertificateProfile original;
  original.id = core::CertificateProfileId("c-1");
  original.display_name = "Device cert";
  original.subject_name_format = "CN={{SerialNumber}}";
  original.validity_period_days = 30;
  original.extended_key_usages = {"clientAuth", "serverAuth"};
  original.version = 2;
  const core::CertificateProfile decoded = ExpectRoundTrip(original);
  EXPECT_EQ(decoded.subject_name_format, original.subject_name_format);
  EXPECT_EQ(decoded.validity_period_days, 30);
  EXPECT_EQ(decoded.extended_key_usages, original.extended_key_usages);
  core::CertificateProfile c = original;
  ExpectDecodeError(R"({"validityPeriodDays": 0})", c, "validityPeriodDays");
  ExpectDecodeError(R"({"extendedKeyUsages": "clientAuth"})", c, "extendedKeyUsages");
}

core::NetworkProfile SampleNetwork() {
  core::NetworkProfile n;
  n.id = core::NetworkProfileId("n-1");
  n.display_name = "Depot Wi-Fi";
  n.kind = core::NetworkKind::kWifi;
  n.scope = core::NetworkScope::kUser;
  n.ssid = "depot";
  n.security = core::WifiSecurity::kWpa3Personal;
  n.pre_shared_key = "hunter2-secret";
  n.connect_automatically = false;
  n.hidden_network = true;
  n.server_address = "vpn.contoso.com";
  n.vpn_type = "wireguard";
  n.version = 5;
  return n;
}

TEST(PayloadsJsonTest, NetworkPreSharedKeyIsNeverEncoded) {
  const core::NetworkProfile original = SampleNetwork();
  const boost::json::object o = Encode(original);
  EXPECT_EQ(boost::json::serialize(o).find("hunter2"), std::string::npos);
  EXPECT_FALSE(o.contains("preSharedKey"));
  EXPECT_EQ(o.at("preSharedKeySet"), true);
  EXPECT_EQ(o.at("security"), "wpa3Personal");
  EXPECT_EQ(o.at("scope"), "user");
  EXPECT_EQ(o.at("kind"), "wifi");
  core::NetworkProfile open = original;
  open.pre_shared_key.clear();
  EXPECT_EQ(Encode(open).at("preSharedKeySet"), false);

  // Everything but the key round-trips; "preSharedKeySet" is accepted and ignored.
  core::NetworkProfile decoded;
  ASSERT_TRUE(Decode(boost::json::value(o), decoded).has_value());
  EXPECT_EQ(decoded.pre_shared_key, "");
  EXPECT_EQ(testing::WithoutServerFields(Encode(decoded)),
            testing::WithoutServerFields(Encode(open)));

  // The key is write-only.
  ASSERT_TRUE(Decode(Json(R"({"preSharedKey": "new-key", "preSharedKeySet": false})"), decoded)
                  .has_value());
  EXPECT_EQ(decoded.pre_shared_key, "new-key");
  EXPECT_EQ(boost::json::serialize(Encode(decoded)).find("new-key"), std::string::npos);

  // For persistence only, the secret can be kept.
  const boost::json::object stored = EncodeWithSecrets(original);
  EXPECT_EQ(stored.at("preSharedKey"), "hunter2-secret");
  core::NetworkProfile reloaded;
  ASSERT_TRUE(Decode(boost::json::value(stored), reloaded).has_value());
  EXPECT_EQ(reloaded.pre_shared_key, "hunter2-secret");
  EXPECT_EQ(reloaded.ssid, "depot");
  EXPECT_EQ(reloaded.vpn_type, "wireguard");
  EXPECT_TRUE(reloaded.hidden_network);
  EXPECT_FALSE(reloaded.connect_automatically);
}

TEST(PayloadsJsonTest, NetworkEnumsAreChecked) {
  core::NetworkProfile n = SampleNetwork();
  EXPECT_EQ(ExpectDecodeError(R"({"security": "wep"})", n, "security"),
            R"(security: expected one of "open", "wpa2Personal", "wpa3Personal", )"
            R"("wpa2Enterprise", found "wep")");
  ExpectDecodeError(R"({"kind": "ethernet"})", n, "kind");
  ExpectDecodeError(R"({"scope": null})", n, "scope");
  ExpectDecodeError(R"({"preSharedKey": 12345678})", n, "preSharedKey");
}

TEST(PayloadsJsonTest, LinuxCompliancePolicyRoundTripsWithEverySetting) {
  core::CompliancePolicy original;
  original.id = core::CompliancePolicyId("cp-1");
  original.display_name = "Baseline";
  original.os_name = "debian";
  original.os_minimum_version = "12.7";
  original.os_maximum_version = "13";
  original.storage_require_encryption = true;
  original.secure_boot_enabled = true;
  original.active_firewall_required = true;
  original.screen_lock_required = true;
  original.screen_lock_maximum_idle_minutes = 15;
  original.automatic_security_updates_required = true;
  original.password_minimum_length = 8;
  const core::CompliancePolicy decoded = ExpectRoundTrip(original);
  EXPECT_EQ(decoded.os_name, "debian");
  EXPECT_EQ(decoded.os_minimum_version, "12.7");
  EXPECT_EQ(decoded.screen_lock_maximum_idle_minutes, 15);
  EXPECT_TRUE(decoded.automatic_security_updates_required);
  EXPECT_TRUE(decoded.screen_lock_required);
  EXPECT_EQ(decoded.password_minimum_length, 8);
  const boost::json::object encoded = Encode(original);
  EXPECT_EQ(encoded.at("platforms"), "linux");
  EXPECT_EQ(encoded.at("passwordMinimumLength"), 8);
  EXPECT_EQ(encoded.at("screenLockMaximumIdleMinutes"), 15);

  core::CompliancePolicy unset = original;
  unset.password_minimum_length.reset();
  unset.screen_lock_maximum_idle_minutes.reset();
  EXPECT_TRUE(Encode(unset).at("passwordMinimumLength").is_null());
  EXPECT_TRUE(Encode(unset).at("screenLockMaximumIdleMinutes").is_null());
  EXPECT_FALSE(ExpectRoundTrip(unset).password_minimum_length.has_value());

  core::CompliancePolicy c = original;
  ASSERT_TRUE(Decode(Json(R"({"osMinimumVersion": "12.10", "platforms": "linux"})"), c));
  EXPECT_EQ(c.password_minimum_length, 8) << "absent keeps the value";
  ASSERT_TRUE(Decode(Json(R"({"passwordMinimumLength": null})"), c).has_value());
  EXPECT_FALSE(c.password_minimum_length.has_value()) << "null clears";
}

TEST(PayloadsJsonTest, CompliancePolicyErrorsNameTheSetting) {
  core::CompliancePolicy c;
  c.display_name = "Baseline";
  c.os_name = "debian";
  ExpectDecodeError(R"({"passwordMinimumLength": 0})", c, "passwordMinimumLength");
  ExpectDecodeError(R"({"passwordMinimumLength": "8"})", c, "passwordMinimumLength");
  ExpectDecodeError(R"({"screenLockMaximumIdleMinutes": 0})", c, "screenLockMaximumIdleMinutes");
  ExpectDecodeError(R"({"screenLockRequired": "yes"})", c, "screenLockRequired");
  ExpectDecodeError(R"({"automaticSecurityUpdatesRequired": 1})", c,
                    "automaticSecurityUpdatesRequired");
  EXPECT_EQ(ExpectDecodeError(R"({"passwordRequired": true})", c, "passwordRequired"),
            R"(unknown field "passwordRequired")");
  EXPECT_EQ(ExpectDecodeError(R"({"platforms": "windows10"})", c, "platforms"),
            R"(platforms: expected one of "linux", found "windows10")");
  EXPECT_EQ(ExpectDecodeError(R"({"osName": "Debian GNU/Linux"})", c, "osName"),
            "osName: \"Debian GNU/Linux\" is not an os-release ID: lower-case letters, digits, "
            "'.', '_' and '-', e.g. \"debian\"");
  EXPECT_NE(ExpectDecodeError(R"({"osMinimumVersion": "twelve"})", c, "osMinimumVersion")
                .find("\"twelve\" is not a Debian version"),
            std::string::npos);
  EXPECT_EQ(ExpectDecodeError(R"({"osMinimumVersion": "13", "osMaximumVersion": "12.10"})", c,
                              "osMaximumVersion"),
            R"(osMaximumVersion: "12.10" is lower than osMinimumVersion "13")");
  EXPECT_NE(ExpectDecodeError(R"({"osName": "", "osMinimumVersion": "12"})", c, "osMinimumVersion")
                .find("needs osName"),
            std::string::npos);
  EXPECT_EQ(c.os_name, "debian") << "a refused decode leaves the policy as it was";
}

TEST(PayloadsJsonTest, DisplayNameIsRequired) {
  core::Policy policy;
  ExpectDecodeError(R"({"description": "x"})", policy, "displayName");
  core::App app;
  ExpectDecodeError(R"({"displayName": ""})", app, "displayName");
  core::CertificateProfile cert;
  ExpectDecodeError("{}", cert, "displayName");
  core::NetworkProfile network;
  ExpectDecodeError("{}", network, "displayName");
  core::CompliancePolicy compliance;
  ExpectDecodeError("{}", compliance, "displayName");
}

TEST(JsonLimitsTest, OneDepthLimitAndUtf8ForEveryDocument) {
  std::string deep = "1";
  for (size_t i = 0; i < kMaxJsonDepth; ++i) deep = "[" + deep + "]";
  auto at_limit = ParseJson(deep, "body");
  ASSERT_TRUE(at_limit) << at_limit.error().message;
  EXPECT_EQ(JsonDepth(*at_limit), kMaxJsonDepth);
  auto deeper = ParseJson("[" + deep + "]", "body");
  ASSERT_FALSE(deeper);
  EXPECT_EQ(deeper.error().field, "body");
  EXPECT_NE(deeper.error().message.find("deeper than 64"), std::string::npos);
  auto latin1 = ParseJson("{\"a\": \"caf\xE9\"}", "body");
  ASSERT_FALSE(latin1);
  EXPECT_EQ(latin1.error().message, "body: not valid UTF-8 (byte 10)");
  EXPECT_FALSE(ParseJson("{} {}", "body"));
  EXPECT_EQ(JsonDepth(boost::json::parse(R"({"a": [1, {"b": []}], "c": 2})")), 4u);
}

}  // namespace
}  // namespace groundcrew::wire

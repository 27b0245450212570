#include "core/settings/catalog.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace groundcrew::core {
namespace {

using Names = std::vector<std::string>;
using Ports = std::vector<std::int64_t>;

const SettingDefinition& Setting(std::string_view id) {
  const SettingDefinition* setting = FindSetting(id);
  EXPECT_NE(setting, nullptr) << id;
  return *setting;
}

std::string WhyInvalid(std::string_view id, const SettingValue& value) {
  Status valid = ValidateSetting(Setting(id), value);
  if (valid) return "";
  EXPECT_EQ(valid.error().field, "settings." + std::string(id));
  return valid.error().message;
}

TEST(SettingsCatalogTest, EverySettingIsDescribedHasAValidDefaultAndIsFoundById) {
  const auto catalog = SettingsCatalog();
  ASSERT_GE(catalog.size(), 15u);
  EXPECT_TRUE(std::is_sorted(catalog.begin(), catalog.end(),
                             [](const auto& a, const auto& b) { return a.id < b.id; }));
  for (const SettingDefinition& setting : catalog) {
    EXPECT_FALSE(setting.title.empty()) << setting.id;
    EXPECT_FALSE(setting.description.empty()) << setting.id;
    EXPECT_FALSE(setting.writes.empty()) << setting.id;
    EXPECT_TRUE(ValidateSetting(setting, setting.default_value)) << setting.id;
    EXPECT_EQ(FindSetting(setting.id), &setting);
  }
  EXPECT_EQ(FindSetting("screenLock.idleMinute"), nullptr);
  // The areas the catalog covers.
  for (std::string_view area :
       {"screenLock.", "ssh.", "firewall.", "passwordQuality.", "sysctl.", "kernelModules.",
        "automaticUpdates.", "localAdministrators.", "timeServers.", "loginBanner."}) {
    EXPECT_TRUE(std::any_of(catalog.begin(), catalog.end(), [&](const auto& s) {
      return s.id.starts_with(area);
    })) << area;
  }
}

TEST(SettingsCatalogTest, ValuesAreCheckedAgainstTheirTypeAndLimits) {
  EXPECT_EQ(WhyInvalid("screenLock.idleMinutes", std::int64_t{10}), "");
  EXPECT_EQ(WhyInvalid("screenLock.idleMinutes", std::int64_t{0}),
            "must be a whole number from 1 to 60");
  EXPECT_EQ(WhyInvalid("screenLock.idleMinutes", true), "must be a whole number from 1 to 60");
  EXPECT_EQ(WhyInvalid("screenLock.enabled", std::string("yes")), "must be true or false");
  EXPECT_EQ(WhyInvalid("ssh.permitRootLogin", std::string("yes")),
            "'yes' is not one of: no, prohibit-password");
  EXPECT_EQ(WhyInvalid("ssh.permitRootLogin", std::string("prohibit-password")), "");
  EXPECT_EQ(WhyInvalid("kernelModules.blocked", Names{"usb-storage", "floppy"}),
            "'floppy' is not one of: bluetooth, cramfs, firewire-core, freevxfs, hfs, hfsplus, "
            "jffs2, thunderbolt, udf, usb-storage");
  EXPECT_EQ(WhyInvalid("kernelModules.blocked", Names{"bluetooth", "bluetooth"}),
            "names 'bluetooth' twice");
  EXPECT_EQ(WhyInvalid("firewall.allowedInboundTcpPorts", Ports{22, 443}), "");
  EXPECT_EQ(WhyInvalid("firewall.allowedInboundTcpPorts", Ports{22, 70000}),
            "70000 is not a port (1 to 65535)");
  EXPECT_EQ(WhyInvalid("localAdministrators.users", Names{"it-admin", "_svc"}), "");
  EXPECT_NE(WhyInvalid("localAdministrators.users", Names{"Root Admin"}).find("not a user name"),
            std::string::npos);
  EXPECT_EQ(WhyInvalid("timeServers.ntp", Names{"time.contoso.com", "10.0.0.1"}), "");
  EXPECT_NE(WhyInvalid("timeServers.ntp", Names{"ntp server"}).find("not a host name"),
            std::string::npos);
  EXPECT_EQ(WhyInvalid("loginBanner.text", std::string("Contoso devices only.\nBe nice.")), "");
  EXPECT_EQ(WhyInvalid("loginBanner.text", std::string("bell\a")),
            "may hold printable text and new lines only");
  EXPECT_EQ(WhyInvalid("loginBanner.text", std::string(2001, 'x')),
            "is 2001 characters; at most 2000");
}

TEST(SettingsCatalogTest, APolicysProblemsAreAllNamedByField) {
  const PolicySettings settings = {{"screenLock.idleMinutes", std::int64_t{90}},
                                   {"screenLock.enabled", true},
                                   {"bluetoothAllowed", false}};
  const std::vector<Error> problems = ValidatePolicySettings(settings);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].field, "settings.bluetoothAllowed");
  EXPECT_NE(problems[0].message.find("is not a setting of the catalog"), std::string::npos);
  EXPECT_EQ(problems[1].field, "settings.screenLock.idleMinutes");
  EXPECT_TRUE(ValidatePolicySettings({}).empty());
}

TEST(SettingsCatalogTest, DifferentValuesForOneSettingAreConflictsAndEqualOnesAreNot) {
  const PolicySettings baseline = {{"screenLock.idleMinutes", std::int64_t{10}},
                                   {"firewall.enabled", true},
                                   {"kernelModules.blocked", Names{"usb-storage"}}};
  const PolicySettings kiosk = {{"screenLock.idleMinutes", std::int64_t{5}},
                                {"firewall.enabled", true}};
  const PolicySettings lab = {{"kernelModules.blocked", Names{"bluetooth"}},
                              {"screenLock.idleMinutes", std::int64_t{10}}};
  const std::vector<PolicySettingsSource> sources = {
      {"Contoso device baseline", &baseline}, {"Contoso kiosk", &kiosk}, {"Contoso lab", &lab}};
  const std::vector<SettingConflict> conflicts = FindSettingConflicts(sources);
  ASSERT_EQ(conflicts.size(), 2u);
  EXPECT_EQ(DescribeConflict(conflicts[0]),
            "Setting kernelModules.blocked is [usb-storage] in Contoso device baseline and "
            "[bluetooth] in Contoso lab");
  EXPECT_EQ(DescribeConflict(conflicts[1]),
            "Setting screenLock.idleMinutes is 10 in Contoso device baseline and 5 in Contoso "
            "kiosk");
  const std::vector<PolicySettingsSource> agreeing = {{"Contoso device baseline", &baseline},
                                                      {"Contoso lab", &baseline}};
  EXPECT_TRUE(FindSettingConflicts(agreeing).empty());
}

TEST(SettingsCatalogTest, ValuesReadAsAPersonWritesThem) {
  EXPECT_EQ(FormatSettingValue(true), "true");
  EXPECT_EQ(FormatSettingValue(std::int64_t{15}), "15");
  EXPECT_EQ(FormatSettingValue(std::string("no")), "\"no\"");
  EXPECT_EQ(FormatSettingValue(Names{"usb-storage", "bluetooth"}), "[usb-storage, bluetooth]");
  EXPECT_EQ(FormatSettingValue(Ports{22, 443}), "[22, 443]");
  EXPECT_EQ(FormatSettingValue(Ports{}), "[]");
}

}  // namespace
}  // namespace groundcrew::core

#include "wire/settings_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace groundcrew::wire {
namespace {

namespace json = boost::json;

TEST(SettingsJsonTest, ValidSettingsReadAsTheirTypesAndWriteBackTheSame) {
  const json::object in = json::parse(R"({"screenLock.idleMinutes": 10, "firewall.enabled": true,
      "kernelModules.blocked": ["usb-storage", "bluetooth"], "ssh.permitRootLogin": "no",
      "firewall.allowedInboundTcpPorts": [22, 443]})")
                              .as_object();
  std::vector<Error> problems;
  const core::PolicySettings settings = DecodePolicySettings(in, problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(settings.size(), 5u);
  EXPECT_EQ(std::get<std::int64_t>(settings.at("screenLock.idleMinutes")), 10);
  EXPECT_EQ(std::get<std::vector<std::int64_t>>(settings.at("firewall.allowedInboundTcpPorts")),
            (std::vector<std::int64_t>{22, 443}));
  EXPECT_EQ(EncodePolicySettings(settings), in);
}

TEST(SettingsJsonTest, EveryProblemIsNamedByItsSettingWithTheReason) {
  const json::object in = json::parse(R"({"screenLockTimeoutMinutes": 10,
      "screenLock.idleMinutes": "ten", "firewall.enabled": true,
      "kernelModules.blocked": ["floppy"], "firewall.allowedInboundTcpPorts": [22, "ssh"],
      "passwordQuality.minimumLength": 4})")
                              .as_object();
  std::vector<Error> problems;
  const core::PolicySettings settings = DecodePolicySettings(in, problems);
  EXPECT_EQ(settings.size(), 1u);  // firewall.enabled
  std::vector<std::string> messages;
  for (const Error& problem : problems) messages.push_back(problem.message);
  EXPECT_EQ(messages,
            (std::vector<std::string>{
                "settings.screenLockTimeoutMinutes: is not a setting of the catalog "
                "(docs/agent.md, \"Settings catalog\")",
                "settings.screenLock.idleMinutes: expected an integer, found a string",
                "settings.kernelModules.blocked: 'floppy' is not one of: bluetooth, cramfs, "
                "firewire-core, freevxfs, hfs, hfsplus, jffs2, thunderbolt, udf, usb-storage",
                "settings.firewall.allowedInboundTcpPorts[1]: expected an integer, found a string",
                "settings.passwordQuality.minimumLength: must be a whole number from 8 to 64"}));
  EXPECT_EQ(problems[0].field, "settings.screenLockTimeoutMinutes");
}

TEST(SettingsJsonTest, TheCatalogDescribesEverySettingWithItsDefault) {
  const json::array catalog = SettingsCatalogJson();
  ASSERT_EQ(catalog.size(), core::SettingsCatalog().size());
  const json::object* idle = nullptr;
  for (const json::value& setting : catalog) {
    if (setting.at("id") == "screenLock.idleMinutes") idle = &setting.as_object();
  }
  ASSERT_NE(idle, nullptr);
  EXPECT_EQ(idle->at("type"), "integer");
  EXPECT_EQ(idle->at("minimum"), 1);
  EXPECT_EQ(idle->at("maximum"), 60);
  EXPECT_EQ(idle->at("default"), 15);
}

}  // namespace
}  // namespace groundcrew::wire

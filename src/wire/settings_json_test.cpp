#include "wire/settings_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

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

// The catalog's table in docs/agent.md, from the catalog itself (so the docs cannot drift).
std::string CatalogTable() {
  std::string out =
      "| setting | value | default | scope | what it does | what it writes |\n"
      "|---|---|---|---|---|---|\n";
  for (const core::SettingDefinition& setting : core::SettingsCatalog()) {
    std::string value;
    std::string choices;
    for (std::string_view choice : setting.choices) {
      choices += (choices.empty() ? "" : ", ") + std::string(choice);
    }
    switch (setting.type) {
      case core::SettingType::kBool:
        value = "true or false";
        break;
      case core::SettingType::kInteger:
        value = "whole number, " + std::to_string(setting.minimum) + " to " +
                std::to_string(setting.maximum);
        break;
      case core::SettingType::kChoice:
        value = "one of: " + choices;
        break;
      case core::SettingType::kText:
        value = "text, at most " + std::to_string(setting.max_length) + " characters";
        break;
      case core::SettingType::kList:
        value = !choices.empty()                                     ? "list of: " + choices
                : setting.item_format == core::NameFormat::kUserName ? "list of user names"
                                                                     : "list of host names";
        value += " (at most " + std::to_string(setting.max_items) + ")";
        break;
      case core::SettingType::kPortList:
        value = "list of TCP ports (at most " + std::to_string(setting.max_items) + ")";
        break;
    }
    out += "| `" + std::string(setting.id) + "` | " + value + " | `" +
           json::serialize(EncodeSettingValue(setting.default_value)) + "` | " +
           (setting.scope == core::SettingScope::kUser ? "user" : "device") + " | " +
           std::string(setting.title) + ". " + std::string(setting.description) + " | " +
           std::string(setting.writes) + " |\n";
  }
  return out;
}

TEST(SettingsJsonTest, TheDocsListTheCatalogAsTheCoreHasIt) {
  constexpr std::string_view kBegin =
      "<!-- settings catalog: generated from src/core/settings/catalog.cpp; "
      "GROUNDCREW_UPDATE_GOLDEN=1 ./gc_wire_test rewrites it -->\n";
  constexpr std::string_view kEnd = "<!-- end of the settings catalog -->";
  const std::string path = "docs/agent.md";
  std::stringstream read;
  read << std::ifstream(path).rdbuf();
  std::string doc = read.str();
  const std::size_t begin = doc.find(kBegin);
  const std::size_t end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << path << " has no settings catalog section";
  ASSERT_NE(end, std::string::npos);
  const std::string table = CatalogTable();
  const std::size_t from = begin + kBegin.size();
  if (std::getenv("GROUNDCREW_UPDATE_GOLDEN") != nullptr) {
    doc.replace(from, end - from, table);
    std::ofstream(path) << doc;
    return;
  }
  EXPECT_EQ(doc.substr(from, end - from), table)
      << "docs/agent.md's settings catalog is not the core's: GROUNDCREW_UPDATE_GOLDEN=1 "
         "build/release/src/wire/gc_wire_test rewrites it";
}

}  // namespace
}  // namespace groundcrew::wire

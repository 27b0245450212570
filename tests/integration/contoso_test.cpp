// The Contoso reference tenant through the real CLI and daemon: apply (twice), dry runs, plans
// for every device, and the CLI's text and JSON output against golden files.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/integration/harness.hpp"
#include "tests/integration/service_fixture.hpp"

namespace groundcrew::integration {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const std::string kTenantFile = (SourceDir() / "examples/contoso/tenant.yaml").string();

class ContosoTest : public ServiceFixture {
 protected:
  void Apply() {
    CommandResult applied = Cli({"apply", "-f", kTenantFile});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  }

  json::value PlanJson(const std::string& serial, const std::string& user = "") {
    std::vector<std::string> args = {"plan", serial, "--json"};
    if (!user.empty()) args.insert(args.end(), {"--user", user});
    CommandResult plan = Cli(args);
    EXPECT_EQ(plan.exit_code, 0) << plan.out << plan.err;
    return json::parse(plan.out);
  }
};

// "name:blocking" for every item of a phase, in plan order.
std::vector<std::string> Items(const json::value& phase) {
  std::vector<std::string> items;
  for (const json::value& item : phase.at("items").as_array()) {
    items.push_back(std::string(item.at("displayName").as_string()) +
                    (item.at("blocking").as_bool() ? ":blocking" : ""));
  }
  return items;
}

TEST_F(ContosoTest, ApplyTwiceTheSecondChangesNothing) {
  CommandResult dry = Cli({"apply", "-f", kTenantFile, "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_EQ(json::parse(dry.out).at("summary").at("create"), 31);
  EXPECT_EQ(Call("GET", "/v1/users").body, R"({"value":[]})") << "a dry run writes nothing";

  Apply();
  CommandResult again = Cli({"apply", "-f", kTenantFile, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  const json::value summary = json::parse(again.out).at("summary");
  EXPECT_EQ(summary.at("create"), 0);
  EXPECT_EQ(summary.at("update"), 0);
  EXPECT_EQ(summary.at("delete"), 0);
  EXPECT_EQ(summary.at("unchanged"), 32);
  ExpectGolden("apply-again.txt", Cli({"apply", "-f", kTenantFile}).out);

  // Every change of the first apply is in the audit log, by the admin who made it.
  CommandResult audit = Cli({"audit", "--json"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  int creates = 0;
  const json::value log = json::parse(audit.out);
  for (const json::value& entry : log.at("value").as_array()) {
    EXPECT_EQ(entry.at("actor"), "admin");
    creates += entry.at("action") == "create" ? 1 : 0;
  }
  EXPECT_EQ(creates, 31 + 2);  // the apply's, plus init's tenant and credential
}

TEST_F(ContosoTest, AChangedDocumentUpdatesOnlyWhatChanged) {
  Apply();
  // A copy of the tenant with one app's version bumped and one assignment removed.
  const fs::path copy = temp_.path() / "contoso";
  fs::copy(SourceDir() / "examples/contoso", copy, fs::copy_options::recursive);
  std::ifstream in(copy / "tenant.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = std::regex_replace(text.str(), std::regex("\"3\\.0\\.1\""), "\"3.0.2\"");
  yaml = std::regex_replace(
      yaml,
      std::regex("(displayName: Contoso sales desktop[^]*?)\n    assignments: \\[\\{group: "
                 "Sales users\\}\\]"),
      "$1");
  std::ofstream(copy / "tenant.yaml") << yaml;
  CommandResult applied = Cli({"apply", "-f", (copy / "tenant.yaml").string(), "--json"});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  std::vector<std::string> changed;
  const json::value outcome = json::parse(applied.out);
  for (const json::value& change : outcome.at("changes").as_array()) {
    if (change.at("action") != "unchanged") {
      changed.push_back(std::string(change.at("action").as_string()) + " " +
                        std::string(change.at("name").as_string()));
    }
  }
  EXPECT_EQ(changed, (std::vector<std::string>{
                         "update Contoso VPN Client",
                         "delete Contoso sales desktop -> group Sales users (required)"}));
}

TEST_F(ContosoTest, PlansShowEveryPhaseAndWhatBlocks) {
  Apply();
  const json::value assigned = PlanJson("PF3XK2LM");
  EXPECT_EQ(assigned.at("deviceName"), "CON-PF3XK2LM");
  EXPECT_EQ(assigned.at("userPrincipalName"), "adele.vance@contoso.com");
  EXPECT_EQ(assigned.at("deploymentProfile").at("preprovisioningAllowed"), true);
  EXPECT_EQ(Items(assigned.at("technician").at("deviceSetup")),
            (std::vector<std::string>{
                "Contoso device baseline:blocking", "Contoso device certificate:blocking",
                "Contoso Wi-Fi:blocking", "Contoso Runtime:blocking", "Contoso Agent:blocking",
                "Contoso VPN Client", "Sales CRM"}));
  EXPECT_TRUE(Items(assigned.at("user").at("deviceSetup")).empty())
      << "everything was installed by the technician flow";
  EXPECT_EQ(Items(assigned.at("user").at("accountSetup")),
            (std::vector<std::string>{"Contoso sales desktop:blocking", "Contoso Notes"}));
  EXPECT_EQ(assigned.at("technician").at("espProfileName"), "Contoso ESP");

  for (const std::string serial : {"PF3XK2LN", "LAB0042"}) {
    const json::value unassigned = PlanJson(serial);
    EXPECT_TRUE(unassigned.at("user").is_null()) << serial;
    EXPECT_EQ(Items(unassigned.at("technician").at("deviceSetup")).size(), 6u) << serial;
  }
  // Another user at the assigned device: the sales team's items are not theirs.
  const json::value other = PlanJson("PF3XK2LN", "megan.bowen@contoso.com");
  EXPECT_TRUE(Items(other.at("user").at("accountSetup")).empty());

  EXPECT_EQ(Cli({"plan", "NO-SUCH-SERIAL"}).exit_code, 1);
  ExpectGolden("plan-PF3XK2LM.txt", Cli({"plan", "PF3XK2LM"}).out);
  ExpectGolden("plan-PF3XK2LM.json", Cli({"plan", "PF3XK2LM", "--json"}).out);
  ExpectGolden("devices-list.txt", Cli({"devices", "list", "--group-tag", "sales"}).out);
}

}  // namespace
}  // namespace groundcrew::integration

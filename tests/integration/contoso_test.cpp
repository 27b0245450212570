// The Contoso reference tenant through the real CLI and daemon: apply (twice), dry runs, plans
// for every device, and the CLI's text and JSON output against golden files.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include "identity/sha256.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/service_fixture.hpp"
#include "tests/support/debs.hpp"
#include "tests/support/terminal_session.hpp"

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

  // The path of a copy of examples/contoso whose tenant.yaml is `edit`(the original).
  std::string CopyOfTenant(const std::function<std::string(std::string)>& edit) {
    const fs::path copy = temp_.path() / ("contoso-" + std::to_string(++copies_));
    fs::copy(SourceDir() / "examples/contoso", copy, fs::copy_options::recursive);
    std::ifstream in(copy / "tenant.yaml");
    std::stringstream text;
    text << in.rdbuf();
    std::ofstream(copy / "tenant.yaml") << edit(text.str());
    return (copy / "tenant.yaml").string();
  }

  static std::string AgentSha256() {
    std::ifstream in(SourceDir() / "examples/contoso/apps/agent/install.sh", std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return identity::Sha256Hex(bytes.str());
  }

  int copies_ = 0;

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
  EXPECT_EQ(json::parse(dry.out).at("contentToUpload").as_array().size(), 5u);
  EXPECT_EQ(Call("GET", "/v1/users").body, R"({"value":[]})") << "a dry run writes nothing";
  // ... and uploads nothing: the server holds no content, and says what it would need.
  EXPECT_FALSE(fs::exists(data_dir_ / "content") && !fs::is_empty(data_dir_ / "content"));
  EXPECT_EQ(Call("HEAD", "/v1/content/" + AgentSha256()).status, 404);
  CommandResult dry_text = Cli({"apply", "-f", kTenantFile, "--dry-run"});
  ASSERT_EQ(dry_text.exit_code, 0) << dry_text.err;
  EXPECT_EQ(dry_text.err, "") << "no upload progress";
  ExpectGolden("apply-dry-run.txt", dry_text.out);

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
  // A copy of the tenant with one app's version bumped, one assignment removed and a policy
  // setting and the Wi-Fi key changed.
  const std::string copy = CopyOfTenant([](std::string yaml) {
    yaml = std::regex_replace(yaml, std::regex("\"3\\.0\\.1\""), "\"3.0.2\"");
    yaml = std::regex_replace(yaml, std::regex("      screenLock.idleMinutes: 10"),
                              "      screenLock.idleMinutes: 5");
    yaml = std::regex_replace(yaml, std::regex("demo-only-not-a-secret"), "another-demo-key");
    return std::regex_replace(
        yaml,
        std::regex("(displayName: Contoso sales desktop[^]*?)\n    assignments: \\[\\{group: "
                   "Sales users\\}\\]"),
        "$1");
  });
  CommandResult dry = Cli({"apply", "-f", copy, "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_EQ(dry.out.find("another-demo-key"), std::string::npos) << "a secret is never shown";
  ExpectGolden("apply-changed.txt", dry.out);
  CommandResult applied = Cli({"apply", "-f", copy, "--json"});
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
                         "delete Contoso sales desktop -> group Sales users (required)",
                         "update Contoso VPN Client", "update Contoso device baseline",
                         "update Contoso Wi-Fi"}));
}

TEST_F(ContosoTest, PruneDeletesWhatTheDocumentNoLongerListsOnlyWhenConfirmed) {
  Apply();
  // Without the user Alex Wilber and the app Sales CRM (and so its assignment).
  const std::string copy = CopyOfTenant([](std::string yaml) {
    yaml =
        std::regex_replace(yaml, std::regex("  - \\{userPrincipalName: alex.wilber[^}]*\\}\n"), "");
    return std::regex_replace(yaml, std::regex("  - displayName: Sales CRM\n(    .*\n)*"), "");
  });
  // Not on a terminal (the tests' stdin is not one): refused without --yes, nothing changed.
  CommandResult refused = Cli({"apply", "-f", copy, "--prune"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.out, "");
  ExpectGolden("apply-prune-refused.txt", refused.err);
  // A dry run lists the deletions first.
  CommandResult dry = Cli({"apply", "-f", copy, "--prune", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  ExpectGolden("apply-prune-dry-run.txt", dry.out);
  EXPECT_NE(Call("GET", "/v1/users").body.find("alex.wilber"), std::string::npos)
      << "a dry run deletes nothing";
  // Without --prune the document leaves them alone; with --yes they go.
  CommandResult kept = Cli({"apply", "-f", copy, "--json"});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(json::parse(kept.out).at("summary").at("delete"), 0);
  CommandResult pruned = Cli({"apply", "-f", copy, "--prune", "--yes"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.out << pruned.err;
  ExpectGolden("apply-prune.txt", pruned.out);
  EXPECT_EQ(Call("GET", "/v1/users").body.find("alex.wilber"), std::string::npos);
  EXPECT_EQ(Cli({"plan", "PF3XK2LM", "--json"}).out.find("Sales CRM"), std::string::npos);
}

TEST_F(ContosoTest, OnATerminalPruneShowsTheDiffAndAsksFirst) {
  Apply();
  const std::string copy = CopyOfTenant([](std::string yaml) {
    return std::regex_replace(yaml, std::regex("  - displayName: Sales CRM\n(    .*\n)*"), "");
  });
  const std::vector<std::string> environment = {
      "GROUNDCREW_SERVER=" + daemon_->url(), "GROUNDCREW_TOKEN=" + token_,
      "XDG_CONFIG_HOME=" + (temp_.path() / "config").string(), "NO_COLOR=1"};
  auto prune = [&] {
    auto session = std::make_unique<test_support::TerminalSession>(
        std::vector<std::string>{GroundcrewPath(), "apply", "-f", copy, "--prune"}, 120, 40,
        environment);
    EXPECT_TRUE(session->started());
    EXPECT_TRUE(session->WaitFor("Apply these changes (2 to delete)? [y/N]")) << session->Screen();
    return session;
  };
  auto declined = prune();
  const std::string review = declined->Screen();
  EXPECT_NE(review.find("- apps \"Sales CRM\""), std::string::npos) << review;
  EXPECT_NE(review.find("nothing was changed"), std::string::npos) << review;
  declined->Type("n");
  declined->Press("Enter");
  EXPECT_EQ(declined->Wait(), 1);
  EXPECT_NE(Call("GET", "/v1/apps").body.find("Sales CRM"), std::string::npos);

  auto confirmed = prune();
  confirmed->Type("y");
  confirmed->Press("Enter");
  EXPECT_EQ(confirmed->Wait(), 0);
  EXPECT_NE(confirmed->Scrollback().find("0 created, 0 updated, 2 deleted, 30 unchanged."),
            std::string::npos)
      << confirmed->Scrollback();
  EXPECT_EQ(Call("GET", "/v1/apps").body.find("Sales CRM"), std::string::npos);
}

TEST_F(ContosoTest, AnUnknownSettingAndABadValueAreRefusedWithTheirLines) {
  const std::string copy = CopyOfTenant([](std::string yaml) {
    yaml = std::regex_replace(yaml, std::regex("      screenLock.idleMinutes: 10"),
                              "      screenLock.idleMinutes: 90");
    return std::regex_replace(yaml, std::regex("\\{screenLock.idleMinutes: 10, "),
                              "{bluetoothAllowed: false, ");
  });
  CommandResult refused = Cli({"apply", "-f", copy});
  EXPECT_EQ(refused.exit_code, 1);
  std::string err = refused.err;
  for (size_t at; (at = err.find(copy)) != std::string::npos;)
    err.replace(at, copy.size(), "tenant.yaml");
  ExpectGolden("apply-bad-settings.txt", err.substr(err.find("error: ")));  // after the uploads
  EXPECT_EQ(Call("GET", "/v1/policies").body.find("Contoso"), std::string::npos)
      << "nothing of a refused document is applied";
}

TEST_F(ContosoTest, DebAppsTakeTheirPackageFromTheDebAndBadOnesAreRefusedNamingTheFile) {
  const std::string package_apps =
      "apps:\n"
      "  - displayName: Contoso Tools\n"
      "    kind: deb\n"
      "    content: {file: apps/contoso-tools_1.2-1_all.deb}\n"
      "  - displayName: Contoso Arm Tools\n"
      "    kind: deb\n"
      "    content: {file: apps/contoso-tools_1.2-1_arm64.deb}\n"
      "  - displayName: jq\n"
      "    kind: aptPackage\n"
      "    packageName: jq\n"
      "    installContext: user\n";
  const std::string copy = CopyOfTenant([&](std::string yaml) {
    return std::regex_replace(yaml, std::regex("\napps:\n"), "\n" + package_apps);
  });
  const fs::path apps = fs::path(copy).parent_path() / "apps";
  test_support::BuildDeb(apps, "contoso-tools_1.2-1_all.deb",
                         test_support::ControlText("contoso-tools", "1.2-1", "all", "jq"));
  test_support::BuildDeb(apps, "contoso-tools_1.2-1_arm64.deb",
                         test_support::ControlText("contoso-tools", "1.2-1", "arm64"));
  const auto without_copy = [&](std::string text) {
    for (size_t at; (at = text.find(copy)) != std::string::npos;) {
      text.replace(at, copy.size(), "tenant.yaml");
    }
    const std::string dir = fs::path(copy).parent_path().string();
    for (size_t at; (at = text.find(dir)) != std::string::npos;) text.replace(at, dir.size(), ".");
    return text.substr(text.find("error: "));  // after the uploads
  };
  CommandResult refused = Cli({"apply", "-f", copy});
  EXPECT_EQ(refused.exit_code, 1);
  ExpectGolden("apply-bad-deb.txt", without_copy(refused.err));

  // Not a Debian package at all: refused before it is uploaded.
  const std::string script = CopyOfTenant([&](std::string yaml) {
    return std::regex_replace(
        yaml, std::regex("\napps:\n"),
        "\napps:\n  - {displayName: Contoso Script, kind: deb, content: {file: "
        "apps/agent/install.sh}}\n");
  });
  CommandResult not_a_deb = Cli({"apply", "-f", script});
  EXPECT_EQ(not_a_deb.exit_code, 1);
  EXPECT_EQ(not_a_deb.err.substr(not_a_deb.err.find("error: ")),
            "error: " + script + ": apps[0].content.file: " +
                (fs::path(script).parent_path() / "apps/agent/install.sh").string() +
                ": not a Debian package: it does not start with the ar archive signature "
                "\"!<arch>\\n\"\n");

  const std::string good = CopyOfTenant([&](std::string yaml) {
    return std::regex_replace(yaml, std::regex("\napps:\n"),
                              "\napps:\n  - {displayName: Contoso Tools, kind: deb, content: "
                              "{file: apps/contoso-tools_1.2-1_all.deb}}\n");
  });
  test_support::BuildDeb(fs::path(good).parent_path() / "apps", "contoso-tools_1.2-1_all.deb",
                         test_support::ControlText("contoso-tools", "1.2-1", "all", "jq"));
  CommandResult applied = Cli({"apply", "-f", good});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  const json::value tools = json::parse(Cli({"get", "apps", "Contoso Tools", "--json"}).out);
  EXPECT_EQ(tools.at("kind"), "deb");
  EXPECT_EQ(tools.at("packageName"), "contoso-tools");
  EXPECT_EQ(tools.at("packageVersion"), "1.2-1");
  const std::string again = Cli({"apply", "-f", good}).out;
  EXPECT_NE(again.find("0 created, 0 updated, 0 deleted"), std::string::npos) << again;
}

TEST_F(ContosoTest, TheSettingsAPolicyMayUseAreListed) {
  ExpectGolden("settings.txt", Cli({"settings"}).out);
  const json::value catalog = json::parse(Cli({"settings", "--json"}).out);
  EXPECT_EQ(catalog.at("value").as_array().size(), 16u) << catalog;
}

TEST_F(ContosoTest, PoliciesThatDisagreeOnASettingAreAPlanFindingNamingBoth) {
  // The sales team's policy locks the screen sooner than the baseline every device gets.
  const std::string copy = CopyOfTenant([](std::string yaml) {
    return std::regex_replace(yaml, std::regex("\\{screenLock.idleMinutes: 10, "),
                              "{screenLock.idleMinutes: 5, ");
  });
  ASSERT_EQ(Cli({"apply", "-f", copy}).exit_code, 0);
  const json::value plan = PlanJson("PF3XK2LM");  // assigned to a member of Sales users
  const json::array& findings = plan.at("findings").as_array();
  ASSERT_FALSE(findings.empty()) << plan;
  EXPECT_EQ(findings[0].at("severity"), "error");
  EXPECT_EQ(findings[0].at("code"), "setting-conflict");
  EXPECT_EQ(findings[0].at("message"),
            "Setting screenLock.idleMinutes is 10 in Contoso device baseline and 5 in Contoso "
            "sales desktop: the device can apply only one; set the same value in both, or "
            "target them at groups that do not overlap");
  // A device whose user is not in the sales team gets the baseline alone: no conflict.
  const json::value other = PlanJson("PF3XK2LN");
  for (const json::value& finding : other.at("findings").as_array()) {
    EXPECT_NE(finding.at("code"), "setting-conflict") << finding;
  }
}

TEST_F(ContosoTest, EveryProblemOfADocumentIsReportedOnceWithItsLine) {
  Apply();
  // A referrer the document does not manage: policies are not listed, and one is assigned to
  // the group pruning would delete; two references to it; a bad value; a missing reference.
  const std::string copy = CopyOfTenant([](std::string yaml) {
    yaml = std::regex_replace(
        yaml, std::regex("\npolicies:\n(  .*\n|\n)*?(?=\ncertificateProfiles)"), "\n");
    yaml = std::regex_replace(yaml,
                              std::regex("  # An assigned group of users, members by UPN\\.\n"
                                         "  - displayName: Sales users\n(    .*\n)*"),
                              "");
    yaml = std::regex_replace(yaml, std::regex("installContext: user"), "installContext: sideways");
    return std::regex_replace(yaml, std::regex("\\{app: Contoso Runtime, autoInstall"),
                              "{app: Contoso Runtim, autoInstall");
  });
  CommandResult refused = Cli({"apply", "-f", copy, "--prune", "--dry-run"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.out, "");
  std::string err = refused.err;
  for (size_t at; (at = err.find(copy)) != std::string::npos;)
    err.replace(at, copy.size(), "tenant.yaml");
  ExpectGolden("apply-errors.txt", err);
  CommandResult as_json = Cli({"apply", "-f", copy, "--prune", "--dry-run", "--json"});
  EXPECT_EQ(as_json.exit_code, 1);
  const json::value error = json::parse(as_json.out).at("error");
  EXPECT_EQ(error.at("code"), "invalid_argument");
  EXPECT_EQ(error.at("details").as_array().size(), 5u) << as_json.out;
  EXPECT_EQ(error.at("details").at(0).at("line").as_int64() > 0, true);
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

// Declarative apply over a real (in-memory) SQLite store: the field-level diff, prune, every
// problem of a document at once, and content that is not on the server yet.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "debian_archive/deb_file.hpp"
#include "identity/sha256.hpp"
#include "server/service/services.hpp"
#include "tests/service/contoso_store.hpp"
#include "tests/support/debs.hpp"
#include "tests/support/files.hpp"

namespace groundcrew::service {
namespace {

namespace json = boost::json;
using store::ResourceKind;

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = ContosoStore(now_);
    ASSERT_NE(store_, nullptr);
    services_ = std::make_unique<Services>(
        *store_, ContentStore(temp_.path() / "content"), temp_.path() / "diagnostics",
        [this] { return now_; }, CreateSecrets("Contoso", now_).value());
  }

  // Applies `document` (JSON text); fails the test when the store failed.
  ApplyOutcome Apply(const std::string& document, ApplyMode mode = {}) {
    auto outcome = services_->apply.Apply(admin_, json::parse(document), mode);
    EXPECT_TRUE(outcome) << outcome.error().message;
    return outcome ? *outcome : ApplyOutcome{};
  }

  // "action kind name" of every change that is not "unchanged", in order.
  static std::vector<std::string> Changed(const ApplyOutcome& outcome) {
    std::vector<std::string> out;
    for (const ApplyChange& change : outcome.changes) {
      if (change.action != "unchanged") {
        out.push_back(change.action + " " + change.kind + " " + change.name);
      }
    }
    return out;
  }

  static std::vector<std::string> Fields(const ApplyChange& change) {
    std::vector<std::string> out;
    for (const FieldChange& field : change.fields) {
      if (field.secret) {
        out.push_back(field.path + ": (secret)");
        continue;
      }
      out.push_back(field.path + ": " + (field.from ? json::serialize(*field.from) : "-") + " -> " +
                    (field.to ? json::serialize(*field.to) : "-"));
    }
    return out;
  }

  static const ApplyChange* Find(const ApplyOutcome& outcome, const std::string& name) {
    for (const ApplyChange& change : outcome.changes) {
      if (change.name == name) return &change;
    }
    return nullptr;
  }

  test_support::TempDir temp_;
  core::Timestamp now_{std::chrono::seconds(1'800'000'000)};
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<Services> services_;
  Actor admin_{"admin", store::CredentialRole::kAdmin};
};

const char* kTenant = R"({
  "users": [{"userPrincipalName": "adele@contoso.com"}, {"userPrincipalName": "megan@contoso.com"}],
  "groups": [{"displayName": "Sales", "members": ["adele@contoso.com"]},
             {"displayName": "Lab", "members": ["megan@contoso.com"]}],
  "apps": [{"displayName": "Runtime", "displayVersion": "1.0"},
           {"displayName": "Portal", "displayVersion": "1.0",
            "dependencies": [{"app": "Runtime", "autoInstall": true}],
            "assignments": [{"group": "Sales"}]}],
  "policies": [{"displayName": "Baseline", "settings": {"screenLock.idleMinutes": 10},
                "assignments": [{"group": "Lab"}]}],
  "networkProfiles": [{"displayName": "Wi-Fi", "ssid": "corp", "security": "wpa2Personal",
                       "preSharedKey": "first key"}]
})";

TEST_F(ApplyTest, AnUpdateListsEveryChangedFieldByNameAndHidesSecrets) {
  ASSERT_TRUE(Apply(kTenant).problems.empty());
  const ApplyOutcome outcome = Apply(R"({
    "apps": [{"displayName": "Runtime", "displayVersion": "1.0"},
             {"displayName": "Portal", "displayVersion": "1.1",
              "dependencies": [{"app": "Runtime", "autoInstall": false}],
              "assignments": [{"group": "Sales", "intent": "available"}]}],
    "groups": [{"displayName": "Sales", "members": ["adele@contoso.com", "megan@contoso.com"]}],
    "policies": [{"displayName": "Baseline", "settings": {"screenLock.idleMinutes": 5},
                  "assignments": [{"group": "Lab"}]}],
    "networkProfiles": [{"displayName": "Wi-Fi", "ssid": "corp", "security": "wpa2Personal",
                         "preSharedKey": "second key"}]
  })",
                                     {.dry_run = true});
  ASSERT_TRUE(outcome.problems.empty()) << outcome.problems.front().message;
  EXPECT_EQ(Changed(outcome),
            (std::vector<std::string>{"update groups Sales", "update apps Portal",
                                      "update policies Baseline", "update networkProfiles Wi-Fi",
                                      "update assignments Portal -> group Sales (available)"}));
  EXPECT_EQ(Fields(*Find(outcome, "Portal")),
            (std::vector<std::string>{R"(displayVersion: "1.0" -> "1.1")",
                                      "dependencies[0].autoInstall: true -> false"}));
  EXPECT_EQ(Fields(*Find(outcome, "Sales")),
            (std::vector<std::string>{
                R"(members: ["adele@contoso.com"] -> ["adele@contoso.com","megan@contoso.com"])"}));
  EXPECT_EQ(Fields(*Find(outcome, "Baseline")),
            (std::vector<std::string>{"settings.screenLock.idleMinutes: 10 -> 5"}));
  EXPECT_EQ(Fields(*Find(outcome, "Wi-Fi")), (std::vector<std::string>{"preSharedKey: (secret)"}));
  EXPECT_EQ(Fields(*Find(outcome, "Portal -> group Sales (available)")),
            (std::vector<std::string>{R"(intent: "required" -> "available")"}));
  const std::string answer = json::serialize(ToJson(outcome));
  EXPECT_EQ(answer.find("second key"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("first key"), std::string::npos) << answer;
}

TEST_F(ApplyTest, PruneDeletesWhatTheManagedSectionsNoLongerListAndListsItFirst) {
  ASSERT_TRUE(Apply(kTenant).problems.empty());
  const std::string smaller = R"({
    "users": [{"userPrincipalName": "adele@contoso.com"}],
    "groups": [{"displayName": "Sales", "members": ["adele@contoso.com"]}],
    "apps": [{"displayName": "Runtime", "displayVersion": "1.0",
              "assignments": [{"group": "Sales"}]}]
  })";
  // Without prune nothing goes away.
  EXPECT_EQ(Changed(Apply(smaller, {.dry_run = true})),
            (std::vector<std::string>{"create assignments Runtime -> group Sales (required)"}));
  // With it, what the users, groups and apps sections do not list is deleted (the policy that
  // is assigned to Lab is not managed: Lab cannot go).
  ApplyOutcome refused = Apply(smaller, {.prune = true});
  ASSERT_EQ(refused.problems.size(), 1u);
  EXPECT_EQ(refused.problems[0].field, "groups[Lab]");
  EXPECT_NE(refused.problems[0].message.find("policies \"Baseline\" (assignments)"),
            std::string::npos)
      << refused.problems[0].message;
  EXPECT_EQ(store_->resources().ListAll(ResourceKind::kGroup)->size(), 2u) << "nothing written";

  const std::string managed_policies = R"({
    "users": [{"userPrincipalName": "adele@contoso.com"}],
    "groups": [{"displayName": "Sales", "members": ["adele@contoso.com"]}],
    "apps": [{"displayName": "Runtime", "displayVersion": "1.0",
              "assignments": [{"group": "Sales"}]}],
    "policies": []
  })";
  const ApplyOutcome pruned = Apply(managed_policies, {.prune = true});
  ASSERT_TRUE(pruned.problems.empty()) << pruned.problems.front().message;
  std::vector<std::string> changed = Changed(pruned);
  ASSERT_EQ(changed.size(), 7u);
  std::sort(changed.begin(), changed.begin() + 2);  // assignments, in the order of their ids
  EXPECT_EQ(changed,
            (std::vector<std::string>{"delete assignments Baseline -> group Lab (required)",
                                      "delete assignments Portal -> group Sales (required)",
                                      "delete users megan@contoso.com", "delete groups Lab",
                                      "delete apps Portal", "delete policies Baseline",
                                      "create assignments Runtime -> group Sales (required)"}));
  EXPECT_EQ(store_->resources().ListAll(ResourceKind::kUser)->size(), 1u);
  EXPECT_EQ(store_->resources().ListAll(ResourceKind::kNetworkProfile)->size(), 1u)
      << "a kind the document has no section for is left alone";
  EXPECT_TRUE(services_->catalog.Current()) << "the tenant still compiles";
  EXPECT_TRUE(Changed(Apply(managed_policies, {.prune = true})).empty());
}

TEST_F(ApplyTest, WithPruneAReferenceResolvesOnlyToWhatTheDocumentLists) {
  ASSERT_TRUE(Apply(kTenant).problems.empty());
  const ApplyOutcome outcome = Apply(R"({
    "groups": [{"displayName": "Sales"}],
    "policies": [{"displayName": "Baseline", "assignments": [{"group": "Lab"}]}]
  })",
                                     {.prune = true});
  ASSERT_FALSE(outcome.problems.empty());
  EXPECT_EQ(outcome.problems[0].field, "policies[Baseline].assignments[0].group");
  EXPECT_NE(outcome.problems[0].message.find("--prune deletes the groups it does not list"),
            std::string::npos)
      << outcome.problems[0].message;
}

TEST_F(ApplyTest, EveryProblemOfTheDocumentIsReportedAtOnceAndNothingIsWritten) {
  const ApplyOutcome outcome = Apply(R"({
    "widgets": [],
    "users": [{"userPrincipalName": "adele@contoso.com"}, {"displayName": "no UPN"}],
    "groups": [{"displayName": "Sales", "members": ["nobody@contoso.com"]}],
    "apps": [{"displayName": "Portal", "installContext": "sideways", "maxRunTimeInMinutes": "x",
              "dependencies": [{"app": "Missing"}],
              "assignments": [{"group": "Nope"}, {"group": "Sales"}]}],
    "espProfiles": [{"displayName": "ESP", "selectedMobileApps": ["Portal", "Ghost"]}]
  })");
  std::vector<std::string> fields;
  for (const Error& problem : outcome.problems) {
    EXPECT_EQ(problem.code, ErrorCode::kInvalidArgument);
    EXPECT_TRUE(problem.message.starts_with(problem.field + ": ")) << problem.message;
    fields.push_back(problem.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{
                        "widgets", "users[1].userPrincipalName", "groups[Sales].members[0]",
                        "apps[Portal].assignments[0].group", "apps[Portal].dependencies[0].app",
                        "apps[Portal].installContext", "apps[Portal].maxRunTimeInMinutes",
                        "espProfiles[ESP].selectedMobileApps[1]"}));
  EXPECT_TRUE(outcome.changes.empty());
  EXPECT_TRUE(store_->resources().ListAll(ResourceKind::kUser)->empty());
  const Error refused = DocumentRefused(outcome.problems);
  EXPECT_EQ(refused.field, "widgets");
  EXPECT_TRUE(refused.message.starts_with("the document has 8 problems")) << refused.message;
}

TEST_F(ApplyTest, ContentNotOnTheServerIsReportedByADryRunAndRefusedByAnApply) {
  const std::string bytes = "#!/bin/sh\necho portal\n";
  const std::string sha256 = identity::Sha256Hex(bytes);
  const std::string document = R"({"apps": [
    {"displayName": "Portal", "content": {"fileName": "portal.sh", "sha256": ")" +
                               sha256 + R"(", "size": 22}},
    {"displayName": "Portal again", "content": {"fileName": "portal.sh", "sha256": ")" +
                               sha256 + R"(", "size": 22}}]})";
  const ApplyOutcome dry = Apply(document, {.dry_run = true});
  ASSERT_TRUE(dry.problems.empty()) << dry.problems.front().message;
  ASSERT_EQ(dry.content_to_upload.size(), 1u);
  EXPECT_EQ(dry.content_to_upload[0].sha256, sha256);
  EXPECT_EQ(dry.content_to_upload[0].apps, (std::vector<std::string>{"Portal", "Portal again"}));

  const ApplyOutcome refused = Apply(document);
  ASSERT_EQ(refused.problems.size(), 2u);
  EXPECT_EQ(refused.problems[0].field, "apps[Portal].content.sha256");

  ASSERT_TRUE(services_->content.Put(sha256, bytes));
  const ApplyOutcome applied = Apply(document);
  EXPECT_TRUE(applied.problems.empty());
  EXPECT_TRUE(applied.content_to_upload.empty());
}

// A deb app's content, on the server: its {"fileName", "sha256", "size"} as document JSON.
std::string PutDeb(Services& services, const std::filesystem::path& deb) {
  const std::string bytes = test_support::ReadText(deb);
  const std::string sha256 = identity::Sha256Hex(bytes);
  EXPECT_TRUE(services.content.Put(sha256, bytes));
  return json::serialize(json::object{
      {"fileName", deb.filename().string()}, {"sha256", sha256}, {"size", bytes.size()}});
}

TEST_F(ApplyTest, DebAppsTakeTheirPackageFromTheDebAndBadDebsAreRefusedNamingTheFile) {
  const std::string demo = PutDeb(
      *services_, test_support::BuildDeb(temp_.path(), "gc-demo_1.2-1_all.deb",
                                         test_support::ControlText("gc-demo", "1.2-1", "all")));
  const std::string document =
      R"({"apps": [{"displayName": "Demo", "kind": "deb", "content": )" + demo +
      R"(}, {"displayName": "Jq", "kind": "aptPackage", "packageName": "jq",
             "packageVersion": "1.6-2.1"}]})";
  const ApplyOutcome applied = Apply(document);
  ASSERT_TRUE(applied.problems.empty()) << applied.problems.front().message;
  auto apps = store_->resources().ListAll(ResourceKind::kApp);
  ASSERT_TRUE(apps);
  const auto stored = std::find_if(apps->begin(), apps->end(),
                                   [](const auto& record) { return record.value.name == "Demo"; });
  ASSERT_NE(stored, apps->end());
  const json::value body = json::parse(stored->value.body);
  EXPECT_EQ(body.at("kind"), "deb");
  EXPECT_EQ(body.at("packageName"), "gc-demo");
  EXPECT_EQ(body.at("packageVersion"), "1.2-1");
  EXPECT_TRUE(Changed(Apply(document)).empty()) << "a second apply changes nothing";

  const std::string arm = PutDeb(
      *services_, test_support::BuildDeb(temp_.path(), "gc-demo_1.2-1_arm64.deb",
                                         test_support::ControlText("gc-demo", "1.2-1", "arm64")));
  const std::string no_version =
      PutDeb(*services_, test_support::BuildDeb(temp_.path(), "no-version.deb",
                                                "Package: gc-demo\nArchitecture: all\n"));
  const std::string script = "#!/bin/sh\necho portal\n";
  ASSERT_TRUE(services_->content.Put(identity::Sha256Hex(script), script));
  const ApplyOutcome refused =
      Apply(R"({"apps": [{"displayName": "Arm", "kind": "deb", "content": )" + arm +
            R"(}, {"displayName": "NoVersion", "kind": "deb", "content": )" + no_version +
            R"(}, {"displayName": "Script", "kind": "deb", "content": {"fileName": "portal.sh",
             "sha256": ")" +
            identity::Sha256Hex(script) + R"(", "size": 22}},
          {"displayName": "Named", "kind": "deb", "packageName": "other", "content": )" +
            demo +
            R"(}, {"displayName": "User", "kind": "aptPackage", "packageName": "jq",
             "installContext": "user"},
          {"displayName": "Commands", "kind": "aptPackage", "packageName": "jq",
             "installCommandLine": "apt-get install jq"},
          {"displayName": "BadVersion", "kind": "aptPackage", "packageName": "jq",
             "packageVersion": "latest"}]})");
  std::vector<std::string> problems;
  for (const Error& problem : refused.problems) problems.push_back(problem.message);
  const std::string arch(debian_archive::BuildArchitecture());
  EXPECT_EQ(problems,
            (std::vector<std::string>{
                "apps[Arm].content: gc-demo_1.2-1_arm64.deb: the package is built for arm64; the "
                "device runs " +
                    arch + " (a .deb must be built for \"all\" or " + arch + ")",
                "apps[NoVersion].content: no-version.deb: the control file has no Version field",
                "apps[Script].content: portal.sh: not a Debian package: it does not start with "
                "the ar archive signature \"!<arch>\\n\"",
                "apps[Named].packageName: \"other\", but gc-demo_1.2-1_all.deb is package "
                "\"gc-demo\": leave packageName out of a deb app (it comes from the .deb's "
                "control file)",
                "apps[User].installContext: an aptPackage app installs as the system (dpkg has no "
                "per-user packages): use \"device\"",
                "apps[Commands].installCommandLine: an aptPackage app is installed with apt-get: "
                "leave the command line out (or use kind \"script\")",
                "apps[BadVersion].packageVersion: \"latest\" is not a Debian version: the "
                "upstream version must start with a digit"}));
  EXPECT_EQ(refused.problems[0].field, "apps[Arm].content");
}

TEST_F(ApplyTest, TheAdminApiReadsADebAppsPackageOnCreateAndOnEveryChange) {
  const std::string first = PutDeb(
      *services_, test_support::BuildDeb(temp_.path(), "a.deb",
                                         test_support::ControlText("gc-demo", "1.0", "all")));
  const std::string second = PutDeb(
      *services_, test_support::BuildDeb(temp_.path(), "b.deb",
                                         test_support::ControlText("gc-other", "2.0", "all")));
  auto created = services_->resources.Create(
      admin_, ResourceKind::kApp,
      json::parse(R"({"displayName": "Demo", "kind": "deb", "content": )" + first + "}"));
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->at("packageName"), "gc-demo");
  EXPECT_EQ(created->at("packageVersion"), "1.0");
  auto changed =
      services_->resources.Update(admin_, ResourceKind::kApp, created->at("id").as_string(),
                                  json::parse(R"({"content": )" + second + "}"), std::nullopt);
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_EQ(changed->at("packageName"), "gc-other");
  EXPECT_EQ(changed->at("packageVersion"), "2.0");

  auto missing = services_->resources.Create(
      admin_, ResourceKind::kApp,
      json::parse(R"({"displayName": "Gone", "kind": "deb", "content": {"fileName": "x.deb",
                  "sha256": ")" +
                  std::string(64, 'a') + R"(", "size": 3}})"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().field, "content.sha256");
}

TEST_F(ApplyTest, DevicesArePrunedOnlyWhenTheDocumentHasADevicesSection) {
  ASSERT_TRUE(Apply(R"({"devices": {"rows": [{"serialNumber": "SN-1", "hardwareHash": "aGFzaC0x"},
                                             {"serialNumber": "SN-2", "hardwareHash": "aGFzaC0y"},
                                             {"serialNumber": "SN-3", "hardwareHash": "aGFzaC0z"}]},
                       "groups": [{"displayName": "Lab", "members": ["SN-3"]}]})")
                  .problems.empty());
  EXPECT_TRUE(Changed(Apply(R"({"users": []})", {.prune = true})).empty());
  // Device members show by serial number.
  const ApplyOutcome members = Apply(
      R"({"groups": [{"displayName": "Lab", "members": ["SN-3", "SN-1"]}]})", {.dry_run = true});
  ASSERT_EQ(members.changes.size(), 1u);
  EXPECT_EQ(Fields(members.changes[0]),
            (std::vector<std::string>{R"(members: ["SN-3"] -> ["SN-3","SN-1"])"}));
  // SN-3 is a member of Lab, which this document does not manage: it stays, and says why.
  const std::string one_device =
      R"({"devices": {"rows": [{"serialNumber": "SN-1", "hardwareHash": "aGFzaC0x"}]}})";
  const ApplyOutcome refused = Apply(one_device, {.prune = true});
  ASSERT_EQ(refused.problems.size(), 1u);
  EXPECT_EQ(refused.problems[0].field, "autopilotDevices[SN-3]");
  EXPECT_NE(refused.problems[0].message.find("groups \"Lab\" (members)"), std::string::npos)
      << refused.problems[0].message;
  const ApplyOutcome pruned = Apply(R"({"devices": {"rows": [
      {"serialNumber": "SN-1", "hardwareHash": "aGFzaC0x"},
      {"serialNumber": "SN-3", "hardwareHash": "aGFzaC0z"}]}})",
                                    {.prune = true});
  ASSERT_TRUE(pruned.problems.empty()) << pruned.problems.front().message;
  EXPECT_EQ(Changed(pruned), (std::vector<std::string>{"delete autopilotDevices SN-2"}));
  EXPECT_FALSE(store_->devices().FindBySerialNumber("SN-2")->has_value());
  EXPECT_TRUE(store_->devices().FindBySerialNumber("SN-3")->has_value());
}

TEST(ApplyDiffTest, SecretsAreNamedButNeverShown) {
  for (const char* secret : {"preSharedKey", "settings.adminPassword", "password", "clientSecret",
                             "settings.apiKey", "productKey", "settings.tokens[0].token"}) {
    EXPECT_TRUE(IsSecretField(secret)) << secret;
  }
  for (const char* plain : {"passwordRequired", "passwordMinimumLength", "displayName", "ssid"}) {
    EXPECT_FALSE(IsSecretField(plain)) << plain;
  }
  const std::vector<FieldChange> changes =
      DiffFields(json::parse(R"({"a": 1, "rules": [{"v": "1"}], "s": {"password": "x"}})"),
                 json::parse(R"({"a": 1, "rules": [{"v": "2"}], "s": {"password": "y"}, "n": 2})"));
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].path, "rules[0].v");
  EXPECT_EQ(changes[1].path, "s.password");
  EXPECT_TRUE(changes[1].secret);
  EXPECT_FALSE(changes[1].from || changes[1].to);
  EXPECT_EQ(changes[2].path, "n");
  EXPECT_FALSE(changes[2].from);
  EXPECT_EQ(changes[2].to, json::value(2));
}

}  // namespace
}  // namespace groundcrew::service

// The device agent end to end (issue 5): the real groundcrewd and groundcrew-agent, the Contoso
// tenant, a sandbox root per device. The technician flow pre-provisions and reseals; an app is
// assigned between the flows; the user flow signs in with MFA (seed from the answers file),
// installs only the delta and the user's items; the report shows both flows.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "tests/integration/harness.hpp"

namespace groundcrew::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kPassword = "Contoso-demo-passphrase-1";
constexpr const char* kSeed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = temp_.path() / "var";
    CommandResult init = RunCommand({GroundcrewPath(), "init", "--data-dir", data_dir_.string(),
                                     "--organization", "Contoso", "--domain", "contoso.com"});
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(init.out, match, std::regex("gcadm_[A-Za-z0-9_-]+")));
    admin_ = match.str();
    daemon_ = std::make_unique<Daemon>(data_dir_);
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();

    // The Contoso tenant without its example devices (their hashes carry no device key).
    const fs::path contoso = SourceDir() / "examples" / "contoso";
    std::string yaml = ReadText(contoso / "tenant.yaml");
    yaml = std::regex_replace(yaml, std::regex("\ndevices:[^\n]*"), "\n");
    tenant_ = temp_.path() / "tenant";
    fs::create_directories(tenant_);
    fs::create_directory_symlink(contoso / "apps", tenant_ / "apps");
    std::ofstream(tenant_ / "tenant.yaml") << yaml;
    ASSERT_EQ(Cli({"apply", "-f", (tenant_ / "tenant.yaml").string()}).exit_code, 0);

    CommandResult row = RunCommand({AgentPath(), "hwid", "--state", State().string(), "--serial",
                                    "GC-1001", "--manufacturer", "Contoso", "--model", "Laptop",
                                    "--group-tag", "Sales", "--assigned-user",
                                    "adele.vance@contoso.com"});
    ASSERT_EQ(row.exit_code, 0) << row.err;
    HttpResult imported = Admin("POST", "/v1/autopilotDevices/import", row.out);
    ASSERT_EQ(imported.status, 200) << imported.body;
    CommandResult password = RunCommand(
        {GroundcrewPath(), "users", "set-password", "adele.vance@contoso.com",
         "--password-stdin"},
        CliEnvironment(), std::string(kPassword) + "\n");
    ASSERT_EQ(password.exit_code, 0) << password.out << password.err;
    ASSERT_EQ(Cli({"users", "mfa", "enroll", "adele.vance@contoso.com", "--secret", kSeed})
                  .exit_code,
              0);
  }

  std::map<std::string, std::string> CliEnvironment() {
    return {{"GROUNDCREW_SERVER", daemon_->url()},
            {"GROUNDCREW_TOKEN", admin_},
            {"XDG_CONFIG_HOME", (temp_.path() / "config").string()},
            {"NO_COLOR", "1"}};
  }
  CommandResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), GroundcrewPath());
    return RunCommand(args, CliEnvironment());
  }
  HttpResult Admin(const std::string& method, const std::string& target,
                   const std::string& body = "") {
    return Http(daemon_->port(), method, target, body, {{"Authorization", "Bearer " + admin_}});
  }
  fs::path State() { return temp_.path() / "state"; }
  fs::path Root() { return temp_.path() / "root"; }

  CommandResult Agent(const json::object& answers, std::vector<std::string> extra = {}) {
    const fs::path file = temp_.path() / "answers.json";
    std::ofstream(file, std::ios::trunc) << json::serialize(answers);
    std::vector<std::string> argv = {AgentPath(), "oobe", "--server", daemon_->url(), "--root",
                                     Root().string(), "--state", State().string(), "--serial",
                                     "GC-1001", "--answers", file.string(), "--ui", "plain"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv);
  }

  json::value Report() {
    HttpResult report = Admin("GET", "/v1/reports/GC-1001");
    EXPECT_EQ(report.status, 200) << report.body;
    return json::parse(report.body);
  }

  TempDir temp_;
  fs::path data_dir_;
  fs::path tenant_;
  std::string admin_;
  std::unique_ptr<Daemon> daemon_;
};

// The items a session's report shows with `status`, by display name.
std::set<std::string> ItemsWith(const json::value& session, const std::string& status) {
  std::set<std::string> names;
  for (const json::value& item : session.at("items").as_array()) {
    if (item.at("status").as_string() == status) {
      names.insert(std::string(item.at("displayName").as_string()));
    }
  }
  return names;
}

TEST_F(AgentTest, TechnicianFlowResealThenUserFlowWithTheDeltaAndAccountSetup) {
  CommandResult technician = Agent({{"technician", true}});
  ASSERT_EQ(technician.exit_code, 0) << technician.out << technician.err;
  // Device items and the assigned user's device-context app; none of the user items.
  EXPECT_EQ(ReadText(Root() / "opt/contoso/runtime/VERSION"), "2.1.0\n");
  EXPECT_TRUE(fs::exists(Root() / "opt/contoso/agent/VERSION"));
  EXPECT_TRUE(fs::exists(Root() / "opt/contoso/sales-crm/VERSION")) << "assigned user's device app";
  EXPECT_FALSE(fs::exists(Root() / "opt/contoso/notes")) << "a user-context app waits for sign-in";
  EXPECT_EQ(fs::status(Root() / "etc/NetworkManager/system-connections").type(),
            fs::file_type::directory);
  EXPECT_NE(technician.out.find("[resealed]"), std::string::npos) << technician.out;

  // Assigned between the flows: a new device app.
  std::string yaml = ReadText(tenant_ / "tenant.yaml");
  yaml = std::regex_replace(yaml, std::regex("\npolicies:"), R"(
  - displayName: Contoso Whiteboard
    displayVersion: "1.0.0"
    installContext: device
    installCommandLine: sh whiteboard.sh
    detectionRules:
      - {kind: fileVersion, path: /opt/contoso/whiteboard/VERSION, value: "1.0.0"}
    content: {file: whiteboard.sh}
    assignments: [{group: All Autopilot devices, intent: required}]

policies:)");
  std::ofstream(tenant_ / "tenant.yaml", std::ios::trunc) << yaml;
  std::ofstream(tenant_ / "whiteboard.sh")
      << "mkdir -p \"$GROUNDCREW_ROOT/opt/contoso/whiteboard\"\n"
         "echo 1.0.0 > \"$GROUNDCREW_ROOT/opt/contoso/whiteboard/VERSION\"\n";
  CommandResult applied = Cli({"apply", "-f", (tenant_ / "tenant.yaml").string()});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;

  CommandResult user = Agent({{"password", kPassword}, {"totpSeed", kSeed}});
  ASSERT_EQ(user.exit_code, 0) << user.out << user.err;
  EXPECT_TRUE(fs::exists(Root() / "opt/contoso/whiteboard/VERSION")) << user.out;
  EXPECT_EQ(ReadText(Root() / "opt/contoso/notes/VERSION"), "3.2.0\n");

  json::value report = Report();
  const json::array& sessions = report.at("sessions").as_array();
  ASSERT_EQ(sessions.size(), 2u) << report;
  const json::value& tech = sessions[0].at("flow") == "technician" ? sessions[0] : sessions[1];
  const json::value& usr = sessions[0].at("flow") == "user" ? sessions[0] : sessions[1];
  EXPECT_EQ(tech.at("deploymentState"), "success") << tech;
  EXPECT_EQ(usr.at("deploymentState"), "success") << usr;
  EXPECT_TRUE(ItemsWith(tech, "succeeded").contains("Contoso Runtime")) << tech;
  EXPECT_FALSE(ItemsWith(tech, "succeeded").contains("Contoso Notes")) << tech;
  // The user flow's Device setup: only what was assigned since; then the user's items.
  std::set<std::string> user_items;
  for (const json::value& item : usr.at("items").as_array()) {
    if (item.at("phase") == "deviceSetup") {
      user_items.insert(std::string(item.at("displayName").as_string()));
    }
  }
  EXPECT_EQ(user_items, std::set<std::string>{"Contoso Whiteboard"}) << usr;
  EXPECT_TRUE(ItemsWith(usr, "succeeded").contains("Contoso Notes")) << usr;

  // Done: running the agent again changes nothing.
  CommandResult again = Agent({});
  EXPECT_EQ(again.exit_code, 0) << again.out;
}

TEST_F(AgentTest, TheWrongUserIsRefusedAtSignIn) {
  ASSERT_EQ(Agent({{"technician", true}}).exit_code, 0);
  CommandResult wrong = Agent({{"userPrincipalName", "megan.bowen@contoso.com"},
                               {"password", kPassword}, {"totpSeed", kSeed}});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
  EXPECT_NE(wrong.out.find("adele.vance@contoso.com"), std::string::npos) << wrong.out;
}

TEST_F(AgentTest, AProfileThatForbidsPreprovisioningIsRefusedBeforeAnythingIsInstalled) {
  std::string yaml = ReadText(tenant_ / "tenant.yaml");
  yaml = std::regex_replace(yaml, std::regex("preprovisioningAllowed: true"),
                            "preprovisioningAllowed: false");
  std::ofstream(tenant_ / "tenant.yaml", std::ios::trunc) << yaml;
  ASSERT_EQ(Cli({"apply", "-f", (tenant_ / "tenant.yaml").string()}).exit_code, 0);
  CommandResult refused = Agent({{"technician", true}});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("0x80180005"), std::string::npos) << refused.out;
  EXPECT_FALSE(fs::exists(Root() / "opt")) << "nothing installed";
}

}  // namespace
}  // namespace groundcrew::integration

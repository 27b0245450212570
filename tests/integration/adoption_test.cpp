// An agent SIGKILLed while an installer runs and started again at once, without waiting for the
// orphaned installer: the installer outlives the agent (its own process group), and the new run
// adopts it — it waits for that installer and takes its outcome as the interrupted attempt's —
// instead of starting a second one beside it. The real groundcrewd and groundcrew-agent, the
// Contoso tenant, a sandbox root.
//
// Every installer appends its name to ROOT/installs.log each time it runs.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/integration/harness.hpp"

namespace groundcrew::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kSerial = "GC-2001";

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

void Touch(const fs::path& path) { std::ofstream(path) << ""; }

bool Is(const json::value& value, std::string_view text) {
  return value.is_string() && value.as_string() == text;
}

class AdoptionTest : public ::testing::Test {
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

    // The Contoso tenant without its example devices, with installers that count their runs,
    // and "Contoso Hold": it says it runs (ROOT/hold.running), then waits for ROOT/hold.release
    // (a minute at most). It depends on every other technician app, so that no other installer
    // runs when the agent is killed.
    const fs::path contoso = SourceDir() / "examples" / "contoso";
    std::string yaml = ReadText(contoso / "tenant.yaml");
    yaml = std::regex_replace(yaml, std::regex("\ndevices:[^\n]*"), "\n");
    const fs::path tenant = temp_.path() / "tenant";
    fs::create_directories(tenant);
    fs::copy(contoso / "apps", tenant / "apps", fs::copy_options::recursive);
    for (const fs::directory_entry& app : fs::directory_iterator(tenant / "apps")) {
      const fs::path script = app.path() / "install.sh";
      std::string text = ReadText(script);
      text.insert(text.find('\n') + 1, "printf '%s\\n' " + app.path().filename().string() +
                                           " >> \"$GROUNDCREW_ROOT/installs.log\"\n");
      std::ofstream(script, std::ios::trunc) << text;
    }
    const std::string hold =
        "\n  - displayName: Contoso Hold"
        "\n    displayVersion: \"1.0.0\""
        "\n    installContext: device"
        "\n    installCommandLine: sh hold.sh"
        "\n    detectionRules:"
        "\n      - {kind: fileVersion, path: /opt/test/hold/VERSION, value: \"1.0.0\"}"
        "\n    dependencies:"
        "\n      - {app: Contoso Runtime, autoInstall: true}"
        "\n      - {app: Contoso Agent, autoInstall: true}"
        "\n      - {app: Contoso VPN Client, autoInstall: true}"
        "\n      - {app: Sales CRM, autoInstall: true}"
        "\n    content: {file: hold.sh}"
        "\n    assignments: [{group: All Autopilot devices, intent: required}]\n";
    const size_t policies = yaml.find("\npolicies:");
    ASSERT_NE(policies, std::string::npos);
    yaml.insert(policies, hold);
    std::ofstream(tenant / "hold.sh")
        << "set -eu\n"
        << "printf '%s\\n' hold >> \"$GROUNDCREW_ROOT/installs.log\"\n"
        << "touch \"$GROUNDCREW_ROOT/hold.running\"\n"
        << "i=0\n"
        << "while [ ! -e \"$GROUNDCREW_ROOT/hold.release\" ]; do\n"
        << "  i=$((i + 1)); [ \"$i\" -lt 1200 ] || exit 1; sleep 0.05\n"
        << "done\n"
        << "mkdir -p \"$GROUNDCREW_ROOT/opt/test/hold\"\n"
        << "echo 1.0.0 > \"$GROUNDCREW_ROOT/opt/test/hold/VERSION.new\"\n"
        << "mv \"$GROUNDCREW_ROOT/opt/test/hold/VERSION.new\" "
           "\"$GROUNDCREW_ROOT/opt/test/hold/VERSION\"\n";
    std::ofstream(tenant / "tenant.yaml", std::ios::trunc) << yaml;
    CommandResult applied = Cli({"apply", "-f", (tenant / "tenant.yaml").string()});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;

    CommandResult row =
        RunCommand({AgentPath(), "hwid", "--state", State().string(), "--serial", kSerial,
                    "--manufacturer", "Contoso", "--model", "Laptop", "--group-tag", "Sales",
                    "--assigned-user", "adele.vance@contoso.com"});
    ASSERT_EQ(row.exit_code, 0) << row.err;
    HttpResult imported = Admin("POST", "/v1/autopilotDevices/import", row.out);
    ASSERT_EQ(imported.status, 200) << imported.body;
  }

  void TearDown() override { Touch(Root() / "hold.release"); }

  CommandResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), GroundcrewPath());
    return RunCommand(args, {{"GROUNDCREW_SERVER", daemon_->url()},
                             {"GROUNDCREW_TOKEN", admin_},
                             {"XDG_CONFIG_HOME", (temp_.path() / "config").string()},
                             {"NO_COLOR", "1"}});
  }
  HttpResult Admin(const std::string& method, const std::string& target,
                   const std::string& body = "") {
    return Http(daemon_->port(), method, target, body, {{"Authorization", "Bearer " + admin_}});
  }
  fs::path State() { return temp_.path() / "state"; }
  fs::path Root() { return temp_.path() / "root"; }

  // The technician flow's agent, in the background.
  std::unique_ptr<Process> StartTechnician() {
    const fs::path answers = temp_.path() / "answers.json";
    std::ofstream(answers, std::ios::trunc) << R"({"technician": true})";
    return std::make_unique<Process>(std::vector<std::string>{
        AgentPath(), "oobe", "--server", daemon_->url(), "--root", Root().string(), "--state",
        State().string(), "--serial", kSerial, "--answers", answers.string(), "--ui", "plain"});
  }

  // How many times each installer ran.
  std::map<std::string, int> InstallRuns() {
    std::map<std::string, int> runs;
    std::istringstream lines(ReadText(Root() / "installs.log"));
    for (std::string line; std::getline(lines, line);) ++runs[line];
    return runs;
  }

  // The device's report, as `groundcrew report SERIAL --json` prints it.
  json::value Report() {
    CommandResult report = Cli({"report", kSerial, "--json"});
    EXPECT_EQ(report.exit_code, 0) << report.out << report.err;
    boost::system::error_code ec;
    json::value value = json::parse(report.out, ec);
    EXPECT_FALSE(ec) << report.out;
    return ec ? json::value(json::object()) : value;
  }
  // Every event the service stored for the session, in order.
  std::vector<json::value> Events(const json::value& session) {
    std::vector<json::value> events;
    std::string after;
    for (;;) {
      HttpResult page =
          Admin("GET", "/v1/deploymentSessions/" + std::string(session.at("id").as_string()) +
                           "/events?limit=1000" + (after.empty() ? "" : "&after=" + after));
      EXPECT_EQ(page.status, 200) << page.body;
      if (page.status != 200) return events;
      json::value body = json::parse(page.body);
      for (const json::value& event : body.at("value").as_array()) events.push_back(event);
      if (!body.as_object().contains("nextAfter")) return events;
      after = std::string(body.at("nextAfter").as_string());
    }
  }

  TempDir temp_;
  fs::path data_dir_;
  std::string admin_;
  std::unique_ptr<Daemon> daemon_;
};

// The events of `kind` about the item `id`.
std::vector<json::value> EventsAbout(const std::vector<json::value>& events, std::string_view kind,
                                     std::string_view id) {
  std::vector<json::value> found;
  for (const json::value& event : events) {
    const json::value* item = event.at("detail").as_object().if_contains("id");
    if (Is(event.at("kind"), kind) && item != nullptr && Is(*item, id)) found.push_back(event);
  }
  return found;
}

TEST_F(AdoptionTest, AnAgentKilledMidInstallAndStartedAgainAtOnceWaitsForTheSameInstaller) {
  std::unique_ptr<Process> first = StartTechnician();
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(Root() / "hold.running"); }))
      << first->out() << first->err();
  first->Kill();
  // Started again at once: the orphaned installer is still waiting for its release.
  std::unique_ptr<Process> second = StartTechnician();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(InstallRuns()["hold"], 1) << "a second installer was started beside the first";
  EXPECT_TRUE(second->Running()) << "the restarted agent did not wait for the installer\n"
                                 << second->out() << second->err();
  Touch(Root() / "hold.release");
  ASSERT_EQ(second->Wait(), 0) << second->out() << second->err();
  EXPECT_EQ(InstallRuns()["hold"], 1) << "installed twice";

  const json::value report = Report();
  EXPECT_FALSE(report.at("device").at("resealedDateTime").is_null()) << report;
  const json::value* technician = nullptr;
  for (const json::value& session : report.at("sessions").as_array()) {
    if (Is(session.at("flow"), "technician")) technician = &session;
  }
  ASSERT_NE(technician, nullptr) << report;
  EXPECT_EQ(technician->at("deploymentState"), "success") << *technician;
  std::string hold_id;
  for (const json::value& item : technician->at("items").as_array()) {
    if (Is(item.at("displayName"), "Contoso Hold")) {
      hold_id = std::string(item.at("id").as_string());
      EXPECT_EQ(item.at("status"), "succeeded") << item;
      EXPECT_EQ(item.at("attempts"), 1) << "the interrupted install is one attempt: " << item;
    }
  }
  ASSERT_FALSE(hold_id.empty()) << *technician;
  const std::vector<json::value> events = Events(*technician);
  EXPECT_EQ(EventsAbout(events, "itemStarted", hold_id).size(), 1u)
      << "the adopted installer is a continuation, not a new start";
  EXPECT_EQ(EventsAbout(events, "itemSucceeded", hold_id).size(), 1u);
  // Nothing is left to adopt once the outcome is consumed.
  EXPECT_TRUE(!fs::exists(State() / "running") || fs::is_empty(State() / "running"));
}

}  // namespace
}  // namespace groundcrew::integration

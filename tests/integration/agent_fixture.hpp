#pragma once

// The agent against the real service, shared by the agent's integration suites: an initialized
// data directory, groundcrewd over it, the Contoso tenant (examples/contoso/tenant.yaml without
// its example devices, every installer counting its runs in ROOT/installs.log), one registered
// device (GC-1001, assigned to Adele Vance) and Adele's password and MFA seed; helpers to edit
// the tenant, run the agent with an answers file on the json view (each run bounded in time), in
// the background or on a terminal, and read its screens and the service's report.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/support/terminal_session.hpp"

namespace groundcrew::integration {

inline constexpr const char* kAdelePassword = "Contoso-demo-passphrase-1";
inline constexpr const char* kAdeleSeed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
inline constexpr const char* kAdeleUpn = "adele.vance@contoso.com";
inline constexpr const char* kDeviceSerial = "GC-1001";

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

inline void Touch(const std::filesystem::path& path) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << "";
}

// Whether `value` is the string `text`.
inline bool IsText(const boost::json::value& value, std::string_view text) {
  return value.is_string() && value.as_string() == text;
}

// Installer steps (shell) for a TestAppSpec's `before`. Their flags are in ROOT/markers, which
// AgentFixture makes writable by anyone (sticky, like /tmp), as a user-context installer runs as
// the user:
// fails with 1603 (a code above 255: through $GROUNDCREW_EXIT_CODE_FILE) until
// ROOT/markers/<flag> exists.
inline std::string FailsUntil(const std::string& flag) {
  return "if [ ! -e \"$GROUNDCREW_ROOT/markers/" + flag + "\" ]; then\n" +
         "  echo 1603 > \"$GROUNDCREW_EXIT_CODE_FILE\"\n" + "  exit 1\n" + "fi\n";
}
// Says it is running (ROOT/markers/<name>.running), then waits until ROOT/markers/<name>.release
// exists (giving
// up after a minute, so that a failed test leaves nothing running for long). AgentFixture
// releases such installers when the test ends.
inline std::string HeldUntilReleased(const std::string& name) {
  const std::string flag = "\"$GROUNDCREW_ROOT/markers/" + name;
  return "touch " + flag + ".running\"\n" + "i=0\n" + "while [ ! -e " + flag +
         ".release\" ]; do\n" + "  i=$((i + 1)); [ \"$i\" -lt 1200 ] || exit 1; sleep 0.05\n" +
         "done\n";
}

// What a bounded run of the agent gave.
struct AgentRun {
  int exit_code = -1;  ///< -1: still running after the time limit (then killed)
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
};

// An app the test adds to the tenant. Its content file (<slug>.sh, next to the tenant document)
// is `script`, or by default a script that counts its run (ROOT/installs.log), does `before`,
// then writes /opt/test/<slug>/VERSION (`version`), which its detection rule looks for; a
// user-context app, run as the user, writes $GROUNDCREW_HOME/.local/share/test/<slug>/VERSION
// instead, and its detection rule is a command reading it.
struct TestAppSpec {
  std::string name;
  std::string slug;
  std::string before = {};
  std::string version = "1.0.0";
  std::string content_file = {};  ///< default: <slug>.sh
  std::string script = {};        ///< default: see above
  std::string context = "device";
  std::string group = "All Autopilot devices";
  bool blocking = false;  ///< one of the ESP profile's selected (blocking) apps
  std::vector<std::string> dependencies = {};  ///< display names, each auto-installed
  int max_run_minutes = 0;                     ///< 0: the default
};

// How AgentFixture runs the agent: for the device in `state` (default: the fixture's State()),
// against `server` (default: the daemon), with `extra` arguments, on the view `ui`.
struct AgentOptions {
  std::string server = {};
  std::filesystem::path state = {};
  std::string serial = kDeviceSerial;
  std::vector<std::string> extra = {};
  std::string ui = "json";
};

class AgentFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace fs = std::filesystem;
    // The device root as a device has it: / is 0755 (mkdtemp made the folder 0700), so that a
    // user-context installer, run as the user, reaches their home. Anyone may add to the runs'
    // log and to the markers (a test's own, sticky like /tmp).
    fs::permissions(temp_.path(), fs::perms(0755));
    fs::create_directories(Markers());
    fs::permissions(Root(), fs::perms(0755));
    fs::permissions(Markers(), fs::perms(01777));
    std::ofstream(Root() / "installs.log") << "";
    fs::permissions(Root() / "installs.log", fs::perms(0666));
    data_dir_ = temp_.path() / "var";
    CommandResult init = RunCommand({GroundcrewPath(), "init", "--data-dir", data_dir_.string(),
                                     "--organization", "Contoso", "--domain", "contoso.com"});
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(init.out, match, std::regex("gcadm_[A-Za-z0-9_-]+")));
    admin_ = match.str();
    daemon_ = std::make_unique<Daemon>(data_dir_);
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();

    const fs::path contoso = SourceDir() / "examples" / "contoso";
    yaml_ = ReadFile(contoso / "tenant.yaml");
    yaml_ = std::regex_replace(yaml_, std::regex("\ndevices:[^\n]*"), "\n");
    tenant_ = temp_.path() / "tenant";
    fs::create_directories(tenant_);
    fs::copy(contoso / "apps", tenant_ / "apps", fs::copy_options::recursive);
    for (const fs::directory_entry& app : fs::directory_iterator(tenant_ / "apps")) {
      const fs::path script = app.path() / "install.sh";
      std::string text = ReadFile(script);
      const size_t first_line = text.find('\n') + 1;
      text.insert(first_line, "printf '%s\\n' " + app.path().filename().string() +
                                  " >> \"$GROUNDCREW_ROOT/installs.log\"\n");
      std::ofstream(script, std::ios::trunc) << text;
    }
    ASSERT_NO_FATAL_FAILURE(ApplyTenant());

    ASSERT_NO_FATAL_FAILURE(Register(State(), kDeviceSerial, /*import=*/true));
    CommandResult password =
        RunCommand({GroundcrewPath(), "users", "set-password", kAdeleUpn, "--password-stdin"},
                   CliEnvironment(), std::string(kAdelePassword) + "\n");
    ASSERT_EQ(password.exit_code, 0) << password.out << password.err;
    CommandResult mfa = Cli({"users", "mfa", "enroll", kAdeleUpn, "--secret", kAdeleSeed});
    ASSERT_EQ(mfa.exit_code, 0) << mfa.out << mfa.err;
  }

  void TearDown() override {
    // Installers still held (a test that failed half-way) may end now.
    for (const std::string& name : held_) Touch(Markers() / (name + ".release"));
  }

  // The device's registration row (`groundcrew-agent hwid` with its key in `state`), imported
  // when `import`; the row.
  std::string Register(const std::filesystem::path& state, const std::string& serial, bool import) {
    CommandResult row = RunCommand({AgentPath(), "hwid", "--state", state.string(), "--serial",
                                    serial, "--manufacturer", "Contoso", "--model", "Laptop",
                                    "--group-tag", "Sales", "--assigned-user", kAdeleUpn});
    EXPECT_EQ(row.exit_code, 0) << row.err;
    if (import) {
      HttpResult imported = Admin("POST", "/v1/autopilotDevices/import", row.out);
      EXPECT_EQ(imported.status, 200) << imported.body;
    }
    return row.out;
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
  std::filesystem::path State() { return temp_.path() / "state"; }
  std::filesystem::path Root() { return temp_.path() / "root"; }
  /// The installers' flags (FailsUntil, HeldUntilReleased).
  std::filesystem::path Markers() { return Root() / "markers"; }

  // ---- the tenant ----

  void ApplyTenant() {
    std::ofstream(tenant_ / "tenant.yaml", std::ios::trunc) << yaml_;
    CommandResult applied = Cli({"apply", "-f", (tenant_ / "tenant.yaml").string()});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  }
  // Replaces `from` (a regular expression) in the tenant document; it must be there.
  void Edit(const std::string& from, const std::string& to) {
    const std::string edited = std::regex_replace(yaml_, std::regex(from), to);
    ASSERT_NE(edited, yaml_) << from;
    yaml_ = edited;
  }
  // The default installer of `app` (see TestAppSpec).
  static std::string InstallScript(const TestAppSpec& app) {
    const std::string dir = "\"" + InstalledFolder(app) + "/" + app.slug;
    return "set -eu\nprintf '%s\\n' " + app.slug + " >> \"$GROUNDCREW_ROOT/installs.log\"\n" +
           app.before + "mkdir -p " + dir + "\"\n" + "echo " + app.version + " > " + dir +
           "/VERSION.new\"\n" + "mv " + dir + "/VERSION.new\" " + dir + "/VERSION\"\n";
  }
  // Where the default installer of `app` writes <slug>/VERSION, for the shell.
  static std::string InstalledFolder(const TestAppSpec& app) {
    return app.context == "user" ? "$GROUNDCREW_HOME/.local/share/test"
                                 : "$GROUNDCREW_ROOT/opt/test";
  }
  // Adds `app` to the tenant document (ApplyTenant sends it) and writes its content file.
  void AddApp(const TestAppSpec& app) {
    const std::string file = app.content_file.empty() ? app.slug + ".sh" : app.content_file;
    std::string block = "\n  - displayName: " + app.name;
    block += "\n    displayVersion: \"" + app.version + "\"";
    block += "\n    installContext: " + app.context;
    block += "\n    installCommandLine: sh " + file;
    block += "\n    detectionRules:";
    if (app.context == "user") {
      block += "\n      - {kind: command, command: 'test \"$(cat \"" + InstalledFolder(app) + "/" +
               app.slug + "/VERSION\" 2>/dev/null)\" = " + app.version + "'}";
    } else {
      block += "\n      - {kind: fileVersion, path: /opt/test/" + app.slug + "/VERSION, value: \"" +
               app.version + "\"}";
    }
    if (app.max_run_minutes > 0) {
      block += "\n    maxRunTimeInMinutes: " + std::to_string(app.max_run_minutes);
    }
    if (!app.dependencies.empty()) {
      block += "\n    dependencies:";
      for (const std::string& dependency : app.dependencies) {
        block += "\n      - {app: " + dependency + ", autoInstall: true}";
      }
    }
    block += "\n    content: {file: " + file + "}";
    block += "\n    assignments: [{group: " + app.group + ", intent: required}]\n";
    ASSERT_NO_FATAL_FAILURE(Edit("\npolicies:", block + "\npolicies:"));
    if (app.blocking) {
      ASSERT_NO_FATAL_FAILURE(
          Edit("selectedMobileApps: \\[Contoso Agent, Contoso Runtime\\]",
               "selectedMobileApps: [Contoso Agent, Contoso Runtime, " + app.name + "]"));
    }
    std::ofstream(tenant_ / file, std::ios::trunc)
        << (app.script.empty() ? InstallScript(app) : app.script);
    if (app.before.find(".release") != std::string::npos) held_.push_back(app.slug);
  }
  // How many times each installer ran (ROOT/installs.log).
  std::map<std::string, int> InstallRuns() {
    std::map<std::string, int> runs;
    std::istringstream lines(ReadFile(Root() / "installs.log"));
    for (std::string line; std::getline(lines, line);) ++runs[line];
    return runs;
  }

  // ---- the agent ----

  // A new answers file saying `answers`; its path.
  std::string AnswersFile(const boost::json::object& answers) {
    const std::filesystem::path file =
        temp_.path() / ("answers-" + std::to_string(++answers_) + ".json");
    std::ofstream(file) << boost::json::serialize(answers);
    return file.string();
  }
  // `groundcrew-agent oobe` for the device (see AgentOptions), before the answers and the view.
  std::vector<std::string> OobeArgv(const AgentOptions& options) {
    return {AgentPath(), "oobe",
            "--server",  options.server.empty() ? daemon_->url() : options.server,
            "--root",    Root().string(),
            "--state",   (options.state.empty() ? State() : options.state).string(),
            "--serial",  options.serial};
  }
  // `groundcrew-agent oobe` with the answers file `answers` (see AgentOptions).
  std::vector<std::string> AgentArgv(const boost::json::object& answers,
                                     const AgentOptions& options) {
    std::vector<std::string> argv = OobeArgv(options);
    argv.insert(argv.end(), {"--answers", AnswersFile(answers), "--ui", options.ui});
    argv.insert(argv.end(), options.extra.begin(), options.extra.end());
    return argv;
  }
  // The agent in the background.
  std::unique_ptr<Process> StartAgent(const boost::json::object& answers,
                                      const AgentOptions& options = {}) {
    return std::make_unique<Process>(AgentArgv(answers, options));
  }
  // The agent on a terminal of 120 x 45 (tmux), the person at it deciding what `answers` (an
  // answers file, when not empty) does not say.
  std::unique_ptr<TerminalSession> OnTerminal(const boost::json::object& answers = {}) {
    std::vector<std::string> argv = OobeArgv({});
    argv.insert(argv.end(), {"--ui", "terminal"});
    if (!answers.empty()) argv.insert(argv.end(), {"--answers", AnswersFile(answers)});
    auto session = std::make_unique<TerminalSession>(argv, 120, 45);
    EXPECT_TRUE(session->started());
    return session;
  }
  // Runs the agent to its end, killing it after `limit` (then exit_code is -1).
  AgentRun RunAgent(const boost::json::object& answers, const AgentOptions& options = {},
                    std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto start = std::chrono::steady_clock::now();
    Process agent(AgentArgv(answers, options));
    AgentRun run;
    const bool ended = WaitUntil([&] { return !agent.Running(); }, limit);
    if (!ended) agent.Kill();
    run.exit_code = ended ? agent.Wait() : -1;
    run.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    run.out = agent.out();
    run.err = agent.err();
    return run;
  }

  // ---- the report ----

  boost::json::value Report(const std::string& serial = kDeviceSerial) {
    HttpResult report = Admin("GET", "/v1/reports/" + serial);
    EXPECT_EQ(report.status, 200) << report.body;
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(report.body, ec);
    return ec ? boost::json::value(boost::json::object()) : parsed;
  }
  // The sessions of `flow` in the report, oldest first.
  static std::vector<boost::json::value> Sessions(const boost::json::value& report,
                                                  const std::string& flow) {
    std::vector<boost::json::value> out;
    const boost::json::value* sessions = report.as_object().if_contains("sessions");
    if (sessions == nullptr) return out;
    for (const boost::json::value& session : sessions->as_array()) {
      if (IsText(session.at("flow"), flow)) out.push_back(session);
    }
    return out;
  }
  // The last session of `flow` (an empty object when there is none).
  static boost::json::value Session(const boost::json::value& report, const std::string& flow) {
    std::vector<boost::json::value> sessions = Sessions(report, flow);
    return sessions.empty() ? boost::json::value(boost::json::object()) : sessions.back();
  }
  // Every event the service stored for the session, in order.
  std::vector<boost::json::value> Events(const boost::json::value& session) {
    std::vector<boost::json::value> events;
    std::string after;
    for (;;) {
      HttpResult page =
          Admin("GET", "/v1/deploymentSessions/" + std::string(session.at("id").as_string()) +
                           "/events?limit=1000" + (after.empty() ? "" : "&after=" + after));
      EXPECT_EQ(page.status, 200) << page.body;
      if (page.status != 200) return events;
      boost::json::value body = boost::json::parse(page.body);
      for (const boost::json::value& event : body.at("value").as_array()) events.push_back(event);
      if (!body.as_object().contains("nextAfter")) return events;
      after = std::string(body.at("nextAfter").as_string());
    }
  }

  TempDir temp_;
  std::filesystem::path data_dir_;
  std::filesystem::path tenant_;
  std::string yaml_;
  std::string admin_;
  std::unique_ptr<Daemon> daemon_;
  std::vector<std::string> held_;  // slugs of held installers
  int answers_ = 0;
};

// ---- what the json view showed ----

// The screens a run on the json view showed, in order.
inline std::vector<boost::json::object> ScreensOf(const std::string& out) {
  std::vector<boost::json::object> screens;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(line, ec);
    if (!ec && value.is_object() && value.as_object().contains("type") &&
        IsText(value.at("type"), "screen")) {
      screens.push_back(value.as_object());
    }
  }
  return screens;
}
// The last screen `id` ("landing", "espError", ...) the run showed; empty when it never did.
inline boost::json::object LastScreenOf(const std::string& out, std::string_view id) {
  boost::json::object found;
  for (boost::json::object& screen : ScreensOf(out)) {
    if (IsText(screen.at("screen"), id)) found = std::move(screen);
  }
  return found;
}
inline bool Showed(const std::string& out, std::string_view id) {
  return !LastScreenOf(out, id).empty();
}
// How many times the run went to screen `id` from another screen.
inline int TimesShown(const std::string& out, std::string_view id) {
  int times = 0;
  std::string previous;
  for (const boost::json::object& screen : ScreensOf(out)) {
    const std::string current(screen.at("screen").as_string());
    if (current == id && previous != id) ++times;
    previous = current;
  }
  return times;
}
// A screen's message ("" when none).
inline std::string NoticeText(const boost::json::object& screen) {
  const boost::json::value* notice = screen.if_contains("notice");
  return notice != nullptr ? std::string(notice->at("text").as_string()) : "";
}

// ---- the report ----

// The report's row of the item named `name` in `phase` (null when absent).
inline boost::json::value ReportItem(const boost::json::value& session, const std::string& name,
                                     const std::string& phase = "deviceSetup") {
  const boost::json::value* items = session.as_object().if_contains("items");
  if (items == nullptr) return nullptr;
  for (const boost::json::value& item : items->as_array()) {
    if (IsText(item.at("displayName"), name) && IsText(item.at("phase"), phase)) return item;
  }
  return nullptr;
}
// How many events are of `kind` and, unless empty, of `phase` and about the item `id`.
inline int CountEvents(const std::vector<boost::json::value>& events, const std::string& kind,
                       const std::string& phase = "", const std::string& id = "") {
  int count = 0;
  for (const boost::json::value& event : events) {
    auto is = [&](const char* name, const std::string& value) {
      if (value.empty()) return true;
      const boost::json::value* v = event.at("detail").as_object().if_contains(name);
      return v != nullptr && IsText(*v, value);
    };
    if (IsText(event.at("kind"), kind) && is("phase", phase) && is("id", id)) ++count;
  }
  return count;
}

}  // namespace groundcrew::integration

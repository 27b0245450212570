// The device agent end to end (issue 5): the real groundcrewd and groundcrew-agent, the Contoso
// tenant, a sandbox root per device. The technician flow pre-provisions and reseals; an app is
// assigned between the flows; the user flow signs in with MFA (seed from the answers file),
// installs only the delta and the user's items; the report shows both flows. Then what goes
// wrong: failing apps (blocking or not), a phase timeout, Reset, the agent killed in the middle
// of an install, MFA mistakes and lockout, and the service going away during Device setup. On a
// terminal (a pseudo-terminal the test types at key by key): the technician key, a password
// that is not echoed, item progress, and the terminal's mode restored.
//
// Every installer appends its name to ROOT/installs.log each time it runs, so that a test can
// say how often each app was really installed.
#include <crypt.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/integration/agent_fixture.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/terminal_session.hpp"
#include "tests/support/test_clock.hpp"

namespace groundcrew::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// The Contoso apps installed in the technician flow, by the folder of their installer.
constexpr std::string_view kTechnicianApps[] = {"runtime", "agent", "vpn-client", "sales-crm"};

// A command on a pseudo-terminal of its own, typed at as a person would: key by key, when the
// test chooses (unlike `script`, which types everything ahead, before the program asks, so that
// the terminal echoes it whatever the program wants). The test keeps the terminal's side of the
// program open too, so that it can read the terminal's mode while and after the program runs.
class Pty {
 public:
  explicit Pty(const std::vector<std::string>& argv) {
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) return;
    const std::string name = ::ptsname(master_);
    terminal_ = ::open(name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    const winsize size{.ws_row = 50, .ws_col = 120, .ws_xpixel = 0, .ws_ypixel = 0};
    ::ioctl(master_, TIOCSWINSZ, &size);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    // This environment with a terminal type (the full-screen view needs one).
    std::vector<char*> environment;
    for (char** variable = environ; *variable != nullptr; ++variable) {
      if (std::string_view(*variable).starts_with("TERM=")) continue;
      environment.push_back(*variable);
    }
    static char term[] = "TERM=xterm";
    environment.push_back(term);
    environment.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {  // only async-signal-safe calls from here
      ::setsid();     // a session of its own, with the terminal as its controlling one
      const int tty = ::open(name.c_str(), O_RDWR);
      if (tty < 0 || ::ioctl(tty, TIOCSCTTY, 0) != 0) ::_exit(127);
      ::dup2(tty, 0);
      ::dup2(tty, 1);
      ::dup2(tty, 2);
      ::execve(args[0], args.data(), environment.data());
      ::_exit(127);
    }
    reader_ = std::thread([this] {
      while (!stop_) {
        pollfd ready{.fd = master_, .events = POLLIN, .revents = 0};
        if (::poll(&ready, 1, 50) <= 0) continue;
        char buffer[4096];
        const ssize_t n = ::read(master_, buffer, sizeof buffer);
        if (n <= 0) continue;
        std::lock_guard lock(mutex_);
        output_.append(buffer, static_cast<size_t>(n));
      }
    });
  }
  ~Pty() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    if (terminal_ >= 0) ::close(terminal_);
    if (master_ >= 0) ::close(master_);
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;

  /// Types `keys` (a real terminal's Enter is "\r").
  void Type(std::string_view keys) {
    ASSERT_EQ(::write(master_, keys.data(), keys.size()), static_cast<ssize_t>(keys.size()));
  }
  /// What the program wrote so far (and the terminal echoed).
  std::string Output() {
    std::lock_guard lock(mutex_);
    return output_;
  }
  /// Waits until the output shows `text` (false after a minute).
  bool WaitFor(const std::string& text) {
    return WaitUntil([&] { return Output().find(text) != std::string::npos; },
                     std::chrono::seconds(60));
  }
  /// Sends `signal` to the program (while it runs).
  void Signal(int signal) {
    if (pid_ > 0) ::kill(pid_, signal);
  }
  /// Waits (up to five minutes, then kills it) for the program to end; its exit code, 128 + N
  /// when signal N ended it.
  int Wait() {
    int status = 0;
    if (!WaitUntil([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; },
                   std::chrono::minutes(5))) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  /// Whether the terminal is in the mode a shell leaves it in: a line at a time, echoed.
  bool LineModeWithEcho() {
    termios mode{};
    if (::tcgetattr(terminal_, &mode) != 0) return false;
    return (mode.c_lflag & ICANON) != 0 && (mode.c_lflag & ECHO) != 0;
  }

 private:
  int master_ = -1;
  int terminal_ = -1;
  pid_t pid_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::string output_;
  std::thread reader_;
};

// The fixture's world (agent_fixture.hpp), with the agent run to its end without a time limit.
class AgentTest : public AgentFixture {
 protected:
  // Adds a line to the Contoso ESP profile.
  void EditEsp(const std::string& setting) {
    Edit("\n    allowLogCollectionOnInstallFailure: true\n",
         "\n    allowLogCollectionOnInstallFailure: true\n    " + setting + "\n");
  }
  // Whether the default installer of `slug` ran: a device app's in /opt/test, a user app's in
  // the user's home (AgentFixture::InstalledFolder).
  bool Installed(const std::string& slug) {
    return ReadFile(Root() / "opt/test" / slug / "VERSION") == "1.0.0\n" ||
           ReadFile(Root() / "home/adele-vance/.local/share/test" / slug / "VERSION") == "1.0.0\n";
  }
  CommandResult Agent(const json::object& answers) { return RunCommand(AgentArgv(answers, {})); }
  // How many reports the agent queued for the session (its journal, STATE/journal.jsonl).
  size_t QueuedReports(const json::value& session) {
    const std::string id(session.at("id").as_string());
    size_t count = 0;
    std::istringstream lines(ReadFile(State() / "journal.jsonl"));
    for (std::string line; std::getline(lines, line);) {
      const json::value record = json::parse(line);
      auto ours = [&](const json::value& report) { return IsText(report.at("session"), id); };
      if (record.at("t") == "report" && ours(record)) ++count;
      if (const json::value* reports = record.as_object().if_contains("reports")) {
        for (const json::value& report : reports->as_array()) count += ours(report) ? 1 : 0;
      }
    }
    return count;
  }
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

// The display names of the items of `phase` in a session's report.
std::set<std::string> PhaseItems(const json::value& session, const std::string& phase) {
  std::set<std::string> names;
  for (const json::value& item : session.at("items").as_array()) {
    if (IsText(item.at("phase"), phase))
      names.insert(std::string(item.at("displayName").as_string()));
  }
  return names;
}

// A screen's buttons, by action.
std::vector<std::string> Buttons(const json::object& screen) {
  std::vector<std::string> actions;
  if (const json::value* buttons = screen.if_contains("buttons")) {
    for (const json::value& button : buttons->as_array()) {
      actions.emplace_back(button.at("action").as_string());
    }
  }
  return actions;
}
// The value of a screen's field `label` ("" when none).
std::string FieldOf(const json::object& screen, std::string_view label) {
  if (const json::value* fields = screen.if_contains("fields")) {
    for (const json::value& field : fields->as_array()) {
      if (IsText(field.at("label"), label) && field.as_object().contains("value")) {
        return std::string(field.at("value").as_string());
      }
    }
  }
  return "";
}
// The states the item named `name` went through on the ESP screens, in order, each once.
std::vector<std::string> ItemStates(const std::string& out, std::string_view name) {
  std::vector<std::string> states;
  for (const json::object& screen : ScreensOf(out)) {
    const json::value* phases = screen.if_contains("phases");
    if (phases == nullptr) continue;
    for (const json::value& phase : phases->as_array()) {
      for (const json::value& category : phase.at("categories").as_array()) {
        const json::value* items = category.as_object().if_contains("items");
        if (items == nullptr) continue;
        for (const json::value& item : items->as_array()) {
          if (!IsText(item.at("name"), name)) continue;
          const std::string state(item.at("state").as_string());
          if (states.empty() || states.back() != state) states.push_back(state);
        }
      }
    }
  }
  return states;
}

TEST_F(AgentTest, TechnicianFlowResealThenUserFlowWithTheDeltaAndAccountSetup) {
  CommandResult technician = Agent({{"technician", true}});
  ASSERT_EQ(technician.exit_code, 0) << technician.out << technician.err;
  // Device items and the assigned user's device-context app; none of the user items.
  EXPECT_EQ(ReadFile(Root() / "opt/contoso/runtime/VERSION"), "2.1.0\n");
  EXPECT_TRUE(fs::exists(Root() / "opt/contoso/agent/VERSION"));
  EXPECT_TRUE(fs::exists(Root() / "opt/contoso/sales-crm/VERSION")) << "assigned user's device app";
  EXPECT_FALSE(fs::exists(Root() / "home/adele-vance/.local/share/contoso/notes"))
      << "a user-context app waits for sign-in";
  EXPECT_EQ(fs::status(Root() / "etc/NetworkManager/system-connections").type(),
            fs::file_type::directory);
  EXPECT_TRUE(Showed(technician.out, "resealed")) << technician.out;

  // Assigned between the flows: a new device app.
  AddApp({.name = "Contoso Whiteboard", .slug = "whiteboard"});
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());

  CommandResult user = Agent({{"password", kAdelePassword}, {"totpSeed", kAdeleSeed}});
  ASSERT_EQ(user.exit_code, 0) << user.out << user.err;
  EXPECT_TRUE(Installed("whiteboard")) << user.out;
  const fs::path notes = Root() / "home/adele-vance/.local/share/contoso/notes/VERSION";
  EXPECT_EQ(ReadFile(notes), "3.2.0\n");
  struct stat owner {};
  ASSERT_EQ(::stat(notes.c_str(), &owner), 0);
  if (::geteuid() == 0) {  // an agent that is not root runs every installer as itself
    EXPECT_EQ(owner.st_uid, 1000u) << "the user's app installed as the user, in their home";
    EXPECT_EQ(owner.st_gid, 1000u);
  }
  // Every app was installed once, in one flow or the other.
  EXPECT_EQ(InstallRuns(), (std::map<std::string, int>{{"agent", 1},
                                                       {"notes", 1},
                                                       {"runtime", 1},
                                                       {"sales-crm", 1},
                                                       {"vpn-client", 1},
                                                       {"whiteboard", 1}}));

  json::value report = Report();
  ASSERT_EQ(report.at("sessions").as_array().size(), 2u) << report;
  const json::value tech = Session(report, "technician");
  const json::value usr = Session(report, "user");
  EXPECT_EQ(tech.at("deploymentState"), "success") << tech;
  EXPECT_EQ(usr.at("deploymentState"), "success") << usr;
  EXPECT_TRUE(ItemsWith(tech, "succeeded").contains("Contoso Runtime")) << tech;
  EXPECT_FALSE(ItemsWith(tech, "succeeded").contains("Contoso Notes")) << tech;
  // The user flow's Device setup: only what was assigned since; then the user's items.
  EXPECT_EQ(PhaseItems(usr, "deviceSetup"), std::set<std::string>{"Contoso Whiteboard"}) << usr;
  EXPECT_TRUE(ItemsWith(usr, "succeeded").contains("Contoso Notes")) << usr;
  for (const json::value& session : {tech, usr}) {
    for (const json::value& phase : session.at("phases").as_array()) {
      EXPECT_TRUE(phase.at("durationSeconds").is_number()) << phase;
    }
  }

  // Done: running the agent again changes nothing.
  CommandResult again = Agent({});
  EXPECT_EQ(again.exit_code, 0) << again.out;
}

TEST_F(AgentTest, ComplianceIsReadFromTheMachineAndTheReportListsEachFailingSetting) {
  // Only what the machine says by itself (not the settings the policies apply).
  ASSERT_NO_FATAL_FAILURE(Edit("\ncompliancePolicies:[\\s\\S]*?\n\n",
                               "\ncompliancePolicies:\n"
                               "  - displayName: Contoso compliance\n"
                               "    platforms: linux\n"
                               "    osName: debian\n"
                               "    osMinimumVersion: \"12.5\"\n"
                               "    storageRequireEncryption: true\n"
                               "    secureBootEnabled: true\n"
                               "    assignments: [{group: All Autopilot devices}]\n\n"));
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());
  // A Debian laptop on LUKS, with an older point release than the policy's minimum and
  // firmware without EFI.
  CommandResult machine = RunCommand(
      {"/bin/bash", (SourceDir() / "scripts/simulated-machine").string(), Root().string()});
  ASSERT_EQ(machine.exit_code, 0) << machine.out << machine.err;
  std::ofstream(Root() / "etc/debian_version", std::ios::trunc) << "12.4\n";
  fs::remove_all(Root() / "sys/firmware/efi");

  CommandResult technician = Agent({{"technician", true}});
  ASSERT_EQ(technician.exit_code, 0) << technician.out << technician.err;
  CommandResult user = Agent({{"password", kAdelePassword}, {"totpSeed", kAdeleSeed}});
  ASSERT_EQ(user.exit_code, 0) << user.out << user.err;

  const json::value after = Session(Report(), "user").at("compliance").at("after");
  EXPECT_EQ(after.at("state"), "noncompliant") << after;
  std::vector<std::string> failing;
  for (const json::value& finding : after.at("findings").as_array()) {
    failing.push_back(std::string(finding.at("setting").as_string()) + "=" +
                      std::string(finding.at("actual").as_string()));
  }
  EXPECT_EQ(failing,
            (std::vector<std::string>{"osMinimumVersion=12.4", "secureBootEnabled=no (not EFI)"}))
      << "encryption holds: the root is LVM on LUKS2";
  CommandResult report = Cli({"report", kDeviceSerial});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  std::string compliance_lines;
  std::istringstream lines(report.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("  Compliance")) compliance_lines += line + "\n";
  }
  ExpectGolden("report-compliance.txt", compliance_lines);
}

TEST_F(AgentTest, ABlockingAppFailingGivesTheFailureScreenAndRetryAfterTheFixSucceedsOnRetry) {
  AddApp({.name = "Contoso Flaky",
          .slug = "flaky",
          .before = FailsUntil("flaky.fixed"),
          .blocking = true});
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());

  CommandResult failed = Agent({{"technician", true}});
  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  const json::object failure = LastScreenOf(failed.out, "provisioningFailed");
  EXPECT_NE(FieldOf(failure, "Error").find("1603"), std::string::npos) << failed.out;
  EXPECT_EQ(Buttons(failure), (std::vector<std::string>{"retry", "reset", "diagnostics"}))
      << failed.out;
  EXPECT_FALSE(Installed("flaky"));
  json::value tech = Session(Report(), "technician");
  EXPECT_EQ(tech.at("deploymentState"), "failure") << tech;
  EXPECT_EQ(ReportItem(tech, "Contoso Flaky").at("status"), "failed") << tech;
  EXPECT_EQ(ReportItem(tech, "Contoso Flaky").at("code"), "1603") << tech;

  // Fixed on the device; the technician presses Retry.
  Touch(Markers() / "flaky.fixed");
  CommandResult retried = Agent({{"technician", true}, {"onError", json::array{"retry"}}});
  ASSERT_EQ(retried.exit_code, 0) << retried.out << retried.err;
  EXPECT_TRUE(Installed("flaky"));
  EXPECT_TRUE(Showed(retried.out, "resealed")) << retried.out;

  json::value report = Report();
  ASSERT_EQ(Sessions(report, "technician").size(), 1u) << "Retry goes on in the same session";
  tech = Session(report, "technician");
  EXPECT_EQ(tech.at("deploymentState"), "successOnRetry") << tech;
  EXPECT_EQ(ReportItem(tech, "Contoso Flaky").at("status"), "succeeded") << tech;
  EXPECT_EQ(ReportItem(tech, "Contoso Flaky").at("attempts"), 2) << tech;
  EXPECT_EQ(report.at("deploymentState"), "successOnRetry");
  std::map<std::string, int> runs = InstallRuns();
  EXPECT_EQ(runs["flaky"], 2);
  for (std::string_view app : kTechnicianApps) EXPECT_EQ(runs[std::string(app)], 1) << app;
}

TEST_F(AgentTest, ANonBlockingFailureInTheTechnicianFlowIsRetriedInTheUserFlow) {
  AddApp({.name = "Contoso Flaky", .slug = "flaky", .before = FailsUntil("flaky.fixed")});
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());

  CommandResult technician = Agent({{"technician", true}});
  ASSERT_EQ(technician.exit_code, 0) << technician.out << technician.err;
  EXPECT_FALSE(Installed("flaky"));
  json::value tech = Session(Report(), "technician");
  EXPECT_EQ(tech.at("deploymentState"), "success") << tech;
  EXPECT_EQ(ReportItem(tech, "Contoso Flaky").at("status"), "failed") << tech;

  Touch(Markers() / "flaky.fixed");
  CommandResult user = Agent({{"password", kAdelePassword}, {"totpSeed", kAdeleSeed}});
  ASSERT_EQ(user.exit_code, 0) << user.out << user.err;
  EXPECT_TRUE(Installed("flaky"));
  const json::value usr = Session(Report(), "user");
  EXPECT_EQ(usr.at("deploymentState"), "success") << usr;
  // Device setup in the user flow: the failed item only, installed this time.
  EXPECT_EQ(PhaseItems(usr, "deviceSetup"), std::set<std::string>{"Contoso Flaky"}) << usr;
  EXPECT_EQ(ReportItem(usr, "Contoso Flaky").at("status"), "succeeded") << usr;
  EXPECT_EQ(InstallRuns()["flaky"], 2);
}

TEST_F(AgentTest, APhaseTimeoutOffersWhatTheProfileAllowsAndContinueAnywaySucceedsWithTimeout) {
  // Account setup holds on a user app; its own limit (120 minutes) is longer than the phase's
  // (the profile's 60 minutes), so the phase clock runs out first.
  EditEsp("allowDeviceUseOnInstallFailure: true");
  AddApp({.name = "Contoso Slow",
          .slug = "slow",
          .before = HeldUntilReleased("slow"),
          .context = "user",
          .group = "Sales users",
          .max_run_minutes = 120});
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());
  ASSERT_EQ(Agent({{"technician", true}}).exit_code, 0);

  test_support::TestClock clock;  // the wall clock's time, until the test moves it
  std::unique_ptr<Process> user = StartAgent({{"password", kAdelePassword},
                                              {"totpSeed", kAdeleSeed},
                                              {"onError", json::array{"continue"}}},
                                             {.extra = {"--test-clock", clock.path().string()}});
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(Markers() / "slow.running"); }))
      << user->out() << user->err();
  clock.Advance(std::chrono::minutes(61));
  ASSERT_TRUE(WaitUntil([&] { return Showed(user->out(), "espError"); }))
      << user->out() << user->err();
  // The timed-out installer is killed (it would wait a minute for its release): the error
  // screen's buttons work at once.
  const auto waiting = std::chrono::steady_clock::now();
  EXPECT_EQ(user->Wait(), 0) << user->out() << user->err();
  EXPECT_LT(std::chrono::steady_clock::now() - waiting, std::chrono::seconds(30));
  Touch(Markers() / "slow.release");

  // Exactly the options of the profile: Try again (not blocked), Continue anyway (allowed),
  // Collect logs (allowed); no Reset (not allowed).
  const json::object error = LastScreenOf(user->out(), "espError");
  EXPECT_NE(FieldOf(error, "Error").find("0x800705B4"), std::string::npos) << error;
  EXPECT_NE(FieldOf(error, "Error").find("Contoso Slow"), std::string::npos) << error;
  EXPECT_NE(json::serialize(error.at("text")).find("Call the Contoso help desk"), std::string::npos)
      << error;
  EXPECT_EQ(Buttons(error),
            (std::vector<std::string>{"tryAgain", "continueAnyway", "collectLogs", "toggleDetails",
                                      "toggleDetails", "toggleDetails"}))
      << error;
  EXPECT_TRUE(Showed(user->out(), "desktop")) << user->out();

  const json::value usr = Session(Report(), "user");
  EXPECT_EQ(usr.at("deploymentState"), "successWithTimeout") << usr;
  EXPECT_EQ(ReportItem(usr, "Contoso Slow", "accountSetup").at("status"), "timedOut") << usr;
  for (const json::value& phase : usr.at("phases").as_array()) {
    if (phase.at("phase") == "accountSetup") {
      EXPECT_EQ(phase.at("status"), "failed") << phase;
    }
  }
}

TEST_F(AgentTest, ResetWipesTheDeviceWhichIsThenProvisionedAgainWithoutTheAdmin) {
  AddApp({.name = "Contoso Flaky",
          .slug = "flaky",
          .before = FailsUntil("flaky.fixed"),
          .blocking = true});
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());

  CommandResult reset = Agent({{"technician", true}, {"onError", json::array{"reset"}}});
  EXPECT_EQ(reset.exit_code, 4) << reset.out << reset.err;
  // The state folder keeps only the device key (it belongs to the hardware) and an empty
  // journal.
  std::set<std::string> left;
  for (const fs::directory_entry& entry : fs::directory_iterator(State())) {
    left.insert(entry.path().filename().string());
  }
  EXPECT_EQ(left, (std::set<std::string>{"device.key", "journal.jsonl"}));
  EXPECT_EQ(fs::file_size(State() / "journal.jsonl"), 0u);

  // A fresh start provisions the device; nobody touched the service's records.
  Touch(Markers() / "flaky.fixed");
  CommandResult again = Agent({{"technician", true}});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(Installed("flaky"));
  EXPECT_TRUE(Showed(again.out, "resealed")) << again.out;

  json::value report = Report();
  // The reset run ended as a failure, then the fresh one succeeded (in that order even when
  // both started in one second), and the device's state is the latest.
  std::vector<std::string> states;
  for (const json::value& session : Sessions(report, "technician")) {
    states.push_back(std::string(session.at("deploymentState").as_string()));
  }
  EXPECT_EQ(states, (std::vector<std::string>{"failure", "success"})) << report;
  EXPECT_EQ(report.at("deploymentState"), "success") << report;
  EXPECT_FALSE(report.at("device").at("resealedDateTime").is_null()) << report;

  // And the user flow finishes it.
  CommandResult user = Agent({{"password", kAdelePassword}, {"totpSeed", kAdeleSeed}});
  EXPECT_EQ(user.exit_code, 0) << user.out << user.err;
}

TEST_F(AgentTest, AnAgentKilledDuringAnInstallResumesWithoutInstallingTwiceOrLosingEvents) {
  // Held until released; it comes after every other app (its dependencies), so that no other
  // installer is running when the agent is killed.
  AddApp({.name = "Contoso Hold",
          .slug = "hold",
          .before = HeldUntilReleased("hold"),
          .dependencies = {"Contoso Runtime", "Contoso Agent", "Contoso VPN Client", "Sales CRM"}});
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());

  std::unique_ptr<Process> agent = StartAgent({{"technician", true}});
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(Markers() / "hold.running"); }))
      << agent->out() << agent->err();
  agent->Kill();
  // The installer outlives the agent (as it would not outlive a power cut) and finishes.
  Touch(Markers() / "hold.release");
  ASSERT_TRUE(WaitUntil([&] { return Installed("hold"); }));

  CommandResult resumed = Agent({{"technician", true}});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_NE(resumed.out.find("Resuming the technician flow"), std::string::npos) << resumed.out;
  EXPECT_TRUE(Showed(resumed.out, "resealed")) << resumed.out;
  std::map<std::string, int> runs = InstallRuns();
  for (std::string_view app : kTechnicianApps) EXPECT_EQ(runs[std::string(app)], 1) << app;
  EXPECT_EQ(runs["hold"], 1) << "detected after the restart, not installed again";

  json::value report = Report();
  ASSERT_EQ(Sessions(report, "technician").size(), 1u) << report;
  const json::value tech = Session(report, "technician");
  EXPECT_EQ(tech.at("deploymentState"), "success") << tech;
  const std::vector<json::value> events = Events(tech);
  EXPECT_EQ(tech.at("eventCount"), events.size());
  EXPECT_EQ(events.size(), QueuedReports(tech)) << "every queued report stored once";
  EXPECT_EQ(CountEvents(events, "phaseStarted", "deviceSetup"), 1);
  EXPECT_EQ(CountEvents(events, "phaseCompleted", "deviceSetup"), 1);
  EXPECT_EQ(CountEvents(events, "flowFinished"), 1);
  for (const json::value& item : tech.at("items").as_array()) {
    const std::string id(item.at("id").as_string());
    const std::string phase(item.at("phase").as_string());
    EXPECT_EQ(item.at("status"), "succeeded") << item;
    EXPECT_EQ(CountEvents(events, "itemSucceeded", phase, id), 1) << item;
    EXPECT_EQ(item.at("attempts"), 1) << "the interrupted install is one attempt: " << item;
  }
}

TEST_F(AgentTest, ASoftRestartEndsTheRunOnceItsPhaseIsCompleteAndTheNextRunGoesOn) {
  // Installs, then asks for a restart (3010, through the exit-code file).
  AddApp({.name = "Contoso Restart",
          .slug = "restart",
          .before = "mkdir -p \"$GROUNDCREW_ROOT/opt/test/restart\"\n"
                    "echo 1.0.0 > \"$GROUNDCREW_ROOT/opt/test/restart/VERSION\"\n"
                    "echo 3010 > \"$GROUNDCREW_EXIT_CODE_FILE\"\n"
                    "exit 1\n"});
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());
  CommandResult first = Agent({{"technician", true}});
  EXPECT_EQ(first.exit_code, 3) << first.out;  // restart requested, Device setup complete
  EXPECT_NE(first.out.find("Contoso Restart"), std::string::npos) << first.out;
  CommandResult second = Agent({{"technician", true}});
  EXPECT_EQ(second.exit_code, 0) << second.out;  // after the restart: the result, Reseal
  EXPECT_TRUE(Showed(second.out, "resealed")) << second.out;
  EXPECT_EQ(InstallRuns()["restart"], 1);
}

// The line of `name` in ROOT/etc/<file> ("" when there is none).
std::string AccountLine(const fs::path& root, const std::string& file, const std::string& name) {
  std::istringstream lines(ReadFile(root / "etc" / file));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(name + ":")) return line;
  }
  return "";
}

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::trunc) << text;
}

TEST_F(AgentTest, TheUserFlowCreatesTheUsersLocalAccountWithThePasswordTheyTyped) {
  ASSERT_EQ(Agent({{"technician", true}}).exit_code, 0);
  EXPECT_FALSE(fs::exists(Root() / "etc/passwd")) << "no account before the user signs in";
  CommandResult user = Agent({{"password", kAdelePassword}, {"totpSeed", kAdeleSeed}});
  ASSERT_EQ(user.exit_code, 0) << user.out << user.err;
  // Contoso's profile makes standard users: not in sudo.
  EXPECT_EQ(AccountLine(Root(), "passwd", "adele-vance"),
            "adele-vance:x:1000:1000:adele.vance,,,,adele.vance@contoso.com:/home/adele-vance:"
            "/bin/sh");
  EXPECT_EQ(AccountLine(Root(), "group", "adele-vance"), "adele-vance:x:1000:");
  EXPECT_EQ(AccountLine(Root(), "group", "sudo"), "");
  EXPECT_TRUE(fs::is_directory(Root() / "home/adele-vance"));
  const std::string shadow = AccountLine(Root(), "shadow", "adele-vance");
  const std::string hash = shadow.substr(12, shadow.find(':', 12) - 12);
  ASSERT_TRUE(hash.starts_with("$y$")) << shadow;
  struct crypt_data data {};
  EXPECT_EQ(std::string(crypt_rn(kAdelePassword, hash.c_str(), &data, sizeof data)), hash);
  // Neither the password nor its hash is in the journal.
  const std::string journal = ReadFile(State() / "journal.jsonl");
  EXPECT_EQ(journal.find(hash), std::string::npos);
  EXPECT_EQ(journal.find(kAdelePassword), std::string::npos);
}

TEST_F(AgentTest, AnAdministratorProfileMakesTheAccountASudoer) {
  ASSERT_NO_FATAL_FAILURE(Edit("userType: standard", "userType: administrator"));
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());
  CommandResult user = Agent({{"password", kAdelePassword}, {"totpSeed", kAdeleSeed}});
  ASSERT_EQ(user.exit_code, 0) << user.out << user.err;
  EXPECT_EQ(AccountLine(Root(), "group", "sudo"), "sudo:x:27:adele-vance");
}

TEST_F(AgentTest, AnAccountThatCannotBeSetUpFailsTheSignInAndTheNextRunSignsInAgain) {
  WriteFile(Root() / "etc/group", "root:x:0\n");
  test_support::TestClock clock;  // moved on before the second run: a fresh code
  const AgentOptions options{.extra = {"--test-clock", clock.path().string()}};
  const json::object answers{{"password", kAdelePassword}, {"totpSeed", kAdeleSeed}};
  CommandResult failed = RunCommand(AgentArgv(answers, options));
  EXPECT_EQ(failed.exit_code, 1) << failed.out;
  EXPECT_NE(failed.out.find("Your account could not be set up on this device: " +
                            (Root() / "etc/group").string() +
                            ": line 1 has 3 fields where 4 are expected: fix the file (pwck, "
                            "grpck) and sign in again"),
            std::string::npos)
      << failed.out;
  EXPECT_EQ(ReadFile(State() / "journal.jsonl").find("userToken"), std::string::npos);
  EXPECT_FALSE(fs::exists(Root() / "etc/passwd"));
  // Fixed: the next run signs in again (the password was never kept) and goes on.
  WriteFile(Root() / "etc/group", "root:x:0:\n");
  clock.Advance(std::chrono::seconds(30));
  CommandResult again = RunCommand(AgentArgv(answers, options));
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(AccountLine(Root(), "passwd", "adele-vance"), "");
}

TEST_F(AgentTest, TheWrongUserIsRefusedAtSignIn) {
  ASSERT_EQ(Agent({{"technician", true}}).exit_code, 0);
  CommandResult wrong = Agent({{"userPrincipalName", "megan.bowen@contoso.com"},
                               {"password", kAdelePassword},
                               {"totpSeed", kAdeleSeed}});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
  EXPECT_NE(NoticeText(LastScreenOf(wrong.out, "signIn")).find("adele.vance@contoso.com"),
            std::string::npos)
      << wrong.out;
}

TEST_F(AgentTest, AProfileThatForbidsPreprovisioningIsRefusedBeforeAnythingIsInstalled) {
  ASSERT_NO_FATAL_FAILURE(Edit("preprovisioningAllowed: true", "preprovisioningAllowed: false"));
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());
  CommandResult refused = Agent({{"technician", true}});
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_NE(refused.out.find("0x80180005"), std::string::npos) << refused.out;
  EXPECT_FALSE(fs::exists(Root() / "opt")) << "nothing installed";
}

TEST_F(AgentTest, AUserWithoutAnAuthenticatorRegistersOneAtSignIn) {
  ASSERT_EQ(Agent({{"technician", true}}).exit_code, 0);
  ASSERT_EQ(Cli({"users", "mfa", "reset", "adele.vance@contoso.com"}).exit_code, 0);
  // No seed in the answers: the agent reads the QR code's URI like an authenticator app.
  CommandResult user = Agent({{"password", kAdelePassword}});
  ASSERT_EQ(user.exit_code, 0) << user.out << user.err;
  EXPECT_TRUE(Showed(user.out, "mfaRegistration")) << user.out;
  EXPECT_EQ(user.out.find("secret="), std::string::npos) << "the enrollment link stays on screen";
  CommandResult state = Cli({"users", "show", "adele.vance@contoso.com", "--json"});
  EXPECT_EQ(json::parse(state.out).at("mfaEnrolled"), true) << state.out;
}

TEST_F(AgentTest, OnATerminalTheLandingAndSuccessScreensWaitForTheTechnician) {
  std::unique_ptr<TerminalSession> tech = OnTerminal();
  ASSERT_TRUE(tech->WaitFor("Welcome")) << tech->Screen();
  EXPECT_EQ(tech->Screen().find("echnician"), std::string::npos)
      << "the first screen does not advertise the technician key: " << tech->Screen();
  tech->Type("wwwww");
  ASSERT_TRUE(tech->WaitFor("What would you like to do?")) << tech->Screen();
  tech->Press("Enter");
  ASSERT_TRUE(tech->WaitFor("Provision (Enter)")) << tech->Screen();
  // The pre-flight checks come in as they are made.
  ASSERT_TRUE(tech->WaitFor("[ OK ] Profile allows pre-provisioning")) << tech->Screen();
  std::string landing = tech->Screen();
  EXPECT_NE(landing.find("Pre-provision with groundcrew"), std::string::npos) << landing;
  EXPECT_NE(landing.find("Contoso pre-provisioned"), std::string::npos) << landing;
  EXPECT_NE(landing.find("adele.vance@contoso.com"), std::string::npos) << landing;
  EXPECT_NE(landing.find("[ OK ] Service reachable"), std::string::npos) << landing;
  EXPECT_NE(landing.find("[ OK ] Profile allows pre-provisioning"), std::string::npos) << landing;
  EXPECT_NE(landing.find("\u2588"), std::string::npos) << "a QR code: " << landing;
  EXPECT_NE(landing.find("Refresh (r)"), std::string::npos) << landing;

  // It waits for the technician: nothing is installed meanwhile.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_FALSE(tech->ExitCode()) << tech->Screen();
  EXPECT_FALSE(fs::exists(Root() / "opt")) << "installed before Provision";

  // An admin changes the device's assigned user; Refresh shows it.
  const std::string id(Report().at("device").at("id").as_string());
  ASSERT_EQ(Cli({"devices", "update", id, "--user", "megan.bowen@contoso.com"}).exit_code, 0);
  tech->Type("r");
  ASSERT_TRUE(tech->WaitFor("megan.bowen@contoso.com")) << tech->Screen();
  ASSERT_TRUE(tech->WaitFor("Provision (Enter)")) << tech->Screen();

  tech->Press("Enter");  // Provision
  ASSERT_TRUE(tech->WaitFor("Pre-provisioning complete", std::chrono::seconds(120)))
      << tech->Screen();
  EXPECT_NE(tech->Screen().find("Reseal (Enter)"), std::string::npos) << tech->Screen();
  EXPECT_TRUE(fs::exists(Root() / "opt/contoso/runtime/VERSION"));
  // The success screen waits for Reseal too.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_FALSE(tech->ExitCode()) << tech->Screen();
  EXPECT_TRUE(Report().at("device").at("resealedDateTime").is_null());
  tech->Press("Enter");  // Reseal
  EXPECT_EQ(tech->Wait(), 0) << tech->Screen();
  EXPECT_FALSE(Report().at("device").at("resealedDateTime").is_null());
  EXPECT_NE(tech->Scrollback().find("Resealed"), std::string::npos)
      << "the summary: " << tech->Scrollback();
}

TEST_F(AgentTest, OnATerminalTheUserSignsInIsToldAboutAWrongPasswordAndChoosesPrivacy) {
  ASSERT_EQ(Agent({{"technician", true}}).exit_code, 0);
  std::unique_ptr<TerminalSession> user = OnTerminal();
  // A resealed device starts with the user's pages: the profile shows the region and keyboard
  // pages (it sets no locale).
  ASSERT_TRUE(user->WaitFor("Is this the right country or region?")) << user->Screen();
  user->Press("Enter");
  ASSERT_TRUE(user->WaitFor("Is this the right keyboard layout")) << user->Screen();
  user->Press("Enter");
  ASSERT_TRUE(user->WaitFor("Welcome to Contoso")) << user->Screen();
  EXPECT_NE(user->Screen().find("adele.vance@contoso.com  (set by your organization)"),
            std::string::npos)
      << user->Screen();
  user->Type("not-the-passphrase");
  EXPECT_TRUE(WaitUntil([&] {
    return std::regex_search(user->Screen(), std::regex("Password: +\\*{18}_"));
  })) << "typed, not shown: "
      << user->Screen();
  user->Press("Enter");
  ASSERT_TRUE(user->WaitFor("password is incorrect")) << user->Screen();
  user->Type(kAdelePassword);
  user->Press("Enter");
  ASSERT_TRUE(user->WaitFor("Enter code")) << user->Screen();
  EXPECT_EQ(user->Screen().find(kAdelePassword), std::string::npos) << "the password was shown";
  user->Type(RunCommand({"/usr/bin/oathtool", "--totp", "-b", kAdeleSeed}).out.substr(0, 6));
  user->Press("Enter");
  ASSERT_TRUE(user->WaitFor("Choose privacy settings for your device", std::chrono::seconds(120)))
      << user->Screen();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_FALSE(user->ExitCode()) << "the privacy screen waits: " << user->Screen();
  EXPECT_FALSE(fs::exists(Root() / "home/adele-vance/.local/share/contoso/notes"))
      << "Account setup waits for privacy";
  user->Press("Enter");  // Accept
  EXPECT_EQ(user->Wait(), 0) << user->Screen();
  EXPECT_TRUE(fs::exists(Root() / "home/adele-vance/.local/share/contoso/notes/VERSION"));
  EXPECT_NE(user->Scrollback().find("Your desktop is ready"), std::string::npos)
      << user->Scrollback();
}

TEST_F(AgentTest, OnATerminalTheUserRegistersTheirAuthenticatorWithAFirstCode) {
  ASSERT_EQ(Agent({{"technician", true}}).exit_code, 0);
  ASSERT_EQ(Cli({"users", "mfa", "reset", "adele.vance@contoso.com"}).exit_code, 0);
  std::unique_ptr<TerminalSession> user = OnTerminal();
  // A resealed device starts with the user's pages: the profile shows the region and keyboard
  // pages (it sets no locale).
  ASSERT_TRUE(user->WaitFor("Is this the right country or region?")) << user->Screen();
  user->Press("Enter");
  ASSERT_TRUE(user->WaitFor("Is this the right keyboard layout")) << user->Screen();
  user->Press("Enter");
  ASSERT_TRUE(user->WaitFor("Welcome to Contoso")) << user->Screen();
  user->Type(kAdelePassword);
  user->Press("Enter");
  ASSERT_TRUE(user->WaitFor("Set up your authenticator app")) << user->Screen();
  const std::string screen = user->Screen();
  EXPECT_NE(screen.find("\u2588"), std::string::npos) << "a QR code: " << screen;
  std::smatch key;
  ASSERT_TRUE(
      std::regex_search(screen, key, std::regex("Key:\\s+([A-Z2-7]{4}(?: [A-Z2-7]{1,4})+)")))
      << screen;
  const std::string secret = std::regex_replace(key.str(1), std::regex(" "), "");

  // Not registered until the user proves they saved it.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_FALSE(user->ExitCode()) << user->Screen();
  auto enrolled = [&] {
    return json::parse(Cli({"users", "show", "adele.vance@contoso.com", "--json"}).out)
        .at("mfaEnrolled");
  };
  EXPECT_EQ(enrolled(), false);
  user->Type("000000");
  user->Press("Enter");
  ASSERT_TRUE(user->WaitFor("That code didn't work")) << user->Screen();
  user->Type(RunCommand({"/usr/bin/oathtool", "--totp", "-b", secret}).out.substr(0, 6));
  user->Press("Enter");
  ASSERT_TRUE(user->WaitFor("Choose privacy settings", std::chrono::seconds(120)))
      << user->Screen();
  EXPECT_EQ(enrolled(), true);
  user->Press("Enter");
  EXPECT_EQ(user->Wait(), 0) << user->Screen();
}

TEST_F(AgentTest, OnATerminalTheErrorScreenOffersExactlyTheProfilesOptions) {
  // A blocking user app that fails until fixed: Account setup fails. The profile allows Try
  // again and Collect logs, not Continue anyway or Reset.
  AddApp({.name = "Contoso Flaky",
          .slug = "flaky",
          .before = FailsUntil("flaky.fixed"),
          .context = "user",
          .group = "Sales users",
          .blocking = true});
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());
  ASSERT_EQ(Agent({{"technician", true}}).exit_code, 0);
  // The sign-in from the answers file; the error screen's decision from the person.
  std::unique_ptr<TerminalSession> user = OnTerminal({{"region", "United States"},
                                                      {"keyboard", "US"},
                                                      {"password", kAdelePassword},
                                                      {"totpSeed", kAdeleSeed},
                                                      {"privacy", "accept"}});
  ASSERT_TRUE(user->WaitFor("Try again (t)", std::chrono::seconds(120))) << user->Screen();
  const std::string error = user->Screen();
  EXPECT_NE(error.find("Collect logs (l)"), std::string::npos) << error;
  EXPECT_EQ(error.find("Continue anyway"), std::string::npos) << error;
  EXPECT_EQ(error.find("Reset"), std::string::npos) << error;
  EXPECT_NE(error.find("Call the Contoso help desk"), std::string::npos) << error;
  user->Type("c");  // not offered: nothing happens
  user->Type("x");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_FALSE(user->ExitCode()) << user->Screen();
  EXPECT_NE(user->Screen().find("Try again (t)"), std::string::npos) << user->Screen();
  Touch(Markers() / "flaky.fixed");
  user->Type("t");
  EXPECT_EQ(user->Wait(std::chrono::seconds(120)), 0) << user->Screen();
  EXPECT_TRUE(Installed("flaky"));
  EXPECT_EQ(Session(Report(), "user").at("deploymentState"), "successOnRetry");
}

TEST_F(AgentTest, OnATerminalAnItemIsInstallingOnceItsContentIsDownloaded) {
  // Held once its content is downloaded (all of it), after every other app.
  AddApp({.name = "Contoso Hold",
          .slug = "hold",
          .before = HeldUntilReleased("hold"),
          .dependencies = {"Contoso Runtime", "Contoso Agent", "Contoso VPN Client", "Sales CRM"}});
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());
  std::unique_ptr<TerminalSession> agent =
      OnTerminal({{"technician", true}, {"provision", true}, {"reseal", true}});
  ASSERT_TRUE(agent->WaitFor("Setting up your device for work")) << agent->Screen();
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(Markers() / "hold.running"); }));
  agent->Type("2");  // Device setup's details
  ASSERT_TRUE(WaitUntil([&] {
    return std::regex_search(agent->Screen(), std::regex("Contoso Hold +Installing"));
  })) << agent->Screen();
  EXPECT_EQ(agent->Screen().find("100%"), std::string::npos) << agent->Screen();
  Touch(Markers() / "hold.release");
  EXPECT_EQ(agent->Wait(), 0) << agent->Screen();
  EXPECT_EQ(ReadFile(State() / "journal.jsonl").find("Installing"), std::string::npos);
}

// The first screen comes before the network: these need no service.
std::vector<std::string> AgentWithoutService(const TempDir& dir) {
  return {AgentPath(),      "oobe",
          "--server",       "http://127.0.0.1:9",
          "--root",         (dir.path() / "root").string(),
          "--state",        (dir.path() / "state").string(),
          "--serial",       kDeviceSerial,
          "--ui",           "terminal",
          "--network-wait", "1"};
}

TEST(AgentOnATerminalTest, NextOnTheFirstScreenGoesOnAsTheUser) {
  TempDir dir;
  TerminalSession agent(AgentWithoutService(dir));
  ASSERT_TRUE(agent.started());
  ASSERT_TRUE(agent.WaitFor("Next (Enter)")) << agent.Screen();
  agent.Type("w");  // one press of the technician key: nothing to see
  agent.Type("x");  // not a key of this screen: ignored
  agent.Press("Enter");
  // The user flow: no network, so the region page comes first, and waits.
  ASSERT_TRUE(agent.WaitFor("Is this the right country or region?")) << agent.Screen();
  EXPECT_FALSE(agent.ExitCode());
  agent.Press("Enter");
  ASSERT_TRUE(agent.WaitFor("Is this the right keyboard layout")) << agent.Screen();
  agent.Press("Enter");
  ASSERT_TRUE(agent.WaitFor("Let's connect you to a network")) << agent.Screen();
  agent.Press("Enter");  // still no network: it says so and waits
  ASSERT_TRUE(agent.WaitFor("Still no connection")) << agent.Screen();
  agent.Press("C-d");  // the person leaves
  EXPECT_EQ(agent.Wait(), 1) << agent.Screen();
}

TEST(AgentOnATerminalTest, TheScreenIsDrawnAgainWhenTheTerminalIsResized) {
  TempDir dir;
  TerminalSession agent(AgentWithoutService(dir), 100, 30);
  ASSERT_TRUE(agent.WaitFor("Next (Enter)")) << agent.Screen();
  agent.Resize(60, 20);
  ASSERT_TRUE(WaitUntil([&] {
    const std::string screen = agent.Screen();
    return screen.find("Next (Enter)") != std::string::npos &&
           std::count(screen.begin(), screen.end(), '\n') == 20;
  })) << agent.Screen();
}

TEST(AgentOnATerminalTest, AnAgentStoppedWhileReadingKeysLeavesTheTerminalAsItFoundIt) {
  for (const std::string_view how : {"Ctrl-C", "SIGTERM", "SIGHUP"}) {
    TempDir dir;
    Pty agent(AgentWithoutService(dir));
    ASSERT_TRUE(agent.WaitFor("Welcome")) << how << ": " << agent.Output();
    // Waiting for a key press: no line mode, no echo.
    ASSERT_TRUE(WaitUntil([&] { return !agent.LineModeWithEcho(); })) << how;
    if (how == "Ctrl-C") {
      agent.Type("\x03");  // the terminal sends SIGINT
    } else {
      agent.Signal(how == "SIGTERM" ? SIGTERM : SIGHUP);
    }
    const int exit = agent.Wait();
    EXPECT_GT(exit, 128) << how << ": ended by the signal, " << agent.Output();
    EXPECT_TRUE(agent.LineModeWithEcho()) << how << ": the terminal was left without echo";
  }
}

TEST_F(AgentTest, AWrongMfaCodeCanBeRetried) {
  ASSERT_EQ(Agent({{"technician", true}}).exit_code, 0);
  // The code typed first is wrong; the authenticator (the seed) gives the right one.
  CommandResult user =
      Agent({{"password", kAdelePassword}, {"totpCode", "000000"}, {"totpSeed", kAdeleSeed}});
  ASSERT_EQ(user.exit_code, 0) << user.out << user.err;
  EXPECT_NE(user.out.find("That code didn't work"), std::string::npos) << user.out;
  EXPECT_TRUE(Showed(user.out, "desktop")) << user.out;
  const json::value usr = Session(Report(), "user");
  EXPECT_EQ(usr.at("deploymentState"), "success") << usr;
  // Device setup had nothing to do (the technician flow did it all): a run of no time.
  for (const json::value& phase : usr.at("phases").as_array()) {
    EXPECT_EQ(phase.at("status"), "complete") << phase;
    EXPECT_TRUE(phase.at("durationSeconds").is_number()) << phase;
    EXPECT_EQ(phase.at("runs"), 1) << phase;
  }
}

TEST_F(AgentTest, RepeatedSignInFailuresLockTheAccount) {
  ASSERT_EQ(daemon_->Stop(), 0);
  daemon_ =
      std::make_unique<Daemon>(data_dir_, std::vector<std::string>{"--lockout-threshold", "3"});
  ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  ASSERT_EQ(Agent({{"technician", true}}).exit_code, 0);

  for (int attempt = 1; attempt <= 3; ++attempt) {
    CommandResult wrong = Agent({{"password", "not-the-passphrase"}, {"totpSeed", kAdeleSeed}});
    EXPECT_EQ(wrong.exit_code, 1) << wrong.out << wrong.err;
    const std::string notice = NoticeText(LastScreenOf(wrong.out, "signIn"));
    EXPECT_EQ(notice.find("locked"), std::string::npos) << attempt << ": " << notice;
    EXPECT_NE(notice.find("password is incorrect"), std::string::npos) << attempt << ": " << notice;
    // Few tries left: the page says how many (the third locks the account).
    const std::string left[] = {"2 more wrong passwords will lock this account",
                                "1 more wrong password will lock this account", ""};
    if (attempt < 3) {
      EXPECT_NE(notice.find(left[attempt - 1]), std::string::npos) << attempt << ": " << notice;
    } else {
      EXPECT_EQ(notice.find("more wrong password"), std::string::npos) << notice;
    }
  }
  // Locked now: even the right password is refused, and the sign-in page says why.
  CommandResult locked = Agent({{"password", kAdelePassword}, {"totpSeed", kAdeleSeed}});
  EXPECT_EQ(locked.exit_code, 1) << locked.out << locked.err;
  EXPECT_NE(NoticeText(LastScreenOf(locked.out, "signIn")).find("locked"), std::string::npos)
      << locked.out;
  EXPECT_FALSE(fs::exists(Root() / "home/adele-vance/.local/share/contoso/notes"))
      << "no user item without a sign-in";
}

TEST_F(AgentTest, TheServiceGoingAwayDuringDeviceSetupIsWaitedFor) {
  // Two held apps, one after the other and after every other app.
  AddApp({.name = "Contoso Hold",
          .slug = "hold",
          .before = HeldUntilReleased("hold"),
          .dependencies = {"Contoso Runtime", "Contoso Agent", "Contoso VPN Client", "Sales CRM"}});
  AddApp({.name = "Contoso Later",
          .slug = "later",
          .before = HeldUntilReleased("later"),
          .dependencies = {"Contoso Hold"}});
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());
  std::unique_ptr<Process> agent = StartAgent({{"technician", true}});

  // Away while an app installs: its end is reported later, and the next app's content waits
  // for the service.
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(Markers() / "hold.running"); }))
      << agent->out() << agent->err();
  ASSERT_EQ(daemon_->Stop(), 0);
  Touch(Markers() / "hold.release");
  ASSERT_TRUE(WaitUntil([&] {
    return ItemStates(agent->out(), "Contoso Later").size() > 1;  // no longer waiting
  })) << agent->out()
      << agent->err();
  std::this_thread::sleep_for(std::chrono::seconds(1));  // its download fails meanwhile
  ASSERT_TRUE(daemon_->Restart()) << daemon_->log();

  // Away when Device setup ends: the reseal waits for the service.
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(Markers() / "later.running"); }))
      << agent->out() << agent->err();
  ASSERT_EQ(daemon_->Stop(), 0);
  Touch(Markers() / "later.release");
  ASSERT_TRUE(WaitUntil([&] {
    return agent->out().find("Can't reach your organization's service") != std::string::npos;
  })) << agent->out()
      << agent->err();
  EXPECT_TRUE(agent->Running());
  ASSERT_TRUE(daemon_->Restart()) << daemon_->log();
  ASSERT_EQ(agent->Wait(), 0) << agent->out() << agent->err();
  EXPECT_TRUE(Showed(agent->out(), "resealed")) << agent->out();
  EXPECT_TRUE(Installed("hold"));
  EXPECT_TRUE(Installed("later"));

  json::value report = Report();
  EXPECT_FALSE(report.at("device").at("resealedDateTime").is_null()) << report;
  const json::value tech = Session(report, "technician");
  EXPECT_EQ(tech.at("deploymentState"), "success") << tech;
  const std::vector<json::value> events = Events(tech);
  EXPECT_EQ(events.size(), QueuedReports(tech)) << "every queued report stored once";
  EXPECT_EQ(CountEvents(events, "phaseCompleted", "deviceSetup"), 1);
  EXPECT_EQ(CountEvents(events, "flowFinished"), 1);
  for (const json::value& item : tech.at("items").as_array()) {
    EXPECT_EQ(item.at("status"), "succeeded") << item;
    EXPECT_EQ(CountEvents(events, "itemSucceeded", std::string(item.at("phase").as_string()),
                          std::string(item.at("id").as_string())),
              1)
        << item;
  }
  // The second app did wait for its content (its install log, STATE/logs/<id>.log).
  const std::string later(ReportItem(tech, "Contoso Later").at("id").as_string());
  EXPECT_NE(ReadFile(State() / "logs" / (later + ".log")).find("content not available yet"),
            std::string::npos);
}

}  // namespace
}  // namespace groundcrew::integration

// Interruptions end to end: the real groundcrewd and groundcrew-agent when something gets in the
// way. The service restarts after taking the MFA code but before the device reads its answer
// (a proxy in the middle loses that answer); the admin changes a failing item before the
// technician presses Retry; a device that the service refuses at the landing screen; the
// diagnostics archive from the error screen, kept through Reset and downloaded by the admin.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "identity/device_key.hpp"
#include "identity/secret_box.hpp"
#include "tests/integration/agent_fixture.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/losing_proxy.hpp"

namespace groundcrew::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

using proxy_detail::Lower;

// ---------------------------------------------------------------------------------------------

class InterruptionsTest : public AgentFixture {
 protected:
  std::string DeviceId() { return std::string(Report().at("device").at("id").as_string()); }
};

// Installer steps: fails with 1603 (through $GROUNDCREW_EXIT_CODE_FILE), every time.
constexpr const char* kAlwaysFails = "echo 1603 > \"$GROUNDCREW_EXIT_CODE_FILE\"\nexit 1\n";

TEST_F(InterruptionsTest, TheServiceRestartingAfterTakingTheMfaCodeMeansSigningInAgain) {
  AgentRun technician = RunAgent({{"technician", true}});
  ASSERT_EQ(technician.exit_code, 0) << technician.out << technician.err;
  const std::string device = DeviceId();

  Daemon& daemon = *daemon_;
  std::atomic<bool> restarted{false};
  LosingProxy proxy([&] { return daemon.port(); },
                    std::regex("^POST /v1/agent/devices/" + device + "/signIn/[^ /?]+ "),
                    [&] {
                      // The service answered the code; it restarts before the answer arrives.
                      const int stopped = daemon.Stop();
                      restarted = stopped == 0 && daemon.Restart();
                    });
  ASSERT_NE(proxy.port(), 0);

  AgentRun user = RunAgent({{"password", kAdelePassword}, {"totpSeed", kAdeleSeed}},
                           {.server = proxy.url()}, std::chrono::seconds(60));
  ASSERT_TRUE(proxy.lost()) << "the code was never sent: " << user.out << user.err;
  ASSERT_TRUE(restarted) << daemon.log();
  EXPECT_EQ(user.exit_code, 0) << user.out << user.err;
  EXPECT_TRUE(Showed(user.out, "desktop")) << user.out;
  // Asked to sign in again: the sign-in page twice, the second time saying why.
  EXPECT_EQ(TimesShown(user.out, "signIn"), 2) << user.out;
  EXPECT_NE(user.out.find("sign in again"), std::string::npos) << user.out;

  // What the service answered, challenge by challenge: the code was accepted once for each;
  // (the agent sends the code again at once: its HTTP client retries a request once on a fresh
  // connection when a kept-alive one closes, and the service is back by then);
  // the first answer was lost, and the code sent again for that challenge was refused as the
  // challenge was gone (401 on challengeId).
  std::map<std::string, std::vector<LosingProxy::Exchange>> by_challenge;
  std::vector<std::string> challenges;  // in order
  int sign_ins = 0;
  for (const LosingProxy::Exchange& exchange : proxy.exchanges()) {
    std::smatch match;
    if (std::regex_search(exchange.request_line, match,
                          std::regex("^POST /v1/agent/devices/[^/]+/signIn/([^ /?]+) "))) {
      if (!by_challenge.contains(match.str(1))) challenges.push_back(match.str(1));
      by_challenge[match.str(1)].push_back(exchange);
    } else if (std::regex_search(exchange.request_line,
                                 std::regex("^POST /v1/agent/devices/[^/]+/signIn "))) {
      ++sign_ins;
    }
  }
  EXPECT_EQ(sign_ins, 2);
  ASSERT_EQ(challenges.size(), 2u);
  for (const std::string& challenge : challenges) {
    int accepted = 0;
    for (const LosingProxy::Exchange& exchange : by_challenge[challenge]) {
      if (exchange.status == 200 && exchange.body.find("\"signedIn\"") != std::string::npos) {
        ++accepted;
      }
    }
    EXPECT_EQ(accepted, 1) << challenge;
  }
  const std::vector<LosingProxy::Exchange>& first = by_challenge[challenges[0]];
  ASSERT_GE(first.size(), 2u);
  EXPECT_EQ(first[0].status, 200);
  EXPECT_FALSE(first[0].delivered);
  EXPECT_EQ(first[1].status, 401) << first[1].body;
  EXPECT_NE(first[1].body.find("\"challengeId\""), std::string::npos) << first[1].body;
  EXPECT_NE(first[1].body.find("sign in again"), std::string::npos) << first[1].body;
  EXPECT_TRUE(by_challenge[challenges[1]].back().delivered);

  const json::value usr = Session(Report(), "user");
  EXPECT_EQ(usr.at("deploymentState"), "success") << usr;
  const std::vector<json::value> events = Events(usr);
  EXPECT_EQ(CountEvents(events, "flowFinished"), 1);
  EXPECT_EQ(InstallRuns()["notes"], 1) << "the user's app";
}

TEST_F(InterruptionsTest, RetryInstallsTheItemAsTheAdminChangedItAfterTheFailure) {
  ASSERT_NO_FATAL_FAILURE(AddApp({.name = "Contoso Broken",
                                  .slug = "broken",
                                  .content_file = "broken-1.0.0.sh",
                                  .script = "printf '%s\\n' broken-1.0.0 >> "
                                            "\"$GROUNDCREW_ROOT/installs.log\"\n" +
                                            std::string(kAlwaysFails),
                                  .blocking = true}));
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());

  AgentRun failed = RunAgent({{"technician", true}});
  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  EXPECT_TRUE(Showed(failed.out, "provisioningFailed")) << failed.out;
  EXPECT_EQ(ReportItem(Session(Report(), "technician"), "Contoso Broken").at("status"), "failed");

  // The admin fixes the app: new content, a new version.
  const std::string fixed =
      "set -eu\n"
      "printf '%s\\n' broken-1.0.1 >> \"$GROUNDCREW_ROOT/installs.log\"\n"
      "touch \"$GROUNDCREW_ROOT/broken-1.0.1.ran\"\n"
      "mkdir -p \"$GROUNDCREW_ROOT/opt/test/broken\"\n"
      "echo 1.0.1 > \"$GROUNDCREW_ROOT/opt/test/broken/VERSION\"\n";
  std::ofstream(tenant_ / "broken-1.0.1.sh") << fixed;
  ASSERT_NO_FATAL_FAILURE(Edit("displayVersion: \"1.0.0\"", "displayVersion: \"1.0.1\""));
  ASSERT_NO_FATAL_FAILURE(Edit("VERSION, value: \"1.0.0\"", "VERSION, value: \"1.0.1\""));
  ASSERT_NO_FATAL_FAILURE(Edit("broken-1\\.0\\.0\\.sh", "broken-1.0.1.sh"));
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());

  AgentRun retried = RunAgent({{"technician", true}, {"onError", json::array{"retry"}}});
  ASSERT_EQ(retried.exit_code, 0) << retried.out << retried.err;
  EXPECT_TRUE(Showed(retried.out, "resealed")) << retried.out;
  EXPECT_TRUE(fs::exists(Root() / "broken-1.0.1.ran"));
  EXPECT_EQ(ReadFile(Root() / "opt/test/broken/VERSION"), "1.0.1\n");
  std::map<std::string, int> runs = InstallRuns();
  EXPECT_EQ(runs["broken-1.0.0"], 1) << "the old content ran in the first run only";
  EXPECT_EQ(runs["broken-1.0.1"], 1);
  for (const char* app : {"runtime", "agent", "vpn-client", "sales-crm"}) {
    EXPECT_EQ(runs[app], 1) << app << " installed once";
  }

  const json::value report = Report();
  ASSERT_EQ(Sessions(report, "technician").size(), 1u) << "Retry goes on in the same session";
  const json::value tech = Session(report, "technician");
  EXPECT_EQ(ReportItem(tech, "Contoso Broken").at("status"), "succeeded") << tech;
  EXPECT_EQ(ReportItem(tech, "Contoso Broken").at("attempts"), 2) << tech;
  EXPECT_EQ(tech.at("deploymentState"), "successOnRetry") << tech;
}

TEST_F(InterruptionsTest, ADeviceWhoseRegistrationWasNeverImportedIsRefusedAtOnce) {
  const fs::path state = temp_.path() / "unregistered";
  Register(state, "GC-9001", /*import=*/false);
  AgentRun refused = RunAgent({{"technician", true}}, {.state = state, .serial = "GC-9001"},
                              std::chrono::seconds(60));
  EXPECT_NE(refused.exit_code, 0) << refused.out << refused.err;
  EXPECT_NE(refused.exit_code, -1) << "still running after a minute: " << refused.out;
  EXPECT_LT(refused.elapsed, std::chrono::seconds(20)) << refused.out;
  // The refusal is shown at the landing: the failed check names the reason, and so does the
  // error.
  const json::object landing = LastScreenOf(refused.out, "landing");
  bool named = false;
  if (const json::value* checks = landing.if_contains("checks")) {
    for (const json::value& check : checks->as_array()) {
      const json::value* detail = check.as_object().if_contains("detail");
      if (check.at("passed") == false && detail != nullptr && detail->is_string() &&
          detail->as_string().find("GC-9001 is registered") != std::string::npos) {
        named = true;
      }
    }
  }
  EXPECT_TRUE(named) << refused.out;
  EXPECT_NE(NoticeText(landing).find("0x80180005"), std::string::npos) << refused.out;
  EXPECT_NE(NoticeText(landing).find("import its registration"), std::string::npos) << refused.out;
  EXPECT_FALSE(fs::exists(Root() / "opt")) << "nothing installed";
}

TEST_F(InterruptionsTest, AProfileThatForbidsPreprovisioningIsRefusedAtOnce) {
  ASSERT_NO_FATAL_FAILURE(Edit("preprovisioningAllowed: true", "preprovisioningAllowed: false"));
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());
  AgentRun refused = RunAgent({{"technician", true}});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_LT(refused.elapsed, std::chrono::seconds(20)) << refused.out;
  EXPECT_NE(refused.out.find("0x80180005"), std::string::npos) << refused.out;
  EXPECT_FALSE(fs::exists(Root() / "opt")) << "nothing installed";
  EXPECT_EQ(ReadFile(Root() / "installs.log"), "") << "no installer ran";
}

// Every member of `value` whose name holds "token" (any case), at any depth, with its value.
void TokenMembers(const json::value& value, std::vector<std::pair<std::string, json::value>>& out) {
  if (value.is_object()) {
    for (const auto& member : value.as_object()) {
      if (Lower(std::string(member.key())).find("token") != std::string::npos) {
        out.emplace_back(std::string(member.key()), member.value());
      }
      TokenMembers(member.value(), out);
    }
  } else if (value.is_array()) {
    for (const json::value& element : value.as_array()) TokenMembers(element, out);
  }
}

// Extracts `archive` into `into` and checks it holds a redacted journal.jsonl: every member
// named like a token is "[redacted]" (or a boolean or null), and no file holds a PEM block, a
// signed token, the Wi-Fi key of the Contoso tenant, Adele's password or seed, or any of
// `secrets`.
void ExpectRedactedArchive(const fs::path& archive, const fs::path& into,
                           const std::vector<std::string>& secrets) {
  fs::create_directories(into);
  CommandResult tar = RunCommand({"/bin/tar", "-xzf", archive.string(), "-C", into.string()});
  ASSERT_EQ(tar.exit_code, 0) << tar.err;
  ASSERT_TRUE(fs::exists(into / "journal.jsonl"));
  std::istringstream lines(ReadFile(into / "journal.jsonl"));
  int records = 0;
  for (std::string line; std::getline(lines, line);) {
    boost::system::error_code ec;
    const json::value record = json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    ++records;
    std::vector<std::pair<std::string, json::value>> tokens;
    TokenMembers(record, tokens);
    for (const auto& [name, value] : tokens) {
      EXPECT_TRUE(IsText(value, "[redacted]") || value.is_bool() || value.is_null())
          << name << ": " << value;
    }
  }
  EXPECT_GT(records, 0);
  std::vector<std::string> forbidden = {"-----BEGIN", "PRIVATE KEY", "demo-only-not-a-secret",
                                        kAdelePassword, kAdeleSeed};
  forbidden.insert(forbidden.end(), secrets.begin(), secrets.end());
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(into)) {
    if (!entry.is_regular_file()) continue;
    const std::string text = ReadFile(entry.path());
    for (const std::string& secret : forbidden) {
      EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << entry.path();
    }
    EXPECT_FALSE(std::regex_search(text, std::regex("eyJ[A-Za-z0-9_-]{8,}\\.")))
        << "a signed token in " << entry.path();
  }
}

// The archives in `folder`.
std::vector<fs::path> ArchivesIn(const fs::path& folder) {
  std::vector<fs::path> archives;
  if (!fs::is_directory(folder)) return archives;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder)) {
    archives.push_back(entry.path());
  }
  return archives;
}

TEST_F(InterruptionsTest, DiagnosticsOutliveResetAreRedactedAndReachTheAdmin) {
  ASSERT_NO_FATAL_FAILURE(AddApp(
      {.name = "Contoso Broken", .slug = "broken", .before = kAlwaysFails, .blocking = true}));
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());

  AgentRun reset =
      RunAgent({{"technician", true}, {"onError", json::array{"diagnostics", "reset"}}});
  ASSERT_EQ(reset.exit_code, 4) << reset.out << reset.err;

  // Kept by the reset: one archive, 0600, in a 0700 folder.
  const fs::path folder = State() / "diagnostics";
  ASSERT_TRUE(fs::is_directory(folder)) << reset.out;
  EXPECT_EQ(test_support::ModeOf(folder), 0700);
  const std::vector<fs::path> archives = ArchivesIn(folder);
  ASSERT_EQ(archives.size(), 1u);
  const fs::path archive = archives[0];
  EXPECT_TRUE(
      std::regex_match(archive.filename().string(), std::regex("diagnostics-[0-9]+\\.tar\\.gz")))
      << archive;
  EXPECT_EQ(test_support::ModeOf(archive), 0600);

  // What it holds: the journal, redacted.
  ASSERT_NO_FATAL_FAILURE(ExpectRedactedArchive(archive, temp_.path() / "extracted", {}));
  EXPECT_NE(ReadFile(temp_.path() / "extracted" / "journal.jsonl").find("Contoso Broken"),
            std::string::npos)
      << "the failure is in it";

  // The admin lists it and downloads the very same bytes, 0600.
  CommandResult listed = Cli({"devices", "diagnostics", kDeviceSerial, "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.out << listed.err;
  const json::value listing = json::parse(listed.out);
  ASSERT_EQ(listing.at("value").as_array().size(), 1u) << listed.out;
  EXPECT_TRUE(IsText(listing.at("value").at(0).at("fileName"), archive.filename().string()))
      << listed.out;
  CommandResult table = Cli({"devices", "diagnostics", kDeviceSerial});
  EXPECT_EQ(table.exit_code, 0) << table.out << table.err;
  EXPECT_NE(table.out.find(archive.filename().string()), std::string::npos) << table.out;
  const fs::path downloaded = temp_.path() / "downloaded.tar.gz";
  CommandResult download =
      Cli({"devices", "diagnostics", kDeviceSerial, "--download", "-o", downloaded.string()});
  ASSERT_EQ(download.exit_code, 0) << download.out << download.err;
  EXPECT_EQ(ReadFile(downloaded), ReadFile(archive));
  EXPECT_EQ(test_support::ModeOf(downloaded), 0600);
}

TEST_F(InterruptionsTest, DiagnosticsOfTheUserFlowHideTheUsersToken) {
  // A blocking user app that always fails: Account setup fails, and the user collects logs.
  ASSERT_NO_FATAL_FAILURE(AddApp({.name = "Contoso Broken",
                                  .slug = "broken",
                                  .before = kAlwaysFails,
                                  .context = "user",
                                  .group = "Sales users",
                                  .blocking = true}));
  ASSERT_NO_FATAL_FAILURE(ApplyTenant());
  AgentRun technician = RunAgent({{"technician", true}});
  ASSERT_EQ(technician.exit_code, 0) << technician.out << technician.err;
  AgentRun user = RunAgent({{"password", kAdelePassword},
                            {"totpSeed", kAdeleSeed},
                            {"onError", json::array{"collectLogs"}}});
  EXPECT_EQ(user.exit_code, 1) << user.out << user.err;
  EXPECT_TRUE(Showed(user.out, "espError")) << user.out;

  // The user's token, as the agent keeps it: sealed in its journal under the device key.
  auto device_key = identity::FileDeviceKey::OpenOrCreate(State());
  ASSERT_TRUE(device_key);
  auto sealing_key = identity::DeriveSealingKey(**device_key, "journal");
  ASSERT_TRUE(sealing_key);
  std::string token;
  std::istringstream lines(ReadFile(State() / "journal.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    const json::value record = json::parse(line);
    if (!IsText(record.at("t"), "userToken")) continue;
    auto opened = identity::Unseal(*sealing_key, record.at("token").at("sealed").as_string());
    ASSERT_TRUE(opened) << opened.error().message;
    token = *opened;
  }
  ASSERT_FALSE(token.empty()) << "the journal keeps the user's token";
  EXPECT_EQ(ReadFile(State() / "journal.jsonl").find(token), std::string::npos);

  const std::vector<fs::path> archives = ArchivesIn(State() / "diagnostics");
  ASSERT_EQ(archives.size(), 1u) << user.out;
  EXPECT_EQ(test_support::ModeOf(archives[0]), 0600);
  ASSERT_NO_FATAL_FAILURE(ExpectRedactedArchive(archives[0], temp_.path() / "extracted", {token}));
  EXPECT_NE(ReadFile(temp_.path() / "extracted" / "journal.jsonl").find("\"userToken\""),
            std::string::npos)
      << "the record is there, its token redacted";
}

}  // namespace
}  // namespace groundcrew::integration

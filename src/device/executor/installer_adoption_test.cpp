// An agent killed while an installer runs, started again at once: the installer outlives it
// and the next run adopts it (waits for it, or takes its exit status) instead of starting a
// second one beside it. The "agent" killed here is a child process of the test running Apply.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "device/executor/installer_records.hpp"
#include "device/executor/process.hpp"
#include "device/executor/real_executor.hpp"
#include "identity/sha256.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace groundcrew::executor {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test_support::ModeOf;
using test_support::ReadText;
using test_support::TempDir;
using test_support::WaitUntil;
using test_support::WriteText;

constexpr char kId[] = "app-held";

// Counts its run (ROOT/var/runs), says it runs (ROOT/var/running), waits for ROOT/var/release
// (10 s at most, then fails with 99), installs ROOT/opt/contoso/VERSION, counts its finish
// (ROOT/var/done), then does `ending`.
std::string HeldInstaller(const std::string& ending = "exit 0\n") {
  return "set -e\n"
         "mkdir -p \"$GROUNDCREW_ROOT/var\"\n"
         "echo run >> \"$GROUNDCREW_ROOT/var/runs\"\n"
         "echo \"started $$\"\n"
         "touch \"$GROUNDCREW_ROOT/var/running\"\n"
         "i=0\n"
         "while [ ! -e \"$GROUNDCREW_ROOT/var/release\" ]; do\n"
         "  i=$((i + 1)); [ \"$i\" -lt 200 ] || exit 99; sleep 0.05\n"
         "done\n"
         "echo released\n"
         "mkdir -p \"$GROUNDCREW_ROOT/opt/contoso\"\n"
         "echo 2.4.1 > \"$GROUNDCREW_ROOT/opt/contoso/VERSION\"\n"
         "echo done >> \"$GROUNDCREW_ROOT/var/done\"\n" +
         ending;
}

class InstallerAdoptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root());
    AddApp(HeldInstaller());
    executor_ = MakeExecutor(std::chrono::seconds(20));
  }

  void TearDown() override {
    // An installer a failed test left waiting ends now.
    WriteText(root() / "var/release", "");
  }

  std::unique_ptr<RealExecutor> MakeExecutor(milliseconds time_limit) {
    RealExecutorOptions options;
    options.time_limit = time_limit;
    options.detection_time_limit = std::chrono::seconds(5);
    options.path = "/usr/bin:/bin";
    return std::make_unique<RealExecutor>(
        root(), state(), content_, CertificateIssuer{},
        [this](std::string_view, std::string_view line) {
          std::lock_guard lock(log_mutex_);
          log_ += std::string(line) + "\n";
        },
        options);
  }

  fs::path root() const { return base_.path() / "root"; }
  fs::path state() const { return base_.path() / "state"; }
  fs::path store() const { return base_.path() / "store"; }

  core::App& AddApp(const std::string& script) {
    core::App app;
    app.id = core::AppId(kId);
    app.display_name = "Contoso Held";
    app.display_version = "2.4.1";
    app.content.file_name = "install.sh";
    app.content.sha256 = identity::Sha256Hex(script);
    app.content.size = static_cast<long long>(script.size());
    app.install_command_line = "sh install.sh";
    app.uninstall_command_line = "rm -rf \"$GROUNDCREW_ROOT/opt/contoso\"";
    WriteText(store() / app.content.sha256, script);
    payloads_.Add(std::move(app));
    return payloads_.apps.at(kId);
  }

  static core::PlanItem Item() {
    core::PlanItem item;
    item.kind = core::ItemKind::kApp;
    item.id = kId;
    item.display_name = "Contoso Held";
    return item;
  }

  Result<ItemResult> Apply(const ApplyContext& context = {}) {
    return executor_->Apply(Item(), payloads_, context, {});
  }

  // What an agent killed in the middle of an install leaves: Apply runs in a child process (the
  // agent), which is killed (SIGKILL) once the installer runs. Then the agent "starts again":
  // a fresh executor over the same folders, with `time_limit`.
  void ApplyInAnAgentKilledMidInstall(milliseconds time_limit = std::chrono::seconds(20)) {
    const pid_t agent = ::fork();
    if (agent == 0) {
      (void)executor_->Apply(Item(), payloads_, {}, {});
      ::_exit(0);
    }
    ASSERT_GT(agent, 0);
    const bool running =
        WaitUntil([&] { return fs::exists(root() / "var/running"); }, std::chrono::seconds(10));
    ::kill(agent, SIGKILL);
    ::waitpid(agent, nullptr, 0);
    ASSERT_TRUE(running) << "the installer never started";
    executor_ = MakeExecutor(time_limit);
  }

  // How often the installer started, and how often it finished.
  int Lines(const char* file) const {
    const std::string text = ReadText(root() / "var" / file);
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }
  int Runs() const { return Lines("runs"); }
  int Finishes() const { return Lines("done"); }

  // The recorded installer's process group (0 when there is no record).
  pid_t RecordedGroup() const {
    const InstallerRecords records(state() / "running");
    Result<std::optional<InstallerRecord>> record = records.Find(kId);
    return record && *record ? records.GroupOf(**record) : 0;
  }

  bool NothingRecorded() const {
    std::error_code ec;
    return fs::is_empty(state() / "running", ec) || !fs::exists(state() / "running");
  }

  std::string Log() {
    std::lock_guard lock(log_mutex_);
    return log_;
  }

  void ReleaseAfter(milliseconds delay) {
    releaser_ = std::jthread([this, delay] {
      std::this_thread::sleep_for(delay);
      WriteText(root() / "var/release", "");
    });
  }

  TempDir base_;
  DirectoryContentSource content_{base_.path() / "store"};
  std::unique_ptr<RealExecutor> executor_;
  Payloads payloads_;
  std::mutex log_mutex_;
  std::string log_;
  std::jthread releaser_;
};

TEST_F(InstallerAdoptionTest, AnInstallRecordsItsInstallerUntilItsOutcomeIsConsumed) {
  ReleaseAfter(milliseconds(500));
  // The record, once it names the process group.
  std::optional<std::string> record;
  std::jthread watcher([&] {
    WaitUntil(
        [&] {
          const std::string text = ReadText(state() / "running" / "app-held.json");
          if (text.empty() || text.find("\"processGroup\":0,") != std::string::npos) return false;
          record = text;
          return true;
        },
        std::chrono::seconds(10));
  });
  Result<ItemResult> result = Apply();
  watcher.join();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->succeeded()) << result->message;
  ASSERT_TRUE(record.has_value()) << "no record while the installer ran";
  EXPECT_NE(record->find("\"itemId\":\"app-held\""), std::string::npos) << *record;
  EXPECT_NE(record->find("\"version\":\"2.4.1\""), std::string::npos) << *record;
  EXPECT_NE(record->find("\"startedMs\":"), std::string::npos) << *record;
  EXPECT_TRUE(NothingRecorded()) << "the record outlived the outcome";
  EXPECT_TRUE(executor_->PendingInstallers().empty());
}

TEST_F(InstallerAdoptionTest, TheNextRunWaitsForTheInstallerTheKilledAgentLeftRunning) {
  ASSERT_NO_FATAL_FAILURE(ApplyInAnAgentKilledMidInstall());
  EXPECT_EQ(ModeOf(state() / "running" / "app-held.json"), 0600);
  const pid_t group = RecordedGroup();
  ASSERT_GT(group, 0);
  EXPECT_EQ(executor_->PendingInstallers(), std::vector<std::string>{kId});

  ReleaseAfter(milliseconds(500));
  const auto start = std::chrono::steady_clock::now();
  Result<ItemResult> result = Apply();
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kSucceeded) << result->message;
  EXPECT_FALSE(result->detected) << "the adopted installer's outcome, not detection";
  EXPECT_GE(waited, milliseconds(400)) << "did not wait for the installer";
  EXPECT_EQ(Runs(), 1) << "a second installer was started";
  EXPECT_EQ(Finishes(), 1);
  const std::string log = Log();
  EXPECT_NE(log.find("adopting the install command"), std::string::npos) << log;
  EXPECT_NE(log.find("process group " + std::to_string(group)), std::string::npos) << log;
  // Its output from the start, including what it wrote after the agent died.
  EXPECT_NE(log.find("started "), std::string::npos) << log;
  EXPECT_NE(log.find("released"), std::string::npos) << log;
  EXPECT_TRUE(executor_->PendingInstallers().empty());
  EXPECT_TRUE(NothingRecorded());
}

TEST_F(InstallerAdoptionTest, AnInstallerThatFinishedMeanwhileGivesItsOutcomeWithoutRunningAgain) {
  // Asks for a soft restart through the exit-code file: the same mapping as a run of its own.
  AddApp(HeldInstaller("echo 3010 > \"$GROUNDCREW_EXIT_CODE_FILE\"\nexit 0\n"));
  ASSERT_NO_FATAL_FAILURE(ApplyInAnAgentKilledMidInstall());
  WriteText(root() / "var/release", "");
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(state() / "running" / "app-held.status"); },
                        std::chrono::seconds(10)));
  EXPECT_EQ(executor_->PendingInstallers(), std::vector<std::string>{kId});

  const auto start = std::chrono::steady_clock::now();
  Result<ItemResult> result = Apply();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kSucceeded) << result->message;
  EXPECT_EQ(result->reboot, core::RebootKind::kSoft) << result->message;
  EXPECT_EQ(Runs(), 1);
  EXPECT_NE(Log().find("which has ended"), std::string::npos) << Log();
  EXPECT_TRUE(NothingRecorded());
}

TEST_F(InstallerAdoptionTest, AFailureOfTheAdoptedInstallerIsTheItemsFailure) {
  AddApp(HeldInstaller("echo 1603 > \"$GROUNDCREW_EXIT_CODE_FILE\"\nexit 1\n"));
  ASSERT_NO_FATAL_FAILURE(ApplyInAnAgentKilledMidInstall());
  ReleaseAfter(milliseconds(200));
  Result<ItemResult> result = Apply();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed) << result->message;
  EXPECT_EQ(result->code, 1603);
  EXPECT_EQ(Runs(), 1);
}

TEST_F(InstallerAdoptionTest, AnInstallerKilledWithoutAnExitStatusRunsAgainOnce) {
  ASSERT_NO_FATAL_FAILURE(ApplyInAnAgentKilledMidInstall());
  const pid_t group = RecordedGroup();
  ASSERT_GT(group, 0);
  ::kill(-group, SIGKILL);  // e.g. an administrator, or the power
  ASSERT_TRUE(WaitUntil([&] { return !LeadsProcessGroup(group); }, std::chrono::seconds(5)));
  EXPECT_TRUE(executor_->PendingInstallers().empty()) << "nothing to continue";

  WriteText(root() / "var/release", "");
  Result<ItemResult> result = Apply();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kSucceeded) << result->message;
  EXPECT_EQ(Runs(), 2);
  EXPECT_EQ(Finishes(), 1);
  EXPECT_NE(Log().find("ended without an exit status"), std::string::npos) << Log();
  EXPECT_TRUE(NothingRecorded());
}

TEST_F(InstallerAdoptionTest, AnotherVersionsInstallerIsKilledAndTheNewOneRuns) {
  ASSERT_NO_FATAL_FAILURE(ApplyInAnAgentKilledMidInstall());
  const pid_t old_group = RecordedGroup();
  ASSERT_GT(old_group, 0);
  payloads_.apps.at(kId).display_version = "2.5.0";

  ReleaseAfter(milliseconds(500));
  Result<ItemResult> result = Apply();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kSucceeded) << result->message;
  EXPECT_EQ(Runs(), 2);
  EXPECT_NE(Log().find("killing the install command of version 2.4.1"), std::string::npos) << Log();
  EXPECT_FALSE(LeadsProcessGroup(old_group));
  // Had the old installer survived, it would have seen the release too.
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(Finishes(), 1);
  EXPECT_TRUE(NothingRecorded());
}

TEST_F(InstallerAdoptionTest, AStopWhileWaitingKillsTheAdoptedInstaller) {
  ASSERT_NO_FATAL_FAILURE(ApplyInAnAgentKilledMidInstall());
  const pid_t group = RecordedGroup();
  ASSERT_GT(group, 0);
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(milliseconds(300));
    stop.request_stop();
  });
  ApplyContext context;
  context.stop = stop.get_token();
  Result<ItemResult> result = Apply(context);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kAborted);
  EXPECT_TRUE(WaitUntil([&] { return !LeadsProcessGroup(group); }, std::chrono::seconds(5)));
  WriteText(root() / "var/release", "");
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(Finishes(), 0) << "the adopted installer survived the stop";
  EXPECT_TRUE(NothingRecorded());
}

TEST_F(InstallerAdoptionTest, TheTimeLimitCountsFromTheAdoptedInstallersStart) {
  ASSERT_NO_FATAL_FAILURE(ApplyInAnAgentKilledMidInstall(milliseconds(1500)));
  const pid_t group = RecordedGroup();
  ASSERT_GT(group, 0);
  std::this_thread::sleep_for(milliseconds(700));  // the agent takes its time to start again
  const auto start = std::chrono::steady_clock::now();
  Result<ItemResult> result = Apply();
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1300))
      << "the limit counted from the adoption, not from the installer's start";
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed) << result->message;
  EXPECT_EQ(result->code, core::kTimeoutErrorCode);
  EXPECT_TRUE(WaitUntil([&] { return !LeadsProcessGroup(group); }, std::chrono::seconds(5)));
  EXPECT_EQ(Runs(), 1);
  EXPECT_TRUE(NothingRecorded());
}

}  // namespace
}  // namespace groundcrew::executor

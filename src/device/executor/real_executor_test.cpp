#include "device/executor/real_executor.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "device/executor/network_keyfile.hpp"
#include "identity/ca.hpp"
#include "identity/sha256.hpp"
#include "tests/support/files.hpp"

namespace groundcrew::executor {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test_support::ModeOf;
using test_support::ReadText;
using test_support::TempDir;
using test_support::WriteText;
using Kind = core::DetectionRule::Kind;

constexpr char kPsk[] = "s3cret-contoso-psk";

// Installs (or, with "uninstall" as $1, removes) $GROUNDCREW_ROOT/opt/<name>, counting runs in
// $GROUNDCREW_ROOT/var/runs and recording the working folder; ends with `exit_code`, as its exit
// status or, with `via_file`, written to $GROUNDCREW_EXIT_CODE_FILE.
std::string Script(int exit_code, bool via_file = false) {
  return "set -e\n"
         "mkdir -p \"$GROUNDCREW_ROOT/var\"\n"
         "echo \"${1:-install}\" >> \"$GROUNDCREW_ROOT/var/runs\"\n"
         "pwd > \"$GROUNDCREW_ROOT/var/cwd\"\n"
         "echo \"user=${GROUNDCREW_USER:-none} home=${GROUNDCREW_HOME:-none}\" > "
         "\"$GROUNDCREW_ROOT/var/env\"\n"
         "if [ \"$1\" = uninstall ]; then rm -rf \"$GROUNDCREW_ROOT/opt/contoso\"; else\n"
         "  mkdir -p \"$GROUNDCREW_ROOT/opt/contoso\"\n"
         "  echo 2.4.1 > \"$GROUNDCREW_ROOT/opt/contoso/VERSION\"\n"
         "fi\n"
         "echo \"installer output for $GROUNDCREW_ROOT\"\n"
         "echo 'to stderr' >&2\n" +
         (via_file ? "echo " + std::to_string(exit_code) + " > \"$GROUNDCREW_EXIT_CODE_FILE\"\n"
                   : "exit " + std::to_string(exit_code) + "\n");
}

core::DetectionRule FileExists(std::string path) {
  core::DetectionRule rule;
  rule.kind = Kind::kFileExists;
  rule.path = std::move(path);
  return rule;
}

class RealExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto ca = identity::CertificateAuthority::Create("Contoso Test CA", now,
                                                     std::chrono::hours(24 * 800));
    ASSERT_TRUE(ca) << ca.error().message;
    ca_ = std::make_unique<identity::CertificateAuthority>(std::move(*ca));
    executor_ = MakeExecutor(std::chrono::seconds(20));
    fs::create_directories(root());
  }

  std::unique_ptr<RealExecutor> MakeExecutor(milliseconds time_limit) {
    RealExecutorOptions options;
    options.time_limit = time_limit;
    options.detection_time_limit = std::chrono::seconds(5);
    options.path = "/usr/bin:/bin";
    return std::make_unique<RealExecutor>(
        root(), state(), content_,
        [this](const core::CertificateProfile& profile, std::string csr) -> Result<std::string> {
          return Issue(profile, std::move(csr));
        },
        [this](std::string_view id, std::string_view line) {
          std::lock_guard lock(log_mutex_);
          log_.emplace_back(std::string(id), std::string(line));
        },
        options);
  }

  Result<std::string> Issue(const core::CertificateProfile&, std::string csr) {
    csrs_.push_back(csr);
    if (issuer_error_) return *issuer_error_;
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return ca_->IssueFromCsr(csr, std::nullopt, 365, now, identity::RandomSerialNumber());
  }

  fs::path root() const { return base_.path() / "root"; }
  fs::path state() const { return base_.path() / "state"; }
  fs::path store() const { return base_.path() / "store"; }

  // An app whose content is `script`, run as `sh install.sh` (uninstall: `... uninstall`).
  core::App& AddApp(const std::string& id, const std::string& script) {
    core::App app;
    app.id = core::AppId(id);
    app.display_name = "Contoso " + id;
    app.display_version = "2.4.1";
    app.content.file_name = "install.sh";
    app.content.sha256 = identity::Sha256Hex(script);
    app.content.size = static_cast<long long>(script.size());
    app.install_command_line = "sh install.sh";
    app.uninstall_command_line = "sh install.sh uninstall";
    WriteText(store() / app.content.sha256, script);
    payloads_.Add(std::move(app));
    return payloads_.apps.at(id);
  }

  static core::PlanItem ItemFor(core::ItemKind kind, const std::string& id,
                                core::ItemAction action = core::ItemAction::kInstall) {
    core::PlanItem item;
    item.kind = kind;
    item.id = id;
    item.display_name = "Item " + id;
    item.action = action;
    return item;
  }

  Result<ItemResult> Apply(const core::PlanItem& item, const ApplyContext& context = {}) {
    return executor_->Apply(item, payloads_, context,
                            [this](std::uint64_t done, std::uint64_t) { last_progress_ = done; });
  }

  int Runs() const {
    const std::string runs = ReadText(root() / "var/runs");
    return static_cast<int>(std::count(runs.begin(), runs.end(), '\n'));
  }

  std::vector<std::string> LogLinesOf(const std::string& id) {
    std::lock_guard lock(log_mutex_);
    std::vector<std::string> lines;
    for (const auto& [item, line] : log_) {
      if (item == id) lines.push_back(line);
    }
    return lines;
  }

  std::string AllLogs() {
    std::lock_guard lock(log_mutex_);
    std::string all;
    for (const auto& entry : log_) all += entry.second + "\n";
    return all;
  }

  TempDir base_;
  DirectoryContentSource content_{base_.path() / "store"};
  std::unique_ptr<identity::CertificateAuthority> ca_;
  std::vector<std::string> csrs_;
  std::optional<Error> issuer_error_;
  std::unique_ptr<RealExecutor> executor_;
  Payloads payloads_;
  std::uint64_t last_progress_ = 0;
  std::mutex log_mutex_;
  std::vector<std::pair<std::string, std::string>> log_;
};

TEST_F(RealExecutorTest, InstallsAnAppFromItsContentFolderWithTheRootSet) {
  const core::App& app = AddApp("app-1", Script(0));
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kApp, "app-1"));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kSucceeded) << result->message;
  EXPECT_EQ(result->reboot, core::RebootKind::kNone);
  EXPECT_FALSE(result->detected);
  EXPECT_NE(result->message.find("app-1"), std::string::npos) << result->message;
  EXPECT_EQ(Runs(), 1);
  EXPECT_TRUE(fs::exists(root() / "opt/contoso/VERSION"));
  const fs::path content_folder = state() / "content" / app.content.sha256;
  EXPECT_EQ(ReadText(root() / "var/cwd"), content_folder.string() + "\n");
  EXPECT_EQ(ReadText(content_folder / "install.sh"), Script(0));
  EXPECT_EQ(last_progress_, static_cast<std::uint64_t>(app.content.size));

  // Output goes to the item's log file and to the sink, line by line.
  const std::string log_file = ReadText(state() / "logs/app-1.log");
  EXPECT_NE(log_file.find("installer output for " + root().string() + "\n"), std::string::npos)
      << log_file;
  EXPECT_NE(log_file.find("to stderr\n"), std::string::npos);
  EXPECT_EQ(ModeOf(state() / "logs/app-1.log"), 0600);
  const std::vector<std::string> lines = LogLinesOf("app-1");
  EXPECT_NE(std::find(lines.begin(), lines.end(), "installer output for " + root().string()),
            lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "to stderr"), lines.end());
}

struct ExitCase {
  std::string name;
  int exit_code;  ///< what the script ends with
  bool via_file;  ///< written to $GROUNDCREW_EXIT_CODE_FILE rather than exited with
  ItemResult::Outcome outcome;
  core::RebootKind reboot;
  int reported_code;  ///< the failure or retry code reported
};

class ReturnCodeTest : public RealExecutorTest, public ::testing::WithParamInterface<ExitCase> {};

TEST_P(ReturnCodeTest, ClassifiesTheExitCode) {
  const ExitCase c = GetParam();
  AddApp("app-rc", Script(c.exit_code, c.via_file));
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kApp, "app-rc"));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->outcome, c.outcome) << result->message;
  EXPECT_EQ(result->reboot, c.reboot);
  if (c.outcome != ItemResult::Outcome::kSucceeded) {
    EXPECT_EQ(result->code, c.reported_code);
    EXPECT_NE(result->message.find("app-rc"), std::string::npos);
    EXPECT_NE(result->message.find(std::to_string(c.reported_code)), std::string::npos);
  }
  EXPECT_EQ(Runs(), 1);
}

using Outcome = ItemResult::Outcome;
using Reboot = core::RebootKind;
INSTANTIATE_TEST_SUITE_P(
    Win32Defaults, ReturnCodeTest,
    ::testing::Values(ExitCase{"Exit0", 0, false, Outcome::kSucceeded, Reboot::kNone, 0},
                      ExitCase{"Exit1707", 1707, false, Outcome::kSucceeded, Reboot::kNone, 0},
                      ExitCase{"Exit3010", 3010, false, Outcome::kSucceeded, Reboot::kSoft, 0},
                      ExitCase{"Exit1641", 1641, false, Outcome::kSucceeded, Reboot::kHard, 0},
                      ExitCase{"Exit1618", 1618, false, Outcome::kRetry, Reboot::kNone, 1618},
                      ExitCase{"Exit1", 1, false, Outcome::kFailed, Reboot::kNone, 1},
                      // 1603 is not a listed code: its low byte, 67, is all the agent sees.
                      ExitCase{"Exit1603", 1603, false, Outcome::kFailed, Reboot::kNone, 67},
                      ExitCase{"File1603", 1603, true, Outcome::kFailed, Reboot::kNone, 1603},
                      ExitCase{"File3010", 3010, true, Outcome::kSucceeded, Reboot::kSoft, 0},
                      ExitCase{"File1618", 1618, true, Outcome::kRetry, Reboot::kNone, 1618}),
    [](const ::testing::TestParamInfo<ExitCase>& info) { return info.param.name; });

TEST(Win32ExitCodeTest, MapsExitStatusesToListedCodes) {
  const std::vector<core::ReturnCode> codes = core::DefaultReturnCodes();
  EXPECT_EQ(Win32ExitCode(codes, 0), 0);
  EXPECT_EQ(Win32ExitCode(codes, 3010 & 0xff), 3010);
  EXPECT_EQ(Win32ExitCode(codes, 1641 & 0xff), 1641);
  EXPECT_EQ(Win32ExitCode(codes, 1618 & 0xff), 1618);
  EXPECT_EQ(Win32ExitCode(codes, 1), 1);
  EXPECT_EQ(Win32ExitCode(codes, 67), 67);
  // An exact match wins over a low byte.
  const std::vector<core::ReturnCode> custom = {{194, core::ReturnCodeType::kFailed},
                                                {3010, core::ReturnCodeType::kSoftReboot}};
  EXPECT_EQ(Win32ExitCode(custom, 194), 194);
}

TEST_F(RealExecutorTest, AMalformedExitCodeFileIsIgnored) {
  AddApp("app-garbled", "echo soon > \"$GROUNDCREW_EXIT_CODE_FILE\"; exit 0\n");
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kApp, "app-garbled"));
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded()) << result->message;
  EXPECT_NE(ReadText(state() / "logs/app-garbled.log").find("is not an integer"),
            std::string::npos);
}

TEST_F(RealExecutorTest, TheAppsOwnReturnCodesWin) {
  core::App& app = AddApp("app-custom", Script(7));
  app.return_codes = {{0, core::ReturnCodeType::kSuccess}, {7, core::ReturnCodeType::kSoftReboot}};
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kApp, "app-custom"));
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded()) << result->message;
  EXPECT_EQ(result->reboot, core::RebootKind::kSoft);
}

TEST_F(RealExecutorTest, AnAlreadyInstalledAppIsDetectedAndNotRun) {
  core::App& app = AddApp("app-det", Script(0));
  app.detection_rules = {FileExists("/opt/contoso/VERSION")};
  WriteText(root() / "opt/contoso/VERSION", "2.4.1\n");
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kApp, "app-det"));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->succeeded());
  EXPECT_TRUE(result->detected);
  EXPECT_EQ(Runs(), 0);
  EXPECT_FALSE(fs::exists(state() / "content" / app.content.sha256 / "install.sh"))
      << "content is not even downloaded";
}

TEST_F(RealExecutorTest, ASecondInstallIsDetected) {
  core::App& app = AddApp("app-twice", Script(0));
  app.detection_rules = {FileExists("/opt/contoso/VERSION")};
  Result<ItemResult> first = Apply(ItemFor(core::ItemKind::kApp, "app-twice"));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->succeeded());
  EXPECT_FALSE(first->detected);
  Result<ItemResult> second = Apply(ItemFor(core::ItemKind::kApp, "app-twice"));
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->detected);
  EXPECT_EQ(Runs(), 1);
}

TEST_F(RealExecutorTest, InstalledButNotDetectedFails) {
  core::App& app = AddApp("app-nodet", Script(0));
  app.detection_rules = {FileExists("/opt/contoso/NOT-WRITTEN")};
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kApp, "app-nodet"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(result->code, kNotDetectedAfterInstallCode);
  EXPECT_NE(result->message.find("installed but not detected"), std::string::npos);
  EXPECT_EQ(Runs(), 1);
}

TEST_F(RealExecutorTest, DetectsEveryKindOfRule) {
  core::App& app = AddApp("app-kinds", Script(0));
  const core::PlanItem item = ItemFor(core::ItemKind::kApp, "app-kinds");
  core::DetectionRule hash{Kind::kFileHash, "/opt/contoso/VERSION", identity::Sha256Hex("2.4.1\n"),
                           ""};
  core::DetectionRule version{Kind::kFileVersion, "/opt/contoso/VERSION", "2.4", ""};
  core::DetectionRule command{Kind::kCommand, "", "",
                              "grep -q 2.4 \"$GROUNDCREW_ROOT/opt/contoso/VERSION\""};
  const std::vector<core::DetectionRule> rules = {FileExists("/opt/contoso/VERSION"), hash, version,
                                                  command};
  app.detection_rules = rules;
  EXPECT_FALSE(*executor_->Detect(item, payloads_, {}));
  WriteText(root() / "opt/contoso/VERSION", "2.4.1\n");
  EXPECT_TRUE(*executor_->Detect(item, payloads_, {}));
  for (size_t i = 0; i < rules.size(); ++i) {
    app.detection_rules = {rules[i]};
    EXPECT_TRUE(*executor_->Detect(item, payloads_, {})) << "rule " << i;
  }
  app.detection_rules = rules;
  WriteText(root() / "opt/contoso/VERSION", "2.3.9\n");
  EXPECT_FALSE(*executor_->Detect(item, payloads_, {}));
  EXPECT_EQ(Runs(), 0);
}

TEST_F(RealExecutorTest, AMalformedDetectionRuleFailsTheItem) {
  core::App& app = AddApp("app-badrule", Script(0));
  app.detection_rules = {FileExists("/opt/../../etc/passwd")};
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kApp, "app-badrule"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(result->code, kGenericFailureCode);
  EXPECT_NE(result->message.find("detectionRules[0].path"), std::string::npos) << result->message;
  EXPECT_EQ(Runs(), 0);
  Result<bool> detected =
      executor_->Detect(ItemFor(core::ItemKind::kApp, "app-badrule"), payloads_, {});
  ASSERT_FALSE(detected);
  EXPECT_EQ(detected.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(RealExecutorTest, UninstallRunsTheUninstallCommandUnlessAlreadyAbsent) {
  core::App& app = AddApp("app-un", Script(0));
  app.detection_rules = {FileExists("/opt/contoso/VERSION")};
  const core::PlanItem uninstall =
      ItemFor(core::ItemKind::kApp, "app-un", core::ItemAction::kUninstall);
  Result<ItemResult> absent = Apply(uninstall);
  ASSERT_TRUE(absent);
  EXPECT_TRUE(absent->detected);
  EXPECT_EQ(Runs(), 0);

  WriteText(root() / "opt/contoso/VERSION", "2.4.1\n");
  Result<ItemResult> removed = Apply(uninstall);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_TRUE(removed->succeeded()) << removed->message;
  EXPECT_FALSE(removed->detected);
  EXPECT_EQ(ReadText(root() / "var/runs"), "uninstall\n");
  EXPECT_FALSE(fs::exists(root() / "opt/contoso"));
}

TEST_F(RealExecutorTest, AnUninstallThatLeavesTheAppFails) {
  core::App& app = AddApp("app-stays", Script(0));
  app.uninstall_command_line = "true";
  app.detection_rules = {FileExists("/opt/contoso/VERSION")};
  WriteText(root() / "opt/contoso/VERSION", "2.4.1\n");
  Result<ItemResult> result =
      Apply(ItemFor(core::ItemKind::kApp, "app-stays", core::ItemAction::kUninstall));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(result->code, kNotDetectedAfterInstallCode);
}

TEST_F(RealExecutorTest, TheTimeLimitKillsTheInstaller) {
  executor_ = MakeExecutor(milliseconds(300));
  AddApp("app-slow", "echo starting; sleep 30 & sleep 30\n");
  const auto start = std::chrono::steady_clock::now();
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kApp, "app-slow"));
  ASSERT_TRUE(result);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(result->code, core::kTimeoutErrorCode);
  EXPECT_NE(result->message.find("time limit of 300 ms"), std::string::npos) << result->message;
  EXPECT_NE(result->message.find("app-slow"), std::string::npos);
}

TEST_F(RealExecutorTest, AStopRequestAbortsTheInstall) {
  AddApp("app-stop", "sleep 30\n");
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(milliseconds(200));
    stop.request_stop();
  });
  ApplyContext context;
  context.stop = stop.get_token();
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kApp, "app-stop"), context);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kAborted);
  EXPECT_NE(result.error().message.find("app-stop"), std::string::npos);
}

TEST_F(RealExecutorTest, AnInstallerKilledBySignalFails) {
  AddApp("app-killed", "kill -KILL $$\n");
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kApp, "app-killed"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(result->code, 128 + 9);
}

// Records who runs it, in the user's home ($GROUNDCREW_HOME) or, without one,
// $GROUNDCREW_ROOT/var, and asks for a soft reboot through $GROUNDCREW_EXIT_CODE_FILE.
constexpr char kWhoAmIScript[] =
    "set -e\n"
    "out=\"${GROUNDCREW_HOME:-$GROUNDCREW_ROOT/var}\"\n"
    "mkdir -p \"$out\"\n"
    "echo \"user=${GROUNDCREW_USER:-none} home=${GROUNDCREW_HOME:-none} HOME=${HOME:-none} "
    "uid=$(id -u) gid=$(id -g) groups=$(id -G)\" > \"$out/env\"\n"
    "echo 3010 > \"$GROUNDCREW_EXIT_CODE_FILE\"\n";

TEST_F(RealExecutorTest, UserContextAppsRunAsTheUserInTheirHome) {
  if (::geteuid() != 0) GTEST_SKIP() << "an agent that is not root runs installers as itself";
  // A device's / is 0755; mkdtemp made this folder 0700, which the user could not traverse.
  fs::permissions(root().parent_path(), fs::perms(0755));
  fs::permissions(root(), fs::perms(0755));
  AddApp("app-user", kWhoAmIScript);
  core::PlanItem item = ItemFor(core::ItemKind::kApp, "app-user");
  item.context = core::InstallContext::kUser;
  ApplyContext context;
  context.user_name = "adele";

  // No account (yet): nobody to run as but the agent.
  Result<ItemResult> result = Apply(item, context);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->reboot, core::RebootKind::kSoft) << result->message;
  EXPECT_EQ(ReadText(root() / "var/env"), "user=adele home=none HOME=none uid=0 gid=0 groups=0\n");

  WriteText(root() / "etc/passwd",
            "root:x:0:0::/root:/bin/sh\n"
            "adele:x:1000:1000::/home/adele:/bin/bash\n");
  WriteText(root() / "etc/group", "root:x:0:\nusers:x:100:adele\nadele:x:1000:\n");
  const fs::path home = root() / "home/adele";
  fs::create_directories(home);
  fs::permissions(home, fs::perms(0700));
  ASSERT_EQ(::chown(home.c_str(), 1000, 1000), 0);
  result = Apply(item, context);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded()) << result->message;
  EXPECT_EQ(result->reboot, core::RebootKind::kSoft) << "the exit code reached the agent";
  EXPECT_EQ(ReadText(home / "env"), "user=adele home=" + home.string() + " HOME=" + home.string() +
                                        " uid=1000 gid=1000 groups=1000 100\n");
  struct stat st {};
  ASSERT_EQ(::stat((home / "env").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u) << "a file a user's app makes in their home is theirs";
  EXPECT_EQ(st.st_gid, 1000u);

  // A device-context app still runs as root.
  item.context = core::InstallContext::kDevice;
  ASSERT_TRUE(Apply(item, context));
  EXPECT_EQ(ReadText(root() / "var/env"), "user=none home=none HOME=none uid=0 gid=0 groups=0\n");
}

TEST_F(RealExecutorTest, AnAppWithoutContentRunsInTheRoot) {
  core::App app;
  app.id = core::AppId("app-nocontent");
  app.install_command_line = "pwd > marker";
  payloads_.Add(app);
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kApp, "app-nocontent"));
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded()) << result->message;
  EXPECT_EQ(ReadText(root() / "marker"), root().string() + "\n");
}

TEST_F(RealExecutorTest, AContentMismatchFailsNamingTheApp) {
  core::App& app = AddApp("app-corrupt", Script(0));
  WriteText(store() / app.content.sha256, "tampered content!");
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kApp, "app-corrupt"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(result->code, kContentMismatchCode);
  EXPECT_NE(result->message.find("app-corrupt"), std::string::npos) << result->message;
  EXPECT_NE(result->message.find(app.content.sha256), std::string::npos);
  const fs::path folder = state() / "content" / app.content.sha256;
  EXPECT_FALSE(fs::exists(folder / "install.sh"));
  EXPECT_FALSE(fs::exists(folder / "install.sh.partial"));
  EXPECT_EQ(Runs(), 0);
}

// Serves content from memory through DownloadWithResume, recording the offsets asked for, and
// breaking after `break_after` bytes once.
class FlakyContent final : public ContentSource {
 public:
  explicit FlakyContent(std::string bytes) : bytes_(std::move(bytes)) {}
  Status Fetch(std::string_view sha256, std::uint64_t size, const fs::path& destination,
               const ProgressFn& progress) override {
    const RangeFetcher fetch = [this](std::uint64_t offset, const ChunkSink& sink) -> Status {
      offsets.push_back(offset);
      std::string_view rest = std::string_view(bytes_).substr(offset);
      if (break_after) {
        const size_t n = *break_after;
        break_after.reset();
        if (Status s = sink(rest.substr(0, n)); !s) return s;
        return MakeError(ErrorCode::kUnavailable, "cannot reach http://groundcrew: timed out");
      }
      return sink(rest);
    };
    return DownloadWithResume(sha256, size, destination, fetch, progress);
  }
  std::vector<std::uint64_t> offsets;
  std::optional<size_t> break_after;

 private:
  std::string bytes_;
};

TEST_F(RealExecutorTest, AnUnreachableContentSourceIsTransientAndTheDownloadResumes) {
  const std::string script = Script(0);
  FlakyContent flaky(script);
  flaky.break_after = 20;
  RealExecutor executor(root(), state(), flaky, {}, {});
  core::App app = AddApp("app-flaky", script);
  const core::PlanItem item = ItemFor(core::ItemKind::kApp, "app-flaky");

  Result<ItemResult> first = executor.Apply(item, payloads_, {}, {});
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(first.error().message.find("app-flaky"), std::string::npos);
  const fs::path partial = state() / "content" / app.content.sha256 / "install.sh.partial";
  EXPECT_EQ(ReadText(partial), script.substr(0, 20));
  EXPECT_EQ(Runs(), 0);

  Result<ItemResult> second = executor.Apply(item, payloads_, {}, {});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->succeeded()) << second->message;
  EXPECT_EQ(flaky.offsets, (std::vector<std::uint64_t>{0, 20}));
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_EQ(Runs(), 1);
}

TEST_F(RealExecutorTest, AppsRunConcurrentlyEvenWhenTheyShareContent) {
  const std::string shared =
      "mkdir -p \"$GROUNDCREW_ROOT/opt\"; sleep 0.2; "
      "echo ok > \"$GROUNDCREW_ROOT/opt/$ITEM\"\n";
  for (int i = 0; i < 4; ++i) {
    core::App& app = AddApp("app-c" + std::to_string(i), shared);
    app.install_command_line = "ITEM=app-c" + std::to_string(i) + " sh install.sh";
  }
  std::vector<Result<ItemResult>> results(4, MakeError(ErrorCode::kInternal, "not run"));
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&, i] {
        results[static_cast<size_t>(i)] = executor_->Apply(
            ItemFor(core::ItemKind::kApp, "app-c" + std::to_string(i)), payloads_, {}, {});
      });
    }
  }
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(results[static_cast<size_t>(i)]) << results[static_cast<size_t>(i)].error().message;
    EXPECT_TRUE(results[static_cast<size_t>(i)]->succeeded());
    EXPECT_TRUE(fs::exists(root() / "opt" / ("app-c" + std::to_string(i))));
  }
}

TEST_F(RealExecutorTest, PoliciesWriteTheirSettingsAndRecordAndUninstallRemovesThem) {
  core::Policy policy;
  policy.id = core::PolicyId("pol-1");
  policy.display_name = "Screen lock";
  policy.version = 3;
  policy.settings_json = R"({"screenLock.idleMinutes": 5, "screenLock.enabled": true})";
  payloads_.Add(policy);
  const core::PlanItem item = ItemFor(core::ItemKind::kPolicy, "pol-1");
  EXPECT_FALSE(*executor_->Detect(item, payloads_, {}));
  Result<ItemResult> result = Apply(item);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded()) << result->message;
  EXPECT_EQ(result->message,
            "policy \"Item pol-1\" (pol-1): wrote /etc/dconf/db/local.d/50-groundcrew-screen-lock, "
            "/etc/dconf/db/local.d/locks/50-groundcrew-screen-lock, /etc/dconf/profile/user");
  const fs::path record = root() / "etc/groundcrew/policies/pol-1.json";
  EXPECT_EQ(executor_->PolicyPath("pol-1"), record);
  EXPECT_EQ(ReadText(record),
            R"({"displayName":"Screen lock","version":3,"settings":{"screenLock.enabled":true,)"
            R"("screenLock.idleMinutes":5}})"
            "\n");
  EXPECT_EQ(ModeOf(record), 0600);
  const fs::path keyfile = root() / "etc/dconf/db/local.d/50-groundcrew-screen-lock";
  EXPECT_NE(ReadText(keyfile).find("idle-delay=uint32 300\n"), std::string::npos);
  EXPECT_TRUE(*executor_->Detect(item, payloads_, {}));
  Result<ItemResult> again = Apply(item);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->message,
            "policy \"Item pol-1\" (pol-1): the settings in force were already on the device");

  payloads_.policies.at("pol-1").settings_json = R"({"screenLock.idleMinutes": 10})";
  EXPECT_FALSE(*executor_->Detect(item, payloads_, {})) << "a changed policy is not present";

  ASSERT_TRUE(Apply(ItemFor(core::ItemKind::kPolicy, "pol-1", core::ItemAction::kUninstall)));
  EXPECT_FALSE(fs::exists(record));
  EXPECT_FALSE(fs::exists(keyfile)) << "no policy sets the screen lock: the system default";
  // Removing what is not there is fine.
  Result<ItemResult> removed =
      Apply(ItemFor(core::ItemKind::kPolicy, "pol-1", core::ItemAction::kUninstall));
  ASSERT_TRUE(removed);
  EXPECT_TRUE(removed->succeeded());
  EXPECT_EQ(AllLogs().find("idle-delay=uint32"), std::string::npos) << "files are not logged";
}

TEST_F(RealExecutorTest, APolicyThatDisagreesWithAnAppliedOneFailsNamingBoth) {
  core::Policy baseline;
  baseline.id = core::PolicyId("pol-1");
  baseline.display_name = "Contoso baseline";
  baseline.settings_json = R"({"screenLock.idleMinutes": 10})";
  payloads_.Add(baseline);
  core::Policy kiosk;
  kiosk.id = core::PolicyId("pol-2");
  kiosk.display_name = "Kiosk lock";
  kiosk.settings_json = R"({"screenLock.idleMinutes": 5, "sysctl.tcpSynCookies": true})";
  payloads_.Add(kiosk);
  ASSERT_TRUE(Apply(ItemFor(core::ItemKind::kPolicy, "pol-1"))->succeeded());

  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kPolicy, "pol-2"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(result->code, kGenericFailureCode);
  EXPECT_EQ(result->message,
            "policy \"Item pol-2\" (pol-2): Setting screenLock.idleMinutes is 10 in \"Contoso "
            "baseline\" and 5 in \"Kiosk lock\"");
  EXPECT_FALSE(fs::exists(root() / "etc/groundcrew/policies/pol-2.json"));
  EXPECT_FALSE(fs::exists(root() / "etc/sysctl.d/50-groundcrew.conf")) << "nothing changes";
  EXPECT_FALSE(*executor_->Detect(ItemFor(core::ItemKind::kPolicy, "pol-2"), payloads_, {}));
}

TEST_F(RealExecutorTest, AUserContextPolicyIsTheSignedInUsersAndNeedsTheirAccount) {
  core::Policy policy;
  policy.id = core::PolicyId("pol-u");
  policy.display_name = "Sales desktop";
  policy.settings_json = R"({"screenLock.idleMinutes": 5, "ssh.passwordAuthentication": false})";
  payloads_.Add(policy);
  core::PlanItem item = ItemFor(core::ItemKind::kPolicy, "pol-u");
  item.context = core::InstallContext::kUser;
  ApplyContext context;
  context.user_name = "adele";

  // Account setup made the account before the user's items: without it, the item fails.
  Result<ItemResult> result = Apply(item, context);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(result->message,
            "policy \"Item pol-u\" (pol-u): the user's account adele is not on the device");
  EXPECT_FALSE(*executor_->Detect(item, payloads_, context));

  WriteText(root() / "etc/passwd",
            "root:x:0:0::/root:/bin/sh\nadele:x:1000:1000::/home/adele:/bin/bash\n");
  result = Apply(item, context);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded()) << result->message;
  EXPECT_EQ(result->message,
            "policy \"Item pol-u\" (pol-u): wrote /etc/ssh/sshd_config.d/50-groundcrew.conf, "
            "/etc/dconf/db/groundcrew-user-1000.d/50-groundcrew-screen-lock, "
            "/etc/dconf/db/groundcrew-user-1000.d/locks/50-groundcrew-screen-lock, "
            "/run/dconf/user/1000, /etc/tmpfiles.d/groundcrew-dconf.conf");
  EXPECT_TRUE(fs::exists(root() / "etc/groundcrew/policies/users/adele/pol-u.json"));
  EXPECT_FALSE(fs::exists(root() / "etc/dconf/db/local.d/50-groundcrew-screen-lock"));
  EXPECT_TRUE(*executor_->Detect(item, payloads_, context));
  // The same policy in device context is another record, not applied yet.
  item.context = core::InstallContext::kDevice;
  EXPECT_FALSE(*executor_->Detect(item, payloads_, context));
  item.context = core::InstallContext::kUser;

  item.action = core::ItemAction::kUninstall;
  result = Apply(item, context);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded()) << result->message;
  EXPECT_FALSE(fs::exists(root() / "etc/groundcrew/policies/users/adele/pol-u.json"));
  EXPECT_FALSE(fs::exists(root() / "etc/dconf/db/groundcrew-user-1000.d"));
  EXPECT_FALSE(fs::exists(root() / "etc/ssh/sshd_config.d/50-groundcrew.conf"));
}

TEST_F(RealExecutorTest, APolicyWhoseSettingsTheCatalogDoesNotKnowFailsNamingTheField) {
  core::Policy policy;
  policy.id = core::PolicyId("pol-1");
  policy.display_name = "From before the catalog";
  policy.settings_json = R"({"screenLockMinutes": 5, "screenLock.idleMinutes": 90})";
  payloads_.Add(policy);
  const core::PlanItem item = ItemFor(core::ItemKind::kPolicy, "pol-1");
  Result<ItemResult> result = Apply(item);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(result->message,
            "policy \"Item pol-1\" (pol-1): settings.screenLockMinutes: is not a setting of the "
            "catalog (docs/agent.md, \"Settings catalog\"); settings.screenLock.idleMinutes: must "
            "be a whole number from 1 to 60. Change the policy to the settings catalog "
            "(docs/agent.md) and apply it again");
  EXPECT_FALSE(fs::exists(root() / "etc/groundcrew/policies/pol-1.json"));
  EXPECT_FALSE(*executor_->Detect(item, payloads_, {}));
  // Its uninstall needs no settings.
  Result<ItemResult> removed =
      Apply(ItemFor(core::ItemKind::kPolicy, "pol-1", core::ItemAction::kUninstall));
  ASSERT_TRUE(removed);
  EXPECT_TRUE(removed->succeeded()) << removed->message;
}

TEST_F(RealExecutorTest, RefusesIdsThatAreNotFileNames) {
  core::Policy policy;
  policy.id = core::PolicyId("../../escape");
  payloads_.Add(policy);
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kPolicy, "../../escape"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_FALSE(fs::exists(root() / "etc/escape.json"));
}

std::string SubjectOfRequest(const std::string& csr_pem) {
  BIO* bio = BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size()));
  X509_REQ* request = PEM_read_bio_X509_REQ(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (request == nullptr) return "";
  char subject[256];
  X509_NAME_oneline(X509_REQ_get_subject_name(request), subject, sizeof subject);
  X509_REQ_free(request);
  return subject;
}

TEST_F(RealExecutorTest, RequestsAndWritesCertificates) {
  core::CertificateProfile profile;
  profile.id = core::CertificateProfileId("cert-1");
  profile.display_name = "Wi-Fi client";
  profile.subject_name_format = "CN={{DeviceName}},O=Contoso";
  payloads_.Add(profile);
  const core::PlanItem item = ItemFor(core::ItemKind::kCertificate, "cert-1");
  ApplyContext context;
  context.device_name = "CONTOSO-0042";
  EXPECT_FALSE(*executor_->Detect(item, payloads_, context));
  Result<ItemResult> result = Apply(item, context);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->succeeded()) << result->message;
  ASSERT_EQ(csrs_.size(), 1u);
  EXPECT_EQ(SubjectOfRequest(csrs_[0]), "/CN=CONTOSO-0042");

  const fs::path certificate = root() / "etc/groundcrew/certs/cert-1.pem";
  const fs::path key = root() / "etc/groundcrew/certs/cert-1.key";
  EXPECT_EQ(ModeOf(certificate), 0644);
  EXPECT_EQ(ModeOf(key), 0600);
  EXPECT_NE(ReadText(certificate).find("-----BEGIN CERTIFICATE-----"), std::string::npos);
  EXPECT_TRUE(identity::MakeCsr(ReadText(key), "check")) << "the key is a usable P-256 key";
  EXPECT_TRUE(*executor_->Detect(item, payloads_, context));
  EXPECT_EQ(AllLogs().find("PRIVATE KEY"), std::string::npos) << "the key is never logged";

  ASSERT_TRUE(Apply(ItemFor(core::ItemKind::kCertificate, "cert-1", core::ItemAction::kUninstall)));
  EXPECT_FALSE(fs::exists(certificate));
  EXPECT_FALSE(fs::exists(key));
}

TEST_F(RealExecutorTest, ANameHoldingAPlaceholderIsNotExpandedAgain) {
  core::CertificateProfile profile;
  profile.id = core::CertificateProfileId("cert-3");
  profile.subject_name_format = "CN={{DeviceName}}";
  payloads_.Add(profile);
  ApplyContext context;
  context.device_name = "LAB-{{DeviceName}}";  // once looped for ever
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kCertificate, "cert-3"), context);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(csrs_.size(), 1u);
  // A name still holding "{{" is not a name: the profile's id stands in.
  EXPECT_EQ(SubjectOfRequest(csrs_[0]), "/CN=cert-3");
}

TEST_F(RealExecutorTest, CertificateIssuerErrors) {
  core::CertificateProfile profile;
  profile.id = core::CertificateProfileId("cert-2");
  payloads_.Add(profile);
  const core::PlanItem item = ItemFor(core::ItemKind::kCertificate, "cert-2");

  issuer_error_ = MakeError(ErrorCode::kUnavailable, "cannot reach http://groundcrew");
  Result<ItemResult> unreachable = Apply(item);
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(unreachable.error().message.find("cert-2"), std::string::npos);

  issuer_error_ = MakeError(ErrorCode::kPermissionDenied, "the device is not enrolled");
  Result<ItemResult> refused = Apply(item);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->outcome, ItemResult::Outcome::kFailed);
  EXPECT_NE(refused->message.find("not enrolled"), std::string::npos);
  EXPECT_FALSE(fs::exists(root() / "etc/groundcrew/certs/cert-2.pem"));
  EXPECT_FALSE(fs::exists(root() / "etc/groundcrew/certs/cert-2.key"));
}

core::NetworkProfile CorpWifi() {
  core::NetworkProfile profile;
  profile.id = core::NetworkProfileId("net-1");
  profile.display_name = "Contoso Corp";
  profile.ssid = "CONTOSO-CORP";
  profile.security = core::WifiSecurity::kWpa2Personal;
  profile.pre_shared_key = kPsk;
  return profile;
}

TEST_F(RealExecutorTest, WritesNetworkKeyfilesAndNeverLogsTheKey) {
  payloads_.Add(CorpWifi());
  const core::PlanItem item = ItemFor(core::ItemKind::kNetwork, "net-1");
  Result<ItemResult> result = Apply(item);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded()) << result->message;
  const fs::path path = root() / "etc/NetworkManager/system-connections/Contoso Corp.nmconnection";
  EXPECT_EQ(ModeOf(path), 0600);
  EXPECT_EQ(ReadText(path), *RenderKeyfile(CorpWifi(), ""));
  EXPECT_TRUE(*executor_->Detect(item, payloads_, {}));
  EXPECT_EQ(AllLogs().find(kPsk), std::string::npos);
  EXPECT_EQ(ReadText(state() / "logs/net-1.log").find(kPsk), std::string::npos);
  EXPECT_EQ(result->message.find(kPsk), std::string::npos);

  // A renamed profile replaces its old file.
  payloads_.network_profiles.at("net-1").display_name = "Contoso Wireless";
  ASSERT_TRUE(Apply(item));
  EXPECT_FALSE(fs::exists(path));
  const fs::path renamed =
      root() / "etc/NetworkManager/system-connections/Contoso Wireless.nmconnection";
  EXPECT_TRUE(fs::exists(renamed));

  // Another connection in the folder is left alone; uninstall removes only ours.
  const fs::path other = root() / "etc/NetworkManager/system-connections/Home.nmconnection";
  WriteText(other, "[connection]\nid=Home\nuuid=11111111-2222-3333-4444-555555555555\n");
  ASSERT_TRUE(Apply(ItemFor(core::ItemKind::kNetwork, "net-1", core::ItemAction::kUninstall)));
  EXPECT_FALSE(fs::exists(renamed));
  EXPECT_TRUE(fs::exists(other));
}

TEST_F(RealExecutorTest, UserScopedNetworkProfilesNeedTheUser) {
  core::NetworkProfile profile = CorpWifi();
  profile.scope = core::NetworkScope::kUser;
  payloads_.Add(profile);
  const core::PlanItem item = ItemFor(core::ItemKind::kNetwork, "net-1");
  Result<ItemResult> technician = Apply(item);
  ASSERT_TRUE(technician);
  EXPECT_EQ(technician->outcome, ItemResult::Outcome::kFailed);
  EXPECT_NE(technician->message.find("signed-in user"), std::string::npos);

  ApplyContext context;
  context.user_name = "adele";
  Result<ItemResult> user = Apply(item, context);
  ASSERT_TRUE(user);
  EXPECT_TRUE(user->succeeded()) << user->message;
  EXPECT_NE(ReadText(root() / "etc/NetworkManager/system-connections/Contoso Corp.nmconnection")
                .find("permissions=user:adele;\n"),
            std::string::npos);
}

TEST_F(RealExecutorTest, EnterpriseWifiIsNotSupported) {
  core::NetworkProfile profile = CorpWifi();
  profile.security = core::WifiSecurity::kWpa2Enterprise;
  payloads_.Add(profile);
  Result<ItemResult> result = Apply(ItemFor(core::ItemKind::kNetwork, "net-1"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(result->code, kNotSupportedCode);
  EXPECT_NE(result->message.find("WPA2-Enterprise"), std::string::npos);
}

TEST_F(RealExecutorTest, ItemsWithoutAPayloadOrNotForExecutorsAreErrors) {
  Result<ItemResult> missing = Apply(ItemFor(core::ItemKind::kApp, "nowhere"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("nowhere"), std::string::npos);
  Result<ItemResult> step = Apply(ItemFor(core::ItemKind::kPreparationStep, "securing-hardware"));
  ASSERT_FALSE(step);
  EXPECT_EQ(step.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(RealExecutorTest, ReadsFactsUnderTheRoot) {
  WriteText(root() / "etc/os-release", "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n");
  Result<core::DeviceFacts> facts = executor_->ReadFacts();
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->os_version, "12");
}

TEST(ToRunEventTest, MapsOutcomesToPhaseRunEvents) {
  const core::RunEvent ok =
      ToRunEvent("a", ItemResult::Succeeded(core::RebootKind::kSoft, "installed"));
  ASSERT_TRUE(std::holds_alternative<core::ItemSucceeded>(ok));
  EXPECT_EQ(std::get<core::ItemSucceeded>(ok).reboot, core::RebootKind::kSoft);
  const core::RunEvent failed = ToRunEvent("a", ItemResult::Failed(1603, "boom"));
  ASSERT_TRUE(std::holds_alternative<core::ItemFailed>(failed));
  EXPECT_EQ(std::get<core::ItemFailed>(failed).code, 1603);
  EXPECT_EQ(std::get<core::ItemFailed>(failed).message, "boom");
  const core::RunEvent retry = ToRunEvent("a", ItemResult::Retry(1618, "later"));
  ASSERT_TRUE(std::holds_alternative<core::ItemNeedsRetry>(retry));
  EXPECT_EQ(std::get<core::ItemNeedsRetry>(retry).code, 1618);
}

}  // namespace
}  // namespace groundcrew::executor

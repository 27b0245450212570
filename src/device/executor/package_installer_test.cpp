#include "device/executor/package_installer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "device/executor/real_executor.hpp"
#include "identity/sha256.hpp"
#include "tests/support/debs.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace groundcrew::executor {
namespace {

namespace fs = std::filesystem;
using test_support::ReadText;
using test_support::TempDir;

// apt-get's own words (bookworm's apt 2.6, run in a chroot without /dev/pts).
constexpr std::string_view kLockHeld =
    "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 19417\n"
    "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another "
    "process using it?\n";
constexpr std::string_view kListsLocked =
    "Reading package lists...\n"
    "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 2231 (apt-get)\n"
    "E: Unable to lock directory /var/lib/apt/lists/\n";
constexpr std::string_view kNotLocated =
    "Reading package lists...\n"
    "Building dependency tree...\n"
    "Reading state information...\n"
    "E: Can not write log (Is /dev/pts mounted?) - posix_openpt (19: No such device)\n"
    "E: Unable to locate package nonexistent-pkg-xyz\n";
constexpr std::string_view kVersionNotFound =
    "Reading package lists...\n"
    "Building dependency tree...\n"
    "Reading state information...\n"
    "E: Version '9.9' for 'jq' was not found\n";
constexpr std::string_view kNoCandidate =
    "Package jq is not available, but is referred to by another package.\n"
    "This may mean that the package is missing, has been obsoleted, or\n"
    "is only available from another source\n"
    "\n"
    "E: Package 'jq' has no installation candidate\n";
constexpr std::string_view kUnmetDependencies =
    "Reading package lists...\n"
    "Building dependency tree...\n"
    "Reading state information...\n"
    "Some packages could not be installed. This may mean that you have\n"
    "requested an impossible situation or if you are using the unstable\n"
    "distribution that some required packages have not yet been created\n"
    "or been moved out of Incoming.\n"
    "The following information may help to resolve the situation:\n"
    "\n"
    "The following packages have unmet dependencies:\n"
    " gc-bad : Depends: no-such-package-gc but it is not installable\n"
    "E: Unable to correct problems, you have held broken packages.\n";

TEST(AptOutputTest, ClassifiesLocksMissingPackagesAndTheRest) {
  EXPECT_EQ(ClassifyAptFailure(kLockHeld), AptFailure::kLockHeld);
  EXPECT_EQ(ClassifyAptFailure(kListsLocked), AptFailure::kLockHeld);
  EXPECT_EQ(ClassifyAptFailure("E: Unable to lock the administration directory "
                               "(/var/lib/dpkg/), is another process using it?\n"),
            AptFailure::kLockHeld);
  EXPECT_EQ(ClassifyAptFailure(kNotLocated), AptFailure::kNotLocated);
  EXPECT_EQ(ClassifyAptFailure(kVersionNotFound), AptFailure::kNotLocated);
  EXPECT_EQ(ClassifyAptFailure(kNoCandidate), AptFailure::kNotLocated);
  EXPECT_EQ(ClassifyAptFailure(kUnmetDependencies), AptFailure::kOther);
  EXPECT_EQ(ClassifyAptFailure("dpkg: error processing package x (--configure):\n"),
            AptFailure::kOther);
}

TEST(AptOutputTest, TheErrorTextIsAptsErrorLines) {
  EXPECT_EQ(AptErrorText(kLockHeld),
            "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 19417; "
            "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is "
            "another process using it?");
  EXPECT_EQ(AptErrorText(kNotLocated), "E: Unable to locate package nonexistent-pkg-xyz");
  EXPECT_EQ(AptErrorText(kUnmetDependencies),
            "gc-bad : Depends: no-such-package-gc but it is not installable; E: Unable to "
            "correct problems, you have held broken packages.");
  EXPECT_EQ(AptErrorText("Setting up x (1.0) ...\nsomething odd happened\n"),
            "something odd happened");
}

// ---- On a real Debian 12 root ---------------------------------------------------------------
// GROUNDCREW_DEBIAN_ROOT_TAR names the tarball scripts/debian-root makes; the root is unpacked
// once for the suite and apt installs from the root's own sources (Debian's archive).

class DebianRootTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    skip_ = test_support::UnpackDebianRoot(dir_->path() / "root");
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    RealExecutorOptions options;
    options.time_limit = std::chrono::minutes(10);
    executor_ = std::make_unique<RealExecutor>(root(), state_.path() / "state", content_,
                                               CertificateIssuer{}, LogSink{}, options);
  }

  static fs::path root() { return dir_->path() / "root"; }

  // The package's "status version" per the root's own dpkg-query ("" when dpkg knows none).
  static std::string DpkgStatus(const std::string& package) {
    const auto queried =
        test_support::RunCommand({"/usr/sbin/chroot", root().string(), "dpkg-query", "-W", "-f",
                                  "${db:Status-Status} ${Version}", package});
    return queried.exit_code == 0 ? queried.out : "";
  }

  core::App& AddDeb(const std::string& id, const fs::path& deb, const std::string& package,
                    const std::string& version) {
    const std::string bytes = ReadText(deb);
    core::App app;
    app.id = core::AppId(id);
    app.display_name = "Contoso " + id;
    app.kind = core::AppKind::kDeb;
    app.package_name = package;  // as groundcrewd sets them from the control file
    app.package_version = version;
    app.content = {deb.filename().string(), identity::Sha256Hex(bytes),
                   static_cast<long long>(bytes.size())};
    test_support::WriteText(state_.path() / "store" / app.content.sha256, bytes);
    payloads_.Add(std::move(app));
    return payloads_.apps.at(id);
  }

  core::App& AddAptPackage(const std::string& id, const std::string& package,
                           const std::string& version = "") {
    core::App app;
    app.id = core::AppId(id);
    app.display_name = "Contoso " + id;
    app.kind = core::AppKind::kAptPackage;
    app.package_name = package;
    app.package_version = version;
    payloads_.Add(std::move(app));
    return payloads_.apps.at(id);
  }

  Result<ItemResult> Apply(const std::string& id,
                           core::ItemAction action = core::ItemAction::kInstall) {
    return executor_->Apply(Item(id, action), payloads_, {}, {});
  }
  Result<bool> Detect(const std::string& id) { return executor_->Detect(Item(id), payloads_, {}); }

  static core::PlanItem Item(const std::string& id,
                             core::ItemAction action = core::ItemAction::kInstall) {
    core::PlanItem item;
    item.kind = core::ItemKind::kApp;
    item.id = id;
    item.display_name = "Contoso " + id;
    item.action = action;
    return item;
  }

  inline static std::string skip_;
  inline static std::unique_ptr<TempDir> dir_;
  TempDir state_;
  DirectoryContentSource content_{state_.path() / "store"};
  Payloads payloads_;
  std::unique_ptr<RealExecutor> executor_;
};

TEST_F(DebianRootTest, ADebInstallsWithItsDependencyFromTheArchiveIsDetectedAndRemoved) {
  const fs::path deb =
      test_support::BuildDeb(state_.path(), "gc-demo_1.2-1_all.deb",
                             test_support::ControlText("gc-demo", "1.2-1", "all", "jq"),
                             {{"usr/share/gc-demo/README", "groundcrew's test package\n"}});
  ASSERT_EQ(DpkgStatus("jq"), "") << "the root must not have jq yet";
  AddDeb("demo", deb, "gc-demo", "1.2-1");

  Result<ItemResult> installed = Apply("demo");
  ASSERT_TRUE(installed) << installed.error().message;
  ASSERT_EQ(installed->outcome, ItemResult::Outcome::kSucceeded) << installed->message;
  EXPECT_FALSE(installed->detected);
  EXPECT_TRUE(installed->message.starts_with(
      "app \"Contoso demo\" (demo): installed gc-demo 1.2-1 with apt-get in "))
      << installed->message;
  EXPECT_EQ(DpkgStatus("gc-demo"), "installed 1.2-1");
  EXPECT_TRUE(DpkgStatus("jq").starts_with("installed 1.6")) << DpkgStatus("jq");
  EXPECT_EQ(ReadText(root() / "usr/share/gc-demo/README"), "groundcrew's test package\n");
  EXPECT_TRUE(fs::is_empty(root() / "var/cache/groundcrew/debs")) << "the copy is removed";
  Result<bool> present = Detect("demo");
  ASSERT_TRUE(present) << present.error().message;
  EXPECT_TRUE(*present);

  Result<ItemResult> again = Apply("demo");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->detected);
  EXPECT_EQ(again->message,
            "app \"Contoso demo\" (demo): already installed: gc-demo 1.2-1 (wanted 1.2-1 or "
            "later), nothing was run");

  // A newer version is wanted: not detected (Debian ordering: 1.2-1 < 1.2-1+b1 < 1.10).
  payloads_.apps.at("demo").package_version = "1.10";
  EXPECT_FALSE(*Detect("demo"));
  payloads_.apps.at("demo").package_version = "1.2-1";

  Result<ItemResult> removed = Apply("demo", core::ItemAction::kUninstall);
  ASSERT_TRUE(removed) << removed.error().message;
  ASSERT_EQ(removed->outcome, ItemResult::Outcome::kSucceeded) << removed->message;
  EXPECT_FALSE(removed->detected);
  EXPECT_EQ(DpkgStatus("gc-demo"), "");
  EXPECT_FALSE(*Detect("demo"));
  Result<ItemResult> absent = Apply("demo", core::ItemAction::kUninstall);
  ASSERT_TRUE(absent);
  EXPECT_TRUE(absent->detected);
  EXPECT_EQ(absent->message,
            "app \"Contoso demo\" (demo): already absent: gc-demo is not installed");
}

TEST_F(DebianRootTest, AnAptPackageInstallsByNameAndAHeldLockIsRetried) {
  AddAptPackage("hello", "hello");
  ASSERT_EQ(DpkgStatus("hello"), "");
  {
    // Another package manager: dpkg's frontend lock (fcntl, as apt takes it) held by this test.
    const fs::path lock = root() / "var/lib/dpkg/lock-frontend";
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT, 0640);
    ASSERT_GE(fd, 0);
    struct flock hold {};
    hold.l_type = F_WRLCK;
    hold.l_whence = SEEK_SET;
    ASSERT_EQ(::fcntl(fd, F_SETLK, &hold), 0);
    Result<ItemResult> busy = Apply("hello");
    ::close(fd);
    ASSERT_TRUE(busy) << busy.error().message;
    EXPECT_EQ(busy->outcome, ItemResult::Outcome::kRetry) << busy->message;
    EXPECT_EQ(busy->code, kPackageManagerBusyCode);
    EXPECT_NE(busy->message.find("another package manager holds dpkg's lock (E: Could not get "
                                 "lock /var/lib/dpkg/lock-frontend."),
              std::string::npos)
        << busy->message;
  }
  Result<ItemResult> installed = Apply("hello");
  ASSERT_TRUE(installed) << installed.error().message;
  ASSERT_EQ(installed->outcome, ItemResult::Outcome::kSucceeded) << installed->message;
  EXPECT_TRUE(DpkgStatus("hello").starts_with("installed 2.10")) << DpkgStatus("hello");
  EXPECT_TRUE(*Detect("hello"));

  AddAptPackage("missing", "no-such-package-gc");
  Result<ItemResult> missing = Apply("missing");
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_EQ(missing->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(missing->code, 100);
  EXPECT_EQ(missing->message,
            "app \"Contoso missing\" (missing): apt-get install failed (exit status 100): E: "
            "Unable to locate package no-such-package-gc");
}

TEST_F(DebianRootTest, ADebForAnotherArchitectureOrWithUnmetDependenciesFailsClearly) {
  AddDeb("arm",
         test_support::BuildDeb(state_.path(), "gc-arm.deb",
                                test_support::ControlText("gc-arm", "1.0", "arm64")),
         "gc-arm", "1.0");
  Result<ItemResult> arm = Apply("arm");
  ASSERT_TRUE(arm) << arm.error().message;
  EXPECT_EQ(arm->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(arm->code, kNotSupportedCode);
  EXPECT_EQ(arm->message,
            "app \"Contoso arm\" (arm): content gc-arm.deb: the package is built for arm64; the "
            "device runs amd64 (a .deb must be built for \"all\" or amd64)");

  AddDeb("bad",
         test_support::BuildDeb(
             state_.path(), "gc-bad.deb",
             test_support::ControlText("gc-bad", "1.0", "all", "no-such-package-gc")),
         "gc-bad", "1.0");
  Result<ItemResult> bad = Apply("bad");
  ASSERT_TRUE(bad) << bad.error().message;
  EXPECT_EQ(bad->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(bad->code, 100);
  EXPECT_EQ(bad->message,
            "app \"Contoso bad\" (bad): apt-get install failed (exit status 100): gc-bad : "
            "Depends: no-such-package-gc but it is not installable; E: Unable to correct "
            "problems, you have held broken packages.");
  EXPECT_EQ(DpkgStatus("gc-bad"), "");
}

TEST_F(DebianRootTest, TheTimeLimitAndAStopRequestEndAnInstall) {
  AddAptPackage("tree", "tree");
  std::stop_source stop;
  stop.request_stop();
  ApplyContext stopped;
  stopped.stop = stop.get_token();
  Result<ItemResult> aborted = executor_->Apply(Item("tree"), payloads_, stopped, {});
  ASSERT_FALSE(aborted);
  EXPECT_EQ(aborted.error().code, ErrorCode::kAborted);
  EXPECT_EQ(aborted.error().field, "tree");

  RealExecutorOptions options;
  options.time_limit = std::chrono::milliseconds(1);
  executor_ = std::make_unique<RealExecutor>(root(), state_.path() / "state", content_,
                                             CertificateIssuer{}, LogSink{}, options);
  Result<ItemResult> timed_out = Apply("tree");
  ASSERT_TRUE(timed_out) << timed_out.error().message;
  EXPECT_EQ(timed_out->outcome, ItemResult::Outcome::kFailed);
  EXPECT_EQ(timed_out->code, core::kTimeoutErrorCode);
  EXPECT_TRUE(timed_out->message.starts_with("app \"Contoso tree\" (tree): apt-get "))
      << timed_out->message;
  EXPECT_NE(timed_out->message.find("timed out after"), std::string::npos) << timed_out->message;
  EXPECT_EQ(DpkgStatus("tree"), "");
}

}  // namespace
}  // namespace groundcrew::executor

#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "device/executor/content_source.hpp"
#include "device/executor/device_root.hpp"
#include "device/executor/executor.hpp"
#include "device/executor/installer_records.hpp"
#include "device/executor/local_account.hpp"
#include "device/executor/process.hpp"
#include "device/executor/setting_appliers.hpp"

// The executor of real devices: changes files under a root folder (`/` on a machine, a sandbox
// folder in tests) and runs installers with /bin/sh.
namespace groundcrew::executor {

class ItemLog;

/// Asks the tenant's CA for a certificate: the profile and a PKCS#10 request (PEM) for a fresh
/// ECDSA P-256 key; returns the certificate PEM. kUnavailable when the service cannot be reached
/// (Apply then returns kUnavailable: retry later); any other error fails the item with its
/// message. Called from several threads at once.
using CertificateIssuer = std::function<Result<std::string>(const core::CertificateProfile& profile,
                                                            std::string csr_pem)>;

/// The environment variable naming a file where an install or uninstall command may write its
/// exit code in full (a decimal integer), since a POSIX exit status keeps only 8 bits.
inline constexpr std::string_view kExitCodeFileVariable = "GROUNDCREW_EXIT_CODE_FILE";
/// Its value for an installer run as the signed-in user: the agent's file, opened for them as
/// descriptor 3 (they cannot reach the agent's STATE folder by name).
inline constexpr std::string_view kUserExitCodeFile = "/dev/fd/3";

/// The Win32 exit code a POSIX exit `status` (0-255) stands for under `codes`: `status` itself
/// when a listed code equals it, else the first listed code outside 0-255 whose low byte it is
/// (`exit 3010` reaches the agent as 194, which means 3010 under the default codes), else
/// `status`.
int Win32ExitCode(const std::vector<core::ReturnCode>& codes, int status);

struct RealExecutorOptions {
  /// Replaces every item's time_limit_minutes (tests use seconds). Unset: the item's own limit
  /// (0 = none).
  std::optional<std::chrono::milliseconds> time_limit;
  /// How long a detection rule's command may run.
  std::chrono::milliseconds detection_time_limit{std::chrono::minutes(1)};
  /// PATH for commands. Empty: the agent's own PATH, else
  /// "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".
  std::string path;
};

/// Files under the root (ROOT) and the state folder (STATE):
/// - apps: content in STATE/content/<sha256>/<fileName>; the log of every attempt (output and
///   the executor's notes) appended to STATE/logs/<item id>.log (0600) and sent to the LogSink;
///   while an install or uninstall command runs, and until its outcome is consumed, its record,
///   output and exit status in STATE/running/ (InstallerRecords);
/// - policies: the record ROOT/etc/groundcrew/policies/<policy id>.json (0600) and the drop-ins
///   of the settings catalog (setting_appliers.hpp), rendered from every record;
/// - certificates: ROOT/etc/groundcrew/certs/<profile id>.pem (0644) and .key (0600, SECRET);
/// - network profiles: ROOT/etc/NetworkManager/system-connections/<KeyfileName> (0600).
/// Every file is written atomically (temporary file, fsync, rename).
///
/// Apps, install: when the app has detection rules and they hold, nothing runs (a detected
/// success). Otherwise the content (when the app has one) is fetched and verified, and the
/// install command runs as `/bin/sh -c` in the content folder (the root when there is no
/// content) with only PATH, GROUNDCREW_ROOT=<absolute root>, GROUNDCREW_EXIT_CODE_FILE and, for
/// a user-context app with a user, GROUNDCREW_USER=<user_name> in its environment, stdin
/// /dev/null, under the item's time limit (past it the process group is killed: failed,
/// core::kTimeoutErrorCode). The exit code — the integer the command wrote to
/// $GROUNDCREW_EXIT_CODE_FILE if it did, else Win32ExitCode(return codes, exit status) — is
/// classified with the app's return codes: success (reboot none, soft or hard), retry, or failed
/// (code = the exit code; a shell killed by signal N fails with 128 + N). After a success
/// the detection rules, when there are any, must hold, else the item fails with
/// kNotDetectedAfterInstallCode. Uninstall is the mirror image: rules that do not hold mean
/// "already absent" (nothing runs); the uninstall command runs the same way; rules that still
/// hold afterwards fail the item.
///
/// Installers outlive the agent (RunDetachedShell). Before anything else (detection rules,
/// content), an install or uninstall of an app looks for the record of an installer an earlier
/// run of the agent left (PendingInstallers):
/// - the same item, action, version and command line: adopted. Still running, it is waited for
///   (its output, from the start, goes to the log; the time limit counts from when it started;
///   a stop request kills its group: kAborted); ended, its exit status is taken at once. The
///   exit code is then classified exactly as for a command run now (exit-code file, return
///   codes, detection rules afterwards). One that ended without an exit status (killed) is
///   forgotten and the command runs now, as usual;
/// - anything else (another version, the other action, another command line): its process
///   group is killed, its record removed, and the command runs now, as usual.
/// The record is removed once Apply has the outcome (a success, failure, timeout or stop). An
/// agent killed after that but before the driver journals the outcome finds no record: the item
/// then runs again as usual (the detection rules see a finished install).
///
/// Policies: the settings JSON is read against the settings catalog (a setting the catalog lacks
/// or a bad value fails the item naming "settings.<id>": a policy stored before the catalog).
/// Install fails, changing nothing, when another applied policy sets one of its settings to a
/// different value (`Setting screenLock.idleMinutes is 10 in "Contoso baseline" and 5 in "Kiosk
/// lock"`); otherwise its record is written and every settings area rendered from the union of
/// the records (InstallPolicySettings). A root's tool that refuses a file (sshd -t, visudo -cf,
/// nft -c) fails the item with its message and the file's name, and the previous files stay.
/// Uninstall removes the record and renders again: what no other policy sets goes back to the
/// system's default. Detect: the record holds the same settings and each setting reads back
/// from its file with the policy's value (PolicySettingsPresent).
///
/// Certificates and network profiles are (re)written on every install (a certificate
/// gets a fresh key and request each time) and removed on uninstall (absent is fine; for network
/// profiles, every keyfile in the folder with the profile's uuid, which also catches a renamed
/// profile's old file; installing removes those stale files too).
class RealExecutor final : public Executor {
 public:
  /// `root` and `state_dir` are made absolute. `content` must outlive the executor.
  RealExecutor(std::filesystem::path root, std::filesystem::path state_dir, ContentSource& content,
               CertificateIssuer issuer, LogSink log, RealExecutorOptions options = {});

  [[nodiscard]] Result<ItemResult> Apply(const core::PlanItem& item, const Payloads& payloads,
                                         const ApplyContext& context,
                                         const ProgressFn& progress) override;
  [[nodiscard]] Result<bool> Detect(const core::PlanItem& item, const Payloads& payloads,
                                    const ApplyContext& context) override;
  /// ReadComplianceFacts(root) (catalog settings not read back yet: every one not reported).
  [[nodiscard]] Result<core::DeviceFacts> ReadFacts() override;
  /// Executor::PendingInstallers over STATE/running/ (InstallerRecords::Pending).
  std::vector<std::string> PendingInstallers() const override;

  const std::filesystem::path& root() const { return root_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }

  /// ROOT/etc/groundcrew/policies/<id>.json (the policy's record), ROOT/etc/groundcrew/certs/
  /// <id>.pem and .key.
  std::filesystem::path PolicyPath(std::string_view policy_id) const;
  std::filesystem::path CertificatePath(std::string_view profile_id) const;
  std::filesystem::path PrivateKeyPath(std::string_view profile_id) const;

 private:
  // Holds the content `sha256` for one thread at a time (two apps may share content).
  class ContentLock {
   public:
    ContentLock(RealExecutor& executor, std::string sha256);
    ~ContentLock();
    ContentLock(const ContentLock&) = delete;
    ContentLock& operator=(const ContentLock&) = delete;

   private:
    RealExecutor& executor_;
    std::string sha256_;
  };

  Result<ItemResult> ApplyApp(const core::PlanItem& item, const core::App& app,
                              const ApplyContext& context, const ProgressFn& progress);
  /// Apps of kind deb and aptPackage (real_executor_packages.cpp, with PackageInstaller).
  Result<ItemResult> ApplyPackageApp(const core::PlanItem& item, const core::App& app,
                                     const ApplyContext& context, const ProgressFn& progress);
  Result<bool> DetectPackageApp(const core::PlanItem& item, const core::App& app,
                                const ApplyContext& context);
  /// Fetches and verifies the app's content into STATE/content/<sha256>/<file name> and returns
  /// that path. Errors, their message starting "content <file name>: " where it concerns the
  /// file: kUnavailable (not available yet: retry later), kFailedPrecondition (the content does
  /// not match its SHA-256 or size), anything else (malformed, cannot be written).
  Result<std::filesystem::path> FetchContent(const core::App& app, ItemLog& log,
                                             const ProgressFn& progress);
  /// How an item ends when FetchContent failed with `error`: kUnavailable returned as an error,
  /// anything else a failed ItemResult (kContentMismatchCode for kFailedPrecondition).
  Result<ItemResult> ContentFailure(const core::PlanItem& item, std::string_view what,
                                    const Error& error, ItemLog& log);
  /// The outcome of the installer of `wanted`'s item an earlier run of the agent left, when it
  /// runs the same command (waited for under `limit`, counted from its start); nullopt when there
  /// is nothing to adopt and the command is to run now (no record; a killed installer; another
  /// command's, which is killed).
  std::optional<ShellOutcome> AdoptInstaller(const InstallerRecord& wanted,
                                             std::chrono::milliseconds limit,
                                             const ApplyContext& context, ItemLog& log);
  Result<ItemResult> ApplyPolicy(const core::PlanItem& item, const core::Policy& policy,
                                 const ApplyContext& context);
  /// Whose a policy item's record is: a user-context item's in the user flow is the signed-in
  /// user's (their local account must be in the root: kFailedPrecondition naming it); any
  /// other's, the device's (nullopt).
  Result<std::optional<RecordUser>> PolicyUser(const core::PlanItem& item,
                                               const ApplyContext& context) const;
  Result<ItemResult> ApplyCertificate(const core::PlanItem& item,
                                      const core::CertificateProfile& profile,
                                      const ApplyContext& context);
  Result<ItemResult> ApplyNetwork(const core::PlanItem& item, const core::NetworkProfile& profile,
                                  const ApplyContext& context);

  /// The account a user-context item's installer runs as: the signed-in user's local account
  /// in the root, when the item is in user context and the agent runs as root. nullopt for a
  /// device-context item, before the user has an account, and when the agent is not root (it
  /// cannot become anyone else, so it runs installers as itself).
  std::optional<LocalAccount> InstallerAccount(const core::PlanItem& item,
                                               const ApplyContext& context) const;
  /// `command` run as `account`: `setpriv` with the account's uid, gid and supplementary groups
  /// as the root's files have them (a folder root's users are unknown to the host), the working
  /// folder already entered as root. The installer's exit code file (`exit_code_file`, in the
  /// agent's private STATE, which the user cannot reach) is created empty and owned by the user
  /// and handed to the command open as descriptor 3, so GROUNDCREW_EXIT_CODE_FILE is
  /// kUserExitCodeFile. kInternal when that file cannot be made.
  Result<std::string> CommandAs(const LocalAccount& account, const std::string& command,
                                const std::filesystem::path& exit_code_file) const;
  /// The environment of the item's commands; `exit_code_file` adds GROUNDCREW_EXIT_CODE_FILE.
  /// A user-context item with a signed-in user gets GROUNDCREW_USER and, once the user has a
  /// local account, GROUNDCREW_HOME and HOME (their home in the root).
  std::vector<std::string> Environment(const core::PlanItem& item, const ApplyContext& context,
                                       const std::filesystem::path& exit_code_file = {}) const;

  std::filesystem::path root_;
  DeviceRoot device_root_;  // root_, where the root's own tools run (sshd -t, visudo, nft)
  std::filesystem::path state_dir_;
  ContentSource& content_;
  CertificateIssuer issuer_;
  LogSink log_;
  RealExecutorOptions options_;
  std::string path_env_;
  InstallerRecords records_;  // STATE/running

  // Held while a policy's record and the drop-ins change: they are rendered from every record.
  std::mutex policies_mutex_;

  std::mutex content_mutex_;
  std::condition_variable content_released_;
  std::set<std::string, std::less<>> content_in_use_;  // guarded by content_mutex_
};

}  // namespace groundcrew::executor

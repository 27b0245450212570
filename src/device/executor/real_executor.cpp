#include "device/executor/real_executor.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "common/text.hpp"
#include "core/naming/certificate_name.hpp"
#include "device/executor/compliance_facts.hpp"
#include "device/executor/detection.hpp"
#include "device/executor/device_root.hpp"
#include "device/executor/durable_file.hpp"
#include "device/executor/item_log.hpp"
#include "device/executor/local_account.hpp"
#include "device/executor/network_keyfile.hpp"
#include "device/executor/process.hpp"
#include "device/executor/setting_appliers.hpp"
#include "identity/ca.hpp"
#include "identity/sha256.hpp"
#include "wire/settings_json.hpp"

namespace groundcrew::executor {
namespace fs = std::filesystem;
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fs::path Absolute(const fs::path& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) absolute = path;
  absolute = absolute.lexically_normal();
  if (!absolute.has_filename() && absolute != absolute.root_path()) {
    absolute = absolute.parent_path();  // "/tmp/root/" -> "/tmp/root"
  }
  return absolute;
}

std::string NowUtc() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

std::string FormatDuration(milliseconds duration) {
  const long long ms = duration.count();
  if (ms % 60000 == 0) return fmt::format("{} min", ms / 60000);
  if (ms % 1000 == 0) return fmt::format("{} s", ms / 1000);
  return fmt::format("{} ms", ms);
}

// `<kind> "<name>" (<id>)`: how messages name an item.
std::string Describe(std::string_view kind, const core::PlanItem& item,
                     std::string_view payload_name) {
  const std::string_view name = item.display_name.empty() ? payload_name : item.display_name;
  return fmt::format("{} \"{}\" ({})", kind, name, item.id);
}

std::string_view Verb(const core::PlanItem& item) {
  return item.action == core::ItemAction::kInstall ? "install" : "uninstall";
}

Error MissingPayload(const core::PlanItem& item) {
  return MakeError(ErrorCode::kNotFound,
                   fmt::format("{} \"{}\" ({}): its payload was not given to the executor",
                               core::ToString(item.kind), item.display_name, item.id),
                   item.id);
}

Error NotForExecutors(const core::PlanItem& item) {
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("\"{}\" ({}) is a Device-preparation step: the driver runs those, "
                               "not an executor",
                               item.display_name, item.id),
                   item.id);
}

// A content file name: one name, no folders.
bool IsContentFileName(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.size() > 255) return false;
  for (const char c : name) {
    if (c == '/' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

// The request's common name: the CN of the profile's subject format with {{DeviceName}},
// {{UserPrincipalName}} and {{UserName}} filled; the profile id when that leaves nothing usable.
// The issuer decides the certificate's final subject.
std::string CsrCommonName(const core::CertificateProfile& profile, const ApplyContext& context) {
  const std::string format = profile.subject_name_format;
  const std::string lower = text::ToLowerAscii(format);
  size_t start = lower.find("cn=");
  std::string cn;
  if (start != std::string::npos) {
    start += 3;
    const size_t end = format.find(',', start);
    cn =
        std::string(text::Trim(format.substr(start, end == std::string::npos ? end : end - start)));
  }
  // A value that itself holds a placeholder is not searched again (it cannot loop).
  core::ReplaceAll(cn, "{{DeviceName}}", context.device_name);
  core::ReplaceAll(cn, "{{UserPrincipalName}}", context.user_principal_name);
  core::ReplaceAll(cn, "{{UserName}}", context.user_name);
  if (cn.empty() || cn.find("{{") != std::string::npos) cn = profile.id.value();
  if (cn.size() > 64) {
    cn.resize(64);
    // Never end inside a UTF-8 sequence: drop the trailing non-ASCII bytes.
    while (!cn.empty() && (static_cast<unsigned char>(cn.back()) & 0x80) != 0) cn.pop_back();
  }
  return cn;
}

// Removes every keyfile in `dir` but `keep` whose [connection] uuid is `uuid`.
Status RemoveKeyfilesWithUuid(const fs::path& dir, std::string_view uuid, const fs::path& keep) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return Ok{};
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  }
  const std::string needle = fmt::format("\nuuid={}\n", uuid);
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const fs::path& path = it->path();
    std::error_code type_ec;
    if (path == keep || path.extension() != ".nmconnection" || !it->is_regular_file(type_ec)) {
      continue;
    }
    Result<std::string> bytes = ReadWholeFile(path);
    if (!bytes) continue;  // removed meanwhile, or not ours to read
    if (bytes->find(needle) == std::string::npos) continue;
    if (Status removed = RemoveFile(path); !removed) return removed;
  }
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  }
  return Ok{};
}

// The exit code a command wrote to `file` (removed afterwards), if it wrote a valid one.
std::optional<int> ReadExitCodeFile(const fs::path& file, ItemLog& log) {
  Result<std::string> bytes = ReadWholeFile(file);
  if (!bytes) return std::nullopt;
  (void)RemoveFile(file);
  const std::string_view value = text::Trim(*bytes);
  if (value.empty()) return std::nullopt;  // made for a user's installer, who wrote nothing
  int code = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), code);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
    log.Note(fmt::format("ignored {}: \"{}\" is not an integer", kExitCodeFileVariable,
                         value.substr(0, 40)));
    return std::nullopt;
  }
  return code;
}

// The record of `policy` applied as `item`: its settings read against the catalog. A setting
// the catalog lacks or a bad value (a policy stored before the catalog) is an error naming
// "settings.<id>".
Result<PolicyRecord> RecordOf(const core::PlanItem& item, const core::Policy& policy) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(policy.settings_json, ec);
  if (ec || !parsed.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "settings: not a JSON object", "settings");
  }
  std::vector<Error> problems;
  PolicyRecord record{
      .policy_id = item.id,
      .display_name = policy.display_name.empty() ? item.display_name : policy.display_name,
      .version = policy.version,
      .settings = wire::DecodePolicySettings(parsed.as_object(), problems),
      .user = std::nullopt};
  if (!problems.empty()) {
    std::vector<std::string> messages;
    for (const Error& problem : problems) messages.push_back(problem.message);
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}. Change the policy to the settings catalog "
                                 "(docs/agent.md) and apply it again",
                                 fmt::join(messages, "; ")),
                     problems.front().field);
  }
  return record;
}

}  // namespace

int Win32ExitCode(const std::vector<core::ReturnCode>& codes, int status) {
  for (const core::ReturnCode& code : codes) {
    if (code.code == status) return status;
  }
  for (const core::ReturnCode& code : codes) {
    if ((code.code < 0 || code.code > 255) && (code.code & 0xff) == status) return code.code;
  }
  return status;
}

RealExecutor::ContentLock::ContentLock(RealExecutor& executor, std::string sha256)
    : executor_(executor), sha256_(std::move(sha256)) {
  std::unique_lock lock(executor_.content_mutex_);
  executor_.content_released_.wait(lock,
                                   [&] { return !executor_.content_in_use_.contains(sha256_); });
  executor_.content_in_use_.insert(sha256_);
}

RealExecutor::ContentLock::~ContentLock() {
  {
    std::lock_guard lock(executor_.content_mutex_);
    executor_.content_in_use_.erase(sha256_);
  }
  executor_.content_released_.notify_all();
}

RealExecutor::RealExecutor(fs::path root, fs::path state_dir, ContentSource& content,
                           CertificateIssuer issuer, LogSink log, RealExecutorOptions options)
    : root_(Absolute(root)),
      device_root_(root_),
      state_dir_(Absolute(state_dir)),
      content_(content),
      issuer_(std::move(issuer)),
      log_(std::move(log)),
      options_(std::move(options)),
      records_(state_dir_ / "running") {
  if (!options_.path.empty()) {
    path_env_ = options_.path;
  } else if (const char* path = std::getenv("PATH"); path != nullptr && *path != '\0') {
    path_env_ = path;
  } else {
    path_env_ = kDefaultPath;
  }
}

fs::path RealExecutor::PolicyPath(std::string_view policy_id) const {
  return PolicyRecordPath(device_root_, policy_id);
}

fs::path RealExecutor::CertificatePath(std::string_view profile_id) const {
  return root_ / "etc/groundcrew/certs" / fmt::format("{}.pem", profile_id);
}

fs::path RealExecutor::PrivateKeyPath(std::string_view profile_id) const {
  return root_ / "etc/groundcrew/certs" / fmt::format("{}.key", profile_id);
}

std::vector<std::string> RealExecutor::Environment(const core::PlanItem& item,
                                                   const ApplyContext& context,
                                                   const fs::path& exit_code_file) const {
  std::vector<std::string> environment = {"PATH=" + path_env_, "GROUNDCREW_ROOT=" + root_.string()};
  if (!exit_code_file.empty()) {
    environment.push_back(fmt::format("{}={}", kExitCodeFileVariable, exit_code_file.string()));
  }
  if (item.context == core::InstallContext::kUser && !context.user_name.empty()) {
    environment.push_back("GROUNDCREW_USER=" + context.user_name);
    // The user's home in the root (their local account's, local_account.hpp), when they have one.
    if (const std::optional<LocalAccount> account = FindUser(root_, context.user_name)) {
      const std::string home = (root_ / account->home.substr(1)).string();
      environment.push_back("GROUNDCREW_HOME=" + home);
      environment.push_back("HOME=" + home);
    }
  }
  return environment;
}

std::optional<LocalAccount> RealExecutor::InstallerAccount(const core::PlanItem& item,
                                                           const ApplyContext& context) const {
  if (item.context != core::InstallContext::kUser || context.user_name.empty() ||
      ::geteuid() != 0) {
    return std::nullopt;
  }
  return FindUser(root_, context.user_name);
}

Result<std::string> RealExecutor::CommandAs(const LocalAccount& account, const std::string& command,
                                            const fs::path& exit_code_file) const {
  std::string groups = std::to_string(account.gid);
  for (const gid_t gid : SupplementaryGroups(root_, account.name)) {
    if (gid != account.gid) groups += fmt::format(",{}", gid);
  }
  if (Status made = WriteFileAtomically(exit_code_file, "", 0600,
                                        durable::FileOwner{account.uid, account.gid});
      !made) {
    return MakeError(ErrorCode::kInternal,
                     fmt::format("cannot prepare the exit code file for {}: {}", account.name,
                                 made.error().message));
  }
  return fmt::format("setpriv --reuid={} --regid={} --groups={} -- /bin/sh -c {} 3>{}", account.uid,
                     account.gid, groups, ShellQuote(command), ShellQuote(exit_code_file.string()));
}

Result<ItemResult> RealExecutor::Apply(const core::PlanItem& item, const Payloads& payloads,
                                       const ApplyContext& context, const ProgressFn& progress) {
  switch (item.kind) {
    case core::ItemKind::kApp:
      if (const core::App* app = payloads.FindApp(item.id)) {
        return ApplyApp(item, *app, context, progress);
      }
      return MissingPayload(item);
    case core::ItemKind::kPolicy:
      if (const core::Policy* policy = payloads.FindPolicy(item.id)) {
        return ApplyPolicy(item, *policy, context);
      }
      return MissingPayload(item);
    case core::ItemKind::kCertificate:
      if (const core::CertificateProfile* profile = payloads.FindCertificate(item.id)) {
        return ApplyCertificate(item, *profile, context);
      }
      return MissingPayload(item);
    case core::ItemKind::kNetwork:
      if (const core::NetworkProfile* profile = payloads.FindNetworkProfile(item.id)) {
        return ApplyNetwork(item, *profile, context);
      }
      return MissingPayload(item);
    case core::ItemKind::kPreparationStep:
      return NotForExecutors(item);
  }
  return NotForExecutors(item);
}

Result<ItemResult> RealExecutor::ApplyApp(const core::PlanItem& item, const core::App& app,
                                          const ApplyContext& context, const ProgressFn& progress) {
  if (app.kind != core::AppKind::kScript) return ApplyPackageApp(item, app, context, progress);
  const std::string what = Describe("app", item, app.display_name);
  const bool install = item.action == core::ItemAction::kInstall;
  const std::string_view verb = Verb(item);
  ItemLog log(state_dir_ / "logs", item.id, log_);
  log.Note(fmt::format("{} {} version {} ({})", verb, what, app.display_version, NowUtc()));
  const auto fail = [&](std::int64_t code, std::string message) {
    log.Note(message);
    return ItemResult::Failed(code, fmt::format("{}: {}", what, message));
  };

  const DetectionEnvironment detection{root_, Environment(item, context),
                                       options_.detection_time_limit, context.stop,
                                       [&log](std::string_view line) { log.Output(line); }};
  // Detection errors: a stop is the caller's; a timed-out command fails like a timeout.
  const auto detection_failure = [&](const Error& error) -> Result<ItemResult> {
    if (error.code == ErrorCode::kAborted) {
      log.Note(error.message);
      return MakeError(ErrorCode::kAborted, fmt::format("{}: {}", what, error.message), item.id);
    }
    const std::int64_t code = error.code == ErrorCode::kFailedPrecondition ? core::kTimeoutErrorCode
                                                                           : kGenericFailureCode;
    return fail(code, fmt::format("detection rules: {}{}",
                                  error.field.empty() ? "" : error.field + ": ", error.message));
  };

  const std::string& command = install ? app.install_command_line : app.uninstall_command_line;
  const milliseconds limit = options_.time_limit.value_or(
      std::chrono::duration_cast<milliseconds>(std::chrono::minutes(item.time_limit_minutes)));
  const InstallerRecord wanted =
      records_.Starting(item.id, std::string(verb), app.display_version, command);
  const fs::path exit_code_file = records_.ExitCodeFileOf(item.id);

  // The outcome of the installer an earlier run of the agent left running, or of the one run now.
  std::optional<ShellOutcome> outcome = AdoptInstaller(wanted, limit, context, log);
  if (!outcome) {
    if (!app.detection_rules.empty()) {
      Result<bool> present = EvaluateDetectionRules(app.detection_rules, detection);
      if (!present) return detection_failure(present.error());
      if (*present == install) {
        const std::string_view message =
            install ? "already installed: the detection rules hold, nothing was run"
                    : "already absent: the detection rules do not hold, nothing was run";
        log.Note(message);
        return ItemResult::Detected(fmt::format("{}: {}", what, message));
      }
    }

    if (text::Trim(command).empty()) {
      return fail(kGenericFailureCode, fmt::format("the app has no {} command line", verb));
    }

    fs::path working = root_;
    if (!app.content.sha256.empty()) {
      Result<fs::path> fetched = FetchContent(app, log, progress);
      if (!fetched) return ContentFailure(item, what, fetched.error(), log);
      working = fetched->parent_path();
    }

    log.Note(fmt::format(
        "running the {} command in {}{}: {}", verb, working.string(),
        limit.count() > 0 ? fmt::format(" (time limit {})", FormatDuration(limit)) : std::string(),
        command));
    // The record goes first (a status or exit code left by an interrupted attempt means
    // nothing): an agent killed from here on finds the installer, or knows it never started.
    (void)records_.Remove(item.id);
    InstallerRecord record =
        records_.Starting(item.id, std::string(verb), app.display_version, command);
    if (Status recorded = records_.Write(record); !recorded) {
      return fail(kGenericFailureCode,
                  fmt::format("cannot record the {} command: {}", verb, recorded.error().message));
    }
    // A user-context installer runs as the user (InstallerAccount), its content folder readable.
    const std::optional<LocalAccount> account = InstallerAccount(item, context);
    std::string installer = command;
    if (account) {
      Result<std::string> as_user = CommandAs(*account, command, exit_code_file);
      if (!as_user) {
        (void)records_.Remove(item.id);
        return fail(kGenericFailureCode, as_user.error().message);
      }
      installer = std::move(*as_user);
      log.Note(fmt::format("running it as {} (uid {}, gid {})", account->name, account->uid,
                           account->gid));
    }
    const ShellCommand shell{
        installer, working,
        Environment(item, context, account ? fs::path(kUserExitCodeFile) : exit_code_file), limit,
        context.stop};
    const auto started = [&](pid_t group) {
      record.group = group;
      if (Status recorded = records_.Write(record); !recorded) {
        // The group file still names the group.
        log.Note(fmt::format("cannot update the record of the {} command: {}", verb,
                             recorded.error().message));
      }
    };
    Result<ShellOutcome> run =
        RunDetachedShell(shell, records_.FilesOf(item.id), started,
                         [&log](std::string_view line) { log.Output(line); });
    if (!run) {
      (void)records_.Remove(item.id);
      return fail(kGenericFailureCode, run.error().message);
    }
    outcome = *run;
  }

  Result<ItemResult> result = [&]() -> Result<ItemResult> {
    switch (outcome->end) {
      case ShellOutcome::End::kStopped:
        log.Note(fmt::format("stopped: the {} command was killed", verb));
        return MakeError(ErrorCode::kAborted,
                         fmt::format("{}: stopped; the {} command was killed", what, verb),
                         item.id);
      case ShellOutcome::End::kTimedOut:
        return fail(core::kTimeoutErrorCode,
                    fmt::format("the {} command ran past its time limit of {} and was killed", verb,
                                FormatDuration(limit)));
      case ShellOutcome::End::kSignaled:
        return fail(128 + outcome->signal,
                    fmt::format("the {} command was killed by signal {}", verb, outcome->signal));
      case ShellOutcome::End::kVanished:  // AdoptInstaller runs such a command again
        return fail(kGenericFailureCode,
                    fmt::format("the {} command ended without an exit status", verb));
      case ShellOutcome::End::kExited:
        break;
    }

    const std::optional<int> written = ReadExitCodeFile(exit_code_file, log);
    const int exit_code = written.value_or(Win32ExitCode(app.return_codes, outcome->exit_code));
    if (exit_code != outcome->exit_code) {
      log.Note(
          fmt::format("exit status {} stands for exit code {}{}", outcome->exit_code, exit_code,
                      written ? fmt::format(" (from {})", kExitCodeFileVariable) : std::string()));
    }
    const core::ReturnCodeType type = core::ClassifyReturnCode(app.return_codes, exit_code);
    if (type == core::ReturnCodeType::kRetry) {
      const std::string message = fmt::format(
          "the installer asked to be run again later (exit code {}, return code type retry)",
          exit_code);
      log.Note(message);
      return ItemResult::Retry(exit_code, fmt::format("{}: {}", what, message));
    }
    if (type == core::ReturnCodeType::kFailed) {
      return fail(exit_code,
                  fmt::format("the {} command failed with exit code {}", verb, exit_code));
    }
    const core::RebootKind reboot = core::RebootOf(type);

    if (!app.detection_rules.empty()) {
      Result<bool> present = EvaluateDetectionRules(app.detection_rules, detection);
      if (!present) return detection_failure(present.error());
      if (*present != install) {
        return fail(kNotDetectedAfterInstallCode,
                    install ? fmt::format("installed but not detected: the install command "
                                          "succeeded (exit code {}) but the detection rules do "
                                          "not find the app",
                                          exit_code)
                            : fmt::format("uninstalled but still detected: the uninstall command "
                                          "succeeded (exit code {}) but the detection rules "
                                          "still find the app",
                                          exit_code));
      }
    }
    const std::string message =
        fmt::format("{}ed (exit code {}{}) in {:.1f} s", verb, exit_code,
                    reboot == core::RebootKind::kNone
                        ? ""
                        : fmt::format(", {} reboot requested", core::ToString(reboot)),
                    static_cast<double>(outcome->elapsed.count()) / 1000.0);
    log.Note(message);
    return ItemResult::Succeeded(reboot, fmt::format("{}: {}", what, message));
  }();
  // The outcome is consumed: the installer is no longer anyone's to adopt.
  if (Status removed = records_.Remove(item.id); !removed) log.Note(removed.error().message);
  return result;
}

Result<fs::path> RealExecutor::FetchContent(const core::App& app, ItemLog& log,
                                            const ProgressFn& progress) {
  const core::AppContent& content = app.content;
  if (!identity::IsSha256Hex(content.sha256) || content.size < 0) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "the app's content has a malformed SHA-256 (64 lower-case hex digits) or size");
  }
  const std::string file_name = content.file_name.empty() ? content.sha256 : content.file_name;
  if (!IsContentFileName(file_name)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("content file name \"{}\" must be a single file name", file_name));
  }
  const fs::path folder = state_dir_ / "content" / content.sha256;
  std::error_code ec;
  fs::create_directories(folder, ec);
  // Content is not secret: its folder is 0755 and its files 0644 (content_source.cpp), so that
  // an installer run as the user reads it from its working folder (STATE itself stays private).
  if (!ec) fs::permissions(folder, fs::perms(0755), ec);
  if (ec) {
    return MakeError(ErrorCode::kInternal,
                     fmt::format("cannot create {}: {}", folder.string(), ec.message()));
  }
  log.Note(fmt::format("fetching content {} ({} bytes, SHA-256 {})", file_name, content.size,
                       content.sha256));
  Status fetched = Ok{};
  {
    ContentLock lock(*this, content.sha256);
    fetched = content_.Fetch(content.sha256, static_cast<std::uint64_t>(content.size),
                             folder / file_name, progress);
  }
  if (!fetched) {
    Error error = fetched.error();
    error.message = fmt::format("content {}: {}", file_name, error.message);
    return error;
  }
  return folder / file_name;
}

Result<ItemResult> RealExecutor::ContentFailure(const core::PlanItem& item, std::string_view what,
                                                const Error& error, ItemLog& log) {
  if (error.code == ErrorCode::kUnavailable) {
    log.Note(fmt::format("content not available yet: {}", error.message));
    return MakeError(ErrorCode::kUnavailable, fmt::format("{}: {}", what, error.message), item.id);
  }
  log.Note(error.message);
  return ItemResult::Failed(
      error.code == ErrorCode::kFailedPrecondition ? kContentMismatchCode : kGenericFailureCode,
      fmt::format("{}: {}", what, error.message));
}

std::optional<ShellOutcome> RealExecutor::AdoptInstaller(const InstallerRecord& wanted,
                                                         milliseconds limit,
                                                         const ApplyContext& context,
                                                         ItemLog& log) {
  const std::string& item_id = wanted.item_id;
  const auto forget = [&] {
    if (Status removed = records_.Remove(item_id); !removed) log.Note(removed.error().message);
  };
  Result<std::optional<InstallerRecord>> found = records_.Find(item_id);
  if (!found) {
    log.Note(fmt::format("ignored the installer record: {}", found.error().message));
    forget();
    return std::nullopt;
  }
  if (!found->has_value()) return std::nullopt;
  const InstallerRecord& record = **found;
  const auto started_at = [&record] {
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                       std::chrono::floor<std::chrono::seconds>(
                           std::chrono::system_clock::time_point(milliseconds(record.started_ms))));
  };
  // An installer between fork and exec cannot be told from a reused process id yet: give it
  // the moment it needs.
  InstallerRecords::State state = records_.StateOf(record);
  while (state == InstallerRecords::State::kStarting) {
    if (context.stop.stop_requested()) {
      records_.Kill(record);
      forget();
      return ShellOutcome{ShellOutcome::End::kStopped, 0, 0, milliseconds(0)};
    }
    std::this_thread::sleep_for(milliseconds(50));
    state = records_.StateOf(record);
  }
  if (!record.SameCommand(wanted)) {
    log.Note(fmt::format(
        "killing the {} command of version {} that an earlier run of the agent started at {} "
        "(process group {}) if it still runs: this is the {} of version {}",
        record.action, record.version, started_at(), records_.GroupOf(record), wanted.action,
        wanted.version));
    records_.Kill(record);
    forget();
    return std::nullopt;
  }
  const pid_t group = records_.GroupOf(record);
  if (state == InstallerRecords::State::kGone) {
    log.Note(fmt::format(
        "the {} command an earlier run of the agent started at {} (process group {}) ended "
        "without an exit status (killed): running it again",
        record.action, started_at(), group));
    records_.Kill(record);  // whatever it left in its group
    forget();
    return std::nullopt;
  }

  log.Note(fmt::format(
      "adopting the {} command an earlier run of the agent started at {} (process group {}), "
      "{}; its output from the start follows",
      record.action, started_at(), group,
      state == InstallerRecords::State::kRunning ? "still running" : "which has ended"));
  const milliseconds since_start(std::max<std::int64_t>(
      0,
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count() -
          record.started_ms));
  // The time limit counts from the installer's start; one already past kills it at once.
  const milliseconds left =
      limit.count() > 0 ? std::max(milliseconds(1), limit - since_start) : milliseconds(0);
  ShellOutcome outcome = WaitForDetachedShell(group, records_.FilesOf(item_id), left, context.stop,
                                              [&log](std::string_view line) { log.Output(line); });
  if (outcome.end == ShellOutcome::End::kVanished) {
    log.Note(fmt::format(
        "the adopted {} command ended without an exit status (killed): running it again",
        record.action));
    records_.Kill(record);
    forget();
    return std::nullopt;
  }
  outcome.elapsed = since_start + outcome.elapsed;
  return outcome;
}

Result<std::optional<RecordUser>> RealExecutor::PolicyUser(const core::PlanItem& item,
                                                           const ApplyContext& context) const {
  if (item.context != core::InstallContext::kUser || context.user_name.empty()) {
    return std::optional<RecordUser>();
  }
  const std::optional<LocalAccount> account = FindUser(root_, context.user_name);
  if (!account) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("the user's account {} is not on the device", context.user_name));
  }
  return std::optional<RecordUser>(RecordUser{account->name, account->uid});
}

Result<ItemResult> RealExecutor::ApplyPolicy(const core::PlanItem& item, const core::Policy& policy,
                                             const ApplyContext& context) {
  const std::string what = Describe("policy", item, policy.display_name);
  ItemLog log(state_dir_ / "logs", item.id, log_);
  log.Note(fmt::format("{} {} version {} ({})", Verb(item), what, policy.version, NowUtc()));
  const auto fail = [&](std::string message) {
    log.Note(message);
    return ItemResult::Failed(kGenericFailureCode, fmt::format("{}: {}", what, message));
  };
  if (!IsSafeFileName(item.id)) return fail("the policy id cannot be used as a file name");
  Result<SettingsChange> change = [&]() -> Result<SettingsChange> {
    GC_ASSIGN_OR_RETURN(std::optional<RecordUser> user, PolicyUser(item, context));
    if (user) log.Note(fmt::format("for the user {} (uid {})", user->name, user->uid));
    const std::lock_guard lock(policies_mutex_);
    if (item.action == core::ItemAction::kUninstall) {
      return UninstallPolicySettings(device_root_, item.id, user ? user->name : "");
    }
    GC_ASSIGN_OR_RETURN(PolicyRecord record, RecordOf(item, policy));
    record.user = std::move(user);
    return InstallPolicySettings(device_root_, record);
  }();
  if (!change) return fail(change.error().message);
  for (const std::string& note : change->notes) log.Note(note);
  std::vector<std::string> done;
  if (!change->written.empty())
    done.push_back(fmt::format("wrote {}", fmt::join(change->written, ", ")));
  if (!change->removed.empty())
    done.push_back(fmt::format("removed {}", fmt::join(change->removed, ", ")));
  const std::string message = done.empty()
                                  ? std::string("the settings in force were already on the device")
                                  : fmt::format("{}", fmt::join(done, "; "));
  log.Note(message);
  return ItemResult::Succeeded(core::RebootKind::kNone, fmt::format("{}: {}", what, message));
}

Result<ItemResult> RealExecutor::ApplyCertificate(const core::PlanItem& item,
                                                  const core::CertificateProfile& profile,
                                                  const ApplyContext& context) {
  const std::string what = Describe("certificate", item, profile.display_name);
  ItemLog log(state_dir_ / "logs", item.id, log_);
  log.Note(fmt::format("{} {} version {} ({})", Verb(item), what, profile.version, NowUtc()));
  const auto fail = [&](std::string message) {
    log.Note(message);
    return ItemResult::Failed(kGenericFailureCode, fmt::format("{}: {}", what, message));
  };
  if (!IsSafeFileName(item.id)) return fail("the profile id cannot be used as a file name");
  const fs::path certificate_path = CertificatePath(item.id);
  const fs::path key_path = PrivateKeyPath(item.id);
  if (item.action == core::ItemAction::kUninstall) {
    if (Status removed = RemoveFile(certificate_path); !removed) {
      return fail(removed.error().message);
    }
    if (Status removed = RemoveFile(key_path); !removed) return fail(removed.error().message);
    log.Note(fmt::format("removed {} and its key", certificate_path.string()));
    return ItemResult::Succeeded(core::RebootKind::kNone,
                                 fmt::format("{}: removed {}", what, certificate_path.string()));
  }
  if (!issuer_) return fail("no certificate issuer was configured");
  Result<std::string> key = identity::GenerateP256KeyPem();
  if (!key) return fail(fmt::format("cannot generate a key: {}", key.error().message));
  const std::string common_name = CsrCommonName(profile, context);
  Result<std::string> csr = identity::MakeCsr(*key, common_name);
  if (!csr) return fail(fmt::format("cannot make the request: {}", csr.error().message));
  log.Note(fmt::format("requesting a certificate for CN={}", common_name));
  Result<std::string> certificate = issuer_(profile, std::move(*csr));
  if (!certificate) {
    const Error& error = certificate.error();
    if (error.code == ErrorCode::kUnavailable) {
      log.Note(fmt::format("the issuer is not available yet: {}", error.message));
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("{}: the issuer is not available: {}", what, error.message),
                       item.id);
    }
    return fail(fmt::format("the certificate request was refused: {}", error.message));
  }
  if (certificate->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return fail("the issuer's answer is not a PEM certificate");
  }
  // The key first: a certificate is never on disk without its key.
  if (Status written = WriteFileAtomically(key_path, *key, 0600); !written) {
    return fail(written.error().message);
  }
  if (Status written = WriteFileAtomically(certificate_path, *certificate, 0644); !written) {
    return fail(written.error().message);
  }
  log.Note(fmt::format("wrote {} and its key", certificate_path.string()));
  return ItemResult::Succeeded(core::RebootKind::kNone,
                               fmt::format("{}: wrote {}", what, certificate_path.string()));
}

Result<ItemResult> RealExecutor::ApplyNetwork(const core::PlanItem& item,
                                              const core::NetworkProfile& profile,
                                              const ApplyContext& context) {
  const std::string what = Describe("network profile", item, profile.display_name);
  ItemLog log(state_dir_ / "logs", item.id, log_);
  log.Note(fmt::format("{} {} version {} ({})", Verb(item), what, profile.version, NowUtc()));
  const auto fail = [&](std::int64_t code, std::string message) {
    log.Note(message);
    return ItemResult::Failed(code, fmt::format("{}: {}", what, message));
  };
  const fs::path dir = SystemConnectionsDir(root_);
  const std::string uuid = ConnectionUuid(item.id);
  if (item.action == core::ItemAction::kUninstall) {
    if (Status removed = RemoveKeyfilesWithUuid(dir, uuid, {}); !removed) {
      return fail(kGenericFailureCode, removed.error().message);
    }
    log.Note(fmt::format("removed the keyfiles of connection {}", uuid));
    return ItemResult::Succeeded(core::RebootKind::kNone,
                                 fmt::format("{}: removed connection {}", what, uuid));
  }
  Result<std::string> keyfile = RenderKeyfile(profile, context.user_name);
  if (!keyfile) {
    const Error& error = keyfile.error();
    const std::int64_t code = error.field == "security" ? kNotSupportedCode : kGenericFailureCode;
    return fail(code, error.field.empty() ? error.message
                                          : fmt::format("{}: {}", error.field, error.message));
  }
  const fs::path path = dir / KeyfileName(profile);
  if (Status written = WriteFileAtomically(path, *keyfile, 0600); !written) {
    return fail(kGenericFailureCode, written.error().message);
  }
  if (Status removed = RemoveKeyfilesWithUuid(dir, uuid, path); !removed) {
    return fail(kGenericFailureCode, removed.error().message);
  }
  log.Note(fmt::format("wrote {} (connection {})", path.string(), uuid));
  return ItemResult::Succeeded(core::RebootKind::kNone,
                               fmt::format("{}: wrote {}", what, path.string()));
}

std::vector<std::string> RealExecutor::PendingInstallers() const { return records_.Pending(); }

Result<bool> RealExecutor::Detect(const core::PlanItem& item, const Payloads& payloads,
                                  const ApplyContext& context) {
  switch (item.kind) {
    case core::ItemKind::kApp: {
      const core::App* app = payloads.FindApp(item.id);
      if (app == nullptr) return MissingPayload(item);
      if (app->kind != core::AppKind::kScript) return DetectPackageApp(item, *app, context);
      ItemLog log(state_dir_ / "logs", item.id, log_);
      log.Note(
          fmt::format("detecting {} ({})", Describe("app", item, app->display_name), NowUtc()));
      const DetectionEnvironment detection{root_, Environment(item, context),
                                           options_.detection_time_limit, context.stop,
                                           [&log](std::string_view line) { log.Output(line); }};
      Result<bool> present = EvaluateDetectionRules(app->detection_rules, detection);
      if (!present) {
        Error error = present.error();
        error.message =
            fmt::format("{}: detection rules: {}{}", Describe("app", item, app->display_name),
                        error.field.empty() ? "" : error.field + ": ", error.message);
        return error;
      }
      return *present;
    }
    case core::ItemKind::kPolicy: {
      const core::Policy* policy = payloads.FindPolicy(item.id);
      if (policy == nullptr) return MissingPayload(item);
      if (!IsSafeFileName(item.id)) return false;
      Result<PolicyRecord> record = RecordOf(item, *policy);
      Result<std::optional<RecordUser>> user = PolicyUser(item, context);
      if (!record || !user) return false;
      record->user = std::move(*user);
      return PolicySettingsPresent(device_root_, *record);
    }
    case core::ItemKind::kCertificate: {
      if (payloads.FindCertificate(item.id) == nullptr) return MissingPayload(item);
      if (!IsSafeFileName(item.id)) return false;
      std::error_code ec;
      return fs::is_regular_file(CertificatePath(item.id), ec) &&
             fs::is_regular_file(PrivateKeyPath(item.id), ec);
    }
    case core::ItemKind::kNetwork: {
      const core::NetworkProfile* profile = payloads.FindNetworkProfile(item.id);
      if (profile == nullptr) return MissingPayload(item);
      Result<std::string> keyfile = RenderKeyfile(*profile, context.user_name);
      if (!keyfile) return false;
      Result<std::string> bytes =
          ReadWholeFile(SystemConnectionsDir(root_) / KeyfileName(*profile));
      return bytes.has_value() && *bytes == *keyfile;
    }
    case core::ItemKind::kPreparationStep:
      return NotForExecutors(item);
  }
  return NotForExecutors(item);
}

Result<core::DeviceFacts> RealExecutor::ReadFacts() {
  // The catalog's settings as their detectors read them back from the files.
  const SettingReader read_setting = [this](std::string_view id) {
    return DetectSetting(device_root_, id);
  };
  return ReadComplianceFacts(device_root_, read_setting);
}

}  // namespace groundcrew::executor

#include "device/executor/package_installer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <system_error>
#include <vector>

#include "common/text.hpp"
#include "core/debian/debian_version.hpp"
#include "debian_archive/deb_file.hpp"
#include "device/executor/item_log.hpp"

namespace groundcrew::executor {
namespace fs = std::filesystem;
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// Where a deb app's .deb is put inside the root for apt (which runs there) to install it.
constexpr std::string_view kDebCache = "/var/cache/groundcrew/debs";

bool Contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  return lines;
}

std::string Seconds(milliseconds elapsed) {
  return fmt::format("{:.1f} s", static_cast<double>(elapsed.count()) / 1000.0);
}

// Whether the root's package lists exist and the newest is younger than `max_age`.
bool ListsAreFresh(const DeviceRoot& root, std::chrono::minutes max_age) {
  std::error_code ec;
  fs::directory_iterator it(root.Under("var/lib/apt/lists"), ec);
  if (ec) return false;
  const auto now = fs::file_time_type::clock::now();
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return false;
    const std::string name = it->path().filename().string();
    std::error_code file_ec;
    if (!Contains(name, "_Packages") || !it->is_regular_file(file_ec)) continue;
    const auto written = fs::last_write_time(it->path(), file_ec);
    if (!file_ec && now - written < max_age) return true;
  }
  return false;
}

// One Apply's tool runs: one deadline for all of them, the stop token, output to the log.
class ToolRunner {
 public:
  ToolRunner(const DeviceRoot& root, const PackageRun& run)
      : root_(root), run_(run), started_(SteadyClock::now()) {}

  // The tool's outcome (past the item's deadline: kTimedOut); kAborted when a stop was
  // requested, before or while it ran.
  Result<ToolOutcome> Run(std::vector<std::string> argv) const {
    if (run_.stop.stop_requested()) {
      return Stopped(fmt::format("stopped before {} ran", argv.front()));
    }
    milliseconds limit{0};
    if (run_.time_limit.count() > 0) {
      limit = run_.time_limit - Elapsed();
      if (limit.count() <= 0) limit = milliseconds(1);  // ends at once as timed out
    }
    std::string shown;
    for (const std::string& arg : argv) shown += (shown.empty() ? "" : " ") + ShellQuote(arg);
    run_.log.Note(fmt::format("running {}", shown));
    Result<ToolOutcome> outcome =
        root_.Run({std::move(argv), {}, limit, run_.stop, [this](std::string_view line) {
                     run_.log.Output(line);
                   }});
    if (!outcome) return outcome.error();
    if (outcome->outcome.end == ShellOutcome::End::kStopped) {
      return Stopped(fmt::format("stopped; {} was killed", shown));
    }
    return outcome;
  }

  milliseconds Elapsed() const {
    return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - started_);
  }

 private:
  Error Stopped(const std::string& message) const {
    run_.log.Note(message);
    return MakeError(ErrorCode::kAborted, fmt::format("{}: {}", run_.what, message));
  }

  const DeviceRoot& root_;
  const PackageRun& run_;
  SteadyClock::time_point started_;
};

}  // namespace

AptFailure ClassifyAptFailure(std::string_view output) {
  if (Contains(output, "Could not get lock") ||
      Contains(output, "Unable to acquire the dpkg frontend lock") ||
      Contains(output, "Unable to lock the administration directory") ||
      Contains(output, "Unable to lock directory")) {
    return AptFailure::kLockHeld;
  }
  if (Contains(output, "Unable to locate package") ||
      Contains(output, "has no installation candidate") ||
      (Contains(output, "E: Version '") && Contains(output, "' was not found"))) {
    return AptFailure::kNotLocated;
  }
  return AptFailure::kOther;
}

std::string AptErrorText(std::string_view output) {
  std::vector<std::string> picked;
  bool unmet = false;
  for (const std::string_view raw : Lines(output)) {
    const std::string_view line = text::Trim(raw);
    if (unmet && !raw.empty() && (raw.front() == ' ' || raw.front() == '\t') && !line.empty()) {
      picked.emplace_back(line);
      continue;
    }
    unmet = line == "The following packages have unmet dependencies:";
    if (line.starts_with("E: ") && !line.starts_with("E: Can not write log")) {
      picked.emplace_back(line);
    }
  }
  if (picked.empty()) {
    ToolOutcome last;
    last.output = std::string(output);
    return last.LastLine();
  }
  if (picked.size() > 4) picked.erase(picked.begin(), picked.end() - 4);
  std::string joined;
  for (const std::string& line : picked) joined += (joined.empty() ? "" : "; ") + line;
  return joined;
}

Result<PackageState> PackageInstaller::Query(std::string_view name, std::stop_token stop) const {
  Result<ToolOutcome> queried =
      root_.Run({{"dpkg-query", "-W", "-f", "${db:Status-Status} ${Version}\\n", std::string(name)},
                 {},
                 options_.query_time_limit,
                 stop,
                 {}});
  if (!queried) return queried.error();
  if (queried->outcome.end == ShellOutcome::End::kStopped) {
    return MakeError(ErrorCode::kAborted, fmt::format("dpkg-query {} was stopped", name));
  }
  PackageState state;
  if (!queried->ok()) {
    if (queried->outcome.end == ShellOutcome::End::kExited && queried->outcome.exit_code == 1 &&
        Contains(queried->output, "no packages found matching")) {
      return state;
    }
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("dpkg-query -W {}: {}", name, queried->Describe()));
  }
  // One line per architecture the package is known for: installed if any is.
  for (const std::string_view line : Lines(queried->output)) {
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    const std::string_view status = line.substr(0, space);
    const std::string_view version = text::Trim(line.substr(space + 1));
    if (status == "installed") {
      state.installed = true;
      state.version = std::string(version);
      break;
    }
    if (state.version.empty()) state.version = std::string(version);
  }
  return state;
}

Result<bool> PackageInstaller::Detect(const core::App& app, std::stop_token stop) const {
  if (app.package_name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the app names no package", "packageName");
  }
  Result<PackageState> state = Query(app.package_name, stop);
  if (!state) return state.error();
  return state->installed &&
         (app.package_version.empty() ||
          core::CompareDebianVersions(state->version, app.package_version) >= 0);
}

Result<ItemResult> PackageInstaller::Apply(const core::PlanItem& item, const core::App& app,
                                           const fs::path& deb, const PackageRun& run) const {
  ItemLog& log = run.log;
  const bool install = item.action == core::ItemAction::kInstall;
  const auto fail = [&](std::int64_t code, std::string message) {
    log.Note(message);
    return ItemResult::Failed(code, fmt::format("{}: {}", run.what, message));
  };
  const ToolRunner runner(root_, run);
  // How a tool that did not exit ends the item (nullopt: it exited).
  const auto ended = [&](const ToolOutcome& tool,
                         std::string_view name) -> std::optional<Result<ItemResult>> {
    switch (tool.outcome.end) {
      case ShellOutcome::End::kExited:
        return std::nullopt;
      case ShellOutcome::End::kTimedOut:
        return fail(
            core::kTimeoutErrorCode,
            fmt::format("{} {}: the item's time limit; it was killed", name, tool.Describe()));
      default:
        return fail(kGenericFailureCode, fmt::format("{}: {}", name, tool.Describe()));
    }
  };

  std::string name = app.package_name;
  std::string wanted = app.package_version;
  if (app.kind == core::AppKind::kDeb && install) {
    const std::string file = deb.filename().string();
    Result<debian_archive::DebControl> control = debian_archive::ReadDebControlFile(deb);
    if (!control) {
      return fail(kGenericFailureCode,
                  fmt::format("content {}: {}", file, control.error().message));
    }
    if (!name.empty() && name != control->package) {
      return fail(kGenericFailureCode,
                  fmt::format("content {} is package \"{}\", but the app installs \"{}\"", file,
                              control->package, name));
    }
    name = control->package;
    wanted = control->version;
    // The root's dpkg says what it runs.
    Result<ToolOutcome> native = runner.Run({"dpkg", "--print-architecture"});
    if (!native) return native.error();
    if (auto done = ended(*native, "dpkg --print-architecture")) return *done;
    if (!native->ok()) {
      return fail(kGenericFailureCode,
                  fmt::format("dpkg --print-architecture: {}", native->Describe()));
    }
    Result<ToolOutcome> foreign = runner.Run({"dpkg", "--print-foreign-architectures"});
    if (!foreign) return foreign.error();
    if (auto done = ended(*foreign, "dpkg --print-foreign-architectures")) return *done;
    std::vector<std::string> foreign_architectures;
    for (const std::string_view line : Lines(foreign->output)) {
      if (!text::Trim(line).empty()) foreign_architectures.emplace_back(text::Trim(line));
    }
    if (Status runs = debian_archive::CheckArchitecture(
            control->architecture, text::Trim(native->output), foreign_architectures);
        !runs) {
      return fail(kNotSupportedCode, fmt::format("content {}: {}", file, runs.error().message));
    }
  }
  if (name.empty()) return fail(kGenericFailureCode, "the app names no package (packageName)");

  Result<PackageState> before = Query(name, run.stop);
  if (!before) {
    if (before.error().code == ErrorCode::kAborted) {
      return MakeError(ErrorCode::kAborted, fmt::format("{}: stopped", run.what), item.id);
    }
    return fail(kGenericFailureCode, before.error().message);
  }
  const auto wanted_text = [&] {
    return wanted.empty() ? std::string("any version") : fmt::format("{} or later", wanted);
  };
  const auto is_present = [&](const PackageState& state) {
    return state.installed &&
           (wanted.empty() || core::CompareDebianVersions(state.version, wanted) >= 0);
  };
  if (install && is_present(*before)) {
    const std::string message = fmt::format("already installed: {} {} (wanted {}), nothing was run",
                                            name, before->version, wanted_text());
    log.Note(message);
    return ItemResult::Detected(fmt::format("{}: {}", run.what, message));
  }
  if (!install && !before->installed) {
    const std::string message = fmt::format("already absent: {} is not installed", name);
    log.Note(message);
    return ItemResult::Detected(fmt::format("{}: {}", run.what, message));
  }

  // The package's argument to apt-get: a .deb copied into the root, or NAME[=VERSION].
  std::string target = name;
  fs::path copied;
  if (install && app.kind == core::AppKind::kDeb) {
    const std::string inside = fmt::format("{}/{}.deb", kDebCache, app.content.sha256);
    copied = root_.Under(inside);
    std::error_code ec;
    fs::create_directories(copied.parent_path(), ec);
    if (!ec) fs::copy_file(deb, copied, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      return fail(kGenericFailureCode,
                  fmt::format("cannot copy the .deb to {}: {}", copied.string(), ec.message()));
    }
    target = inside;
  } else if (install && !wanted.empty()) {
    target = fmt::format("{}={}", name, wanted);
  }
  struct RemoveCopy {
    fs::path path;
    ~RemoveCopy() {
      std::error_code ec;
      if (!path.empty()) fs::remove(path, ec);
    }
  } remove_copy{copied};

  const auto apt_failure = [&](const ToolOutcome& tool,
                               std::string_view action) -> Result<ItemResult> {
    const std::string error = AptErrorText(tool.output);
    if (ClassifyAptFailure(tool.output) == AptFailure::kLockHeld) {
      const std::string message =
          fmt::format("another package manager holds dpkg's lock ({}): trying again later", error);
      log.Note(message);
      return ItemResult::Retry(kPackageManagerBusyCode, fmt::format("{}: {}", run.what, message));
    }
    return fail(tool.outcome.exit_code, fmt::format("apt-get {} failed (exit status {}): {}",
                                                    action, tool.outcome.exit_code, error));
  };
  bool updated = false;
  std::string update_error;
  const auto update = [&]() -> std::optional<Result<ItemResult>> {
    updated = true;
    Result<ToolOutcome> lists = runner.Run({"apt-get", "update"});
    if (!lists) return Result<ItemResult>(lists.error());
    if (auto done = ended(*lists, "apt-get update")) return done;
    if (lists->ok()) return std::nullopt;
    if (ClassifyAptFailure(lists->output) == AptFailure::kLockHeld) {
      return apt_failure(*lists, "update");
    }
    // Lists that cannot be updated (offline): the install may still work with the old ones.
    update_error = fmt::format("apt-get update failed: {}", AptErrorText(lists->output));
    log.Note(update_error);
    return std::nullopt;
  };

  const std::string_view action = install ? "install" : "remove";
  std::vector<std::string> argv = {"apt-get", std::string(action), "-y"};
  if (install) {
    argv.insert(argv.end(), {"--no-install-recommends", "-o", "Dpkg::Options::=--force-confdef",
                             "-o", "Dpkg::Options::=--force-confold"});
  }
  argv.push_back(target);
  if (install && !ListsAreFresh(root_, options_.list_max_age)) {
    if (auto done = update()) return *done;
  }
  Result<ToolOutcome> applied = runner.Run(argv);
  if (!applied) return applied.error();
  if (auto done = ended(*applied, fmt::format("apt-get {}", action))) return *done;
  if (install && !applied->ok() && !updated &&
      ClassifyAptFailure(applied->output) == AptFailure::kNotLocated) {
    if (auto done = update()) return *done;
    applied = runner.Run(argv);
    if (!applied) return applied.error();
    if (auto done = ended(*applied, fmt::format("apt-get {}", action))) return *done;
  }
  if (!applied->ok()) {
    Result<ItemResult> failed = apt_failure(*applied, action);
    if (failed && !update_error.empty() && failed->outcome == ItemResult::Outcome::kFailed) {
      failed->message += fmt::format(" (after {})", update_error);
    }
    return failed;
  }

  Result<PackageState> after = Query(name, run.stop);
  if (!after) {
    if (after.error().code == ErrorCode::kAborted) {
      return MakeError(ErrorCode::kAborted, fmt::format("{}: stopped", run.what), item.id);
    }
    return fail(kGenericFailureCode, after.error().message);
  }
  if (install && !is_present(*after)) {
    return fail(
        kNotDetectedAfterInstallCode,
        fmt::format("installed but not detected: apt-get install succeeded but dpkg "
                    "shows {} {} (wanted {})",
                    name, after->installed ? after->version : "not installed", wanted_text()));
  }
  if (!install && after->installed) {
    return fail(kNotDetectedAfterInstallCode,
                fmt::format("removed but still detected: apt-get remove succeeded but dpkg shows "
                            "{} {} installed",
                            name, after->version));
  }
  const std::string message =
      install ? fmt::format("installed {} {} with apt-get in {}", name, after->version,
                            Seconds(runner.Elapsed()))
              : fmt::format("removed {} with apt-get in {}", name, Seconds(runner.Elapsed()));
  log.Note(message);
  return ItemResult::Succeeded(core::RebootKind::kNone, fmt::format("{}: {}", run.what, message));
}

}  // namespace groundcrew::executor

#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>

#include "common/clock.hpp"
#include "core/compliance/compliance.hpp"
#include "core/esp/plan.hpp"
#include "core/esp/run.hpp"
#include "device/agent/answers.hpp"
#include "device/agent/journal.hpp"
#include "device/agent/service_client.hpp"
#include "device/agent/view.hpp"
#include "device/executor/local_account.hpp"
#include "device/flow/phase_steps.hpp"

// `groundcrew-agent oobe`: drives the core's technician flow and user flow
// (core/flow/technician_flow.hpp, user_flow.hpp) against the service, screen by screen:
// network, profile, the technician's pre-provisioning (Device preparation, Device setup, the
// result, reseal) or the user's sign-in with MFA, Device setup (the delta), privacy and Account
// setup, up to the desktop. Every event it applies is journaled first (journal.hpp), so that a
// restart rebuilds the flow exactly and resumes it (the core treats the restart as Rebooted);
// every transition is reported to the service as an event with an idempotency key, queued in
// the journal while the service cannot be reached.
namespace groundcrew::agent {

/// How a run ended (the process exit code).
enum class OobeExit {
  kDone = 0,             ///< resealed (technician flow) or at the desktop (user flow)
  kFailed = 1,           ///< an error screen with no button left to press, or a refusal
  kUsage = 2,            ///< bad options or answers
  kRebootRequested = 3,  ///< an app asked for a restart: run again to continue
  kReset = 4,            ///< the device was reset: its local state is wiped
};

/// What one item did, as the executor reports it.
using ItemOutcome = device::ItemOutcome;

/// Receives bytes done of bytes total (0 = unknown) while an item runs, from the thread running
/// it (the signature of executor::ProgressFn). May be empty. For the UI only.
using ItemProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// Applies one plan item on the device (an executor over the plan's payloads). Called from
/// several threads at once, for different items. When `stop` is requested (the item timed out,
/// or its phase failed) it ends at once, killing what it runs; its outcome is then ignored.
/// Reports how far it is to `progress` (when not empty) as it goes.
using ItemRunner = std::function<ItemOutcome(const core::PlanItem& item, std::stop_token stop,
                                             const ItemProgressFn& progress)>;

/// Makes the runner for one flow from the deployment's payloads (JSON as the service sent
/// them) and the signed-in user's name ("" in the technician flow).
using RunnerFactory =
    std::function<Result<ItemRunner>(const boost::json::object& payloads, const std::string& user)>;

struct OobeOptions {
  std::filesystem::path root = "/";
  std::filesystem::path state = "/var/lib/groundcrew";
  bool preprovision = false;  ///< the technician key sequence, for scripts
  Answers answers;
  std::string on_complete;  ///< a command run with /bin/sh when the desktop appears
  int concurrency = 4;      ///< items installing at once
  std::chrono::seconds network_wait{std::chrono::minutes(5)};  ///< before giving up, per wait
  /// The items whose installer a previous, killed run of the agent left running or finished
  /// unread (executor::Executor::PendingInstallers); null = none. The runner adopts them.
  std::function<std::vector<std::string>()> pending_installers;
  /// The ids of the signed-in user's new local account (executor::SetUpAccount); not set =
  /// UID_MIN-UID_MAX of ROOT/etc/login.defs.
  std::optional<executor::IdRange> account_ids;
  /// Reads the device's compliance facts (the executor's reader); null = report nothing.
  std::function<Result<core::DeviceFacts>()> read_facts;
};

/// Runs the out-of-box flow until it ends or needs a restart, showing every screen on `view`
/// and, when the view is interactive, waiting there for the person's decisions (what the
/// answers file does not say). Never throws; errors reach the screen and the exit code. The
/// screen the run ended on is left in `last` (when given), for a summary once the view is gone.
OobeExit RunOobe(const OobeOptions& options, ServiceClient& service, Journal& journal, View& view,
                 const RunnerFactory& make_runner, const Clock& clock,
                 device::Screen* last = nullptr);

}  // namespace groundcrew::agent

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "device/executor/executor.hpp"

// The executor of simulated devices (the fleet simulator, load tests): it touches no file and
// runs nothing; items take the time and fail at the rate their payload's description says.
//
// The convention: an app's (or a policy's) `description` may contain the token `sim:` followed,
// without spaces, by comma-separated key=value settings — the rest of the description is free
// text, e.g. "Contoso VPN client. sim:duration=2s,jitter=0.25,failureRate=0.1,exitCode=1603".
//   duration     how long an attempt takes: <number><unit>, unit ms, s or m (default 0)
//   jitter       each attempt's duration varies uniformly within ± this fraction (0-1, default 0)
//   failureRate  the probability that an attempt ends with exitCode (0-1, default 0)
//   exitCode     the exit code of such an attempt (integer, default 1603); it is classified with
//                the app's return codes like a real one, so 1618 asks for a retry and 3010 is a
//                success with a soft reboot; successful attempts exit 0
// The description is the only free-text field apps and policies both have, and it travels with
// the payload to the device, so the simulator needs no extra wire field. Certificates and
// network profiles (no description) always succeed at once.
namespace groundcrew::executor {

struct SimBehaviour {
  std::chrono::milliseconds duration{0};
  double jitter = 0;
  double failure_rate = 0;
  int exit_code = 1603;

  friend bool operator==(const SimBehaviour&, const SimBehaviour&) = default;
};

/// The behaviour `description` asks for (defaults when it has no `sim:` token).
/// kInvalidArgument (field "description") naming the setting for an unknown key, a missing '=',
/// a malformed number or unit, or a value out of range.
[[nodiscard]] Result<SimBehaviour> ParseSimBehaviour(std::string_view description);

struct SimExecutorOptions {
  /// With the item id, action and attempt number, decides every random draw: the same seed gives
  /// the same outcomes and durations, run after run.
  std::uint64_t seed = 0;
  /// Waits (simulated install time). Default: std::this_thread::sleep_for. Tests pass a fake.
  std::function<void(std::chrono::milliseconds)> sleep;
  /// What ReadFacts returns.
  core::DeviceFacts facts;
  /// Ids of payloads present from the start (e.g. a device resuming its user flow).
  std::set<std::string, std::less<>> installed;
};

/// Apply: a Device-preparation step or a missing payload is an error as for every executor.
/// An app or policy install whose id is installed already is a detected success (an uninstall
/// of one that is not, likewise); otherwise the attempt waits its duration (in up to 10 steps,
/// reporting the app's content size as progress, and checking ApplyContext::stop between steps:
/// kAborted), then exits 0 or, with probability failureRate, exitCode, classified with the app's
/// return codes (policies: non-zero fails). An attempt whose duration exceeds the item's
/// time_limit_minutes waits the limit and fails with core::kTimeoutErrorCode. A success records
/// the id as installed (or removes it). A malformed `sim:` setting fails the item, naming it.
/// Detect: whether the id is installed. Thread-safe.
class SimExecutor final : public Executor {
 public:
  explicit SimExecutor(SimExecutorOptions options = {});

  [[nodiscard]] Result<ItemResult> Apply(const core::PlanItem& item, const Payloads& payloads,
                                         const ApplyContext& context,
                                         const ProgressFn& progress) override;
  [[nodiscard]] Result<bool> Detect(const core::PlanItem& item, const Payloads& payloads,
                                    const ApplyContext& context) override;
  [[nodiscard]] Result<core::DeviceFacts> ReadFacts() override;

  /// The duration an attempt of `item` number `attempt` (1 for the first) will take and whether
  /// it fails, as Apply decides them: a pure function of the seed, the item and the attempt.
  struct Draw {
    std::chrono::milliseconds duration{0};
    bool fails = false;
  };
  Draw DrawFor(const core::PlanItem& item, const SimBehaviour& behaviour, int attempt) const;

 private:
  Result<ItemResult> Run(const core::PlanItem& item, std::string_view what,
                         std::string_view description, const core::App* app,
                         const ApplyContext& context, const ProgressFn& progress);

  SimExecutorOptions options_;
  std::mutex mutex_;
  std::set<std::string, std::less<>> installed_;      // guarded by mutex_
  std::map<std::string, int, std::less<>> attempts_;  // guarded by mutex_
};

}  // namespace groundcrew::executor

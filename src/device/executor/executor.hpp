#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/compliance/compliance.hpp"
#include "core/esp/plan.hpp"
#include "core/esp/run.hpp"
#include "core/model/payloads.hpp"

// Executors apply one ESP item at a time on a device: install or uninstall an app, write or
// remove a policy, a certificate or a network profile. The agent's driver decides *when* items
// run (core::ReadyItems, dependencies, installer classes, retries, the phase clock) and feeds
// the outcome to the phase run (ToRunEvent); an executor only decides *how* one item is applied.
//
// Threads: Apply, Detect and ReadFacts may be called from several threads at once, for
// different items. Calling them for the same item from two threads at once is not supported.
namespace groundcrew::executor {

/// Reports bytes done out of bytes total (total 0 = unknown) while an item runs. May be empty.
/// Called on the thread running Apply.
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

/// Receives every line written to an item's log (installer output and the executor's own notes,
/// which start with "groundcrew: "), without the newline. Called on the thread running Apply,
/// so from several threads at once: it must be thread-safe. Never receives a secret (PSK,
/// private key) from the executor itself; installer output is passed on as the installer wrote it.
using LogSink = std::function<void(std::string_view item_id, std::string_view line)>;

// Codes an ItemResult carries when no installer exit code applies (HRESULTs, as Autopilot shows
// them; core::FormatErrorCode prints them in hex).
/// E_FAIL: anything without a more precise code (a file that cannot be written, a refused
/// certificate request, a malformed detection rule...). The message says what.
inline constexpr std::int64_t kGenericFailureCode = 0x80004005;
/// The installer succeeded but the detection rules do not find the app (Intune's 0x87D1041C);
/// also an uninstall after which the rules still find it.
inline constexpr std::int64_t kNotDetectedAfterInstallCode = 0x87D1041C;
/// HRESULT_FROM_WIN32(ERROR_CRC): downloaded content did not match its SHA-256 or size.
inline constexpr std::int64_t kContentMismatchCode = 0x80070017;
/// HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED): the item asks for something this executor cannot do
/// (e.g. a WPA2-Enterprise Wi-Fi profile, which carries no EAP settings yet).
inline constexpr std::int64_t kNotSupportedCode = 0x80070032;
/// Timeouts use core::kTimeoutErrorCode (0x800705B4).

/// The payloads a plan's items refer to, decoded, keyed by id (PlanItem::id).
struct Payloads {
  std::map<std::string, core::App, std::less<>> apps;
  std::map<std::string, core::Policy, std::less<>> policies;
  std::map<std::string, core::CertificateProfile, std::less<>> certificates;
  std::map<std::string, core::NetworkProfile, std::less<>> network_profiles;

  /// Adds (or replaces) a payload under its id.
  void Add(core::App app);
  void Add(core::Policy policy);
  void Add(core::CertificateProfile profile);
  void Add(core::NetworkProfile profile);

  /// The payload with `id`, or null.
  const core::App* FindApp(std::string_view id) const;
  const core::Policy* FindPolicy(std::string_view id) const;
  const core::CertificateProfile* FindCertificate(std::string_view id) const;
  const core::NetworkProfile* FindNetworkProfile(std::string_view id) const;
};

/// Who and what an item is applied for, beyond the plan item itself.
struct ApplyContext {
  /// The signed-in user's local account name: `permissions=user:<name>;` of user-scoped network
  /// profiles and GROUNDCREW_USER of user-context apps. Empty in the technician flow.
  std::string user_name;
  /// Fill {{UserPrincipalName}} and {{DeviceName}} in a certificate profile's subject for the
  /// request's common name (the issuer decides the certificate's final subject).
  std::string user_principal_name;
  std::string device_name;
  /// When stop is requested, a running command's process group is killed and Apply returns
  /// kAborted (e.g. the phase clock ran out, or the agent is shutting down).
  std::stop_token stop;
};

/// How one Apply ended, when the executor could decide it.
struct ItemResult {
  enum class Outcome {
    kSucceeded,  ///< installed (or uninstalled); `reboot` says what it asked for
    kFailed,     ///< `code` (exit code or HRESULT) and `message` say why
    kRetry,      ///< the installer asked to be run again later (return code type "retry")
  };
  Outcome outcome = Outcome::kSucceeded;
  core::RebootKind reboot = core::RebootKind::kNone;
  /// Succeeded without doing anything: the detection rules found the app already installed
  /// (or, for an uninstall, already absent). The driver reports it as detected.
  bool detected = false;
  std::int64_t code = 0;
  std::string message;  ///< names the item and says what happened; never holds a secret

  static ItemResult Succeeded(core::RebootKind reboot, std::string message);
  static ItemResult Detected(std::string message);
  static ItemResult Failed(std::int64_t code, std::string message);
  static ItemResult Retry(std::int64_t code, std::string message);

  bool succeeded() const { return outcome == Outcome::kSucceeded; }
};

std::string_view ToString(ItemResult::Outcome outcome);  ///< "succeeded", "failed", "retry"

/// The phase-run event for `result`: ItemSucceeded (with its reboot), ItemFailed (code and
/// message) or ItemNeedsRetry (code).
core::RunEvent ToRunEvent(const std::string& item_id, const ItemResult& result);

class Executor {
 public:
  virtual ~Executor() = default;

  /// Applies `item` (its action: install or uninstall) with its payload from `payloads`,
  /// synchronously. An ItemResult is the item's outcome, to be fed to the phase run. An Error
  /// means the executor could not decide the outcome, and names the item:
  /// - kUnavailable: transient (the service is unreachable for content or a certificate); a
  ///   partial download is kept. Retry later without counting an attempt;
  /// - kAborted: ApplyContext::stop was requested; the command was killed;
  /// - kNotFound: `payloads` has no payload of the item's kind with the item's id;
  /// - kInvalidArgument: the item is not for an executor (a Device-preparation step).
  [[nodiscard]] virtual Result<ItemResult> Apply(const core::PlanItem& item,
                                                 const Payloads& payloads,
                                                 const ApplyContext& context,
                                                 const ProgressFn& progress) = 0;

  /// Whether the item's payload is present on the device as Apply would leave it after an
  /// install: apps per their detection rules (all must hold; no rule = false); policies,
  /// certificates and network profiles by their files. Independent of the item's action.
  /// Errors as Apply's (kNotFound, kInvalidArgument), plus kInvalidArgument for a malformed
  /// detection rule and kFailedPrecondition when a detection command runs past its limit.
  [[nodiscard]] virtual Result<bool> Detect(const core::PlanItem& item, const Payloads& payloads,
                                            const ApplyContext& context) = 0;

  /// What the device says for compliance (core::EvaluateCompliance).
  [[nodiscard]] virtual Result<core::DeviceFacts> ReadFacts() = 0;

  /// The ids (sorted) of the items whose installer, started by an earlier run of the agent (one
  /// killed while it ran), is still starting or running, or has ended with an exit status that
  /// no Apply has consumed yet. Apply of such an item (same id, action and version) adopts that
  /// installer: it waits for it (or takes its exit status) instead of starting a second one, and
  /// its outcome is the outcome of the interrupted attempt. Meant for the driver right after a
  /// restart, before it tells the core about the restart; installers this executor object
  /// started itself are not listed. Reads only. The default (executors whose work cannot
  /// outlive the agent) is none.
  virtual std::vector<std::string> PendingInstallers() const { return {}; }
};

}  // namespace groundcrew::executor

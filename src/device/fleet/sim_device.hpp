#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "core/flow/technician_flow.hpp"
#include "core/flow/user_flow.hpp"
#include "device/executor/sim_executor.hpp"
#include "device/fleet/http_pool.hpp"
#include "device/fleet/stats.hpp"
#include "device/fleet/tenant.hpp"
#include "device/flow/flow_reports.hpp"
#include "device/flow/phase_steps.hpp"
#include "identity/device_key.hpp"

// One simulated device of the fleet: the technician flow then, later, the user flow, driven
// through the core's state machines exactly as groundcrew-agent drives them (the same events,
// the same reports from device::TransitionReports), against the real device API — key proof,
// join, enrollment with a real CSR, deployment documents, sign-in with password and TOTP,
// sessions and events. Installs are simulated: each item takes the time its payload's `sim:`
// settings draw (executor::SimExecutor::DrawFor) on a timer, so thousands of devices share one
// thread. Nothing is written to disk.
namespace groundcrew::fleet {

/// What every device of a run shares. All of it must outlive the devices.
struct FleetContext {
  boost::asio::io_context& io;
  Stats& stats;
  executor::SimExecutor& sim;
  /// Items one device installs at once (the agent's --concurrency).
  int concurrency = 4;
  /// How long the user takes on the sign-in page before typing (uniformly 0..think_time),
  /// and how long a request that found the service unreachable or unavailable is sent again
  /// before the device gives up.
  std::chrono::milliseconds think_time{0};
  std::chrono::milliseconds give_up_after{std::chrono::seconds(60)};
};

/// How one flow of one device went, for the run's summary and the report check.
struct FlowResult {
  bool ran = false;
  core::DeploymentState state = core::DeploymentState::kNotAttempted;
  std::string session_id;
  std::string error;  ///< the first thing that went wrong, when the flow did not succeed
  long long events_sent = 0;
  /// Items per phase as the device ran them ("deviceSetup" -> ids); the report must list each.
  std::map<std::string, std::set<std::string>> items;
};

// Surviving the loss of an instance (or of the database for a moment), as the agent does:
// - a request whose connection fails or is cut before the answer, or that is answered 5xx or
//   429, is sent again, unchanged, after a growing pause (0.25 s doubling to 4 s, with jitter)
//   until FleetContext::give_up_after. Unchanged means with the same idempotency keys: a batch
//   of events is sent again with the keys of its events, which the service stores once;
// - a device proof whose token answer was lost finds its nonce used when sent again (401
//   naming "nonce"): the device starts the proof over with a new nonce, as the agent does on
//   its next call;
// - an MFA code whose answer was lost finds its challenge gone (401 naming "challengeId"):
//   the user signs in again (at most twice), as the agent asks them to, with the next code.
class SimDevice {
 public:
  /// `http` is the pool of the instance this device talks to.
  SimDevice(FleetContext& fleet, HttpPool& http, SimIdentity identity);

  /// The technician flow up to and including reseal. Never throws; the outcome is in
  /// technician().
  boost::asio::awaitable<void> RunTechnician();
  /// The user flow on the resealed device, as its assigned user, up to the desktop.
  boost::asio::awaitable<void> RunUser();

  const SimIdentity& identity() const { return identity_; }
  const FlowResult& technician() const { return technician_; }
  const FlowResult& user() const { return user_result_; }

 private:
  struct Answer {
    int status = 0;
    boost::json::value body;
    bool ok() const { return status >= 200 && status < 300; }
  };
  enum class Flow { kTechnician, kUser };

  // ---- requests (each timed under `kind` in the fleet's stats) ----
  // Requests take views and references: callers pass named objects or literals, never
  // temporaries needing destruction (GCC 12 destroys some of those twice across co_await).
  boost::asio::awaitable<Result<Answer>> Call(std::string_view kind, std::string_view method,
                                              std::string_view target,
                                              const boost::json::value& body,
                                              std::string_view bearer);
  boost::asio::awaitable<Status> ProveKey();
  /// A request below /v1/agent/devices/{id} with the device token (or `bearer`); proves the key
  /// first when there is no token, and once more when the token itself is refused.
  boost::asio::awaitable<Result<Answer>> Device(std::string_view kind, std::string_view method,
                                                std::string_view path,
                                                const boost::json::value& body,
                                                std::string_view bearer = {});

  // ---- flows ----
  boost::asio::awaitable<Status> Technician();
  boost::asio::awaitable<Status> User();
  // Applies `event` to the flow and queues the reports of the transition; they are sent in the
  // background (SendReports), so installs go on while reports travel, as on a real device.
  Status Apply(const core::TechnicianEvent& event);
  Status Apply(const core::UserEvent& event);
  /// Starts sending `flow`'s queued reports unless that is under way.
  void SendReports(Flow flow);
  boost::asio::awaitable<void> SendReportsLoop(Flow flow);
  /// Waits until the background sending of `flow`'s reports stopped.
  boost::asio::awaitable<void> ReportsSent(Flow flow);
  boost::asio::awaitable<Status> PreparationStep();
  boost::asio::awaitable<Status> DownloadProfile(Flow flow);
  boost::asio::awaitable<Status> ReadDeployment(Flow flow, const boost::json::value& answer);
  /// Runs the ESP phase on screen until the screen changes.
  boost::asio::awaitable<Status> RunPhase(Flow flow);
  /// Sends the queued reports of `flow` (opening its session first); with `finish`, then
  /// finishes the session with the flow's deployment state.
  boost::asio::awaitable<Status> Flush(Flow flow, bool finish = false);
  void Queue(Flow flow, const device::FlowReport& report);
  boost::asio::awaitable<void> Sleep(std::chrono::milliseconds duration);

  /// The outcome of one attempt of `item` (its time and result), as the sim executor draws it.
  struct Attempt {
    std::chrono::milliseconds duration{0};
    device::ItemOutcome outcome;
  };
  Attempt Draw(const core::PlanItem& item, int attempt) const;

  /// The pause before sending a request again for the `retry`th time (1, 2, ...).
  std::chrono::milliseconds Backoff(int retry);

  FleetContext& fleet_;
  HttpPool& http_;
  SimIdentity identity_;
  std::uint64_t jitter_state_;  // draws the backoff's jitter (splitmix64)
  identity::SeededDeviceKey key_;
  std::string device_id_;
  std::string device_token_;
  std::string user_token_;
  core::TechnicianState tech_;
  core::UserState user_;
  FlowResult technician_;
  FlowResult user_result_;
  struct Outbox {
    std::vector<boost::json::object> events;  // all reports, in order
    std::size_t sent = 0;
    bool opened = false;
    bool sending = false;  // SendReportsLoop runs
  };
  Outbox tech_outbox_, user_outbox_;
  std::map<std::string, std::string, std::less<>> descriptions_;  // payload id -> description
  std::vector<core::InstalledItem> inventory_;
  std::set<std::string, std::less<>> installed_;  // payload ids installed on the device
  boost::json::array compliance_policies_;
};

}  // namespace groundcrew::fleet

#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "device/fleet/stats.hpp"
#include "device/fleet/tenant.hpp"

// groundcrew-fleet's run: N simulated devices against one service (one instance or several
// sharing a database), in stages —
//   tenant    POST /v1/apply of the generated tenant; every user's password and authenticator
//   import    the devices' registration rows, in files of 10,000 rows
//   technician every device's technician flow and reseal, all at once (spread over --ramp)
//   between   the admin assigns `delta_apps` more device apps
//   user      every device's user flow, all at once: sign-in with MFA to the desktop
//   verify    every device's report: both flows finished in success, every item and event there
// — on one thread with asynchronous I/O (fleet/http_pool.hpp). The run stops by itself: at the
// end, or when `deadline` passes (the devices still running count as failed).
namespace groundcrew::fleet {

/// One instance of the service (or a load balancer in front of several): an address literal
/// and a port.
struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

/// Reads "http://ADDRESS:PORT" (an IPv6 address in brackets); kInvalidArgument (field
/// "server") naming what is wrong.
[[nodiscard]] Result<Endpoint> ParseServerUrl(std::string_view url);

struct FleetOptions {
  TenantShape shape;
  /// The service's instances, all sharing one database: device i talks to servers[i % N]; the
  /// tenant's setup, the admin's change between the flows and the reports' check go to the
  /// first. Only loopback addresses unless allow_remote (checked by RunFleet).
  std::vector<Endpoint> servers;
  bool allow_remote = false;
  std::string admin_token;       ///< an admin credential (`groundcrew init` prints one)
  std::size_t connections = 64;  ///< HTTP connections at most to each server, shared by devices
  int install_concurrency = 4;   ///< items one device installs at once
  std::chrono::milliseconds think_time{0};  ///< before typing at sign-in: 0..think_time
  std::chrono::milliseconds ramp{0};        ///< device i starts at i/N of the ramp
  int delta_apps = 1;
  bool user_flow = true;
  std::chrono::seconds deadline{600};
  /// Reads the service's CPU time (seconds) and resident memory (bytes) now; empty when the
  /// fleet cannot see the service's process.
  std::function<bool(double& cpu_seconds, double& rss_bytes, double& peak_rss_bytes)> service_usage;
  /// Progress lines (stage starts and ends), e.g. to stderr. May be empty.
  std::function<void(std::string_view)> progress;
};

/// One stage's figures.
struct StageReport {
  std::string name;
  double seconds = 0;
  long long requests = 0;
  long long events = 0;
  double service_cpu_seconds = -1;  ///< -1: unknown
  double service_rss_bytes = -1;
  double fleet_cpu_seconds = 0;  ///< this process's own CPU time (the simulated devices')
};

struct FleetReport {
  int devices = 0;
  bool user_flow = true;  ///< the run included the user flows
  int technician_succeeded = 0;
  int user_succeeded = 0;
  int reports_complete = 0;
  /// Events the service acknowledged (the answers of POST .../events that came back 2xx), each
  /// counted once however often its batch was sent.
  long long events_acknowledged = 0;
  bool timed_out = false;
  double service_peak_rss_bytes = -1;
  std::vector<StageReport> stages;
  Stats stats;
  std::vector<std::string> failures;  ///< the first few, "SERIAL: what"

  /// Every device provisioned and reported completely, within the deadline.
  bool ok() const;
};

/// Runs the fleet. Errors: kInvalidArgument (naming the field) for bad options, a non-loopback
/// host without allow_remote, or a shape Check refuses; kUnavailable when the service cannot be
/// reached or refuses the tenant (the report of a run that started says what failed instead).
[[nodiscard]] Result<FleetReport> RunFleet(const FleetOptions& options);

/// The report as JSON ({"devices", "servers", "eventsAcknowledged", "stages", "requestsMs",
/// "counters", ...}) and as text for a terminal.
boost::json::object ToJson(const FleetReport& report, const FleetOptions& options);
std::string ToText(const FleetReport& report, const FleetOptions& options);

}  // namespace groundcrew::fleet

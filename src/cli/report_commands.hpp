#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <iosfwd>
#include <string>

#include "cli/api.hpp"
#include "cli/remote_commands.hpp"
#include "cli/render.hpp"

// `groundcrew report` and `groundcrew watch`: what devices did, from the events their agents
// report (GET /v1/reports/{serialNumber}, GET /v1/deploymentEvents; docs/admin-api.md
// "Reports"). Exit codes as in remote_commands.hpp: 0 success, 1 a failed call.
namespace groundcrew::cli {

/// `groundcrew report`: the device line and final state, then per session (flow) its span and
/// state, a table of phases (status, runs, duration, code), a table of items (status, attempts,
/// duration, code, message) and compliance before and after. Pure: only writes `out`.
void RenderDeploymentReport(const boost::json::value& report, const Style& style,
                            std::ostream& out);

/// One event of the stream as one line: "<at> <serial number, else device id> <flow> <kind>
/// <what it is about>", e.g. "2026-11-25T13:00:05Z CON-0001 technician itemFailed deviceSetup
/// Company Portal 1603 the installer failed". Unknown kinds show their detail as compact JSON.
std::string EventLine(const boost::json::value& event);

struct ReportOptions {
  std::string serial;
  bool json = false;
};

/// GET /v1/reports/{serial}; prints RenderDeploymentReport, or with `json` the answer.
int Report(const ReportOptions& options, Api& api, Console& console);

struct WatchOptions {
  long long after = 0;  ///< print events after this sequence (0 = from the first)
  bool once = false;    ///< print what is there now and exit
  bool json = false;    ///< one event per line as compact JSON instead of EventLine
  /// Only the events of this device (serial number), of this flow ("technician" | "user"), of
  /// sessions in this deployment state now (e.g. "failure"); "" = any. Filtered by the server.
  std::string serial = {}, flow = {}, state = {};
  /// How long each poll may wait on the server (its waitSeconds, at most 30); keep it below the
  /// HTTP timeout.
  int wait_seconds = 25;
};

/// What Watch needs from its surroundings: when to stop (checked before every poll; null =
/// never, until the process is interrupted) and how to pause between polls after an empty or
/// failed answer (null = std::this_thread::sleep_for).
struct WatchControl {
  std::function<bool()> stop;
  std::function<void(std::chrono::milliseconds)> sleep;
};

/// Reads GET /v1/deploymentEvents from `after` and prints each event as it arrives (flushing
/// `out` after each answer): first without waiting until an answer has fewer events than asked
/// for (with `once`, then exits 0), then by long polls. When it starts waiting it says so once
/// on `err` if that is a terminal ("Waiting for deployment events… (Ctrl-C to stop)"). It runs
/// until stopped; an unreachable server is reported on `err` once per outage and polled again
/// every 2 seconds, any other failure ends the command with exit 1 (an error about a filter
/// names its flag).
int Watch(const WatchOptions& options, Api& api, Console& console,
          const WatchControl& control = {});

}  // namespace groundcrew::cli

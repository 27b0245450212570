#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/ids.hpp"

namespace groundcrew::core {

/// One run of a flow on one device (technician or user), as reports show it.
struct DeploymentSession {
  std::string id;
  std::string device_id;  ///< the device's ZtdId
  std::string flow;       ///< "technician" | "user"
  std::string user_principal_name;
  std::string deployment_state;  ///< Graph spelling: "inProgress", "success", "failure", ...
  Timestamp started_date_time{};
  std::optional<Timestamp> finished_date_time;
};

/// What a device's latest deployment session says, kept with the device by the server's
/// store whenever a session is created or changes (so a device list never reads sessions). The
/// latest session is the one started last.
struct DeploymentSummary {
  /// The latest session's state in Graph's spelling ("inProgress", "failure", ...), or
  /// kNotStarted when the device has no session.
  std::string deployment_state = std::string(kNotStarted);
  /// When the latest session started; nullopt when none.
  std::optional<core::Timestamp> last_deployment_date_time;
  /// "technician" | "user"; "" when none.
  std::string last_flow;

  static constexpr std::string_view kNotStarted = "notStarted";
  friend bool operator==(const DeploymentSummary&, const DeploymentSummary&) = default;
};

/// A session the dashboard lists, with its device and what its events say.
struct DashboardSession {
  DeploymentSession session;
  std::string serial_number;
  std::string device_name;    ///< the registration's displayName ("" when none)
  std::string phase;          ///< the phase of its latest phaseStarted event ("" when none)
  std::string error_message;  ///< the "message" of its latest event that has one ("" when none)
};

/// The sessions of one flow that finished in the dashboard's window.
struct FlowFigures {
  int64_t succeeded = 0;  ///< success, successWithTimeout, successOnRetry
  int64_t failed = 0;     ///< failure
  /// The median of finished - started over those succeeded and failed; nullopt when none.
  std::optional<double> median_duration_seconds;
};

/// What the console's dashboard shows, read with bounded queries on indexed columns: the
/// sessions in progress, and the sessions that finished since the window's start.
struct DashboardFigures {
  std::vector<DashboardSession> in_progress;  ///< started last first, at most the limit
  std::vector<DashboardSession> failed;       ///< finished since, finished last first, ditto
  FlowFigures technician;
  FlowFigures user;
  /// Devices whose latest session is a technician flow that succeeded (resealed, waiting for
  /// their user).
  int64_t waiting_for_user_flow = 0;
  Timestamp generated_date_time{};  ///< when the figures were read (set by the use case)
};

}  // namespace groundcrew::core

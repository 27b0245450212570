#pragma once

#include <optional>
#include <string>

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

}  // namespace groundcrew::core

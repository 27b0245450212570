#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/esp/plan.hpp"
#include "core/flow/flow_common.hpp"
#include "core/flow/user_flow.hpp"

// What the device API's answers (docs/device-api.md) mean to the flows, and what a device sends
// about itself. Pure; shared by the agent and the fleet simulator.
namespace groundcrew::agent {

/// The string member `name` of `value` when it is an object holding a string there; "" else.
std::string JsonText(const boost::json::value& value, const char* name);

/// The profile as the device sees it, from the answer of GET /v1/agent/devices/{id}
/// (organizationName, device, deploymentProfile). Members that are absent or mistyped keep
/// ProfileInfo's defaults.
core::ProfileInfo ProfileOf(const boost::json::object& device_answer);

/// The sign-in page's error for a refusal `reason` of POST .../signIn ("notAssignedUser",
/// "accountLocked", ...); anything else is kInvalidCredentials.
core::SignInError SignInErrorOf(std::string_view reason);

/// An inventory (what the technician flow installed) in the service's spelling, for the
/// user-flow deployment request's "installed".
boost::json::array InventoryWire(const std::vector<core::InstalledItem>& items);

}  // namespace groundcrew::agent

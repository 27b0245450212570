#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/esp/plan.hpp"
#include "core/model/ids.hpp"

// Device inventories on the wire: the body of POST .../sessions/{sessionId}/finish, which
// carries what the device has when a flow ends (docs/device-api.md "Sessions and events"), and
// the inventory a plan document says its user flow was planned from (docs/admin-api.md "The
// plan document"). Items are spelled as wire::Encode(std::vector<core::InstalledItem>) spells
// them; decoding is as strict as model_json.hpp's.
namespace groundcrew::wire {

/// {"flow": "technician"|"user", "sessionId", "reportedDateTime", "items": [<installed item>]}.
boost::json::object Encode(const core::ReportedInventory& inventory);
/// Every property required; kInvalidArgument naming the path ("items[2].outcome") otherwise.
[[nodiscard]] Status Decode(const boost::json::value& json, core::ReportedInventory& out);

/// The inventory array that is the property `key` of a request: Decode of the items, errors
/// naming the path under `key` ("installed[2].outcome", "installed: expected an array ...").
[[nodiscard]] Status DecodeInventory(const boost::json::value& json, std::string_view key,
                                     std::vector<core::InstalledItem>& out);

/// The plan document's "userFlowBasis": "reportedInventory" when the user flow's Device setup
/// was planned from an inventory the device reported, else "assumedCleanTechnicianFlow"
/// (core::AssumedCleanTechnicianFlow).
std::string_view UserFlowBasisName(bool reported);

/// The body of POST .../sessions/{sessionId}/finish.
struct SessionFinish {
  std::string deployment_state;  ///< Graph's spelling; which states end a session is the service's
  core::Timestamp finished_date_time{};
  /// What the device has now that the flow ended (core::InventoryAfter); absent when the device
  /// does not say (the service then keeps the inventory it has).
  std::optional<std::vector<core::InstalledItem>> inventory;

  friend bool operator==(const SessionFinish&, const SessionFinish&) = default;
};

/// {"deploymentState", "finishedDateTime", "inventory" (only when set)}.
boost::json::object Encode(const SessionFinish& finish);
/// "deploymentState" (a string) and "finishedDateTime" (ParseTimestamp's format) required,
/// "inventory" optional; nothing else. kInvalidArgument naming the path ("finishedDateTime",
/// "inventory[0].kind") otherwise; `out` is left unchanged on error.
[[nodiscard]] Status Decode(const boost::json::value& json, SessionFinish& out);

}  // namespace groundcrew::wire

#pragma once

#include <boost/json/object.hpp>

#include "common/result.hpp"
#include "core/flow/technician_flow.hpp"
#include "core/flow/user_flow.hpp"

// The flows' events as JSON, for the checkpoint journal: the agent records every event it
// applies (with its time) and rebuilds a flow after a restart by applying them again, which the
// pure core makes exact. {"kind": <the event's kName>, ...its fields}. Enumerations are stored
// as their numbers: the journal is the agent's own file, not an interface.
namespace groundcrew::agent {

boost::json::object EncodeEvent(const core::TechnicianEvent& event);
boost::json::object EncodeEvent(const core::UserEvent& event);

/// kInvalidArgument naming the field for a record that is not an event of the flow.
[[nodiscard]] Result<core::TechnicianEvent> DecodeTechnicianEvent(const boost::json::object& json);
[[nodiscard]] Result<core::UserEvent> DecodeUserEvent(const boost::json::object& json);

}  // namespace groundcrew::agent

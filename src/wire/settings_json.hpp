#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <vector>

#include "common/result.hpp"
#include "core/settings/catalog.hpp"

// A configuration policy's settings as JSON, read against the settings catalog
// (core/settings/catalog.hpp): {"screenLock.idleMinutes": 10, "firewall.enabled": true,
// "kernelModules.blocked": ["usb-storage"], "firewall.allowedInboundTcpPorts": [22]}.
namespace groundcrew::wire {

/// Reads `settings`: each property is a setting id of the catalog, with a value of the setting's
/// type within its limits. Every problem is appended to `problems` as kInvalidArgument with field
/// "settings.<id>" and the message "settings.<id>: <why>" (an unknown id, a value of the wrong
/// JSON type, out of range, not one of the choices...). Returns the settings that are valid.
core::PolicySettings DecodePolicySettings(const boost::json::object& settings,
                                          std::vector<Error>& problems);

/// `settings` as JSON, by id.
boost::json::object EncodePolicySettings(const core::PolicySettings& settings);

/// One value as JSON: true, 10, "no", ["usb-storage"], [22, 443].
boost::json::value EncodeSettingValue(const core::SettingValue& value);

/// The catalog for tools and the console: [{"id", "title", "description", "type", "minimum"?,
/// "maximum"?, "choices"?, "format"?, "maxLength"?, "maxItems"?, "default", "writes"}].
boost::json::array SettingsCatalogJson();

}  // namespace groundcrew::wire

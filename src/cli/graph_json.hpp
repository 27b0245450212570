#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/device.hpp"
#include "core/model/directory.hpp"
#include "core/rules/properties.hpp"

// Reading directory objects as Microsoft Graph writes them: `GET /devices` and `GET /users`
// (camelCase: physicalIds, manufacturer, operatingSystem, trustType, extensionAttributes,
// onPremisesExtensionAttributes...), and PowerShell's `Get-MgDevice | ConvertTo-Json` and
// `Get-MgUser | ConvertTo-Json` (PascalCase: PhysicalIds, DisplayName...; properties the SDK
// model lacks under "AdditionalProperties"; dates as "/Date(ms)/").
//
// Accepted shapes: an array of objects, an object with a "value" array (Graph's page, and
// Windows PowerShell's {"value": [...], "Count": n}), or one bare object (ConvertTo-Json of a
// single object). The text may be UTF-8 (with or without a byte order mark) or UTF-16 with a
// byte order mark (what Windows PowerShell's `>` and Out-File write). Property names match
// whatever their ASCII letter case. At most wire::kMaxJsonDepth levels deep.
namespace groundcrew::cli {

/// Directory objects read from one file, and which rule properties at least one of them
/// carried (a bit per core::rules slot of the object type): a rule property no object carries
/// evaluates to its default for every object, which is worth a warning.
template <class T>
struct GraphObjects {
  std::vector<T> objects;
  core::rules::SlotMask carried = 0;
};

/// Parses Graph `device` objects. Unknown properties are ignored; a known property with the
/// wrong JSON type is refused. Errors name the file and either the line and column of a JSON
/// syntax or encoding error or the path of the bad property (e.g.
/// "devices.json: value[3].physicalIds").
[[nodiscard]] Result<GraphObjects<core::DirectoryDevice>> ParseGraphDevices(
    std::string_view json_text, std::string_view file_name);

/// Parses Graph `user` objects, likewise.
[[nodiscard]] Result<GraphObjects<core::User>> ParseGraphUsers(std::string_view json_text,
                                                               std::string_view file_name);

/// The property name(s) Graph writes for the rule property in `slot` of `type`, for messages:
/// "physicalIds" for devicePhysicalIds, "extensionAttributes.extensionAttribute3", ...
std::string GraphSpellingOf(core::rules::ObjectType type, std::uint8_t slot);

/// Graph's `trustType` spelling for a trust type ("AzureAd", "ServerAd", "Workplace", "").
std::string_view TrustTypeName(core::TrustType type);

}  // namespace groundcrew::cli

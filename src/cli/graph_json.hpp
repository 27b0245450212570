#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/device.hpp"
#include "core/model/directory.hpp"

// Reading directory objects written as Microsoft Graph JSON (what `GET /devices` or
// `GET /users` returns): either an array of objects or an object with a "value" array.
namespace groundcrew::cli {

/// Parses Graph `device` objects. Unknown properties are ignored; a known property with the
/// wrong JSON type is refused. Errors name the file and either the line and column of a JSON
/// syntax error or the path of the bad property (e.g. "devices.json: value[3].devicePhysicalIds").
[[nodiscard]] Result<std::vector<core::DirectoryDevice>> ParseGraphDevices(
    std::string_view json_text, std::string_view file_name);

/// Parses Graph `user` objects, likewise.
[[nodiscard]] Result<std::vector<core::User>> ParseGraphUsers(std::string_view json_text,
                                                              std::string_view file_name);

/// Graph's `trustType` spelling for a trust type ("AzureAd", "ServerAd", "Workplace", "").
std::string_view TrustTypeName(core::TrustType type);

}  // namespace groundcrew::cli

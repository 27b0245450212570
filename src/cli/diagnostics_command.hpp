#pragma once

#include <string>

#include "cli/api.hpp"
#include "cli/remote_commands.hpp"

// `groundcrew devices diagnostics SERIAL [--download [ID]] [-o FILE] [--json]`: the diagnostics
// archives a device's agent uploaded from an error screen (GET
// /v1/autopilotDevices/{serialNumber}/diagnostics and .../diagnostics/{id}; docs/admin-api.md
// "Diagnostics"). Exit codes as in remote_commands.hpp: 0 success, 1 a failed call or file.
namespace groundcrew::cli {

struct DiagnosticsOptions {
  std::string serial{};   ///< SERIAL: the device's serial number (or its registration id)
  bool download = false;  ///< --download was given
  std::string id{};       ///< --download's ID; "" = the newest archive
  std::string output{};   ///< -o FILE; "" = the archive's fileName in the current folder
  bool json = false;
};

/// Without `download`: the archives as a table (ID, FILE, SIZE, UPLOADED, EXPIRES), newest
/// first, then "N archives"; with `json` the answer ({"value": [...]}).
/// With `download`: saves the archive `id` (or the newest) to `output`, created with mode 0600
/// and never over an existing file, then says where ({"id", "fileName", "sizeBytes", "path"}
/// with `json`). Errors name the argument at fault: "SERIAL" for an unknown device, "--download"
/// for an unknown archive or a device without any, "-o" for a file that exists or cannot be
/// written.
int DevicesDiagnostics(const DiagnosticsOptions& options, Api& api, Console& console);

}  // namespace groundcrew::cli

#pragma once

#include <filesystem>

#include "common/result.hpp"
#include "device/flow/registration_row.hpp"

// `groundcrew-agent hwid`: the facts a real device reads about its hardware.
namespace groundcrew::agent {

using device::DeviceFacts;

/// Reads the facts from the firmware tables under `root` (`/` on a real machine):
/// `sys/class/dmi/id/product_serial`, `sys_vendor`, `product_name`, trimmed. A non-empty field
/// of `overrides` wins over the file (simulated devices, firmware without a serial). Errors
/// (kInvalidArgument, field "serial" or "manufacturer") say which file could not give a value
/// and which flag to pass instead; the model may be empty.
[[nodiscard]] Result<DeviceFacts> ReadDeviceFacts(const std::filesystem::path& root,
                                                  const DeviceFacts& overrides);

}  // namespace groundcrew::agent

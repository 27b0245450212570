#pragma once

#include <filesystem>
#include <string>

#include "common/result.hpp"
#include "identity/device_key.hpp"

// `groundcrew-agent hwid`: what the device says about itself in a registration row.
namespace groundcrew::agent {

/// The facts a registration row carries about the hardware.
struct DeviceFacts {
  std::string serial_number;
  std::string manufacturer;
  std::string model;
};

/// Reads the facts from the firmware tables under `root` (`/` on a real machine):
/// `sys/class/dmi/id/product_serial`, `sys_vendor`, `product_name`, trimmed. A non-empty field
/// of `overrides` wins over the file (simulated devices, firmware without a serial). Errors
/// (kInvalidArgument, field "serial" or "manufacturer") say which file could not give a value
/// and which flag to pass instead; the model may be empty.
[[nodiscard]] Result<DeviceFacts> ReadDeviceFacts(const std::filesystem::path& root,
                                                  const DeviceFacts& overrides);

/// groundcrew's hardware hash (core/registration/hardware_hash.hpp) for the device: the facts
/// and `public_key`, as bytes. kInvalidArgument when a fact is not clean text or too long.
[[nodiscard]] Result<std::string> HardwareHash(const DeviceFacts& facts,
                                               const identity::DevicePublicKey& public_key);

/// A registration row for the device, in Microsoft's 5-column CSV format with its header
/// (ready for `groundcrew devices import` or the tenant file's `devices.csv`): the hardware hash
/// is groundcrew's (core/registration/hardware_hash.hpp) carrying the facts and `public_key`,
/// as padded base64. kInvalidArgument when a fact is not clean text or too long.
[[nodiscard]] Result<std::string> RegistrationCsv(const DeviceFacts& facts,
                                                  const identity::DevicePublicKey& public_key,
                                                  const std::string& group_tag,
                                                  const std::string& assigned_user);

}  // namespace groundcrew::agent

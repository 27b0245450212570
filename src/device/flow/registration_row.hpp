#pragma once

#include <string>

#include "common/result.hpp"
#include "identity/device_key.hpp"

// What a device says about itself in a registration row (`groundcrew-agent hwid`, and each
// simulated device of the fleet). Pure.
namespace groundcrew::device {

/// The facts a registration row carries about the hardware.
struct DeviceFacts {
  std::string serial_number;
  std::string manufacturer;
  std::string model;
};

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

}  // namespace groundcrew::device

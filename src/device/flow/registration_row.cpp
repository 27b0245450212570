#include "device/flow/registration_row.hpp"

#include <fmt/format.h>

#include "core/registration/hardware_hash.hpp"
#include "core/registration/registration_csv.hpp"

namespace groundcrew::device {

Result<std::string> HardwareHash(const DeviceFacts& facts,
                                 const identity::DevicePublicKey& public_key) {
  core::HardwareHashFields fields;
  fields.serial_number = facts.serial_number;
  fields.manufacturer = facts.manufacturer;
  fields.model = facts.model;
  fields.public_key = public_key;  // the same 32 bytes in both modules
  if (Status s = core::ValidateHardwareHashFields(fields); !s) return s.error();
  return core::EncodeHardwareHash(fields);
}

Result<std::string> RegistrationCsv(const DeviceFacts& facts,
                                    const identity::DevicePublicKey& public_key,
                                    const std::string& group_tag,
                                    const std::string& assigned_user) {
  Result<std::string> hash = HardwareHash(facts, public_key);
  if (!hash) return hash.error();
  core::RegistrationRow row;
  row.serial_number = facts.serial_number;
  row.hardware_hash = std::move(*hash);
  row.group_tag = group_tag;
  row.assigned_user_principal_name = assigned_user;
  const core::RegistrationRow rows[] = {row};
  return core::WriteRegistrationCsv(rows);
}

}  // namespace groundcrew::device

#include "agent/hwid.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "common/text.hpp"
#include "core/registration/hardware_hash.hpp"
#include "core/registration/registration_csv.hpp"

namespace groundcrew::agent {
namespace fs = std::filesystem;

namespace {

// The trimmed first line of `path`, or "" when it cannot be read.
std::string ReadFact(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return std::string(text::Trim(line));
}

}  // namespace

Result<DeviceFacts> ReadDeviceFacts(const fs::path& root, const DeviceFacts& overrides) {
  const fs::path dmi = root / "sys/class/dmi/id";
  DeviceFacts facts;
  facts.serial_number = overrides.serial_number.empty() ? ReadFact(dmi / "product_serial")
                                                        : overrides.serial_number;
  facts.manufacturer =
      overrides.manufacturer.empty() ? ReadFact(dmi / "sys_vendor") : overrides.manufacturer;
  facts.model = overrides.model.empty() ? ReadFact(dmi / "product_name") : overrides.model;
  if (facts.serial_number.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("no serial number: {} is missing, empty or readable only by "
                                 "root; run as root or pass --serial",
                                 (dmi / "product_serial").string()),
                     "serial");
  }
  if (facts.manufacturer.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("no manufacturer: {} is missing or empty; pass --manufacturer",
                                 (dmi / "sys_vendor").string()),
                     "manufacturer");
  }
  return facts;
}

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

}  // namespace groundcrew::agent

#include "device/agent/hwid.hpp"

#include <fmt/format.h>

#include <fstream>

#include "common/text.hpp"

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
  facts.serial_number =
      overrides.serial_number.empty() ? ReadFact(dmi / "product_serial") : overrides.serial_number;
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

}  // namespace groundcrew::agent

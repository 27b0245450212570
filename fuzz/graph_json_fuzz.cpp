// libFuzzer target: any bytes are a Graph or PowerShell export of devices and of users (the
// reader of `groundcrew rules validate --devices/--users`): read or refused, never a crash; what
// is read carries only slots of its object type, and reading is deterministic.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/graph_json.hpp"
#include "core/rules/properties.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace groundcrew;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto in_range = [](core::rules::SlotMask carried, core::rules::ObjectType type) {
    const size_t count = core::rules::PropertyCount(type);
    return count >= 64 || (carried >> count) == 0;
  };
  auto devices = cli::ParseGraphDevices(bytes, "devices.json");
  if (devices) {
    if (!in_range(devices->carried, core::rules::ObjectType::kDevice)) __builtin_trap();
    auto again = cli::ParseGraphDevices(bytes, "devices.json");
    if (!again || again->objects.size() != devices->objects.size() ||
        again->carried != devices->carried) {
      __builtin_trap();
    }
  } else if (devices.error().field.empty()) {
    __builtin_trap();  // every refusal names the file and where
  }
  auto users = cli::ParseGraphUsers(bytes, "users.json");
  if (users && !in_range(users->carried, core::rules::ObjectType::kUser)) __builtin_trap();
  if (!users && users.error().field.empty()) __builtin_trap();
  return 0;
}

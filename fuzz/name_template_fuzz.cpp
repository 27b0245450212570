// libFuzzer target: any template is accepted or refused with a reason; accepted ones expand
// within 15 characters for any serial.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/naming/device_name.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace groundcrew::core;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\n');
  const std::string_view name_template = input.substr(0, split);
  const std::string_view serial = split == std::string_view::npos ? "" : input.substr(split + 1);
  auto parsed = ParseNameTemplate(name_template);
  if (!parsed) return 0;
  if (parsed->worst_case_length > kMaxDeviceNameLength) __builtin_trap();
  auto name = ExpandName(*parsed, serial, "012345678901234");
  if (name && name->size() > static_cast<size_t>(kMaxDeviceNameLength)) __builtin_trap();
  return 0;
}

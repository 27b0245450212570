// libFuzzer target: any bytes are read as a .deb or refused with a reason; what is read has a
// valid package name and version.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/debian/debian_version.hpp"
#include "core/debian/package_name.hpp"
#include "debian_archive/deb_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace groundcrew;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto control = debian_archive::ReadDebControl(input);
  if (!control) {
    if (control.error().message.empty()) __builtin_trap();
    return 0;
  }
  if (!core::CheckDebianPackageName(control->package)) __builtin_trap();
  if (!core::ParseDebianVersion(control->version)) __builtin_trap();
  return 0;
}

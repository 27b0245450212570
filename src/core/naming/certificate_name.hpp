#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// The subject of a device certificate issued for a certificate profile (the profile's
// `subjectNameFormat`, e.g. "CN={{DeviceName}}").
namespace groundcrew::core {

/// The longest common name issued, in bytes (RFC 5280's ub-common-name).
inline constexpr std::size_t kMaxCommonNameBytes = 64;

/// Every occurrence of `from` in `text` replaced by `to`, left to right; a replacement is never
/// searched again (a `to` containing `from` does not loop). REQUIRES: `from` is not empty.
void ReplaceAll(std::string& text, std::string_view from, std::string_view to);

/// The CN of `format` for one device: {{DeviceName}}, {{SerialNumber}} and {{DeviceId}} replaced
/// by `device_name`, `serial_number` and `device_id`; then, trimmed, a leading "CN=" (any case)
/// dropped and everything from the first ',' on (other attributes are not issued), trimmed
/// again and cut to kMaxCommonNameBytes without splitting a UTF-8 sequence. `device_name` when
/// that leaves nothing.
std::string CertificateCommonName(std::string_view format, std::string_view device_name,
                                  std::string_view serial_number, std::string_view device_id);

}  // namespace groundcrew::core

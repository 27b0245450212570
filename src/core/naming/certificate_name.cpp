#include "core/naming/certificate_name.hpp"

#include "common/text.hpp"

namespace groundcrew::core {

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

std::string CertificateCommonName(std::string_view format, std::string_view device_name,
                                  std::string_view serial_number, std::string_view device_id) {
  std::string name(format);
  ReplaceAll(name, "{{DeviceName}}", device_name);
  ReplaceAll(name, "{{SerialNumber}}", serial_number);
  ReplaceAll(name, "{{DeviceId}}", device_id);
  std::string_view cn = text::Trim(name);
  if (cn.size() >= 3 && text::EqualsIgnoreCase(cn.substr(0, 3), "CN=")) cn.remove_prefix(3);
  cn = cn.substr(0, cn.find(','));
  cn = text::Trim(cn);
  if (cn.size() > kMaxCommonNameBytes) {
    size_t cut = kMaxCommonNameBytes;
    while (cut > 0 && (static_cast<unsigned char>(cn[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    cn = cn.substr(0, cut);
  }
  return cn.empty() ? std::string(device_name) : std::string(cn);
}

}  // namespace groundcrew::core

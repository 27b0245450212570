// libFuzzer target: any bytes given to the rule compiler give a rule or a positioned error, and
// a compiled rule evaluates against a device without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/rules/rule.hpp"
#include "core/rules/subject.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace groundcrew::core;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rule = rules::CompileRule(text);
  if (!rule) {
    if (!rules::ErrorPosition(rule.error())) __builtin_trap();  // every refusal is positioned
    return 0;
  }
  static const DirectoryDevice device = [] {
    DirectoryDevice d;
    d.id = DirectoryObjectId{"3a5b1c2d-0001-4c6e-9a1f-000000000001"};
    d.display_name = "CON-PF3XK2LM";
    d.model = "Surface Laptop 5";
    d.device_physical_ids = {"[ZTDId]:z1", "[OrderID]:Sales", ""};
    return d;
  }();
  static const User user = [] {
    User u;
    u.user_principal_name = "adele@contoso.com";
    u.other_mails = {"a@example.org"};
    return u;
  }();
  if (rule->object_type() == rules::ObjectType::kDevice) {
    rules::DeviceAttributes attributes(device, {});
    (void)rule->Matches(attributes.subject());
  } else {
    rules::UserAttributes attributes(user, {});
    (void)rule->Matches(attributes.subject());
  }
  // The canonical text compiles again.
  if (!rules::CompileRule(rule->ToString())) __builtin_trap();
  return 0;
}

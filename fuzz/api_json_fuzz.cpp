// libFuzzer target: any bytes posted to the admin API as JSON, decoded as every resource kind
// and as a declarative tenant document, give a value or a field-named error, never a crash;
// whatever decodes re-encodes and decodes again to the same JSON.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/service/resource_model.hpp"
#include "wire/model_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace groundcrew;
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 64;
  const boost::json::value json = boost::json::parse(
      std::string_view(reinterpret_cast<const char*>(data), size), ec, {}, options);
  if (ec) return 0;
  for (int k = 0; k <= static_cast<int>(store::ResourceKind::kAssignment); ++k) {
    service::AnyResource resource = service::DefaultResource(static_cast<store::ResourceKind>(k));
    Status decoded = service::DecodeOnto(json, resource);
    if (!decoded) {
      if (decoded.error().code != ErrorCode::kInvalidArgument) __builtin_trap();
      continue;
    }
    const boost::json::object encoded = service::Encode(resource);
    service::AnyResource again = service::DefaultResource(static_cast<store::ResourceKind>(k));
    if (!service::DecodeOnto(encoded, again)) __builtin_trap();  // our own output decodes
    if (service::StoredBody(again) != service::StoredBody(resource)) __builtin_trap();
  }
  core::AutopilotDeviceIdentity device;
  (void)wire::DecodeDevicePatch(json, device);
  return 0;
}

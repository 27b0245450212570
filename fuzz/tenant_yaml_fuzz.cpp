// libFuzzer target: any bytes are a declarative tenant document (`groundcrew apply -f`): the
// YAML converts to JSON or is refused naming the line and column, never a crash; what converts
// serializes to JSON that parses back equal within the one JSON depth limit.
//
// File references (apps[].content.file, devices.csv) are not followed: they read files named by
// the input, which a fuzzer must not do.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/yaml_json.hpp"
#include "wire/json_limits.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace groundcrew;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto document = cli::YamlToJson(text, "tenant.yaml");
  if (!document) {
    if (document.error().field.rfind("tenant.yaml", 0) != 0) __builtin_trap();
    return 0;
  }
  if (wire::JsonDepth(*document) > wire::kMaxJsonDepth) __builtin_trap();
  const std::string json = boost::json::serialize(*document);
  auto parsed = wire::ParseJson(json, "body");
  if (!parsed || *parsed != *document) __builtin_trap();
  return 0;
}

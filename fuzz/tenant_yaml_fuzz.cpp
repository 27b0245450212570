// libFuzzer target: any bytes are a declarative tenant document (`groundcrew apply -f`): the
// YAML converts to JSON or is refused naming the line and column, never a crash; what converts
// serializes to JSON that parses back equal within the one JSON depth limit.
//
// File references (apps[].content.file, devices.csv) are not followed: they read files named by
// the input, which a fuzzer must not do.
#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/yaml_json.hpp"
#include "wire/json_limits.hpp"

namespace {

// Equal, but doubles within a relative 1e-15 (Boost.JSON's parser does not round every decimal
// to the nearest double; the service reads numbers with the same parser).
bool Same(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    const double x = a.as_double(), y = b.as_double();
    return x == y || std::fabs(x - y) <= 1e-15 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto& p = a.as_array();
    const auto& q = b.as_array();
    if (p.size() != q.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (!Same(p[i], q[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto& p = a.as_object();
    const auto& q = b.as_object();
    if (p.size() != q.size()) return false;
    for (const auto& member : p) {
      const boost::json::value* other = q.if_contains(member.key());
      if (other == nullptr || !Same(member.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

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
  if (!parsed || !Same(*parsed, *document)) __builtin_trap();
  return 0;
}

#include "wire/json_limits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parser.hpp>
#include <vector>

#include "common/text.hpp"

namespace groundcrew::wire {

Result<boost::json::value> ParseJson(std::string_view text, std::string_view field) {
  const auto invalid = [&](std::string what) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: {}", field, what),
                     std::string(field));
  };
  if (const std::size_t bad = text::FindInvalidUtf8(text); bad != std::string_view::npos) {
    return invalid(fmt::format("not valid UTF-8 (byte {})", bad));
  }
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::json::parser parser({}, options);
  boost::system::error_code ec;
  // write() needs one complete document and refuses anything after it.
  const std::size_t used = parser.write(text.data(), text.size(), ec);
  if (ec == boost::json::error::too_deep) {
    return invalid(fmt::format("nests deeper than {} levels (near byte {})", kMaxJsonDepth, used));
  }
  if (ec) return invalid(fmt::format("not valid JSON (near byte {}): {}", used, ec.message()));
  return parser.release();
}

std::size_t JsonDepth(const boost::json::value& value) {
  // Iterative: the value may come from anywhere, its depth is what is being measured.
  std::size_t deepest = 0;
  std::vector<std::pair<const boost::json::value*, std::size_t>> pending{{&value, 0}};
  while (!pending.empty()) {
    auto [current, depth] = pending.back();
    pending.pop_back();
    if (const auto* object = current->if_object()) {
      deepest = std::max(deepest, depth + 1);
      for (const auto& member : *object) pending.emplace_back(&member.value(), depth + 1);
    } else if (const auto* array = current->if_array()) {
      deepest = std::max(deepest, depth + 1);
      for (const auto& item : *array) pending.emplace_back(&item, depth + 1);
    } else {
      deepest = std::max(deepest, depth);
    }
  }
  return deepest;
}

}  // namespace groundcrew::wire

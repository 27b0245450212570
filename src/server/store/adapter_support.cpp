#include "server/store/adapter_support.hpp"

#include <fmt/format.h>

#include <charconv>

namespace groundcrew::store {

Status CheckLimit(const PageRequest& page) {
  if (page.limit < 1 || page.limit > kMaxPageSize) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("limit must be between 1 and {}", kMaxPageSize), "limit");
  }
  return Ok{};
}

std::string JoinTimes(const std::vector<core::Timestamp>& times) {
  std::string text;
  for (const core::Timestamp& t : times) {
    if (!text.empty()) text += ',';
    text += std::to_string(Seconds(t));
  }
  return text;
}

Result<std::vector<core::Timestamp>> SplitTimes(std::string_view text) {
  std::vector<core::Timestamp> times;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    int64_t seconds = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), seconds);
    if (ec != std::errc() || end != item.data() + item.size()) {
      return MakeError(ErrorCode::kInternal, "a stored sign-in failure time is damaged");
    }
    times.push_back(core::Timestamp{std::chrono::seconds{seconds}});
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return times;
}

Result<int64_t> ParseSequenceCursor(std::string_view after) {
  if (after.empty()) return int64_t{0};
  int64_t value = 0;
  const char* end = after.data() + after.size();
  const auto [ptr, ec] = std::from_chars(after.data(), end, value);
  if (ec != std::errc() || ptr != end || value < 0 || after.front() == '-') {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("after must be a sequence number (decimal digits), not '{}'", after), "after");
  }
  return value;
}

}  // namespace groundcrew::store

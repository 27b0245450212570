#include "server/store_sqlite/internal/ports.hpp"

#include <fmt/format.h>

#include <charconv>

namespace groundcrew::store::sqlite::internal {

Status CheckLimit(const PageRequest& page) {
  if (page.limit < 1 || page.limit > kMaxPageSize) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("limit must be between 1 and {}", kMaxPageSize), "limit");
  }
  return Ok{};
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

}  // namespace groundcrew::store::sqlite::internal

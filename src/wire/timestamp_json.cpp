#include <fmt/format.h>

#include <chrono>

#include "wire/json_reader.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::wire {
namespace {

namespace chrono = std::chrono;

constexpr std::string_view kShape = "YYYY-MM-DDTHH:MM:SSZ";

// Reads `count` decimal digits at `pos`; false when any is not a digit.
bool Digits(std::string_view text, size_t pos, size_t count, int& out) {
  out = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

Error BadTimestamp(std::string_view text, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("invalid timestamp \"{}\": {} (expected UTC time as {}, e.g. "
                               "2026-11-25T13:00:00Z)",
                               text, why, kShape));
}

}  // namespace

std::string FormatTimestamp(core::Timestamp time) {
  const auto days = chrono::floor<chrono::days>(time);
  const chrono::year_month_day date{days};
  const chrono::hh_mm_ss<chrono::seconds> clock{time - days};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count());
}

Result<core::Timestamp> ParseTimestamp(std::string_view text) {
  if (text.size() != kShape.size()) return BadTimestamp(text, "wrong length");
  for (size_t i = 0; i < kShape.size(); ++i) {
    const char expected = kShape[i];
    const bool is_digit_slot =
        expected >= 'A' && expected <= 'Z' && expected != 'T' && expected != 'Z';
    if (is_digit_slot) continue;
    if (text[i] != expected) {
      return BadTimestamp(text, fmt::format("expected '{}' at position {}", expected, i + 1));
    }
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(text, 0, 4, year) || !Digits(text, 5, 2, month) || !Digits(text, 8, 2, day) ||
      !Digits(text, 11, 2, hour) || !Digits(text, 14, 2, minute) || !Digits(text, 17, 2, second)) {
    return BadTimestamp(text, "expected digits");
  }
  const chrono::year_month_day date{chrono::year{year}, chrono::month{static_cast<unsigned>(month)},
                                    chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return BadTimestamp(text, "no such date");
  if (hour > 23 || minute > 59 || second > 59) return BadTimestamp(text, "no such time of day");
  return core::Timestamp{chrono::sys_days{date}} + chrono::hours{hour} + chrono::minutes{minute} +
         chrono::seconds{second};
}

namespace internal {

json::value OptionalTime(const std::optional<core::Timestamp>& time) {
  if (!time) return nullptr;
  return json::string(FormatTimestamp(*time));
}

}  // namespace internal
}  // namespace groundcrew::wire

#include "core/rules/date.hpp"

#include <chrono>

namespace groundcrew::core::rules {
namespace {

// Reads exactly `digits` decimal digits at `pos`, advancing it.
std::optional<int> ReadNumber(std::string_view text, size_t& pos, size_t digits) {
  if (text.size() - pos < digits) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < digits; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += digits;
  return value;
}

bool Consume(std::string_view text, size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

std::optional<int64_t> ParseRuleDate(std::string_view text) {
  size_t pos = 0;
  const auto year = ReadNumber(text, pos, 4);
  if (!year || !Consume(text, pos, '-')) return std::nullopt;
  const auto month = ReadNumber(text, pos, 2);
  if (!month || !Consume(text, pos, '-')) return std::nullopt;
  const auto day = ReadNumber(text, pos, 2);
  if (!day) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  int64_t seconds = int64_t{std::chrono::sys_days{date}.time_since_epoch().count()} * 86'400;
  if (pos == text.size()) return seconds;

  if (!Consume(text, pos, 'T') && !Consume(text, pos, 't') && !Consume(text, pos, ' ')) {
    return std::nullopt;
  }
  const auto hour = ReadNumber(text, pos, 2);
  if (!hour || *hour > 23 || !Consume(text, pos, ':')) return std::nullopt;
  const auto minute = ReadNumber(text, pos, 2);
  if (!minute || *minute > 59) return std::nullopt;
  int second = 0;
  if (Consume(text, pos, ':')) {
    const auto s = ReadNumber(text, pos, 2);
    if (!s || *s > 59) return std::nullopt;
    second = *s;
    if (Consume(text, pos, '.')) {
      const size_t start = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      if (pos == start) return std::nullopt;
    }
  }
  seconds += int64_t{*hour} * 3600 + int64_t{*minute} * 60 + second;
  if (pos == text.size()) return seconds;
  if (Consume(text, pos, 'Z') || Consume(text, pos, 'z')) {
    return pos == text.size() ? std::optional<int64_t>(seconds) : std::nullopt;
  }
  const bool plus = Consume(text, pos, '+');
  if (!plus && !Consume(text, pos, '-')) return std::nullopt;
  const auto offset_hours = ReadNumber(text, pos, 2);
  if (!offset_hours || *offset_hours > 23) return std::nullopt;
  Consume(text, pos, ':');
  const auto offset_minutes = ReadNumber(text, pos, 2);
  if (!offset_minutes || *offset_minutes > 59 || pos != text.size()) return std::nullopt;
  const int64_t offset = int64_t{*offset_hours} * 3600 + int64_t{*offset_minutes} * 60;
  return plus ? seconds - offset : seconds + offset;
}

}  // namespace groundcrew::core::rules

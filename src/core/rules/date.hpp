#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

// The date-times rules compare (employeeHireDate): ISO 8601, as Graph writes them.
namespace groundcrew::core::rules {

/// Seconds since 1970-01-01T00:00:00Z for `text` of the form YYYY-MM-DD, optionally followed by
/// `T` (or a space) and HH:MM[:SS[.fraction]], optionally followed by `Z` or an offset
/// ±HH:MM / ±HHMM. A date without a time is midnight UTC; a time without a zone is UTC;
/// fractions of a second are dropped. nullopt when `text` is anything else or names no real
/// calendar instant (month 13, February 30, hour 24...).
std::optional<int64_t> ParseRuleDate(std::string_view text);

}  // namespace groundcrew::core::rules

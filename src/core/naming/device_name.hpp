#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

// Device name templates (deployment profile `deviceNameTemplate`): literal letters, digits and
// hyphens with the macros %SERIAL% (the hardware serial) and %RAND:x% (x random digits).
namespace groundcrew::core {

inline constexpr int kMaxDeviceNameLength = 15;

/// A checked template and what its expansions can look like.
struct NameTemplate {
  struct Part {
    enum class Kind { kLiteral, kSerial, kRandom };
    Kind kind = Kind::kLiteral;
    std::string literal;  ///< kLiteral
    int digits = 0;       ///< kRandom
  };
  std::vector<Part> parts;
  int fixed_length = 0;      ///< literal characters
  int random_digits = 0;     ///< sum of %RAND:x%
  bool uses_serial = false;  ///< %SERIAL% present and not overridden by %RAND%
  /// Characters left for the serial (it is truncated from the beginning to fit); 0 without it.
  int serial_budget = 0;
  /// The longest name the template can produce (serials longer than the budget are truncated).
  int worst_case_length = 0;
  /// Non-fatal findings, e.g. "%SERIAL% is ignored because %RAND% is present".
  std::vector<std::string> warnings;
};

/// Parses and validates `text`. Refused (kInvalidArgument, field "deviceNameTemplate", the
/// message naming the character position): an empty template, characters other than letters,
/// digits and hyphens outside macros, an unknown or unterminated macro, %RAND:x% with x not in
/// 1..15, a worst case over 15 characters, a template whose every expansion is all digits, and
/// %SERIAL% with no room left for it. Macro names are case-insensitive.
[[nodiscard]] Result<NameTemplate> ParseNameTemplate(std::string_view text);

/// Expands a template. Characters of `serial` other than letters, digits and hyphens are dropped
/// and what remains is truncated from the beginning to `serial_budget`; `random_digits` supplies
/// the digits for %RAND% in order (REQUIRES: at least `random_digits` decimal digits). Refused
/// when the result is empty or all digits (e.g. a numeric serial with no literal).
[[nodiscard]] Result<std::string> ExpandName(const NameTemplate& name_template,
                                             std::string_view serial,
                                             std::string_view random_digits);

}  // namespace groundcrew::core

#include "core/naming/device_name.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "common/text.hpp"

namespace groundcrew::core {
namespace {

constexpr const char* kField = "deviceNameTemplate";

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-'; }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

Error Refuse(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message), kField);
}

}  // namespace

Result<NameTemplate> ParseNameTemplate(std::string_view text) {
  if (text.empty()) return Refuse("the template is empty");
  NameTemplate result;
  bool saw_serial = false;
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    result.fixed_length += static_cast<int>(literal.size());
    result.parts.push_back({NameTemplate::Part::Kind::kLiteral, std::move(literal), 0});
    literal.clear();
  };
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c != '%') {
      if (!IsNameChar(c)) {
        return Refuse(fmt::format(
            "character {} ('{}') is not allowed: use letters, digits, hyphens and the macros "
            "%SERIAL% and %RAND:x%",
            i + 1, c));
      }
      literal += c;
      ++i;
      continue;
    }
    const size_t end = text.find('%', i + 1);
    if (end == std::string_view::npos) {
      return Refuse(fmt::format("character {}: macro is not closed with '%'", i + 1));
    }
    const std::string_view macro = text.substr(i + 1, end - i - 1);
    if (text::EqualsIgnoreCase(macro, "SERIAL")) {
      flush();
      saw_serial = true;
      result.parts.push_back({NameTemplate::Part::Kind::kSerial, {}, 0});
    } else if (text::StartsWithIgnoreCase(macro, "RAND:")) {
      const std::string_view count = macro.substr(5);
      if (!AllDigits(count) || count.size() > 2 || std::stoi(std::string(count)) < 1 ||
          std::stoi(std::string(count)) > kMaxDeviceNameLength) {
        return Refuse(fmt::format("character {}: %RAND:x% needs x between 1 and {}, found \"{}\"",
                                  i + 1, kMaxDeviceNameLength, count));
      }
      flush();
      const int digits = std::stoi(std::string(count));
      result.random_digits += digits;
      result.parts.push_back({NameTemplate::Part::Kind::kRandom, {}, digits});
    } else {
      return Refuse(fmt::format("character {}: unknown macro %{}% (known: %SERIAL%, %RAND:x%)",
                                i + 1, macro));
    }
    i = end + 1;
  }
  flush();

  const int fixed = result.fixed_length + result.random_digits;
  if (fixed > kMaxDeviceNameLength) {
    return Refuse(fmt::format("names would be {} characters long; the limit is {}", fixed,
                              kMaxDeviceNameLength));
  }
  if (saw_serial && result.random_digits > 0) {
    result.warnings.push_back("%SERIAL% is ignored because %RAND% is present");
  }
  result.uses_serial = saw_serial && result.random_digits == 0;
  if (result.uses_serial) {
    result.serial_budget = kMaxDeviceNameLength - fixed;
    if (result.serial_budget == 0) {
      return Refuse(
          fmt::format("no room left for %SERIAL%: the rest of the name already uses {} "
                      "characters",
                      kMaxDeviceNameLength));
    }
    result.warnings.push_back(
        fmt::format("serials longer than {} characters are truncated from the beginning",
                    result.serial_budget));
  }
  result.worst_case_length = fixed + result.serial_budget;

  bool has_letter_or_hyphen = false;
  for (const auto& part : result.parts) {
    if (part.kind == NameTemplate::Part::Kind::kLiteral && !AllDigits(part.literal)) {
      has_letter_or_hyphen = true;
    }
  }
  if (!has_letter_or_hyphen && !result.uses_serial) {
    return Refuse("every name would be all digits; add a letter or a hyphen");
  }
  if (!has_letter_or_hyphen) {
    result.warnings.push_back("a numeric serial would give an all-digit name, which is refused");
  }
  return result;
}

Result<std::string> ExpandName(const NameTemplate& name_template, std::string_view serial,
                               std::string_view random_digits) {
  std::string clean_serial;
  for (char c : serial) {
    if (IsNameChar(c)) clean_serial += c;
  }
  if (static_cast<int>(clean_serial.size()) > name_template.serial_budget) {
    clean_serial.erase(0, clean_serial.size() - name_template.serial_budget);
  }
  std::string name;
  size_t next_digit = 0;
  for (const auto& part : name_template.parts) {
    switch (part.kind) {
      case NameTemplate::Part::Kind::kLiteral:
        name += part.literal;
        break;
      case NameTemplate::Part::Kind::kSerial:
        if (name_template.uses_serial) name += clean_serial;
        break;
      case NameTemplate::Part::Kind::kRandom:
        for (int d = 0; d < part.digits; ++d, ++next_digit) {
          if (next_digit >= random_digits.size() ||
              std::isdigit(static_cast<unsigned char>(random_digits[next_digit])) == 0) {
            return MakeError(ErrorCode::kInvalidArgument,
                             fmt::format("{} random digits needed", name_template.random_digits),
                             "random_digits");
          }
          name += random_digits[next_digit];
        }
        break;
    }
  }
  if (name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the name would be empty (the serial has no letters or digits)", "serial");
  }
  if (AllDigits(name)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("the name \"{}\" would be all digits", name), "serial");
  }
  return name;
}

}  // namespace groundcrew::core

#pragma once

#include <string_view>

#include "common/text.hpp"

// Comparisons of a value against a constant that was folded (ASCII-lowercased) in advance: only
// the value is folded, on the fly, without allocating. Internal to the rules engine.
namespace groundcrew::core::rules::folding {

inline bool Equals(std::string_view value, std::string_view folded) {
  if (value.size() != folded.size()) return false;
  for (size_t i = 0; i < value.size(); ++i) {
    if (text::FoldAscii(value[i]) != folded[i]) return false;
  }
  return true;
}

inline bool StartsWith(std::string_view value, std::string_view folded) {
  return value.size() >= folded.size() && Equals(value.substr(0, folded.size()), folded);
}

inline bool EndsWith(std::string_view value, std::string_view folded) {
  return value.size() >= folded.size() &&
         Equals(value.substr(value.size() - folded.size()), folded);
}

inline bool Contains(std::string_view value, std::string_view folded) {
  if (folded.empty()) return true;
  if (value.size() < folded.size()) return false;
  const char first = folded[0];
  for (size_t i = 0; i + folded.size() <= value.size(); ++i) {
    if (text::FoldAscii(value[i]) == first && Equals(value.substr(i, folded.size()), folded)) {
      return true;
    }
  }
  return false;
}

/// Three-way comparison of the folded `value` with `folded`, bytes as unsigned (the order of
/// std::string's operator<).
inline int Compare(std::string_view value, std::string_view folded) {
  const size_t n = value.size() < folded.size() ? value.size() : folded.size();
  for (size_t i = 0; i < n; ++i) {
    const auto a = static_cast<unsigned char>(text::FoldAscii(value[i]));
    const auto b = static_cast<unsigned char>(folded[i]);
    if (a != b) return a < b ? -1 : 1;
  }
  if (value.size() == folded.size()) return 0;
  return value.size() < folded.size() ? -1 : 1;
}

}  // namespace groundcrew::core::rules::folding

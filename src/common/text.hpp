#pragma once

#include <string>
#include <string_view>

// ASCII text helpers. Case-insensitive comparisons fold ASCII letters only, which is what
// identifiers, serial numbers, UPN domains and rule values need; other bytes compare exactly.
namespace groundcrew::text {

constexpr char FoldAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix);
bool EndsWithIgnoreCase(std::string_view text, std::string_view suffix);
bool ContainsIgnoreCase(std::string_view text, std::string_view needle);
std::string ToLowerAscii(std::string_view text);
std::string_view Trim(std::string_view text);

}  // namespace groundcrew::text

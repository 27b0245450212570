#pragma once

#include <cstddef>
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
/// True when `text` is not empty and each byte is an ASCII letter, an ASCII digit or one of
/// `punctuation` (IsAsciiAlnum(id, "._-") for ids like "s-1.2_3").
bool IsAsciiAlnum(std::string_view text, std::string_view punctuation = "");

/// The length (1..4) of the well-formed UTF-8 sequence at text[i], or 0 when the bytes there do
/// not start one (RFC 3629 §4: no overlong forms, no encoded surrogates, nothing above
/// U+10FFFF). REQUIRES: i < text.size().
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i);

/// Appends `code_point` as UTF-8 (1 to 4 bytes). A surrogate keeps its (invalid) 3-byte form.
/// REQUIRES: code_point <= U+10FFFF.
void AppendUtf8(std::string& out, char32_t code_point);

enum class ByteOrder { kLittleEndian, kBigEndian };

/// Converts UTF-16 code units to UTF-8. A surrogate pair becomes one 4-byte sequence. A lone
/// surrogate becomes its 3-byte generalized-UTF-8 form (0xED 0xA0..0xBF 0x80..0xBF), which is
/// not valid UTF-8, so FindInvalidUtf8 finds it (ToValidUtf8 replaces it). A final odd byte is
/// ignored; callers that care check `bytes.size() % 2` themselves.
std::string Utf16ToUtf8(std::string_view bytes, ByteOrder order);

/// 0-based offset of the first byte of `text` that does not start a well-formed UTF-8 sequence
/// (RFC 3629: no overlong forms, no encoded surrogates, nothing above U+10FFFF); npos when the
/// whole text is valid UTF-8.
std::size_t FindInvalidUtf8(std::string_view text);
inline bool IsValidUtf8(std::string_view text) {
  return FindInvalidUtf8(text) == std::string_view::npos;
}
/// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD;
/// valid text comes back unchanged.
std::string ToValidUtf8(std::string_view text);

/// `text` made safe to print on a terminal, so text from outside (a device, a user, a file)
/// cannot set a window title, move the cursor or erase lines: each C0 control character but
/// tab, and DEL, becomes its Unicode control picture (ESC -> U+241B "␛", LF -> U+240A "␊",
/// DEL -> U+2421 "␡"); C1 controls (U+0080-U+009F) and bytes that are not well-formed UTF-8
/// become U+FFFD "�". Everything else, including tab, is kept.
std::string ShowControls(std::string_view text);

}  // namespace groundcrew::text

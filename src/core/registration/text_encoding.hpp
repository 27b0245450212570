#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// Text-encoding helpers used only inside src/core/registration (the hardware hash and the
// registration CSV). Not part of the module's public API.
namespace groundcrew::core::registration_internal {

/// Where and why a byte string is not clean text.
struct TextProblem {
  std::size_t offset = 0;  ///< 0-based byte offset of the first offending byte
  std::string reason;      ///< e.g. "byte 4 is not UTF-8"; always valid UTF-8
};

/// Clean text is strict UTF-8 (no overlong forms, no encoded surrogates, nothing above
/// U+10FFFF) without C0 control characters or DEL. Returns the first problem, or nullopt.
std::optional<TextProblem> FindTextProblem(std::string_view text);

enum class ByteOrder { kLittleEndian, kBigEndian };

/// Converts UTF-16 code units to UTF-8. A surrogate pair becomes one 4-byte sequence. A lone
/// surrogate becomes its 3-byte generalized-UTF-8 form (0xED 0xA0..0xBF 0x80..0xBF), which is
/// not valid UTF-8, so FindTextProblem reports it wherever it lands. A final odd byte is ignored;
/// callers that care check `bytes.size() % 2` themselves.
std::string Utf16ToUtf8(std::string_view bytes, ByteOrder order);

/// `text` in double quotes, safe to embed in an error message: at most 64 characters (then
/// "..."), with '"' and '\' escaped and control characters and non-UTF-8 bytes written as \xNN.
/// The result is always valid UTF-8.
std::string QuoteForMessage(std::string_view text);

}  // namespace groundcrew::core::registration_internal

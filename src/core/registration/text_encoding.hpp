#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/text.hpp"

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

/// UTF-16 to UTF-8 is common/text's (a lone surrogate keeps its 3-byte form, which
/// FindTextProblem reports wherever it lands).
using text::ByteOrder;
using text::Utf16ToUtf8;

/// `text` in double quotes, safe to embed in an error message: at most 64 characters (then
/// "..."), with '"' and '\' escaped and control characters and non-UTF-8 bytes written as \xNN.
/// The result is always valid UTF-8.
std::string QuoteForMessage(std::string_view text);

}  // namespace groundcrew::core::registration_internal

#include "core/registration/text_encoding.hpp"

#include <cstdint>

#include "common/text.hpp"

namespace groundcrew::core::registration_internal {
namespace {

constexpr std::size_t kMaxQuotedCharacters = 64;

bool IsControl(unsigned char byte) { return byte < 0x20 || byte == 0x7F; }

bool StartsEncodedSurrogate(std::string_view text, std::size_t i) {
  return static_cast<unsigned char>(text[i]) == 0xED && i + 1 < text.size() &&
         static_cast<unsigned char>(text[i + 1]) >= 0xA0 &&
         static_cast<unsigned char>(text[i + 1]) <= 0xBF;
}

char HexDigit(unsigned value) { return "0123456789ABCDEF"[value & 0xF]; }

void AppendHexByte(std::string& out, unsigned char byte) {
  out += "\\x";
  out += HexDigit(byte >> 4);
  out += HexDigit(byte);
}

}  // namespace

std::optional<TextProblem> FindTextProblem(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      if (IsControl(byte)) {
        std::string reason = "control character ";
        AppendHexByte(reason, byte);
        return TextProblem{i, reason + " at byte " + std::to_string(i + 1)};
      }
      ++i;
      continue;
    }
    const std::size_t length = text::Utf8SequenceLength(text, i);
    if (length == 0) {
      if (StartsEncodedSurrogate(text, i)) {
        return TextProblem{i, "a lone UTF-16 surrogate at byte " + std::to_string(i + 1)};
      }
      return TextProblem{i, "byte " + std::to_string(i + 1) + " is not UTF-8"};
    }
    i += length;
  }
  return std::nullopt;
}

std::string QuoteForMessage(std::string_view text) {
  std::string out = "\"";
  std::size_t characters = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (characters == kMaxQuotedCharacters) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(text[i]);
    const std::size_t length = text::Utf8SequenceLength(text, i);
    if (length == 0 || (length == 1 && IsControl(byte))) {
      AppendHexByte(out, byte);
      ++i;
    } else {
      if (byte == '"' || byte == '\\') out += '\\';
      out.append(text.substr(i, length));
      i += length;
    }
    ++characters;
  }
  out += '"';
  return out;
}

}  // namespace groundcrew::core::registration_internal

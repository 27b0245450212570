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

std::string Utf16ToUtf8(std::string_view bytes, ByteOrder order) {
  const std::size_t units = bytes.size() / 2;
  const auto unit = [&](std::size_t k) -> std::uint32_t {
    const auto first = static_cast<unsigned char>(bytes[2 * k]);
    const auto second = static_cast<unsigned char>(bytes[2 * k + 1]);
    return order == ByteOrder::kLittleEndian ? (second << 8 | first) : (first << 8 | second);
  };
  std::string out;
  out.reserve(units + units / 2);
  for (std::size_t k = 0; k < units; ++k) {
    std::uint32_t code_point = unit(k);
    if (code_point >= 0xD800 && code_point <= 0xDBFF && k + 1 < units) {
      const std::uint32_t next = unit(k + 1);
      if (next >= 0xDC00 && next <= 0xDFFF) {
        code_point = 0x10000 + ((code_point - 0xD800) << 10) + (next - 0xDC00);
        ++k;
      }
    }
    text::AppendUtf8(out, code_point);  // a lone surrogate keeps its (invalid) 3-byte form
  }
  return out;
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

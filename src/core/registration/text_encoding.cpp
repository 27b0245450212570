#include "core/registration/text_encoding.hpp"

#include <cstdint>

namespace groundcrew::core::registration_internal {
namespace {

constexpr std::size_t kMaxQuotedCharacters = 64;

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Length of the well-formed UTF-8 sequence starting at text[i] (1..4), or 0 when the bytes there
// do not start one. Ranges follow RFC 3629 §4 (the Unicode "well-formed" table).
std::size_t SequenceLength(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;   // no overlong 3-byte forms
    if (b0 == 0xED) high = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;   // no overlong 4-byte forms
    if (b0 == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() - i < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (!IsContinuation(byte(k))) return 0;
  }
  return length;
}

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

void AppendUtf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
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
    const std::size_t length = SequenceLength(text, i);
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
    AppendUtf8(out, code_point);  // a lone surrogate keeps its (invalid) 3-byte form
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
    const std::size_t length = SequenceLength(text, i);
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

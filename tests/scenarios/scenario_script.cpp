#include "scenario_script.hpp"

#include <fmt/format.h>

#include <cctype>

#include "common/text.hpp"

namespace groundcrew::core::scenarios {
namespace {

bool IsKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
}

// Reads a quoted string starting at text[i] (a quote); advances i past the closing quote.
Result<std::string> ReadQuoted(std::string_view text, size_t& i, int line) {
  const char quote = text[i++];
  std::string value;
  while (i < text.size() && text[i] != quote) {
    if (quote == '"' && text[i] == '\\' && i + 1 < text.size()) ++i;
    value += text[i++];
  }
  if (i >= text.size()) {
    return MakeError(ErrorCode::kInvalidArgument, "unterminated quote",
                     fmt::format("line {}", line));
  }
  ++i;
  return value;
}

// Reads a bare or quoted value starting at text[i].
Result<std::string> ReadValue(std::string_view text, size_t& i, int line) {
  if (i < text.size() && (text[i] == '"' || text[i] == '\'')) return ReadQuoted(text, i, line);
  std::string value;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) == 0) {
    value += text[i++];
  }
  return value;
}

Result<Line> Tokenize(std::string_view text, int number) {
  Line line;
  line.number = number;
  line.text = std::string(text);
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i])) != 0) {
      ++i;
      continue;
    }
    size_t key_end = i;
    while (key_end < text.size() && IsKeyChar(text[key_end])) ++key_end;
    if (key_end > i && key_end < text.size() && text[key_end] == '=') {
      std::string key(text.substr(i, key_end - i));
      i = key_end + 1;
      Result<std::string> value = ReadValue(text, i, number);
      if (!value) return value.error();
      line.options.emplace_back(std::move(key), std::move(*value));
      continue;
    }
    Result<std::string> word = ReadValue(text, i, number);
    if (!word) return word.error();
    line.words.push_back(std::move(*word));
  }
  return line;
}

}  // namespace

const std::string* Line::Option(std::string_view key) const {
  for (const auto& [k, v] : options) {
    if (k == key) return &v;
  }
  return nullptr;
}

const std::string& Line::Word(size_t i) const {
  static const std::string kEmpty;
  return i < words.size() ? words[i] : kEmpty;
}

Result<Script> ParseScript(std::string path, std::string_view text) {
  Script script;
  script.path = std::move(path);
  std::vector<std::string_view> raw;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    raw.push_back(line);
    start = end + 1;
  }
  for (size_t n = 0; n < raw.size(); ++n) {
    const std::string_view trimmed = text::Trim(raw[n]);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    Result<Line> line = Tokenize(trimmed, static_cast<int>(n + 1));
    if (!line) return line.error();
    if (line->words.size() == 1 && line->options.empty() && line->words[0] == "csv") {
      size_t m = n + 1;
      while (m < raw.size() && text::Trim(raw[m]) != "end") line->block.emplace_back(raw[m++]);
      if (m == raw.size()) {
        return MakeError(ErrorCode::kInvalidArgument, "block without `end`",
                         fmt::format("line {}", n + 1));
      }
      n = m;
    }
    script.lines.push_back(std::move(*line));
  }
  return script;
}

}  // namespace groundcrew::core::scenarios

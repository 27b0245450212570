#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

// The text of a .scenario file, split into commands. See README.md for the format.
namespace groundcrew::core::scenarios {

/// One command: positional words and key=value options, in the order written. Quotes ("..." with
/// \" and \\ escapes, or '...' taken literally) group words and are removed.
struct Line {
  int number = 0;                  ///< 1-based line in the file
  std::string text;                ///< as written, trimmed
  std::vector<std::string> words;  ///< positional words; words[0] is the command
  std::vector<std::pair<std::string, std::string>> options;
  std::vector<std::string> block;  ///< the raw lines between a block command and `end`

  /// The first option named `key`, or null.
  const std::string* Option(std::string_view key) const;
  /// words[i], or "" past the end.
  const std::string& Word(size_t i) const;
};

struct Script {
  std::string path;
  std::vector<Line> lines;
};

/// Splits `text` into commands. Blank lines and lines starting with '#' are skipped. A line that
/// is only `csv` opens a block that runs to a line that is only `end`. kInvalidArgument (field
/// "line N") for an unterminated quote or block.
[[nodiscard]] Result<Script> ParseScript(std::string path, std::string_view text);

}  // namespace groundcrew::core::scenarios

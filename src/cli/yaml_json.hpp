#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <string_view>

#include "common/result.hpp"

// Declarative tenant files are YAML; the API takes JSON. yaml-cpp stays inside yaml_json.cpp.
namespace groundcrew::cli {

/// A place in a YAML text, 1-based.
struct YamlMark {
  int line = 0;
  int column = 0;
  friend bool operator==(const YamlMark&, const YamlMark&) = default;
};

/// Where each value of a converted document starts, by JSON pointer ("" the root,
/// "/apps/3/dependencies/0/app"); an empty value takes its key's place.
using YamlMarks = std::map<std::string, YamlMark>;

/// Converts the first YAML document in `text` to JSON.
///
/// Scalars: a quoted scalar ('x' or "x"), a block scalar (| or >) and a `!!str` scalar are
/// strings. A plain scalar is null for `~`, `null`, `Null`, `NULL` or nothing; a boolean for
/// true/false (also True, TRUE, False, FALSE; not yes/no/on/off); an integer for [-+]?[0-9]+
/// without a leading zero that fits 64 bits (so a serial like 007, or one of 30 digits, stays a
/// string); a number for decimals such as
/// 1.5, -0.25 or 1e3; a string otherwise. Map keys are always strings.
///
/// Errors are kInvalidArgument with field "<file_name>: line L, column C" (1-based): YAML
/// syntax errors, non-scalar or duplicate map keys, tags other than the YAML core ones (!!str,
/// !!int, !!float, !!bool, !!null, !!map, !!seq) and scalars that do not fit their tag.
///
/// With `marks`, also records where each value starts in `text` (see YamlMarks).
[[nodiscard]] Result<boost::json::value> YamlToJson(std::string_view text,
                                                    std::string_view file_name,
                                                    YamlMarks* marks = nullptr);

/// `key` as a JSON pointer token (RFC 6901: "~" as "~0", "/" as "~1").
std::string PointerToken(std::string_view key);

}  // namespace groundcrew::cli

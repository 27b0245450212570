#include "cli/yaml_json.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>
#include <string>

#include "common/text.hpp"
#include "wire/json_limits.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

constexpr std::string_view kCoreTagPrefix = "tag:yaml.org,2002:";

std::string Where(std::string_view file_name, const YAML::Mark& mark) {
  if (mark.is_null()) return std::string(file_name);
  return fmt::format("{}: line {}, column {}", file_name, mark.line + 1, mark.column + 1);
}

bool IsNullWord(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> BoolWord(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// [-+]?[0-9]+ without a leading zero (other than "0" itself). Out-of-range integers become
// doubles; anything else is nullopt.
std::optional<json::value> IntegerWord(std::string_view s) {
  std::string_view digits = s;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) digits.remove_prefix(1);
  if (!AllDigits(digits)) return std::nullopt;
  if (digits.size() > 1 && digits.front() == '0') return std::nullopt;
  std::string text(digits);
  if (negative) text.insert(text.begin(), '-');
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc() && end == text.data() + text.size()) return json::value(value);
  if (!negative) {
    std::uint64_t big = 0;
    auto [end2, ec2] = std::from_chars(text.data(), text.data() + text.size(), big);
    if (ec2 == std::errc() && end2 == text.data() + text.size()) return json::value(big);
  }
  // Beyond 64 bits: a string, digits intact (a long serial number written without quotes must
  // not become a rounded double); the service refuses it where it wants a number.
  return json::value(s);
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? with a '.' or an exponent, and no
// leading zero before other digits in the integer part.
std::optional<json::value> DecimalWord(std::string_view s) {
  std::string_view rest = s;
  if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) rest.remove_prefix(1);
  size_t i = 0;
  while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) ++i;
  const size_t int_digits = i;
  if (int_digits > 1 && rest.front() == '0') return std::nullopt;
  size_t frac_digits = 0;
  bool dot = false;
  if (i < rest.size() && rest[i] == '.') {
    dot = true;
    ++i;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) {
      ++i;
      ++frac_digits;
    }
  }
  if (int_digits + frac_digits == 0) return std::nullopt;
  bool exponent = false;
  if (i < rest.size() && (rest[i] == 'e' || rest[i] == 'E')) {
    ++i;
    if (i < rest.size() && (rest[i] == '-' || rest[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) {
      ++i;
      ++exp_digits;
    }
    if (exp_digits == 0) return std::nullopt;
    exponent = true;
  }
  if (i != rest.size() || (!dot && !exponent)) return std::nullopt;
  const std::string text(s.front() == '+' ? s.substr(1) : s);
  const double value = std::strtod(text.c_str(), nullptr);
  if (!std::isfinite(value)) return std::nullopt;  // 1e999: JSON has no such number; a string
  return json::value(value);
}

// A document whose aliases expand past this many values is refused (a "billion laughs" file
// would otherwise exhaust memory and time): every value written out needs a couple of bytes,
// so only aliases take a document far past its size; real tenant documents hold far fewer.
std::size_t MaxValues(std::size_t text_size) {
  return std::min<std::size_t>(1'000'000, 16 * text_size + 10'000);
}

class Converter {
 public:
  Converter(std::string_view file_name, std::size_t max_values, YamlMarks* marks)
      : file_name_(file_name), max_values_(max_values), marks_(marks) {}

  // `pointer`: the value's JSON pointer, kept in marks_ with the node's place (or `fallback`'s
  // when the node has none, e.g. an empty value after its key).
  Result<json::value> Convert(const YAML::Node& node, std::size_t depth = 0,
                              const std::string& pointer = "",
                              const YAML::Mark& fallback = YAML::Mark::null_mark()) {
    if (marks_ != nullptr) {
      const YAML::Mark& mark = node.Mark().is_null() ? fallback : node.Mark();
      if (!mark.is_null()) (*marks_)[pointer] = {mark.line + 1, mark.column + 1};
    }
    // The API reads JSON at most wire::kMaxJsonDepth deep: say so here, with the line. (An alias
    // to an enclosing node, a cycle, ends here too.)
    if (depth >= wire::kMaxJsonDepth &&
        (node.Type() == YAML::NodeType::Sequence || node.Type() == YAML::NodeType::Map)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("nests deeper than {} levels", wire::kMaxJsonDepth),
                       Where(file_name_, node.Mark()));
    }
    if (++values_ > max_values_) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          fmt::format("the document expands to more than {} values (aliases?)", max_values_),
          Where(file_name_, node.Mark()));
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return CheckTag(node, "null") ? Result<json::value>(json::value(nullptr)) : TagError(node);
      case YAML::NodeType::Scalar:
        return Scalar(node);
      case YAML::NodeType::Sequence: {
        if (!CheckTag(node, "seq")) return TagError(node);
        json::array array;
        for (const YAML::Node& item : node) {
          auto value =
              Convert(item, depth + 1, fmt::format("{}/{}", pointer, array.size()), node.Mark());
          if (!value) return value;
          array.push_back(std::move(*value));
        }
        return json::value(std::move(array));
      }
      case YAML::NodeType::Map: {
        if (!CheckTag(node, "map")) return TagError(node);
        json::object object;
        for (const auto& entry : node) {
          const YAML::Node& key = entry.first;
          if (!key.IsScalar()) {
            return MakeError(ErrorCode::kInvalidArgument, "a map key must be a scalar",
                             Where(file_name_, key.Mark()));
          }
          if (Status s = CheckUtf8(key); !s) return s.error();
          const std::string& name = key.Scalar();
          if (object.contains(name)) {
            return MakeError(ErrorCode::kInvalidArgument, fmt::format("duplicate key \"{}\"", name),
                             Where(file_name_, key.Mark()));
          }
          auto value =
              Convert(entry.second, depth + 1, pointer + "/" + PointerToken(name), key.Mark());
          if (!value) return value;
          object.emplace(name, std::move(*value));
        }
        return json::value(std::move(object));
      }
    }
    return json::value(nullptr);
  }

 private:
  // True when `node` has no explicit tag, the non-specific "!" or "?" one, or the core tag
  // `expected` ("str", "int", ...).
  static bool CheckTag(const YAML::Node& node, std::string_view expected) {
    const std::string& tag = node.Tag();
    return tag.empty() || tag == "!" || tag == "?" || CheckTagExplicit(tag, expected);
  }

  // True when `tag` is the core tag `expected` (written !!expected in the file).
  static bool CheckTagExplicit(std::string_view tag, std::string_view expected) {
    return tag.size() == kCoreTagPrefix.size() + expected.size() &&
           tag.substr(0, kCoreTagPrefix.size()) == kCoreTagPrefix &&
           tag.substr(kCoreTagPrefix.size()) == expected;
  }

  Error TagError(const YAML::Node& node) const {
    std::string tag = node.Tag();
    if (tag.rfind(kCoreTagPrefix, 0) == 0) tag = "!!" + tag.substr(kCoreTagPrefix.size());
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("unsupported tag {}", tag),
                     Where(file_name_, node.Mark()));
  }

  // The API takes UTF-8 only: a scalar that is not (bytes of another encoding, or a lone
  // surrogate written as an escape) is refused here, with its line.
  Status CheckUtf8(const YAML::Node& node) const {
    if (const size_t bad = text::FindInvalidUtf8(node.Scalar()); bad != std::string::npos) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          fmt::format("not UTF-8 text (byte {} of this value); save the file as UTF-8", bad + 1),
          Where(file_name_, node.Mark()));
    }
    return Ok{};
  }

  Result<json::value> Scalar(const YAML::Node& node) const {
    if (Status s = CheckUtf8(node); !s) return s.error();
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    // "!" marks a quoted or block scalar: always a string.
    if (tag == "!" || CheckTagExplicit(tag, "str")) return json::value(text);
    auto not_a = [&](std::string_view what) {
      return MakeError(ErrorCode::kInvalidArgument, fmt::format("\"{}\" is not {}", text, what),
                       Where(file_name_, node.Mark()));
    };
    if (tag == "?" || tag.empty()) {
      if (IsNullWord(text)) return json::value(nullptr);
      if (auto b = BoolWord(text)) return json::value(*b);
      if (auto i = IntegerWord(text)) return std::move(*i);
      if (auto d = DecimalWord(text)) return std::move(*d);
      return json::value(text);
    }
    if (CheckTagExplicit(tag, "null")) {
      if (IsNullWord(text)) return json::value(nullptr);
      return not_a("null");
    }
    if (CheckTagExplicit(tag, "bool")) {
      if (auto b = BoolWord(text)) return json::value(*b);
      return not_a("a boolean");
    }
    if (CheckTagExplicit(tag, "int")) {
      if (auto i = IntegerWord(text); i && !i->is_string()) return std::move(*i);
      return not_a("an integer of at most 64 bits");
    }
    if (CheckTagExplicit(tag, "float")) {
      if (auto i = IntegerWord(text); i && !i->is_string()) {
        return json::value(i->to_number<double>());
      }
      if (auto i = IntegerWord(text)) {  // beyond 64 bits
        const double value = std::strtod(text.c_str(), nullptr);
        if (std::isfinite(value)) return json::value(value);
      }
      if (auto d = DecimalWord(text)) return std::move(*d);
      return not_a("a number");
    }
    return TagError(node);
  }

  std::string_view file_name_;
  std::size_t max_values_;
  YamlMarks* marks_;
  std::size_t values_ = 0;
};

}  // namespace

std::string PointerToken(std::string_view key) {
  std::string out;
  for (const char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

Result<json::value> YamlToJson(std::string_view text, std::string_view file_name,
                               YamlMarks* marks) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, e.msg, Where(file_name, e.mark));
  }
  try {
    return Converter(file_name, MaxValues(text.size()), marks).Convert(root);
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, e.msg, Where(file_name, e.mark));
  }
}

}  // namespace groundcrew::cli

#include "wire/json_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace groundcrew::wire::internal {

std::string JoinPath(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return fmt::format("{}.{}", path, key);
}

std::string IndexPath(std::string_view path, std::size_t index) {
  return fmt::format("{}[{}]", path, index);
}

Error Invalid(std::string_view path, std::string_view what) {
  std::string message = path.empty() ? std::string(what) : fmt::format("{}: {}", path, what);
  return MakeError(ErrorCode::kInvalidArgument, std::move(message), std::string(path));
}

std::string Describe(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return value.as_bool() ? "true" : "false";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

std::size_t CodePoints(std::string_view utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

namespace {

Error WrongType(std::string_view path, std::string_view expected, const json::value& found) {
  return Invalid(path, fmt::format("expected {}, found {}", expected, Describe(found)));
}

}  // namespace

Status ReadString(const json::value& value, std::string_view path, std::string& out) {
  if (!value.is_string()) return WrongType(path, "a string", value);
  out = std::string(value.as_string());
  return Ok{};
}

Status ReadBool(const json::value& value, std::string_view path, bool& out) {
  if (!value.is_bool()) return WrongType(path, "true or false", value);
  out = value.as_bool();
  return Ok{};
}

Status ReadInteger(const json::value& value, std::string_view path, long long min, long long max,
                   long long& out) {
  long long number = 0;
  bool in_int64 = true;
  if (value.is_int64()) {
    number = value.as_int64();
  } else if (value.is_uint64()) {
    in_int64 = false;  // JSON integers above INT64_MAX: out of any range we accept
  } else if (value.is_double()) {
    const double d = value.as_double();
    if (!std::isfinite(d) || std::trunc(d) != d) {
      return Invalid(path, fmt::format("expected an integer, found {}", d));
    }
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if (d >= 9223372036854775808.0 || d < -9223372036854775808.0) {
      in_int64 = false;
    } else {
      number = static_cast<long long>(d);
    }
  } else {
    return WrongType(path, "an integer", value);
  }
  if (!in_int64 || number < min || number > max) {
    // A bound that is only the C++ type's limit is not worth naming as a range.
    const bool min_is_limit =
        min == std::numeric_limits<long long>::min() || min == std::numeric_limits<int>::min();
    const bool max_is_limit =
        max == std::numeric_limits<long long>::max() || max == std::numeric_limits<int>::max();
    const bool too_small = in_int64 ? number < min : value.is_double() && value.as_double() < 0;
    const std::string found = json::serialize(value);
    if (too_small && max_is_limit) {
      return Invalid(path, fmt::format("must be at least {}, found {}", min, found));
    }
    if (!too_small && (min_is_limit || max_is_limit)) {
      return Invalid(path, fmt::format("must be at most {}, found {}", max, found));
    }
    return Invalid(path, fmt::format("must be between {} and {}, found {}", min, max, found));
  }
  out = number;
  return Ok{};
}

Status ReadStrings(const json::value& value, std::string_view path, std::vector<std::string>& out) {
  if (!value.is_array()) return WrongType(path, "an array of strings", value);
  std::vector<std::string> result;
  result.reserve(value.as_array().size());
  for (std::size_t i = 0; i < value.as_array().size(); ++i) {
    const json::value& item = value.as_array()[i];
    if (!item.is_string()) return WrongType(IndexPath(path, i), "a string", item);
    result.emplace_back(item.as_string());
  }
  out = std::move(result);
  return Ok{};
}

Status ReadChoice(const json::value& value, std::string_view path, const std::string_view* names,
                  std::size_t count, std::size_t& index) {
  std::string allowed;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) allowed += ", ";
    allowed += fmt::format("\"{}\"", names[i]);
  }
  if (!value.is_string()) {
    return Invalid(path, fmt::format("expected one of {}, found {}", allowed, Describe(value)));
  }
  const std::string_view text = value.as_string();
  for (std::size_t i = 0; i < count; ++i) {
    if (names[i] == text) {
      index = i;
      return Ok{};
    }
  }
  return Invalid(path,
                 fmt::format("expected one of {}, found {}", allowed, json::serialize(value)));
}

Result<ObjectReader> ObjectReader::Open(const json::value& value, std::string path) {
  if (!value.is_object()) return WrongType(path, "an object", value);
  return ObjectReader(value.as_object(), std::move(path));
}

const json::value* ObjectReader::Take(std::string_view key) {
  known_.push_back(key);
  return object_->if_contains(key);
}

Status ObjectReader::String(std::string_view key, std::string& out) {
  const json::value* v = Take(key);
  return v == nullptr ? Status(Ok{}) : ReadString(*v, PathOf(key), out);
}

Status ObjectReader::Bool(std::string_view key, bool& out) {
  const json::value* v = Take(key);
  return v == nullptr ? Status(Ok{}) : ReadBool(*v, PathOf(key), out);
}

Status ObjectReader::Int(std::string_view key, int& out, int min, int max) {
  long long wide = out;
  GC_RETURN_IF_ERROR(Int64(key, wide, min, max));
  out = static_cast<int>(wide);
  return Ok{};
}

Status ObjectReader::Int64(std::string_view key, long long& out, long long min, long long max) {
  const json::value* v = Take(key);
  return v == nullptr ? Status(Ok{}) : ReadInteger(*v, PathOf(key), min, max, out);
}

Status ObjectReader::OptionalInt(std::string_view key, std::optional<int>& out, int min, int max) {
  const json::value* v = Take(key);
  if (v == nullptr) return Ok{};
  if (v->is_null()) {
    out.reset();
    return Ok{};
  }
  long long wide = 0;
  GC_RETURN_IF_ERROR(ReadInteger(*v, PathOf(key), min, max, wide));
  out = static_cast<int>(wide);
  return Ok{};
}

Status ObjectReader::Strings(std::string_view key, std::vector<std::string>& out) {
  const json::value* v = Take(key);
  return v == nullptr ? Status(Ok{}) : ReadStrings(*v, PathOf(key), out);
}

Status ObjectReader::Finish() const {
  for (const auto& entry : *object_) {
    if (std::find(known_.begin(), known_.end(), entry.key()) == known_.end()) {
      const std::string path = PathOf(entry.key());
      return MakeError(ErrorCode::kInvalidArgument, fmt::format("unknown field \"{}\"", path),
                       path);
    }
  }
  return Ok{};
}

Result<ObjectReader> OpenResource(const json::value& json) {
  auto reader = ObjectReader::Open(json, "");
  if (!reader) return reader;
  for (std::string_view key :
       {"id", "createdDateTime", "lastModifiedDateTime", "version", "@odata.type"}) {
    reader->Ignore(key);
  }
  return reader;
}

Status RequireNonEmpty(std::string_view key, const std::string& value) {
  if (value.empty()) return Invalid(key, "must not be empty");
  return Ok{};
}

Status RequireMaxLength(std::string_view key, const std::string& value, std::size_t max) {
  const std::size_t length = CodePoints(value);
  if (length > max) {
    return Invalid(key, fmt::format("must be at most {} characters, found {}", max, length));
  }
  return Ok{};
}

json::array ToArray(const std::vector<std::string>& values) {
  json::array array;
  array.reserve(values.size());
  for (const std::string& value : values) array.emplace_back(value);
  return array;
}

}  // namespace groundcrew::wire::internal

#pragma once

#include <boost/json.hpp>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "core/model/ids.hpp"

// Internal to gc_wire: the strict reader every Decode is built from, and the enumeration
// spelling tables Encode and Decode share.
namespace groundcrew::wire::internal {

namespace json = boost::json;

/// One JSON spelling of one enumerator.
template <class E>
struct Spelling {
  std::string_view name;
  E value;
};

/// The spelling of `value` in `table` ("" when the table misses it, a bug).
template <class E, std::size_t N>
std::string_view NameOf(const Spelling<E> (&table)[N], E value) {
  for (const Spelling<E>& s : table) {
    if (s.value == value) return s.name;
  }
  return "";
}

/// `path` joined with a property name: "key" at the top level, else "path.key".
std::string JoinPath(std::string_view path, std::string_view key);
/// "path[index]".
std::string IndexPath(std::string_view path, std::size_t index);

/// kInvalidArgument with `field` = path and message "path: what" ("what" at the top level).
Error Invalid(std::string_view path, std::string_view what);

/// "a string", "a number", "null"... for "found ..." in messages.
std::string Describe(const json::value& value);

/// FormatTimestamp's text, or null when there is no time.
json::value OptionalTime(const std::optional<core::Timestamp>& time);

/// Number of Unicode code points of UTF-8 text (continuation bytes are not counted).
std::size_t CodePoints(std::string_view utf8);

// Value-level readers. Each checks the JSON type (and range) of `value` at `path`.
Status ReadString(const json::value& value, std::string_view path, std::string& out);
Status ReadBool(const json::value& value, std::string_view path, bool& out);
Status ReadInteger(const json::value& value, std::string_view path, long long min, long long max,
                   long long& out);
Status ReadStrings(const json::value& value, std::string_view path, std::vector<std::string>& out);
/// A string equal to one of `names` (`count` of them); sets `index` to its position.
Status ReadChoice(const json::value& value, std::string_view path, const std::string_view* names,
                  std::size_t count, std::size_t& index);

/// Reads the properties of one JSON object. Every property asked for (read, taken or ignored)
/// becomes known; Finish() refuses the first property that is not.
class ObjectReader {
 public:
  /// kInvalidArgument unless `value` is an object. `path` is the object's own path ("" at the
  /// top level). The reader refers to `value`, which must outlive it.
  static Result<ObjectReader> Open(const json::value& value, std::string path);

  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const { return JoinPath(path_, key); }

  /// Accepts `key` without reading it (server-owned properties). `key` must outlive the reader.
  void Ignore(std::string_view key) { known_.push_back(key); }
  /// Marks `key` known and returns its value, nullptr when absent.
  const json::value* Take(std::string_view key);

  // Each applies the property when present and leaves `out` alone when absent.
  Status String(std::string_view key, std::string& out);
  Status Bool(std::string_view key, bool& out);
  Status Int(std::string_view key, int& out, int min = std::numeric_limits<int>::min(),
             int max = std::numeric_limits<int>::max());
  Status Int64(std::string_view key, long long& out, long long min, long long max);
  /// null clears.
  Status OptionalInt(std::string_view key, std::optional<int>& out, int min, int max);
  Status Strings(std::string_view key, std::vector<std::string>& out);

  /// An array of non-empty id strings.
  template <class IdT>
  Status Ids(std::string_view key, std::vector<IdT>& out) {
    const json::value* v = Take(key);
    if (v == nullptr) return Ok{};
    std::vector<std::string> ids;
    GC_RETURN_IF_ERROR(ReadStrings(*v, PathOf(key), ids));
    std::vector<IdT> result;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i].empty()) return Invalid(IndexPath(PathOf(key), i), "must not be empty");
      result.emplace_back(std::move(ids[i]));
    }
    out = std::move(result);
    return Ok{};
  }

  /// A non-empty id string.
  template <class IdT>
  Status Id(std::string_view key, IdT& out) {
    const json::value* v = Take(key);
    if (v == nullptr) return Ok{};
    std::string id;
    GC_RETURN_IF_ERROR(ReadString(*v, PathOf(key), id));
    if (id.empty()) return Invalid(PathOf(key), "must not be empty");
    out = IdT(std::move(id));
    return Ok{};
  }

  template <class E, std::size_t N>
  Status Enum(std::string_view key, const Spelling<E> (&table)[N], E& out) {
    const json::value* v = Take(key);
    if (v == nullptr) return Ok{};
    std::string_view names[N];
    for (std::size_t i = 0; i < N; ++i) names[i] = table[i].name;
    std::size_t index = 0;
    GC_RETURN_IF_ERROR(ReadChoice(*v, PathOf(key), names, N, index));
    out = table[index].value;
    return Ok{};
  }

  /// Refuses the first property that was neither read, taken nor ignored:
  /// `unknown field "<path>"`.
  Status Finish() const;

 private:
  ObjectReader(const json::object& object, std::string path)
      : object_(&object), path_(std::move(path)) {}

  const json::object* object_;
  std::string path_;
  std::vector<std::string_view> known_;
};

/// Opens `json` as a top-level object and ignores the server-owned properties "id",
/// "createdDateTime", "lastModifiedDateTime", "version" and "@odata.type".
Result<ObjectReader> OpenResource(const json::value& json);

/// Applies `decode(reader, copy)` to a copy of `out` and then checks `validate(copy)`; `out` is
/// replaced only when both succeed and the reader has no unknown property left.
template <class T, class DecodeFn, class ValidateFn>
Status DecodeResource(const json::value& json, T& out, DecodeFn decode, ValidateFn validate) {
  auto reader = OpenResource(json);
  if (!reader) return reader.error();
  T copy = out;
  GC_RETURN_IF_ERROR(decode(*reader, copy));
  GC_RETURN_IF_ERROR(reader->Finish());
  GC_RETURN_IF_ERROR(validate(copy));
  out = std::move(copy);
  return Ok{};
}

/// `value` must be non-empty: "<key>: must not be empty".
Status RequireNonEmpty(std::string_view key, const std::string& value);
/// `value` has at most `max` code points.
Status RequireMaxLength(std::string_view key, const std::string& value, std::size_t max);

// Encoding helpers.
json::array ToArray(const std::vector<std::string>& values);
template <class IdT>
json::array IdsToArray(const std::vector<IdT>& ids) {
  json::array array;
  array.reserve(ids.size());
  for (const IdT& id : ids) array.emplace_back(id.value());
  return array;
}

}  // namespace groundcrew::wire::internal

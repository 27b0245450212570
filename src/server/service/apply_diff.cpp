#include "server/service/apply_diff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "common/text.hpp"

namespace groundcrew::service {
namespace {

namespace json = boost::json;

bool AllObjects(const json::array& list) {
  return std::all_of(list.begin(), list.end(), [](const json::value& v) { return v.is_object(); });
}

std::string Join(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

void Add(std::vector<FieldChange>& out, const std::string& path, const json::value* before,
         const json::value* after) {
  FieldChange change{path, std::nullopt, std::nullopt, IsSecretField(path)};
  if (!change.secret) {
    if (before != nullptr) change.from = *before;
    if (after != nullptr) change.to = *after;
  }
  out.push_back(std::move(change));
}

void Diff(const std::string& path, const json::value* before, const json::value* after,
          std::vector<FieldChange>& out) {
  if (before != nullptr && after != nullptr && *before == *after) return;
  if (before != nullptr && after != nullptr && before->is_object() && after->is_object()) {
    const json::object& old_fields = before->as_object();
    const json::object& new_fields = after->as_object();
    for (const auto& field : new_fields) {
      Diff(Join(path, field.key()), old_fields.if_contains(field.key()), &field.value(), out);
    }
    for (const auto& field : old_fields) {
      if (!new_fields.contains(field.key())) {
        Diff(Join(path, field.key()), &field.value(), nullptr, out);
      }
    }
    return;
  }
  if (before != nullptr && after != nullptr && before->is_array() && after->is_array() &&
      before->as_array().size() == after->as_array().size() && AllObjects(before->as_array()) &&
      AllObjects(after->as_array())) {
    for (size_t i = 0; i < after->as_array().size(); ++i) {
      Diff(fmt::format("{}[{}]", path, i), &before->as_array()[i], &after->as_array()[i], out);
    }
    return;
  }
  Add(out, path, before, after);
}

}  // namespace

bool IsSecretField(std::string_view path) {
  const size_t dot = path.find_last_of('.');
  std::string last =
      text::ToLowerAscii(dot == std::string_view::npos ? path : path.substr(dot + 1));
  if (const size_t bracket = last.find('['); bracket != std::string::npos) last.resize(bracket);
  static constexpr std::array<std::string_view, 7> kSecretWords = {
      "presharedkey", "productkey", "password", "secret", "token", "apikey", "privatekey"};
  return std::any_of(kSecretWords.begin(), kSecretWords.end(),
                     [&](std::string_view word) { return last.ends_with(word); });
}

std::vector<FieldChange> DiffFields(const json::value& before, const json::value& after) {
  std::vector<FieldChange> out;
  Diff("", &before, &after, out);
  return out;
}

}  // namespace groundcrew::service

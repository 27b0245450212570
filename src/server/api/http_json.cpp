#include "server/api/http_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "common/text.hpp"
#include "wire/json_limits.hpp"

namespace groundcrew::api {

Result<boost::json::value> ParseJsonBody(const server::Request& request) {
  if (request.body.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "body: expected a JSON document, got nothing",
                     "body");
  }
  return wire::ParseJson(request.body, "body");
}

Result<std::map<std::string, std::string, std::less<>>> StringMembers(
    const server::Request& request, std::initializer_list<std::string_view> required,
    std::initializer_list<std::string_view> optional) {
  Result<boost::json::value> body = ParseJsonBody(request);
  if (!body) return body.error();
  const boost::json::object* object = body->if_object();
  if (object == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, "body: expected a JSON object", "body");
  }
  auto listed = [](std::initializer_list<std::string_view> names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  std::map<std::string, std::string, std::less<>> members;
  for (const auto& member : *object) {
    const std::string name(member.key());
    if (!listed(required, name) && !listed(optional, name)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("{}: not a member of this request", name), name);
    }
    if (!member.value().is_string()) {
      return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: must be a string", name),
                       name);
    }
    members.emplace(name, std::string(member.value().as_string()));
  }
  for (std::string_view name : required) {
    if (!members.contains(name)) {
      return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: required", name),
                       std::string(name));
    }
  }
  return members;
}

Result<store::PageRequest> PageFrom(const server::Request& request) {
  store::PageRequest page;
  if (auto it = request.query.find("after"); it != request.query.end()) page.after = it->second;
  if (auto it = request.query.find("limit"); it != request.query.end()) {
    const std::string& text = it->second;
    int limit = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || end != text.data() + text.size() || limit < 1 ||
        limit > store::kMaxPageSize) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("limit: must be a whole number from 1 to {}, not \"{}\"",
                                   store::kMaxPageSize, text),
                       "limit");
    }
    page.limit = limit;
  }
  return page;
}

Result<std::optional<int64_t>> IfMatch(const server::Request& request) {
  const std::string* header = request.headers.Find("If-Match");
  if (header == nullptr) return std::optional<int64_t>();
  std::string_view text = *header;
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  int64_t version = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (ec != std::errc() || end != text.data() + text.size() || version < 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "If-Match: must be the resource's version, a whole number such as 3",
                     "If-Match");
  }
  return std::optional<int64_t>(version);
}

Result<std::string> ChoiceParameter(const server::Request& request, const char* name,
                                    const std::vector<std::string>& allowed) {
  auto it = request.query.find(name);
  if (it == request.query.end()) return std::string();
  if (std::find(allowed.begin(), allowed.end(), it->second) != allowed.end()) return it->second;
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("{}: unknown value \"{}\" (one of {})", name, it->second,
                               fmt::join(allowed, ", ")),
                   name);
}

Result<bool> BoolParameter(const server::Request& request, const char* name) {
  auto it = request.query.find(name);
  if (it == request.query.end() || it->second == "false") return false;
  if (it->second == "true" || it->second.empty()) return true;
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("{}: must be true or false, not \"{}\"", name, it->second), name);
}

server::Response Json(int status, const boost::json::value& body) {
  // Strings are refused unless valid UTF-8 where they come in; this is the backstop that keeps
  // every answer valid JSON whatever a stored value holds.
  std::string text = boost::json::serialize(body);
  if (!text::IsValidUtf8(text)) text = text::ToValidUtf8(text);
  return server::JsonResponse(status, std::move(text));
}

server::Response JsonPage(const std::vector<boost::json::object>& items,
                          const std::string& next_after) {
  boost::json::array value;
  value.reserve(items.size());
  for (const boost::json::object& item : items) value.push_back(item);
  boost::json::object page{{"value", std::move(value)}};
  if (!next_after.empty()) page["nextAfter"] = next_after;
  return Json(200, page);
}

}  // namespace groundcrew::api

#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "server/http/http_types.hpp"
#include "server/store/types.hpp"

// Small pieces every handler shares: bodies, paging, versions, JSON answers.
namespace groundcrew::api {

/// The request body as JSON (wire::ParseJson: at most wire::kMaxJsonDepth deep, valid UTF-8).
/// kInvalidArgument (field "body") for an empty or malformed body, naming the offset of the
/// problem.
[[nodiscard]] Result<boost::json::value> ParseJsonBody(const server::Request& request);

/// The request body as a JSON object whose members are strings: every name in `required`
/// must be present, names in `optional` may be, nothing else may. kInvalidArgument naming the
/// member that is missing, unexpected or not a string (or "body" when it is not an object).
[[nodiscard]] Result<std::map<std::string, std::string, std::less<>>> StringMembers(
    const server::Request& request, std::initializer_list<std::string_view> required,
    std::initializer_list<std::string_view> optional = {});

/// `?limit=` (1..1000, default 100) and `?after=`. kInvalidArgument naming "limit".
[[nodiscard]] Result<store::PageRequest> PageFrom(const server::Request& request);

/// `If-Match: 3` or `If-Match: "3"`; nullopt when absent. kInvalidArgument when malformed.
[[nodiscard]] Result<std::optional<int64_t>> IfMatch(const server::Request& request);

/// `?name=` as one of `allowed` ("" when absent); kInvalidArgument naming it and the choices.
[[nodiscard]] Result<std::string> ChoiceParameter(const server::Request& request, const char* name,
                                                  const std::vector<std::string>& allowed);

/// `?name=true|false` (absent = false). kInvalidArgument otherwise.
[[nodiscard]] Result<bool> BoolParameter(const server::Request& request, const char* name);

/// `body` serialized; always valid UTF-8 (any byte that is not becomes U+FFFD).
server::Response Json(int status, const boost::json::value& body);

/// {"value": [...], "nextAfter": "..."} (nextAfter only when another page follows).
server::Response JsonPage(const std::vector<boost::json::object>& items,
                          const std::string& next_after);

}  // namespace groundcrew::api

#include "cli/api.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cctype>
#include <set>

#include "identity/random.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

constexpr size_t kPageLimit = 1000;

std::string CodeForStatus(int status) {
  switch (status) {
    case 400:
      return "invalid_argument";
    case 401:
      return "unauthenticated";
    case 403:
      return "permission_denied";
    case 404:
      return "not_found";
    case 409:
      return "aborted";
    case 412:
      return "failed_precondition";
    case 413:
      return "resource_exhausted";
    case 503:
      return "unavailable";
    default:
      return "internal";
  }
}

std::string StringOr(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

}  // namespace

ApiError ToApiError(const Error& error) {
  return ApiError{ToString(error.code), error.message, error.field, 0};
}

ApiError ErrorFromAnswer(const HttpResponse& response) {
  boost::system::error_code ec;
  json::value body = json::parse(response.body, ec);
  if (!ec && body.is_object()) {
    if (const json::value* error = body.as_object().if_contains("error");
        error && error->is_object()) {
      const json::object& e = error->as_object();
      ApiError result{StringOr(e, "code"), StringOr(e, "message"), StringOr(e, "field"),
                      response.status};
      if (result.code.empty()) result.code = CodeForStatus(response.status);
      if (result.message.empty()) result.message = fmt::format("HTTP {}", response.status);
      if (const json::value* details = e.if_contains("details"); details && details->is_array()) {
        for (const json::value& detail : details->as_array()) {
          const json::object* item = detail.if_object();
          if (item == nullptr) continue;
          result.details.push_back(MakeError(ErrorCode::kInvalidArgument,
                                             StringOr(*item, "message"), StringOr(*item, "field")));
        }
      }
      return result;
    }
  }
  std::string excerpt = response.body.substr(0, 200);
  for (char& c : excerpt) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return ApiError{CodeForStatus(response.status),
                  excerpt.empty() ? fmt::format("HTTP {}", response.status)
                                  : fmt::format("HTTP {}: {}", response.status, excerpt),
                  "", response.status};
}

std::string UrlEscape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

ApiResult<json::value> Api::Send(const HttpRequest& request) {
  auto response = transport_(request);
  if (!response) return response.error();
  if (response->status < 200 || response->status >= 300) return ErrorFromAnswer(*response);
  if (response->body.empty() || request.method == "HEAD") return json::value(nullptr);
  boost::system::error_code ec;
  json::value body = json::parse(response->body, ec);
  if (ec) {
    return ApiError{"internal",
                    fmt::format("the server's answer to {} {} is not JSON: {}", request.method,
                                request.target, ec.message()),
                    "", response->status};
  }
  return body;
}

ApiResult<json::value> Api::SendOnce(HttpRequest request) {
  request.headers.emplace_back("Idempotency-Key", identity::RandomUuid());
  for (int attempt = 1;; ++attempt) {
    ApiResult<json::value> answer = Send(request);
    // http_status 0: no answer came, the write may or may not have happened; the key makes
    // sending it again safe.
    if (answer || answer.error().http_status != 0 || attempt == kWriteAttempts) return answer;
  }
}

ApiResult<HttpResponse> Api::Fetch(std::string target) {
  HttpRequest request;
  request.target = std::move(target);
  auto response = transport_(request);
  if (!response) return response.error();
  if (response->status < 200 || response->status >= 300) return ErrorFromAnswer(*response);
  return std::move(*response);
}

ApiResult<json::value> Api::Call(std::string method, std::string target, HttpHeaders headers) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers = std::move(headers);
  return Send(request);
}

ApiResult<json::value> Api::CallJson(std::string method, std::string target,
                                     const json::value& body, HttpHeaders headers) {
  HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers = std::move(headers);
  request.body = json::serialize(body);
  request.content_type = "application/json";
  return Send(request);
}

ApiResult<json::array> Api::ListAll(const std::string& target) {
  json::array all;
  std::set<std::string> seen;
  const char separator = target.find('?') == std::string::npos ? '?' : '&';
  std::string after;
  while (true) {
    std::string page_target = fmt::format("{}{}limit={}", target, separator, kPageLimit);
    if (!after.empty()) page_target += "&after=" + UrlEscape(after);
    auto page = Call("GET", page_target);
    if (!page) return page.error();
    if (page->is_array()) {
      for (auto& item : page->as_array()) all.push_back(std::move(item));
      return all;
    }
    const json::object* object = page->if_object();
    const json::value* value = object ? object->if_contains("value") : nullptr;
    if (!value || !value->is_array()) {
      return ApiError{"internal",
                      fmt::format("the server's answer to GET {} has no \"value\" list", target),
                      "", 200};
    }
    for (const auto& item : value->as_array()) all.push_back(item);
    const json::value* next = object->if_contains("nextAfter");
    if (!next || next->is_null()) return all;
    if (next->is_string()) {
      after = std::string(next->as_string());
    } else if (next->is_int64() || next->is_uint64()) {
      after = json::serialize(*next);
    } else {
      return ApiError{"internal", "nextAfter is neither a string nor an integer", "nextAfter", 200};
    }
    if (after.empty()) return all;
    if (!seen.insert(after).second) {
      return ApiError{"internal", fmt::format("paging repeats nextAfter \"{}\"", after),
                      "nextAfter", 200};
    }
  }
}

}  // namespace groundcrew::cli

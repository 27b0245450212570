#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "http_client/http_client.hpp"

// The admin API (docs/admin-api.md) as JSON calls: errors of every origin (local, transport,
// the server's {"error": {...}} answers) become one ApiError the commands report alike.
namespace groundcrew::cli {

// The HTTP client the commands use (src/http_client/, shared with the device agent).
using http::BaseUrl;
using http::HttpClient;
using http::HttpClientOptions;
using http::HttpHeaders;
using http::HttpRequest;
using http::HttpResponse;
using http::ParseBaseUrl;
using http::ProgressFn;
using http::Transport;

/// A failed call. `code` is the API's spelling ("invalid_argument", "unauthenticated", ...);
/// `http_status` is 0 when no answer was received.
struct ApiError {
  std::string code;
  std::string message;
  std::string field;
  int http_status = 0;
  /// The answer's "details": each problem when the error stands for several (an apply
  /// document's). Each message starts with its field, as the server writes them.
  std::vector<Error> details = {};
};

/// A local Error in the API's shape.
ApiError ToApiError(const Error& error);

/// Either a T or an ApiError. REQUIRES: value access only on success, error() only on failure.
template <class T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  ApiResult(ApiError error)                                                 // NOLINT: implicit
      : state_(std::in_place_index<1>, std::move(error)) {}
  ApiResult(const Error& error) : ApiResult(ToApiError(error)) {}  // NOLINT: implicit

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return std::get<0>(state_); }
  const T& operator*() const { return std::get<0>(state_); }
  T* operator->() { return &std::get<0>(state_); }
  const T* operator->() const { return &std::get<0>(state_); }
  const ApiError& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, ApiError> state_;
};

/// The error a non-2xx answer stands for: the body's {"error": {code, message, field, details}}
/// when it has one, else a code derived from the status and "HTTP <status>" with the start of the
/// body.
ApiError ErrorFromAnswer(const HttpResponse& response);

/// Percent-encodes everything but RFC 3986 unreserved characters (for path segments and query
/// values).
std::string UrlEscape(std::string_view text);

/// Calls to one server over a Transport.
class Api {
 public:
  explicit Api(Transport transport) : transport_(std::move(transport)) {}

  /// Sends `request`. 2xx: the body parsed as JSON (null when empty, e.g. 204); a body that is
  /// not JSON is an "internal" error. Other statuses: ErrorFromAnswer. Transport failures are
  /// "unavailable" (or whatever the transport said).
  ApiResult<boost::json::value> Send(const HttpRequest& request);

  /// GET `target` for bytes that are not JSON (e.g. an archive): the whole 2xx answer, else
  /// ErrorFromAnswer or the transport's error.
  ApiResult<HttpResponse> Fetch(std::string target);

  /// Sends a write that must happen once (an import, an apply, a create): with a fresh
  /// `Idempotency-Key` (a random UUID; docs/admin-api.md "Idempotent requests"), sent again
  /// with the same key up to kWriteAttempts times in all while no answer arrives (the connection
  /// failed or dropped), so that a write whose answer was lost is answered, not repeated.
  /// Otherwise as Send.
  ApiResult<boost::json::value> SendOnce(HttpRequest request);
  static constexpr int kWriteAttempts = 3;

  /// GET/DELETE/... without a body.
  ApiResult<boost::json::value> Call(std::string method, std::string target,
                                     HttpHeaders headers = {});

  /// A request with a JSON body (application/json).
  ApiResult<boost::json::value> CallJson(std::string method, std::string target,
                                         const boost::json::value& body, HttpHeaders headers = {});

  /// Lists a paged collection completely: GET target?limit=1000, then &after=<nextAfter> until
  /// an answer has no nextAfter (a string or a number). Also accepts an answer that is a bare
  /// array or a {"value": [...]} without paging. A repeated nextAfter is an "internal" error.
  ApiResult<boost::json::array> ListAll(const std::string& target);

 private:
  Transport transport_;
};

}  // namespace groundcrew::cli

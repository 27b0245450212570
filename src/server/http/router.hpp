#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "server/http/http_types.hpp"

namespace groundcrew::server {

/// Path parameters by name, percent-decoded: "/v1/devices/{id}" on "/v1/devices/a%20b" gives
/// {id: "a b"}.
using PathParams = std::map<std::string, std::string, std::less<>>;

/// A request handler. Runs on a server worker thread; may be called concurrently from several
/// threads, so it must be thread-safe. Errors are values (see error_mapping.hpp); an exception
/// that escapes becomes a 500 with a generic body.
using Handler = std::function<Response(const Request&, const PathParams&)>;

/// A route's admission check for requests that carry a body, run on the request head before
/// any body byte is read: the Request it sees has an empty body (Content-Length and
/// Transfer-Encoding are in its headers). nullopt admits the request (then the body is read and
/// the handler runs); a Response refuses it: that response is sent, the body is never read and
/// the connection is closed. A gate may leave what it learned (e.g. the authenticated caller) in
/// Request::admission for the handler. A request without a body goes straight to the handler
/// (there is nothing to protect), so a handler checks whatever it needs itself when
/// Request::admission is empty. Same threading rules as a Handler.
using Gate = std::function<std::optional<Response>(Request&, const PathParams&)>;

/// How large a request body a route accepts.
enum class BodyLimit {
  kSmall,  ///< HttpServerOptions::max_small_body_bytes (1 MiB by default): JSON requests
  kLarge,  ///< HttpServerOptions::max_body_bytes: uploads, imports, apply documents
};

struct RouteOptions {
  BodyLimit body_limit = BodyLimit::kSmall;
  Gate gate;  ///< empty: admit every request (the handler decides)
};

/// A handler with its route options, as made by wrappers that authenticate in a gate.
struct Endpoint {
  Handler handler;
  RouteOptions options;
};

/// Maps method + path to a handler. Patterns are absolute paths whose segments are literals or
/// parameters `{name}` that match one non-empty segment: "/v1/devices/{id}/events".
/// Matching is exact (no prefix matching, a trailing slash is significant). When several
/// patterns match a path, the most specific wins: at the first segment where they differ, a
/// literal beats a parameter. Methods are case-sensitive.
/// Not thread-safe to modify; safe to Find() concurrently once built.
class Router {
 public:
  /// Registers `handler` for `method` on `pattern`.
  /// Errors: kInvalidArgument for a malformed pattern (not starting with '/', a segment that
  /// mixes literal text and braces, an empty or repeated parameter name) or an empty method
  /// or handler; kAlreadyExists when the method is already registered on the same pattern
  /// (parameter names do not matter: "/a/{x}" and "/a/{y}" are the same pattern).
  Status Add(std::string_view method, std::string_view pattern, Handler handler,
             RouteOptions options = {});
  /// Add(method, pattern, endpoint.handler, endpoint.options).
  Status Add(std::string_view method, std::string_view pattern, Endpoint endpoint);

  enum class Outcome {
    kFound,             ///< `handler` and `params` are set
    kNotFound,          ///< no pattern matches the path (HTTP 404)
    kMethodNotAllowed,  ///< patterns match but none has the method; `allow` lists them (405)
  };

  struct Match {
    Outcome outcome = Outcome::kNotFound;
    const Handler* handler = nullptr;       ///< owned by the router; kFound only
    const RouteOptions* options = nullptr;  ///< owned by the router; kFound only
    PathParams params;                      ///< kFound only
    std::string pattern;  ///< the matched pattern as registered (kFound, kMethodNotAllowed)
    std::string allow;    ///< "GET, POST": sorted methods of matching patterns (405 only)
  };

  /// Finds the handler for `method` on `path` (undecoded, without the query).
  Match Find(std::string_view method, std::string_view path) const;

 private:
  struct Segment {
    bool is_param = false;
    std::string text;  ///< literal text (decoded) or parameter name
  };
  struct Route {
    std::string pattern;
    std::vector<Segment> segments;
    std::map<std::string, Endpoint, std::less<>> handlers;  ///< by method
  };

  std::vector<Route> routes_;
};

}  // namespace groundcrew::server

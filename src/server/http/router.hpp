#pragma once

#include <functional>
#include <map>
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
  Status Add(std::string_view method, std::string_view pattern, Handler handler);

  enum class Outcome {
    kFound,             ///< `handler` and `params` are set
    kNotFound,          ///< no pattern matches the path (HTTP 404)
    kMethodNotAllowed,  ///< patterns match but none has the method; `allow` lists them (405)
  };

  struct Match {
    Outcome outcome = Outcome::kNotFound;
    const Handler* handler = nullptr;  ///< owned by the router; kFound only
    PathParams params;                 ///< kFound only
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
    std::map<std::string, Handler, std::less<>> handlers;  ///< by method
  };

  std::vector<Route> routes_;
};

}  // namespace groundcrew::server

#include "server/http/router.hpp"

#include <set>
#include <utility>

namespace groundcrew::server {
namespace {

/// Splits "/a/b/" into {"a", "b", ""}; "/" into {""}. REQUIRES: path starts with '/'.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);
  while (true) {
    const std::size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

/// Whether `candidate` is more specific than `best`: at the first differing segment kind,
/// a literal beats a parameter. REQUIRES: same segment count.
template <class Segments>
bool MoreSpecific(const Segments& candidate, const Segments& best) {
  for (std::size_t i = 0; i < candidate.size(); ++i) {
    if (candidate[i].is_param != best[i].is_param) return !candidate[i].is_param;
  }
  return false;
}

}  // namespace

Status Router::Add(std::string_view method, std::string_view pattern, Endpoint endpoint) {
  return Add(method, pattern, std::move(endpoint.handler), std::move(endpoint.options));
}

Status Router::Add(std::string_view method, std::string_view pattern, Handler handler,
                   RouteOptions options) {
  if (method.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty method", "method");
  if (!handler) return MakeError(ErrorCode::kInvalidArgument, "empty handler", "handler");
  if (pattern.empty() || pattern.front() != '/') {
    return MakeError(ErrorCode::kInvalidArgument, "a pattern must start with '/'", "pattern");
  }
  std::vector<Segment> segments;
  std::set<std::string, std::less<>> names;
  for (std::string_view text : SplitPath(pattern)) {
    const bool opens = text.find('{') != std::string_view::npos;
    const bool closes = text.find('}') != std::string_view::npos;
    if (!opens && !closes) {
      segments.push_back(Segment{false, PercentDecode(text, false)});
      continue;
    }
    if (text.size() < 3 || text.front() != '{' || text.back() != '}' ||
        text.substr(1, text.size() - 2).find_first_of("{}") != std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "a parameter must be a whole segment of the form {name}", "pattern");
    }
    std::string name(text.substr(1, text.size() - 2));
    if (!names.insert(name).second) {
      return MakeError(ErrorCode::kInvalidArgument, "parameter {" + name + "} appears twice",
                       "pattern");
    }
    segments.push_back(Segment{true, std::move(name)});
  }

  auto same_shape = [&segments](const Route& route) {
    if (route.segments.size() != segments.size()) return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const Segment& a = route.segments[i];
      const Segment& b = segments[i];
      if (a.is_param != b.is_param || (!a.is_param && a.text != b.text)) return false;
    }
    return true;
  };
  for (Route& route : routes_) {
    if (!same_shape(route)) continue;
    if (route.handlers.contains(method)) {
      return MakeError(ErrorCode::kAlreadyExists,
                       std::string(method) + " " + std::string(pattern) + " is already routed",
                       "pattern");
    }
    if (route.pattern != pattern) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "pattern " + std::string(pattern) +
                           " names its parameters differently from " + route.pattern,
                       "pattern");
    }
    route.handlers.emplace(std::string(method), Endpoint{std::move(handler), std::move(options)});
    return Ok{};
  }
  Route route;
  route.pattern = std::string(pattern);
  route.segments = std::move(segments);
  route.handlers.emplace(std::string(method), Endpoint{std::move(handler), std::move(options)});
  routes_.push_back(std::move(route));
  return Ok{};
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match match;
  if (path.empty() || path.front() != '/') return match;
  const std::vector<std::string_view> raw = SplitPath(path);
  std::vector<std::string> decoded;
  decoded.reserve(raw.size());
  for (std::string_view segment : raw) decoded.push_back(PercentDecode(segment, false));

  auto matches = [&decoded](const Route& route) {
    if (route.segments.size() != decoded.size()) return false;
    for (std::size_t i = 0; i < decoded.size(); ++i) {
      const Segment& segment = route.segments[i];
      if (segment.is_param ? decoded[i].empty() : segment.text != decoded[i]) return false;
    }
    return true;
  };

  const Route* best = nullptr;       // most specific matching route that has the method
  const Route* any_best = nullptr;   // most specific matching route regardless of method
  std::set<std::string_view> allow;  // methods of every matching route
  for (const Route& route : routes_) {
    if (!matches(route)) continue;
    for (const auto& [name, handler] : route.handlers) allow.insert(name);
    if (any_best == nullptr || MoreSpecific(route.segments, any_best->segments)) {
      any_best = &route;
    }
    auto it = route.handlers.find(method);
    if (it != route.handlers.end() &&
        (best == nullptr || MoreSpecific(route.segments, best->segments))) {
      best = &route;
    }
  }
  if (best == nullptr) {
    if (any_best == nullptr) return match;
    match.outcome = Outcome::kMethodNotAllowed;
    match.pattern = any_best->pattern;
    for (std::string_view name : allow) {
      if (!match.allow.empty()) match.allow += ", ";
      match.allow += name;
    }
    return match;
  }
  match.outcome = Outcome::kFound;
  const Endpoint& endpoint = best->handlers.find(method)->second;
  match.handler = &endpoint.handler;
  match.options = &endpoint.options;
  match.pattern = best->pattern;
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    if (best->segments[i].is_param) match.params.emplace(best->segments[i].text, decoded[i]);
  }
  return match;
}

}  // namespace groundcrew::server

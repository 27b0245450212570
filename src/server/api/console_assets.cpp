#include "server/api/console_assets.hpp"

#include <optional>
#include <string>
#include <utility>

#include "server/http/error_mapping.hpp"

namespace groundcrew::api {
namespace {

// Paths the console never answers for: the API's own namespaces (an unknown API path must stay a
// JSON 404, not a page) and the console's static files.
bool IsReservedPath(std::string_view path) {
  const std::string_view first = path.substr(1, path.find('/', 1) - 1);
  return first == "v1" || first.starts_with("graph") || first.starts_with("oauth2") ||
         first == "healthz" || first == "readyz" || first == "metrics" || first == "assets";
}

server::Response FileResponse(const EmbeddedFile& file, std::string_view cache_control) {
  server::Response response;
  response.content_type = std::string(file.content_type);
  response.body = std::string(file.bytes);
  response.headers.emplace_back("Cache-Control", std::string(cache_control));
  response.headers.emplace_back("Content-Security-Policy",
                                std::string(kConsoleContentSecurityPolicy));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

}  // namespace

Status AddConsoleRoutes(server::Router& router, std::span<const EmbeddedFile> files) {
  const EmbeddedFile* index = nullptr;
  for (const EmbeddedFile& file : files) {
    if (file.path == "/index.html") index = &file;
  }
  if (index == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, "the console's files have no /index.html",
                     "files");
  }
  auto page = [index](const server::Request&, const server::PathParams&) {
    return FileResponse(*index, "no-cache");
  };
  if (auto added = router.Add("GET", "/", page); !added) return added;
  if (auto added = router.Add(
          "GET", "/assets/{name}",
          [files](const server::Request& request, const server::PathParams& params) {
            const std::string path = "/assets/" + params.at("name");
            for (const EmbeddedFile& file : files) {
              if (file.path == path) {
                return FileResponse(file, "max-age=31536000, immutable");
              }
            }
            return server::ErrorResponse(MakeError(
                ErrorCode::kNotFound,
                "no console file " + request.path + " (the console was rebuilt: reload the page)",
                "path"));
          });
      !added) {
    return added;
  }
  // The console's own URLs: a parameter per segment, so any path of up to
  // kConsoleMaxPathSegments segments reaches these routes unless a route registered before
  // matches it better (a literal segment beats a parameter). They take every method the API
  // uses, so that a path the API does not route answers as it would without the console: the API
  // routes registered so far decide (`refusal`, also run as the gate, before any body is read).
  auto refusal = [api = router](const server::Request& request) -> std::optional<server::Response> {
    auto method_not_allowed = [&request](const std::string& pattern, const std::string& allow) {
      server::Response response = server::ErrorResponse(
          405, MakeError(ErrorCode::kInvalidArgument,
                         request.method + " is not allowed on " + pattern + "; allowed: " + allow,
                         "method"));
      response.headers.emplace_back("Allow", allow);
      return response;
    };
    if (!IsReservedPath(request.path)) {
      if (request.method == "GET" || request.method == "HEAD") return std::nullopt;
      return method_not_allowed(request.path + " (a page of the console)", "GET");
    }
    const server::Router::Match match = api.Find(request.method, request.path);
    if (match.outcome == server::Router::Outcome::kMethodNotAllowed) {
      return method_not_allowed(match.pattern, match.allow);
    }
    return server::ErrorResponse(
        MakeError(ErrorCode::kNotFound, "no route for " + request.method + " " + request.path));
  };
  auto fallback = [page, refusal](const server::Request& request,
                                  const server::PathParams& params) {
    std::optional<server::Response> refused = refusal(request);
    return refused ? std::move(*refused) : page(request, params);
  };
  server::RouteOptions options;
  options.gate = [refusal](server::Request& request, const server::PathParams&) {
    return refusal(request);
  };
  std::string pattern;
  for (int segment = 1; segment <= kConsoleMaxPathSegments; ++segment) {
    pattern += "/{s" + std::to_string(segment) + "}";
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
      if (auto added = router.Add(method, pattern, fallback, options); !added) return added;
    }
  }
  return Ok{};
}

}  // namespace groundcrew::api

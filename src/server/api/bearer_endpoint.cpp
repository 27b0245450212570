#include "server/api/bearer_endpoint.hpp"

#include <fmt/format.h>

#include "server/http/error_mapping.hpp"

namespace groundcrew::api {

server::Response Unauthenticated(const Error& error, std::string_view realm) {
  server::Response response = server::ErrorResponse(error);
  if (error.code != ErrorCode::kUnauthenticated) return response;
  response.headers.emplace_back("WWW-Authenticate", fmt::format("Bearer realm=\"{}\"", realm));
  return response;
}

}  // namespace groundcrew::api

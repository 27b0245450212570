#pragma once

#include <any>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"
#include "server/api/http_json.hpp"
#include "server/http/router.hpp"

// Routes for callers who present a bearer credential: admins (admin_api.cpp) and devices
// (device_api.cpp) alike.
namespace groundcrew::api {

/// The response for `error`; a 401 (kUnauthenticated) has WWW-Authenticate naming `realm` as
/// RFC 9110 asks.
server::Response Unauthenticated(const Error& error, std::string_view realm);

/// A route for a Caller. `authenticate(request)` admits one or fails (401 in `realm` for
/// kUnauthenticated; another error, e.g. a 403, as it is); it runs once: in the route's gate
/// when the request carries a body (on its head, so that an unadmitted caller's body is never
/// read; the Caller is passed on in Request::admission), else in the handler. Then `handler`
/// runs, and its response names the caller as `actor_of` says (never the credential).
/// `body_limit` is kLarge only for uploads.
template <class Caller>
server::Endpoint AuthenticatedEndpoint(
    std::function<Result<Caller>(const server::Request& request)> authenticate,
    std::string (*actor_of)(const Caller&), std::string_view realm,
    std::function<server::Response(const Caller&, const server::Request&,
                                   const server::PathParams&)>
        handler,
    server::BodyLimit body_limit) {
  server::Endpoint endpoint;
  endpoint.options.body_limit = body_limit;
  endpoint.options.gate = [authenticate, realm = std::string(realm)](
                              server::Request& request,
                              const server::PathParams&) -> std::optional<server::Response> {
    Result<Caller> caller = authenticate(request);
    if (!caller) return Unauthenticated(caller.error(), realm);
    request.admission = std::move(*caller);
    return std::nullopt;
  };
  endpoint.handler = [authenticate, actor_of, realm = std::string(realm),
                      handler = std::move(handler)](const server::Request& request,
                                                    const server::PathParams& params) {
    const Caller* admitted = std::any_cast<Caller>(&request.admission);
    Result<Caller> caller = admitted != nullptr ? Result<Caller>(*admitted) : authenticate(request);
    if (!caller) return Unauthenticated(caller.error(), realm);
    server::Response response = handler(*caller, request, params);
    response.actor = actor_of(*caller);
    return response;
  };
  return endpoint;
}

/// AuthenticatedEndpoint for callers who present a bearer credential:
/// `authenticate(authorization header)`.
template <class Caller>
server::Endpoint BearerEndpoint(
    std::function<Result<Caller>(const std::string& authorization)> authenticate,
    std::string (*actor_of)(const Caller&), std::string_view realm,
    std::function<server::Response(const Caller&, const server::Request&,
                                   const server::PathParams&)>
        handler,
    server::BodyLimit body_limit) {
  return AuthenticatedEndpoint<Caller>(
      [authenticate = std::move(authenticate)](const server::Request& request) {
        return authenticate(request.headers.Get("Authorization"));
      },
      actor_of, realm, std::move(handler), body_limit);
}

}  // namespace groundcrew::api

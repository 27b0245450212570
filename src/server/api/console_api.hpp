#pragma once

#include <functional>

#include "common/result.hpp"
#include "server/http/router.hpp"
#include "server/service/services.hpp"

namespace groundcrew::api {

/// A handler of an authenticated admin route.
using ActorHandler = std::function<server::Response(const service::Actor&, const server::Request&,
                                                    const server::PathParams&)>;
/// Wraps a handler in the admin API's authentication (admin_api.cpp decides what it is).
using Authenticate = std::function<server::Endpoint(ActorHandler, server::BodyLimit)>;

/// Registers the console's endpoints of docs/admin-api.md ("The console's endpoints"): GET
/// /v1/autopilotDevices (search, filters, orders, keyset pages), GET /v1/dashboard and POST
/// /v1/groups/validateRule, each behind `authenticate`. `services` must outlive the router.
[[nodiscard]] Status AddConsoleRoutes(server::Router& router, service::Services& services,
                                      const Authenticate& authenticate);

}  // namespace groundcrew::api

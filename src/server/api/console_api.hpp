#pragma once

#include "common/result.hpp"
#include "server/http/router.hpp"
#include "server/service/services.hpp"

namespace groundcrew::api {

/// Registers the endpoints the console reads (docs/admin-api.md, "The console's endpoints"): GET
/// /v1/autopilotDevices (search, filters, orders, keyset pages), GET /v1/dashboard and POST
/// /v1/groups/validateRule, each an admin route (admin_access.hpp). `services` must outlive the
/// router.
[[nodiscard]] Status AddFleetViewRoutes(server::Router& router, service::Services& services);

}  // namespace groundcrew::api

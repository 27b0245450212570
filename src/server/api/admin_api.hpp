#pragma once

#include "common/result.hpp"
#include "server/http/router.hpp"
#include "server/service/services.hpp"

namespace groundcrew::api {

/// Registers the admin API of docs/admin-api.md on `router`. Every route authenticates the
/// caller (401 without a valid admin credential) and leaves authorization to the service
/// (403 for a reader that tries to change something). `services` must outlive the router.
[[nodiscard]] Status AddAdminRoutes(server::Router& router, service::Services& services);

}  // namespace groundcrew::api

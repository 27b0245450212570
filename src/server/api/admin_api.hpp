#pragma once

#include "common/result.hpp"
#include "server/http/router.hpp"
#include "server/service/services.hpp"

namespace groundcrew::api {

struct AdminApiOptions {
  /// Console session cookies carry Secure: groundcrewd serves TLS.
  bool secure_cookies = false;
};

/// Registers the admin API of docs/admin-api.md on `router`, with the console's sessions
/// (session_api.hpp). Every route authenticates the caller (401 without a valid admin
/// credential or console session) and authorizes it by route (admin_access.hpp: 403 for a role
/// that may not call it); the services check again. `services` must outlive the router.
[[nodiscard]] Status AddAdminRoutes(server::Router& router, service::Services& services,
                                    AdminApiOptions options = {});

}  // namespace groundcrew::api

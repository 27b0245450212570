#pragma once

#include "common/result.hpp"
#include "server/http/router.hpp"
#include "server/service/services.hpp"

// Admins as people over HTTP (docs/admin-api.md, "Admins and console sessions"): signing in to
// the console (POST/GET/DELETE /v1/session, a cookie) and managing admin accounts
// (/v1/admins...).
namespace groundcrew::api {

/// Registers POST, GET and DELETE /v1/session. The session's cookie (admin_access.hpp's
/// kSessionCookie) is HttpOnly, SameSite=Strict, Path=/, and Secure when `secure_cookie` (when
/// groundcrewd serves TLS). `services` must outlive the router.
[[nodiscard]] Status AddConsoleSessionRoutes(server::Router& router, service::Services& services,
                                             bool secure_cookie);

/// Registers GET and POST /v1/admins, DELETE /v1/admins/{name}, POST /v1/admins/{name}/mfa and
/// POST /v1/admins/{name}/unlock (admin routes: admin_access.hpp; role admin only).
[[nodiscard]] Status AddAdminAccountRoutes(server::Router& router, service::Services& services);

}  // namespace groundcrew::api

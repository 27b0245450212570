#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "server/http/router.hpp"
#include "server/service/services.hpp"

// Who may call which admin route (docs/security.md, "Roles"), and how an admin-API caller is
// authenticated: a bearer credential ("Authorization: Bearer gcadm_..."), else the console's
// session cookie (plus X-CSRF-Token for changes). With both, the bearer wins.
namespace groundcrew::api {

/// The console session's cookie.
inline constexpr std::string_view kSessionCookie = "gc_session";

/// Whether `role` may call `method` on the admin route `route` (its pattern as registered, e.g.
/// "/v1/autopilotDevices/{id}/reprovision"; parameter names do not matter). From one table:
/// admin calls everything; reader every GET (and HEAD) but the admin-only ones (admin
/// accounts); technician only the routes of field work (devices, deployment sessions and
/// events, plans, reports, the dashboard, diagnostics, reprovision, who am I).
bool MayCall(store::CredentialRole role, std::string_view method, std::string_view route);

/// kPermissionDenied, saying what the role may do, unless MayCall.
[[nodiscard]] Status Authorize(const service::Actor& actor, std::string_view method,
                               std::string_view route);

/// The value of the cookie `name` in a Cookie header ("a=1; gc_session=xyz"); "" when absent.
std::string CookieValue(std::string_view cookie_header, std::string_view name);

/// The caller of an admin-API request: the bearer credential when there is an Authorization
/// header; else the console session of the cookie (AdminService::Resume), whose changes must
/// carry the session's X-CSRF-Token (AdminService::CheckCsrf). kUnauthenticated without either
/// or for a bad one. Then Authorize for the request's route.
[[nodiscard]] Result<service::Actor> AuthenticateAdmin(service::Services& services,
                                                       const server::Request& request);

using ActorHandler = std::function<server::Response(const service::Actor&, const server::Request&,
                                                    const server::PathParams&)>;

/// An admin route: AuthenticateAdmin (realm "groundcrew"), then `handler`; the response names
/// the caller (credential or admin).
server::Endpoint AdminEndpoint(service::Services& services, ActorHandler handler,
                               server::BodyLimit body_limit = server::BodyLimit::kSmall);

}  // namespace groundcrew::api

#include "server/api/admin_access.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "server/api/bearer_endpoint.hpp"
#include "server/service/auth.hpp"

namespace groundcrew::api {
namespace {

using store::CredentialRole;

constexpr unsigned Bit(CredentialRole role) { return 1u << static_cast<unsigned>(role); }
constexpr unsigned kAdminOnly = Bit(CredentialRole::kAdmin);
constexpr unsigned kEveryRole =
    Bit(CredentialRole::kAdmin) | Bit(CredentialRole::kReader) | Bit(CredentialRole::kTechnician);
constexpr unsigned kFieldWork = Bit(CredentialRole::kAdmin) | Bit(CredentialRole::kTechnician);

struct RouteRule {
  std::string_view method;
  std::string_view route;  ///< parameters written "{}"
  unsigned roles;          ///< Bit()s of the roles that may call it
};

// The routes whose callers differ from the default. The default: admin calls everything, reader
// every GET and HEAD, technician nothing.
constexpr std::array kRules = {
    RouteRule{"GET", "/v1/me", kEveryRole},
    // A technician's field work: devices, their deployments, plans and reports; reprovision.
    RouteRule{"GET", "/v1/autopilotDevices", kEveryRole},
    RouteRule{"GET", "/v1/autopilotDevices/{}", kEveryRole},
    RouteRule{"GET", "/v1/autopilotDevices/{}/diagnostics", kEveryRole},
    RouteRule{"GET", "/v1/autopilotDevices/{}/diagnostics/{}", kEveryRole},
    RouteRule{"POST", "/v1/autopilotDevices/{}/reprovision", kFieldWork},
    RouteRule{"GET", "/v1/deploymentSessions", kEveryRole},
    RouteRule{"GET", "/v1/deploymentSessions/{}", kEveryRole},
    RouteRule{"GET", "/v1/deploymentSessions/{}/events", kEveryRole},
    RouteRule{"GET", "/v1/deploymentEvents", kEveryRole},
    RouteRule{"GET", "/v1/deploymentEvents/stream", kEveryRole},
    RouteRule{"GET", "/v1/plan", kEveryRole},
    RouteRule{"GET", "/v1/reports/{}", kEveryRole},
    RouteRule{"GET", "/v1/dashboard", kEveryRole},
    // A POST that only reads: testing a rule changes nothing (a technician has no groups).
    RouteRule{"POST", "/v1/groups/validateRule",
              Bit(CredentialRole::kAdmin) | Bit(CredentialRole::kReader)},
    // Admin accounts are people's secrets' keepers: admins only, reads too.
    RouteRule{"GET", "/v1/admins", kAdminOnly},
};

// "/v1/a/{id}/b" -> "/v1/a/{}/b".
std::string WithoutParameterNames(std::string_view route) {
  std::string out;
  out.reserve(route.size());
  for (size_t i = 0; i < route.size(); ++i) {
    out.push_back(route[i]);
    if (route[i] != '{') continue;
    const size_t close = route.find('}', i);
    if (close == std::string_view::npos) break;
    i = close - 1;
  }
  return out;
}

bool IsRead(std::string_view method) { return method == "GET" || method == "HEAD"; }

}  // namespace

bool MayCall(CredentialRole role, std::string_view method, std::string_view route) {
  if (role == CredentialRole::kAdmin) return true;
  const std::string_view rule_method = method == "HEAD" ? std::string_view("GET") : method;
  const std::string normalized = WithoutParameterNames(route);
  for (const RouteRule& rule : kRules) {
    if (rule.method == rule_method && rule.route == normalized)
      return (rule.roles & Bit(role)) != 0;
  }
  return role == CredentialRole::kReader && IsRead(method);
}

Status Authorize(const service::Actor& actor, std::string_view method, std::string_view route) {
  if (MayCall(actor.role, method, route)) return Ok{};
  // A reader's change: the service's own words.
  if (actor.role == CredentialRole::kReader && !IsRead(method)) return service::RequireAdmin(actor);
  return MakeError(
      ErrorCode::kPermissionDenied,
      fmt::format("\"{}\" (role {}) may not call {} {}: {}", actor.name,
                  store::ToString(actor.role), method, route,
                  actor.role == CredentialRole::kTechnician
                      ? "a technician reads devices, deployment sessions and events, plans and "
                        "reports, and reprovisions devices"
                      : "it needs role admin"));
}

std::string CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t end = std::min(header.find(';'), header.size());
    std::string_view pair = header.substr(0, end);
    header = end == header.size() ? std::string_view() : header.substr(end + 1);
    while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
    const size_t equals = pair.find('=');
    if (equals == std::string_view::npos || pair.substr(0, equals) != name) continue;
    std::string_view value = pair.substr(equals + 1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return "";
}

Result<service::Actor> AuthenticateAdmin(service::Services& services,
                                         const server::Request& request) {
  Result<service::Actor> actor = [&]() -> Result<service::Actor> {
    const std::string authorization = request.headers.Get("Authorization");
    const std::string cookie = CookieValue(request.headers.Get("Cookie"), kSessionCookie);
    if (!authorization.empty() || cookie.empty()) {
      return service::Authenticate(services.store.credentials(), authorization);
    }
    Result<service::ConsoleSessionView> session = services.admins.Resume(cookie);
    if (!session) return session.error();
    if (Status csrf = service::AdminService::CheckCsrf(*session, request.method,
                                                       request.headers.Get("X-CSRF-Token"));
        !csrf) {
      return csrf.error();
    }
    return session->actor();
  }();
  if (!actor) return actor;
  if (Status allowed = Authorize(*actor, request.method, request.route); !allowed) {
    return allowed.error();
  }
  return actor;
}

namespace {
std::string ActorName(const service::Actor& actor) { return actor.name; }
}  // namespace

server::Endpoint AdminEndpoint(service::Services& services, ActorHandler handler,
                               server::BodyLimit body_limit) {
  return AuthenticatedEndpoint<service::Actor>(
      [&services](const server::Request& request) { return AuthenticateAdmin(services, request); },
      ActorName, "groundcrew", std::move(handler), body_limit);
}

}  // namespace groundcrew::api

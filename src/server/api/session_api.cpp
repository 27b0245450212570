#include "server/api/session_api.hpp"

#include <fmt/format.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <vector>

#include "server/api/admin_access.hpp"
#include "server/api/http_json.hpp"
#include "server/api/idempotency.hpp"
#include "server/http/error_mapping.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::api {
namespace {

namespace json = boost::json;
using server::ErrorResponse;
using server::PathParams;
using server::Request;
using server::Response;
using service::Actor;
using service::Services;

json::object SessionJson(const service::ConsoleSessionView& session) {
  return {{"name", session.name},
          {"role", store::ToString(session.role)},
          {"csrfToken", session.csrf_token},
          {"idleExpiresDateTime", wire::FormatTimestamp(session.idle_expires_date_time)},
          {"expiresDateTime", wire::FormatTimestamp(session.expires_date_time)}};
}

// The Set-Cookie value that sets the session's cookie to `value` for `max_age` (0: clears it).
std::string SessionCookie(std::string_view value, std::chrono::seconds max_age, bool secure) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", kSessionCookie,
                     value, max_age.count(), secure ? "; Secure" : "");
}

// A session's answer: never cached (it holds the CSRF token).
Response SessionResponse(int status, const service::ConsoleSessionView& session) {
  Response response = Json(status, SessionJson(session));
  response.headers.emplace_back("Cache-Control", "no-store");
  response.actor = session.name;
  return response;
}

json::object AdminJson(const store::AdminAccount& account) {
  auto time_or_null = [](const std::optional<core::Timestamp>& t) {
    return t ? json::value(wire::FormatTimestamp(*t)) : json::value(nullptr);
  };
  return {{"name", account.name},
          {"role", store::ToString(account.role)},
          {"createdDateTime", wire::FormatTimestamp(account.created_date_time)},
          {"lastSignInDateTime", time_or_null(account.last_sign_in_date_time)},
          {"lockedUntilDateTime", time_or_null(account.locked_until)}};
}

// The answer that shows a TOTP secret, once: never cached.
Response EnrollmentResponse(int status, const Result<service::AdminEnrollment>& enrolled,
                            bool with_role) {
  if (!enrolled) return ErrorResponse(enrolled.error());
  json::object body{{"name", enrolled->name}};
  if (with_role) body["role"] = store::ToString(enrolled->role);
  body["totpSecret"] = enrolled->totp_secret_base32;
  body["otpauthUri"] = enrolled->otpauth_uri;
  Response response = Json(status, body);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

Response NoContent(const Status& status) {
  if (!status) return ErrorResponse(status.error());
  Response response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

Response AddAdminRoute(Services& s, const Actor& actor, const Request& r) {
  auto body = StringMembers(r, {"name", "role", "password"});
  if (!body) return ErrorResponse(body.error());
  std::optional<store::CredentialRole> role = store::ParseCredentialRole(body->at("role"));
  if (!role) {
    return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                   "role: must be \"admin\", \"reader\" or \"technician\"",
                                   "role"));
  }
  return EnrollmentResponse(201, s.admins.Add(actor, body->at("name"), *role, body->at("password")),
                            true);
}

}  // namespace

Status AddConsoleSessionRoutes(server::Router& router, Services& s, bool secure_cookie) {
  if (Status st = router.Add(
          "POST", "/v1/session",
          [&s, secure_cookie](const Request& r, const PathParams&) {
            auto body = StringMembers(r, {"name", "password", "code"});
            if (!body) return ErrorResponse(body.error());
            auto signed_in =
                s.admins.SignIn(body->at("name"), body->at("password"), body->at("code"));
            // A refusal names no one in the access log: a name field may hold a mistyped
            // password.
            if (!signed_in) {
              Response refused = ErrorResponse(signed_in.error());
              if (signed_in.error().code == ErrorCode::kUnavailable) {  // no hash slot: busy
                refused.headers.emplace_back("Retry-After", "1");
              }
              return refused;
            }
            Response response = SessionResponse(200, signed_in->session);
            response.headers.emplace_back(
                "Set-Cookie",
                SessionCookie(signed_in->token, core::kConsoleSessionLifetime, secure_cookie));
            return response;
          });
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "GET", "/v1/session",
          [&s](const Request& r, const PathParams&) {
            const std::string token = CookieValue(r.headers.Get("Cookie"), kSessionCookie);
            if (token.empty()) {
              return ErrorResponse(MakeError(ErrorCode::kUnauthenticated,
                                             "no console session: sign in with POST /v1/session",
                                             "Cookie"));
            }
            auto session = s.admins.Resume(token);
            if (!session) return ErrorResponse(session.error());
            return SessionResponse(200, *session);
          });
      !st) {
    return st;
  }
  return router.Add(
      "DELETE", "/v1/session", [&s, secure_cookie](const Request& r, const PathParams&) {
        const std::string token = CookieValue(r.headers.Get("Cookie"), kSessionCookie);
        std::string actor;
        if (!token.empty()) {
          // A live session ends only with its CSRF token; an unknown or ended
          // one is gone already.
          if (auto session = s.admins.Resume(token)) {
            if (Status csrf = service::AdminService::CheckCsrf(*session, r.method,
                                                               r.headers.Get("X-CSRF-Token"));
                !csrf) {
              return ErrorResponse(csrf.error());
            }
            actor = session->name;
          }
          if (Status ended = s.admins.SignOut(token); !ended) {
            return ErrorResponse(ended.error());
          }
        }
        Response response = NoContent(Ok{});
        response.headers.emplace_back("Set-Cookie",
                                      SessionCookie("", std::chrono::seconds(0), secure_cookie));
        response.actor = actor;
        return response;
      });
}

Status AddAdminAccountRoutes(server::Router& router, Services& s) {
  if (Status st =
          router.Add("GET", "/v1/admins",
                     AdminEndpoint(s,
                                   [&s](const Actor& actor, const Request&, const PathParams&) {
                                     auto listed = s.admins.List(actor);
                                     if (!listed) return ErrorResponse(listed.error());
                                     std::vector<json::object> items;
                                     for (const store::AdminAccount& account : *listed)
                                       items.push_back(AdminJson(account));
                                     return JsonPage(items, "");
                                   }));
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "POST", "/v1/admins",
          AdminEndpoint(s,
                        [&s](const Actor& actor, const Request& r, const PathParams&) {
                          return NotIdempotent(r, [&] { return AddAdminRoute(s, actor, r); });
                        }));
      !st) {
    return st;
  }
  const std::string item = "/v1/admins/{name}";
  if (Status st =
          router.Add("DELETE", item,
                     AdminEndpoint(s,
                                   [&s](const Actor& actor, const Request&, const PathParams& p) {
                                     return NoContent(s.admins.Remove(actor, p.at("name")));
                                   }));
      !st) {
    return st;
  }
  if (Status st =
          router.Add("POST", item + "/mfa",
                     AdminEndpoint(s,
                                   [&s](const Actor& actor, const Request& r, const PathParams& p) {
                                     return NotIdempotent(r, [&] {
                                       return EnrollmentResponse(
                                           200, s.admins.ResetMfa(actor, p.at("name")), false);
                                     });
                                   }));
      !st) {
    return st;
  }
  return router.Add("POST", item + "/unlock",
                    AdminEndpoint(s, [&s](const Actor& actor, const Request&, const PathParams& p) {
                      return NoContent(s.admins.Unlock(actor, p.at("name")));
                    }));
}

}  // namespace groundcrew::api

#include "api/device_api.hpp"

#include <boost/json/object.hpp>

#include "api/content_response.hpp"
#include "api/http_json.hpp"
#include "server/error_mapping.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::api {
namespace {

namespace json = boost::json;
using server::ErrorResponse;
using server::PathParams;
using server::Request;
using server::Response;
using service::DeviceCaller;
using service::Services;

using DeviceHandler =
    std::function<Response(const DeviceCaller&, const Request&, const PathParams&)>;

Response Unauthenticated(const Error& error) {
  Response response = ErrorResponse(error);
  response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"groundcrew-device\"");
  return response;
}

// Authenticates the device token, then runs `handler`.
server::Handler Device(Services& services, DeviceHandler handler) {
  return [&services, handler = std::move(handler)](const Request& request,
                                                    const PathParams& params) {
    Result<DeviceCaller> caller =
        services.trust.Authenticate(request.headers.Get("Authorization"));
    if (!caller) return Unauthenticated(caller.error());
    return handler(*caller, request, params);
  };
}

Response Answer(const Result<json::object>& result) {
  if (!result) return ErrorResponse(result.error());
  return Json(200, *result);
}

// A refused sign-in is 403 with the step (reason and message for the screen); the other
// steps are 200.
Response SignInAnswer(const Result<service::SignInStep>& step) {
  if (!step) {
    if (step.error().code == ErrorCode::kUnauthenticated) return Unauthenticated(step.error());
    return ErrorResponse(step.error());
  }
  return Json(step->refused() ? 403 : 200, step->body);
}

}  // namespace

Status AddDeviceApiRoutes(server::Router& router, Services& s) {
  const std::string device = "/v1/agent/devices/{id}";
  struct Route {
    const char* method;
    std::string path;
    server::Handler handler;
  };
  const Route routes[] = {
      {"POST", "/v1/agent/nonce",
       [&s](const Request& r, const PathParams&) {
         auto body = StringMembers(r, {"serialNumber"});
         if (!body) return ErrorResponse(body.error());
         return Answer(s.trust.NewNonce(body->at("serialNumber")));
       }},
      {"POST", "/v1/agent/token",
       [&s](const Request& r, const PathParams&) {
         auto body = StringMembers(r, {"serialNumber", "nonce", "signature"});
         if (!body) return ErrorResponse(body.error());
         Result<json::object> token = s.trust.Prove(body->at("serialNumber"), body->at("nonce"),
                                                     body->at("signature"));
         if (!token) return Unauthenticated(token.error());
         return Json(200, *token);
       }},
      {"GET", device,
       Device(s, [&s](const DeviceCaller& c, const Request&, const PathParams& p) {
         return Answer(s.trust.Registration(c, p.at("id")));
       })},
      {"GET", device + "/plan",
       Device(s, [&s](const DeviceCaller& c, const Request&, const PathParams& p) {
         return Answer(s.trust.Plan(c, p.at("id")));
       })},
      {"POST", device + "/join",
       Device(s, [&s](const DeviceCaller& c, const Request&, const PathParams& p) {
         return Answer(s.trust.Join(c, p.at("id")));
       })},
      {"POST", device + "/enroll",
       Device(s, [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
         auto body = StringMembers(r, {"csr"});
         if (!body) return ErrorResponse(body.error());
         return Answer(s.trust.Enroll(c, p.at("id"), body->at("csr")));
       })},
      {"POST", device + "/reseal",
       Device(s, [&s](const DeviceCaller& c, const Request&, const PathParams& p) {
         return Answer(s.trust.Reseal(c, p.at("id")));
       })},
      {"POST", device + "/signIn",
       Device(s, [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
         auto body = StringMembers(r, {"userPrincipalName", "password"});
         if (!body) return ErrorResponse(body.error());
         return SignInAnswer(s.sign_in.Begin(c, p.at("id"), body->at("userPrincipalName"),
                                             body->at("password")));
       })},
      {"POST", device + "/signIn/{challengeId}",
       Device(s, [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
         auto body = StringMembers(r, {"code"});
         if (!body) return ErrorResponse(body.error());
         return SignInAnswer(
             s.sign_in.Complete(c, p.at("id"), p.at("challengeId"), body->at("code")));
       })},
      {"GET", device + "/content/{sha256}",
       Device(s, [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
         if (Status allowed = s.trust.MayReadContent(c, p.at("id"), p.at("sha256")); !allowed) {
           return ErrorResponse(allowed.error());
         }
         return ContentResponse(s.content, r, p.at("sha256"));
       })},
      {"GET", "/v1/agent/me",
       [&s](const Request& r, const PathParams&) {
         Result<identity::Claims> claims =
             s.tokens.Authenticate(r.headers.Get("Authorization"), identity::Audience::kUser);
         if (!claims) return Unauthenticated(claims.error());
         json::object me{{"userId", claims->subject},
                         {"expirationDateTime", wire::FormatTimestamp(claims->expires_at)}};
         if (auto upn = claims->extra.find("upn"); upn != claims->extra.end()) {
           me["userPrincipalName"] = upn->second;
         }
         if (auto did = claims->extra.find("did"); did != claims->extra.end()) {
           me["deviceId"] = did->second;
         }
         return Json(200, me);
       }},
  };
  for (const Route& route : routes) {
    if (Status st = router.Add(route.method, route.path, route.handler); !st) return st;
  }
  return Ok{};
}

}  // namespace groundcrew::api

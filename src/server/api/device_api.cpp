#include "server/api/device_api.hpp"

#include <fmt/format.h>

#include <any>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "server/api/bearer_endpoint.hpp"
#include "server/api/content_response.hpp"
#include "server/api/http_json.hpp"
#include "server/http/error_mapping.hpp"
#include "wire/deployment_json.hpp"
#include "wire/events_json.hpp"
#include "wire/inventory_json.hpp"
#include "wire/model_json.hpp"
#include "wire/report_json.hpp"

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

// 401 in the device realm.
Response Unauthenticated(const Error& error) {
  return api::Unauthenticated(error, "groundcrew-device");
}

std::string DeviceActorName(const DeviceCaller& caller) { return "device:" + caller.device_id; }

// A device route (BearerEndpoint in realm "groundcrew-device"): its response names the device
// id. `body_limit` is kLarge only for diagnostics uploads.
server::Endpoint Device(Services& services, DeviceHandler handler,
                        server::BodyLimit body_limit = server::BodyLimit::kSmall) {
  return BearerEndpoint<DeviceCaller>(
      [&services](const std::string& authorization) {
        return services.trust.Authenticate(authorization);
      },
      DeviceActorName, "groundcrew-device", std::move(handler), body_limit);
}

// A route without a gate (small bodies): the handler authenticates, if at all.
server::Endpoint Open(server::Handler handler) { return server::Endpoint{std::move(handler), {}}; }

// The deployment route takes a device token or a signed-in user's token: its gate admits
// either (the handler decides which one the body asks for, and authenticates it).
server::Endpoint DeviceOrUser(Services& services, server::Handler handler) {
  server::Endpoint endpoint{std::move(handler), {}};
  endpoint.options.gate = [&services](Request& request,
                                      const PathParams&) -> std::optional<Response> {
    const std::string authorization = request.headers.Get("Authorization");
    Result<DeviceCaller> caller = services.trust.Authenticate(authorization);
    if (caller) return std::nullopt;
    if (services.tokens.Authenticate(authorization, identity::Audience::kUser)) return std::nullopt;
    return Unauthenticated(caller.error());
  };
  return endpoint;
}

// 200 with the use case's answer: JSON as it is, a value as wire encodes it.
template <class T>
Response Answer(const Result<T>& result) {
  if (!result) return ErrorResponse(result.error());
  if constexpr (std::is_convertible_v<T, json::value>) {
    return Json(200, *result);
  } else {
    return Json(200, wire::Encode(*result));
  }
}

// A request refused for load: 429 with when to retry (Retry-After, in seconds).
Response TooManyRequests(const service::Throttle& throttle) {
  Response response = ErrorResponse(429, throttle.error);
  response.headers.emplace_back("Retry-After", std::to_string(throttle.retry_after.count()));
  return response;
}

// A refused sign-in is 403 with the step (reason and message for the screen); the other
// steps are 200. A busy service (no password-hash slot) is 503 with Retry-After.
Response SignInAnswer(const Result<service::SignInStep>& step) {
  if (!step) {
    if (step.error().code == ErrorCode::kUnauthenticated) return Unauthenticated(step.error());
    Response response = ErrorResponse(step.error());
    if (step.error().code == ErrorCode::kUnavailable) {
      response.headers.emplace_back("Retry-After",
                                    std::to_string(service::kBusyRetryAfter.count()));
    }
    return response;
  }
  return Json(step->refused() ? 403 : 200, step->body);
}

// A timestamp member of a request ("2026-11-25T13:00:00Z"), kInvalidArgument naming it.
Result<core::Timestamp> TimestampMember(const std::string& text, const char* name) {
  Result<core::Timestamp> time = wire::ParseTimestamp(text);
  if (!time) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: expected a UTC time like 2026-11-25T13:00:00Z, found \"{}\"", name, text),
        name);
  }
  return time;
}

// POST .../deployment: {"flow": "technician"} with the device's token, or {"flow": "user",
// "installed": [...]} with the signed-in user's token. The body says which flow, and so which
// credential: a token of the other kind is refused (401) like any token for another audience.
Response Deployment(Services& s, const Request& r, const PathParams& p) {
  Result<json::value> body = ParseJsonBody(r);
  if (!body) return ErrorResponse(body.error());
  const json::object* object = body->if_object();
  if (object == nullptr) {
    return ErrorResponse(
        MakeError(ErrorCode::kInvalidArgument, "body: expected a JSON object", "body"));
  }
  const json::value* flow = object->if_contains("flow");
  if (flow == nullptr || !flow->is_string() ||
      (flow->as_string() != "technician" && flow->as_string() != "user")) {
    return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                   "flow: required, \"technician\" or \"user\"", "flow"));
  }
  const bool user_flow = flow->as_string() == "user";
  for (const auto& member : *object) {
    if (member.key() != "flow" && !(user_flow && member.key() == "installed")) {
      const std::string name(member.key());
      return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                     fmt::format("{}: not a member of this request", name), name));
    }
  }
  const std::string authorization = r.headers.Get("Authorization");
  if (!user_flow) {
    Result<DeviceCaller> caller = s.trust.Authenticate(authorization);
    if (!caller) return Unauthenticated(caller.error());
    return Answer(s.deployment.Technician(*caller, p.at("id")));
  }
  Result<identity::Claims> claims = s.tokens.Authenticate(authorization, identity::Audience::kUser);
  if (!claims) return Unauthenticated(claims.error());
  std::vector<core::InstalledItem> installed;
  if (const json::value* reported = object->if_contains("installed")) {
    if (Status decoded = wire::DecodeInventory(*reported, "installed", installed); !decoded) {
      return ErrorResponse(decoded.error());
    }
  }
  return Answer(s.deployment.User(*claims, p.at("id"), installed));
}

}  // namespace

Status AddDeviceApiRoutes(server::Router& router, Services& s) {
  const std::string device = "/v1/agent/devices/{id}";
  const std::string session = device + "/sessions/{sessionId}";
  struct Route {
    const char* method;
    std::string path;
    server::Endpoint endpoint;
  };
  const Route routes[] = {
      {"POST", "/v1/agent/nonce", Open([&s](const Request& r, const PathParams&) {
         if (auto throttle = s.trust.AdmitNonce(r.remote_address)) {
           return TooManyRequests(*throttle);
         }
         auto body = StringMembers(r, {"serialNumber"});
         if (!body) return ErrorResponse(body.error());
         return Answer(s.trust.NewNonce(body->at("serialNumber")));
       })},
      {"POST", "/v1/agent/token", Open([&s](const Request& r, const PathParams&) {
         auto body = StringMembers(r, {"serialNumber", "nonce", "signature"});
         if (!body) return ErrorResponse(body.error());
         Result<json::object> token =
             s.trust.Prove(body->at("serialNumber"), body->at("nonce"), body->at("signature"));
         if (!token) return Unauthenticated(token.error());
         return Json(200, *token);
       })},
      {"GET", device,
       Device(s,
              [&s](const DeviceCaller& c, const Request&, const PathParams& p) {
                return Answer(s.trust.Registration(c, p.at("id")));
              })},
      {"GET", device + "/plan",
       Device(s, [&s](const DeviceCaller& c, const Request&,
                      const PathParams& p) { return Answer(s.trust.Plan(c, p.at("id"))); })},
      {"POST", device + "/join",
       Device(s, [&s](const DeviceCaller& c, const Request&,
                      const PathParams& p) { return Answer(s.trust.Join(c, p.at("id"))); })},
      {"POST", device + "/enroll",
       Device(s,
              [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
                auto body = StringMembers(r, {"csr"});
                if (!body) return ErrorResponse(body.error());
                return Answer(s.trust.Enroll(c, p.at("id"), body->at("csr")));
              })},
      {"POST", device + "/reseal",
       Device(s, [&s](const DeviceCaller& c, const Request&,
                      const PathParams& p) { return Answer(s.trust.Reseal(c, p.at("id"))); })},
      {"POST", device + "/signIn",
       Device(s,
              [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
                if (auto throttle = s.sign_in.Admit(c, r.remote_address)) {
                  return TooManyRequests(*throttle);
                }
                auto body = StringMembers(r, {"userPrincipalName", "password"});
                if (!body) return ErrorResponse(body.error());
                return SignInAnswer(s.sign_in.Begin(c, p.at("id"), body->at("userPrincipalName"),
                                                    body->at("password"), r.remote_address));
              })},
      {"POST", device + "/signIn/{challengeId}",
       Device(s,
              [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
                if (auto throttle = s.sign_in.Admit(c, r.remote_address)) {
                  return TooManyRequests(*throttle);
                }
                auto body = StringMembers(r, {"code"});
                if (!body) return ErrorResponse(body.error());
                return SignInAnswer(s.sign_in.Complete(c, p.at("id"), p.at("challengeId"),
                                                       body->at("code"), r.remote_address));
              })},
      {"POST", device + "/deployment",
       DeviceOrUser(s,
                    [&s](const Request& r, const PathParams& p) { return Deployment(s, r, p); })},
      {"POST", device + "/certificates/{profileId}",
       Device(s,
              [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
                auto body = StringMembers(r, {"csr"});
                if (!body) return ErrorResponse(body.error());
                return Answer(s.deployment.IssueCertificate(c, p.at("id"), p.at("profileId"),
                                                            body->at("csr")));
              })},
      {"PUT", session,
       Device(s,
              [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
                auto body = StringMembers(r, {"flow", "startedDateTime"}, {"userPrincipalName"});
                if (!body) return ErrorResponse(body.error());
                Result<core::Timestamp> started =
                    TimestampMember(body->at("startedDateTime"), "startedDateTime");
                if (!started) return ErrorResponse(started.error());
                const auto upn = body->find("userPrincipalName");
                Result<service::StartedSession> session =
                    s.deployment.StartSession(c, p.at("id"), p.at("sessionId"), body->at("flow"),
                                              upn == body->end() ? "" : upn->second, *started);
                if (!session) return ErrorResponse(session.error());
                return Json(session->created ? 201 : 200, wire::Encode(session->session));
              })},
      {"POST", session + "/events",
       Device(s,
              [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
                Result<json::value> body = ParseJsonBody(r);
                if (!body) return ErrorResponse(body.error());
                Result<std::vector<wire::DeploymentEvent>> events = wire::ParseEvents(*body);
                if (!events) return ErrorResponse(events.error());
                return Answer(s.deployment.AppendEvents(c, p.at("id"), p.at("sessionId"), *events));
              })},
      {"POST", session + "/finish",
       Device(s,
              [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
                Result<json::value> body = ParseJsonBody(r);
                if (!body) return ErrorResponse(body.error());
                wire::SessionFinish finish;
                if (Status decoded = wire::Decode(*body, finish); !decoded) {
                  return ErrorResponse(decoded.error());
                }
                return Answer(s.deployment.FinishSession(
                    c, p.at("id"), p.at("sessionId"), finish.deployment_state,
                    finish.finished_date_time, std::move(finish.inventory)));
              })},
      {"POST", device + "/diagnostics",
       Device(
           s,
           [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
             auto body = StringMembers(r, {"fileName", "contentBase64"});
             if (!body) return ErrorResponse(body.error());
             Result<json::object> stored = s.diagnostics.Upload(c, p.at("id"), body->at("fileName"),
                                                                body->at("contentBase64"));
             if (!stored) return ErrorResponse(stored.error());
             return Json(201, *stored);
           },
           server::BodyLimit::kLarge)},
      {"GET", device + "/content/{sha256}",
       Device(s,
              [&s](const DeviceCaller& c, const Request& r, const PathParams& p) {
                if (Status allowed = s.trust.MayReadContent(c, p.at("id"), p.at("sha256"));
                    !allowed) {
                  return ErrorResponse(allowed.error());
                }
                return ContentResponse(s.content, r, p.at("sha256"));
              })},
      {"GET", "/v1/agent/me", Open([&s](const Request& r, const PathParams&) {
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
       })},
  };
  for (const Route& route : routes) {
    if (Status st = router.Add(route.method, route.path, route.endpoint); !st) return st;
  }
  return Ok{};
}

}  // namespace groundcrew::api

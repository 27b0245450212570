#include "server/api/admin_api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <any>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <charconv>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <type_traits>

#include "core/flow/flow_common.hpp"
#include "identity/totp.hpp"
#include "server/api/admin_access.hpp"
#include "server/api/console_api.hpp"
#include "server/api/content_response.hpp"
#include "server/api/event_stream.hpp"
#include "server/api/http_json.hpp"
#include "server/api/idempotency.hpp"
#include "server/api/session_api.hpp"
#include "server/http/error_mapping.hpp"
#include "server/service/auth.hpp"
#include "server/service/catalog_service.hpp"
#include "wire/json_limits.hpp"
#include "wire/model_json.hpp"
#include "wire/report_json.hpp"
#include "wire/settings_json.hpp"

namespace groundcrew::api {
namespace {

namespace json = boost::json;
using server::ErrorResponse;
using server::PathParams;
using server::Request;
using server::Response;
using service::Actor;
using service::Services;
using store::ResourceKind;

constexpr std::size_t kMaxTotpSecretBytes = 64;

// An admin route (admin_access.hpp): a bearer credential or a console session, authorized by
// route; its response names the caller.
server::Endpoint Authenticated(Services& services, ActorHandler handler,
                               server::BodyLimit body_limit = server::BodyLimit::kSmall) {
  return AdminEndpoint(services, std::move(handler), body_limit);
}

// `status` with the use case's answer: JSON as it is, a value as wire encodes it.
template <class T>
Response OkJson(const Result<T>& result, int status = 200) {
  if (!result) return ErrorResponse(result.error());
  if constexpr (std::is_convertible_v<T, json::value>) {
    return Json(status, *result);
  } else {
    return Json(status, wire::Encode(*result));
  }
}

Response NoContent(const Status& status) {
  if (!status) return ErrorResponse(status.error());
  Response response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

json::value ParsedOr(const std::string& text) {
  Result<json::value> value = wire::ParseJson(text, "detail");
  return value ? std::move(*value) : json::value(text);
}

// `?deploymentState=`: a deployment state in Graph's spelling, e.g. "failure".
Result<std::string> DeploymentStateParameter(const Request& request) {
  static const auto* states = [] {
    auto* all = new std::vector<std::string>;
    for (int e = 0; e <= static_cast<int>(core::DeploymentState::kSuccessOnRetry); ++e) {
      all->emplace_back(core::ToString(static_cast<core::DeploymentState>(e)));
    }
    return all;
  }();
  return ChoiceParameter(request, "deploymentState", *states);
}

// `?flow=`: "technician" or "user".
Result<std::string> FlowParameter(const Request& request) {
  static const std::vector<std::string> flows = {"technician", "user"};
  return ChoiceParameter(request, "flow", flows);
}

// The id of the device whose serial number is `?serialNumber=` ("" when absent); kNotFound
// naming the parameter when no device has it.
Result<std::string> DeviceIdParameter(Services& s, const Request& request) {
  auto it = request.query.find("serialNumber");
  if (it == request.query.end()) return std::string();
  Result<std::optional<store::DeviceRecord>> device =
      s.store.devices().FindBySerialNumber(it->second);
  if (!device) return device.error();
  if (!*device) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("no registered device has the serial number \"{}\"", it->second),
                     "serialNumber");
  }
  return (*device)->value.id.value();
}

// The sessions GET /v1/deploymentSessions and GET /v1/deploymentEvents are about: ?serialNumber=
// (the device's), ?flow=, ?deploymentState=.
Result<store::SessionFilter> SessionFilterFrom(Services& s, const Request& r) {
  store::SessionFilter filter;
  Result<std::string> device = DeviceIdParameter(s, r);
  if (!device) return device.error();
  filter.device_id = *device;
  Result<std::string> flow = FlowParameter(r);
  if (!flow) return flow.error();
  filter.flow = *flow;
  Result<std::string> state = DeploymentStateParameter(r);
  if (!state) return state.error();
  filter.deployment_state = *state;
  return filter;
}

Status AddCatalogRoutes(server::Router& router, Services& services, ResourceKind kind) {
  const std::string collection = fmt::format("/v1/{}", store::ToString(kind));
  const std::string item = collection + "/{id}";
  auto& s = services;
  if (Status st =
          router.Add("GET", collection,
                     Authenticated(s,
                                   [&s, kind](const Actor&, const Request& r, const PathParams&) {
                                     Result<store::PageRequest> page = PageFrom(r);
                                     if (!page) return ErrorResponse(page.error());
                                     auto listed = s.resources.List(kind, *page);
                                     if (!listed) return ErrorResponse(listed.error());
                                     return JsonPage(listed->items, listed->next_after);
                                   }));
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "POST", collection,
          Authenticated(s,
                        [&s, kind](const Actor& actor, const Request& r, const PathParams&) {
                          return Idempotent(s, actor, r, [&] {
                            Result<json::value> body = ParseJsonBody(r);
                            if (!body) return ErrorResponse(body.error());
                            return OkJson(s.resources.Create(actor, kind, *body), 201);
                          });
                        }));
      !st) {
    return st;
  }
  if (Status st =
          router.Add("GET", item,
                     Authenticated(s,
                                   [&s, kind](const Actor&, const Request&, const PathParams& p) {
                                     return OkJson(s.resources.Get(kind, p.at("id")));
                                   }));
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "PATCH", item,
          Authenticated(s,
                        [&s, kind](const Actor& actor, const Request& r, const PathParams& p) {
                          Result<json::value> body = ParseJsonBody(r);
                          if (!body) return ErrorResponse(body.error());
                          Result<std::optional<int64_t>> if_match = IfMatch(r);
                          if (!if_match) return ErrorResponse(if_match.error());
                          return OkJson(
                              s.resources.Update(actor, kind, p.at("id"), *body, *if_match));
                        }));
      !st) {
    return st;
  }
  return router.Add(
      "DELETE", item,
      Authenticated(s, [&s, kind](const Actor& actor, const Request& r, const PathParams& p) {
        Result<std::optional<int64_t>> if_match = IfMatch(r);
        if (!if_match) return ErrorResponse(if_match.error());
        return NoContent(s.resources.Delete(actor, kind, p.at("id"), *if_match));
      }));
}

// A dry run's rows that would be imported say "valid" and have no id; it imported nothing.
json::object ImportJson(const service::ImportOutcome& outcome, bool dry_run) {
  json::array rows;
  for (size_t i = 0; i < outcome.file.rows.size(); ++i) {
    const core::RegistrationRowResult& row = outcome.file.rows[i];
    json::object encoded = wire::Encode(row);
    if (!row.ok()) {
      encoded["status"] = "failed";
    } else if (outcome.imported.empty()) {
      encoded["status"] = "notImported";  // valid, but another row failed: all or nothing
    } else if (dry_run) {
      encoded["status"] = "valid";
    } else {
      encoded["status"] = "imported";
      encoded["id"] = outcome.imported[i].value.id.value();
    }
    rows.push_back(std::move(encoded));
  }
  json::object out{{"imported", dry_run ? 0 : outcome.imported.size()}, {"rows", std::move(rows)}};
  if (dry_run) out["dryRun"] = true;
  return out;
}

// A device's diagnostics archives (service/diagnostics_service.hpp); `item` is the device's
// path, whose {id} may also be its serial number.
Status AddDiagnosticsRoutes(server::Router& router, Services& s, const std::string& item) {
  if (Status st = router.Add(
          "GET", item + "/diagnostics",
          Authenticated(s,
                        [&s](const Actor&, const Request&, const PathParams& p) {
                          auto listed = s.diagnostics.List(p.at("id"));
                          if (!listed) return ErrorResponse(listed.error());
                          std::vector<json::object> items;
                          for (const service::DiagnosticsArchive& archive : *listed) {
                            items.push_back(service::DiagnosticsService::ToJson(archive));
                          }
                          return JsonPage(items, "");
                        }));
      !st) {
    return st;
  }
  return router.Add("GET", item + "/diagnostics/{diagnosticsId}",
                    Authenticated(s, [&s](const Actor&, const Request&, const PathParams& p) {
                      Result<service::DiagnosticsFile> file =
                          s.diagnostics.Read(p.at("id"), p.at("diagnosticsId"));
                      if (!file) return ErrorResponse(file.error());
                      Response response;
                      response.content_type = "application/gzip";
                      response.body = std::move(file->bytes);
                      // The name is [A-Za-z0-9._-] (checked at upload): nothing to quote.
                      response.headers.emplace_back(
                          "Content-Disposition",
                          fmt::format("attachment; filename=\"{}\"", file->file_name));
                      return response;
                    }));
}

Status AddDeviceRoutes(server::Router& router, Services& s) {
  const std::string base = "/v1/autopilotDevices";
  if (Status st = router.Add("POST", base + "/import",
                             Authenticated(
                                 s,
                                 [&s](const Actor& actor, const Request& r, const PathParams&) {
                                   return Idempotent(s, actor, r, [&] {
                                     Result<bool> dry_run = BoolParameter(r, "dryRun");
                                     if (!dry_run) return ErrorResponse(dry_run.error());
                                     auto outcome = *dry_run ? s.devices.ImportDryRun(actor, r.body)
                                                             : s.devices.Import(actor, r.body);
                                     if (!outcome) return ErrorResponse(outcome.error());
                                     return Json(200, ImportJson(*outcome, *dry_run));
                                   });
                                 },
                                 server::BodyLimit::kLarge));
      !st) {
    return st;
  }
  const std::string item = base + "/{id}";
  if (Status st = router.Add("GET", item,
                             Authenticated(s,
                                           [&s](const Actor&, const Request&, const PathParams& p) {
                                             return OkJson(s.devices.Get(p.at("id")));
                                           }));
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "PATCH", item,
          Authenticated(s,
                        [&s](const Actor& actor, const Request& r, const PathParams& p) {
                          Result<json::value> body = ParseJsonBody(r);
                          if (!body) return ErrorResponse(body.error());
                          Result<std::optional<int64_t>> if_match = IfMatch(r);
                          if (!if_match) return ErrorResponse(if_match.error());
                          return OkJson(s.devices.Update(actor, p.at("id"), *body, *if_match));
                        }));
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "DELETE", item,
          Authenticated(s,
                        [&s](const Actor& actor, const Request& r, const PathParams& p) {
                          Result<std::optional<int64_t>> if_match = IfMatch(r);
                          if (!if_match) return ErrorResponse(if_match.error());
                          return NoContent(s.devices.Delete(actor, p.at("id"), *if_match));
                        }));
      !st) {
    return st;
  }
  if (Status st =
          router.Add("POST", item + "/reprovision",
                     Authenticated(s,
                                   [&s](const Actor& actor, const Request& r, const PathParams& p) {
                                     return Idempotent(s, actor, r, [&] {
                                       return OkJson(s.devices.Reprovision(actor, p.at("id")));
                                     });
                                   }));
      !st) {
    return st;
  }
  return AddDiagnosticsRoutes(router, s, item);
}

Status AddContentRoutes(server::Router& router, Services& s) {
  const std::string item = "/v1/content/{sha256}";
  if (Status st = router.Add("PUT", item,
                             Authenticated(
                                 s,
                                 [&s](const Actor& actor, const Request& r, const PathParams& p) {
                                   if (Status allowed = service::RequireAdmin(actor); !allowed) {
                                     return ErrorResponse(allowed.error());
                                   }
                                   Result<bool> created = s.content.Put(p.at("sha256"), r.body);
                                   if (!created) return ErrorResponse(created.error());
                                   return Json(*created ? 201 : 200,
                                               json::object{{"sha256", p.at("sha256")},
                                                            {"size", r.body.size()}});
                                 },
                                 server::BodyLimit::kLarge));
      !st) {
    return st;
  }
  return router.Add("GET", item,
                    Authenticated(s, [&s](const Actor&, const Request& r, const PathParams& p) {
                      return ContentResponse(s.content, r, p.at("sha256"));
                    }));
}

json::object AuditJson(const store::AuditEntry& entry) {
  return {{"sequence", entry.sequence},
          {"at", wire::FormatTimestamp(entry.at)},
          {"actor", entry.actor},
          {"action", entry.action},
          {"resourceKind", entry.resource_kind},
          {"resourceId", entry.resource_id},
          {"resourceName", entry.resource_name},
          {"detail", ParsedOr(entry.detail)}};
}

// A session as the admin API shows it: wire::Encode's shape with the device's "serialNumber" (null
// when the device is gone), found through `serials` (device id -> serial number), which keeps
// the serial numbers read so far.
json::object SessionJson(Services& s, const store::DeploymentSession& session,
                         std::map<std::string, std::string>& serials) {
  json::object out = wire::Encode(session);
  auto [serial, unseen] = serials.try_emplace(session.device_id);
  if (unseen) {
    Result<store::DeviceRecord> device = s.store.devices().Get(core::ZtdId{session.device_id});
    if (device) serial->second = device->value.serial_number;
  }
  out["serialNumber"] = serial->second.empty() ? json::value(nullptr) : json::value(serial->second);
  return out;
}

// `?name=` as a whole number in min..max (absent: `fallback`); kInvalidArgument naming it.
Result<long long> IntegerParameter(const Request& request, const char* name, long long min,
                                   long long max, long long fallback) {
  auto it = request.query.find(name);
  if (it == request.query.end()) return fallback;
  const std::string& text = it->second;
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: must be a whole number from {} to {}, not \"{}\"", name, min, max, text),
        name);
  }
  return value;
}

// GET /v1/deploymentEvents?after=N&limit=L&waitSeconds=S: every device's events after N; a
// long poll when S > 0 (docs/admin-api.md "Reports").
Response DeploymentEvents(Services& s, const Request& r) {
  Result<long long> after =
      IntegerParameter(r, "after", 0, std::numeric_limits<long long>::max(), 0);
  if (!after) return ErrorResponse(after.error());
  Result<long long> limit = IntegerParameter(r, "limit", 1, store::kMaxPageSize, 100);
  if (!limit) return ErrorResponse(limit.error());
  Result<long long> wait =
      IntegerParameter(r, "waitSeconds", 0, s.deployment.options().max_wait.count(), 0);
  if (!wait) return ErrorResponse(wait.error());
  Result<store::SessionFilter> filter = SessionFilterFrom(s, r);
  if (!filter) return ErrorResponse(filter.error());
  return OkJson(
      s.deployment.Events(*after, static_cast<int>(*limit), std::chrono::seconds(*wait), *filter));
}

// GET /v1/deploymentSessions' ?deviceId= into `filter`: kInvalidArgument when ?serialNumber=
// named another device.
Status AddDeviceId(const Request& r, store::SessionFilter& filter) {
  auto it = r.query.find("deviceId");
  if (it == r.query.end()) return Ok{};
  if (!filter.device_id.empty() && filter.device_id != it->second) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "deviceId and serialNumber name different devices: give one of them",
                     "serialNumber");
  }
  filter.device_id = it->second;
  return Ok{};
}

Status AddReportRoutes(server::Router& router, Services& s) {
  if (Status st = router.Add(
          "GET", "/v1/audit",
          Authenticated(s,
                        [&s](const Actor&, const Request& r, const PathParams&) {
                          Result<store::PageRequest> page = PageFrom(r);
                          if (!page) return ErrorResponse(page.error());
                          store::AuditFilter filter;
                          if (auto it = r.query.find("actor"); it != r.query.end()) {
                            filter.actor = it->second;
                          }
                          if (auto it = r.query.find("resourceKind"); it != r.query.end()) {
                            filter.resource_kind = it->second;
                          }
                          auto listed = s.store.audit().List(filter, *page);
                          if (!listed) return ErrorResponse(listed.error());
                          std::vector<json::object> items;
                          for (const store::AuditEntry& entry : listed->items)
                            items.push_back(AuditJson(entry));
                          return JsonPage(items, listed->next_after);
                        }));
      !st) {
    return st;
  }
  if (Status st =
          router.Add("GET", "/v1/deploymentSessions",
                     Authenticated(s,
                                   [&s](const Actor&, const Request& r, const PathParams&) {
                                     Result<store::PageRequest> page = PageFrom(r);
                                     if (!page) return ErrorResponse(page.error());
                                     Result<store::SessionFilter> filter = SessionFilterFrom(s, r);
                                     if (!filter) return ErrorResponse(filter.error());
                                     if (Status st = AddDeviceId(r, *filter); !st) {
                                       return ErrorResponse(st.error());
                                     }
                                     auto listed = s.store.sessions().ListSessions(*filter, *page);
                                     if (!listed) return ErrorResponse(listed.error());
                                     std::vector<json::object> items;
                                     std::map<std::string, std::string> serials;
                                     for (const auto& session : listed->items)
                                       items.push_back(SessionJson(s, session, serials));
                                     return JsonPage(items, listed->next_after);
                                   }));
      !st) {
    return st;
  }
  if (Status st = router.Add("GET", "/v1/deploymentSessions/{id}",
                             Authenticated(s,
                                           [&s](const Actor&, const Request&, const PathParams& p) {
                                             auto session =
                                                 s.store.sessions().GetSession(p.at("id"));
                                             if (!session) return ErrorResponse(session.error());
                                             std::map<std::string, std::string> serials;
                                             return Json(200, SessionJson(s, *session, serials));
                                           }));
      !st) {
    return st;
  }
  if (Status st =
          router.Add("GET", "/v1/reports/{serialNumber}",
                     Authenticated(s,
                                   [&s](const Actor&, const Request&, const PathParams& p) {
                                     return OkJson(s.deployment.Report(p.at("serialNumber")));
                                   }));
      !st) {
    return st;
  }
  if (Status st =
          router.Add("GET", "/v1/deploymentEvents",
                     Authenticated(s, [&s](const Actor&, const Request& r,
                                           const PathParams&) { return DeploymentEvents(s, r); }));
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "GET", "/v1/deploymentEvents/stream",
          Authenticated(s, [&s](const Actor&, const Request& r,
                                const PathParams&) { return DeploymentEventStream(s, r); }));
      !st) {
    return st;
  }
  return router.Add("GET", "/v1/deploymentSessions/{id}/events",
                    Authenticated(s, [&s](const Actor&, const Request& r, const PathParams& p) {
                      Result<store::PageRequest> page = PageFrom(r);
                      if (!page) return ErrorResponse(page.error());
                      auto listed = s.store.sessions().ListEvents(p.at("id"), *page);
                      if (!listed) return ErrorResponse(listed.error());
                      std::vector<json::object> items;
                      for (const store::SessionEvent& event : listed->items) {
                        items.push_back({{"sequence", event.sequence},
                                         {"sessionId", event.session_id},
                                         {"at", wire::FormatTimestamp(event.at)},
                                         {"kind", event.kind},
                                         {"detail", ParsedOr(event.detail)}});
                      }
                      return JsonPage(items, listed->next_after);
                    }));
}

json::object CredentialJson(const store::AdminCredential& credential) {
  json::object out{{"id", credential.id},
                   {"name", credential.name},
                   {"role", store::ToString(credential.role)},
                   {"createdDateTime", wire::FormatTimestamp(credential.created_date_time)}};
  out["revokedDateTime"] = credential.revoked_date_time
                               ? json::value(wire::FormatTimestamp(*credential.revoked_date_time))
                               : json::value(nullptr);
  return out;
}

// POST /v1/users/{id}/mfa: enrolls the user; the answer holds the TOTP seed, once.
Response EnrollMfaRoute(Services& s, const Actor& actor, const Request& r, const PathParams& p) {
  std::string secret;  // empty: the service makes a fresh one
  if (!r.body.empty()) {
    auto body = StringMembers(r, {}, {"secret"});
    if (!body) return ErrorResponse(body.error());
    if (auto given = body->find("secret"); given != body->end()) {
      Result<std::string> decoded = identity::Base32Decode(given->second);
      if (!decoded) {
        return ErrorResponse(
            MakeError(ErrorCode::kInvalidArgument, decoded.error().message, "secret"));
      }
      // RFC 4226 asks for 128 bits at least; 512 is plenty and keeps the QR code small.
      if (decoded->size() > kMaxTotpSecretBytes) {
        return ErrorResponse(MakeError(
            ErrorCode::kInvalidArgument,
            fmt::format("secret: must be at most {} bytes ({} base32 characters), found {} bytes",
                        kMaxTotpSecretBytes, (kMaxTotpSecretBytes * 8 + 4) / 5, decoded->size()),
            "secret"));
      }
      secret = std::move(*decoded);
    }
  }
  Result<service::MfaEnrollment> enrolled =
      s.sign_in.EnrollMfa(actor, p.at("id"), std::move(secret));
  if (!enrolled) return ErrorResponse(enrolled.error());
  return Json(201, json::object{{"secret", enrolled->secret_base32},
                                {"otpauthUri", enrolled->otpauth_uri},
                                {"qrSvg", enrolled->qr_svg},
                                {"qrText", enrolled->qr_text}});
}

// POST /v1/credentials: issues a credential; the answer holds its token, once.
Response IssueCredentialRoute(Services& s, const Actor& actor, const Request& r) {
  if (Status allowed = service::RequireAdmin(actor); !allowed) {
    return ErrorResponse(allowed.error());
  }
  Result<json::value> body = ParseJsonBody(r);
  if (!body) return ErrorResponse(body.error());
  const json::object* object = body->if_object();
  const json::value* name = object ? object->if_contains("name") : nullptr;
  const json::value* role = object ? object->if_contains("role") : nullptr;
  if (object == nullptr || name == nullptr || !name->is_string() ||
      (role != nullptr && !role->is_string()) || object->size() != 1u + (role != nullptr ? 1 : 0)) {
    return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                   "body: expected {\"name\": \"...\", \"role\": "
                                   "\"admin\", \"reader\" or \"technician\"}",
                                   "body"));
  }
  std::optional<store::CredentialRole> parsed = store::CredentialRole::kAdmin;
  if (role != nullptr) parsed = store::ParseCredentialRole(role->as_string());
  if (!parsed) {
    return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                   "role: must be \"admin\", \"reader\" or \"technician\"",
                                   "role"));
  }
  Result<service::IssuedCredential> issued =
      service::IssueCredential(s.store, actor, name->as_string(), *parsed, s.clock());
  if (!issued) return ErrorResponse(issued.error());
  return Json(201, json::object{{"id", issued->id},
                                {"name", name->as_string()},
                                {"role", store::ToString(*parsed)},
                                {"token", issued->token}});
}

// Admin credentials: list, issue (the token is in the answer, once), revoke.
// Users' sign-in credentials: password, MFA enrollment and reset, unlock, state.
Status AddUserSignInRoutes(server::Router& router, Services& s) {
  const std::string user = "/v1/users/{id}";
  if (Status st = router.Add("GET", user + "/signIn",
                             Authenticated(s,
                                           [&s](const Actor&, const Request&, const PathParams& p) {
                                             return OkJson(s.sign_in.State(p.at("id")));
                                           }));
      !st) {
    return st;
  }
  if (Status st =
          router.Add("PUT", user + "/password",
                     Authenticated(s,
                                   [&s](const Actor& actor, const Request& r, const PathParams& p) {
                                     auto body = StringMembers(r, {"password"});
                                     if (!body) return ErrorResponse(body.error());
                                     return NoContent(s.sign_in.SetPassword(actor, p.at("id"),
                                                                            body->at("password")));
                                   }));
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "POST", user + "/mfa",
          Authenticated(s,
                        [&s](const Actor& actor, const Request& r, const PathParams& p) {
                          return NotIdempotent(r, [&] { return EnrollMfaRoute(s, actor, r, p); });
                        }));
      !st) {
    return st;
  }
  if (Status st =
          router.Add("DELETE", user + "/mfa",
                     Authenticated(s,
                                   [&s](const Actor& actor, const Request&, const PathParams& p) {
                                     return NoContent(s.sign_in.ResetMfa(actor, p.at("id")));
                                   }));
      !st) {
    return st;
  }
  return router.Add("POST", user + "/unlock",
                    Authenticated(s, [&s](const Actor& actor, const Request&, const PathParams& p) {
                      return NoContent(s.sign_in.Unlock(actor, p.at("id")));
                    }));
}

Status AddCredentialRoutes(server::Router& router, Services& s) {
  if (Status st = router.Add("GET", "/v1/credentials",
                             Authenticated(s,
                                           [&s](const Actor&, const Request&, const PathParams&) {
                                             auto listed = s.store.credentials().List();
                                             if (!listed) return ErrorResponse(listed.error());
                                             std::vector<json::object> items;
                                             for (const auto& credential : *listed)
                                               items.push_back(CredentialJson(credential));
                                             return JsonPage(items, "");
                                           }));
      !st) {
    return st;
  }
  if (Status st =
          router.Add("POST", "/v1/credentials",
                     Authenticated(s,
                                   [&s](const Actor& actor, const Request& r, const PathParams&) {
                                     return NotIdempotent(
                                         r, [&] { return IssueCredentialRoute(s, actor, r); });
                                   }));
      !st) {
    return st;
  }
  return router.Add(
      "DELETE", "/v1/credentials/{id}",
      Authenticated(s, [&s](const Actor& actor, const Request&, const PathParams& p) {
        return NoContent(service::RevokeCredential(s.store, actor, p.at("id"), s.clock()));
      }));
}

}  // namespace

Status AddAdminRoutes(server::Router& router, Services& s, AdminApiOptions options) {
  if (Status st = AddConsoleSessionRoutes(router, s, options.secure_cookies); !st) return st;
  for (ResourceKind kind :
       {ResourceKind::kUser, ResourceKind::kGroup, ResourceKind::kDeploymentProfile,
        ResourceKind::kEspProfile, ResourceKind::kApp, ResourceKind::kPolicy,
        ResourceKind::kCertificateProfile, ResourceKind::kNetworkProfile,
        ResourceKind::kCompliancePolicy, ResourceKind::kAssignment}) {
    if (Status st = AddCatalogRoutes(router, s, kind); !st) return st;
  }
  if (Status st = router.Add("GET", "/v1/tenant",
                             Authenticated(s,
                                           [&s](const Actor&, const Request&, const PathParams&) {
                                             return OkJson(
                                                 s.resources.Get(ResourceKind::kTenant, "tenant"));
                                           }));
      !st) {
    return st;
  }
  if (Status st =
          router.Add("PATCH", "/v1/tenant",
                     Authenticated(s,
                                   [&s](const Actor& actor, const Request& r, const PathParams&) {
                                     Result<json::value> body = ParseJsonBody(r);
                                     if (!body) return ErrorResponse(body.error());
                                     Result<std::optional<int64_t>> if_match = IfMatch(r);
                                     if (!if_match) return ErrorResponse(if_match.error());
                                     return OkJson(s.resources.Update(actor, ResourceKind::kTenant,
                                                                      "tenant", *body, *if_match));
                                   }));
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "GET", "/v1/catalog/problems",
          Authenticated(s, [&s](const Actor&, const Request&,
                                const PathParams&) { return OkJson(s.resources.Problems()); }));
      !st) {
    return st;
  }
  // The settings catalog (core/settings/catalog.hpp): what a policy's settings may be.
  if (Status st = router.Add(
          "GET", "/v1/settingsCatalog",
          Authenticated(s,
                        [](const Actor&, const Request&, const PathParams&) -> Response {
                          return Json(200, json::object{{"value", wire::SettingsCatalogJson()}});
                        }));
      !st) {
    return st;
  }
  if (Status st = router.Add("GET", "/v1/groups/{id}/members",
                             Authenticated(s,
                                           [&s](const Actor&, const Request&, const PathParams& p) {
                                             return OkJson(s.devices.Members(p.at("id")));
                                           }));
      !st) {
    return st;
  }
  if (Status st = AddDeviceRoutes(router, s); !st) return st;
  if (Status st = AddFleetViewRoutes(router, s); !st) return st;
  if (Status st = AddContentRoutes(router, s); !st) return st;
  if (Status st = AddReportRoutes(router, s); !st) return st;
  if (Status st = AddCredentialRoutes(router, s); !st) return st;
  if (Status st = AddUserSignInRoutes(router, s); !st) return st;
  if (Status st = AddAdminAccountRoutes(router, s); !st) return st;
  if (Status st = router.Add(
          "GET", "/v1/plan",
          Authenticated(s,
                        [&s](const Actor&, const Request& r, const PathParams&) {
                          auto serial = r.query.find("serialNumber");
                          if (serial == r.query.end() || serial->second.empty()) {
                            return ErrorResponse(
                                MakeError(ErrorCode::kInvalidArgument,
                                          "serialNumber: required, e.g. ?serialNumber=CON-0001",
                                          "serialNumber"));
                          }
                          auto user = r.query.find("user");
                          return OkJson(s.devices.Plan(serial->second,
                                                       user == r.query.end() ? "" : user->second));
                        }));
      !st) {
    return st;
  }
  if (Status st = router.Add("POST", "/v1/apply",
                             Authenticated(
                                 s,
                                 [&s](const Actor& actor, const Request& r, const PathParams&) {
                                   return Idempotent(s, actor, r, [&] {
                                     Result<bool> dry_run = BoolParameter(r, "dryRun");
                                     if (!dry_run) return ErrorResponse(dry_run.error());
                                     Result<bool> prune = BoolParameter(r, "prune");
                                     if (!prune) return ErrorResponse(prune.error());
                                     Result<json::value> body = ParseJsonBody(r);
                                     if (!body) return ErrorResponse(body.error());
                                     auto outcome = s.apply.Apply(actor, *body, {*dry_run, *prune});
                                     if (!outcome) return ErrorResponse(outcome.error());
                                     if (!outcome->problems.empty()) {
                                       return ErrorResponse(
                                           service::DocumentRefused(outcome->problems),
                                           outcome->problems);
                                     }
                                     return Json(200, service::ToJson(*outcome));
                                   });
                                 },
                                 server::BodyLimit::kLarge));
      !st) {
    return st;
  }
  return router.Add(
      "GET", "/v1/me", Authenticated(s, [](const Actor& actor, const Request&, const PathParams&) {
        return Json(200, json::object{{"name", actor.name}, {"role", store::ToString(actor.role)}});
      }));
}

}  // namespace groundcrew::api

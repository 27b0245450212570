#include "api/admin_api.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include <charconv>

#include "api/http_json.hpp"
#include "server/error_mapping.hpp"
#include "service/auth.hpp"
#include "service/catalog_service.hpp"
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
using store::ResourceKind;

using ActorHandler = std::function<Response(const Actor&, const Request&, const PathParams&)>;

// Authenticates, then runs `handler`. 401 carries WWW-Authenticate as RFC 9110 asks.
server::Handler Authenticated(Services& services, ActorHandler handler) {
  return [&services, handler = std::move(handler)](const Request& request,
                                                    const PathParams& params) {
    Result<Actor> actor = service::Authenticate(services.store.credentials(),
                                                request.headers.Get("Authorization"));
    if (!actor) {
      Response response = ErrorResponse(actor.error());
      response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"groundcrew\"");
      return response;
    }
    return handler(*actor, request, params);
  };
}

template <class T>
Response OkJson(const Result<T>& result, int status = 200) {
  if (!result) return ErrorResponse(result.error());
  return Json(status, *result);
}

Response NoContent(const Status& status) {
  if (!status) return ErrorResponse(status.error());
  Response response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

json::value ParsedOr(const std::string& text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  return ec ? json::value(text) : value;
}

Status AddCatalogRoutes(server::Router& router, Services& services, ResourceKind kind) {
  const std::string collection = fmt::format("/v1/{}", store::ToString(kind));
  const std::string item = collection + "/{id}";
  auto& s = services;
  if (Status st = router.Add("GET", collection, Authenticated(s, [&s, kind](const Actor&,
                                                                            const Request& r,
                                                                            const PathParams&) {
        Result<store::PageRequest> page = PageFrom(r);
        if (!page) return ErrorResponse(page.error());
        auto listed = s.resources.List(kind, *page);
        if (!listed) return ErrorResponse(listed.error());
        return JsonPage(listed->items, listed->next_after);
      }));
      !st) {
    return st;
  }
  if (Status st = router.Add("POST", collection, Authenticated(s, [&s, kind](const Actor& actor,
                                                                             const Request& r,
                                                                             const PathParams&) {
        Result<json::value> body = ParseJsonBody(r);
        if (!body) return ErrorResponse(body.error());
        return OkJson(s.resources.Create(actor, kind, *body), 201);
      }));
      !st) {
    return st;
  }
  if (Status st = router.Add("GET", item, Authenticated(s, [&s, kind](const Actor&, const Request&,
                                                                      const PathParams& p) {
        return OkJson(s.resources.Get(kind, p.at("id")));
      }));
      !st) {
    return st;
  }
  if (Status st = router.Add("PATCH", item, Authenticated(s, [&s, kind](const Actor& actor,
                                                                        const Request& r,
                                                                        const PathParams& p) {
        Result<json::value> body = ParseJsonBody(r);
        if (!body) return ErrorResponse(body.error());
        Result<std::optional<int64_t>> if_match = IfMatch(r);
        if (!if_match) return ErrorResponse(if_match.error());
        return OkJson(s.resources.Update(actor, kind, p.at("id"), *body, *if_match));
      }));
      !st) {
    return st;
  }
  return router.Add("DELETE", item, Authenticated(s, [&s, kind](const Actor& actor,
                                                                const Request& r,
                                                                const PathParams& p) {
    Result<std::optional<int64_t>> if_match = IfMatch(r);
    if (!if_match) return ErrorResponse(if_match.error());
    return NoContent(s.resources.Delete(actor, kind, p.at("id"), *if_match));
  }));
}

json::object ImportJson(const service::ImportOutcome& outcome) {
  json::array rows;
  for (size_t i = 0; i < outcome.file.rows.size(); ++i) {
    const core::RegistrationRowResult& row = outcome.file.rows[i];
    json::object encoded = wire::Encode(row);
    if (!row.ok()) {
      encoded["status"] = "failed";
    } else if (outcome.imported.empty()) {
      encoded["status"] = "notImported";  // valid, but another row failed: all or nothing
    } else {
      encoded["status"] = "imported";
      encoded["id"] = outcome.imported[i].value.id.value();
    }
    rows.push_back(std::move(encoded));
  }
  return {{"imported", outcome.imported.size()}, {"rows", std::move(rows)}};
}

Status AddDeviceRoutes(server::Router& router, Services& s) {
  const std::string base = "/v1/autopilotDevices";
  if (Status st = router.Add("POST", base + "/import",
                             Authenticated(s, [&s](const Actor& actor, const Request& r,
                                                   const PathParams&) {
                               auto outcome = s.devices.Import(actor, r.body);
                               if (!outcome) return ErrorResponse(outcome.error());
                               return Json(200, ImportJson(*outcome));
                             }));
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "GET", base, Authenticated(s, [&s](const Actor&, const Request& r, const PathParams&) {
            Result<store::PageRequest> page = PageFrom(r);
            if (!page) return ErrorResponse(page.error());
            store::DeviceFilter filter;
            if (auto it = r.query.find("serialNumber"); it != r.query.end()) {
              filter.serial_number = it->second;
            }
            if (auto it = r.query.find("groupTag"); it != r.query.end()) {
              filter.group_tag = it->second;
            }
            if (auto it = r.query.find("enrollmentState"); it != r.query.end()) {
              for (int e = 0; e <= static_cast<int>(core::EnrollmentState::kBlocked); ++e) {
                if (core::ToString(static_cast<core::EnrollmentState>(e)) == it->second) {
                  filter.enrollment_state = static_cast<core::EnrollmentState>(e);
                }
              }
              if (!filter.enrollment_state) {
                return ErrorResponse(MakeError(
                    ErrorCode::kInvalidArgument,
                    fmt::format("enrollmentState: unknown state \"{}\" (e.g. notContacted, "
                                "enrolled, failed)",
                                it->second),
                    "enrollmentState"));
              }
            }
            auto listed = s.devices.List(filter, *page);
            if (!listed) return ErrorResponse(listed.error());
            return JsonPage(listed->items, listed->next_after);
          }));
      !st) {
    return st;
  }
  const std::string item = base + "/{id}";
  if (Status st = router.Add("GET", item,
                             Authenticated(s, [&s](const Actor&, const Request&,
                                                   const PathParams& p) {
                               return OkJson(s.devices.Get(p.at("id")));
                             }));
      !st) {
    return st;
  }
  if (Status st = router.Add("PATCH", item,
                             Authenticated(s, [&s](const Actor& actor, const Request& r,
                                                   const PathParams& p) {
                               Result<json::value> body = ParseJsonBody(r);
                               if (!body) return ErrorResponse(body.error());
                               Result<std::optional<int64_t>> if_match = IfMatch(r);
                               if (!if_match) return ErrorResponse(if_match.error());
                               return OkJson(s.devices.Update(actor, p.at("id"), *body, *if_match));
                             }));
      !st) {
    return st;
  }
  if (Status st = router.Add("DELETE", item,
                             Authenticated(s, [&s](const Actor& actor, const Request& r,
                                                   const PathParams& p) {
                               Result<std::optional<int64_t>> if_match = IfMatch(r);
                               if (!if_match) return ErrorResponse(if_match.error());
                               return NoContent(s.devices.Delete(actor, p.at("id"), *if_match));
                             }));
      !st) {
    return st;
  }
  return router.Add("POST", item + "/reprovision",
                    Authenticated(s, [&s](const Actor& actor, const Request&,
                                          const PathParams& p) {
                      return OkJson(s.devices.Reprovision(actor, p.at("id")));
                    }));
}

// "bytes=a-b", "bytes=a-" or "bytes=-n" against a file of `size` bytes -> [first, last].
// nullopt when unsatisfiable; kInvalidArgument for syntax we do not serve (several ranges).
Result<std::optional<std::pair<uint64_t, uint64_t>>> ParseRange(std::string_view header,
                                                                  uint64_t size) {
  using Range = std::optional<std::pair<uint64_t, uint64_t>>;
  constexpr std::string_view kUnit = "bytes=";
  auto bad = [&]() {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Range: expected one range such as bytes=0-1023, bytes=1024- or bytes=-512",
                     "Range");
  };
  if (!header.starts_with(kUnit)) return bad();
  const std::string_view spec = header.substr(kUnit.size());
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return bad();
  auto number = [](std::string_view text, uint64_t& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && end == text.data() + text.size();
  };
  uint64_t first = 0, last = 0;
  if (dash == 0) {  // suffix: the last n bytes
    uint64_t n = 0;
    if (!number(spec.substr(1), n)) return bad();
    if (n == 0 || size == 0) return Range();
    return Range(std::pair{size - std::min(n, size), size - 1});
  }
  if (!number(spec.substr(0, dash), first)) return bad();
  if (dash + 1 == spec.size()) {
    last = size == 0 ? 0 : size - 1;
  } else if (!number(spec.substr(dash + 1), last) || last < first) {
    return bad();
  }
  if (first >= size) return Range();
  return Range(std::pair{first, std::min(last, size - 1)});
}

Status AddContentRoutes(server::Router& router, Services& s) {
  const std::string item = "/v1/content/{sha256}";
  if (Status st = router.Add("PUT", item,
                             Authenticated(s, [&s](const Actor& actor, const Request& r,
                                                   const PathParams& p) {
                               if (Status allowed = service::RequireAdmin(actor); !allowed) {
                                 return ErrorResponse(allowed.error());
                               }
                               Result<bool> created = s.content.Put(p.at("sha256"), r.body);
                               if (!created) return ErrorResponse(created.error());
                               return Json(*created ? 201 : 200,
                                           json::object{{"sha256", p.at("sha256")},
                                                        {"size", r.body.size()}});
                             }));
      !st) {
    return st;
  }
  return router.Add(
      "GET", item,
      Authenticated(s, [&s](const Actor&, const Request& r, const PathParams& p) {
        const std::string& sha256 = p.at("sha256");
        Result<uint64_t> size = s.content.Size(sha256);
        if (!size) return ErrorResponse(size.error());
        uint64_t first = 0, last = *size == 0 ? 0 : *size - 1;
        int status = 200;
        if (const std::string* range = r.headers.Find("Range")) {
          auto parsed = ParseRange(*range, *size);
          if (!parsed) return ErrorResponse(parsed.error());
          if (!*parsed) {
            Response response = ErrorResponse(
                416, MakeError(ErrorCode::kInvalidArgument,
                               fmt::format("Range: outside the content's {} bytes", *size),
                               "Range"));
            response.headers.emplace_back("Content-Range", fmt::format("bytes */{}", *size));
            return response;
          }
          std::tie(first, last) = **parsed;
          status = 206;
        }
        const uint64_t length = *size == 0 ? 0 : last - first + 1;
        Result<std::string> bytes = s.content.Read(sha256, first, length);
        if (!bytes) return ErrorResponse(bytes.error());
        Response response;
        response.status = status;
        response.content_type = "application/octet-stream";
        response.body = std::move(*bytes);
        response.headers.emplace_back("Accept-Ranges", "bytes");
        response.headers.emplace_back("ETag", fmt::format("\"{}\"", sha256));
        if (status == 206) {
          response.headers.emplace_back("Content-Range",
                                        fmt::format("bytes {}-{}/{}", first, last, *size));
        }
        return response;
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

json::object SessionJson(const store::DeploymentSession& session) {
  json::object out{{"id", session.id},
                   {"deviceId", session.device_id},
                   {"flow", session.flow},
                   {"userPrincipalName", session.user_principal_name},
                   {"deploymentState", session.deployment_state},
                   {"startedDateTime", wire::FormatTimestamp(session.started_date_time)}};
  out["finishedDateTime"] = session.finished_date_time
                                ? json::value(wire::FormatTimestamp(*session.finished_date_time))
                                : json::value(nullptr);
  return out;
}

Status AddReportRoutes(server::Router& router, Services& s) {
  if (Status st = router.Add(
          "GET", "/v1/audit",
          Authenticated(s, [&s](const Actor&, const Request& r, const PathParams&) {
            Result<store::PageRequest> page = PageFrom(r);
            if (!page) return ErrorResponse(page.error());
            auto listed = s.store.audit().List(*page);
            if (!listed) return ErrorResponse(listed.error());
            std::vector<json::object> items;
            for (const store::AuditEntry& entry : listed->items) items.push_back(AuditJson(entry));
            return JsonPage(items, listed->next_after);
          }));
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "GET", "/v1/deploymentSessions",
          Authenticated(s, [&s](const Actor&, const Request& r, const PathParams&) {
            Result<store::PageRequest> page = PageFrom(r);
            if (!page) return ErrorResponse(page.error());
            store::SessionFilter filter;
            if (auto it = r.query.find("deviceId"); it != r.query.end()) {
              filter.device_id = it->second;
            }
            auto listed = s.store.sessions().ListSessions(filter, *page);
            if (!listed) return ErrorResponse(listed.error());
            std::vector<json::object> items;
            for (const auto& session : listed->items) items.push_back(SessionJson(session));
            return JsonPage(items, listed->next_after);
          }));
      !st) {
    return st;
  }
  if (Status st = router.Add("GET", "/v1/deploymentSessions/{id}",
                             Authenticated(s, [&s](const Actor&, const Request&,
                                                   const PathParams& p) {
                               auto session = s.store.sessions().GetSession(p.at("id"));
                               if (!session) return ErrorResponse(session.error());
                               return Json(200, SessionJson(*session));
                             }));
      !st) {
    return st;
  }
  return router.Add(
      "GET", "/v1/deploymentSessions/{id}/events",
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

// Admin credentials: list, issue (the token is in the answer, once), revoke.
Status AddCredentialRoutes(server::Router& router, Services& s) {
  if (Status st = router.Add(
          "GET", "/v1/credentials",
          Authenticated(s, [&s](const Actor&, const Request&, const PathParams&) {
            auto listed = s.store.credentials().List();
            if (!listed) return ErrorResponse(listed.error());
            std::vector<json::object> items;
            for (const auto& credential : *listed) items.push_back(CredentialJson(credential));
            return JsonPage(items, "");
          }));
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "POST", "/v1/credentials",
          Authenticated(s, [&s](const Actor& actor, const Request& r, const PathParams&) {
            if (Status allowed = service::RequireAdmin(actor); !allowed) {
              return ErrorResponse(allowed.error());
            }
            Result<json::value> body = ParseJsonBody(r);
            if (!body) return ErrorResponse(body.error());
            const json::object* object = body->if_object();
            const json::value* name = object ? object->if_contains("name") : nullptr;
            const json::value* role = object ? object->if_contains("role") : nullptr;
            if (object == nullptr || name == nullptr || !name->is_string() ||
                (role != nullptr && !role->is_string()) ||
                object->size() != 1u + (role != nullptr ? 1 : 0)) {
              return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                             "body: expected {\"name\": \"...\", \"role\": "
                                             "\"admin\" or \"reader\"}",
                                             "body"));
            }
            std::optional<store::CredentialRole> parsed = store::CredentialRole::kAdmin;
            if (role != nullptr) parsed = store::ParseCredentialRole(role->as_string());
            if (!parsed) {
              return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                             "role: must be \"admin\" or \"reader\"", "role"));
            }
            Result<service::IssuedCredential> issued =
                service::IssueCredential(s.store, std::string(name->as_string()), *parsed,
                                         s.clock());
            if (!issued) return ErrorResponse(issued.error());
            return Json(201, json::object{{"id", issued->id},
                                          {"name", name->as_string()},
                                          {"role", store::ToString(*parsed)},
                                          {"token", issued->token}});
          }));
      !st) {
    return st;
  }
  return router.Add(
      "DELETE", "/v1/credentials/{id}",
      Authenticated(s, [&s](const Actor& actor, const Request&, const PathParams& p) {
        if (Status allowed = service::RequireAdmin(actor); !allowed) {
          return NoContent(allowed);
        }
        return NoContent(s.store.Transact([&]() -> Status {
          if (Status revoked = s.store.credentials().Revoke(p.at("id"), s.clock()); !revoked) {
            return revoked;
          }
          return service::Audit(s.store, actor, s.clock(), "revoke", "credentials", p.at("id"),
                                "");
        }));
      }));
}

}  // namespace

Status AddAdminRoutes(server::Router& router, Services& s) {
  for (ResourceKind kind :
       {ResourceKind::kUser, ResourceKind::kGroup, ResourceKind::kDeploymentProfile,
        ResourceKind::kEspProfile, ResourceKind::kApp, ResourceKind::kPolicy,
        ResourceKind::kCertificateProfile, ResourceKind::kNetworkProfile,
        ResourceKind::kCompliancePolicy, ResourceKind::kAssignment}) {
    if (Status st = AddCatalogRoutes(router, s, kind); !st) return st;
  }
  if (Status st = router.Add("GET", "/v1/tenant",
                             Authenticated(s, [&s](const Actor&, const Request&, const PathParams&) {
                               return OkJson(s.resources.Get(ResourceKind::kTenant, "tenant"));
                             }));
      !st) {
    return st;
  }
  if (Status st = router.Add(
          "PATCH", "/v1/tenant",
          Authenticated(s, [&s](const Actor& actor, const Request& r, const PathParams&) {
            Result<json::value> body = ParseJsonBody(r);
            if (!body) return ErrorResponse(body.error());
            Result<std::optional<int64_t>> if_match = IfMatch(r);
            if (!if_match) return ErrorResponse(if_match.error());
            return OkJson(
                s.resources.Update(actor, ResourceKind::kTenant, "tenant", *body, *if_match));
          }));
      !st) {
    return st;
  }
  if (Status st = router.Add("GET", "/v1/groups/{id}/members",
                             Authenticated(s, [&s](const Actor&, const Request&,
                                                   const PathParams& p) {
                               return OkJson(s.devices.Members(p.at("id")));
                             }));
      !st) {
    return st;
  }
  if (Status st = AddDeviceRoutes(router, s); !st) return st;
  if (Status st = AddContentRoutes(router, s); !st) return st;
  if (Status st = AddReportRoutes(router, s); !st) return st;
  if (Status st = AddCredentialRoutes(router, s); !st) return st;
  if (Status st = router.Add(
          "GET", "/v1/plan",
          Authenticated(s, [&s](const Actor&, const Request& r, const PathParams&) {
            auto serial = r.query.find("serialNumber");
            if (serial == r.query.end() || serial->second.empty()) {
              return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
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
  if (Status st = router.Add(
          "POST", "/v1/apply",
          Authenticated(s, [&s](const Actor& actor, const Request& r, const PathParams&) {
            Result<bool> dry_run = BoolParameter(r, "dryRun");
            if (!dry_run) return ErrorResponse(dry_run.error());
            Result<json::value> body = ParseJsonBody(r);
            if (!body) return ErrorResponse(body.error());
            auto outcome = s.apply.Apply(actor, *body, *dry_run);
            if (!outcome) return ErrorResponse(outcome.error());
            return Json(200, service::ToJson(*outcome));
          }));
      !st) {
    return st;
  }
  return router.Add("GET", "/v1/me",
                    Authenticated(s, [](const Actor& actor, const Request&, const PathParams&) {
                      return Json(200, json::object{{"name", actor.name},
                                                    {"role", store::ToString(actor.role)}});
                    }));
}

}  // namespace groundcrew::api

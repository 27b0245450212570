#include "server/api/console_api.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <charconv>

#include "server/api/admin_access.hpp"
#include "server/api/http_json.hpp"
#include "server/http/error_mapping.hpp"
#include "server/service/console_service.hpp"
#include "wire/console_json.hpp"

namespace groundcrew::api {
namespace {

namespace json = boost::json;
using server::ErrorResponse;
using server::PathParams;
using server::Request;
using server::Response;
using service::Actor;
using service::Services;

constexpr int kDefaultDevicePage = 50;
constexpr int kMaxDevicePage = 500;  ///< `top`; the older `limit` goes to store::kMaxPageSize

const std::string* Parameter(const Request& request, const char* name) {
  auto it = request.query.find(name);
  return it == request.query.end() ? nullptr : &it->second;
}

// `?name=` as a whole number from 1 to `max`; kInvalidArgument naming it otherwise.
Result<std::optional<int>> PageSizeParameter(const Request& request, const char* name, int max) {
  const std::string* text = Parameter(request, name);
  if (text == nullptr) return std::optional<int>();
  int value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 1 || value > max) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: must be a whole number from 1 to {}, not \"{}\"", name, max, *text), name);
  }
  return std::optional<int>(value);
}

// `?orderBy=serialNumber|deviceName|lastDeploymentDateTime`, optionally followed by " desc" or
// " asc" (a '+' in the query is a space).
Status ReadOrder(const Request& request, store::DeviceQuery& query) {
  const std::string* text = Parameter(request, "orderBy");
  if (text == nullptr) return Ok{};
  std::string_view key = *text;
  std::string_view direction;
  if (const size_t space = key.find(' '); space != std::string_view::npos) {
    direction = key.substr(space + 1);
    key = key.substr(0, space);
  }
  const std::optional<store::DeviceOrder> order = store::ParseDeviceOrder(key);
  if (!order || (direction != "" && direction != "asc" && direction != "desc")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("orderBy: unknown order \"{}\" (one of serialNumber, deviceName, "
                                 "lastDeploymentDateTime, each optionally followed by \" desc\")",
                                 *text),
                     "orderBy");
  }
  query.order_by = *order;
  query.descending = direction == "desc";
  return Ok{};
}

// `?enrollmentState=` in Graph's spelling ("enrolled").
Status ReadEnrollmentState(const Request& request, store::DeviceQuery& query) {
  const std::string* text = Parameter(request, "enrollmentState");
  if (text == nullptr) return Ok{};
  for (int e = 0; e <= static_cast<int>(core::EnrollmentState::kBlocked); ++e) {
    if (core::ToString(static_cast<core::EnrollmentState>(e)) == *text) {
      query.enrollment_state = static_cast<core::EnrollmentState>(e);
      return Ok{};
    }
  }
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("enrollmentState: unknown state \"{}\" (e.g. notContacted, "
                               "enrolled, failed)",
                               *text),
                   "enrollmentState");
}

// `?deploymentState=`: a deployment state in Graph's spelling, or notStarted (no session yet).
Status ReadDeploymentState(const Request& request, store::DeviceQuery& query) {
  static const auto* states = [] {
    auto* all = new std::vector<std::string>{std::string(core::DeploymentSummary::kNotStarted)};
    for (int e = 0; e <= static_cast<int>(core::DeploymentState::kSuccessOnRetry); ++e) {
      all->emplace_back(core::ToString(static_cast<core::DeploymentState>(e)));
    }
    return all;
  }();
  Result<std::string> state = ChoiceParameter(request, "deploymentState", *states);
  if (!state) return state.error();
  query.deployment_state = *state;
  return Ok{};
}

// GET /v1/autopilotDevices: the query's parameters (docs/admin-api.md "Listing devices").
Result<service::DeviceListQuery> DeviceListQueryFrom(const Request& request) {
  service::DeviceListQuery list;
  store::DeviceQuery& query = list.store;
  for (auto [name, target] :
       {std::pair{"search", &query.search}, std::pair{"serialNumber", &query.serial_number},
        std::pair{"groupTag", &query.group_tag}, std::pair{"groupId", &list.group_id},
        std::pair{"deploymentProfileId", &list.deployment_profile_id},
        std::pair{"after", &query.after}}) {
    if (const std::string* value = Parameter(request, name)) *target = *value;
  }
  GC_RETURN_IF_ERROR(ReadOrder(request, query));
  GC_RETURN_IF_ERROR(ReadEnrollmentState(request, query));
  GC_RETURN_IF_ERROR(ReadDeploymentState(request, query));
  Result<std::optional<int>> top = PageSizeParameter(request, "top", kMaxDevicePage);
  if (!top) return top.error();
  Result<std::optional<int>> limit = PageSizeParameter(request, "limit", store::kMaxPageSize);
  if (!limit) return limit.error();
  query.limit = top->value_or(limit->value_or(kDefaultDevicePage));
  return list;
}

// A 400 for a rule that does not parse: field "membershipRule", the parser's message, and
// "position" (1-based character) in the error object.
Response RuleSyntaxError(const Error& error) {
  Error named = error;
  named.field = "membershipRule";
  const std::optional<size_t> position = core::rules::ErrorPosition(error);
  named.message = position
                      ? fmt::format("membershipRule: at position {}: {}", *position, error.message)
                      : fmt::format("membershipRule: {}", error.message);
  json::value body = json::parse(server::ErrorJson(named));
  if (position) body.as_object()["error"].as_object()["position"] = *position;
  Response response = Json(server::HttpStatusFor(named.code), body);
  response.reason = named.message;
  return response;
}

// `member` of `body` as a list of strings (absent: empty); kInvalidArgument naming it.
Result<std::vector<std::string>> StringList(const json::object& body, const char* member) {
  std::vector<std::string> out;
  const json::value* value = body.if_contains(member);
  if (value == nullptr) return out;
  const json::array* list = value->if_array();
  if (list == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: must be a list of ids", member),
                     member);
  }
  for (size_t i = 0; i < list->size(); ++i) {
    if (!(*list)[i].is_string()) {
      const std::string field = fmt::format("{}[{}]", member, i);
      return MakeError(ErrorCode::kInvalidArgument, field + ": must be a string", field);
    }
    out.emplace_back((*list)[i].as_string());
  }
  return out;
}

// POST /v1/groups/validateRule.
Response ValidateRuleRoute(Services& s, const Request& r) {
  Result<json::value> body = ParseJsonBody(r);
  if (!body) return ErrorResponse(body.error());
  const json::object* object = body->if_object();
  if (object == nullptr) {
    return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                   "body: expected {\"membershipRule\": \"...\", \"deviceIds\": "
                                   "[...]} or {\"membershipRule\": \"...\", \"userIds\": [...]}",
                                   "body"));
  }
  for (const auto& member : *object) {
    if (member.key() != "membershipRule" && member.key() != "deviceIds" &&
        member.key() != "userIds") {
      const std::string name(member.key());
      return ErrorResponse(MakeError(
          ErrorCode::kInvalidArgument,
          fmt::format("{}: not a member of this request (membershipRule, deviceIds, userIds)",
                      name),
          name));
    }
  }
  service::RuleValidationRequest request;
  const json::value* rule = object->if_contains("membershipRule");
  if (rule == nullptr || !rule->is_string()) {
    return ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                   "membershipRule: required, the rule as text", "membershipRule"));
  }
  request.membership_rule = std::string(rule->as_string());
  Result<std::vector<std::string>> devices = StringList(*object, "deviceIds");
  if (!devices) return ErrorResponse(devices.error());
  Result<std::vector<std::string>> users = StringList(*object, "userIds");
  if (!users) return ErrorResponse(users.error());
  request.device_ids = std::move(*devices);
  request.user_ids = std::move(*users);
  service::ConsoleService console(s.store, s.catalog, s.clock);
  Result<std::vector<wire::RuleSubjectOutcome>> results = console.ValidateRule(request);
  if (!results) {
    if (core::rules::ErrorPosition(results.error())) return RuleSyntaxError(results.error());
    return ErrorResponse(results.error());
  }
  return Json(200, wire::Encode(*results));
}

}  // namespace

Status AddFleetViewRoutes(server::Router& router, Services& s) {
  if (Status st = router.Add("GET", "/v1/autopilotDevices",
                             AdminEndpoint(
                                 s,
                                 [&s](const Actor&, const Request& r, const PathParams&) {
                                   Result<service::DeviceListQuery> query = DeviceListQueryFrom(r);
                                   if (!query) return ErrorResponse(query.error());
                                   auto listed = s.devices.Query(*query);
                                   if (!listed) return ErrorResponse(listed.error());
                                   return JsonPage(listed->items, listed->next_after);
                                 },
                                 server::BodyLimit::kSmall));
      !st) {
    return st;
  }
  if (Status st = router.Add("GET", "/v1/dashboard",
                             AdminEndpoint(
                                 s,
                                 [&s](const Actor&, const Request&, const PathParams&) {
                                   service::ConsoleService console(s.store, s.catalog, s.clock);
                                   Result<core::DashboardFigures> figures = console.Dashboard();
                                   if (!figures) return ErrorResponse(figures.error());
                                   return Json(200, wire::Encode(*figures));
                                 },
                                 server::BodyLimit::kSmall));
      !st) {
    return st;
  }
  return router.Add("POST", "/v1/groups/validateRule",
                    AdminEndpoint(
                        s,
                        [&s](const Actor&, const Request& r, const PathParams&) {
                          return ValidateRuleRoute(s, r);
                        },
                        server::BodyLimit::kSmall));
}

}  // namespace groundcrew::api

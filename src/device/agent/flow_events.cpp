#include "device/agent/flow_events.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <type_traits>

#include "wire/model_json.hpp"

namespace groundcrew::agent {
namespace {

namespace json = boost::json;

Error Bad(std::string_view field) {
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("journal event: {} is missing or mistyped", field),
                   std::string(field));
}

// Readers that leave `out` unchanged and fail naming the field when it is absent or mistyped.
Status Get(const json::object& o, const char* name, std::string& out) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) return Bad(name);
  out = std::string(v->as_string());
  return Ok{};
}
template <class Number>
requires std::is_arithmetic_v<Number> || std::is_enum_v<Number> Status Get(const json::object& o,
                                                                           const char* name,
                                                                           Number& out) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_int64()) return Bad(name);
  out = static_cast<Number>(v->as_int64());
  return Ok{};
}
Status Get(const json::object& o, const char* name, bool& out) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_bool()) return Bad(name);
  out = v->as_bool();
  return Ok{};
}

json::object ProfileJson(const core::ProfileInfo& p) {
  return {
      {"organizationName", p.organization_name},
      {"profileName", p.profile_name},
      {"registrationId", p.registration_id},
      {"assignedUserUpn", p.assigned_user_upn},
      {"greetingName", p.greeting_name},
      {"preprovisioningAllowed", p.preprovisioning_allowed},
      {"privacySettingsHidden", p.privacy_settings_hidden},
      {"eulaHidden", p.eula_hidden},
      {"keyboardSelectionPageSkipped", p.keyboard_selection_page_skipped},
      {"locale", p.locale},
      {"userType", p.user_type == core::WindowsUserType::kStandard ? "standard" : "administrator"}};
}

Status ReadProfile(const json::object& o, core::ProfileInfo& p) {
  GC_RETURN_IF_ERROR(Get(o, "organizationName", p.organization_name));
  GC_RETURN_IF_ERROR(Get(o, "profileName", p.profile_name));
  GC_RETURN_IF_ERROR(Get(o, "registrationId", p.registration_id));
  GC_RETURN_IF_ERROR(Get(o, "assignedUserUpn", p.assigned_user_upn));
  GC_RETURN_IF_ERROR(Get(o, "greetingName", p.greeting_name));
  GC_RETURN_IF_ERROR(Get(o, "preprovisioningAllowed", p.preprovisioning_allowed));
  GC_RETURN_IF_ERROR(Get(o, "privacySettingsHidden", p.privacy_settings_hidden));
  GC_RETURN_IF_ERROR(Get(o, "eulaHidden", p.eula_hidden));
  GC_RETURN_IF_ERROR(Get(o, "keyboardSelectionPageSkipped", p.keyboard_selection_page_skipped));
  GC_RETURN_IF_ERROR(Get(o, "locale", p.locale));
  // Journals written before the user type was kept: Autopilot's default, an administrator.
  std::string user_type;
  if (o.contains("userType")) GC_RETURN_IF_ERROR(Get(o, "userType", user_type));
  p.user_type = user_type == "standard" ? core::WindowsUserType::kStandard
                                        : core::WindowsUserType::kAdministrator;
  return Ok{};
}

Status ReadPlan(const json::object& o, core::EspPlan& plan) {
  const json::value* v = o.if_contains("plan");
  if (v == nullptr) return Bad("plan");
  return wire::Decode(*v, plan);
}

// Fields of each event with fields; events without any need nothing.
void Put(json::object& o, const core::ProfileReceived& e) { o["profile"] = ProfileJson(e.profile); }
void Put(json::object& o, const core::ProfileUnavailable& e) { o["reason"] = e.reason; }
void Put(json::object& o, const core::ItemStarted& e) {
  o["id"] = e.id;
  o["bytesTotal"] = e.bytes_total;
}
void Put(json::object& o, const core::ItemProgress& e) {
  o["id"] = e.id;
  o["bytesDone"] = e.bytes_done;
  o["bytesTotal"] = e.bytes_total;
}
void Put(json::object& o, const core::ItemSucceeded& e) {
  o["id"] = e.id;
  o["reboot"] = static_cast<int>(e.reboot);
}
void Put(json::object& o, const core::ItemFailed& e) {
  o["id"] = e.id;
  o["code"] = e.code;
  o["message"] = e.message;
}
void Put(json::object& o, const core::ItemNeedsRetry& e) {
  o["id"] = e.id;
  o["code"] = e.code;
}
void Put(json::object& o, const core::OptionChosen& e) { o["option"] = static_cast<int>(e.option); }
void Put(json::object& o, const core::PreprovisioningRefused& e) {
  o["code"] = e.error.code;
  o["message"] = e.error.message;
}
void Put(json::object& o, const core::StepSucceeded& e) { o["step"] = static_cast<int>(e.step); }
void Put(json::object& o, const core::StepFailed& e) {
  o["step"] = static_cast<int>(e.step);
  o["code"] = e.code;
  o["message"] = e.message;
}
void Put(json::object& o, const core::TrackingCreated& e) { o["plan"] = wire::Encode(e.plan); }
void Put(json::object& o, const core::SignInSubmitted& e) { o["upn"] = e.upn; }
void Put(json::object& o, const core::SignInRefused& e) {
  o["error"] = static_cast<int>(e.problem.error);
  o["message"] = e.problem.message;
}
void Put(json::object& o, const core::PlanReceived& e) { o["plan"] = wire::Encode(e.plan); }
void Put(json::object& o, const core::ComplianceEvaluated& e) {
  json::array findings;
  for (const core::ComplianceFinding& f : e.result.findings) {
    findings.push_back({{"policy", f.policy},
                        {"setting", f.setting},
                        {"expected", f.expected},
                        {"actual", f.actual}});
  }
  o["state"] = static_cast<int>(e.result.state);
  o["findings"] = std::move(findings);
  o["note"] = e.result.note;
}

Status Take(const json::object& o, core::ProfileReceived& e) {
  const json::value* v = o.if_contains("profile");
  if (v == nullptr || !v->is_object()) return Bad("profile");
  return ReadProfile(v->as_object(), e.profile);
}
Status Take(const json::object& o, core::ProfileUnavailable& e) {
  return Get(o, "reason", e.reason);
}
Status Take(const json::object& o, core::ItemStarted& e) {
  GC_RETURN_IF_ERROR(Get(o, "id", e.id));
  return Get(o, "bytesTotal", e.bytes_total);
}
Status Take(const json::object& o, core::ItemProgress& e) {
  GC_RETURN_IF_ERROR(Get(o, "id", e.id));
  GC_RETURN_IF_ERROR(Get(o, "bytesDone", e.bytes_done));
  return Get(o, "bytesTotal", e.bytes_total);
}
Status Take(const json::object& o, core::ItemSucceeded& e) {
  GC_RETURN_IF_ERROR(Get(o, "id", e.id));
  return Get(o, "reboot", e.reboot);
}
Status Take(const json::object& o, core::ItemFailed& e) {
  GC_RETURN_IF_ERROR(Get(o, "id", e.id));
  GC_RETURN_IF_ERROR(Get(o, "code", e.code));
  return Get(o, "message", e.message);
}
Status Take(const json::object& o, core::ItemNeedsRetry& e) {
  GC_RETURN_IF_ERROR(Get(o, "id", e.id));
  return Get(o, "code", e.code);
}
Status Take(const json::object& o, core::OptionChosen& e) { return Get(o, "option", e.option); }
Status Take(const json::object& o, core::PreprovisioningRefused& e) {
  GC_RETURN_IF_ERROR(Get(o, "code", e.error.code));
  return Get(o, "message", e.error.message);
}
Status Take(const json::object& o, core::StepSucceeded& e) { return Get(o, "step", e.step); }
Status Take(const json::object& o, core::StepFailed& e) {
  GC_RETURN_IF_ERROR(Get(o, "step", e.step));
  GC_RETURN_IF_ERROR(Get(o, "code", e.code));
  return Get(o, "message", e.message);
}
Status Take(const json::object& o, core::TrackingCreated& e) { return ReadPlan(o, e.plan); }
Status Take(const json::object& o, core::SignInSubmitted& e) { return Get(o, "upn", e.upn); }
Status Take(const json::object& o, core::SignInRefused& e) {
  GC_RETURN_IF_ERROR(Get(o, "error", e.problem.error));
  return Get(o, "message", e.problem.message);
}
Status Take(const json::object& o, core::PlanReceived& e) { return ReadPlan(o, e.plan); }
Status Take(const json::object& o, core::ComplianceEvaluated& e) {
  GC_RETURN_IF_ERROR(Get(o, "state", e.result.state));
  GC_RETURN_IF_ERROR(Get(o, "note", e.result.note));
  const json::value* findings = o.if_contains("findings");
  if (findings == nullptr || !findings->is_array()) return Bad("findings");
  for (const json::value& f : findings->as_array()) {
    if (!f.is_object()) return Bad("findings");
    core::ComplianceFinding finding;
    GC_RETURN_IF_ERROR(Get(f.as_object(), "policy", finding.policy));
    GC_RETURN_IF_ERROR(Get(f.as_object(), "setting", finding.setting));
    GC_RETURN_IF_ERROR(Get(f.as_object(), "expected", finding.expected));
    GC_RETURN_IF_ERROR(Get(f.as_object(), "actual", finding.actual));
    e.result.findings.push_back(std::move(finding));
  }
  return Ok{};
}

template <class Event>
concept HasFields = requires(json::object& o, const Event& e) {
  Put(o, e);
};

template <class Variant>
json::object Encode(const Variant& event) {
  return std::visit(
      [](const auto& e) {
        using Event = std::decay_t<decltype(e)>;
        json::object o{{"kind", Event::kName}};
        if constexpr (HasFields<Event>) Put(o, e);
        return o;
      },
      event);
}

// The alternative of `Variant` whose kName is `kind`, read from `o`.
template <class Variant, size_t I = 0>
Result<Variant> DecodeAs(std::string_view kind, const json::object& o) {
  if constexpr (I == std::variant_size_v<Variant>) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("journal event: unknown kind \"{}\"", kind), "kind");
  } else {
    using Event = std::variant_alternative_t<I, Variant>;
    if (kind != Event::kName) return DecodeAs<Variant, I + 1>(kind, o);
    Event event{};
    if constexpr (HasFields<Event>) GC_RETURN_IF_ERROR(Take(o, event));
    return Variant(std::move(event));
  }
}

template <class Variant>
Result<Variant> Decode(const json::object& o) {
  std::string kind;
  GC_RETURN_IF_ERROR(Get(o, "kind", kind));
  return DecodeAs<Variant>(kind, o);
}

}  // namespace

json::object EncodeEvent(const core::TechnicianEvent& event) { return Encode(event); }
json::object EncodeEvent(const core::UserEvent& event) { return Encode(event); }

Result<core::TechnicianEvent> DecodeTechnicianEvent(const json::object& json) {
  return Decode<core::TechnicianEvent>(json);
}
Result<core::UserEvent> DecodeUserEvent(const json::object& json) {
  return Decode<core::UserEvent>(json);
}

}  // namespace groundcrew::agent

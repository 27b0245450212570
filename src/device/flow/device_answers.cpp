#include "device/flow/device_answers.hpp"

#include <fmt/format.h>

#include "wire/model_json.hpp"

namespace groundcrew::device {
namespace {

namespace json = boost::json;

bool Bool(const json::object& o, const char* name) {
  const json::value* v = o.if_contains(name);
  return v != nullptr && v->is_bool() && v->as_bool();
}

}  // namespace

std::string JsonText(const json::value& value, const char* name) {
  if (const json::object* o = value.if_object()) {
    if (const json::value* m = o->if_contains(name); m && m->is_string()) {
      return std::string(m->as_string());
    }
  }
  return "";
}

core::ProfileInfo ProfileOf(const json::object& answer) {
  core::ProfileInfo info;
  info.organization_name = JsonText(answer, "organizationName");
  const json::value* device_member = answer.if_contains("device");
  const json::object* device = device_member != nullptr ? device_member->if_object() : nullptr;
  if (device != nullptr) {
    info.registration_id = JsonText(*device, "id");
    info.assigned_user_upn = JsonText(*device, "userPrincipalName");
    info.greeting_name = JsonText(*device, "addressableUserName");
  }
  const json::value* profile_member = answer.if_contains("deploymentProfile");
  if (const json::object* profile =
          profile_member != nullptr ? profile_member->if_object() : nullptr) {
    info.profile_name = JsonText(*profile, "displayName");
    info.preprovisioning_allowed = Bool(*profile, "preprovisioningAllowed");
    if (std::string locale = JsonText(*profile, "locale"); !locale.empty()) info.locale = locale;
    if (const json::value* oobe = profile->if_contains("outOfBoxExperienceSetting");
        oobe && oobe->is_object()) {
      info.privacy_settings_hidden = Bool(oobe->as_object(), "privacySettingsHidden");
      info.eula_hidden = Bool(oobe->as_object(), "eulaHidden");
      info.keyboard_selection_page_skipped =
          Bool(oobe->as_object(), "keyboardSelectionPageSkipped");
      // Autopilot's default is an administrator: only "standard" makes a standard user.
      if (JsonText(*oobe, "userType") == "standard") {
        info.user_type = core::WindowsUserType::kStandard;
      }
    }
  }
  return info;
}

core::SignInError SignInErrorOf(std::string_view reason) {
  if (reason == "notAssignedUser") return core::SignInError::kNotAssignedUser;
  if (reason == "outsideMdmScope") return core::SignInError::kOutsideMdmScope;
  if (reason == "joinNotAllowed") return core::SignInError::kJoinNotAllowed;
  if (reason == "disabled") return core::SignInError::kDisabled;
  if (reason == "unlicensed") return core::SignInError::kUnlicensed;
  if (reason == "accountLocked") return core::SignInError::kLockedOut;
  return core::SignInError::kInvalidCredentials;
}

Error ServiceError(int http_status, const json::value& body) {
  ErrorCode code = ErrorCode::kUnavailable;
  switch (http_status) {
    case 400:
      code = ErrorCode::kInvalidArgument;
      break;
    case 401:
      code = ErrorCode::kUnauthenticated;
      break;
    case 403:
      code = ErrorCode::kPermissionDenied;
      break;
    case 404:
      code = ErrorCode::kNotFound;
      break;
    case 409:
      code = ErrorCode::kFailedPrecondition;
      break;
    default:
      break;
  }
  std::string message = fmt::format("the service answered {}", http_status);
  std::string field;
  if (const json::object* o = body.if_object()) {
    if (const json::value* error = o->if_contains("error"); error && error->is_object()) {
      message = JsonText(*error, "message");
      field = JsonText(*error, "field");
    } else if (std::string m = JsonText(body, "message"); !m.empty()) {
      message = m;
    }
  }
  return MakeError(code, message, field);
}

SignInAnswer ReadSignInAnswer(int http_status, const json::value& body) {
  SignInAnswer answer;
  const std::string status = JsonText(body, "status");
  if (http_status >= 200 && http_status < 300 && status == "signedIn") {
    answer.kind = SignInAnswer::Kind::kSignedIn;
    answer.token = JsonText(body, "token");
  } else if (status == "mfaRequired" || status == "mfaRegistrationRequired") {
    answer.kind = status == "mfaRequired" ? SignInAnswer::Kind::kMfaRequired
                                          : SignInAnswer::Kind::kMfaRegistrationRequired;
    answer.challenge_id = JsonText(body, "challengeId");
    answer.otpauth_uri = JsonText(body, "otpauthUri");
    answer.qr_text = JsonText(body, "qrText");
  } else if (status == "refused") {
    answer.problem = {SignInErrorOf(JsonText(body, "reason")), JsonText(body, "message")};
  } else {
    const Error error = ServiceError(http_status, body);
    if (http_status == 401 && error.field == "code") answer.kind = SignInAnswer::Kind::kCodeRefused;
    answer.problem = {core::SignInError::kInvalidCredentials, error.message};
  }
  return answer;
}

Result<Deployment> ReadDeployment(const json::value& answer) {
  const json::object* o = answer.if_object();
  if (o == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument, "the deployment is not a JSON object",
                     "deployment");
  }
  Deployment deployment;
  const json::value* plan = o->if_contains("plan");
  if (plan == nullptr) return MakeError(ErrorCode::kInvalidArgument, "no plan", "plan");
  if (Status decoded = wire::Decode(*plan, deployment.plan); !decoded) return decoded.error();
  const json::value* payloads = o->if_contains("payloads");
  if (payloads == nullptr || !payloads->is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "no payloads object", "payloads");
  }
  deployment.payloads = payloads->as_object();
  if (const json::value* policies = o->if_contains("compliancePolicies");
      policies != nullptr && policies->is_array()) {
    deployment.compliance_policies = policies->as_array();
  }
  return deployment;
}

}  // namespace groundcrew::device

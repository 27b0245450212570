#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/esp/plan.hpp"
#include "core/flow/flow_common.hpp"
#include "core/flow/user_flow.hpp"

// What the device API's answers (docs/device-api.md) mean to the flows, and what a device sends
// about itself. Pure; shared by the agent and the fleet simulator.
namespace groundcrew::device {

/// The string member `name` of `value` when it is an object holding a string there; "" else.
std::string JsonText(const boost::json::value& value, const char* name);

/// The profile as the device sees it, from the answer of GET /v1/agent/devices/{id}
/// (organizationName, device, deploymentProfile). Members that are absent or mistyped keep
/// ProfileInfo's defaults.
core::ProfileInfo ProfileOf(const boost::json::object& device_answer);

/// The sign-in page's error for a refusal `reason` of POST .../signIn ("notAssignedUser",
/// "accountLocked", ...); anything else is kInvalidCredentials.
core::SignInError SignInErrorOf(std::string_view reason);

/// The error an answer that is not 2xx stands for: the service's own message and field (from
/// `{"error": {"message", "field"}}`, or a top-level "message"), with a code from the HTTP
/// status (400 kInvalidArgument, 401 kUnauthenticated, 403 kPermissionDenied, 404 kNotFound,
/// 409 kFailedPrecondition, anything else kUnavailable).
Error ServiceError(int http_status, const boost::json::value& body);

/// What an answer of POST .../signIn or .../signIn/{challengeId} means to the user flow.
struct SignInAnswer {
  enum class Kind {
    kSignedIn,                 ///< `token` is the user's token
    kMfaRequired,              ///< `challenge_id` waits for a code
    kMfaRegistrationRequired,  ///< the same, for a new authenticator (`otpauth_uri`, `qr_text`)
    kCodeRefused,              ///< the MFA code was wrong (401 naming "code"): ask again
    kRefused,                  ///< `problem` says why (a wrong password is kInvalidCredentials)
  };
  Kind kind = Kind::kRefused;
  std::string token;
  std::string challenge_id;
  std::string otpauth_uri;
  std::string qr_text;
  core::SignInProblem problem;
};

/// Reads the service's answer to a sign-in step (docs/device-api.md, "Sign-in").
SignInAnswer ReadSignInAnswer(int http_status, const boost::json::value& body);

/// What POST .../deployment answers: the plan of the flow, the payloads its items refer to (as
/// the service sent them, for the executors) and the compliance policies checked at the end.
struct Deployment {
  core::EspPlan plan;
  boost::json::object payloads;
  boost::json::array compliance_policies;
};

/// kInvalidArgument naming the member when the answer is not a deployment.
[[nodiscard]] Result<Deployment> ReadDeployment(const boost::json::value& answer);

}  // namespace groundcrew::device

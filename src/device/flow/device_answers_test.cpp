#include "device/flow/device_answers.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace groundcrew::device {
namespace {

namespace json = boost::json;

TEST(ReadSignInAnswer, ReadsEveryAnswerOfTheService) {
  SignInAnswer mfa =
      ReadSignInAnswer(200, json::parse(R"({"status":"mfaRegistrationRequired","challengeId":"c1",
                          "otpauthUri":"otpauth://totp/x?secret=AB","qrText":"##"})"));
  EXPECT_EQ(mfa.kind, SignInAnswer::Kind::kMfaRegistrationRequired);
  EXPECT_EQ(mfa.challenge_id, "c1");
  EXPECT_EQ(mfa.otpauth_uri, "otpauth://totp/x?secret=AB");

  SignInAnswer signed_in =
      ReadSignInAnswer(200, json::parse(R"({"status":"signedIn","token":"t"})"));
  EXPECT_EQ(signed_in.kind, SignInAnswer::Kind::kSignedIn);
  EXPECT_EQ(signed_in.token, "t");

  SignInAnswer refused = ReadSignInAnswer(
      403, json::parse(R"({"status":"refused","reason":"accountLocked","message":"locked"})"));
  EXPECT_EQ(refused.kind, SignInAnswer::Kind::kRefused);
  EXPECT_EQ(refused.problem.error, core::SignInError::kLockedOut);
  EXPECT_EQ(refused.problem.message, "locked");

  SignInAnswer wrong_password = ReadSignInAnswer(
      401,
      json::parse(R"({"error":{"code":"unauthenticated","message":"wrong","field":"password"}})"));
  EXPECT_EQ(wrong_password.kind, SignInAnswer::Kind::kRefused);
  EXPECT_EQ(wrong_password.problem.error, core::SignInError::kInvalidCredentials);
  EXPECT_EQ(wrong_password.problem.message, "wrong");

  SignInAnswer wrong_code = ReadSignInAnswer(
      401,
      json::parse(R"({"error":{"code":"unauthenticated","message":"bad code","field":"code"}})"));
  EXPECT_EQ(wrong_code.kind, SignInAnswer::Kind::kCodeRefused);
}

TEST(ProfileOf, KeepsTheDefaultsOfWhatIsAbsentOrMistyped) {
  const core::ProfileInfo empty = ProfileOf(json::object{});
  EXPECT_EQ(empty, core::ProfileInfo{});
  const core::ProfileInfo profile = ProfileOf(json::parse(R"({
    "organizationName": "Contoso", "device": "not an object",
    "deploymentProfile": {"displayName": "Depot", "preprovisioningAllowed": true,
                          "outOfBoxExperienceSetting": {"privacySettingsHidden": true}}})")
                                                  .as_object());
  EXPECT_EQ(profile.organization_name, "Contoso");
  EXPECT_EQ(profile.registration_id, "");
  EXPECT_EQ(profile.profile_name, "Depot");
  EXPECT_TRUE(profile.preprovisioning_allowed);
  EXPECT_TRUE(profile.privacy_settings_hidden);
  EXPECT_EQ(profile.user_type, core::WindowsUserType::kAdministrator);  // Autopilot's default
  const core::ProfileInfo standard = ProfileOf(json::parse(R"({"deploymentProfile":
      {"outOfBoxExperienceSetting": {"userType": "standard"}}})")
                                                   .as_object());
  EXPECT_EQ(standard.user_type, core::WindowsUserType::kStandard);
}

TEST(ReadDeployment, NamesWhatIsMissing) {
  EXPECT_EQ(ReadDeployment(json::parse("[]")).error().field, "deployment");
  EXPECT_EQ(ReadDeployment(json::parse("{}")).error().field, "plan");
  EXPECT_EQ(ServiceError(404, json::parse(R"({"error":{"message":"gone","field":"id"}})")).code,
            ErrorCode::kNotFound);
  EXPECT_EQ(ServiceError(502, json::parse("null")).message, "the service answered 502");
}

}  // namespace
}  // namespace groundcrew::device

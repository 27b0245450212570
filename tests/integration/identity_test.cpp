// Identity and device trust over HTTP, against the real groundcrewd (issue 4): device proof,
// join, enrollment and reseal; sign-in with MFA (codes from oathtool, an independent TOTP
// client); refusals; lockout and its expiry on a test clock; token expiry and revocation;
// cross-device access; HTTPS with a certificate from the tenant's CA.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>

#include "common/base64.hpp"
#include "identity/ca.hpp"
#include "identity/device_key.hpp"
#include "identity/sha256.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/test_clock.hpp"

namespace groundcrew::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// Base32 of 20 bytes: adele's authenticator seed.
constexpr const char* kAdeleSeed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
constexpr const char* kPassword = "correct horse battery staple 42";

constexpr const char* kTenant = R"(
tenant: {organizationName: Contoso, domain: contoso.com, mfaRequirement: allUsers}
users:
  - {userPrincipalName: adele.vance@contoso.com, displayName: Adele Vance}
  - {userPrincipalName: megan.bowen@contoso.com, displayName: Megan Bowen}
  - {userPrincipalName: disabled.user@contoso.com, displayName: Disabled, accountEnabled: false}
  - {userPrincipalName: unlicensed.user@contoso.com, displayName: Unlicensed, licensed: false}
groups:
  - displayName: All Autopilot devices
    membershipRule: '(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]"))'
deploymentProfiles:
  - displayName: Pre-provisioned
    preprovisioningAllowed: true
    deviceNameTemplate: CON-%SERIAL%
    assignments: [{group: All Autopilot devices}]
apps:
  - displayName: Runtime
    displayVersion: "1.0"
    installContext: device
    installCommandLine: sh install.sh
    content: {file: install.sh}
    assignments: [{group: All Autopilot devices, intent: required}]
)";

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = temp_.path() / "var";
    // The test clock starts at the wall clock's time (the CA that `groundcrew init` makes is
    // valid from then on) and moves only when a test moves it.
    now_ = clock_.now().time_since_epoch().count();
    CommandResult init = RunCommand({GroundcrewPath(), "init", "--data-dir", data_dir_.string(),
                                     "--organization", "Contoso", "--domain", "contoso.com"});
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(init.out, match, std::regex("gcadm_[A-Za-z0-9_-]+")));
    admin_ = match.str();
    StartDaemon({});
    std::ofstream(temp_.path() / "install.sh") << "#!/bin/sh\necho installed\n";
    std::ofstream(temp_.path() / "tenant.yaml") << kTenant;
    CommandResult applied = Cli({"apply", "-f", (temp_.path() / "tenant.yaml").string()});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;

    Register("GC-A", "adele.vance@contoso.com");
    Register("GC-B", "");
    for (const char* upn : {"adele.vance@contoso.com", "megan.bowen@contoso.com",
                            "disabled.user@contoso.com", "unlicensed.user@contoso.com"}) {
      HttpResult set = Admin("PUT", "/v1/users/" + UserId(upn) + "/password",
                             json::serialize(json::object{{"password", kPassword}}));
      ASSERT_EQ(set.status, 204) << set.body;
    }
    HttpResult enrolled = Admin("POST", "/v1/users/" + UserId("adele.vance@contoso.com") + "/mfa",
                                json::serialize(json::object{{"secret", kAdeleSeed}}));
    ASSERT_EQ(enrolled.status, 201) << enrolled.body;
  }

  void StartDaemon(std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "--test-clock", clock_.path().string(), "--lockout-threshold", "3", "--log-level", "debug"};
    args.insert(args.end(), extra.begin(), extra.end());
    daemon_ = std::make_unique<Daemon>(data_dir_, args);
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  }

  void SetClock(long long unix_seconds) {
    now_ = unix_seconds;
    clock_.Set(Timestamp(std::chrono::seconds(unix_seconds)));
  }

  HttpResult Admin(const std::string& method, const std::string& target,
                   const std::string& body = "") {
    return Http(daemon_->port(), method, target, body, {{"Authorization", "Bearer " + admin_}});
  }

  HttpResult As(const std::string& token, const std::string& method, const std::string& target,
                const std::string& body = "") {
    return Http(daemon_->port(), method, target, body, {{"Authorization", "Bearer " + token}});
  }

  CommandResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), GroundcrewPath());
    return RunCommand(args, {{"GROUNDCREW_SERVER", daemon_->url()},
                             {"GROUNDCREW_TOKEN", admin_},
                             {"XDG_CONFIG_HOME", (temp_.path() / "config").string()},
                             {"NO_COLOR", "1"}});
  }

  fs::path StateOf(const std::string& serial) { return temp_.path() / ("agent-" + serial); }

  // The device's own registration row (groundcrew-agent hwid), imported.
  void Register(const std::string& serial, const std::string& user) {
    std::vector<std::string> hwid = {
        AgentPath(), "hwid",  "--state",        StateOf(serial).string(),
        "--serial",  serial,  "--manufacturer", "Contoso",
        "--model",   "Laptop"};
    if (!user.empty()) hwid.insert(hwid.end(), {"--assigned-user", user});
    CommandResult row = RunCommand(hwid);
    ASSERT_EQ(row.exit_code, 0) << row.err;
    HttpResult imported = Admin("POST", "/v1/autopilotDevices/import", row.out);
    ASSERT_EQ(imported.status, 200) << imported.body;
    ASSERT_EQ(json::parse(imported.body).at("imported"), 1) << imported.body;
    ids_[serial] =
        std::string(json::parse(imported.body).at("rows").as_array()[0].at("id").as_string());
  }

  std::string UserId(const std::string& upn) {
    json::value users = json::parse(Admin("GET", "/v1/users").body);
    for (const json::value& user : users.at("value").as_array()) {
      if (user.at("userPrincipalName").as_string() == upn)
        return std::string(user.at("id").as_string());
    }
    ADD_FAILURE() << "no user " << upn;
    return "";
  }

  // A proof with the key in `key_state` for `serial`: {status, body}.
  HttpResult Prove(const std::string& serial, const fs::path& key_state) {
    HttpResult nonce = Http(daemon_->port(), "POST", "/v1/agent/nonce",
                            json::serialize(json::object{{"serialNumber", serial}}));
    EXPECT_EQ(nonce.status, 200) << nonce.body;
    const json::value challenge = json::parse(nonce.body);
    const std::string text(challenge.at("nonce").as_string());
    const std::string audience(challenge.at("audience").as_string());
    auto key = identity::FileDeviceKey::OpenOrCreate(key_state);
    EXPECT_TRUE(key);
    auto signature = (*key)->Sign(identity::ProofMessage(text, serial, audience));
    EXPECT_TRUE(signature);
    const std::string raw(signature->begin(), signature->end());
    return Http(
        daemon_->port(), "POST", "/v1/agent/token",
        json::serialize(json::object{
            {"serialNumber", serial}, {"nonce", text}, {"signature", base64::Encode(raw)}}));
  }

  std::string DeviceToken(const std::string& serial) {
    HttpResult proved = Prove(serial, StateOf(serial));
    EXPECT_EQ(proved.status, 200) << proved.body;
    return proved.status == 200 ? std::string(json::parse(proved.body).at("token").as_string())
                                : "";
  }

  std::string Totp(const std::string& seed_base32) {
    CommandResult code = RunCommand(
        {"/usr/bin/oathtool", "--totp", "-b", "--now", "@" + std::to_string(now_), seed_base32});
    EXPECT_EQ(code.exit_code, 0) << code.err;
    return code.out.substr(0, 6);
  }

  std::string DevicePath(const std::string& serial, const std::string& rest = "") {
    return "/v1/agent/devices/" + ids_[serial] + rest;
  }

  HttpResult SignIn(const std::string& device_token, const std::string& serial,
                    const std::string& upn, const std::string& password) {
    return As(device_token, "POST", DevicePath(serial, "/signIn"),
              json::serialize(json::object{{"userPrincipalName", upn}, {"password", password}}));
  }

  HttpResult Answer(const std::string& device_token, const std::string& serial,
                    const json::value& step, const std::string& code) {
    return As(device_token, "POST",
              DevicePath(serial, "/signIn/" + std::string(step.at("challengeId").as_string())),
              json::serialize(json::object{{"code", code}}));
  }

  // Password, then the code from `seed`: the user token.
  std::string SignInWithMfa(const std::string& device_token, const std::string& serial,
                            const std::string& upn, const std::string& seed) {
    HttpResult first = SignIn(device_token, serial, upn, kPassword);
    EXPECT_EQ(first.status, 200) << first.body;
    const json::value step = json::parse(first.body);
    EXPECT_EQ(step.at("status"), "mfaRequired") << first.body;
    HttpResult second = Answer(device_token, serial, step, Totp(seed));
    EXPECT_EQ(second.status, 200) << second.body;
    const json::value done = json::parse(second.body);
    EXPECT_EQ(done.at("status"), "signedIn");
    return std::string(done.at("token").as_string());
  }

  static std::string Field(const HttpResult& result) {
    const json::value body = json::parse(result.body);
    return std::string(body.at("error").at("field").as_string());
  }

  TempDir temp_;
  fs::path data_dir_;
  test_support::TestClock clock_;
  long long now_ = 0;
  std::string admin_;
  std::unique_ptr<Daemon> daemon_;
  std::map<std::string, std::string> ids_;  // serial -> registration id
};

TEST_F(IdentityTest, TechnicianFlowCredentialsThenUserFlowAtOnce) {
  const std::string device = DeviceToken("GC-A");
  HttpResult joined = As(device, "POST", DevicePath("GC-A", "/join"));
  ASSERT_EQ(joined.status, 200) << joined.body;
  const json::value join = json::parse(joined.body);
  EXPECT_EQ(join.at("trustType"), "AzureAd");
  EXPECT_EQ(join.at("displayName"), "CON-GC-A");
  EXPECT_EQ(join.at("devicePhysicalIds").as_array()[0].as_string(), "[ZTDId]:" + ids_["GC-A"]);

  auto key = identity::GenerateP256KeyPem();
  ASSERT_TRUE(key);
  auto csr = identity::MakeCsr(*key, "GC-A");
  ASSERT_TRUE(csr);
  HttpResult enrolled = As(device, "POST", DevicePath("GC-A", "/enroll"),
                           json::serialize(json::object{{"csr", *csr}}));
  ASSERT_EQ(enrolled.status, 200) << enrolled.body;
  const json::value enrollment = json::parse(enrolled.body);
  // The certificate chains to the tenant's CA (checked by OpenSSL's own command).
  std::ofstream(temp_.path() / "device.pem") << enrollment.at("certificate").as_string().c_str();
  std::ofstream(temp_.path() / "ca.pem") << enrollment.at("caCertificate").as_string().c_str();
  CommandResult verified =
      RunCommand({"/usr/bin/openssl", "verify", "-attime", std::to_string(now_ + 3600), "-CAfile",
                  (temp_.path() / "ca.pem").string(), (temp_.path() / "device.pem").string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  std::ifstream stored_ca(data_dir_ / "secrets" / "ca.crt");
  EXPECT_EQ(enrollment.at("caCertificate").as_string(),
            std::string((std::istreambuf_iterator<char>(stored_ca)), {}));
  json::value registration = json::parse(Admin("GET", "/v1/autopilotDevices/" + ids_["GC-A"]).body);
  EXPECT_EQ(registration.at("enrollmentState"), "enrolled");
  EXPECT_EQ(registration.at("managedDeviceId"), enrollment.at("managedDeviceId"));

  HttpResult resealed = As(device, "POST", DevicePath("GC-A", "/reseal"));
  ASSERT_EQ(resealed.status, 200) << resealed.body;
  const json::value reseal = json::parse(resealed.body);
  EXPECT_EQ(reseal.at("userFlowAvailableDateTime"), reseal.at("resealedDateTime"));
  // Valid for at least 180 days: the user flow may start any time until then.
  EXPECT_EQ(reseal.at("credentialsValidUntil"), enrollment.at("certificateExpirationDateTime"));
  const json::value until = reseal.at("credentialsValidUntil");
  const json::value issued = reseal.at("resealedDateTime");
  CommandResult days =
      RunCommand({"/bin/sh", "-c",
                  "echo $(( ($(date -d " + std::string(until.as_string()) + " +%s) - $(date -d " +
                      std::string(issued.as_string()) + " +%s)) / 86400 ))"});
  EXPECT_GE(std::stoi(days.out), 180) << until << " " << issued;

  // A resealed device does not enroll again until an admin reprovisions it (0x80180014).
  HttpResult again = As(device, "POST", DevicePath("GC-A", "/enroll"),
                        json::serialize(json::object{{"csr", *csr}}));
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(again.body.find("0x80180014"), std::string::npos) << again.body;

  // The same second: the user flow proves the key again and signs in. No pause.
  const std::string fresh = DeviceToken("GC-A");
  const std::string user = SignInWithMfa(fresh, "GC-A", "adele.vance@contoso.com", kAdeleSeed);
  HttpResult me = As(user, "GET", "/v1/agent/me");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(json::parse(me.body).at("userPrincipalName"), "adele.vance@contoso.com");
  EXPECT_EQ(json::parse(me.body).at("deviceId").as_string(), ids_["GC-A"]);
}

TEST_F(IdentityTest, SignInRefusalsSayWhy) {
  const std::string a = DeviceToken("GC-A");
  const std::string b = DeviceToken("GC-B");
  auto refused = [&](const HttpResult& result, const std::string& reason) {
    EXPECT_EQ(result.status, 403) << result.body;
    const json::value body = json::parse(result.body);
    EXPECT_EQ(body.at("status"), "refused") << result.body;
    EXPECT_EQ(body.at("reason").as_string(), reason) << result.body;
    return std::string(body.at("message").as_string());
  };
  const std::string other =
      refused(SignIn(a, "GC-A", "megan.bowen@contoso.com", kPassword), "notAssignedUser");
  EXPECT_NE(other.find("adele.vance@contoso.com"), std::string::npos) << other;
  refused(SignIn(b, "GC-B", "disabled.user@contoso.com", kPassword), "disabled");
  const std::string unlicensed =
      refused(SignIn(b, "GC-B", "unlicensed.user@contoso.com", kPassword), "unlicensed");
  EXPECT_NE(unlicensed.find("license"), std::string::npos) << unlicensed;

  HttpResult scope = Admin("PATCH", "/v1/tenant", R"({"mdmUserScope": "none"})");
  ASSERT_EQ(scope.status, 200) << scope.body;
  refused(SignIn(b, "GC-B", "megan.bowen@contoso.com", kPassword), "outsideMdmScope");
  ASSERT_EQ(
      Admin("PATCH", "/v1/tenant", R"({"mdmUserScope": "all", "deviceJoinScope": "none"})").status,
      200);
  refused(SignIn(b, "GC-B", "megan.bowen@contoso.com", kPassword), "joinNotAllowed");

  // A wrong password and an unknown user get the same answer.
  HttpResult wrong = SignIn(b, "GC-B", "megan.bowen@contoso.com", "not the password at all");
  HttpResult unknown = SignIn(b, "GC-B", "nobody@contoso.com", kPassword);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(json::parse(wrong.body).at("error"), json::parse(unknown.body).at("error"));
  EXPECT_EQ(Field(wrong), "password");
}

TEST_F(IdentityTest, CodesAreAcceptedOnceAndFailuresLockTheAccountUntilTheLockExpires) {
  const std::string a = DeviceToken("GC-A");
  SignInWithMfa(a, "GC-A", "adele.vance@contoso.com", kAdeleSeed);
  // The same code again (same 30-second step): replay refused, and counted.
  HttpResult again = SignIn(a, "GC-A", "adele.vance@contoso.com", kPassword);
  ASSERT_EQ(again.status, 200) << again.body;
  HttpResult replay = Answer(a, "GC-A", json::parse(again.body), Totp(kAdeleSeed));
  EXPECT_EQ(replay.status, 401) << replay.body;
  EXPECT_EQ(Field(replay), "code");
  // Two wrong passwords make three failures (threshold 3): locked, even for the right one.
  EXPECT_EQ(SignIn(a, "GC-A", "adele.vance@contoso.com", "wrong password one").status, 401);
  EXPECT_EQ(SignIn(a, "GC-A", "adele.vance@contoso.com", "wrong password two").status, 401);
  HttpResult locked = SignIn(a, "GC-A", "adele.vance@contoso.com", kPassword);
  EXPECT_EQ(locked.status, 403) << locked.body;
  EXPECT_EQ(json::parse(locked.body).at("reason"), "accountLocked");
  json::value state =
      json::parse(Admin("GET", "/v1/users/" + UserId("adele.vance@contoso.com") + "/signIn").body);
  EXPECT_FALSE(state.at("lockedUntil").is_null()) << state;

  // 15 minutes later (the default lock) the lock has expired.
  SetClock(now_ + 15 * 60 - 1);
  const std::string later = DeviceToken("GC-A");
  EXPECT_EQ(SignIn(later, "GC-A", "adele.vance@contoso.com", kPassword).status, 403);
  SetClock(now_ + 1);
  const std::string after = DeviceToken("GC-A");
  SignInWithMfa(after, "GC-A", "adele.vance@contoso.com", kAdeleSeed);
}

TEST_F(IdentityTest, UsersWithoutMfaRegisterAtTheirFirstSignIn) {
  const std::string b = DeviceToken("GC-B");
  HttpResult first = SignIn(b, "GC-B", "megan.bowen@contoso.com", kPassword);
  ASSERT_EQ(first.status, 200) << first.body;
  const json::value step = json::parse(first.body);
  ASSERT_EQ(step.at("status"), "mfaRegistrationRequired");
  EXPECT_EQ(std::string(step.at("qrSvg").as_string()).rfind("<svg", 0), 0u);
  std::smatch secret;
  const std::string uri(step.at("otpauthUri").as_string());
  ASSERT_TRUE(std::regex_search(uri, secret, std::regex("secret=([A-Z2-7]+)"))) << uri;
  HttpResult done = Answer(b, "GC-B", step, Totp(secret[1].str()));
  ASSERT_EQ(done.status, 200) << done.body;
  // Enrolled now: the next sign-in asks for a code, with the seed just registered.
  SetClock(now_ + 30);
  SignInWithMfa(b, "GC-B", "megan.bowen@contoso.com", secret[1].str());
  // An admin's MFA reset makes her register again and revokes her tokens.
  SetClock(now_ + 30);
  const std::string user = SignInWithMfa(b, "GC-B", "megan.bowen@contoso.com", secret[1].str());
  EXPECT_EQ(As(user, "GET", "/v1/agent/me").status, 200);
  ASSERT_EQ(Admin("DELETE", "/v1/users/" + UserId("megan.bowen@contoso.com") + "/mfa").status, 204);
  EXPECT_EQ(As(user, "GET", "/v1/agent/me").status, 401);
  HttpResult again = SignIn(b, "GC-B", "megan.bowen@contoso.com", kPassword);
  EXPECT_EQ(json::parse(again.body).at("status"), "mfaRegistrationRequired");
}

TEST_F(IdentityTest, WithoutAnMfaRequirementThePasswordSignsIn) {
  ASSERT_EQ(Admin("PATCH", "/v1/tenant", R"({"mfaRequirement": "none"})").status, 200);
  const std::string b = DeviceToken("GC-B");
  EXPECT_EQ(SignIn(b, "GC-B", "megan.bowen@contoso.com", "not the password at all").status, 401);
  HttpResult signed_in = SignIn(b, "GC-B", "megan.bowen@contoso.com", kPassword);
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  EXPECT_EQ(json::parse(signed_in.body).at("status"), "signedIn");
  json::value state =
      json::parse(Admin("GET", "/v1/users/" + UserId("megan.bowen@contoso.com") + "/signIn").body);
  EXPECT_EQ(state.at("recentFailures"), 0) << "a success clears earlier failures";
  // Enrolled users still answer a code: the requirement decides only who must register.
  HttpResult adele = SignIn(DeviceToken("GC-A"), "GC-A", "adele.vance@contoso.com", kPassword);
  EXPECT_EQ(json::parse(adele.body).at("status"), "mfaRequired") << adele.body;
}

TEST_F(IdentityTest, ForgedExpiredWrongAudienceAndRevokedTokensAreRefused) {
  const std::string device = DeviceToken("GC-A");
  const std::string own = DevicePath("GC-A");
  ASSERT_EQ(As(device, "GET", own).status, 200);
  std::string forged = device;
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(As(forged, "GET", own).status, 401);
  EXPECT_EQ(As(admin_, "GET", own).status, 401);             // an admin credential is not a device
  EXPECT_EQ(As(device, "GET", "/v1/agent/me").status, 401);  // a device token is not a user's
  EXPECT_EQ(Http(daemon_->port(), "GET", own).status, 401);
  const std::string user = SignInWithMfa(device, "GC-A", "adele.vance@contoso.com", kAdeleSeed);
  EXPECT_EQ(As(user, "GET", own).status, 401);  // a user token is not a device's

  // Device tokens last 15 minutes.
  SetClock(now_ + 15 * 60);
  EXPECT_EQ(As(device, "GET", own).status, 401);
  EXPECT_EQ(As(user, "GET", "/v1/agent/me").status, 200);  // user tokens last an hour

  // Reprovisioning revokes everything issued on the device.
  const std::string fresh = DeviceToken("GC-A");
  ASSERT_EQ(As(fresh, "GET", own).status, 200);
  ASSERT_EQ(Admin("POST", "/v1/autopilotDevices/" + ids_["GC-A"] + "/reprovision").status, 200);
  EXPECT_EQ(As(fresh, "GET", own).status, 401);
  EXPECT_EQ(As(user, "GET", "/v1/agent/me").status, 401);
  // A restart keeps the signing keys: a token issued before it still verifies.
  const std::string before = DeviceToken("GC-A");
  ASSERT_EQ(daemon_->Stop(), 0);
  StartDaemon({});
  EXPECT_EQ(As(before, "GET", own).status, 200);
}

TEST_F(IdentityTest, ADeviceReadsOnlyItsOwnRegistrationPlanAndContent) {
  const std::string a = DeviceToken("GC-A");
  for (const std::string rest : {"", "/plan", "/join", "/reseal"}) {
    const std::string method = rest == "/join" || rest == "/reseal" ? "POST" : "GET";
    HttpResult other = As(a, method, DevicePath("GC-B", rest));
    EXPECT_EQ(other.status, 404) << rest << ": " << other.body;
    EXPECT_EQ(other.body.find("GC-B"), std::string::npos) << other.body;
  }
  HttpResult plan = As(a, "GET", DevicePath("GC-A", "/plan"));
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_EQ(json::parse(plan.body).at("serialNumber"), "GC-A");
  HttpResult mine = As(a, "GET", DevicePath("GC-A"));
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(json::parse(mine.body).at("deploymentProfile").at("displayName"), "Pre-provisioned");

  std::ifstream script(temp_.path() / "install.sh");
  const std::string bytes((std::istreambuf_iterator<char>(script)), {});
  const std::string sha = identity::Sha256Hex(bytes);
  HttpResult content = As(a, "GET", DevicePath("GC-A", "/content/" + sha));
  EXPECT_EQ(content.status, 200) << content.body;
  EXPECT_EQ(content.body, bytes);
  EXPECT_EQ(As(a, "GET", DevicePath("GC-B", "/content/" + sha)).status, 404);
  EXPECT_EQ(As(a, "GET", DevicePath("GC-A", "/content/" + std::string(64, 'a'))).status, 404);
}

TEST_F(IdentityTest, ProofsWithTheWrongKeyOrAStaleNonceAreRefused) {
  HttpResult wrong_key = Prove("GC-A", StateOf("GC-B"));
  EXPECT_EQ(wrong_key.status, 401) << wrong_key.body;
  EXPECT_EQ(Field(wrong_key), "signature");
  HttpResult unregistered = Prove("GC-UNKNOWN", StateOf("GC-A"));
  EXPECT_EQ(unregistered.status, 401);
  EXPECT_EQ(Field(unregistered), "serialNumber");

  // A nonce answers once, and only within its two minutes.
  HttpResult nonce = Http(daemon_->port(), "POST", "/v1/agent/nonce",
                          json::serialize(json::object{{"serialNumber", "GC-A"}}));
  const std::string text(json::parse(nonce.body).at("nonce").as_string());
  auto key = identity::FileDeviceKey::OpenOrCreate(StateOf("GC-A"));
  ASSERT_TRUE(key);
  auto signature = (*key)->Sign(identity::ProofMessage(
      text, "GC-A", std::string(json::parse(nonce.body).at("audience").as_string())));
  const std::string proof = json::serialize(json::object{
      {"serialNumber", "GC-A"},
      {"nonce", text},
      {"signature", base64::Encode(std::string(signature->begin(), signature->end()))}});
  SetClock(now_ + 121);
  HttpResult stale = Http(daemon_->port(), "POST", "/v1/agent/token", proof);
  EXPECT_EQ(stale.status, 401);
  EXPECT_EQ(Field(stale), "nonce");
  EXPECT_EQ(Http(daemon_->port(), "POST", "/v1/agent/token", R"({"serialNumber": "GC-A"})").status,
            400);
}

// The rows of `table` in the daemon's database, read beside the running daemon.
long long CountRows(const fs::path& database, const std::string& table) {
  sqlite3* db = nullptr;
  long long rows = -1;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* count = nullptr;
    const std::string sql = "SELECT count(*) FROM " + table;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &count, nullptr) == SQLITE_OK &&
        sqlite3_step(count) == SQLITE_ROW) {
      rows = sqlite3_column_int64(count, 0);
    }
    sqlite3_finalize(count);
  }
  sqlite3_close(db);
  return rows;
}

TEST_F(IdentityTest, WrongPasswordsFromAnotherDeviceDoNotLockTheUserOutOfHerOwn) {
  const std::string own = DeviceToken("GC-A");    // assigned to adele
  const std::string other = DeviceToken("GC-B");  // someone else's hands
  for (int i = 0; i < 9; ++i) {
    HttpResult wrong = SignIn(other, "GC-B", "adele.vance@contoso.com",
                              "wrong password number " + std::to_string(i));
    EXPECT_TRUE(wrong.status == 401 || wrong.status == 403) << wrong.status << wrong.body;
  }
  // The account is locked (threshold 3) on devices she does not use...
  HttpResult refused = SignIn(other, "GC-B", "adele.vance@contoso.com", kPassword);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(json::parse(refused.body).at("reason"), "accountLocked");
  // ...but her own device, which has not failed, still takes her password and code.
  SignInWithMfa(own, "GC-A", "adele.vance@contoso.com", kAdeleSeed);
  const std::string user = "/v1/users/" + UserId("adele.vance@contoso.com");
  const std::string path = user + "/signIn";
  json::value state = json::parse(Admin("GET", path).body);
  EXPECT_FALSE(state.at("lockedUntil").is_null()) << state;
  ASSERT_EQ(state.at("deviceLocks").as_array().size(), 1u) << state;
  EXPECT_EQ(state.at("deviceLocks").as_array()[0].at("deviceId").as_string(), ids_["GC-B"]);
  // An admin's unlock clears every lock of hers.
  HttpResult unlocked = Admin("POST", user + "/unlock");
  EXPECT_TRUE(unlocked.status == 200 || unlocked.status == 204) << unlocked.body;
  state = json::parse(Admin("GET", path).body);
  EXPECT_TRUE(state.at("lockedUntil").is_null()) << state;
  EXPECT_TRUE(state.at("deviceLocks").as_array().empty()) << state;
}

TEST_F(IdentityTest, ANonceFloodWritesNoRowsAndIsRateLimited) {
  const fs::path database = data_dir_ / "groundcrew.db";
  const long long rows_before = CountRows(database, "challenges");
  ASSERT_GE(rows_before, 0);
  int issued = 0;
  int limited = 0;
  HttpResult last_limited;
  for (int i = 0; i < 2000; ++i) {
    HttpResult nonce =
        Http(daemon_->port(), "POST", "/v1/agent/nonce",
             json::serialize(json::object{{"serialNumber", "GC-FLOOD-" + std::to_string(i)}}));
    if (nonce.status == 200) ++issued;
    if (nonce.status == 429) {
      ++limited;
      last_limited = nonce;
    }
  }
  // The clock stands still here: the burst is issued, the rest refused with when to retry.
  EXPECT_GT(issued, 0);
  EXPECT_LE(issued, 300);
  EXPECT_EQ(issued + limited, 2000);
  EXPECT_EQ(last_limited.headers["retry-after"], "1") << last_limited.body;
  EXPECT_NE(last_limited.body.find("try again in 1 second"), std::string::npos)
      << last_limited.body;
  EXPECT_EQ(CountRows(database, "challenges"), rows_before);
  // A second later a device proves its key as usual; its used nonce is the one row kept.
  SetClock(now_ + 1);
  DeviceToken("GC-A");
  EXPECT_EQ(CountRows(database, "challenges"), rows_before + 1);
}

TEST_F(IdentityTest, ANonceIssuedBeforeARestartIsAcceptedAfterItOnce) {
  HttpResult nonce = Http(daemon_->port(), "POST", "/v1/agent/nonce",
                          json::serialize(json::object{{"serialNumber", "GC-A"}}));
  ASSERT_EQ(nonce.status, 200) << nonce.body;
  const std::string text(json::parse(nonce.body).at("nonce").as_string());
  auto key = identity::FileDeviceKey::OpenOrCreate(StateOf("GC-A"));
  ASSERT_TRUE(key);
  auto signature = (*key)->Sign(identity::ProofMessage(
      text, "GC-A", std::string(json::parse(nonce.body).at("audience").as_string())));
  const std::string proof = json::serialize(json::object{
      {"serialNumber", "GC-A"},
      {"nonce", text},
      {"signature", base64::Encode(std::string(signature->begin(), signature->end()))}});
  // The nonce key is kept in the data directory: the restarted service still knows its nonces.
  ASSERT_EQ(daemon_->Stop(), 0);
  StartDaemon({});
  HttpResult proved = Http(daemon_->port(), "POST", "/v1/agent/token", proof);
  EXPECT_EQ(proved.status, 200) << proved.body;
  HttpResult replayed = Http(daemon_->port(), "POST", "/v1/agent/token", proof);
  EXPECT_EQ(replayed.status, 401) << replayed.body;
  EXPECT_EQ(Field(replayed), "nonce");
}

TEST_F(IdentityTest, SecretsNeverReachTheLog) {
  const std::string device = DeviceToken("GC-A");
  const std::string user = SignInWithMfa(device, "GC-A", "adele.vance@contoso.com", kAdeleSeed);
  SignIn(device, "GC-A", "adele.vance@contoso.com", "a wrong password typed here");
  ASSERT_EQ(daemon_->Stop(), 0);
  const std::string log = daemon_->log();
  EXPECT_NE(log.find("/signIn"), std::string::npos) << "debug logging shows every request";
  for (const std::string& secret : {std::string(kPassword), std::string("a wrong password"), device,
                                    user, std::string(kAdeleSeed)}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "leaked into the log";
  }
  // The failed sign-in is logged: who, on which device, from where, why (never the password).
  EXPECT_NE(log.find("sign-in failed"), std::string::npos) << log;
  EXPECT_NE(log.find("wrongPassword"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("sourceAddress":"127.0.0.1")"), std::string::npos) << log;
  // The key files are closed to everyone else.
  for (const char* file : {"token-keys", "ca.key", "nonce-key"}) {
    EXPECT_EQ(fs::status(data_dir_ / "secrets" / file).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write)
        << file;
  }
}

TEST_F(IdentityTest, HttpsWithACertificateFromTheTenantsCa) {
  ASSERT_EQ(daemon_->Stop(), 0);
  StartDaemon({"--tls-names", "localhost,127.0.0.1"});
  const std::string server = "https://127.0.0.1:" + std::to_string(daemon_->port());
  const std::string ca = (data_dir_ / "secrets" / "ca.crt").string();
  CommandResult trusted = RunCommand(
      {GroundcrewPath(), "get", "users", "--server", server, "--ca", ca},
      {{"GROUNDCREW_TOKEN", admin_}, {"XDG_CONFIG_HOME", (temp_.path() / "c").string()}});
  EXPECT_EQ(trusted.exit_code, 0) << trusted.out << trusted.err;
  EXPECT_NE(trusted.out.find("adele.vance@contoso.com"), std::string::npos) << trusted.out;
  CommandResult untrusted = RunCommand({GroundcrewPath(), "get", "users", "--server", server},
                                       {{"GROUNDCREW_TOKEN", admin_},
                                        {"XDG_CONFIG_HOME", (temp_.path() / "c").string()},
                                        {"SSL_CERT_FILE", "/dev/null"}});
  EXPECT_NE(untrusted.exit_code, 0) << untrusted.out;
}

}  // namespace
}  // namespace groundcrew::integration

// Admins as people through the real CLI and daemon (docs/admin-api.md, "Admins and console
// sessions"): `groundcrew admins` adds an admin, who signs in over HTTP with a password and a
// TOTP code computed here, and holds a cookie session: reads with it, changes only with the
// session's X-CSRF-Token, signs out. Roles (reader, technician) are enforced by route; repeated
// failures lock the name; sessions expire (groundcrewd runs on a test clock).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "identity/totp.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/service_fixture.hpp"
#include "tests/support/test_clock.hpp"

namespace groundcrew::integration {
namespace {

namespace json = boost::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kPassword = "correct horse battery staple";

// A signed-in console: its cookie and CSRF token.
struct Console {
  std::string cookie;  ///< "gc_session=..."
  std::string csrf;
};

class AdminsTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    // Again on the test clock, so that sessions can expire and TOTP steps move on.
    ASSERT_EQ(daemon_->Stop(), 0);
    daemon_ = std::make_unique<Daemon>(
        data_dir_, std::vector<std::string>{"--test-clock", clock_.path().string()});
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  }

  // `groundcrew admins add NAME --role ROLE --password-stdin`; returns the TOTP secret (raw).
  std::string AddAdmin(const std::string& name, const std::string& role) {
    CommandResult added = Cli({"admins", "add", name, "--role", role, "--password-stdin"},
                              std::string(kPassword) + "\n");
    EXPECT_EQ(added.exit_code, 0) << added.err;
    return SecretIn(added.out);
  }

  static std::string SecretIn(const std::string& out) {
    std::smatch match;
    if (!std::regex_search(out, match, std::regex("Secret +([A-Z2-7]+)"))) {
      ADD_FAILURE() << "no secret in: " << out;
      return "";
    }
    return identity::Base32Decode(match[1].str()).value();
  }

  // The current TOTP code of `secret` on the daemon's clock; the clock moves on a step first,
  // so that each sign-in has a code not used before.
  std::string NextCode(const std::string& secret) {
    clock_.Advance(identity::kTotpStep);
    return identity::GenerateTotp(secret, clock_.now()).value();
  }

  HttpResult SignIn(const std::string& name, const std::string& password, const std::string& code) {
    return Http(
        daemon_->port(), "POST", "/v1/session",
        json::serialize(json::object{{"name", name}, {"password", password}, {"code", code}}),
        {{"Content-Type", "application/json"}});
  }

  Console SignedIn(const std::string& name, const std::string& secret) {
    HttpResult answer = SignIn(name, kPassword, NextCode(secret));
    EXPECT_EQ(answer.status, 200) << answer.body;
    std::smatch cookie;
    const std::string set_cookie = answer.headers["set-cookie"];
    EXPECT_TRUE(std::regex_search(set_cookie, cookie, std::regex("^gc_session=[^;]+")))
        << set_cookie;
    return Console{cookie.str(), std::string(json::parse(answer.body).at("csrfToken").as_string())};
  }

  // A request with the console's cookie (and its CSRF token when `with_csrf`).
  HttpResult AsConsole(const Console& console, const std::string& method, const std::string& target,
                       const std::string& body = "", bool with_csrf = true) {
    std::map<std::string, std::string> headers{{"Cookie", "theme=dark; " + console.cookie}};
    if (!body.empty()) headers["Content-Type"] = "application/json";
    if (with_csrf) headers["X-CSRF-Token"] = console.csrf;
    return Http(daemon_->port(), method, target, body, headers);
  }

  static std::string ErrorField(const HttpResult& result) {
    return std::string(json::parse(result.body).at("error").at("field").as_string());
  }
  static std::string ErrorCode(const HttpResult& result) {
    return std::string(json::parse(result.body).at("error").at("code").as_string());
  }

  // The id of a registered device (the Contoso registration file, imported).
  std::string ImportedDeviceId() {
    HttpResult imported =
        Call("POST", "/v1/autopilotDevices/import",
             test_support::ReadText(SourceDir() / "examples/contoso/registration.csv"));
    EXPECT_EQ(imported.status, 200) << imported.body;
    return std::string(json::parse(imported.body).at("rows").at(0).at("id").as_string());
  }

  test_support::TestClock clock_;
};

const std::string kGroup = R"({"displayName":"Console made","membershipRule":""})";

TEST_F(AdminsTest, AnAdminSignsInWithPasswordAndCodeAndChangesOnlyWithTheCsrfToken) {
  const std::string password_line = std::string(kPassword) + "\n";
  EXPECT_EQ(Step({"admins", "add", "alice", "--role", "admin", "--password-stdin"}).exit_code, 1)
      << "no password on stdin";
  CommandResult added =
      Step({"admins", "add", "alice", "--role", "admin", "--password-stdin"}, password_line);
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string secret = SecretIn(added.out);
  EXPECT_NE(added.out.find("otpauth://totp/groundcrew:alice?secret="), std::string::npos)
      << added.out;
  EXPECT_EQ(added.err, "") << "the secret goes to stdout only";
  EXPECT_EQ(Step({"admins", "add", "Alice", "--role", "admin", "--password-stdin"}, password_line)
                .exit_code,
            1);
  EXPECT_EQ(Step({"admins", "add", "admin", "--role", "reader", "--password-stdin"}, password_line)
                .exit_code,
            1)
      << "the name of a credential";
  EXPECT_EQ(
      Step({"admins", "add", "bob", "--role", "reader", "--password-stdin"}, "short\n").exit_code,
      1);
  EXPECT_EQ(Step({"admins", "add", "bob", "--role", "owner"}).exit_code, 2);
  EXPECT_EQ(Step({"admins", "lsit"}).exit_code, 2);

  // Wrong password (or name: the same answer), wrong code.
  HttpResult wrong = SignIn("alice", "not the password", NextCode(secret));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(ErrorField(wrong), "password");
  EXPECT_EQ(SignIn("nobody", kPassword, NextCode(secret)).body, wrong.body);
  HttpResult wrong_code = SignIn("alice", kPassword, "000000");
  EXPECT_EQ(wrong_code.status, 401);
  EXPECT_EQ(ErrorField(wrong_code), "code");

  HttpResult signed_in = SignIn("alice", kPassword, NextCode(secret));
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  const std::string set_cookie = signed_in.headers["set-cookie"];
  EXPECT_TRUE(std::regex_search(set_cookie, std::regex("^gc_session=gcses_[A-Za-z0-9_-]+; ")));
  for (const char* attribute : {"; HttpOnly", "; SameSite=Strict", "; Path=/"}) {
    EXPECT_NE(set_cookie.find(attribute), std::string::npos) << set_cookie;
  }
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << "no TLS here: " << set_cookie;
  const json::object session = json::parse(signed_in.body).as_object();
  EXPECT_EQ(session.at("name"), "alice");
  EXPECT_EQ(session.at("role"), "admin");
  EXPECT_EQ(session.size(), 5u) << signed_in.body;
  // The same code again is refused: each is accepted once.
  EXPECT_EQ(SignIn("alice", kPassword, identity::GenerateTotp(secret, clock_.now()).value()).status,
            401);

  Console alice{set_cookie.substr(0, set_cookie.find(';')),
                std::string(session.at("csrfToken").as_string())};
  EXPECT_EQ(AsConsole(alice, "GET", "/v1/autopilotDevices", "", false).status, 200);
  HttpResult me = AsConsole(alice, "GET", "/v1/session", "", false);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(json::parse(me.body).at("csrfToken"), session.at("csrfToken"));

  // A change without the CSRF token, or with another, is refused; with it, done as alice.
  HttpResult no_csrf = AsConsole(alice, "POST", "/v1/groups", kGroup, false);
  EXPECT_EQ(no_csrf.status, 403) << no_csrf.body;
  EXPECT_EQ(ErrorField(no_csrf), "X-CSRF-Token");
  HttpResult bad_csrf =
      AsConsole(Console{alice.cookie, "not-it"}, "POST", "/v1/groups", kGroup, true);
  EXPECT_EQ(bad_csrf.status, 403);
  EXPECT_EQ(ErrorField(bad_csrf), "X-CSRF-Token");
  HttpResult created = AsConsole(alice, "POST", "/v1/groups", kGroup);
  EXPECT_EQ(created.status, 201) << created.body;
  // Bearer requests need no CSRF token; with both, the bearer wins.
  EXPECT_EQ(Call("GET", "/v1/me", "", {{"Cookie", alice.cookie}}).body,
            R"({"name":"admin","role":"admin"})");

  CommandResult audit = Cli({"audit", "--json"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  std::vector<std::string> entries;
  const json::value log = json::parse(audit.out);
  for (const json::value& entry : log.at("value").as_array()) {
    if (entry.at("resourceKind") != "admins" && entry.at("resourceKind") != "groups") continue;
    entries.push_back(std::string(entry.at("actor").as_string()) + " " +
                      std::string(entry.at("action").as_string()) + " " +
                      std::string(entry.at("resourceName").as_string()));
  }
  EXPECT_EQ(entries, (std::vector<std::string>{"admin create alice", "alice signIn alice",
                                               "alice create Console made"}));

  // Signing out ends the session on the server and clears the cookie.
  HttpResult out = AsConsole(alice, "DELETE", "/v1/session");
  EXPECT_EQ(out.status, 204) << out.body;
  EXPECT_NE(out.headers["set-cookie"].find("gc_session=; Path=/; Max-Age=0"), std::string::npos)
      << out.headers["set-cookie"];
  HttpResult after = AsConsole(alice, "GET", "/v1/autopilotDevices", "", false);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(AsConsole(alice, "GET", "/v1/session").status, 401);
  EXPECT_NE(daemon_->log().find("\"actor\":\"alice\""), std::string::npos)
      << "the access log names the admin";
  EXPECT_EQ(daemon_->log().find(alice.cookie.substr(11)), std::string::npos)
      << "the session token never reaches the log";

  Step({"admins", "list"});
  // The secret and the URI differ at each run.
  std::string transcript = std::regex_replace(Transcript(), std::regex("[A-Z2-7]{32}"), "<secret>");
  ExpectGolden("admins.txt", transcript);
}

TEST_F(AdminsTest, AReaderReadsAndATechnicianReprovisionsButNeitherChangesAnythingElse) {
  const std::string device = ImportedDeviceId();
  const std::string reader_secret = AddAdmin("rita", "reader");
  const std::string tech_secret = AddAdmin("tom", "technician");
  const Console rita = SignedIn("rita", reader_secret);
  const Console tom = SignedIn("tom", tech_secret);
  const std::string reprovision = "/v1/autopilotDevices/" + device + "/reprovision";

  EXPECT_EQ(AsConsole(rita, "GET", "/v1/users").status, 200);
  HttpResult refused = AsConsole(rita, "POST", "/v1/groups", kGroup);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(ErrorCode(refused), "permission_denied");
  EXPECT_EQ(AsConsole(rita, "POST", reprovision).status, 403);
  EXPECT_EQ(AsConsole(rita, "GET", "/v1/admins").status, 403) << "admin accounts: admins only";

  EXPECT_EQ(AsConsole(tom, "GET", "/v1/autopilotDevices/" + device).status, 200);
  EXPECT_EQ(AsConsole(tom, "GET", "/v1/deploymentSessions").status, 200);
  HttpResult reprovisioned = AsConsole(tom, "POST", reprovision);
  EXPECT_EQ(reprovisioned.status, 200) << reprovisioned.body;
  HttpResult apply = AsConsole(tom, "POST", "/v1/apply", "{}");
  EXPECT_EQ(apply.status, 403) << apply.body;
  EXPECT_NE(apply.body.find("technician"), std::string::npos) << apply.body;
  EXPECT_EQ(AsConsole(tom, "GET", "/v1/users").status, 403);
  EXPECT_EQ(AsConsole(tom, "DELETE", "/v1/autopilotDevices/" + device).status, 403);
  EXPECT_EQ(AsConsole(tom, "GET", "/v1/me").body, R"({"name":"tom","role":"technician"})");

  // A technician bearer credential is held to the same table.
  CommandResult issued = Cli({"credentials", "create", "depot", "--role", "technician"});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  const std::string depot = issued.out.substr(0, issued.out.find('\n'));
  auto bearer = [&](const std::string& method, const std::string& target,
                    const std::string& body = "") {
    return Http(daemon_->port(), method, target, body, {{"Authorization", "Bearer " + depot}})
        .status;
  };
  EXPECT_EQ(bearer("POST", reprovision), 200);
  EXPECT_EQ(bearer("POST", "/v1/apply", "{}"), 403);
  EXPECT_EQ(bearer("GET", "/v1/tenant"), 403);
  // Names are unique across admins and credentials: the audit log names either.
  EXPECT_EQ(Cli({"credentials", "create", "tom", "-o", (temp_.path() / "t").string()}).exit_code,
            1);
}

TEST_F(AdminsTest, RepeatedFailuresLockTheNameUntilAnAdminUnlocksIt) {
  const std::string secret = AddAdmin("dave", "admin");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(SignIn("dave", "wrong password!", NextCode(secret)).status, 401) << i;
  }
  HttpResult locked = SignIn("dave", kPassword, NextCode(secret));
  EXPECT_EQ(locked.status, 403) << locked.body;
  EXPECT_EQ(ErrorField(locked), "name");
  EXPECT_NE(locked.body.find("locked"), std::string::npos) << locked.body;
  EXPECT_TRUE(std::regex_search(locked.body, std::regex("until 20[0-9-]+T[0-9:]+Z")))
      << locked.body;
  // A name nobody has locks alike, so that a lock does not tell which names exist.
  for (int i = 0; i < 10; ++i) SignIn("nobody", "wrong password!", NextCode(secret));
  EXPECT_EQ(SignIn("nobody", kPassword, NextCode(secret)).status, 403);

  CommandResult listed = Cli({"admins", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(json::parse(listed.out).at("value").at(0).at("lockedUntilDateTime").is_string());
  ASSERT_EQ(Cli({"admins", "unlock", "dave"}).exit_code, 0);
  EXPECT_EQ(SignIn("dave", kPassword, NextCode(secret)).status, 200);

  // Without an unlock, the lock ends by itself after 15 minutes.
  for (int i = 0; i < 10; ++i) SignIn("dave", "wrong password!", NextCode(secret));
  EXPECT_EQ(SignIn("dave", kPassword, NextCode(secret)).status, 403);
  clock_.Advance(minutes(15));
  EXPECT_EQ(SignIn("dave", kPassword, NextCode(secret)).status, 200);
}

TEST_F(AdminsTest, SessionsEndIdleAfterHalfAnHourAndAtMostTwelveHoursAfterSignIn) {
  const std::string secret = AddAdmin("erin", "admin");
  const Console idle = SignedIn("erin", secret);
  clock_.Advance(minutes(29));
  EXPECT_EQ(AsConsole(idle, "GET", "/v1/me").status, 200) << "renews the idle expiry";
  clock_.Advance(minutes(29));
  EXPECT_EQ(AsConsole(idle, "GET", "/v1/me").status, 200);
  clock_.Advance(minutes(31));
  HttpResult expired = AsConsole(idle, "GET", "/v1/me");
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("30 minutes"), std::string::npos) << expired.body;

  const Console busy = SignedIn("erin", secret);
  for (int i = 0; i < 35; ++i) {  // a request every 20 minutes: 11 h 40 min
    clock_.Advance(minutes(20));
    ASSERT_EQ(AsConsole(busy, "GET", "/v1/me").status, 200) << i;
  }
  clock_.Advance(minutes(20));
  HttpResult ended = AsConsole(busy, "GET", "/v1/me");
  EXPECT_EQ(ended.status, 401);
  EXPECT_NE(ended.body.find("12 hours"), std::string::npos) << ended.body;

  // Resetting MFA or removing the admin ends their sessions.
  const Console before_reset = SignedIn("erin", secret);
  CommandResult reset = Cli({"admins", "reset-mfa", "erin"});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_EQ(AsConsole(before_reset, "GET", "/v1/me").status, 401);
  EXPECT_EQ(SignIn("erin", kPassword, NextCode(secret)).status, 401) << "the old secret is refused";
  const std::string new_secret = SecretIn(reset.out);
  const Console before_removal = SignedIn("erin", new_secret);
  ASSERT_EQ(Cli({"admins", "remove", "erin"}).exit_code, 0);
  EXPECT_EQ(AsConsole(before_removal, "GET", "/v1/me").status, 401);
  EXPECT_EQ(Cli({"admins", "remove", "erin"}).exit_code, 1);
}

}  // namespace
}  // namespace groundcrew::integration

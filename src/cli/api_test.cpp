#include "cli/api.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/config.hpp"
#include "cli/remote_commands.hpp"

// The API layer and the remote commands against a scripted fake transport (no server).
namespace groundcrew::cli {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

// Answers requests from a script, in order, and records what was sent.
class FakeServer {
 public:
  void Answer(int status, std::string body, HttpHeaders headers = {}) {
    answers_.push_back(HttpResponse{status, std::move(headers), std::move(body)});
  }
  void Unreachable() { answers_.push_back(std::nullopt); }

  Transport transport() {
    return [this](const HttpRequest& request) -> Result<HttpResponse> {
      requests.push_back(request);
      if (answers_.empty()) {
        ADD_FAILURE() << "unexpected request " << request.method << " " << request.target;
        return HttpResponse{500, {}, ""};
      }
      auto answer = std::move(answers_.front());
      answers_.pop_front();
      if (!answer) {
        return MakeError(ErrorCode::kUnavailable,
                         "cannot reach http://127.0.0.1:8080: Connection refused");
      }
      return *answer;
    };
  }

  std::vector<HttpRequest> requests;

 private:
  std::deque<std::optional<HttpResponse>> answers_;
};

struct Captured {
  std::ostringstream out, err;
  Console console{out, err, Style{}, Style{}, false};
};

TEST(ApiTest, ServerErrorsKeepTheirCodeMessageAndField) {
  FakeServer server;
  server.Answer(401, R"({"error":{"code":"unauthenticated","message":"no token","field":""}})");
  server.Answer(502, "<html>bad gateway</html>");
  server.Answer(404, "");
  server.Unreachable();
  Api api(server.transport());

  auto a = api.Call("GET", "/v1/me");
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code, "unauthenticated");
  EXPECT_EQ(a.error().message, "no token");
  EXPECT_EQ(a.error().http_status, 401);

  auto b = api.Call("GET", "/v1/me");
  EXPECT_EQ(b.error().code, "internal");
  EXPECT_EQ(b.error().message, "HTTP 502: <html>bad gateway</html>");

  auto c = api.Call("GET", "/v1/users/x");
  EXPECT_EQ(c.error().code, "not_found");
  EXPECT_EQ(c.error().message, "HTTP 404");

  auto d = api.Call("GET", "/v1/me");
  EXPECT_EQ(d.error().code, "unavailable");
  EXPECT_EQ(d.error().http_status, 0);
}

TEST(ApiTest, SuccessBodiesAreJsonAndEmptyIsNull) {
  FakeServer server;
  server.Answer(204, "");
  server.Answer(200, "not json");
  server.Answer(200, R"({"name":"admin","role":"admin"})");
  Api api(server.transport());
  auto deleted = api.Call("DELETE", "/v1/users/u-1", {{"If-Match", "3"}});
  ASSERT_TRUE(deleted.has_value());
  EXPECT_TRUE(deleted->is_null());
  EXPECT_EQ(server.requests[0].headers, (HttpHeaders{{"If-Match", "3"}}));
  auto garbage = api.Call("GET", "/v1/me");
  EXPECT_EQ(garbage.error().code, "internal");
  auto me = api.CallJson("POST", "/v1/x", json::object{{"a", 1}});
  ASSERT_TRUE(me.has_value());
  EXPECT_EQ(server.requests[2].body, R"({"a":1})");
  EXPECT_EQ(server.requests[2].content_type, "application/json");
}

TEST(ApiTest, ListAllFollowsNextAfterAndStopsOnRepeats) {
  FakeServer server;
  server.Answer(200, R"({"value":[{"id":"1"}],"nextAfter":"c1"})");
  server.Answer(200, R"({"value":[{"id":"2"}],"nextAfter":17})");
  server.Answer(200, R"({"value":[{"id":"3"}]})");
  Api api(server.transport());
  auto all = api.ListAll("/v1/autopilotDevices?groupTag=Sales%20EU");
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_EQ(all->size(), 3u);
  ASSERT_EQ(server.requests.size(), 3u);
  EXPECT_EQ(server.requests[0].target, "/v1/autopilotDevices?groupTag=Sales%20EU&limit=1000");
  EXPECT_EQ(server.requests[1].target,
            "/v1/autopilotDevices?groupTag=Sales%20EU&limit=1000&after=c1");
  EXPECT_EQ(server.requests[2].target,
            "/v1/autopilotDevices?groupTag=Sales%20EU&limit=1000&after=17");

  FakeServer looping;
  looping.Answer(200, R"({"value":[],"nextAfter":"x"})");
  looping.Answer(200, R"({"value":[],"nextAfter":"x"})");
  Api loop_api(looping.transport());
  auto loop = loop_api.ListAll("/v1/audit");
  ASSERT_FALSE(loop.has_value());
  EXPECT_NE(loop.error().message.find("repeats"), std::string::npos);
}

TEST(ApiTest, UrlEscapeKeepsUnreservedOnly) {
  EXPECT_EQ(UrlEscape("adele.vance@contoso.com"), "adele.vance%40contoso.com");
  EXPECT_EQ(UrlEscape("a b/c?d&e=f~_-"), "a%20b%2Fc%3Fd%26e%3Df~_-");
}

TEST(RemoteCommandsTest, PlanCallsThePlanEndpointAndPrintsJsonOrText) {
  FakeServer server;
  const std::string plan =
      R"({"serialNumber":"007","deviceName":"CON-007","groups":[],"deploymentProfile":null,)"
      R"("userPrincipalName":null,"technician":null,"user":null,"findings":[]})";
  server.Answer(200, plan);
  server.Answer(200, plan);
  Api api(server.transport());
  Captured json_run;
  EXPECT_EQ(Plan({"007", "adele.vance@contoso.com", true}, api, json_run.console), 0);
  EXPECT_EQ(server.requests[0].target, "/v1/plan?serialNumber=007&user=adele.vance%40contoso.com");
  EXPECT_EQ(json::parse(json_run.out.str()), json::parse(plan));
  Captured text_run;
  EXPECT_EQ(Plan({"007", "", false}, api, text_run.console), 0);
  EXPECT_EQ(server.requests[1].target, "/v1/plan?serialNumber=007");
  EXPECT_NE(text_run.out.str().find("Device name         CON-007"), std::string::npos)
      << text_run.out.str();
}

TEST(RemoteCommandsTest, ErrorsAreReportedLikeLocalOnesWithExitOne) {
  FakeServer server;
  server.Answer(401, R"({"error":{"code":"unauthenticated","message":"unknown token"}})");
  server.Answer(404, R"({"error":{"code":"not_found","message":"no such group","field":"id"}})");
  Api api(server.transport());
  Captured text;
  EXPECT_EQ(Get({"users", "", false}, api, text.console), 1);
  EXPECT_EQ(text.err.str(),
            "error: unknown token\nhint: log in with `groundcrew login --server URL`, or set "
            "GROUNDCREW_TOKEN\n");
  EXPECT_TRUE(text.out.str().empty());
  Captured as_json;
  EXPECT_EQ(Members({"g-404", true}, api, as_json.console), 1);
  EXPECT_EQ(as_json.out.str(),
            R"({"error":{"code":"not_found","message":"no such group","field":"id"}})"
            "\n");
  EXPECT_EQ(server.requests[1].target, "/v1/groups/g-404/members?limit=1000");
}

TEST(RemoteCommandsTest, GetListsAllPagesAsOneJsonDocument) {
  FakeServer server;
  server.Answer(200, R"({"value":[{"id":"u-1"}],"nextAfter":"u-1"})");
  server.Answer(200, R"({"value":[{"id":"u-2"}]})");
  server.Answer(200, R"({"id":"u-2","userPrincipalName":"x@contoso.com"})");
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Get({"users", "", true}, api, run.console), 0);
  EXPECT_EQ(json::parse(run.out.str()), json::parse(R"({"value":[{"id":"u-1"},{"id":"u-2"}]})"));
  Captured one;
  EXPECT_EQ(Get({"users", "u 2", false}, api, one.console), 0);
  EXPECT_EQ(server.requests[2].target, "/v1/users/u%202");
  EXPECT_NE(one.out.str().find("userPrincipalName  x@contoso.com"), std::string::npos);
}

TEST(RemoteCommandsTest, DevicesCommandsUseTheirEndpoints) {
  FakeServer server;
  server.Answer(200, R"({"value":[]})");
  server.Answer(200, R"({"id":"z-1","groupTag":"Sales"})");
  server.Answer(204, "");
  server.Answer(200, "");
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(DevicesList({"PF3", "Sales EU", "enrolled", false}, api, run.console), 0);
  EXPECT_EQ(server.requests[0].target,
            "/v1/autopilotDevices?serialNumber=PF3&groupTag=Sales%20EU&enrollmentState=enrolled"
            "&limit=1000");
  DevicesUpdateOptions update;
  update.device.id = "z-1";
  update.device.if_match = "4";
  update.set_group_tag = true;
  update.group_tag = "Sales";
  update.set_user = true;  // an empty UPN removes the assigned user
  EXPECT_EQ(DevicesUpdate(update, api, run.console), 0);
  EXPECT_EQ(server.requests[1].method, "PATCH");
  EXPECT_EQ(server.requests[1].target, "/v1/autopilotDevices/z-1");
  EXPECT_EQ(json::parse(server.requests[1].body),
            json::parse(R"({"groupTag":"Sales","userPrincipalName":""})"));
  EXPECT_EQ(server.requests[1].headers, (HttpHeaders{{"If-Match", "4"}}));
  EXPECT_EQ(DevicesDelete({"z-1", "", false}, api, run.console), 0);
  EXPECT_EQ(server.requests[2].method, "DELETE");
  EXPECT_EQ(DevicesReprovision({"z-1", "", false}, api, run.console), 0);
  EXPECT_EQ(server.requests[3].target, "/v1/autopilotDevices/z-1/reprovision");

  DevicesUpdateOptions nothing;
  nothing.device.id = "z-1";
  Captured usage;
  EXPECT_EQ(DevicesUpdate(nothing, api, usage.console), 2);
  EXPECT_NE(usage.err.str().find("nothing to change"), std::string::npos);
  EXPECT_EQ(server.requests.size(), 4u);
}

TEST(RemoteCommandsTest, DevicesImportSendsTheCsvAndFailsWhenARowFailed) {
  FakeServer server;
  server.Answer(200, R"({"imported":3,"rows":[{"row":2,"serialNumber":"A","status":"imported"}]})");
  server.Answer(200, R"({"imported":0,"rows":[{"row":2,"serialNumber":"A","status":"failed",)"
                     R"("error":{"code":"invalid_argument","message":"bad hash"}}]})");
  Api api(server.transport());
  Captured ok;
  EXPECT_EQ(DevicesImport({"examples/contoso/registration.csv", false}, api, ok.console), 0);
  EXPECT_EQ(server.requests[0].content_type, "text/csv");
  EXPECT_EQ(server.requests[0].body.rfind("Device Serial Number,", 0), 0u);
  Captured failed;
  EXPECT_EQ(DevicesImport({"examples/contoso/registration.csv", true}, api, failed.console), 1);
  EXPECT_EQ(json::parse(failed.out.str()).at("imported"), json::value(0));
  Captured missing;
  EXPECT_EQ(DevicesImport({"examples/contoso/none.csv", false}, api, missing.console), 1);
  EXPECT_NE(missing.err.str().find("none.csv"), std::string::npos);
}

TEST(RemoteCommandsTest, AuditAndSessionsList) {
  FakeServer server;
  server.Answer(200, R"({"value":[{"sequence":1,"action":"create"}],"nextAfter":1})");
  server.Answer(200, R"({"value":[]})");
  server.Answer(200, R"({"value":[]})");
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Audit({false}, api, run.console), 0);
  EXPECT_EQ(server.requests[1].target, "/v1/audit?limit=1000&after=1");
  EXPECT_EQ(Sessions({"z 1", false}, api, run.console), 0);
  EXPECT_EQ(server.requests[2].target, "/v1/deploymentSessions?deviceId=z%201&limit=1000");
}

class ApplyCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gc-cli-apply-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::ofstream(dir_ / "a.sh") << "hello\n";
    std::ofstream(dir_ / "b.sh") << "world\n";
    std::ofstream(dir_ / "t.yaml") << "apps:\n"
                                      "  - {displayName: A, content: {file: a.sh}}\n"
                                      "  - {displayName: B, content: {file: b.sh}}\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ApplyCommandTest, UploadsMissingContentThenPostsTheDocument) {
  FakeServer server;
  server.Answer(404, "");  // HEAD a.sh: not there
  server.Answer(201, "");  // PUT a.sh
  server.Answer(200, "");  // HEAD b.sh: already there
  server.Answer(200, R"({"dryRun":true,"changes":[{"kind":"app","name":"A","action":"create"}]})");
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Apply({(dir_ / "t.yaml").string(), true, false}, api, run.console), 0) << run.err.str();
  ASSERT_EQ(server.requests.size(), 4u);
  EXPECT_EQ(server.requests[0].method, "HEAD");
  EXPECT_EQ(server.requests[1].method, "PUT");
  EXPECT_EQ(server.requests[1].target,
            "/v1/content/5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
  EXPECT_EQ(server.requests[1].body, "hello\n");
  EXPECT_EQ(server.requests[1].content_type, "application/octet-stream");
  EXPECT_EQ(server.requests[2].method, "HEAD");
  EXPECT_EQ(server.requests[3].target, "/v1/apply?dryRun=true");
  const json::value posted = json::parse(server.requests[3].body);
  EXPECT_EQ(posted.at("apps").at(1).at("content").at("fileName"), json::value("b.sh"));
  EXPECT_NE(run.out.str().find("Dry run: 1 to create"), std::string::npos) << run.out.str();
  EXPECT_NE(run.err.str().find("a.sh (6 B)"), std::string::npos) << run.err.str();
}

TEST_F(ApplyCommandTest, UploadRefusalIsReportedWithTheServersCode) {
  FakeServer server;
  server.Answer(403, R"({"error":{"code":"permission_denied","message":"reader credential"}})");
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Apply({(dir_ / "t.yaml").string(), false, true}, api, run.console), 1);
  const json::value error = json::parse(run.out.str()).at("error");
  EXPECT_EQ(error.at("code"), json::value("permission_denied"));
  EXPECT_NE(std::string(error.at("message").as_string()).find("reader credential"),
            std::string::npos);
}

TEST_F(ApplyCommandTest, YamlErrorsNameLineAndColumn) {
  std::ofstream(dir_ / "bad.yaml") << "apps:\n  - {displayName: A\n";
  FakeServer server;
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Apply({(dir_ / "bad.yaml").string(), false, false}, api, run.console), 1);
  EXPECT_NE(run.err.str().find("bad.yaml: line "), std::string::npos) << run.err.str();
  EXPECT_TRUE(server.requests.empty());
}

TEST_F(ApplyCommandTest, LoginVerifiesThenSavesAndLogoutRemoves) {
  const std::string path = (dir_ / "cfg" / "groundcrew" / "credentials.json").string();
  FakeServer server;
  server.Answer(401, R"({"error":{"code":"unauthenticated","message":"unknown token"}})");
  server.Answer(200, R"({"name":"first-admin","role":"admin"})");
  Api api(server.transport());
  Captured refused;
  EXPECT_EQ(Login({"http://127.0.0.1:8080", "bad", path, false}, api, refused.console), 1);
  EXPECT_FALSE(fs::exists(path));
  Captured ok;
  EXPECT_EQ(Login({"http://127.0.0.1:8080", "good", path, false}, api, ok.console), 0);
  EXPECT_EQ(server.requests[1].target, "/v1/me");
  auto saved = LoadLogin(path);
  ASSERT_TRUE(saved.has_value() && saved->has_value());
  EXPECT_EQ((*saved)->token, "good");
  EXPECT_NE(ok.out.str().find("as first-admin (admin)"), std::string::npos);
  Captured out;
  EXPECT_EQ(Logout(path, out.console), 0);
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace groundcrew::cli

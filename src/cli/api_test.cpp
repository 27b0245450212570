#include "cli/api.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/captured_console.hpp"
#include "cli/config.hpp"
#include "cli/read_file.hpp"
#include "cli/remote_commands.hpp"
#include "cli/user_commands.hpp"
#include "tests/support/scripted_transport.hpp"

// The API layer and the remote commands against a scripted fake transport (no server).
namespace groundcrew::cli {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

using test_support::ScriptedTransport;

TEST(ApiTest, ServerErrorsKeepTheirCodeMessageAndField) {
  ScriptedTransport server;
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
  ScriptedTransport server;
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
  ScriptedTransport server;
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

  ScriptedTransport looping;
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
  ScriptedTransport server;
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
  ScriptedTransport server;
  server.Answer(401, R"({"error":{"code":"unauthenticated","message":"unknown token"}})");
  server.Answer(200, R"({"value":[{"id":"g-1","displayName":"Sales users"}]})");
  server.Answer(404, R"({"error":{"code":"not_found","message":"no such group","field":"id"}})");
  Api api(server.transport());
  Captured text;
  EXPECT_EQ(Get({.kind = "users"}, api, text.console), 1);
  EXPECT_EQ(text.err.str(),
            "error: unknown token\nhint: log in with `groundcrew login --server URL`, or set "
            "GROUNDCREW_TOKEN\n");
  EXPECT_TRUE(text.out.str().empty());
  Captured as_json;
  EXPECT_EQ(Members({.group = "Sales users", .json = true}, api, as_json.console), 1);
  EXPECT_EQ(as_json.out.str(),
            R"({"error":{"code":"not_found","message":"no such group","field":"id"}})"
            "\n");
  EXPECT_EQ(server.requests[1].target, "/v1/groups?limit=1000");
  EXPECT_EQ(server.requests[2].target, "/v1/groups/g-1/members?limit=1000");
}

TEST(RemoteCommandsTest, GetListsAllPagesAsOneJsonDocument) {
  ScriptedTransport server;
  server.Answer(200, R"({"value":[{"id":"u-1"}],"nextAfter":"u-1"})");
  server.Answer(200, R"({"value":[{"id":"u-2"}]})");
  server.Answer(200, R"({"value":[{"id":"u 2","userPrincipalName":"x@contoso.com"}]})");
  server.Answer(200, R"({"id":"u 2","userPrincipalName":"x@contoso.com"})");
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Get({.kind = "users", .json = true}, api, run.console), 0);
  EXPECT_EQ(json::parse(run.out.str()), json::parse(R"({"value":[{"id":"u-1"},{"id":"u-2"}]})"));
  Captured one;
  EXPECT_EQ(Get({.kind = "user", .name = "X@contoso.com"}, api, one.console), 0);
  EXPECT_EQ(server.requests[2].target, "/v1/users?limit=1000");
  EXPECT_EQ(server.requests[3].target, "/v1/users/u%202");
  EXPECT_NE(one.out.str().find("userPrincipalName  x@contoso.com"), std::string::npos);
}

TEST(RemoteCommandsTest, DevicesCommandsFindTheDeviceThenUseTheirEndpoints) {
  constexpr const char* kDevice = R"({"id":"z-1","serialNumber":"PF3XK2LM","groupTag":"Sales"})";
  ScriptedTransport server;
  server.Answer(200, R"({"value":[]})");
  server.Answer(200, kDevice);  // each command first finds the device (here by id)
  server.Answer(200, kDevice);
  server.Answer(200, kDevice);
  server.Answer(204, "");
  server.Answer(200, kDevice);
  server.Answer(200, "");
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(DevicesList({.serial = "PF3",
                         .group_tag = "Sales EU",
                         .state = "enrolled",
                         .deployment_state = "failure"},
                        api, run.console),
            0);
  EXPECT_EQ(server.requests[0].target,
            "/v1/autopilotDevices?serialNumber=PF3&groupTag=Sales%20EU&enrollmentState=enrolled"
            "&deploymentState=failure&limit=1000");
  DevicesUpdateOptions update;
  update.device.device = "z-1";
  update.device.if_match = "4";
  update.set_group_tag = true;
  update.group_tag = "Sales";
  update.set_user = true;  // an empty UPN removes the assigned user
  EXPECT_EQ(DevicesUpdate(update, api, run.console), 0);
  EXPECT_EQ(server.requests[1].target, "/v1/autopilotDevices/z-1");
  EXPECT_EQ(server.requests[2].method, "PATCH");
  EXPECT_EQ(server.requests[2].target, "/v1/autopilotDevices/z-1");
  EXPECT_EQ(json::parse(server.requests[2].body),
            json::parse(R"({"groupTag":"Sales","userPrincipalName":""})"));
  EXPECT_EQ(server.requests[2].headers, (HttpHeaders{{"If-Match", "4"}}));
  EXPECT_EQ(DevicesDelete({"z-1", "", false}, api, run.console), 0);
  EXPECT_EQ(server.requests[4].method, "DELETE");
  EXPECT_EQ(DevicesReprovision({"z-1", "", false}, api, run.console), 0);
  EXPECT_EQ(server.requests[6].target, "/v1/autopilotDevices/z-1/reprovision");
  EXPECT_EQ(run.out.str().substr(run.out.str().find("Deleted")),
            "Deleted device \"PF3XK2LM\".\n"
            "Device PF3XK2LM may run the technician flow again (its enrollment was cleared).\n");

  DevicesUpdateOptions nothing;
  nothing.device.device = "z-1";
  Captured usage;
  EXPECT_EQ(DevicesUpdate(nothing, api, usage.console), 2);
  EXPECT_NE(usage.err.str().find("nothing to change"), std::string::npos);
  EXPECT_EQ(server.requests.size(), 7u);
}

TEST(RemoteCommandsTest, DevicesImportSendsTheCsvAndFailsWhenARowFailed) {
  ScriptedTransport server;
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

std::string HeaderOf(const HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "";
}

// Finding 10 (issue 14): an import whose answer is lost (the connection drops) is sent again
// with the same Idempotency-Key, so the server answers the first result instead of refusing
// duplicates; every new import gets a new key.
TEST(RemoteCommandsTest, DevicesImportResendsItsIdempotencyKeyAfterAConnectionError) {
  ScriptedTransport server;
  server.Unreachable();
  server.Answer(200, R"({"imported":3,"rows":[]})");
  server.Answer(200, R"({"imported":3,"rows":[]})");
  Api api(server.transport());
  Captured first;
  EXPECT_EQ(DevicesImport({"examples/contoso/registration.csv", false}, api, first.console), 0)
      << first.err.str();
  ASSERT_EQ(server.requests.size(), 2u);
  const std::string key = HeaderOf(server.requests[0], "Idempotency-Key");
  EXPECT_EQ(key.size(), 36u) << key;  // a UUID
  EXPECT_EQ(HeaderOf(server.requests[1], "Idempotency-Key"), key);
  EXPECT_EQ(server.requests[1].body, server.requests[0].body);

  Captured second;
  EXPECT_EQ(DevicesImport({"examples/contoso/registration.csv", false}, api, second.console), 0);
  ASSERT_EQ(server.requests.size(), 3u);
  EXPECT_NE(HeaderOf(server.requests[2], "Idempotency-Key"), key);
}

TEST(RemoteCommandsTest, AuditAndSessionsListWithTheirFilters) {
  ScriptedTransport server;
  server.Answer(200, R"({"value":[{"sequence":1,"action":"create"}],"nextAfter":1})");
  server.Answer(200, R"({"value":[]})");
  server.Answer(200, R"({"value":[]})");
  server.Answer(200, R"({"value":[]})");
  server.Answer(200, R"({"value":[]})");
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Audit({}, api, run.console), 0);
  EXPECT_EQ(server.requests[1].target, "/v1/audit?limit=1000&after=1");
  EXPECT_EQ(Audit({.actor = "ops team", .kind = "groups"}, api, run.console), 0);
  EXPECT_EQ(server.requests[2].target, "/v1/audit?actor=ops%20team&resourceKind=groups&limit=1000");
  EXPECT_EQ(Sessions({}, api, run.console), 0);
  EXPECT_EQ(server.requests[3].target, "/v1/deploymentSessions?limit=1000");
  EXPECT_EQ(Sessions({.flow = "user", .state = "failure"}, api, run.console), 0);
  EXPECT_EQ(server.requests[4].target,
            "/v1/deploymentSessions?flow=user&deploymentState=failure&limit=1000");
}

TEST(RemoteCommandsTest, SessionsOfADeviceFoundBySerialNumberOrId) {
  constexpr const char* kNoDevice =
      R"({"error":{"code":"not_found","message":"no device","field":"id"}})";
  ScriptedTransport server;
  server.Answer(404, kNoDevice);  // "PF3 X" is not an id: found by serial number
  server.Answer(200, R"({"value":[{"id":"z-1","serialNumber":"PF3 X"}]})");
  server.Answer(
      200, R"({"value":[)"
           R"({"serialNumber":"PF3 X","flow":"user","startedDateTime":"2026-12-06T10:00:00Z"},)"
           R"({"serialNumber":"PF3 X","flow":"technician",)"
           R"("startedDateTime":"2026-12-05T10:00:00Z"}]})");
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Sessions({.device = "PF3 X", .flow = "user"}, api, run.console), 0) << run.err.str();
  ASSERT_EQ(server.requests.size(), 3u);
  EXPECT_EQ(server.requests[1].target, "/v1/autopilotDevices?serialNumber=PF3%20X&limit=1000");
  EXPECT_EQ(server.requests[2].target, "/v1/deploymentSessions?deviceId=z-1&flow=user&limit=1000");
  // The table is oldest first, whatever the API's order.
  EXPECT_LT(run.out.str().find("technician"), run.out.str().find("user")) << run.out.str();

  // Neither a serial number nor an id: the error names --device and what to do.
  server.Answer(404, kNoDevice);
  server.Answer(200, R"({"value":[]})");
  Captured missing;
  EXPECT_EQ(Sessions({.device = "NOPE"}, api, missing.console), 1);
  EXPECT_EQ(missing.err.str(),
            "error: --device: no device has the serial number or id \"NOPE\"; list them with "
            "`groundcrew devices list`\n");
  // A refused filter names its flag.
  server.Answer(400, R"({"error":{"code":"invalid_argument","message":"deploymentState: unknown )"
                     R"(value","field":"deploymentState"}})");
  Captured refused;
  EXPECT_EQ(Sessions({.state = "broken", .json = true}, api, refused.console), 1);
  EXPECT_EQ(json::parse(refused.out.str()).at("error").at("field"), "--state") << refused.out.str();
}

const std::string kHelloSha256 =
    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";  // of "hello\n"

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
  ScriptedTransport server;
  server.Answer(404, "");  // HEAD a.sh: not there
  server.Answer(201, "");  // PUT a.sh
  server.Answer(200, "");  // HEAD b.sh: already there
  server.Answer(200,
                R"({"dryRun":false,"changes":[{"kind":"apps","name":"A","action":"create"}]})");
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Apply({.file = (dir_ / "t.yaml").string()}, api, run.console), 0) << run.err.str();
  ASSERT_EQ(server.requests.size(), 4u);
  EXPECT_EQ(server.requests[0].method, "HEAD");
  EXPECT_EQ(server.requests[1].method, "PUT");
  EXPECT_EQ(server.requests[1].target, "/v1/content/" + kHelloSha256);
  EXPECT_EQ(server.requests[1].body, "hello\n");
  EXPECT_EQ(server.requests[1].content_type, "application/octet-stream");
  EXPECT_EQ(server.requests[2].method, "HEAD");
  EXPECT_EQ(server.requests[3].target, "/v1/apply");
  const json::value posted = json::parse(server.requests[3].body);
  EXPECT_EQ(posted.at("apps").at(1).at("content").at("fileName"), json::value("b.sh"));
  EXPECT_EQ(run.out.str(), "+ apps \"A\"\n\n1 created, 0 updated, 0 deleted, 0 unchanged.\n");
  EXPECT_NE(run.err.str().find("a.sh (6 B)"), std::string::npos) << run.err.str();
}

TEST_F(ApplyCommandTest, ADryRunUploadsNothingAndSaysWhatWouldBe) {
  ScriptedTransport server;
  server.Answer(200, R"({"dryRun":true,"changes":[{"kind":"apps","name":"A","action":"create"}],
      "contentToUpload":[{"sha256":")" +
                         kHelloSha256 + R"(","fileName":"a.sh","size":6,
                          "apps":["A"]}]})");
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Apply({.file = (dir_ / "t.yaml").string(), .dry_run = true}, api, run.console), 0)
      << run.err.str();
  ASSERT_EQ(server.requests.size(), 1u) << "no HEAD, no PUT";
  EXPECT_EQ(server.requests[0].target, "/v1/apply?dryRun=true");
  const json::value posted = json::parse(server.requests[0].body);
  EXPECT_EQ(posted.at("apps").at(0).at("content").at("sha256"), json::value(kHelloSha256));
  EXPECT_NE(run.out.str().find("Content to upload (1)\n  a.sh (6 B, sha256 5891b5b522d5) for A"),
            std::string::npos)
      << run.out.str();
  EXPECT_EQ(run.err.str(), "");
}

TEST_F(ApplyCommandTest, UploadRefusalIsReportedWithTheServersCode) {
  ScriptedTransport server;
  server.Answer(403, R"({"error":{"code":"permission_denied","message":"reader credential"}})");
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Apply({.file = (dir_ / "t.yaml").string(), .json = true}, api, run.console), 1);
  const json::value error = json::parse(run.out.str()).at("error");
  EXPECT_EQ(error.at("code"), json::value("permission_denied"));
  EXPECT_NE(std::string(error.at("message").as_string()).find("reader credential"),
            std::string::npos);
}

TEST_F(ApplyCommandTest, YamlErrorsNameLineAndColumn) {
  std::ofstream(dir_ / "bad.yaml") << "apps:\n  - {displayName: A\n";
  ScriptedTransport server;
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Apply({.file = (dir_ / "bad.yaml").string()}, api, run.console), 1);
  EXPECT_NE(run.err.str().find("bad.yaml: line "), std::string::npos) << run.err.str();
  EXPECT_TRUE(server.requests.empty());
}

TEST_F(ApplyCommandTest, EachProblemIsPrintedOnceWithItsLineAndColumn) {
  std::ofstream(dir_ / "p.yaml") << "apps:\n"
                                    "  - displayName: A\n"
                                    "    dependencies: [{app: X}]\n"
                                    "  - {displayName: B, installContext: sideways}\n";
  ScriptedTransport server;
  server.Answer(400, R"({"error":{"code":"invalid_argument",
      "message":"the document has 3 problems, each in details; the first: ...",
      "field":"apps[A].dependencies[0].app",
      "details":[{"field":"apps[A].dependencies[0].app",
                  "message":"apps[A].dependencies[0].app: no app named \"X\""},
                 {"field":"apps[B].installContext",
                  "message":"apps[B].installContext: must be device or user"},
                 {"field":"devices, line 3", "message":"devices, line 3: bad row"}]}})");
  Api api(server.transport());
  Captured run;
  const std::string file = (dir_ / "p.yaml").string();
  EXPECT_EQ(Apply({.file = file}, api, run.console), 1);
  EXPECT_EQ(run.err.str(),
            "error: " + file + " has 3 problems:\n" +  //
                file + ":3:26: apps[A].dependencies[0].app: no app named \"X\"\n" + file +
                ":4:38: apps[B].installContext: must be device or user\n" +  //
                file + ": devices, line 3: bad row\n");
}

TEST_F(ApplyCommandTest, PruneOffATerminalNeedsYes) {
  ScriptedTransport server;
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(
      Apply({.file = (dir_ / "t.yaml").string(), .prune = true, .prompter = {}}, api, run.console),
      2);
  EXPECT_TRUE(server.requests.empty());
  EXPECT_NE(run.err.str().find("add --yes"), std::string::npos) << run.err.str();
  EXPECT_NE(run.err.str().find("--dry-run"), std::string::npos) << run.err.str();

  // --yes, or a dry run, needs no one to confirm.
  server.Answer(200, "");  // HEAD a.sh
  server.Answer(200, "");  // HEAD b.sh
  server.Answer(200, R"({"dryRun":false,"changes":[]})");
  server.Answer(200, R"({"dryRun":true,"changes":[]})");
  EXPECT_EQ(Apply({.file = (dir_ / "t.yaml").string(), .prune = true, .yes = true, .prompter = {}},
                  api, run.console),
            0);
  EXPECT_EQ(server.requests.back().target, "/v1/apply?prune=true");
  EXPECT_EQ(
      Apply({.file = (dir_ / "t.yaml").string(), .dry_run = true, .prune = true, .prompter = {}},
            api, run.console),
      0);
  EXPECT_EQ(server.requests.back().target, "/v1/apply?dryRun=true&prune=true");
}

TEST_F(ApplyCommandTest, PruneOnATerminalShowsTheDiffThenAsks) {
  const std::string review =
      R"({"dryRun":true,"prune":true,"changes":[{"kind":"apps","name":"Old","action":"delete"}],
          "summary":{"create":0,"update":0,"delete":1,"unchanged":2}})";
  std::vector<std::string> questions;
  bool answer = false;
  const Prompter prompter{true, [&](std::string_view question) {
                            questions.emplace_back(question);
                            return answer;
                          }};
  ScriptedTransport server;
  server.Answer(200, review);
  Api api(server.transport());
  Captured declined;
  EXPECT_EQ(Apply({.file = (dir_ / "t.yaml").string(), .prune = true, .prompter = prompter}, api,
                  declined.console),
            1);
  ASSERT_EQ(server.requests.size(), 1u) << "only the dry run: nothing uploaded";
  EXPECT_EQ(server.requests[0].target, "/v1/apply?dryRun=true&prune=true");
  EXPECT_EQ(questions, (std::vector<std::string>{"Apply these changes (1 to delete)? [y/N] "}));
  EXPECT_EQ(declined.out.str(),
            "- apps \"Old\"\n\nDry run: 0 to create, 0 to update, 1 to delete, 0 unchanged; "
            "nothing was changed.\n");
  EXPECT_EQ(declined.err.str(), "Nothing was changed.\n");

  answer = true;
  server.Answer(200, review);
  server.Answer(200, "");  // HEAD a.sh
  server.Answer(200, "");  // HEAD b.sh
  server.Answer(200, R"({"dryRun":false,"prune":true,
      "changes":[{"kind":"apps","name":"Old","action":"delete"}],
      "summary":{"create":0,"update":0,"delete":1,"unchanged":2}})");
  Captured confirmed;
  EXPECT_EQ(Apply({.file = (dir_ / "t.yaml").string(), .prune = true, .prompter = prompter}, api,
                  confirmed.console),
            0);
  ASSERT_EQ(server.requests.size(), 5u);
  EXPECT_EQ(server.requests[4].target, "/v1/apply?prune=true");
  EXPECT_EQ(confirmed.out.str(),
            "- apps \"Old\"\n\nDry run: 0 to create, 0 to update, 1 to delete, 0 unchanged; "
            "nothing was changed.\n0 created, 0 updated, 1 deleted, 0 unchanged.\n");
}

TEST_F(ApplyCommandTest, LoginVerifiesThenSavesAndLogoutRemoves) {
  const std::string path = (dir_ / "cfg" / "groundcrew" / "credentials.json").string();
  ScriptedTransport server;
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

// ---- users: sign-in credentials -----------------------------------------------------------

constexpr const char* kUsersPage1 =
    R"({"value":[{"id":"u-1","userPrincipalName":"megan.bowen@contoso.com"},)"
    R"({"id":"u-2","userPrincipalName":"Adele.Vance@contoso.com"}],"nextAfter":"u-2"})";
constexpr const char* kUsersPage2 =
    R"({"value":[{"id":"u-3","userPrincipalName":"adele.vance@CONTOSO.com"},)"
    R"({"id":"u-4","userPrincipalName":"lee.gu@contoso.com"}]})";

TEST(UsersTest, ResolveUserTakesIdsAsGivenAndFindsUpnsAcrossPages) {
  ScriptedTransport server;
  Api api(server.transport());
  auto by_id = ResolveUser(api, "u-9");
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->id, "u-9");
  EXPECT_EQ(by_id->label(), "u-9");
  EXPECT_TRUE(server.requests.empty());  // no listing for an id

  server.Answer(200, kUsersPage1);
  server.Answer(200, kUsersPage2);
  auto folded = ResolveUser(api, "LEE.GU@contoso.com");
  ASSERT_TRUE(folded.has_value()) << folded.error().message;
  EXPECT_EQ(folded->id, "u-4");
  EXPECT_EQ(folded->label(), "lee.gu@contoso.com");
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[0].target, "/v1/users?limit=1000");
  EXPECT_EQ(server.requests[1].target, "/v1/users?limit=1000&after=u-2");

  // Two UPNs differ in case only: the exact spelling picks one, another spelling is ambiguous.
  server.Answer(200, kUsersPage1);
  server.Answer(200, kUsersPage2);
  auto exact = ResolveUser(api, "adele.vance@CONTOSO.com");
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(exact->id, "u-3");
  server.Answer(200, kUsersPage1);
  server.Answer(200, kUsersPage2);
  auto ambiguous = ResolveUser(api, "ADELE.VANCE@contoso.com");
  ASSERT_FALSE(ambiguous.has_value());
  EXPECT_EQ(ambiguous.error().code, "invalid_argument");
  EXPECT_EQ(ambiguous.error().field, "USER");

  server.Answer(200, R"({"value":[]})");
  auto missing = ResolveUser(api, "nobody@contoso.com");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, "not_found");
  EXPECT_EQ(missing.error().message,
            "no user has the user principal name or id \"nobody@contoso.com\"; list them with "
            "`groundcrew get users`");

  server.Unreachable();
  EXPECT_EQ(ResolveUser(api, "x@contoso.com").error().code, "unavailable");
}

TEST(UsersTest, PasswordFromStdinIsTheFirstLineWithoutItsLineEnd) {
  std::istringstream plain("  correct horse battery  \nsecond line\n");
  EXPECT_EQ(*PasswordFromStdin(plain), "  correct horse battery  ");
  std::istringstream crlf("Tr0ub4dor&3-long\r\n");
  EXPECT_EQ(*PasswordFromStdin(crlf), "Tr0ub4dor&3-long");
  std::istringstream unterminated("no-newline-at-all");
  EXPECT_EQ(*PasswordFromStdin(unterminated), "no-newline-at-all");
  for (const char* text : {"", "\n", "\r\n", "\nsecond line\n"}) {
    std::istringstream in(text);
    auto empty = PasswordFromStdin(in);
    ASSERT_FALSE(empty.has_value()) << text;
    EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(empty.error().field, "--password-stdin");
  }
}

TEST(UsersTest, PasswordTypedTwiceMustMatch) {
  auto typing = [](std::vector<std::optional<std::string>> lines) {
    return [lines = std::move(lines), i = size_t{0}](std::string_view) mutable {
      return i < lines.size() ? lines[i++] : std::nullopt;
    };
  };
  auto same = PasswordTypedTwice(typing({"s3cret passphrase", "s3cret passphrase"}));
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(*same, "s3cret passphrase");

  auto differ = PasswordTypedTwice(typing({"s3cret passphrase", "s3cret passphrasE"}));
  ASSERT_FALSE(differ.has_value());
  EXPECT_EQ(differ.error().field, "password");
  EXPECT_EQ(differ.error().message.find("s3cret"), std::string::npos);
  EXPECT_FALSE(PasswordTypedTwice(typing({""})).has_value());
  EXPECT_FALSE(PasswordTypedTwice(typing({std::nullopt})).has_value());
  EXPECT_FALSE(PasswordTypedTwice(typing({"s3cret passphrase", std::nullopt})).has_value());

  std::vector<std::string> prompts;
  (void)PasswordTypedTwice([&](std::string_view prompt) -> std::optional<std::string> {
    prompts.emplace_back(prompt);
    return "x";
  });
  EXPECT_EQ(prompts, (std::vector<std::string>{"New password: ", "Repeat the password: "}));
}

TEST(UsersTest, ShowRendersTheSignInStateOrPrintsItsJson) {
  const std::string locked =
      R"({"userId":"u-4","userPrincipalName":"lee.gu@contoso.com","passwordSet":true,)"
      R"("mfaEnrolled":false,"recentFailures":5,"lockedUntil":"2030-01-02T03:04:05Z"})";
  const std::string fresh =
      R"({"userId":"u-2","userPrincipalName":"adele.vance@contoso.com","passwordSet":false,)"
      R"("mfaEnrolled":true,"recentFailures":0,"lockedUntil":null})";
  ScriptedTransport server;
  server.Answer(200, kUsersPage1);
  server.Answer(200, kUsersPage2);
  server.Answer(200, locked);
  server.Answer(200, fresh);
  Api api(server.transport());
  Captured text;
  EXPECT_EQ(UsersShow({"Lee.Gu@contoso.com", false}, api, text.console), 0) << text.err.str();
  EXPECT_EQ(server.requests[2].target, "/v1/users/u-4/signIn");
  EXPECT_EQ(text.out.str(),
            "User             lee.gu@contoso.com\n"
            "User id          u-4\n"
            "Password         set\n"
            "MFA              not enrolled (registers at the next sign-in that needs MFA)\n"
            "Recent failures  5\n"
            "Locked           until 2030-01-02T03:04:05Z (groundcrew users unlock clears it)\n");
  Captured as_json;
  EXPECT_EQ(UsersShow({"u/2", true}, api, as_json.console), 0);
  EXPECT_EQ(server.requests[3].target, "/v1/users/u%2F2/signIn");
  EXPECT_EQ(json::parse(as_json.out.str()), json::parse(fresh));

  std::ostringstream rendered;
  RenderSignInState(json::parse(fresh), Style{}, rendered);
  EXPECT_NE(rendered.str().find("Password         not set (the user cannot sign in)\n"),
            std::string::npos)
      << rendered.str();
  EXPECT_NE(rendered.str().find("MFA              enrolled\n"), std::string::npos);
  EXPECT_NE(rendered.str().find("Locked           no\n"), std::string::npos);

  // The devices where the user failed recently, each with its own lock.
  std::ostringstream devices;
  RenderSignInState(
      json::parse(R"({"userId":"u-2","userPrincipalName":"adele.vance@contoso.com",)"
                  R"("passwordSet":true,"mfaEnrolled":true,"recentFailures":0,"lockedUntil":null,)"
                  R"("deviceLocks":[{"deviceId":"d-1","recentFailures":5,)"
                  R"("lockedUntil":"2030-01-02T03:04:05Z"}]})"),
      Style{}, devices);
  EXPECT_NE(devices.str().find("Device d-1       5 recent failures, locked until "
                               "2030-01-02T03:04:05Z\n"),
            std::string::npos)
      << devices.str();
}

TEST(UsersTest, SetPasswordSendsItOnlyToTheServer) {
  const std::string password = "plum-Orchard-Kettle-42";
  ScriptedTransport server;
  server.Answer(204, "");
  server.Answer(400, R"({"error":{"code":"invalid_argument","message":"password is too common; )"
                     R"(choose another one","field":"password"}})");
  Api api(server.transport());
  int asked = 0;
  PasswordSource source = [&]() -> Result<std::string> {
    ++asked;
    return password;
  };
  Captured ok;
  EXPECT_EQ(UsersSetPassword({"u-2", false}, source, api, ok.console), 0) << ok.err.str();
  EXPECT_EQ(server.requests[0].method, "PUT");
  EXPECT_EQ(server.requests[0].target, "/v1/users/u-2/password");
  EXPECT_EQ(json::parse(server.requests[0].body), (json::object{{"password", password}}));
  EXPECT_EQ(ok.out.str(),
            "Password set for u-2: their lockout is cleared and their tokens are revoked.\n");

  Captured refused;
  EXPECT_EQ(UsersSetPassword({"u-2", false}, source, api, refused.console), 1);
  EXPECT_EQ(refused.err.str(), "error: password: password is too common; choose another one\n");
  for (const Captured* run : {&ok, &refused}) {
    EXPECT_EQ(run->out.str().find(password), std::string::npos);
    EXPECT_EQ(run->err.str().find(password), std::string::npos);
  }

  // An unknown user fails before the password is asked for; a refused password is not sent.
  server.Answer(200, R"({"value":[]})");
  Captured unknown;
  EXPECT_EQ(UsersSetPassword({"nobody@contoso.com", true}, source, api, unknown.console), 1);
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(json::parse(unknown.out.str()).at("error").at("field"), json::value("USER"));
  Captured typo;
  PasswordSource differ = [] {
    return Result<std::string>(
        MakeError(ErrorCode::kInvalidArgument, "the two passwords differ", "password"));
  };
  EXPECT_EQ(UsersSetPassword({"u-2", true}, differ, api, typo.console), 1);
  EXPECT_EQ(server.requests.size(), 3u);
  EXPECT_EQ(json::parse(typo.out.str()),
            json::parse(R"({"error":{"code":"invalid_argument",)"
                        R"("message":"the two passwords differ","field":"password"}})"));
}

TEST(UsersTest, MfaResetAndUnlockUseTheirEndpoints) {
  ScriptedTransport server;
  server.Answer(200, kUsersPage1);
  server.Answer(200, kUsersPage2);
  server.Answer(204, "");
  server.Answer(204, "");
  server.Answer(404,
                R"({"error":{"code":"not_found","message":"no user has id u-9","field":"id"}})");
  Api api(server.transport());
  Captured reset;
  EXPECT_EQ(UsersMfaReset({"megan.bowen@contoso.com", true}, api, reset.console), 0);
  EXPECT_EQ(server.requests[2].method, "DELETE");
  EXPECT_EQ(server.requests[2].target, "/v1/users/u-1/mfa");
  EXPECT_EQ(json::parse(reset.out.str()),
            json::parse(R"({"userId":"u-1","userPrincipalName":"megan.bowen@contoso.com",)"
                        R"("mfaEnrolled":false})"));
  Captured unlock;
  EXPECT_EQ(UsersUnlock({"u-1", false}, api, unlock.console), 0);
  EXPECT_EQ(server.requests[3].method, "POST");
  EXPECT_EQ(server.requests[3].target, "/v1/users/u-1/unlock");
  EXPECT_TRUE(server.requests[3].body.empty());
  EXPECT_EQ(unlock.out.str(), "Unlocked u-1: their recent sign-in failures are cleared.\n");
  Captured missing;
  EXPECT_EQ(UsersUnlock({"u-9", false}, api, missing.console), 1);
  EXPECT_EQ(missing.err.str(), "error: id: no user has id u-9\n");
}

class UsersMfaEnrollTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gc-cli-mfa-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

constexpr const char* kEnrollment =
    R"({"secret":"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",)"
    R"("otpauthUri":"otpauth://totp/groundcrew:u-1?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP)"
    R"(&issuer=groundcrew&algorithm=SHA1&digits=6&period=30",)"
    R"("qrSvg":"<svg>qr</svg>","qrText":"\u2588\u2580\u2584\n"})";

TEST_F(UsersMfaEnrollTest, PrintsTheQrCodeSecretAndUriAndWritesAPrivateSvg) {
  ScriptedTransport server;
  server.Answer(201, kEnrollment);
  server.Answer(201, kEnrollment);
  Api api(server.transport());
  const std::string svg = (dir_ / "qr.svg").string();
  Captured text;
  const mode_t old_umask = ::umask(0);
  const int code = UsersMfaEnroll({{"u-1", false}, "", svg}, api, text.console);
  ::umask(old_umask);
  EXPECT_EQ(code, 0) << text.err.str();
  EXPECT_EQ(server.requests[0].method, "POST");
  EXPECT_EQ(server.requests[0].target, "/v1/users/u-1/mfa");
  EXPECT_TRUE(server.requests[0].body.empty());  // the server makes a fresh secret
  const std::string out = text.out.str();
  EXPECT_EQ(out.rfind("\u2588\u2580\u2584\n", 0), 0u) << out;
  EXPECT_NE(out.find("Secret   JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n"), std::string::npos) << out;
  EXPECT_NE(out.find("URI      otpauth://totp/groundcrew:u-1?secret="), std::string::npos);
  EXPECT_NE(out.find("SVG      " + svg + " (mode 0600"), std::string::npos);
  EXPECT_EQ(*ReadWholeFile(svg), "<svg>qr</svg>");
  struct stat info {};
  ASSERT_EQ(::stat(svg.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_EQ(entry.path().filename(), "qr.svg");  // no temporary file left behind
  }

  Captured as_json;
  EXPECT_EQ(
      UsersMfaEnroll({{"u-1", true}, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", ""}, api, as_json.console),
      0);
  EXPECT_EQ(json::parse(server.requests[1].body),
            (json::object{{"secret", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}}));
  EXPECT_EQ(server.requests[1].content_type, "application/json");
  EXPECT_EQ(json::parse(as_json.out.str()), json::parse(kEnrollment));
}

TEST_F(UsersMfaEnrollTest, AnUnwritableSvgFailsBeforeEnrollingAndBadSecretsNameTheField) {
  ScriptedTransport server;
  server.Answer(400, R"({"error":{"code":"invalid_argument","message":"secret: not base32",)"
                     R"("field":"secret"}})");
  Api api(server.transport());
  Captured no_dir;
  EXPECT_EQ(UsersMfaEnroll({{"u-1", false}, "", (dir_ / "none" / "qr.svg").string()}, api,
                           no_dir.console),
            1);
  EXPECT_TRUE(server.requests.empty());
  EXPECT_NE(no_dir.err.str().find("cannot create"), std::string::npos) << no_dir.err.str();

  const std::string svg = (dir_ / "qr.svg").string();
  Captured bad;
  EXPECT_EQ(UsersMfaEnroll({{"u-1", false}, "not base32!", svg}, api, bad.console), 1);
  EXPECT_EQ(bad.err.str(), "error: secret: not base32\n");
  EXPECT_TRUE(fs::is_empty(dir_));  // the refused enrollment left no file behind
}

}  // namespace
}  // namespace groundcrew::cli

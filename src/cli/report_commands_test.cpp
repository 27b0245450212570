#include "cli/report_commands.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <deque>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/captured_console.hpp"
#include "tests/support/scripted_transport.hpp"

// `groundcrew report` and `groundcrew watch` against a scripted fake transport (no server).
namespace groundcrew::cli {
namespace {
namespace json = boost::json;

using test_support::ScriptedTransport;

// The report of a device that was pre-provisioned (with a retry) and then signed in to.
constexpr const char* kReport = R"json({
  "device": {"id": "ztd-1", "serialNumber": "CON-0001", "displayName": "CON-CON-0001",
             "userPrincipalName": "adele@contoso.com", "enrollmentState": "enrolled",
             "resealedDateTime": "2026-11-25T13:05:00Z"},
  "deploymentState": "success",
  "sessions": [
    {"id": "s-1", "flow": "technician", "userPrincipalName": "",
     "deploymentState": "successOnRetry",
     "startedDateTime": "2026-11-25T13:00:00Z", "finishedDateTime": "2026-11-25T13:04:05Z",
     "durationSeconds": 245,
     "phases": [
       {"phase": "devicePreparation", "status": "complete", "runs": 1,
        "startedDateTime": "2026-11-25T13:00:00Z", "finishedDateTime": "2026-11-25T13:00:20Z",
        "durationSeconds": 20, "code": null, "message": null},
       {"phase": "deviceSetup", "status": "complete", "runs": 2,
        "startedDateTime": "2026-11-25T13:00:20Z", "finishedDateTime": "2026-11-25T13:04:05Z",
        "durationSeconds": 225, "code": null, "message": null}],
     "items": [
       {"phase": "deviceSetup", "id": "app-1", "displayName": "Company Portal",
        "status": "succeeded", "attempts": 2, "startedDateTime": "2026-11-25T13:00:21Z",
        "finishedDateTime": "2026-11-25T13:03:00Z", "durationSeconds": 159, "code": null,
        "message": null},
       {"phase": "deviceSetup", "id": "app-2", "displayName": "", "status": "failed",
        "attempts": 1, "startedDateTime": "2026-11-25T13:00:22Z",
        "finishedDateTime": "2026-11-25T13:00:40Z", "durationSeconds": 18, "code": "1603",
        "message": "the installer failed"}],
     "compliance": {"before": null, "after": null}, "eventCount": 12},
    {"id": "s-2", "flow": "user", "userPrincipalName": "adele@contoso.com",
     "deploymentState": "success", "startedDateTime": "2026-11-26T09:00:00Z",
     "finishedDateTime": "2026-11-26T10:02:03Z", "durationSeconds": 3723,
     "phases": [{"phase": "accountSetup", "status": "complete", "runs": 1,
                 "startedDateTime": "2026-11-26T09:00:10Z",
                 "finishedDateTime": "2026-11-26T09:01:00Z", "durationSeconds": 50,
                 "code": null, "message": null}],
     "items": [],
     "compliance": {
       "before": {"state": "unknown", "findings": [], "at": "2026-11-26T09:00:00Z"},
       "after": {"state": "noncompliant", "at": "2026-11-26T10:02:00Z",
                 "findings": [{"setting": "storageRequireEncryption", "expected": "true",
                               "actual": "false"}]}},
     "eventCount": 4}]})json";

TEST(ReportCommandTest, FormatsDurations) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(59), "59s");
  EXPECT_EQ(FormatDuration(65), "1m 05s");
  EXPECT_EQ(FormatDuration(3723), "1h 02m 03s");
  EXPECT_EQ(FormatDuration(-4), "0s");
}

TEST(ReportCommandTest, RendersEachFlowsPhasesItemsAndCompliance) {
  std::ostringstream out;
  RenderDeploymentReport(json::parse(kReport), Style{}, out);
  const std::string text = out.str();
  const std::vector<std::string> expected_lines = {
      "Device CON-0001 (CON-CON-0001)  id ztd-1",
      "Assigned user: adele@contoso.com",
      "Enrollment: enrolled, resealed 2026-11-25T13:05:00Z",
      "Deployment state: success",
      "Technician flow  successOnRetry  4m 05s",
      "  started 2026-11-25T13:00:00Z, finished 2026-11-25T13:04:05Z",
      "  PHASE               STATUS    RUNS  DURATION  CODE  MESSAGE",
      "  Device preparation  complete  1     20s",
      "  Device setup        complete  2     3m 45s",
      "  ITEM            PHASE         STATUS     ATTEMPTS  DURATION  CODE  MESSAGE",
      "  Company Portal  Device setup  succeeded  2         2m 39s",
      "  app-2           Device setup  failed     1         18s       1603  the installer failed",
      "User flow (adele@contoso.com)  success  1h 02m 03s",
      "  Account setup  complete  1     50s",
      "  Compliance before: unknown",
      "  Compliance after:  noncompliant (1 finding: storageRequireEncryption (expected true, "
      "actual false))",
  };
  for (const std::string& line : expected_lines) {
    EXPECT_NE(text.find(line + "\n"), std::string::npos) << "missing: " << line << "\n" << text;
  }
  // No compliance events in the technician flow: no compliance lines for it.
  EXPECT_EQ(text.find("Compliance"), text.find("Compliance before: unknown"));

  // Colour only when asked for; a device without sessions says so.
  std::ostringstream colored;
  RenderDeploymentReport(json::parse(kReport), Style{true}, colored);
  EXPECT_NE(colored.str().find("\x1b["), std::string::npos);
  std::ostringstream fresh;
  RenderDeploymentReport(json::parse(R"({"device": {"id": "ztd-2", "serialNumber": "CON-0002"},
                      "deploymentState": null, "sessions": []})"),
                         Style{}, fresh);
  EXPECT_NE(fresh.str().find("Deployment state: no deployment reported yet"), std::string::npos);
}

TEST(ReportCommandTest, CallsTheReportEndpointAndPrintsJsonOrText) {
  ScriptedTransport server;
  server.Answer(200, kReport);
  server.Answer(200, kReport);
  server.Answer(404, R"({"error":{"code":"not_found","message":"no registered device has serial )"
                     R"(number X 1","field":"serialNumber"}})");
  server.Answer(404, R"({"error":{"code":"not_found","message":"no device","field":"id"}})");
  Api api(server.transport());
  Captured text;
  EXPECT_EQ(Report({.serial = "CON-0001", .json = false}, api, text.console), 0);
  EXPECT_EQ(server.requests[0].method, "GET");
  EXPECT_EQ(server.requests[0].target, "/v1/reports/CON-0001");
  EXPECT_NE(text.out.str().find("Technician flow"), std::string::npos);

  Captured as_json;
  EXPECT_EQ(Report({.serial = "CON-0001", .json = true}, api, as_json.console), 0);
  EXPECT_EQ(json::parse(as_json.out.str()), json::parse(kReport));

  Captured missing;
  EXPECT_EQ(Report({.serial = "X 1", .json = false}, api, missing.console), 1);
  EXPECT_EQ(server.requests[2].target, "/v1/reports/X%201");
  EXPECT_EQ(server.requests[3].target, "/v1/autopilotDevices/X%201");  // nor a device's id
  EXPECT_NE(missing.err.str().find("error: DEVICE: no registered device"), std::string::npos)
      << missing.err.str();

  server.Answer(404, R"({"error":{"code":"not_found","message":"no registered device has serial )"
                     R"(number ztd-7","field":"serialNumber"}})");
  server.Answer(200, R"({"id":"ztd-7","serialNumber":"CON-0007"})");  // an id, then its serial
  server.Answer(200, kReport);
  Captured by_id;
  EXPECT_EQ(Report({.serial = "ztd-7", .json = true}, api, by_id.console), 0) << by_id.err.str();
  ASSERT_EQ(server.requests.size(), 7u);
  EXPECT_EQ(server.requests[6].target, "/v1/reports/CON-0007");
}

json::object StreamEvent(int sequence, std::string kind, json::object detail) {
  return {{"sequence", sequence},    {"sessionId", "s-1"},
          {"deviceId", "ztd-1"},     {"serialNumber", "CON-0001"},
          {"flow", "technician"},    {"at", "2026-11-25T13:00:05Z"},
          {"kind", std::move(kind)}, {"detail", std::move(detail)}};
}

TEST(WatchCommandTest, OneLinePerEventWithWhatItIsAbout) {
  const std::string at = "2026-11-25T13:00:05Z CON-0001 technician ";
  EXPECT_EQ(EventLine(StreamEvent(1, "phaseStarted", {{"phase", "deviceSetup"}})),
            at + "phaseStarted deviceSetup");
  EXPECT_EQ(EventLine(StreamEvent(2, "itemStarted",
                                  {{"phase", "deviceSetup"},
                                   {"id", "app-1"},
                                   {"displayName", "Company Portal"},
                                   {"attempt", 2}})),
            at + "itemStarted deviceSetup Company Portal attempt 2");
  EXPECT_EQ(EventLine(StreamEvent(3, "itemFailed",
                                  {{"phase", "deviceSetup"},
                                   {"id", "app-1"},
                                   {"code", 1603},
                                   {"message", "the installer failed"}})),
            at + "itemFailed deviceSetup app-1 1603 the installer failed");
  EXPECT_EQ(
      EventLine(StreamEvent(4, "phaseFailed", {{"phase", "deviceSetup"}, {"code", 0x800705B4LL}})),
      at + "phaseFailed deviceSetup 0x800705B4");
  EXPECT_EQ(
      EventLine(StreamEvent(
          5, "itemProgress",
          {{"phase", "deviceSetup"}, {"id", "app-1"}, {"bytesDone", 25}, {"bytesTotal", 100}})),
      at + "itemProgress deviceSetup app-1 25%");
  EXPECT_EQ(EventLine(StreamEvent(6, "compliance",
                                  {{"when", "after"},
                                   {"state", "noncompliant"},
                                   {"findings", json::array{json::object{}, json::object{}}}})),
            at + "compliance after noncompliant (2 findings)");
  EXPECT_EQ(EventLine(StreamEvent(7, "flowFinished", {{"deploymentState", "success"}})),
            at + "flowFinished success");
  EXPECT_EQ(EventLine(StreamEvent(8, "screen", {{"screen", "esp"}})), at + "screen esp");
  EXPECT_EQ(EventLine(StreamEvent(9, "reboot", {{"reason", "3010"}})),
            at + R"(reboot {"reason":"3010"})");
  json::object unknown_device = StreamEvent(10, "button", {{"button", "retry"}});
  unknown_device["serialNumber"] = nullptr;
  unknown_device["flow"] = nullptr;
  EXPECT_EQ(EventLine(unknown_device), "2026-11-25T13:00:05Z ztd-1 - button retry");
}

std::string Page(const std::vector<json::object>& events, long long next_after) {
  json::array value;
  for (const json::object& event : events) value.push_back(event);
  return json::serialize(
      json::object{{"value", std::move(value)}, {"nextAfter", std::to_string(next_after)}});
}

// What a device writes in its events (serial number, item names, error messages) cannot set
// the admin's window title, move the cursor or erase lines, in either output.
TEST(WatchCommandTest, TextFromDevicesCannotDriveTheTerminal) {
  json::object event = StreamEvent(
      3, "itemFailed",
      {{"phase", "deviceSetup"},
       {"id", "app-1"},
       {"displayName", "Portal\x1b]0;pwned\x07"},
       {"message", "failed\r\x1b[2K\x1b[1Asuccess\nCON-0002 technician flowFinished success"}});
  event["serialNumber"] =
      "CON-\xc2\x9b"
      "2J0001\x7f";
  ScriptedTransport server;
  server.Answer(200, Page({event}, 3));
  server.Answer(200, Page({event}, 3));
  Api api(server.transport());
  Captured human;
  EXPECT_EQ(Watch({.after = 0, .once = true}, api, human.console), 0);
  Captured as_json;
  EXPECT_EQ(Watch({.after = 0, .once = true, .json = true}, api, as_json.console), 0);
  for (const std::string& out : {human.out.str(), as_json.out.str()}) {
    SCOPED_TRACE(out);
    EXPECT_EQ(out.find_first_of("\x1b\x07\r\x7f"), std::string::npos);
    EXPECT_EQ(out.find("\xc2\x9b"), std::string::npos);
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);  // one line per event
  }
  EXPECT_NE(human.out.str().find("CON-�2J0001␡"), std::string::npos);
  EXPECT_NE(human.out.str().find("Portal␛]0;pwned␇"), std::string::npos);
  // The JSON line parses back to the event, C1 and DEL included.
  EXPECT_EQ(json::parse(as_json.out.str()), event);
}

TEST(WatchCommandTest, OnceReadsEveryPageWithoutWaitingThenExits) {
  ScriptedTransport server;
  std::vector<json::object> full;
  for (int i = 1; i <= 200; ++i) full.push_back(StreamEvent(i, "button", {{"button", "next"}}));
  server.Answer(200, Page(full, 200));
  server.Answer(200,
                Page({StreamEvent(201, "flowFinished", {{"deploymentState", "success"}})}, 201));
  Api api(server.transport());
  Captured run;
  EXPECT_EQ(Watch({.after = 0, .once = true}, api, run.console), 0);
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[0].target, "/v1/deploymentEvents?after=0&limit=200&waitSeconds=0");
  EXPECT_EQ(server.requests[1].target, "/v1/deploymentEvents?after=200&limit=200&waitSeconds=0");
  std::istringstream lines(run.out.str());
  int count = 0;
  std::string last;
  for (std::string line; std::getline(lines, line); ++count) last = line;
  EXPECT_EQ(count, 201);
  EXPECT_EQ(last, "2026-11-25T13:00:05Z CON-0001 technician flowFinished success");

  // With --json each event is one line of JSON; an error ends with exit 1.
  ScriptedTransport failing;
  failing.Answer(200, Page({StreamEvent(7, "screen", {{"screen", "esp"}})}, 7));
  Api failing_api(failing.transport());
  Captured as_json;
  EXPECT_EQ(Watch({.after = 5, .once = true, .json = true}, failing_api, as_json.console), 0);
  EXPECT_EQ(failing.requests[0].target, "/v1/deploymentEvents?after=5&limit=200&waitSeconds=0");
  EXPECT_EQ(json::parse(as_json.out.str()), StreamEvent(7, "screen", {{"screen", "esp"}}));
}

TEST(WatchCommandTest, FollowsTheStreamRetriesOutagesAndStopsWhenAsked) {
  ScriptedTransport server;
  server.Answer(200, Page({StreamEvent(3, "phaseStarted", {{"phase", "deviceSetup"}})}, 3));
  server.Answer(200, Page({}, 3));  // the long poll ran out
  server.Unreachable();
  server.Unreachable();
  server.Answer(200, Page({StreamEvent(4, "phaseCompleted", {{"phase", "deviceSetup"}})}, 4));
  Api api(server.transport());
  Captured run;
  std::vector<std::chrono::milliseconds> pauses;
  WatchControl control;
  control.stop = [&] { return server.pending() == 0; };
  control.sleep = [&](std::chrono::milliseconds d) { pauses.push_back(d); };
  EXPECT_EQ(Watch({.after = 2, .once = false, .json = false, .wait_seconds = 20}, api, run.console,
                  control),
            0);
  ASSERT_EQ(server.requests.size(), 5u);
  // The first read catches up without waiting; then long polls.
  EXPECT_EQ(server.requests[0].target, "/v1/deploymentEvents?after=2&limit=200&waitSeconds=0");
  EXPECT_EQ(server.requests[1].target, "/v1/deploymentEvents?after=3&limit=200&waitSeconds=20");
  EXPECT_EQ(server.requests[4].target, "/v1/deploymentEvents?after=3&limit=200&waitSeconds=20");
  EXPECT_EQ(run.out.str(),
            "2026-11-25T13:00:05Z CON-0001 technician phaseStarted deviceSetup\n"
            "2026-11-25T13:00:05Z CON-0001 technician phaseCompleted deviceSetup\n");
  // One message per outage, and one when it is over.
  EXPECT_EQ(run.err.str(),
            "groundcrew watch: cannot reach http://127.0.0.1:8080: Connection refused; trying "
            "again every 2 seconds\n"
            "groundcrew watch: connected again\n");
  EXPECT_EQ(pauses, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(1000),
                                                            std::chrono::milliseconds(2000),
                                                            std::chrono::milliseconds(2000)}));

  // Anything but an outage ends the command.
  ScriptedTransport refusing;
  refusing.Answer(401, R"({"error":{"code":"unauthenticated","message":"no token","field":""}})");
  Api refusing_api(refusing.transport());
  Captured refused;
  EXPECT_EQ(Watch({}, refusing_api, refused.console), 1);
  EXPECT_NE(refused.err.str().find("no token"), std::string::npos);
}

TEST(WatchCommandTest, FiltersOnTheServerAndSaysOnATerminalThatItIsWaiting) {
  ScriptedTransport server;
  std::vector<json::object> full;
  for (int i = 1; i <= 200; ++i) full.push_back(StreamEvent(i, "button", {{"button", "next"}}));
  server.Answer(200, Page(full, 200));
  server.Answer(200, Page({}, 450));  // caught up; nothing matched up to 450
  server.Answer(200, Page({}, 450));  // the long poll ran out
  Api api(server.transport());
  std::ostringstream out, err;
  Console terminal{out, err, Style{}, Style{}, /*err_is_terminal=*/true};
  WatchControl control;
  control.stop = [&] { return server.pending() == 0; };
  control.sleep = [](std::chrono::milliseconds) {};
  EXPECT_EQ(
      Watch({.serial = "CON 1", .flow = "technician", .state = "failure"}, api, terminal, control),
      0);
  ASSERT_EQ(server.requests.size(), 3u);
  const std::string filters = "&serialNumber=CON%201&flow=technician&deploymentState=failure";
  EXPECT_EQ(server.requests[0].target,
            "/v1/deploymentEvents?after=0&limit=200&waitSeconds=0" + filters);
  EXPECT_EQ(server.requests[1].target,
            "/v1/deploymentEvents?after=200&limit=200&waitSeconds=0" + filters);
  EXPECT_EQ(server.requests[2].target,
            "/v1/deploymentEvents?after=450&limit=200&waitSeconds=25" + filters);
  // Said once, after the backlog, on stderr only.
  EXPECT_EQ(err.str(), "Waiting for deployment events\u2026 (Ctrl-C to stop)\n");
  EXPECT_EQ(out.str().find("Waiting"), std::string::npos);

  // Not on a terminal (a pipe, a log file), and never with --once: nothing is said.
  ScriptedTransport quiet_server;
  quiet_server.Answer(200, Page({}, 0));
  quiet_server.Answer(200, Page({}, 0));
  Api quiet_api(quiet_server.transport());
  Captured piped;
  WatchControl until_done;
  until_done.stop = [&] { return quiet_server.pending() == 0; };
  until_done.sleep = [](std::chrono::milliseconds) {};
  EXPECT_EQ(Watch({}, quiet_api, piped.console, until_done), 0);
  EXPECT_EQ(piped.err.str(), "");
  ScriptedTransport once_server;
  once_server.Answer(200, Page({}, 0));
  Api once_api(once_server.transport());
  std::ostringstream once_out, once_err;
  Console once_terminal{once_out, once_err, Style{}, Style{}, true};
  EXPECT_EQ(Watch({.once = true}, once_api, once_terminal), 0);
  EXPECT_EQ(once_err.str(), "");

  // A refused filter names its flag.
  ScriptedTransport refusing;
  refusing.Answer(400, R"({"error":{"code":"invalid_argument","message":"flow: unknown value",)"
                       R"("field":"flow"}})");
  Api refusing_api(refusing.transport());
  Captured refused;
  EXPECT_EQ(Watch({.once = true, .json = true, .flow = "nightly"}, refusing_api, refused.console),
            1);
  EXPECT_EQ(json::parse(refused.out.str()).at("error").at("field"), "--flow");
}

}  // namespace
}  // namespace groundcrew::cli

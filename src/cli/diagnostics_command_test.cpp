#include "cli/diagnostics_command.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <sstream>
#include <string>

#include "cli/captured_console.hpp"
#include "tests/support/files.hpp"
#include "tests/support/scripted_transport.hpp"

// `groundcrew devices diagnostics` against a scripted fake transport (no server).
namespace groundcrew::cli {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

using test_support::ModeOf;
using test_support::ReadText;
using test_support::ScriptedTransport;
using test_support::TempDir;
using test_support::WriteText;

constexpr const char* kListing = R"json({"value": [
  {"id": "b2", "fileName": "diagnostics-1800000600.tar.gz", "sizeBytes": 2048,
   "uploadedDateTime": "2027-01-15T08:10:00Z", "expiresDateTime": "2027-02-12T08:10:00Z"},
  {"id": "a1", "fileName": "diagnostics-1800000000.tar.gz", "sizeBytes": 300,
   "uploadedDateTime": "2027-01-15T08:00:00Z", "expiresDateTime": "2027-02-12T08:00:00Z"}]})json";

constexpr const char* kNoDevice =
    R"({"error": {"code": "not_found", "field": "id",
        "message": "no registered device has the id or serial number \"NOPE\""}})";

// Runs the command in `dir` (the current folder while it runs).
int RunIn(const fs::path& dir, const DiagnosticsOptions& options, ScriptedTransport& server,
          Captured& captured) {
  const fs::path previous = fs::current_path();
  fs::current_path(dir);
  Api api(server.transport());
  const int code = DevicesDiagnostics(options, api, captured.console);
  fs::current_path(previous);
  return code;
}

TEST(DiagnosticsCommandTest, ListsADevicesArchivesNewestFirst) {
  ScriptedTransport server;
  server.Answer(200, kListing);
  Captured captured;
  Api api(server.transport());
  EXPECT_EQ(DevicesDiagnostics({.serial = "CON 0001"}, api, captured.console), 0);
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].method, "GET");
  EXPECT_EQ(server.requests[0].target, "/v1/autopilotDevices/CON%200001/diagnostics");
  EXPECT_EQ(captured.out.str(),
            "ID  FILE                           SIZE     UPLOADED              EXPIRES\n"
            "b2  diagnostics-1800000600.tar.gz  2.0 KiB  2027-01-15T08:10:00Z  "
            "2027-02-12T08:10:00Z\n"
            "a1  diagnostics-1800000000.tar.gz  300 B    2027-01-15T08:00:00Z  "
            "2027-02-12T08:00:00Z\n"
            "\n2 archives (kept 28 days after upload).\n");
  EXPECT_EQ(captured.err.str(), "");
}

TEST(DiagnosticsCommandTest, JsonListsTheAnswer) {
  ScriptedTransport server;
  server.Answer(200, kListing);
  Captured captured;
  Api api(server.transport());
  EXPECT_EQ(DevicesDiagnostics({.serial = "CON-0001", .json = true}, api, captured.console), 0);
  EXPECT_EQ(json::parse(captured.out.str()), json::parse(kListing));
}

TEST(DiagnosticsCommandTest, AnUnknownSerialIsReportedAgainstSerial) {
  ScriptedTransport server;
  server.Answer(404, kNoDevice);
  Captured captured;
  Api api(server.transport());
  EXPECT_EQ(DevicesDiagnostics({.serial = "NOPE"}, api, captured.console), 1);
  EXPECT_NE(captured.err.str().find("SERIAL"), std::string::npos) << captured.err.str();
  EXPECT_NE(captured.err.str().find("NOPE"), std::string::npos) << captured.err.str();

  server.Answer(404, kNoDevice);
  Captured as_json;
  EXPECT_EQ(DevicesDiagnostics({.serial = "NOPE", .json = true}, api, as_json.console), 1);
  EXPECT_EQ(json::parse(as_json.out.str()).at("error").at("field"), json::value("SERIAL"));
}

TEST(DiagnosticsCommandTest, DownloadSavesTheNewestUnderItsNamePrivately) {
  TempDir dir;
  ScriptedTransport server;
  server.Answer(200, kListing);
  constexpr char kArchive[] = "\x1f\x8b\x08\x00 archive \0 bytes";
  const std::string bytes(kArchive, sizeof kArchive - 1);  // 20 bytes, one of them NUL
  ASSERT_EQ(bytes.size(), 20u);
  server.Answer(200, bytes, {{"Content-Type", "application/gzip"}});
  Captured captured;
  ASSERT_EQ(RunIn(dir.path(), {.serial = "CON-0001", .download = true}, server, captured), 0)
      << captured.err.str();
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[1].target, "/v1/autopilotDevices/CON-0001/diagnostics/b2");
  const fs::path saved = dir.path() / "diagnostics-1800000600.tar.gz";
  EXPECT_EQ(ReadText(saved), bytes);
  EXPECT_EQ(ModeOf(saved), 0600);
  EXPECT_EQ(captured.out.str(),
            "Saved diagnostics-1800000600.tar.gz (20 B, uploaded 2027-01-15T08:10:00Z) to "
            "diagnostics-1800000600.tar.gz.\n");

  // Again: the file is there, and is not overwritten.
  server.Answer(200, kListing);
  server.Answer(200, "other bytes");
  Captured again;
  EXPECT_EQ(RunIn(dir.path(), {.serial = "CON-0001", .download = true}, server, again), 1);
  EXPECT_NE(again.err.str().find("-o"), std::string::npos) << again.err.str();
  EXPECT_NE(again.err.str().find("exists"), std::string::npos) << again.err.str();
  EXPECT_EQ(ReadText(saved), bytes);
}

TEST(DiagnosticsCommandTest, DownloadOfAGivenIdToAGivenFile) {
  TempDir dir;
  ScriptedTransport server;
  server.Answer(200, kListing);
  server.Answer(200, "gz");
  Captured captured;
  const std::string out = (dir.path() / "support.tgz").string();
  EXPECT_EQ(RunIn(dir.path(),
                  {.serial = "CON-0001", .download = true, .id = "a1", .output = out, .json = true},
                  server, captured),
            0)
      << captured.err.str();
  EXPECT_EQ(server.requests[1].target, "/v1/autopilotDevices/CON-0001/diagnostics/a1");
  EXPECT_EQ(ReadText(out), "gz");
  EXPECT_EQ(ModeOf(out), 0600);
  EXPECT_EQ(json::parse(captured.out.str()),
            json::parse(R"({"id": "a1", "fileName": "diagnostics-1800000000.tar.gz",
                            "sizeBytes": 2, "path": ")" +
                        out + R"("})"));
}

TEST(DiagnosticsCommandTest, AnUnknownArchiveIdOrNoArchiveIsReportedAgainstDownload) {
  TempDir dir;
  ScriptedTransport server;
  server.Answer(200, kListing);
  Captured unknown;
  EXPECT_EQ(RunIn(dir.path(), {.serial = "CON-0001", .download = true, .id = "zz", .json = true},
                  server, unknown),
            1);
  const json::value error = json::parse(unknown.out.str()).at("error");
  EXPECT_EQ(error.at("code"), json::value("not_found"));
  EXPECT_EQ(error.at("field"), json::value("--download"));
  EXPECT_NE(std::string(error.at("message").as_string()).find("zz"), std::string::npos);

  server.Answer(200, R"({"value": []})");
  Captured none;
  EXPECT_EQ(RunIn(dir.path(), {.serial = "CON-0001", .download = true}, server, none), 1);
  EXPECT_NE(none.err.str().find("--download"), std::string::npos) << none.err.str();
  EXPECT_NE(none.err.str().find("no diagnostics archives"), std::string::npos) << none.err.str();
  EXPECT_EQ(server.requests.size(), 2u);  // nothing was downloaded
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

}  // namespace
}  // namespace groundcrew::cli

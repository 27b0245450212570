// groundcrewd end to end: the real daemon on a free loopback port, driven over HTTP and
// through the real CLI.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>

#include "common/base64.hpp"
#include "identity/sha256.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/service_fixture.hpp"

namespace groundcrew::integration {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

using ServiceTest = ServiceFixture;

std::string ErrorField(const HttpResult& result) {
  return std::string(json::parse(result.body).at("error").at("field").as_string());
}

// A registration CSV with `rows` devices whose hardware hashes are arbitrary padded base64.
std::string RegistrationCsv(int rows, const std::string& prefix = "SN") {
  std::string csv =
      "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n";
  for (int i = 0; i < rows; ++i) {
    csv += prefix + std::to_string(i) + ",," +
           base64::Encode(prefix + "-hash-" + std::to_string(i)) + (i % 2 == 0 ? ",Sales," : ",,") +
           "\r\n";
  }
  return csv;
}

std::string Utf16(const std::string& ascii, bool little_endian) {
  std::string out = little_endian ? std::string("\xFF\xFE", 2) : std::string("\xFE\xFF", 2);
  for (char c : ascii) {
    if (little_endian) {
      out += c;
      out += '\0';
    } else {
      out += '\0';
      out += c;
    }
  }
  return out;
}

TEST_F(ServiceTest, InitRefusesADataDirectoryThatHasATenant) {
  CommandResult again = RunCommand({GroundcrewPath(), "init", "--data-dir", data_dir_.string(),
                                    "--organization", "Fabrikam", "--domain", "fabrikam.com"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already holds a tenant"), std::string::npos) << again.err;
  json::value tenant = json::parse(Call("GET", "/v1/tenant").body);
  EXPECT_EQ(tenant.at("organizationName"), "Contoso");
}

TEST_F(ServiceTest, AdminEndpointsNeedAnAdminCredential) {
  EXPECT_EQ(Http(daemon_->port(), "GET", "/v1/users").status, 401);
  HttpResult bogus =
      Http(daemon_->port(), "GET", "/v1/users", "", {{"Authorization", "Bearer gcadm_nope"}});
  EXPECT_EQ(bogus.status, 401);
  EXPECT_EQ(bogus.body.find("gcadm_nope"), std::string::npos);  // tokens are never echoed
  EXPECT_EQ(Http(daemon_->port(), "GET", "/healthz").status, 200);

  json::value reader =
      CallJson("POST", "/v1/credentials", {{"name", "auditor"}, {"role", "reader"}}, 201);
  const std::string reader_token(reader.at("token").as_string());
  const std::map<std::string, std::string> as_reader = {
      {"Authorization", "Bearer " + reader_token}};
  EXPECT_EQ(Http(daemon_->port(), "GET", "/v1/users", "", as_reader).status, 200);
  HttpResult denied = Http(daemon_->port(), "POST", "/v1/groups",
                           R"({"displayName":"Nope","membershipKind":"assigned"})", as_reader);
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_EQ(Call("GET", "/v1/groups").body, R"({"value":[]})");  // nothing was written

  // Revoked credentials stop working at once.
  json::value credentials = json::parse(Call("GET", "/v1/credentials").body);
  for (const json::value& credential : credentials.at("value").as_array()) {
    if (credential.at("name") == "auditor") {
      EXPECT_EQ(
          Call("DELETE", "/v1/credentials/" + std::string(credential.at("id").as_string())).status,
          204);
    }
  }
  EXPECT_EQ(Http(daemon_->port(), "GET", "/v1/users", "", as_reader).status, 401);
}

TEST_F(ServiceTest, MalformedRequestsGetOneErrorShapeAndChangeNothing) {
  HttpResult bad_json = Call("POST", "/v1/groups", "{\"displayName\": ");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(ErrorField(bad_json), "body");
  HttpResult unknown = Call("POST", "/v1/groups", R"({"displayName":"G","colour":"red"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(ErrorField(unknown), "colour");
  HttpResult bad_rule = Call("POST", "/v1/groups",
                             R"({"displayName":"G","membershipKind":"dynamic",)"
                             R"("membershipRule":"device.deviceModel -equals \"x\""})");
  EXPECT_EQ(bad_rule.status, 400);
  EXPECT_EQ(ErrorField(bad_rule), "membershipRule");
  EXPECT_NE(bad_rule.body.find("position"), std::string::npos) << bad_rule.body;
  HttpResult bad_limit = Call("GET", "/v1/users?limit=0");
  EXPECT_EQ(bad_limit.status, 400);
  EXPECT_EQ(ErrorField(bad_limit), "limit");
  EXPECT_EQ(Call("GET", "/v1/nothing").status, 404);
  HttpResult too_big = Call("POST", "/v1/groups", std::string(65 << 20, 'x'));
  EXPECT_EQ(too_big.status, 413);
  EXPECT_EQ(Call("GET", "/v1/groups").body, R"({"value":[]})");
  EXPECT_EQ(json::parse(Call("GET", "/v1/audit").body).at("value").as_array().size(), 2u)
      << "only init's entries (tenant and credential)";
}

TEST_F(ServiceTest, ResourcesHaveVersionsAndConflictsAreRefused) {
  json::value group = CallJson(
      "POST", "/v1/groups", {{"displayName", "Sales users"}, {"membershipKind", "assigned"}}, 201);
  const std::string id(group.at("id").as_string());
  EXPECT_EQ(group.at("version"), 1);
  HttpResult changed =
      Call("PATCH", "/v1/groups/" + id, R"({"description":"the sales team"})", {{"If-Match", "1"}});
  EXPECT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(json::parse(changed.body).at("version"), 2);
  HttpResult stale =
      Call("PATCH", "/v1/groups/" + id, R"({"description":"stale"})", {{"If-Match", "1"}});
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(json::parse(stale.body).at("error").at("code"), "aborted");
  EXPECT_EQ(json::parse(Call("GET", "/v1/groups/" + id).body).at("description"), "the sales team");
  HttpResult duplicate = Call("POST", "/v1/groups", R"({"displayName":"SALES USERS"})");
  EXPECT_EQ(duplicate.status, 409) << duplicate.body;
  EXPECT_EQ(Call("DELETE", "/v1/groups/" + id).status, 204);
  EXPECT_EQ(Call("GET", "/v1/groups/" + id).status, 404);
}

TEST_F(ServiceTest, DynamicMembershipAndProfilesFollowAChangeInTheSameRequest) {
  json::value group =
      CallJson("POST", "/v1/groups",
               {{"displayName", "Sales devices"},
                {"membershipKind", "dynamic"},
                {"membershipRule", R"((device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales")))"}},
               201);
  const std::string group_id(group.at("id").as_string());
  CallJson("POST", "/v1/deploymentProfiles",
           {{"displayName", "Sales profile"},
            {"preprovisioningAllowed", true},
            {"assignments", json::array{{{"@odata.type", "#microsoft.graph.groupAssignmentTarget"},
                                         {"groupId", group_id}}}}},
           201);
  HttpResult imported = Call("POST", "/v1/autopilotDevices/import", RegistrationCsv(4));
  ASSERT_EQ(imported.status, 200) << imported.body;
  EXPECT_EQ(json::parse(imported.body).at("imported"), 4);

  json::value members = json::parse(Call("GET", "/v1/groups/" + group_id + "/members").body);
  EXPECT_EQ(members.at("value").as_array().size(), 2u);  // SN0 and SN2 carry the tag

  json::value sn1 = json::parse(Call("GET", "/v1/autopilotDevices?serialNumber=SN1").body);
  ASSERT_EQ(sn1.at("value").as_array().size(), 1u);
  const json::value& device = sn1.at("value").as_array()[0];
  EXPECT_EQ(device.at("deploymentProfileAssignmentStatus"), "notAssigned");
  const std::string device_id(device.at("id").as_string());
  HttpResult tagged = Call("PATCH", "/v1/autopilotDevices/" + device_id, R"({"groupTag":"Sales"})");
  ASSERT_EQ(tagged.status, 200) << tagged.body;
  EXPECT_EQ(json::parse(tagged.body).at("deploymentProfileAssignmentStatus"), "assignedInSync");
  EXPECT_EQ(json::parse(Call("GET", "/v1/groups/" + group_id + "/members").body)
                .at("value")
                .as_array()
                .size(),
            3u);
  HttpResult serial_change =
      Call("PATCH", "/v1/autopilotDevices/" + device_id, R"({"serialNumber":"X"})");
  EXPECT_EQ(serial_change.status, 400);
}

TEST_F(ServiceTest, ImportsTenThousandRowsInEveryEncoding) {
  const std::string csv = RegistrationCsv(10'000, "U8-");
  HttpResult utf8 = Call("POST", "/v1/autopilotDevices/import", "\xEF\xBB\xBF" + csv);
  ASSERT_EQ(utf8.status, 200) << utf8.body.substr(0, 500);
  EXPECT_EQ(json::parse(utf8.body).at("imported"), 10'000);
  HttpResult le =
      Call("POST", "/v1/autopilotDevices/import", Utf16(RegistrationCsv(10'000, "LE-"), true));
  ASSERT_EQ(le.status, 200) << le.body.substr(0, 500);
  EXPECT_EQ(json::parse(le.body).at("imported"), 10'000);
  HttpResult be =
      Call("POST", "/v1/autopilotDevices/import", Utf16(RegistrationCsv(10'000, "BE-"), false));
  ASSERT_EQ(be.status, 200) << be.body.substr(0, 500);
  EXPECT_EQ(json::parse(be.body).at("imported"), 10'000);
  json::value tagged =
      json::parse(Call("GET", "/v1/autopilotDevices?groupTag=sales&limit=1000").body);
  EXPECT_EQ(tagged.at("value").as_array().size(), 1000u);
  EXPECT_TRUE(tagged.as_object().contains("nextAfter"));
}

TEST_F(ServiceTest, ABadFileImportsNothingAndSaysWhyPerRow) {
  std::string csv = RegistrationCsv(5);
  csv += "SN1,,bm90IGEgZHVwbGljYXRl,,\r\n";  // serial used by an earlier row
  csv += "SN9,,not base64!,,\r\n";
  csv += "SN10,,c29tZXRoaW5n,,someone@fabrikam.com\r\n";  // a foreign domain
  HttpResult result = Call("POST", "/v1/autopilotDevices/import", csv);
  ASSERT_EQ(result.status, 200) << result.body;
  json::value outcome = json::parse(result.body);
  EXPECT_EQ(outcome.at("imported"), 0);
  const json::array& rows = outcome.at("rows").as_array();
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[0].at("status"), "notImported");
  EXPECT_EQ(rows[5].at("status"), "failed");
  EXPECT_NE(json::serialize(rows[5]).find("ZtdDeviceDuplicated"), std::string::npos) << rows[5];
  EXPECT_NE(json::serialize(rows[6]).find("InvalidZtdHardwareHash"), std::string::npos) << rows[6];
  EXPECT_EQ(rows[7].at("status"), "failed");
  EXPECT_EQ(Call("GET", "/v1/autopilotDevices").body, R"({"value":[]})");

  HttpResult no_header = Call("POST", "/v1/autopilotDevices/import", "just,some,words\r\n");
  EXPECT_EQ(no_header.status, 400);
  EXPECT_EQ(json::parse(no_header.body).at("error").at("field").as_string().starts_with("header"),
            true)
      << no_header.body;
}

TEST_F(ServiceTest, ContentIsAddressedBySha256AndServedInRanges) {
  const std::string bytes = "0123456789abcdefghij";
  const std::string sha = identity::Sha256Hex(bytes);
  EXPECT_EQ(Call("PUT", "/v1/content/" + std::string(64, '0'), bytes).status, 400);
  EXPECT_EQ(Call("PUT", "/v1/content/" + sha, bytes).status, 201);
  EXPECT_EQ(Call("PUT", "/v1/content/" + sha, bytes).status, 200);  // already stored
  HttpResult whole = Call("GET", "/v1/content/" + sha);
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body, bytes);
  EXPECT_EQ(whole.headers["accept-ranges"], "bytes");
  HttpResult middle = Call("GET", "/v1/content/" + sha, "", {{"Range", "bytes=2-5"}});
  EXPECT_EQ(middle.status, 206);
  EXPECT_EQ(middle.body, "2345");
  EXPECT_EQ(middle.headers["content-range"], "bytes 2-5/20");
  EXPECT_EQ(Call("GET", "/v1/content/" + sha, "", {{"Range", "bytes=15-"}}).body, "fghij");
  EXPECT_EQ(Call("GET", "/v1/content/" + sha, "", {{"Range", "bytes=-3"}}).body, "hij");
  HttpResult past_end = Call("GET", "/v1/content/" + sha, "", {{"Range", "bytes=20-"}});
  EXPECT_EQ(past_end.status, 416);
  EXPECT_EQ(past_end.headers["content-range"], "bytes */20");
  EXPECT_EQ(Call("GET", "/v1/content/" + sha, "", {{"Range", "bytes=1-2,4-5"}}).status, 400);
  EXPECT_EQ(Call("GET", "/v1/content/" + std::string(64, 'a')).status, 404);
  EXPECT_EQ(Http(daemon_->port(), "GET", "/v1/content/" + sha).status, 401);
}

TEST_F(ServiceTest, MetricsCountRequestsByRouteAndTimeStoreCalls) {
  EXPECT_EQ(Call("GET", "/v1/users").status, 200);
  HttpResult metrics = Http(daemon_->port(), "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find(
                R"(groundcrew_http_requests_total{route="/v1/users",method="GET",status="200"} 1)"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(
      metrics.body.find(
          R"(groundcrew_store_operations_total{operation="credentials.FindByTokenSha256",outcome="ok"})"),
      std::string::npos)
      << metrics.body;
  EXPECT_NE(
      metrics.body.find(
          R"(groundcrew_store_operation_duration_seconds_count{operation="resources.List"} 1)"),
      std::string::npos)
      << metrics.body;
}

TEST_F(ServiceTest, TheAgentsRegistrationRowImportsWithItsFacts) {
  const std::string state = (temp_.path() / "agent").string();
  const std::vector<std::string> hwid = {AgentPath(), "hwid",      "--state",        state,
                                         "--serial",  "SIM-0001",  "--manufacturer", "Contoso",
                                         "--model",   "Simulated", "--group-tag",    "Sales"};
  CommandResult first = RunCommand(hwid);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  CommandResult again = RunCommand(hwid);
  EXPECT_EQ(again.out, first.out) << "the device key is created once";
  EXPECT_EQ(fs::status(fs::path(state) / "device.key").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  HttpResult imported = Call("POST", "/v1/autopilotDevices/import", first.out);
  ASSERT_EQ(imported.status, 200) << imported.body;
  ASSERT_EQ(json::parse(imported.body).at("imported"), 1) << imported.body;
  json::value devices = json::parse(Call("GET", "/v1/autopilotDevices?serialNumber=SIM-0001").body);
  ASSERT_EQ(devices.at("value").as_array().size(), 1u);
  const json::value& device = devices.at("value").as_array()[0];
  EXPECT_EQ(device.at("manufacturer"), "Contoso");
  EXPECT_EQ(device.at("model"), "Simulated");
  EXPECT_EQ(device.at("groupTag"), "Sales");
  // Registering the same device again is refused by name.
  HttpResult twice = Call("POST", "/v1/autopilotDevices/import", first.out);
  EXPECT_NE(twice.body.find("ZtdDeviceAlreadyAssigned"), std::string::npos) << twice.body;
}

TEST_F(ServiceTest, AcknowledgedChangesSurviveSigkill) {
  CallJson("POST", "/v1/groups", {{"displayName", "Before the crash"}}, 201);
  HttpResult imported = Call("POST", "/v1/autopilotDevices/import", RegistrationCsv(50));
  ASSERT_EQ(imported.status, 200);
  daemon_->Kill();
  ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  json::value groups = json::parse(Call("GET", "/v1/groups").body);
  ASSERT_EQ(groups.at("value").as_array().size(), 1u);
  EXPECT_EQ(groups.at("value").as_array()[0].at("displayName"), "Before the crash");
  EXPECT_EQ(json::parse(Call("GET", "/v1/autopilotDevices?limit=1000").body)
                .at("value")
                .as_array()
                .size(),
            50u);
  EXPECT_EQ(daemon_->Stop(), 0);
}

}  // namespace
}  // namespace groundcrew::integration

// Issue 14, findings 1, 9 and 10, against the real groundcrewd over a raw socket: what a stored
// resource, a file's bytes and a retried request can do to the service.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <string>

#include "common/base64.hpp"
#include "common/text.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/service_fixture.hpp"

namespace groundcrew::integration {
namespace {

namespace json = boost::json;

using DataHardeningTest = ServiceFixture;

std::string Csv(const std::string& rows) {
  return "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n" + rows;
}

std::string Row(const std::string& serial) {
  return serial + ",," + base64::Encode(serial + "-hash") + ",,\r\n";
}

std::string Nested(int levels) {
  std::string nested = "1";
  for (int i = 0; i < levels; ++i) nested = "{\"a\":" + nested + "}";
  return nested;
}

// Runs one SQL statement on the stopped daemon's database, as a restart would find it.
void ExecuteSql(const std::filesystem::path& database, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(database.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "");
  sqlite3_free(message);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_close(db);
}

// Finding 1: a policy nesting 40 levels used to be saved (201) and take the tenant down at the
// next start. It is refused when written, naming the field.
TEST_F(DataHardeningTest, PolicySettingsNestingFortyLevelsAreRefusedNamingTheField) {
  HttpResult created =
      Call("POST", "/v1/policies", R"({"displayName": "Deep", "settings": )" + Nested(39) + "}");
  ASSERT_EQ(created.status, 400) << created.body;
  const json::value error = json::parse(created.body).at("error");
  EXPECT_EQ(error.at("field"), "settings");
  EXPECT_NE(error.at("message").as_string().find("at most 32"), json::string::npos) << error;
  EXPECT_EQ(Call("GET", "/v1/policies").body, R"({"value":[]})");
}

// Finding 1: a stored resource the service cannot read after a restart is left out (with what
// refers to it) and listed; plan, user creation and the delete keep working.
TEST_F(DataHardeningTest, AnUnreadableStoredPolicyIsLeftOutAfterARestartAndCanBeDeleted) {
  ASSERT_EQ(Call("POST", "/v1/autopilotDevices/import", Csv(Row("SN-1"))).status, 200);
  json::value group =
      CallJson("POST", "/v1/groups",
               json::parse(R"j({"displayName": "Autopilot", "membershipKind": "dynamic",
          "membershipRule": "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"})j"),
               201);
  CallJson("POST", "/v1/deploymentProfiles",
           json::parse(R"({"displayName": "Contoso", "assignments": [{"@odata.type":
                       "#microsoft.graph.groupAssignmentTarget", "groupId": ")" +
                       std::string(group.at("id").as_string()) + R"("}]})"),
           201);
  json::value policy =
      CallJson("POST", "/v1/policies", json::parse(R"({"displayName": "Baseline"})"), 201);
  const std::string policy_id(policy.at("id").as_string());
  json::value assignment = CallJson(
      "POST", "/v1/assignments",
      json::parse(
          R"({"payloadKind": "policy", "payloadId": ")" + policy_id +
          R"(", "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}})"),
      201);
  ASSERT_EQ(daemon_->Stop(), 0);
  ExecuteSql(data_dir_ / "groundcrew.db",
             "UPDATE resources SET body = '{\"displayName\":\"Baseline\",\"settings\":" +
                 Nested(70) + "}' WHERE id = '" + policy_id + "'");
  ASSERT_TRUE(daemon_->Restart()) << daemon_->log();
  EXPECT_NE(daemon_->log().find("stored resource left out of the catalog"), std::string::npos)
      << daemon_->log();

  HttpResult problems = Call("GET", "/v1/catalog/problems");
  ASSERT_EQ(problems.status, 200) << problems.body;
  const json::array listed = json::parse(problems.body).at("value").as_array();
  ASSERT_EQ(listed.size(), 2u) << problems.body;
  EXPECT_EQ(listed[0].at("kind"), "policies");
  EXPECT_EQ(listed[0].at("id"), json::string(policy_id));
  EXPECT_EQ(listed[0].at("name"), "Baseline");
  EXPECT_TRUE(listed[0].as_object().contains("storedBody"));
  EXPECT_EQ(listed[1].at("kind"), "assignments");
  EXPECT_EQ(listed[1].at("id"), assignment.at("id"));

  EXPECT_EQ(Call("GET", "/v1/plan?serialNumber=SN-1").status, 200);
  EXPECT_EQ(Call("POST", "/v1/users", R"({"userPrincipalName": "lee@contoso.com"})").status, 201);
  EXPECT_EQ(
      Call("DELETE", "/v1/assignments/" + std::string(assignment.at("id").as_string())).status,
      204);
  EXPECT_EQ(Call("DELETE", "/v1/policies/" + policy_id).status, 204);
  EXPECT_EQ(Call("GET", "/v1/catalog/problems").body, R"({"value":[]})");
}

// Finding 9: a serial number that is not UTF-8 is refused naming the line and column, and the
// answer stays valid JSON (it used to echo the raw bytes).
TEST_F(DataHardeningTest, ANonUtf8SerialIsRefusedAndTheAnswerIsValidJson) {
  HttpResult result =
      Call("POST", "/v1/autopilotDevices/import", Csv(Row("SN-1") + Row("caf\xE9-2")));
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_TRUE(text::IsValidUtf8(result.body));
  boost::system::error_code ec;
  const json::value outcome = json::parse(result.body, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(outcome.at("imported"), 0);
  const json::value& row = outcome.at("rows").at(1);
  EXPECT_EQ(row.at("status"), "failed");
  EXPECT_EQ(row.at("row"), 3);
  EXPECT_EQ(row.at("error").at("column"), "Device Serial Number");
  EXPECT_EQ(row.at("serialNumber"), "caf\xEF\xBF\xBD-2");  // the byte as U+FFFD
  EXPECT_NE(json::serialize(row).find("not UTF-8"), std::string::npos) << row;

  // A JSON body that is not UTF-8 is refused naming where.
  HttpResult bad = Call("POST", "/v1/groups", "{\"displayName\": \"caf\xE9\"}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("not valid UTF-8 (byte 20)"), std::string::npos) << bad.body;
}

// Finding 9: names have a documented maximum, enforced when written.
TEST_F(DataHardeningTest, NamesLongerThanTheirLimitAreRefusedNamingFieldLimitAndLength) {
  HttpResult group =
      Call("POST", "/v1/groups", R"({"displayName": ")" + std::string(257, 'g') + R"("})");
  ASSERT_EQ(group.status, 400) << group.body;
  const json::value error = json::parse(group.body).at("error");
  EXPECT_EQ(error.at("field"), "displayName");
  EXPECT_EQ(error.at("message"), "displayName: must be at most 256 characters, found 257");

  HttpResult tenant =
      Call("PATCH", "/v1/tenant", R"({"organizationName": ")" + std::string(1200, 'o') + R"("})");
  ASSERT_EQ(tenant.status, 400) << tenant.body;
  EXPECT_EQ(json::parse(tenant.body).at("error").at("field"), "organizationName");
}

// Finding 10: an import sent again with the same Idempotency-Key answers the first result and
// imports nothing more; the same key on another request is 422.
TEST_F(DataHardeningTest, AnImportRetriedWithItsIdempotencyKeyAnswersTheFirstResult) {
  const std::string csv = Csv(Row("SN-1") + Row("SN-2"));
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "import-2026-12-06-a"}};
  HttpResult first = Call("POST", "/v1/autopilotDevices/import", csv, key);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(json::parse(first.body).at("imported"), 2);
  EXPECT_FALSE(first.headers.contains("idempotent-replayed"));

  HttpResult again = Call("POST", "/v1/autopilotDevices/import", csv, key);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(json::parse(Call("GET", "/v1/autopilotDevices").body).at("value").as_array().size(),
            2u);

  HttpResult other = Call("POST", "/v1/autopilotDevices/import", Csv(Row("SN-3")), key);
  EXPECT_EQ(other.status, 422) << other.body;
  EXPECT_EQ(json::parse(other.body).at("error").at("field"), "Idempotency-Key");

  // Without a key, the same file is refused on duplicates (what a retry used to meet).
  HttpResult unkeyed = Call("POST", "/v1/autopilotDevices/import", csv);
  EXPECT_EQ(json::parse(unkeyed.body).at("imported"), 0);

  // A create likewise; a malformed key is refused.
  const std::map<std::string, std::string> create_key = {{"Idempotency-Key", "group-1"}};
  HttpResult created = Call("POST", "/v1/groups", R"({"displayName": "Sales"})", create_key);
  ASSERT_EQ(created.status, 201) << created.body;
  HttpResult replayed = Call("POST", "/v1/groups", R"({"displayName": "Sales"})", create_key);
  EXPECT_EQ(replayed.status, 201);
  EXPECT_EQ(replayed.body, created.body);
  HttpResult bad_key = Call("POST", "/v1/groups", R"({"displayName": "Ops"})",
                            {{"Idempotency-Key", std::string(256, 'k')}});
  EXPECT_EQ(bad_key.status, 400);
  // The token of a new credential is shown once and never stored: no key there.
  HttpResult credential =
      Call("POST", "/v1/credentials", R"({"name": "ci"})", {{"Idempotency-Key", "cred-1"}});
  EXPECT_EQ(credential.status, 400) << credential.body;
}

}  // namespace
}  // namespace groundcrew::integration

// The console's endpoints (docs/admin-api.md "The console's endpoints") on the real groundcrewd:
// the device list's search, filters, orders and keyset pages; the dashboard; rule validation;
// the import's dry run.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "common/base64.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/service_fixture.hpp"

namespace groundcrew::integration {
namespace {

namespace json = boost::json;

// 12 devices CON-000..CON-011: even ones tagged "Sales", the first four assigned to Adele.
std::string Registration(int rows = 12) {
  std::string csv =
      "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n";
  for (int i = 0; i < rows; ++i) {
    csv += fmt::format("CON-{:03},,{},{},{}\r\n", i, base64::Encode("hash-" + std::to_string(i)),
                       i % 2 == 0 ? "Sales" : "Lab", i < 4 ? "adele@contoso.com" : "");
  }
  return csv;
}

class ConsoleApiTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    CallJson("POST", "/v1/users",
             {{"userPrincipalName", "adele@contoso.com"}, {"displayName", "Adele Vance"}}, 201);
    HttpResult imported = Call("POST", "/v1/autopilotDevices/import", Registration());
    ASSERT_EQ(imported.status, 200) << imported.body;
  }

  // Every page of `target` (which has a '?'): the serial numbers in order, and the pages read.
  std::pair<std::vector<std::string>, int> Serials(const std::string& target) {
    std::vector<std::string> serials;
    int pages = 0;
    std::string after;
    for (;;) {
      HttpResult page = Call("GET", target + (after.empty() ? "" : "&after=" + after));
      EXPECT_EQ(page.status, 200) << target << ": " << page.body;
      if (page.status != 200 || ++pages > 50) break;
      const json::object body = json::parse(page.body).as_object();
      for (const json::value& row : body.at("value").as_array()) {
        serials.emplace_back(row.at("serialNumber").as_string());
      }
      if (!body.contains("nextAfter")) break;
      after = std::string(body.at("nextAfter").as_string());
    }
    return {serials, pages};
  }

  static std::vector<std::string> Range(std::initializer_list<int> numbers) {
    std::vector<std::string> out;
    for (int n : numbers) out.push_back(fmt::format("CON-{:03}", n));
    return out;
  }
};

TEST_F(ConsoleApiTest, ListsBySerialNumberInPagesWithEveryRowsSummary) {
  auto [serials, pages] = Serials("/v1/autopilotDevices?top=5");
  EXPECT_EQ(serials, Range({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(pages, 3);
  auto [reversed, unused] = Serials("/v1/autopilotDevices?top=5&orderBy=serialNumber+desc");
  EXPECT_EQ(reversed, Range({11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));

  const json::value first = json::parse(Call("GET", "/v1/autopilotDevices?top=1").body);
  const json::object& row = first.at("value").as_array()[0].as_object();
  EXPECT_EQ(row.at("serialNumber"), "CON-000");
  EXPECT_EQ(row.at("userPrincipalName"), "adele@contoso.com");
  EXPECT_EQ(row.at("groupTag"), "Sales");
  EXPECT_EQ(row.at("displayName"), "");
  EXPECT_TRUE(row.at("deploymentProfile").is_null());
  EXPECT_EQ(row.at("deploymentState"), "notStarted");
  EXPECT_TRUE(row.at("lastDeploymentDateTime").is_null());
  EXPECT_TRUE(row.at("lastFlow").is_null());
  EXPECT_TRUE(row.contains("id"));
  EXPECT_TRUE(row.contains("lastDeployment"));  // the list keeps its earlier members
}

TEST_F(ConsoleApiTest, SearchesFiltersAndSortsAsAsked) {
  EXPECT_EQ(Serials("/v1/autopilotDevices?search=con-01").first, Range({10, 11}));
  EXPECT_EQ(Serials("/v1/autopilotDevices?search=ADELE").first, Range({0, 1, 2, 3}));
  EXPECT_EQ(Serials("/v1/autopilotDevices?search=lab&top=2").first, Range({1, 3, 5, 7, 9, 11}));
  EXPECT_TRUE(Serials("/v1/autopilotDevices?search=contoso").first.empty());  // a prefix only
  EXPECT_EQ(Serials("/v1/autopilotDevices?groupTag=sales&search=adele").first, Range({0, 2}));
  EXPECT_EQ(Serials("/v1/autopilotDevices?deploymentState=notStarted&top=7").first.size(), 12u);
  EXPECT_TRUE(Serials("/v1/autopilotDevices?deploymentState=failure").first.empty());
  EXPECT_EQ(Serials("/v1/autopilotDevices?serialNumber=con-003").first, Range({3}));
  // Names tie (all empty): the id breaks the tie, and every device comes exactly once.
  auto [by_name, pages] = Serials("/v1/autopilotDevices?orderBy=deviceName&top=5");
  EXPECT_EQ(std::set<std::string>(by_name.begin(), by_name.end()).size(), 12u);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(
      Serials("/v1/autopilotDevices?orderBy=lastDeploymentDateTime%20desc&top=4").first.size(),
      12u);

  // Group and profile: computed from the catalog.
  json::value group =
      CallJson("POST", "/v1/groups",
               {{"displayName", "Sales devices"},
                {"membershipKind", "dynamic"},
                {"membershipRule", R"((device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales")))"}},
               201);
  const std::string group_id(group.at("id").as_string());
  json::value profile = CallJson(
      "POST", "/v1/deploymentProfiles",
      {{"displayName", "Sales profile"},
       {"assignments", json::array{{{"@odata.type", "#microsoft.graph.groupAssignmentTarget"},
                                    {"groupId", group_id}}}}},
      201);
  const std::string profile_id(profile.at("id").as_string());
  EXPECT_EQ(Serials("/v1/autopilotDevices?top=2&groupId=" + group_id).first,
            Range({0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(Serials("/v1/autopilotDevices?top=4&orderBy=serialNumber+desc&deploymentProfileId=" +
                    profile_id)
                .first,
            Range({10, 8, 6, 4, 2, 0}));
  const json::value row =
      json::parse(Call("GET", "/v1/autopilotDevices?top=1&groupId=" + group_id).body)
          .at("value")
          .as_array()[0];
  EXPECT_EQ(row.at("deploymentProfile").at("displayName"), "Sales profile");
}

TEST_F(ConsoleApiTest, RefusesBadParametersNamingThem) {
  const std::pair<std::string, std::string> cases[] = {
      {"after=nonsense", "after"},
      {"after=6431", "after"},
      {"top=0", "top"},
      {"top=501", "top"},
      {"orderBy=color", "orderBy"},
      {"orderBy=deviceName+sideways", "orderBy"},
      {"deploymentState=broken", "deploymentState"},
      {"enrollmentState=broken", "enrollmentState"},
      {"groupId=no-such-group", "groupId"},
      {"deploymentProfileId=no-such-profile", "deploymentProfileId"},
  };
  for (const auto& [query, field] : cases) {
    HttpResult result = Call("GET", "/v1/autopilotDevices?" + query);
    EXPECT_EQ(result.status, 400) << query << ": " << result.body;
    if (result.status != 400) continue;
    const json::value error = json::parse(result.body).at("error");
    EXPECT_EQ(error.at("code"), "invalid_argument") << query;
    EXPECT_EQ(error.at("field").as_string(), field) << query;
  }
  // A cursor from another order is refused rather than misread.
  const json::value page =
      json::parse(Call("GET", "/v1/autopilotDevices?top=2&orderBy=deviceName").body);
  HttpResult mixed = Call(
      "GET", "/v1/autopilotDevices?top=2&after=" + std::string(page.at("nextAfter").as_string()));
  EXPECT_EQ(mixed.status, 400) << mixed.body;
  EXPECT_NE(mixed.body.find("orderBy=deviceName"), std::string::npos) << mixed.body;
  // The older page size still works, up to 1000.
  EXPECT_EQ(Call("GET", "/v1/autopilotDevices?limit=1000").status, 200);
}

TEST_F(ConsoleApiTest, TheDashboardHasEveryFigureWhenNothingRan) {
  HttpResult result = Call("GET", "/v1/dashboard");
  ASSERT_EQ(result.status, 200) << result.body;
  const json::object dashboard = json::parse(result.body).as_object();
  EXPECT_TRUE(dashboard.at("inProgress").as_array().empty());
  EXPECT_TRUE(dashboard.at("failedLast24Hours").as_array().empty());
  for (const char* flow : {"technician", "user"}) {
    const json::object& figures = dashboard.at("flows").at(flow).as_object();
    EXPECT_EQ(figures.at("succeeded"), 0);
    EXPECT_EQ(figures.at("failed"), 0);
    EXPECT_TRUE(figures.at("successRate").is_null());
    EXPECT_TRUE(figures.at("medianDurationSeconds").is_null());
  }
  EXPECT_EQ(dashboard.at("waitingForUserFlow"), 0);
  EXPECT_EQ(dashboard.at("generatedDateTime").as_string().size(), 20u);
  EXPECT_EQ(Http(daemon_->port(), "GET", "/v1/dashboard").status, 401);
}

TEST_F(ConsoleApiTest, ValidatesARuleAgainstDevicesAndUsersClauseByClause) {
  const json::value listed = json::parse(Call("GET", "/v1/autopilotDevices?top=2").body);
  const std::string sales(listed.at("value").as_array()[0].at("id").as_string());  // CON-000
  const std::string lab(listed.at("value").as_array()[1].at("id").as_string());    // CON-001
  json::value result = CallJson(
      "POST", "/v1/groups/validateRule",
      {{"membershipRule",
        R"(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]") -and device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"},
       {"deviceIds", json::array{sales, lab}}},
      200);
  const json::array& results = result.at("results").as_array();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].at("id").as_string(), sales);
  EXPECT_EQ(results[0].at("displayName"), "CON-000");
  EXPECT_EQ(results[0].at("matches"), true);
  EXPECT_EQ(results[1].at("matches"), false);
  const json::array& clauses = results[1].at("clauses").as_array();
  ASSERT_EQ(clauses.size(), 2u);
  EXPECT_EQ(clauses[0].at("expression"),
            R"(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]"))");
  EXPECT_EQ(clauses[0].at("matches"), true);
  EXPECT_EQ(clauses[1].at("matches"), false);
  bool saw_tag = false;
  for (const json::value& value : clauses[1].at("values").as_array()) {
    saw_tag = saw_tag || value == "[OrderID]:Lab";
  }
  EXPECT_TRUE(saw_tag) << json::serialize(clauses[1]);

  const json::value users = json::parse(Call("GET", "/v1/users").body);
  const std::string adele(users.at("value").as_array()[0].at("id").as_string());
  json::value by_user = CallJson("POST", "/v1/groups/validateRule",
                                 {{"membershipRule", R"(user.displayName -startsWith "Adele")"},
                                  {"userIds", json::array{adele}}},
                                 200);
  EXPECT_EQ(by_user.at("results").at(0).at("matches"), true);
  EXPECT_EQ(by_user.at("results").at(0).at("clauses").at(0).at("values").at(0), "Adele Vance");

  // A syntax error: the field, the reason and the 1-based position.
  HttpResult syntax = Call("POST", "/v1/groups/validateRule",
                           R"({"membershipRule":"device.deviceModel -equals \"x\"",)"
                           R"("deviceIds":[")" +
                               sales + R"("]})");
  ASSERT_EQ(syntax.status, 400) << syntax.body;
  const json::value error = json::parse(syntax.body).at("error");
  EXPECT_EQ(error.at("code"), "invalid_argument");
  EXPECT_EQ(error.at("field"), "membershipRule");
  EXPECT_EQ(error.at("position"), 20);
  EXPECT_NE(error.at("message").as_string().find("-eq"), json::string::npos) << syntax.body;

  // What does not fit: both lists, the wrong kind, too many, an unknown id.
  const std::pair<std::string, std::string> refused[] = {
      {R"({"membershipRule":"device.deviceModel -eq \"x\""})", "deviceIds"},
      {R"({"membershipRule":"user.city -eq \"x\"","deviceIds":[")" + sales + R"("]})", "deviceIds"},
      {R"({"membershipRule":"device.deviceModel -eq \"x\"","deviceIds":["nope"]})", "deviceIds[0]"},
      {R"({"membershipRule":"device.deviceModel -eq \"x\"","deviceIds":[)" + std::string(20, ' ') +
           R"("a","a","a","a","a","a","a","a","a","a","a","a","a","a",)"
           R"("a","a","a","a","a","a","a"]})",
       "deviceIds"},
      {R"({"membershipRule":"x","color":1})", "color"},
  };
  for (const auto& [body, field] : refused) {
    HttpResult result = Call("POST", "/v1/groups/validateRule", body);
    EXPECT_TRUE(result.status == 400 || result.status == 404) << body << ": " << result.body;
    EXPECT_EQ(json::parse(result.body).at("error").at("field").as_string(), field) << body;
  }
}

TEST_F(ConsoleApiTest, AnImportsDryRunReportsEachRowAndStoresNothing) {
  std::string csv = Registration(14);
  csv += "CON-003,,," + std::string("\r\n");  // a row without a hash, and a serial taken
  HttpResult dry = Call("POST", "/v1/autopilotDevices/import?dryRun=true", csv);
  ASSERT_EQ(dry.status, 200) << dry.body;
  const json::object report = json::parse(dry.body).as_object();
  EXPECT_EQ(report.at("dryRun"), true);
  EXPECT_EQ(report.at("imported"), 0);
  const json::array& rows = report.at("rows").as_array();
  ASSERT_EQ(rows.size(), 15u);
  EXPECT_EQ(rows[0].at("status"), "failed");  // CON-000 is registered already
  EXPECT_EQ(rows[0].at("error").at("code"), "ZtdDeviceAlreadyAssigned");
  EXPECT_EQ(rows[12].at("status"), "notImported");  // valid, but the import is all or nothing
  EXPECT_EQ(rows[14].at("status"), "failed");

  // Only new, valid rows: each says it is valid, and still nothing is stored.
  std::string fresh = "Device Serial Number,Windows Product ID,Hardware Hash\r\n";
  fresh += "NEW-1,," + base64::Encode("new-hash-1") + "\r\n";
  HttpResult valid = Call("POST", "/v1/autopilotDevices/import?dryRun=true", fresh);
  ASSERT_EQ(valid.status, 200) << valid.body;
  EXPECT_EQ(json::parse(valid.body).at("rows").at(0).at("status"), "valid");
  EXPECT_EQ(Serials("/v1/autopilotDevices?top=100").first.size(), 12u);
  const json::value audit = json::parse(Call("GET", "/v1/audit?limit=100").body);
  size_t imports = 0;
  for (const json::value& entry : audit.at("value").as_array()) {
    if (entry.at("action") == "import") ++imports;
  }
  EXPECT_EQ(imports, 1u);  // the fixture's, not the dry runs'
  HttpResult real = Call("POST", "/v1/autopilotDevices/import", fresh);
  ASSERT_EQ(real.status, 200) << real.body;
  EXPECT_EQ(json::parse(real.body).at("rows").at(0).at("status"), "imported");
  EXPECT_EQ(Call("POST", "/v1/autopilotDevices/import?dryRun=maybe", fresh).status, 400);
}

}  // namespace
}  // namespace groundcrew::integration

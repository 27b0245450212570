// The admin's CLI against the real daemon, as an admin types it: resources by name, typos,
// ambiguous names, deleting. Each test's transcript is a golden file.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/integration/harness.hpp"
#include "tests/integration/service_fixture.hpp"

namespace groundcrew::integration {
namespace {

namespace json = boost::json;

class CliTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    CommandResult applied =
        Cli({"apply", "-f", (SourceDir() / "examples/contoso/tenant.yaml").string()});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  }
};

TEST_F(CliTest, ResourcesAreNamedBySerialUpnOrDisplayNameAndTablesShowNames) {
  Steps({{"get", "apps"},
         {"get", "app", "contoso notes"},
         {"get", "groups", "Sales users", "--json"},
         {"members", "All Autopilot devices"},
         {"get", "assignments"},
         {"get", "devices", "PF3XK2LM", "--json"},
         {"devices", "update", "PF3XK2LN", "--group-tag", "Marketing", "--json"},
         {"devices", "reprovision", "lab0042"},
         {"users", "show", "Adele.Vance@contoso.com"}});
  ExpectGolden("cli-names.txt", Transcript());
}

TEST_F(CliTest, TyposGetTheWordNamedASuggestionAndWhatToRunNext) {
  Steps({{"aply", "-f", "tenant.yaml"},
         {"devcies", "list"},
         {"devices", "lsit"},
         {"devices"},
         {"get", "aps"},
         {"get", "apps", "--jsn"},
         {"--sever", "http://127.0.0.1:1", "get", "users"},
         {"get", "app", "Contoso Notse"},
         {"devices", "show", "PF3XK2LX"},
         {"members"}});
  ExpectGolden("cli-typos.txt", Transcript());
}

TEST_F(CliTest, AnAmbiguousNameIsRefusedWithItsCandidatesAndDeleteTakesNames) {
  // A second user called Alex Wilber (user principal names are unique, display names are not),
  // and a group nothing uses.
  CallJson("POST", "/v1/users",
           json::object{{"userPrincipalName", "alex@contoso.com"}, {"displayName", "Alex Wilber"}},
           201);
  CallJson("POST", "/v1/groups", json::parse(R"({"displayName": "Temporary group"})"), 201);
  Steps({{"users", "show", "Alex Wilber"},
         {"delete", "user", "alex wilber"},
         {"delete", "user", "alex.wilber@contoso.com"},
         {"get", "user", "Alex Wilber", "--json"},
         {"delete", "app", "Contoso Runtime"},
         {"delete", "group", "temporary group"},
         {"get", "group", "Temporary group"},
         {"delete", "device", "LAB0042"},
         {"devices", "list"}});
  ExpectGolden("cli-delete.txt", Transcript());
  EXPECT_EQ(Call("GET", "/v1/autopilotDevices?serialNumber=LAB0042").body, R"({"value":[]})");
}

}  // namespace
}  // namespace groundcrew::integration

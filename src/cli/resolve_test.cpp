#include "cli/resolve.hpp"

#include <gtest/gtest.h>

#include "tests/support/scripted_transport.hpp"

namespace groundcrew::cli {
namespace {

using test_support::ScriptedTransport;

constexpr const char* kApps =
    R"({"value":[{"id":"a-1","displayName":"Contoso Notes"},)"
    R"({"id":"a-2","displayName":"Contoso Agent"},{"id":"a-3","displayName":"Twin"},)"
    R"({"id":"a-4","displayName":"Twin"},{"id":"a-5","displayName":"Contoso agent"}]})";

TEST(ResolveTest, KindsAreTakenInTheApisSpellingSingularOrAliasInAnyCase) {
  EXPECT_EQ((*ParseKind("apps"))->collection, "apps");
  EXPECT_EQ((*ParseKind("App"))->collection, "apps");
  EXPECT_EQ((*ParseKind("devices"))->collection, "autopilotDevices");
  EXPECT_EQ((*ParseKind("compliancepolicy"))->collection, "compliancePolicies");
  auto typo = ParseKind("aps");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().code, "invalid_argument");
  EXPECT_EQ(typo.error().field, "KIND");
  EXPECT_EQ(typo.error().message, "unknown kind \"aps\"; did you mean \"apps\"?");
  EXPECT_NE(ParseKind("zzzzzz").error().message.find("the kinds are users, groups"),
            std::string::npos);
}

TEST(ResolveTest, FindsByIdThenExactNameThenNameApartFromCase) {
  ScriptedTransport server;
  Api api(server.transport());
  for (int i = 0; i < 4; ++i) server.Answer(200, kApps);
  auto by_id = Resolve(api, "apps", "a-2");
  ASSERT_TRUE(by_id) << by_id.error().message;
  EXPECT_EQ(by_id->name, "Contoso Agent");
  auto exact = Resolve(api, "apps", "Contoso agent");  // exact beats the other case
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->id, "a-5");
  auto folded = Resolve(api, "apps", "CONTOSO NOTES");
  ASSERT_TRUE(folded);
  EXPECT_EQ(folded->id, "a-1");
  EXPECT_EQ(server.requests.back().target, "/v1/apps?limit=1000");
  auto ambiguous_case = Resolve(api, "apps", "contoso AGENT");
  ASSERT_FALSE(ambiguous_case);
  EXPECT_EQ(ambiguous_case.error().message,
            "2 apps are named \"contoso AGENT\" apart from case: a-2, a-5; give the id of the "
            "one you mean");
}

TEST(ResolveTest, AnAmbiguousNameListsTheCandidatesAndAnUnknownOneSuggests) {
  ScriptedTransport server;
  Api api(server.transport());
  server.Answer(200, kApps);
  server.Answer(200, kApps);
  auto twin = Resolve(api, "apps", "Twin");
  ASSERT_FALSE(twin);
  EXPECT_EQ(twin.error().code, "invalid_argument");
  EXPECT_EQ(twin.error().field, "NAME");
  EXPECT_EQ(twin.error().message,
            "2 apps are named \"Twin\": a-3, a-4; give the id of the one you mean");
  auto typo = Resolve(api, "apps", "Contoso Notse");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().code, "not_found");
  EXPECT_EQ(typo.error().message,
            "no app has the name or id \"Contoso Notse\" (did you mean \"Contoso Notes\"?); list "
            "them with `groundcrew get apps`");
}

TEST(ResolveTest, UsersAreFoundByUpnThenByDisplayNameWhichSeveralMayShare) {
  constexpr const char* kUsers =
      R"({"value":[{"id":"u-1","userPrincipalName":"alex@contoso.com","displayName":"Alex Wilber"},)"
      R"({"id":"u-2","userPrincipalName":"alex.w@contoso.com","displayName":"Alex Wilber"},)"
      R"({"id":"u-3","userPrincipalName":"lee.gu@contoso.com","displayName":"Lee Gu"}]})";
  ScriptedTransport server;
  Api api(server.transport());
  for (int i = 0; i < 3; ++i) server.Answer(200, kUsers);
  EXPECT_EQ(Resolve(api, "users", "ALEX@contoso.com")->id, "u-1");
  EXPECT_EQ(Resolve(api, "users", "lee gu")->name, "lee.gu@contoso.com");
  auto shared = Resolve(api, "users", "Alex Wilber", "USER");
  ASSERT_FALSE(shared);
  EXPECT_EQ(shared.error().message,
            "2 users are named \"Alex Wilber\": u-2 (alex.w@contoso.com), u-1 (alex@contoso.com); "
            "give the id or user principal name of the one you mean");
}

TEST(ResolveTest, DevicesAreFoundByIdOrSerialWithoutListingTheFleet) {
  ScriptedTransport server;
  Api api(server.transport());
  server.Answer(404, R"({"error":{"code":"not_found","message":"no device","field":"id"}})");
  server.Answer(200, R"({"value":[{"id":"d-1","serialNumber":"PF3XK2LM"}]})");
  auto by_serial = Resolve(api, "autopilotDevices", "PF3XK2LM", "DEVICE");
  ASSERT_TRUE(by_serial) << by_serial.error().message;
  EXPECT_EQ(by_serial->id, "d-1");
  EXPECT_EQ(by_serial->name, "PF3XK2LM");
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[0].target, "/v1/autopilotDevices/PF3XK2LM");
  EXPECT_EQ(server.requests[1].target, "/v1/autopilotDevices?serialNumber=PF3XK2LM&limit=1000");

  server.Answer(200, R"({"id":"d-1","serialNumber":"PF3XK2LM"})");
  auto by_id = Resolve(api, "autopilotDevices", "d-1", "DEVICE");
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->name, "PF3XK2LM");

  server.Answer(404, R"({"error":{"code":"not_found","message":"no device","field":"id"}})");
  server.Answer(200, R"({"value":[]})");
  auto missing = Resolve(api, "autopilotDevices", "NOPE", "DEVICE");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "no device has the serial number or id \"NOPE\"; list them with `groundcrew devices "
            "list`");
  EXPECT_EQ(missing.error().field, "DEVICE");
}

}  // namespace
}  // namespace groundcrew::cli

#include "server/http/router.hpp"

#include <gtest/gtest.h>

namespace groundcrew::server {
namespace {

Handler Named(std::string name) {
  return [name](const Request&, const PathParams&) { return JsonResponse(200, name); };
}

std::string Call(const Router::Match& match) {
  EXPECT_EQ(match.outcome, Router::Outcome::kFound);
  if (match.handler == nullptr) return "";
  return (*match.handler)(Request{}, match.params).body;
}

TEST(RouterTest, MatchesLiteralsAndParameters) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/v1/devices", Named("list")));
  ASSERT_TRUE(router.Add("GET", "/v1/devices/{id}", Named("get")));
  ASSERT_TRUE(router.Add("GET", "/v1/devices/{id}/events/{seq}", Named("event")));

  EXPECT_EQ(Call(router.Find("GET", "/v1/devices")), "list");
  Router::Match match = router.Find("GET", "/v1/devices/abc");
  EXPECT_EQ(Call(match), "get");
  EXPECT_EQ(match.pattern, "/v1/devices/{id}");
  EXPECT_EQ(match.params.at("id"), "abc");

  match = router.Find("GET", "/v1/devices/a%20b%2Fc/events/7");
  EXPECT_EQ(Call(match), "event");
  EXPECT_EQ(match.params.at("id"), "a b/c");
  EXPECT_EQ(match.params.at("seq"), "7");
}

TEST(RouterTest, UnknownPathsAreNotFound) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/v1/devices/{id}", Named("get")));
  EXPECT_EQ(router.Find("GET", "/v1/devices").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(router.Find("GET", "/v1/devices/").outcome, Router::Outcome::kNotFound);  // empty id
  EXPECT_EQ(router.Find("GET", "/v1/devices/a/b").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(router.Find("GET", "/v1/devices/a/").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(router.Find("GET", "").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(router.Find("GET", "*").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(router.Find("GET", "http://host/v1/devices/a").outcome, Router::Outcome::kNotFound);
}

TEST(RouterTest, WrongMethodListsAllowedMethods) {
  Router router;
  ASSERT_TRUE(router.Add("PUT", "/v1/devices/{id}", Named("put")));
  ASSERT_TRUE(router.Add("DELETE", "/v1/devices/{id}", Named("delete")));
  ASSERT_TRUE(router.Add("GET", "/v1/devices/{id}", Named("get")));
  Router::Match match = router.Find("POST", "/v1/devices/x");
  EXPECT_EQ(match.outcome, Router::Outcome::kMethodNotAllowed);
  EXPECT_EQ(match.allow, "DELETE, GET, PUT");
  EXPECT_EQ(match.pattern, "/v1/devices/{id}");
  EXPECT_EQ(router.Find("get", "/v1/devices/x").outcome, Router::Outcome::kMethodNotAllowed);
}

TEST(RouterTest, LiteralBeatsParameterAndFallsBackByMethod) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/v1/devices/{id}", Named("get")));
  ASSERT_TRUE(router.Add("POST", "/v1/devices/import", Named("import")));
  ASSERT_TRUE(router.Add("GET", "/v1/{kind}/count", Named("count")));
  ASSERT_TRUE(router.Add("GET", "/v1/devices/{id}/x", Named("param-first")));
  ASSERT_TRUE(router.Add("GET", "/v1/{kind}/count/x", Named("literal-later")));

  EXPECT_EQ(Call(router.Find("POST", "/v1/devices/import")), "import");
  // No GET on the literal pattern: the parameter pattern serves it.
  EXPECT_EQ(Call(router.Find("GET", "/v1/devices/import")), "get");
  EXPECT_EQ(router.Find("GET", "/v1/devices/import").pattern, "/v1/devices/{id}");
  // The first differing segment decides: literal "devices" beats {kind}.
  EXPECT_EQ(Call(router.Find("GET", "/v1/devices/count/x")), "param-first");
  Router::Match match = router.Find("DELETE", "/v1/devices/import");
  EXPECT_EQ(match.outcome, Router::Outcome::kMethodNotAllowed);
  EXPECT_EQ(match.allow, "GET, POST");
}

TEST(RouterTest, RootAndTrailingSlashAreExact) {
  Router router;
  ASSERT_TRUE(router.Add("GET", "/", Named("root")));
  ASSERT_TRUE(router.Add("GET", "/a/", Named("slash")));
  EXPECT_EQ(Call(router.Find("GET", "/")), "root");
  EXPECT_EQ(Call(router.Find("GET", "/a/")), "slash");
  EXPECT_EQ(router.Find("GET", "/a").outcome, Router::Outcome::kNotFound);
}

TEST(RouterTest, RejectsMalformedAndDuplicateRoutes) {
  Router router;
  for (const char* bad : {"", "v1/devices", "/v1/{", "/v1/{}", "/v1/x{id}", "/v1/{id}x",
                          "/v1/{a{b}}", "/v1/{id}/{id}"}) {
    Status status = router.Add("GET", bad, Named("x"));
    ASSERT_FALSE(status) << bad;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(status.error().field, "pattern") << bad;
  }
  EXPECT_FALSE(router.Add("", "/a", Named("x")));
  EXPECT_FALSE(router.Add("GET", "/a", Handler{}));

  ASSERT_TRUE(router.Add("GET", "/v1/devices/{id}", Named("x")));
  Status duplicate = router.Add("GET", "/v1/devices/{other}", Named("y"));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code, ErrorCode::kAlreadyExists);
  Status renamed = router.Add("PUT", "/v1/devices/{other}", Named("y"));
  ASSERT_FALSE(renamed);
  EXPECT_EQ(renamed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(router.Add("PUT", "/v1/devices/{id}", Named("y")));
}

}  // namespace
}  // namespace groundcrew::server

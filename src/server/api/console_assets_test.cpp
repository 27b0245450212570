#include "server/api/console_assets.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "server/http/http_types.hpp"

namespace groundcrew::api {
namespace {

using server::Request;
using server::Response;
using server::Router;

const std::vector<EmbeddedFile> kFiles = {
    {"/assets/index-abc123.js", "text/javascript; charset=utf-8", "console.log(1)"},
    {"/index.html", "text/html; charset=utf-8", "<!doctype html>console"},
};

std::optional<std::string> Header(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

class ConsoleRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(router_.Add("GET", "/v1/things", [](const Request&, const server::PathParams&) {
      return server::JsonResponse(200, R"({"value":[]})");
    }));
    ASSERT_TRUE(router_.Add(
        "POST", "/v1/things/{id}/go",
        [](const Request&, const server::PathParams&) { return server::JsonResponse(202, "{}"); }));
    ASSERT_TRUE(router_.Add("GET", "/readyz", [](const Request&, const server::PathParams&) {
      return server::JsonResponse(200, R"({"status":"ready"})");
    }));
    ASSERT_TRUE(AddConsoleRoutes(router_, kFiles));
  }

  /// What the server would answer: the matched handler, or nullopt when the router itself
  /// answers (404 or 405).
  std::optional<Response> Get(const std::string& path, const std::string& method = "GET") {
    const Router::Match match = router_.Find(method, path);
    if (match.outcome != Router::Outcome::kFound) return std::nullopt;
    Request request;
    request.method = method;
    request.path = path;
    request.target = path;
    return (*match.handler)(request, match.params);
  }

  Router router_;
};

TEST_F(ConsoleRoutesTest, RootIsTheIndexUnderTheContentSecurityPolicy) {
  const std::optional<Response> page = Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page->body, "<!doctype html>console");
  EXPECT_EQ(Header(*page, "Content-Security-Policy"), "default-src 'self'; frame-ancestors 'none'");
  EXPECT_EQ(Header(*page, "Cache-Control"), "no-cache");
}

TEST_F(ConsoleRoutesTest, TheConsolesOwnUrlsAreTheIndex) {
  for (const std::string path :
       {"/signin", "/devices", "/devices/6f2c0f6e-0001", "/groups/g1/rules", "/a/b/c/d/e/f/g/h"}) {
    const std::optional<Response> page = Get(path);
    ASSERT_TRUE(page) << path;
    EXPECT_EQ(page->status, 200) << path;
    EXPECT_EQ(page->body, "<!doctype html>console") << path;
  }
}

TEST_F(ConsoleRoutesTest, AssetsAreImmutableAndAnUnknownOneIs404) {
  const std::optional<Response> script = Get("/assets/index-abc123.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(script->body, "console.log(1)");
  EXPECT_EQ(Header(*script, "Cache-Control"), "max-age=31536000, immutable");
  EXPECT_TRUE(Header(*script, "Content-Security-Policy"));

  const std::optional<Response> missing = Get("/assets/index-old.js");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("\"field\":\"path\""), std::string::npos) << missing->body;
}

TEST_F(ConsoleRoutesTest, ApiRoutesStillWin) {
  const std::optional<Response> list = Get("/v1/things");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->body, R"({"value":[]})");
  const std::optional<Response> ready = Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->body, R"({"status":"ready"})");
}

TEST_F(ConsoleRoutesTest, ReservedPathsAnswerAsWithoutTheConsole) {
  for (const std::string path : {"/v1/unknown", "/v1/things/x/y/z", "/graph/v1.0/me",
                                 "/oauth2/token", "/healthz/x", "/metrics/x"}) {
    const std::optional<Response> answer = Get(path);
    ASSERT_TRUE(answer) << path;
    EXPECT_EQ(answer->status, 404) << path;
    EXPECT_EQ(answer->content_type, "application/json") << path;
    EXPECT_NE(answer->body.find("no route for GET " + path), std::string::npos) << answer->body;
  }
  // A GET on an API path routed only for POST stays a 405 naming the methods it takes.
  const std::optional<Response> wrong_method = Get("/v1/things/x/go");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(Header(*wrong_method, "Allow"), "POST");
}

TEST_F(ConsoleRoutesTest, OtherMethodsOnReservedPathsAnswerAsWithoutTheConsole) {
  // An API route still wins; an unknown API path is 404 for any method, a known one with another
  // method 405.
  const std::optional<Response> go = Get("/v1/things/x/go", "POST");
  ASSERT_TRUE(go);
  EXPECT_EQ(go->status, 202);
  const std::optional<Response> unknown = Get("/v1/session", "POST");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_NE(unknown->body.find("no route for POST /v1/session"), std::string::npos)
      << unknown->body;
  const std::optional<Response> put = Get("/v1/things/x/go", "PUT");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  EXPECT_EQ(Header(*put, "Allow"), "POST");
}

TEST_F(ConsoleRoutesTest, RefusalsComeFromTheGateBeforeTheBody) {
  const Router::Match match = router_.Find("POST", "/v1/session");
  ASSERT_EQ(match.outcome, Router::Outcome::kFound);
  ASSERT_TRUE(match.options->gate);
  Request request;
  request.method = "POST";
  request.path = "/v1/session";
  const std::optional<Response> refused = match.options->gate(request, match.params);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 404);
  // A console URL's GET passes the gate.
  const Router::Match page = router_.Find("GET", "/devices");
  request.method = "GET";
  request.path = "/devices";
  EXPECT_FALSE(page.options->gate(request, page.params));
}

TEST_F(ConsoleRoutesTest, OnlyGetServesThePage) {
  const std::optional<Response> post = Get("/devices", "POST");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(Header(*post, "Allow"), "GET");
}

TEST(ConsoleRoutes, FilesWithoutIndexAreRefused) {
  Router router;
  const std::vector<EmbeddedFile> no_index = {{"/assets/a.js", "text/javascript", "x"}};
  const Status added = AddConsoleRoutes(router, no_index);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace groundcrew::api

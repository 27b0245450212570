#include "server/http/http_types.hpp"

#include <gtest/gtest.h>

namespace groundcrew::server {
namespace {

TEST(PercentDecodeTest, DecodesEscapesAndOptionallyPlus) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc", false), "a b/c");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("%e2%82%ac", false), "\xe2\x82\xac");
}

TEST(PercentDecodeTest, KeepsMalformedEscapesLiterally) {
  EXPECT_EQ(PercentDecode("100%", false), "100%");
  EXPECT_EQ(PercentDecode("%4", false), "%4");
  EXPECT_EQ(PercentDecode("%zz%41", false), "%zzA");
}

TEST(SplitTargetTest, SeparatesPathAndDecodedQuery) {
  std::string path;
  std::map<std::string, std::string> query;
  SplitTarget("/v1/devices?state=new&tag=a%20b&flag&x=1&x=2&=v&#frag", path, query);
  EXPECT_EQ(path, "/v1/devices");
  EXPECT_EQ(query.at("state"), "new");
  EXPECT_EQ(query.at("tag"), "a b");
  EXPECT_EQ(query.at("flag"), "");
  EXPECT_EQ(query.at("x"), "1");  // first occurrence wins
  EXPECT_EQ(query.at(""), "v");

  SplitTarget("/plain", path, query);
  EXPECT_EQ(path, "/plain");
  EXPECT_TRUE(query.empty());
}

TEST(HeadersTest, LookupIsCaseInsensitiveAndRepeatsAreJoined) {
  Headers headers;
  headers.Add("Content-Type", "application/json");
  headers.Add("accept", "text/plain");
  headers.Add("ACCEPT", "application/json");
  ASSERT_NE(headers.Find("content-type"), nullptr);
  EXPECT_EQ(*headers.Find("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(headers.Get("Accept"), "text/plain, application/json");
  EXPECT_EQ(headers.Get("missing"), "");
  EXPECT_FALSE(headers.Contains("missing"));
  EXPECT_EQ(headers.size(), 2u);
}

}  // namespace
}  // namespace groundcrew::server

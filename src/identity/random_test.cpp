#include "identity/random.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace groundcrew::identity {
namespace {

TEST(RandomToken, IsUrlSafeAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string token = RandomToken(32);
    EXPECT_EQ(token.size(), 43u);  // 32 bytes, unpadded base64
    EXPECT_TRUE(std::regex_match(token, std::regex("[A-Za-z0-9_-]+"))) << token;
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(RandomUuid, IsVersion4) {
  const std::regex shape("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = RandomUuid();
    EXPECT_TRUE(std::regex_match(id, shape)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace groundcrew::identity

namespace groundcrew::identity {
namespace {

TEST(RandomHex, IsLowerCaseHexOfTheLengthAskedAndDistinct) {
  const std::string a = RandomHex(32);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, RandomHex(32));
}

TEST(SameSecretTest, EqualOnlyForTheSameBytes) {
  EXPECT_TRUE(SameSecret("abc", "abc"));
  EXPECT_TRUE(SameSecret("", ""));
  EXPECT_FALSE(SameSecret("abd", "abc"));
  EXPECT_FALSE(SameSecret("ab", "abc"));
  EXPECT_FALSE(SameSecret(std::string("a\0c", 3), std::string("a\0d", 3)));
}

}  // namespace
}  // namespace groundcrew::identity

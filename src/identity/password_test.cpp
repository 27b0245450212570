#include "identity/password.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

namespace groundcrew::identity {
namespace {

constexpr PasswordHashCost kFast = kMinimumPasswordCost;

TEST(HashPassword, VerifiesOnlyTheSamePassword) {
  const Result<std::string> hash = HashPassword("correct horse battery", kFast);
  ASSERT_TRUE(hash.has_value()) << hash.error().message;
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m=8,t=1,p=1$")) << *hash;
  EXPECT_TRUE(VerifyPassword(*hash, "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(*hash, "correct horse batterY"));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
}

TEST(HashPassword, SaltsEveryHash) {
  const Result<std::string> a = HashPassword("same password", kFast);
  const Result<std::string> b = HashPassword("same password", kFast);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(VerifyPassword(*a, "same password"));
  EXPECT_TRUE(VerifyPassword(*b, "same password"));
}

TEST(HashPassword, HandlesNonAsciiAndEmbeddedNul) {
  const std::string password("pässwörd\0tail", 15);
  const Result<std::string> hash = HashPassword(password, kFast);
  ASSERT_TRUE(hash);
  EXPECT_TRUE(VerifyPassword(*hash, password));
  EXPECT_FALSE(VerifyPassword(*hash, "pässwörd"));  // the part after NUL counts
}

TEST(HashPassword, RefusesCostOutsideLibsodiumLimits) {
  const Result<std::string> hash = HashPassword("whatever", PasswordHashCost{0, 8192});
  ASSERT_FALSE(hash);
  EXPECT_EQ(hash.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(hash.error().field, "cost");
}

TEST(VerifyPassword, MalformedHashesAreFalse) {
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_FALSE(VerifyPassword("not a hash", "not a hash"));
  EXPECT_FALSE(VerifyPassword(std::string(500, '$'), "x"));
  const Result<std::string> hash = HashPassword("pw", kFast);
  ASSERT_TRUE(hash);
  EXPECT_FALSE(VerifyPassword(hash->substr(0, hash->size() - 1), "pw"));  // truncated
  EXPECT_FALSE(VerifyPassword(*hash + std::string(1, '\0') + "junk", "pw"));
}

TEST(NeedsRehash, ComparesParameters) {
  const Result<std::string> hash = HashPassword("pw", kFast);
  ASSERT_TRUE(hash);
  EXPECT_FALSE(NeedsRehash(*hash, kFast));
  EXPECT_TRUE(NeedsRehash(*hash, kInteractivePasswordCost));
  EXPECT_TRUE(NeedsRehash(*hash));  // default cost
  EXPECT_TRUE(NeedsRehash("garbage", kFast));
  EXPECT_TRUE(NeedsRehash("", kFast));
}

TEST(DummyVerifyPassword, IsAWellFormedDefaultCostHashThatNothingMatches) {
  // Well-formed at the default cost, so verifying against it costs what a real user's does.
  EXPECT_FALSE(NeedsRehash(DummyPasswordHash(), kDefaultPasswordCost));
  EXPECT_FALSE(DummyVerifyPassword("password1234"));
  EXPECT_FALSE(DummyVerifyPassword("", kFast));
  EXPECT_FALSE(DummyVerifyPassword("anything at all", kFast));
}

TEST(DummyVerifyPassword, CostsAboutAsMuchAsARealVerification) {
  const Result<std::string> hash = HashPassword("the real password", kDefaultPasswordCost);
  ASSERT_TRUE(hash);
  const auto fastest = [](auto&& work) {
    auto best = std::chrono::steady_clock::duration::max();
    for (int i = 0; i < 3; ++i) {
      const auto start = std::chrono::steady_clock::now();
      work();
      best = std::min(best, std::chrono::steady_clock::now() - start);
    }
    return std::chrono::duration<double>(best).count();
  };
  const double real = fastest([&] { (void)VerifyPassword(*hash, "a wrong password"); });
  const double dummy = fastest([&] { (void)DummyVerifyPassword("a wrong password"); });
  // Loose bounds: the machine may be busy; a cheap dummy would be orders of magnitude faster.
  EXPECT_GT(dummy, real * 0.5) << "dummy " << dummy << "s, real " << real << "s";
  EXPECT_LT(dummy, real * 2.0) << "dummy " << dummy << "s, real " << real << "s";
}

// Asserts a policy refusal whose message does not leak the password.
void ExpectRefused(const std::string& password, const std::string& upn,
                   const std::string& reason_part) {
  const Status status = CheckPasswordPolicy(password, upn);
  ASSERT_FALSE(status) << "accepted: " << password;
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().field, "password");
  EXPECT_NE(status.error().message.find(reason_part), std::string::npos) << status.error().message;
  if (!password.empty()) {
    EXPECT_EQ(status.error().message.find(password), std::string::npos)
        << "the message contains the password: " << status.error().message;
  }
}

TEST(CheckPasswordPolicy, AcceptsAReasonablePassword) {
  EXPECT_TRUE(CheckPasswordPolicy("tangerine-river-47", "alice@contoso.example"));
  EXPECT_TRUE(CheckPasswordPolicy("b" + std::string(255, 'a'), "al@x"));
}

TEST(CheckPasswordPolicy, CountsCodePointsNotBytes) {
  // 11 code points, 22 bytes: too short although longer than 12 bytes.
  ExpectRefused("ääääääääääb", "bob@x", "at least 12 characters");
  EXPECT_TRUE(CheckPasswordPolicy("äääääääääääb", "bob@x"));  // 12 code points
}

TEST(CheckPasswordPolicy, Length) {
  ExpectRefused("", "bob@x", "at least 12 characters");
  ExpectRefused("Short-pw-11", "bob@x", "at least 12 characters");
  EXPECT_TRUE(CheckPasswordPolicy("Short-pw-12!", "bob@x"));
  ExpectRefused("b" + std::string(256, 'a'), "bob@x", "at most 256 bytes");
  std::string euros;  // 86 code points but 258 bytes
  for (int i = 0; i < 86; ++i) euros += (i % 2 ? "\u20ac" : "\u20a4");
  ExpectRefused(euros, "bob@x", "at most 256 bytes");
}

TEST(CheckPasswordPolicy, RefusesInvalidUtf8) {
  ExpectRefused(
      "abcdefghijk\xff"
      "xyz",
      "bob@x", "UTF-8");
  ExpectRefused("abcdefghijkl\xc3", "bob@x", "UTF-8");          // truncated sequence
  ExpectRefused("abcdefghijkl\xc0\xaf", "bob@x", "UTF-8");      // overlong '/'
  ExpectRefused("abcdefghijkl\xed\xa0\x80", "bob@x", "UTF-8");  // surrogate
}

TEST(CheckPasswordPolicy, RefusesOneRepeatedCharacter) {
  ExpectRefused("aaaaaaaaaaaaaaa", "bob@x", "single character");
  ExpectRefused("ßßßßßßßßßßßßß", "bob@x", "single character");
  EXPECT_TRUE(CheckPasswordPolicy("aaaaaaaaaaaaaab", "bob@x"));
}

TEST(CheckPasswordPolicy, RefusesTheUserName) {
  ExpectRefused("alice.smith1", "alice.smith1@contoso.example", "user name");
  ExpectRefused("My-ALICE.Smith-2026", "alice.smith@contoso.example", "user name");
  // The domain is not the user name; short user names are not searched for.
  EXPECT_TRUE(CheckPasswordPolicy("contoso-rocks-2026", "alice@contoso.example"));
  EXPECT_TRUE(CheckPasswordPolicy("tangerine-al-river", "al@contoso.example"));
  ExpectRefused("tangerine-bob-river", "bob", "user name");  // no '@': all of it is the name
}

TEST(CheckPasswordPolicy, RefusesCommonPasswords) {
  ExpectRefused("password1234", "bob@x", "too common");
  ExpectRefused("PassWord1234", "bob@x", "too common");
  ExpectRefused("123456789012", "bob@x", "too common");
  ExpectRefused("1qaz2wsx3edc", "bob@x", "too common");
  EXPECT_TRUE(CheckPasswordPolicy("password12345678", "bob@x"));
}

}  // namespace
}  // namespace groundcrew::identity

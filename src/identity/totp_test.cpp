#include "identity/totp.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>

namespace groundcrew::identity {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

sys_seconds At(std::int64_t unix_time) { return sys_seconds{seconds{unix_time}}; }

// RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const std::string kRfcSecret = "12345678901234567890";

std::string Code(std::string_view secret, std::int64_t unix_time, int digits = 6) {
  Result<std::string> code = GenerateTotp(secret, At(unix_time), digits);
  EXPECT_TRUE(code) << code.error().message;
  return code ? *code : std::string();
}

TEST(GenerateTotp, Rfc6238AppendixBSha1Vectors) {
  const struct {
    std::int64_t time;
    const char* code;
  } vectors[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
  };
  for (const auto& v : vectors) {
    EXPECT_EQ(Code(kRfcSecret, v.time, 8), v.code) << "T = " << v.time;
    EXPECT_EQ(Code(kRfcSecret, v.time), std::string(v.code).substr(2)) << "T = " << v.time;
  }
}

TEST(GenerateTotp, StepsAreThirtySeconds) {
  EXPECT_EQ(Code(kRfcSecret, 30), Code(kRfcSecret, 59));
  EXPECT_NE(Code(kRfcSecret, 59), Code(kRfcSecret, 60));
  // A custom step: with 60-second steps, T = 119 is counter 1, the same as 30..59 with 30 s.
  Result<std::string> custom = GenerateTotp(kRfcSecret, At(119), 6, seconds(60));
  ASSERT_TRUE(custom);
  EXPECT_EQ(*custom, Code(kRfcSecret, 59));
}

TEST(GenerateTotp, RefusesBadArguments) {
  EXPECT_EQ(GenerateTotp("short", At(59)).error().field, "secret");
  EXPECT_EQ(GenerateTotp(kRfcSecret, At(59), 0).error().field, "digits");
  EXPECT_EQ(GenerateTotp(kRfcSecret, At(59), 10).error().field, "digits");
  EXPECT_EQ(GenerateTotp(kRfcSecret, At(59), 6, seconds(0)).error().field, "step");
  EXPECT_EQ(GenerateTotp(kRfcSecret, At(-1)).error().field, "time");
  EXPECT_EQ(GenerateTotp("short", At(59)).error().code, ErrorCode::kInvalidArgument);
}

TEST(VerifyTotp, AcceptsTheCurrentCodeAndReturnsItsStep) {
  const Result<std::int64_t> step =
      VerifyTotp(kRfcSecret, Code(kRfcSecret, 1111111111), At(1111111111), kNoTotpStepAccepted);
  ASSERT_TRUE(step) << step.error().message;
  EXPECT_EQ(*step, 1111111111 / 30);
}

TEST(VerifyTotp, AcceptsOneStepOfDriftEitherWayButNotTwo) {
  const std::int64_t now = 1'800'000'015;  // in the middle of a step
  for (int drift : {-1, 0, 1}) {
    const Result<std::int64_t> step =
        VerifyTotp(kRfcSecret, Code(kRfcSecret, now + 30 * drift), At(now), kNoTotpStepAccepted);
    ASSERT_TRUE(step) << "drift " << drift << ": " << step.error().message;
    EXPECT_EQ(*step, now / 30 + drift);
  }
  for (int drift : {-2, 2}) {
    const Result<std::int64_t> step =
        VerifyTotp(kRfcSecret, Code(kRfcSecret, now + 30 * drift), At(now), kNoTotpStepAccepted);
    ASSERT_FALSE(step) << "drift " << drift;
    EXPECT_EQ(step.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(step.error().field, "code");
  }
}

TEST(VerifyTotp, RefusesAReplayedCode) {
  const std::int64_t now = 1'800'000'000;
  const std::string code = Code(kRfcSecret, now);
  const Result<std::int64_t> first = VerifyTotp(kRfcSecret, code, At(now), kNoTotpStepAccepted);
  ASSERT_TRUE(first);
  // The same code again, in the same step and in the next one (still within the drift).
  for (std::int64_t later : {now + 5, now + 30}) {
    const Result<std::int64_t> again = VerifyTotp(kRfcSecret, code, At(later), *first);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::kUnauthenticated);
    EXPECT_NE(again.error().message.find("already been used"), std::string::npos);
  }
  // An older code (previous step) after a newer one was accepted is refused too.
  EXPECT_FALSE(VerifyTotp(kRfcSecret, Code(kRfcSecret, now - 30), At(now), *first));
  // The next step's code is fine.
  const Result<std::int64_t> next =
      VerifyTotp(kRfcSecret, Code(kRfcSecret, now + 30), At(now + 30), *first);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, *first + 1);
}

TEST(VerifyTotp, RefusesWrongCodesWithoutEchoingThem) {
  const std::int64_t now = 1'800'000'000;
  std::string wrong = Code(kRfcSecret, now);
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  const Result<std::int64_t> step = VerifyTotp(kRfcSecret, wrong, At(now), kNoTotpStepAccepted);
  ASSERT_FALSE(step);
  EXPECT_EQ(step.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(step.error().message.find(wrong), std::string::npos);
}

TEST(VerifyTotp, RefusesCodesThatAreNotSixAsciiDigits) {
  const std::int64_t now = 1'800'000'000;
  const std::string good = Code(kRfcSecret, now);
  for (const std::string& bad :
       {std::string(), good.substr(0, 5), good + "0", " " + good, good.substr(0, 5) + "a",
        Code(kRfcSecret, now, 8), std::string("12 456"), std::string("\xd9\xa1") + "23456"}) {
    const Result<std::int64_t> step = VerifyTotp(kRfcSecret, bad, At(now), kNoTotpStepAccepted);
    ASSERT_FALSE(step) << "accepted '" << bad << "'";
    EXPECT_EQ(step.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(step.error().field, "code");
  }
}

TEST(VerifyTotp, WorksAtTheStartOfTime) {
  const Result<std::int64_t> step =
      VerifyTotp(kRfcSecret, Code(kRfcSecret, 0), At(10), kNoTotpStepAccepted);
  ASSERT_TRUE(step);
  EXPECT_EQ(*step, 0);
}

TEST(NewTotpSecret, IsTwentyRandomBytes) {
  const std::string a = NewTotpSecret();
  const std::string b = NewTotpSecret();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a, b);
}

TEST(Base32, Rfc4648Vectors) {
  const struct {
    const char* plain;
    const char* padded;
  } vectors[] = {
      {"", ""},
      {"f", "MY======"},
      {"fo", "MZXQ===="},
      {"foo", "MZXW6==="},
      {"foob", "MZXW6YQ="},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI======"},
  };
  for (const auto& v : vectors) {
    std::string unpadded(v.padded);
    unpadded.erase(unpadded.find_last_not_of('=') + 1);
    EXPECT_EQ(Base32Encode(v.plain), unpadded);
    for (const std::string& text : {std::string(v.padded), unpadded}) {
      const Result<std::string> decoded = Base32Decode(text);
      ASSERT_TRUE(decoded) << text << ": " << decoded.error().message;
      EXPECT_EQ(*decoded, v.plain) << text;
    }
  }
}

TEST(Base32, RoundTripsRandomBytes) {
  std::mt19937 random(42);
  for (int length = 0; length < 64; ++length) {
    std::string bytes(static_cast<std::size_t>(length), '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    const Result<std::string> decoded = Base32Decode(Base32Encode(bytes));
    ASSERT_TRUE(decoded) << "length " << length;
    EXPECT_EQ(*decoded, bytes) << "length " << length;
  }
}

TEST(Base32, DecodingIsCaseInsensitiveAndIgnoresSpaces) {
  const Result<std::string> decoded = Base32Decode("mzxw 6ytb oi== ====");
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, "foobar");
  EXPECT_EQ(*Base32Decode("GEZDGNBVGY3TQOJQgezdgnbvgy3tqojq"), kRfcSecret);
}

TEST(Base32, RefusesBadInput) {
  for (const char* bad : {"MZXW1YTB",   // '1' is not in the alphabet
                          "MZXW8YTB",   // neither is '8'
                          "MZXW-6YTB",  // nor '-'
                          "MY=A",       // data after padding
                          "M",          // 5 bits: no byte
                          "MZX",        // 15 bits: no whole byte
                          "MZXW6Y",     // 30 bits
                          "MZ"}) {      // 'Z' leaves non-zero bits after "f"
    const Result<std::string> decoded = Base32Decode(bad);
    EXPECT_FALSE(decoded) << bad;
    if (!decoded) {
      EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument);
      EXPECT_EQ(decoded.error().field, "base32");
    }
  }
  EXPECT_EQ(Base32Decode("MZXW1YTB").error().message.find("MZXW"), std::string::npos);
  EXPECT_NE(Base32Decode("MZXW1YTB").error().message.find("character 4"), std::string::npos);
}

TEST(OtpauthUri, HasTheKeyUriFormat) {
  const Result<std::string> uri = OtpauthUri("Groundcrew", "alice@contoso.example", kRfcSecret);
  ASSERT_TRUE(uri) << uri.error().message;
  EXPECT_EQ(*uri,
            "otpauth://totp/Groundcrew:alice%40contoso.example"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Groundcrew"
            "&algorithm=SHA1&digits=6&period=30");
}

TEST(OtpauthUri, PercentEncodesIssuerAndAccount) {
  const Result<std::string> uri = OtpauthUri("Contoso & Co/IT", "bj\xc3\xb6rn+1 x@y.z", kRfcSecret);
  ASSERT_TRUE(uri);
  EXPECT_EQ(*uri,
            "otpauth://totp/Contoso%20%26%20Co%2FIT:bj%C3%B6rn%2B1%20x%40y.z"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Contoso%20%26%20Co%2FIT"
            "&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(*OtpauthUri("a-b.c_d~e", "x", kRfcSecret),
            "otpauth://totp/a-b.c_d~e:x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=a-b.c_d~e&algorithm=SHA1&digits=6&period=30");
}

TEST(OtpauthUri, RefusesColonsAndEmptyParts) {
  EXPECT_EQ(OtpauthUri("Con:toso", "alice", kRfcSecret).error().field, "issuer");
  EXPECT_EQ(OtpauthUri("", "alice", kRfcSecret).error().field, "issuer");
  EXPECT_EQ(OtpauthUri("Contoso", "a:lice", kRfcSecret).error().field, "account");
  EXPECT_EQ(OtpauthUri("Contoso", "", kRfcSecret).error().field, "account");
  EXPECT_EQ(OtpauthUri("Contoso", "alice", "short").error().field, "secret");
}

// --- Cross-check against Debian's independent implementation, oathtool (oath-toolkit). ---

// oathtool's output for `arguments` (first line, without the newline), or nullopt on failure.
std::optional<std::string> Oathtool(const std::string& arguments) {
  const std::string command = "oathtool " + arguments + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string output;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  if (pclose(pipe) != 0) return std::nullopt;
  return output.substr(0, output.find('\n'));
}

bool OathtoolInstalled() { return std::system("command -v oathtool >/dev/null 2>&1") == 0; }

TEST(TotpAgainstOathtool, AgreesOnRandomSecretsAndTimes) {
  ASSERT_TRUE(OathtoolInstalled())
      << "oathtool (Debian package 'oathtool') is not installed: run scripts/bootstrap";
  std::mt19937_64 random(20261125);
  std::uniform_int_distribution<std::int64_t> times(0, 4'102'444'800);  // 1970..2100
  for (int i = 0; i < 8; ++i) {
    const std::string secret = NewTotpSecret();
    const std::string base32 = Base32Encode(secret);
    const std::int64_t now = times(random);
    const std::optional<std::string> theirs =
        Oathtool("--totp --base32 " + base32 + " -N @" + std::to_string(now));
    ASSERT_TRUE(theirs) << "oathtool failed";
    EXPECT_EQ(Code(secret, now), *theirs) << "T = " << now;
    const Result<std::int64_t> step = VerifyTotp(secret, *theirs, At(now), kNoTotpStepAccepted);
    ASSERT_TRUE(step) << "T = " << now << ": " << step.error().message;
    EXPECT_EQ(*step, now / 30);
    // oathtool's code for the next step is accepted now (drift +1), and a second time is not.
    const std::optional<std::string> next =
        Oathtool("--totp --base32 " + base32 + " -N @" + std::to_string(now + 30));
    ASSERT_TRUE(next);
    const Result<std::int64_t> next_step = VerifyTotp(secret, *next, At(now), *step);
    ASSERT_TRUE(next_step) << next_step.error().message;
    EXPECT_EQ(*next_step, *step + 1);
    EXPECT_FALSE(VerifyTotp(secret, *next, At(now), *next_step));
  }
}

TEST(TotpAgainstOathtool, AgreesOnADateAndEightDigits) {
  ASSERT_TRUE(OathtoolInstalled())
      << "oathtool (Debian package 'oathtool') is not installed: run scripts/bootstrap";
  const std::string base32 = Base32Encode(kRfcSecret);
  const std::optional<std::string> six =
      Oathtool("--totp --base32 " + base32 + " --now '2026-11-25 12:00:00 UTC'");
  ASSERT_TRUE(six);
  EXPECT_EQ(Code(kRfcSecret, 1'795'608'000), *six);  // 2026-11-25T12:00:00Z
  const std::optional<std::string> eight =
      Oathtool("--totp --base32 --digits 8 " + base32 + " -N @20000000000");
  ASSERT_TRUE(eight);
  EXPECT_EQ(*eight, "65353130");
}

}  // namespace
}  // namespace groundcrew::identity

#include "identity/token.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

namespace groundcrew::identity {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

const sys_seconds kNow{seconds(1'750'000'000)};

Claims UserClaims() {
  Claims claims;
  claims.issuer = "https://groundcrew.example/contoso";
  claims.subject = "user-1";
  claims.audience = Audience::kUser;
  claims.issued_at = kNow;
  claims.expires_at = kNow + seconds(900);
  claims.extra = {{"tid", "contoso"}, {"upn", "ann@contoso.example"}};
  return claims;
}

std::string Base64Url(std::string_view bytes) {
  std::string text(
      sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(text.data(), text.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  text.resize(text.find('\0'));
  return text;
}

std::string FromBase64Url(std::string_view text) {
  std::string bytes(text.size(), '\0');
  std::size_t size = 0;
  EXPECT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(),
                              text.data(), text.size(), nullptr, &size, nullptr,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING),
            0);
  bytes.resize(size);
  return bytes;
}

struct Parts {
  std::string header, claims, signature;  // still base64url
};

Parts Split(const std::string& token) {
  const std::size_t a = token.find('.');
  const std::size_t b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

/// Signs "header.claims" with `ring`'s current key, as an attacker holding the key could; lets
/// tests build validly signed tokens with odd headers or claims.
std::string SignRaw(const KeyRing& ring, const std::string& header_json,
                    const std::string& claims_json) {
  std::string token = Base64Url(header_json) + "." + Base64Url(claims_json);
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(token.data()),
                       token.size(), ring.Current().secret_key.data());
  return token + "." +
         Base64Url(std::string_view(reinterpret_cast<const char*>(signature), sizeof signature));
}

std::string Header(const KeyRing& ring) {
  return R"({"alg":"EdDSA","kid":")" + ring.Current().kid + R"("})";
}

const std::string kGoodClaims =
    R"({"iss":"i","sub":"s","aud":"user","exp":1750000900,"iat":1750000000,"jti":"j1"})";

const IsRevokedFn kNoneRevoked = [](const std::string&) { return false; };

class TokenTest : public ::testing::Test {
 protected:
  /// Verify as the user audience at kNow; expects refusal and returns the message, checking
  /// that it never contains the token.
  std::string Refusal(const std::string& token, Audience audience = Audience::kUser,
                      sys_seconds now = kNow, const IsRevokedFn& revoked = kNoneRevoked) {
    Result<Claims> result = Verify(ring_, token, audience, now, revoked);
    if (result) {
      ADD_FAILURE() << "token accepted";
      return {};
    }
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(result.error().field, "token");
    if (!token.empty()) {
      EXPECT_EQ(result.error().message.find(token), std::string::npos);
      for (const std::string& part :
           {Split(token).header, Split(token).claims, Split(token).signature}) {
        if (part.size() >= 8) {
          EXPECT_EQ(result.error().message.find(part), std::string::npos) << part;
        }
      }
    }
    return result.error().message;
  }

  KeyRing ring_ = KeyRing::Create(kNow - seconds(3600));
};

TEST_F(TokenTest, RoundTrip) {
  auto issued = Issue(ring_, UserClaims());
  ASSERT_TRUE(issued) << issued.error().message;
  EXPECT_FALSE(issued->claims.id.empty());
  auto claims = Verify(ring_, issued->token, Audience::kUser, kNow + seconds(10), kNoneRevoked);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(*claims, issued->claims);
  EXPECT_EQ(claims->issuer, "https://groundcrew.example/contoso");
  EXPECT_EQ(claims->extra.at("upn"), "ann@contoso.example");
}

TEST_F(TokenTest, HasTheJwsCompactShapeStandardToolsRead) {
  auto issued = Issue(ring_, UserClaims());
  ASSERT_TRUE(issued);
  const Parts parts = Split(issued->token);
  EXPECT_EQ(FromBase64Url(parts.header), R"({"alg":"EdDSA","kid":")" + ring_.Current().kid + "\"}");
  const std::string claims = FromBase64Url(parts.claims);
  EXPECT_NE(claims.find(R"("aud":"user")"), std::string::npos) << claims;
  EXPECT_NE(claims.find(R"("exp":1750000900)"), std::string::npos) << claims;
  EXPECT_NE(claims.find(R"("tid":"contoso")"), std::string::npos) << claims;
  EXPECT_EQ(FromBase64Url(parts.signature).size(), 64u);
  EXPECT_EQ(issued->token.find('='), std::string::npos);
}

TEST_F(TokenTest, IdsAreRandomUnlessGiven) {
  auto a = Issue(ring_, UserClaims());
  auto b = Issue(ring_, UserClaims());
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->claims.id, b->claims.id);
  EXPECT_GE(a->claims.id.size(), 22u);  // 128 bits
  Claims claims = UserClaims();
  claims.id = "chosen";
  auto c = Issue(ring_, claims);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->claims.id, "chosen");
}

TEST_F(TokenTest, IssueRefusesBadClaims) {
  auto field_of = [this](Claims claims) {
    auto issued = Issue(ring_, std::move(claims));
    EXPECT_FALSE(issued);
    return issued ? std::string() : issued.error().field;
  };
  Claims claims = UserClaims();
  claims.issuer.clear();
  EXPECT_EQ(field_of(claims), "iss");
  claims = UserClaims();
  claims.subject.clear();
  EXPECT_EQ(field_of(claims), "sub");
  claims = UserClaims();
  claims.expires_at = claims.issued_at;
  EXPECT_EQ(field_of(claims), "exp");
  claims = UserClaims();
  claims.extra["exp"] = "later";
  EXPECT_EQ(field_of(claims), "extra");
  claims = UserClaims();
  claims.extra[""] = "x";
  EXPECT_EQ(field_of(claims), "extra");
  claims = UserClaims();
  claims.subject = "bad \xff utf-8";
  EXPECT_EQ(field_of(claims), "claims");
}

TEST_F(TokenTest, RefusesMalformedTokens) {
  auto issued = Issue(ring_, UserClaims());
  ASSERT_TRUE(issued);
  const std::string& token = issued->token;
  const Parts p = Split(token);
  for (const std::string& bad : {
           std::string(), std::string("not a token"),
           p.header + "." + p.claims,                                      // two parts
           token + ".AAAA",                                                // four parts
           p.header + "=." + p.claims + "." + p.signature,                 // padding
           "!" + p.header.substr(1) + "." + p.claims + "." + p.signature,  // not base64url
           p.header + "." + p.claims + "." + p.signature.substr(4),        // short signature
           p.header + "." + p.claims + ".",                                // no signature
           std::string(kMaxTokenSize + 1, 'a'),                            // too long
       }) {
    EXPECT_NE(Refusal(bad).find("token refused"), std::string::npos);
  }
  // Validly signed, but not what a token holds.
  for (const std::string& claims : {
           std::string("[]"),
           std::string(R"("just a string")"),
           std::string(R"({"iss":"i","sub":"s","aud":"user","exp":1750000900,"iat":1750000000})"),
           std::string(R"({"iss":"i","sub":"s","aud":"user","exp":"1750000900",)"
                       R"("iat":1750000000,"jti":"j"})"),
           std::string(R"({"iss":"i","sub":"s","aud":["user"],"exp":1750000900,)"
                       R"("iat":1750000000,"jti":"j"})"),
           std::string(R"({"iss":"i","sub":"s","aud":"user","exp":1750000900.5,)"
                       R"("iat":1750000000,"jti":"j"})"),
           std::string(R"({"iss":"i","sub":"s","aud":"user","exp":1750000900,)"
                       R"("iat":1750000000,"jti":"j","extra":{"a":"b"}})"),
           std::string(R"({"iss":"i","sub":"s","aud":"user","exp":1750000900,)"
                       R"("iat":1750000000,"jti":"j","admin":true})"),
           std::string(R"({"iss":"i","sub":"s","aud":"user","exp":1750000900,)"
                       R"("iat":1750000000,"jti":"j","nbf":"1"})"),
           std::string(R"({"iss":"i","sub":"s","aud":"root","exp":1750000900,)"
                       R"("iat":1750000000,"jti":"j"})"),
           kGoodClaims + " x",
       }) {
    EXPECT_NE(Refusal(SignRaw(ring_, Header(ring_), claims)).find("malformed"), std::string::npos)
        << claims;
  }
  EXPECT_TRUE(Verify(ring_, SignRaw(ring_, Header(ring_), kGoodClaims), Audience::kUser, kNow,
                     kNoneRevoked));
}

TEST_F(TokenTest, RefusesDuplicateMembers) {
  // A duplicate "aud" could make two parsers disagree about who the token is for.
  const std::string claims =
      R"({"iss":"i","sub":"s","aud":"admin","exp":1750000900,"iat":1750000000,"jti":"j",)"
      R"("aud":"user"})";
  EXPECT_NE(Refusal(SignRaw(ring_, Header(ring_), claims)).find("twice"), std::string::npos);
  const std::string header =
      R"({"alg":"EdDSA","kid":")" + ring_.Current().kid + R"(","alg":"EdDSA"})";
  EXPECT_NE(Refusal(SignRaw(ring_, header, kGoodClaims)).find("twice"), std::string::npos);
}

TEST_F(TokenTest, RefusesUnknownHeaderMembers) {
  for (const std::string& header : {
           R"({"alg":"EdDSA","kid":")" + ring_.Current().kid + R"(","typ":"JWT"})",
           R"({"alg":"EdDSA","kid":")" + ring_.Current().kid + R"(","crit":["exp"]})",
           R"({"alg":"EdDSA","kid":")" + ring_.Current().kid + R"(","jku":"https://evil"})",
           std::string(R"({"alg":"EdDSA"})"),
       }) {
    EXPECT_NE(Refusal(SignRaw(ring_, header, kGoodClaims)).find("malformed header"),
              std::string::npos)
        << header;
  }
}

TEST_F(TokenTest, RefusesOtherAlgorithms) {
  const std::string kid = ring_.Current().kid;
  // "none": no signature at all.
  const std::string none =
      Base64Url(R"({"alg":"none","kid":")" + kid + "\"}") + "." + Base64Url(kGoodClaims) + ".";
  EXPECT_NE(Refusal(none).find("algorithm"), std::string::npos);
  // HS256 keyed with the public key (the classic algorithm-confusion attack).
  const std::string hs256_input =
      Base64Url(R"({"alg":"HS256","kid":")" + kid + "\"}") + "." + Base64Url(kGoodClaims);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  const auto public_key = ring_.Current().PublicKey();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, public_key.data(), public_key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(hs256_input.data()),
                                hs256_input.size());
  crypto_auth_hmacsha256_final(&state, mac);
  const std::string hs256 =
      hs256_input + "." + Base64Url(std::string_view(reinterpret_cast<char*>(mac), sizeof mac));
  EXPECT_NE(Refusal(hs256).find("algorithm"), std::string::npos);
  // Even when signed with the right key, the header must say EdDSA.
  EXPECT_NE(Refusal(SignRaw(ring_, R"({"alg":"Ed25519","kid":")" + kid + "\"}", kGoodClaims))
                .find("algorithm"),
            std::string::npos);
}

TEST_F(TokenTest, RefusesTamperedPayload) {
  auto issued = Issue(ring_, UserClaims());
  ASSERT_TRUE(issued);
  const Parts p = Split(issued->token);
  std::string claims = FromBase64Url(p.claims);
  const std::size_t at = claims.find("user-1");
  ASSERT_NE(at, std::string::npos);
  claims.replace(at, 6, "user-2");
  const std::string forged = p.header + "." + Base64Url(claims) + "." + p.signature;
  EXPECT_NE(Refusal(forged).find("bad signature"), std::string::npos);
  // Audience escalation by editing the claims.
  std::string admin = FromBase64Url(p.claims);
  admin.replace(admin.find(R"("aud":"user")"), 12, R"("aud":"admin")");
  EXPECT_NE(Refusal(p.header + "." + Base64Url(admin) + "." + p.signature, Audience::kAdmin)
                .find("bad signature"),
            std::string::npos);
}

TEST_F(TokenTest, RefusesTamperedSignature) {
  auto issued = Issue(ring_, UserClaims());
  ASSERT_TRUE(issued);
  const Parts p = Split(issued->token);
  std::string signature = FromBase64Url(p.signature);
  signature[10] = static_cast<char>(signature[10] ^ 0x01);
  EXPECT_NE(Refusal(p.header + "." + p.claims + "." + Base64Url(signature)).find("bad signature"),
            std::string::npos);
  // A signature by another key under this ring's kid.
  KeyRing other = KeyRing::Create(kNow);
  auto foreign = Issue(other, UserClaims());
  ASSERT_TRUE(foreign);
  const std::string swapped =
      p.header + "." + Split(foreign->token).claims + "." + Split(foreign->token).signature;
  EXPECT_NE(Refusal(swapped).find("bad signature"), std::string::npos);
}

TEST_F(TokenTest, RefusesUnknownKid) {
  KeyRing other = KeyRing::Create(kNow);
  auto issued = Issue(other, UserClaims());
  ASSERT_TRUE(issued);
  EXPECT_NE(Refusal(issued->token).find("unknown"), std::string::npos);
}

TEST_F(TokenTest, RefusesWrongAudience) {
  auto issued = Issue(ring_, UserClaims());
  ASSERT_TRUE(issued);
  EXPECT_NE(Refusal(issued->token, Audience::kAdmin).find("wrong audience"), std::string::npos);
  EXPECT_NE(Refusal(issued->token, Audience::kDevice).find("wrong audience"), std::string::npos);
}

TEST_F(TokenTest, RefusesExpiredTokens) {
  auto issued = Issue(ring_, UserClaims());  // exp = kNow + 900
  ASSERT_TRUE(issued);
  EXPECT_TRUE(Verify(ring_, issued->token, Audience::kUser, kNow + seconds(899), kNoneRevoked));
  EXPECT_NE(Refusal(issued->token, Audience::kUser, kNow + seconds(900)).find("expired"),
            std::string::npos);
  EXPECT_NE(Refusal(issued->token, Audience::kUser, kNow + seconds(86400)).find("expired"),
            std::string::npos);
}

TEST_F(TokenTest, RefusesTokensIssuedInTheFuture) {
  Claims claims = UserClaims();
  claims.issued_at = kNow + seconds(61);
  claims.expires_at = kNow + seconds(900);
  auto future = Issue(ring_, claims);
  ASSERT_TRUE(future);
  EXPECT_NE(Refusal(future->token).find("future"), std::string::npos);
  claims.issued_at = kNow + kMaxIssuedAtSkew;  // within the skew allowance
  auto skewed = Issue(ring_, claims);
  ASSERT_TRUE(skewed);
  EXPECT_TRUE(Verify(ring_, skewed->token, Audience::kUser, kNow, kNoneRevoked));
}

TEST_F(TokenTest, RefusesRevokedTokensAndPassesLookupErrorsThrough) {
  auto issued = Issue(ring_, UserClaims());
  ASSERT_TRUE(issued);
  std::string asked;
  const IsRevokedFn revoked = [&](const std::string& jti) {
    asked = jti;
    return true;
  };
  EXPECT_NE(Refusal(issued->token, Audience::kUser, kNow, revoked).find("revoked"),
            std::string::npos);
  EXPECT_EQ(asked, issued->claims.id);
  const IsRevokedFn unavailable = [](const std::string&) -> Result<bool> {
    return MakeError(ErrorCode::kUnavailable, "revocation list unavailable");
  };
  auto result = Verify(ring_, issued->token, Audience::kUser, kNow, unavailable);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  // A null callback means "no revocation list".
  EXPECT_TRUE(Verify(ring_, issued->token, Audience::kUser, kNow, nullptr));
}

TEST_F(TokenTest, RevocationIsNotConsultedForForgedTokens) {
  auto issued = Issue(ring_, UserClaims());
  ASSERT_TRUE(issued);
  const Parts p = Split(issued->token);
  bool asked = false;
  const IsRevokedFn revoked = [&](const std::string&) {
    asked = true;
    return false;
  };
  Refusal(p.header + "." + p.claims + "." +
              Split(SignRaw(KeyRing::Create(kNow), Header(ring_), kGoodClaims)).signature,
          Audience::kUser, kNow, revoked);
  EXPECT_FALSE(asked);
}

TEST_F(TokenTest, RotationKeepsOldKeysVerifyingUntilDropped) {
  KeyRing ring = KeyRing::Create(kNow, seconds(3600));
  const std::string old_kid = ring.Current().kid;
  auto before = Issue(ring, UserClaims());
  ASSERT_TRUE(before);

  ring.Rotate(kNow + seconds(60));
  ASSERT_EQ(ring.keys().size(), 2u);
  EXPECT_NE(ring.Current().kid, old_kid);
  auto after = Issue(ring, UserClaims());
  ASSERT_TRUE(after);
  EXPECT_NE(FromBase64Url(Split(after->token).header).find(ring.Current().kid), std::string::npos);
  // The old key still verifies within the retention...
  EXPECT_TRUE(Verify(ring, before->token, Audience::kUser, kNow + seconds(120), kNoneRevoked));
  EXPECT_TRUE(Verify(ring, after->token, Audience::kUser, kNow + seconds(120), kNoneRevoked));
  // ... and not after it (even before the next rotation drops it).
  Claims long_lived = UserClaims();
  long_lived.expires_at = kNow + seconds(86400);
  ring_ = KeyRing::Create(kNow, seconds(3600));
  auto long_token = Issue(ring_, long_lived);
  ASSERT_TRUE(long_token);
  ring_.Rotate(kNow + seconds(60));
  EXPECT_TRUE(Verify(ring_, long_token->token, Audience::kUser, kNow + seconds(3659), nullptr));
  EXPECT_NE(Refusal(long_token->token, Audience::kUser, kNow + seconds(3660)).find("retired"),
            std::string::npos);

  // Rotating after the retention drops the old key.
  ring.Rotate(kNow + seconds(60 + 3600));
  ASSERT_EQ(ring.keys().size(), 2u);
  EXPECT_EQ(ring.FindVerifier(old_kid, kNow + seconds(60 + 3600)), nullptr);
  for (const SigningKey& key : ring.keys()) EXPECT_NE(key.kid, old_kid);
  EXPECT_FALSE(Verify(ring, before->token, Audience::kUser, kNow + seconds(120), nullptr));
  EXPECT_TRUE(Verify(ring, after->token, Audience::kUser, kNow + seconds(120), nullptr));
}

TEST_F(TokenTest, KeyRingSerializationRoundTrip) {
  KeyRing ring = KeyRing::Create(kNow, seconds(7200));
  ring.Rotate(kNow + seconds(10));
  ring.Rotate(kNow + seconds(20));
  auto issued = Issue(ring, UserClaims());
  ASSERT_TRUE(issued);
  const std::string bytes = ring.Serialize();
  auto restored = KeyRing::Deserialize(bytes);
  ASSERT_TRUE(restored) << restored.error().message;
  ASSERT_EQ(restored->keys().size(), 3u);
  EXPECT_EQ(restored->retention(), seconds(7200));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(restored->keys()[i].kid, ring.keys()[i].kid);
    EXPECT_EQ(restored->keys()[i].secret_key, ring.keys()[i].secret_key);
    EXPECT_EQ(restored->keys()[i].created_at, ring.keys()[i].created_at);
    EXPECT_EQ(restored->keys()[i].retired_at, ring.keys()[i].retired_at);
  }
  EXPECT_EQ(restored->Serialize(), bytes);
  EXPECT_TRUE(Verify(*restored, issued->token, Audience::kUser, kNow + seconds(30), nullptr));
  auto again = Issue(*restored, UserClaims());
  ASSERT_TRUE(again);
  EXPECT_TRUE(Verify(ring, again->token, Audience::kUser, kNow + seconds(30), nullptr));
}

TEST_F(TokenTest, KeyRingDeserializeRefusesDamage) {
  KeyRing ring = KeyRing::Create(kNow);
  ring.Rotate(kNow + seconds(10));
  const std::string bytes = ring.Serialize();
  auto refused = [](std::string_view damaged) {
    auto result = KeyRing::Deserialize(damaged);
    return !result && result.error().code == ErrorCode::kInvalidArgument &&
           result.error().field == "key_ring";
  };
  EXPECT_TRUE(refused(""));
  EXPECT_TRUE(refused(bytes.substr(0, bytes.size() - 1)));
  EXPECT_TRUE(refused(bytes + "x"));
  std::string wrong_magic = bytes;
  wrong_magic[0] = 'X';
  EXPECT_TRUE(refused(wrong_magic));
  std::string wrong_version = bytes;
  wrong_version[4] = 2;
  EXPECT_TRUE(refused(wrong_version));
  std::string flipped_public_half = bytes;
  flipped_public_half[bytes.size() - 1] ^= 1;  // last byte of the newest key's public half
  EXPECT_TRUE(refused(flipped_public_half));
  std::string newest_retired = bytes;
  newest_retired[bytes.size() - 64 - 8 - 1] = 1;  // the newest key's retirement flag
  EXPECT_TRUE(refused(newest_retired));
}

TEST_F(TokenTest, ErrorMessagesNeverContainTheToken) {
  auto issued = Issue(ring_, UserClaims());
  ASSERT_TRUE(issued);
  const std::string& token = issued->token;
  // Every refusal path above goes through Refusal(), which checks this; here, the remaining
  // paths with the real token.
  for (auto [audience, now] :
       {std::pair{Audience::kAdmin, kNow}, std::pair{Audience::kUser, kNow + seconds(100000)},
        std::pair{Audience::kUser, kNow - seconds(1000)}}) {
    auto result = Verify(ring_, token, audience, now, kNoneRevoked);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message.find(token), std::string::npos);
    EXPECT_EQ(result.error().message.find(issued->claims.id), std::string::npos);
    EXPECT_EQ(result.error().message.find("user-1"), std::string::npos);
  }
}

}  // namespace
}  // namespace groundcrew::identity

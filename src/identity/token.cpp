#include "identity/token.hpp"

#include <sodium.h>

#include <algorithm>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cstring>
#include <set>
#include <utility>
#include <variant>

#include "identity/internal/sodium_init.hpp"
#include "identity/random.hpp"
#include "identity/sha256.hpp"

namespace groundcrew::identity {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

constexpr std::string_view kAlgorithm = "EdDSA";
constexpr std::string_view kRingMagic = "GCKR";
constexpr std::uint8_t kRingVersion = 1;
constexpr std::size_t kMaxRingKeys = 1000;
// Bounds that keep time arithmetic far from overflow: year 9999 and a century.
constexpr std::int64_t kMaxUnixSeconds = 253'402'300'799;
constexpr seconds kMaxRetention{std::int64_t{100} * 366 * 24 * 3600};
constexpr std::array<std::string_view, 7> kReservedClaims = {"iss", "sub", "aud", "exp",
                                                             "nbf", "iat", "jti"};

bool IsReservedClaim(std::string_view name) {
  return std::find(kReservedClaims.begin(), kReservedClaims.end(), name) != kReservedClaims.end();
}

// ---- base64url without padding (RFC 7515 §2), strict ----------------------------------------

std::string Base64UrlEncode(std::string_view bytes) {
  constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string text(sodium_base64_encoded_len(bytes.size(), kVariant), '\0');
  sodium_bin2base64(text.data(), text.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), kVariant);
  text.resize(std::strlen(text.c_str()));
  return text;
}

/// Decodes unpadded base64url. nullopt for any other character (padding included), an impossible
/// length, or non-zero leftover bits (so every byte string has exactly one accepted encoding).
std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string bytes(text.size() * 3 / 4 + 3, '\0');
  std::size_t size = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), nullptr, &size, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  bytes.resize(size);
  return bytes;
}

// ---- strict flat JSON objects ----------------------------------------------------------------

using JsonScalar = std::variant<std::string, std::int64_t>;
using FlatObject = std::vector<std::pair<std::string, JsonScalar>>;

/// A Boost.JSON SAX handler that accepts exactly one object whose members are strings or whole
/// numbers that fit int64, with no duplicate member names. Everything else fails; `problem()`
/// says why in words that never quote the input.
class FlatObjectHandler {
 public:
  using error_code = boost::system::error_code;
  using string_view = boost::json::string_view;
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_object_size = 64;
  static constexpr std::size_t max_string_size = kMaxTokenSize;
  static constexpr std::size_t max_key_size = 256;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code& ec) { return Fail(ec, "arrays are not allowed"); }
  bool on_array_end(std::size_t, error_code& ec) { return Fail(ec, "arrays are not allowed"); }
  bool on_object_begin(error_code& ec) {
    if (depth_++ > 0) return Fail(ec, "nested objects are not allowed");
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    --depth_;
    return true;
  }
  bool on_string_part(string_view s, std::size_t, error_code&) {
    value_.append(s.data(), s.size());
    return true;
  }
  bool on_string(string_view s, std::size_t, error_code& ec) {
    value_.append(s.data(), s.size());
    return Add(std::exchange(value_, {}), ec);
  }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code& ec) {
    key_.append(s.data(), s.size());
    if (!names_.insert(key_).second) return Fail(ec, "a member appears twice");
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t i, string_view, error_code& ec) { return Add(i, ec); }
  bool on_uint64(std::uint64_t, string_view, error_code& ec) {
    return Fail(ec, "a number is out of range");
  }
  bool on_double(double, string_view, error_code& ec) {
    return Fail(ec, "numbers must be whole numbers");
  }
  bool on_bool(bool, error_code& ec) { return Fail(ec, "true and false are not allowed"); }
  bool on_null(error_code& ec) { return Fail(ec, "null is not allowed"); }
  bool on_comment_part(string_view, error_code& ec) { return Fail(ec, "comments"); }
  bool on_comment(string_view, error_code& ec) { return Fail(ec, "comments"); }

  FlatObject& members() { return members_; }
  const char* problem() const { return problem_; }

 private:
  bool Add(JsonScalar value, error_code& ec) {
    if (depth_ != 1) return Fail(ec, "not a JSON object");
    members_.emplace_back(std::exchange(key_, {}), std::move(value));
    return true;
  }
  bool Fail(error_code& ec, const char* problem) {
    if (problem_ == nullptr) problem_ = problem;
    ec = boost::json::error::syntax;
    return false;
  }

  int depth_ = 0;
  std::string key_;
  std::string value_;
  std::set<std::string> names_;
  FlatObject members_;
  const char* problem_ = nullptr;
};

/// The members of the one flat JSON object `text` holds, or a reason (never quoting `text`).
Result<FlatObject> ParseFlatObject(std::string_view text) {
  boost::json::basic_parser<FlatObjectHandler> parser(boost::json::parse_options{});
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || used != text.size()) {
    const char* problem = parser.handler().problem();
    return MakeError(ErrorCode::kInvalidArgument,
                     problem != nullptr ? problem : "not a single valid JSON object");
  }
  return std::move(parser.handler().members());
}

// ---- header and claims ------------------------------------------------------------------------

Error Refused(std::string_view why) {
  return MakeError(ErrorCode::kUnauthenticated, "token refused: " + std::string(why), "token");
}

std::string HeaderJson(const std::string& kid) {
  boost::json::object header;
  header["alg"] = kAlgorithm;
  header["kid"] = kid;
  return boost::json::serialize(header);
}

std::string ClaimsJson(const Claims& claims) {
  boost::json::object object;
  object["iss"] = claims.issuer;
  object["sub"] = claims.subject;
  object["aud"] = ToString(claims.audience);
  object["exp"] = claims.expires_at.time_since_epoch().count();
  object["iat"] = claims.issued_at.time_since_epoch().count();
  object["jti"] = claims.id;
  for (const auto& [name, value] : claims.extra) object[name] = value;
  return boost::json::serialize(object);
}

/// Claims from the members of a claims object; a reason naming the claim at fault otherwise.
Result<Claims> ClaimsFrom(FlatObject members) {
  Claims claims;
  bool has_aud = false, has_exp = false, has_iat = false;
  for (auto& [name, value] : members) {
    auto* text = std::get_if<std::string>(&value);
    auto* number = std::get_if<std::int64_t>(&value);
    auto bad = [&name = name](const char* what) {
      return MakeError(ErrorCode::kInvalidArgument, "claim " + name + " " + what, name);
    };
    if (name == "iss" || name == "sub" || name == "jti") {
      if (text == nullptr || text->empty()) return bad("must be a non-empty string");
      std::string* slot = name == "iss"   ? &claims.issuer
                          : name == "sub" ? &claims.subject
                                          : &claims.id;
      *slot = std::move(*text);
    } else if (name == "aud") {
      auto audience = text ? AudienceFromString(*text) : std::nullopt;
      if (!audience) return bad("must be \"device\", \"user\" or \"admin\"");
      claims.audience = *audience;
      has_aud = true;
    } else if (name == "exp" || name == "iat") {
      if (number == nullptr || *number < 0) return bad("must be a whole number of seconds >= 0");
      if (name == "exp") {
        claims.expires_at = sys_seconds(seconds(*number));
        has_exp = true;
      } else {
        claims.issued_at = sys_seconds(seconds(*number));
        has_iat = true;
      }
    } else if (IsReservedClaim(name)) {
      return bad("is not supported");
    } else {
      if (text == nullptr) {
        return MakeError(ErrorCode::kInvalidArgument, "extra claims must be strings", "extra");
      }
      claims.extra.emplace(name, std::move(*text));
    }
  }
  for (auto [present, name] :
       {std::pair{!claims.issuer.empty(), "iss"}, std::pair{!claims.subject.empty(), "sub"},
        std::pair{has_aud, "aud"}, std::pair{has_exp, "exp"}, std::pair{has_iat, "iat"},
        std::pair{!claims.id.empty(), "jti"}}) {
    if (!present) {
      return MakeError(ErrorCode::kInvalidArgument, std::string("claim ") + name + " is missing",
                       name);
    }
  }
  return claims;
}

// ---- keys ------------------------------------------------------------------------------------

std::string KidFor(const std::array<std::uint8_t, kSigningPublicKeySize>& public_key) {
  const Sha256Digest digest = Sha256Of(
      std::string_view(reinterpret_cast<const char*>(public_key.data()), public_key.size()));
  return Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(digest.data()), 16));
}

SigningKey NewSigningKey(sys_seconds now) {
  internal::EnsureSodium();
  SigningKey key;
  std::array<std::uint8_t, kSigningPublicKeySize> public_key;
  crypto_sign_keypair(public_key.data(), key.secret_key.data());
  key.kid = KidFor(public_key);
  key.created_at = now;
  return key;
}

void PutInt64(std::string& out, std::int64_t value) {
  const auto bits = static_cast<std::uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((bits >> shift) & 0xff));
  }
}

/// Reads big-endian fields from a byte string; any read past the end leaves ok() false.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  std::string_view Take(std::size_t n) {
    if (!ok_ || bytes_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    pos_ += n;
    return bytes_.substr(pos_ - n, n);
  }
  std::uint64_t Number(std::size_t n) {
    std::uint64_t value = 0;
    for (char c : Take(n)) value = (value << 8) | static_cast<unsigned char>(c);
    return value;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

const char* ToString(Audience audience) {
  switch (audience) {
    case Audience::kDevice:
      return "device";
    case Audience::kUser:
      return "user";
    case Audience::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::optional<Audience> AudienceFromString(std::string_view text) {
  for (Audience audience : {Audience::kDevice, Audience::kUser, Audience::kAdmin}) {
    if (text == ToString(audience)) return audience;
  }
  return std::nullopt;
}

std::array<std::uint8_t, kSigningPublicKeySize> SigningKey::PublicKey() const {
  std::array<std::uint8_t, kSigningPublicKeySize> public_key;
  crypto_sign_ed25519_sk_to_pk(public_key.data(), secret_key.data());
  return public_key;
}

KeyRing KeyRing::Create(sys_seconds now, seconds retention) {
  KeyRing ring;
  ring.retention_ = std::clamp(retention, seconds(0), kMaxRetention);
  ring.keys_.push_back(NewSigningKey(now));
  return ring;
}

void KeyRing::Rotate(sys_seconds now) {
  keys_.back().retired_at = now;
  keys_.push_back(NewSigningKey(std::max(now, keys_.back().created_at)));
  std::erase_if(keys_, [&](const SigningKey& key) {
    return key.retired_at.has_value() && *key.retired_at + retention_ <= now;
  });
}

const SigningKey* KeyRing::FindVerifier(std::string_view kid, sys_seconds now) const {
  for (const SigningKey& key : keys_) {
    if (key.kid != kid) continue;
    if (key.retired_at.has_value() && *key.retired_at + retention_ <= now) return nullptr;
    return &key;
  }
  return nullptr;
}

std::string KeyRing::Serialize() const {
  std::string out(kRingMagic);
  out.push_back(static_cast<char>(kRingVersion));
  PutInt64(out, retention_.count());
  out.push_back(static_cast<char>((keys_.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(keys_.size() & 0xff));
  for (const SigningKey& key : keys_) {
    PutInt64(out, key.created_at.time_since_epoch().count());
    out.push_back(key.retired_at.has_value() ? 1 : 0);
    PutInt64(out, key.retired_at.value_or(sys_seconds()).time_since_epoch().count());
    out.append(reinterpret_cast<const char*>(key.secret_key.data()), key.secret_key.size());
  }
  return out;
}

Result<KeyRing> KeyRing::Deserialize(std::string_view bytes) {
  internal::EnsureSodium();
  auto bad = [](const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, "key ring: " + why, "key_ring");
  };
  Reader in(bytes);
  if (in.Take(kRingMagic.size()) != kRingMagic) return bad("not a serialized key ring");
  if (in.Number(1) != kRingVersion) return bad("unsupported version");
  KeyRing ring;
  const auto retention = static_cast<std::int64_t>(in.Number(8));
  const std::size_t count = in.Number(2);
  if (!in.ok()) return bad("truncated");
  if (retention < 0 || seconds(retention) > kMaxRetention) return bad("retention out of range");
  if (count == 0 || count > kMaxRingKeys) return bad("must hold 1 to 1000 keys");
  ring.retention_ = seconds(retention);
  for (std::size_t i = 0; i < count; ++i) {
    SigningKey key;
    key.created_at = sys_seconds(seconds(static_cast<std::int64_t>(in.Number(8))));
    const std::uint64_t retired = in.Number(1);
    const auto retired_at = sys_seconds(seconds(static_cast<std::int64_t>(in.Number(8))));
    const std::string_view secret = in.Take(kSigningSecretKeySize);
    if (!in.ok()) return bad("truncated");
    if (retired > 1) return bad("bad retirement flag");
    for (sys_seconds t : {key.created_at, retired_at}) {
      if (t.time_since_epoch().count() < 0 || t.time_since_epoch().count() > kMaxUnixSeconds) {
        return bad("a time is out of range");
      }
    }
    if (retired == 1) key.retired_at = retired_at;
    std::memcpy(key.secret_key.data(), secret.data(), secret.size());
    // The public half must be the one the seed derives (a corrupted key would sign garbage).
    std::array<std::uint8_t, kSigningPublicKeySize> derived;
    std::array<std::uint8_t, kSigningSecretKeySize> scratch;
    crypto_sign_seed_keypair(derived.data(), scratch.data(), key.secret_key.data());
    sodium_memzero(scratch.data(), scratch.size());
    if (derived != key.PublicKey()) return bad("a key's public half does not match its seed");
    key.kid = KidFor(derived);
    const bool newest = i + 1 == count;
    if (key.retired_at.has_value() == newest) {
      return bad("every key but the newest must be retired");
    }
    if (!ring.keys_.empty() && ring.keys_.back().created_at > key.created_at) {
      return bad("keys out of creation order");
    }
    for (const SigningKey& other : ring.keys_) {
      if (other.kid == key.kid) return bad("a key appears twice");
    }
    ring.keys_.push_back(std::move(key));
  }
  if (!in.at_end()) return bad("unexpected bytes after the last key");
  return ring;
}

Result<IssuedToken> Issue(const KeyRing& keyring, Claims claims) {
  internal::EnsureSodium();
  auto bad = [](const char* field, const std::string& why) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(field) + ": " + why, field);
  };
  if (claims.issuer.empty()) return bad("iss", "the issuer must not be empty");
  if (claims.subject.empty()) return bad("sub", "the subject must not be empty");
  if (claims.issued_at.time_since_epoch().count() < 0) {
    return bad("iat", "must not be before 1970");
  }
  if (claims.expires_at <= claims.issued_at) return bad("exp", "must be after iat");
  for (const auto& [name, value] : claims.extra) {
    if (name.empty() || IsReservedClaim(name)) {
      return bad("extra", "extra claim names must be non-empty and not registered claim names");
    }
  }
  if (claims.id.empty()) claims.id = RandomToken(16);

  const SigningKey& key = keyring.Current();
  const std::string payload = ClaimsJson(claims);
  // What Verify will read back must be exactly these claims (this catches text that is not
  // valid UTF-8, which JSON cannot carry).
  auto parsed = ParseFlatObject(payload);
  auto round_trip = parsed ? ClaimsFrom(std::move(*parsed)) : Result<Claims>(parsed.error());
  if (!round_trip || *round_trip != claims) {
    return bad("claims", "every claim must be valid UTF-8 text");
  }
  std::string token = Base64UrlEncode(HeaderJson(key.kid));
  token += '.';
  token += Base64UrlEncode(payload);
  std::array<unsigned char, crypto_sign_BYTES> signature;
  crypto_sign_detached(signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                       key.secret_key.data());
  token += '.';
  token += Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(signature.data()), signature.size()));
  return IssuedToken{std::move(token), std::move(claims)};
}

Result<Claims> Verify(const KeyRing& keyring, std::string_view token, Audience expected_audience,
                      sys_seconds now, const IsRevokedFn& is_revoked) {
  internal::EnsureSodium();
  if (token.size() > kMaxTokenSize) return Refused("malformed (too long)");
  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return Refused("malformed (expected three dot-separated parts)");
  }
  const std::string_view header_part = token.substr(0, first_dot);
  const std::string_view claims_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_part = token.substr(second_dot + 1);

  auto header_json = Base64UrlDecode(header_part);
  if (!header_json) return Refused("malformed (the header is not base64url)");
  auto header = ParseFlatObject(*header_json);
  if (!header) return Refused("malformed header (" + header.error().message + ")");
  const std::string* alg = nullptr;
  const std::string* kid = nullptr;
  for (const auto& [name, value] : *header) {
    const std::string** slot = name == "alg" ? &alg : name == "kid" ? &kid : nullptr;
    if (slot == nullptr) return Refused("malformed header (unknown member)");
    *slot = std::get_if<std::string>(&value);
    if (*slot == nullptr) return Refused("malformed header (alg and kid must be strings)");
  }
  if (alg == nullptr || kid == nullptr) return Refused("malformed header (needs alg and kid)");
  if (*alg != kAlgorithm) return Refused("the signing algorithm is not allowed (only EdDSA)");
  const SigningKey* key = keyring.FindVerifier(*kid, now);
  if (key == nullptr) return Refused("unknown or retired signing key");

  auto signature = Base64UrlDecode(signature_part);
  if (!signature || signature->size() != crypto_sign_BYTES) {
    return Refused("malformed (the signature is not 64 base64url-encoded bytes)");
  }
  const std::string_view signed_part = token.substr(0, second_dot);
  const std::array<std::uint8_t, kSigningPublicKeySize> public_key = key->PublicKey();
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature->data()),
                                  reinterpret_cast<const unsigned char*>(signed_part.data()),
                                  signed_part.size(), public_key.data()) != 0) {
    return Refused("bad signature");
  }

  auto claims_json = Base64UrlDecode(claims_part);
  if (!claims_json) return Refused("malformed (the claims are not base64url)");
  auto members = ParseFlatObject(*claims_json);
  if (!members) return Refused("malformed claims (" + members.error().message + ")");
  auto claims = ClaimsFrom(std::move(*members));
  if (!claims) return Refused("malformed claims (" + claims.error().message + ")");
  if (claims->audience != expected_audience) {
    return Refused(std::string("wrong audience (expected ") + ToString(expected_audience) + ")");
  }
  if (claims->expires_at <= now) return Refused("expired");
  if (claims->issued_at > now + kMaxIssuedAtSkew) return Refused("issued in the future");
  if (is_revoked) {
    Result<bool> revoked = is_revoked(claims->id);
    if (!revoked) return revoked.error();
    if (*revoked) return Refused("revoked");
  }
  return claims;
}

}  // namespace groundcrew::identity

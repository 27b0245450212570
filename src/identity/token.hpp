#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

// Compact signed tokens: JWS compact serialization (RFC 7515) signed with Ed25519 (RFC 8037,
// "alg":"EdDSA"), so standard JWT tools can decode them:
//
//   base64url(header JSON) "." base64url(claims JSON) "." base64url(64-byte signature)
//
// header = {"alg":"EdDSA","kid":"<key id>"}; claims = {"iss","sub","aud","exp","iat","jti", and
// any extra string claims}. base64url is unpadded (RFC 7515 §2). The signature covers the ASCII
// bytes "<header part>.<claims part>". Times are Unix seconds; they are passed in, never read.
//
// Token text is a bearer credential: no function here ever puts it (or any part of it) in an
// error message, and callers must not log it either.
namespace groundcrew::identity {

/// Who a token is for. The audience is checked on every Verify.
enum class Audience { kDevice, kUser, kAdmin };

/// "device", "user", "admin".
const char* ToString(Audience audience);
/// The audience named by `text` ("device", "user", "admin"); nullopt for anything else.
std::optional<Audience> AudienceFromString(std::string_view text);

/// How far in the future `iat` may be before Verify refuses the token (clock skew allowance).
inline constexpr std::chrono::seconds kMaxIssuedAtSkew{60};
/// The longest token text Verify looks at; longer text is refused as malformed.
inline constexpr std::size_t kMaxTokenSize = 8192;
/// How long a superseded signing key still verifies by default (see KeyRing).
inline constexpr std::chrono::seconds kDefaultKeyRetention{std::chrono::hours(48)};

/// What a token says. The registered claim names (iss, sub, aud, exp, nbf, iat, jti) are reserved:
/// `extra` may not use them.
struct Claims {
  std::string issuer;                        ///< iss; non-empty
  std::string subject;                       ///< sub; non-empty
  Audience audience = Audience::kUser;       ///< aud
  std::chrono::sys_seconds expires_at{};     ///< exp; the token is refused when exp <= now
  std::chrono::sys_seconds issued_at{};      ///< iat; >= 0, < exp
  std::string id;                            ///< jti; Issue fills in a random one when empty
  std::map<std::string, std::string> extra;  ///< further string claims, e.g. {"tid", "..."}

  friend bool operator==(const Claims&, const Claims&) = default;
};

inline constexpr std::size_t kSigningSecretKeySize = 64;
inline constexpr std::size_t kSigningPublicKeySize = 32;

/// One Ed25519 signing key. `secret_key` is libsodium's 64-byte form (seed || public key).
/// SECRET: never log it or put it in a message.
struct SigningKey {
  std::string kid;  ///< key id: 22 base64url characters derived from the public key
  std::array<std::uint8_t, kSigningSecretKeySize> secret_key{};
  std::chrono::sys_seconds created_at{};
  /// When a newer key superseded this one; nullopt for the current (newest) key.
  std::optional<std::chrono::sys_seconds> retired_at;

  /// The public half (the last 32 bytes of `secret_key`).
  std::array<std::uint8_t, kSigningPublicKeySize> PublicKey() const;
};

/// The issuer's signing keys, oldest first. The newest key signs; every key still within its
/// retention verifies. Rotation: Rotate(now) adds a fresh key, retires the previous newest one
/// (it keeps verifying for `retention()` after that, so tokens it signed can run out their
/// lifetime) and drops keys retired for longer than the retention. The retention must be at
/// least the longest token lifetime the issuer uses.
class KeyRing {
 public:
  /// A ring with one fresh key created at `now`. `retention` is clamped to [0, 100 years].
  static KeyRing Create(std::chrono::sys_seconds now,
                        std::chrono::seconds retention = kDefaultKeyRetention);

  /// Adds a fresh key created at `now` (it signs from now on), retires the previous newest key
  /// at `now`, and drops every key whose retirement is `retention()` or more before `now`.
  void Rotate(std::chrono::sys_seconds now);

  /// The key that signs: the newest. Never null (a ring always holds at least one key).
  const SigningKey& Current() const { return keys_.back(); }

  /// The key named `kid` if it may verify at `now` (current, or retired less than retention()
  /// ago); null otherwise.
  const SigningKey* FindVerifier(std::string_view kid, std::chrono::sys_seconds now) const;

  const std::vector<SigningKey>& keys() const { return keys_; }
  std::chrono::seconds retention() const { return retention_; }

  /// The whole ring as bytes for storage (binary, versioned: "GCKR", version 1, retention, the
  /// keys). SECRET MATERIAL: the bytes contain every private key; store them only where the
  /// service's other secrets live (file mode 0600 or an encrypted column) and never log them.
  std::string Serialize() const;

  /// Reads what Serialize() wrote. Refuses (kInvalidArgument, field "key_ring") anything else:
  /// wrong magic or version, truncation, trailing bytes, no keys, a secret key whose public half
  /// does not match its seed, duplicate key ids, keys out of creation order, or a retirement
  /// state other than "all retired but the newest". Messages never contain key material.
  static Result<KeyRing> Deserialize(std::string_view bytes);

 private:
  KeyRing() = default;

  std::vector<SigningKey> keys_;  // oldest first; never empty
  std::chrono::seconds retention_{kDefaultKeyRetention};
};

/// A token and the claims it carries (with the id Issue chose).
struct IssuedToken {
  std::string token;  ///< bearer credential: never log it
  Claims claims;
};

/// Signs `claims` with keyring.Current(). When claims.id is empty, a fresh random id (128 bits,
/// base64url) is used. Refuses (kInvalidArgument, `field` naming the claim: "iss", "sub", "exp",
/// "iat", "jti" or "extra") an empty issuer or subject, iat < 0, exp <= iat, or an extra claim
/// with an empty or reserved name.
Result<IssuedToken> Issue(const KeyRing& keyring, Claims claims);

/// Answers whether the token id `jti` has been revoked. An error is passed through by Verify
/// unchanged (e.g. kUnavailable when the revocation list cannot be read).
using IsRevokedFn = std::function<Result<bool>(const std::string& jti)>;

/// Checks `token` and returns its claims. Refuses with kUnauthenticated (field "token"; the
/// message says why but never contains the token or any part of it):
///   - malformed: too long, not three unpadded base64url parts, header or claims not a strict
///     JSON object (duplicate members, unknown header members, missing or mistyped claims,
///     non-string extra claims), a signature that is not 64 bytes;
///   - an algorithm other than "EdDSA" (in particular "none" and "HS256");
///   - a key id the ring does not hold or no longer verifies with at `now`;
///   - a bad signature;
///   - an audience other than `expected_audience`;
///   - expired: exp <= now;
///   - issued in the future: iat > now + kMaxIssuedAtSkew;
///   - revoked: `is_revoked(jti)` is true (not consulted when null, nor before every other check
///     passed).
Result<Claims> Verify(const KeyRing& keyring, std::string_view token, Audience expected_audience,
                      std::chrono::sys_seconds now, const IsRevokedFn& is_revoked);

}  // namespace groundcrew::identity

#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1, T0 = 0, and the
// pieces of authenticator-app enrollment (RFC 4648 base32, otpauth:// URIs). Pure functions:
// the caller passes the time. Secrets and codes never appear in error messages.
namespace groundcrew::identity {

inline constexpr int kTotpDigits = 6;
inline constexpr std::chrono::seconds kTotpStep{30};
/// The secret length NewTotpSecret makes (RFC 4226 recommends 160 bits).
inline constexpr std::size_t kTotpSecretBytes = 20;
/// The shortest secret accepted (RFC 4226 §4 R6: at least 128 bits).
inline constexpr std::size_t kMinTotpSecretBytes = 16;
/// last_accepted_step for an enrollment that never had a code accepted.
inline constexpr std::int64_t kNoTotpStepAccepted = -1;

/// The TOTP code for `secret` (raw bytes) at `time`: HOTP(secret, floor(time / step)) as exactly
/// `digits` decimal digits (with leading zeros). Errors: kInvalidArgument when the secret is
/// shorter than kMinTotpSecretBytes (field "secret"), digits is outside 1..9 ("digits"), step is
/// not positive ("step") or time is before 1970 ("time"); kInternal when OpenSSL fails.
Result<std::string> GenerateTotp(std::string_view secret, std::chrono::sys_seconds time,
                                 int digits = kTotpDigits, std::chrono::seconds step = kTotpStep);

/// Checks a 6-digit, 30-second code typed at `now`, allowing one step of clock drift either way,
/// and returns the time step it matched. The caller stores that step and passes it as
/// `last_accepted_step` next time: a code for that step or an earlier one is refused, so each
/// code is accepted at most once (and never an older one after a newer). Codes are compared in
/// constant time and every candidate step is always computed.
/// Errors: kInvalidArgument (field "code") unless the code is exactly 6 ASCII digits, or (field
/// "secret") for a secret GenerateTotp refuses; kUnauthenticated (field "code") when the code is
/// wrong or was already used; kInternal when OpenSSL fails.
Result<std::int64_t> VerifyTotp(std::string_view secret, std::string_view code,
                                std::chrono::sys_seconds now, std::int64_t last_accepted_step);

/// kTotpSecretBytes random bytes from the operating system's CSPRNG.
std::string NewTotpSecret();

/// RFC 4648 §6 base32 (upper case), without '=' padding, as authenticator apps expect.
std::string Base32Encode(std::string_view bytes);

/// Decodes base32 as people and apps write it: case-insensitive; spaces anywhere and '=' padding
/// at the end are ignored. Errors (kInvalidArgument, field "base32"; the message names the
/// 0-based position but never the text): a character outside the alphabet, '=' followed by data,
/// a length no encoder produces, or non-zero bits left over in the last character.
Result<std::string> Base32Decode(std::string_view text);

/// The enrollment URI authenticator apps read (Google's Key Uri Format):
///   otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30
/// Issuer and account are percent-encoded (RFC 3986: everything but unreserved characters), in
/// the label and in the issuer parameter. The URI contains the secret: treat it as one.
/// Errors: kInvalidArgument when issuer or account is empty or contains ':' (field "issuer" or
/// "account"), or the secret is shorter than kMinTotpSecretBytes ("secret").
Result<std::string> OtpauthUri(std::string_view issuer, std::string_view account,
                               std::string_view secret);

}  // namespace groundcrew::identity

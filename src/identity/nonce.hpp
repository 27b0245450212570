#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.hpp"

// Stateless device-proof nonces: a nonce carries its expiry, 16 random bytes and an HMAC
// (libsodium crypto_auth, HMAC-SHA-512-256) over them and the serial number it was issued for,
// under a service key. Checking one needs the key, not a stored row; single use is the caller's
// (record a nonce when a proof consumes it, until it expires).
namespace groundcrew::identity {

/// The size of a nonce key in bytes.
inline constexpr size_t kNonceKeyBytes = 32;

/// A fresh random nonce key. SECRET: store it with the service's other secrets (mode 0600).
std::string NewNonceKey();

/// A nonce for `serial_number` (compared case-insensitively for ASCII letters) valid until
/// `expires`: base64url without padding, 75 characters. REQUIRES: key.size() == kNonceKeyBytes.
std::string IssueNonce(std::string_view key, std::string_view serial_number,
                       std::chrono::sys_seconds expires);

/// The expiry of `nonce` when this key issued it for `serial_number` and it is still valid at
/// `now` (now < expiry). kUnauthenticated, field "nonce", otherwise: malformed, not issued by
/// this key, issued for another serial number, or expired. Constant time in the MAC comparison.
Result<std::chrono::sys_seconds> CheckNonce(std::string_view key, std::string_view nonce,
                                            std::string_view serial_number,
                                            std::chrono::sys_seconds now);

}  // namespace groundcrew::identity

#pragma once

#include <string>
#include <string_view>

// Unpredictable values from the operating system's CSPRNG (libsodium's randombytes).
namespace groundcrew::identity {

/// `bytes` random bytes as unpadded base64url (URL- and header-safe).
std::string RandomToken(std::size_t bytes = 32);

/// Whether a presented secret equals the expected one, compared in time independent of where
/// they differ (only the length can be learned).
bool SameSecret(std::string_view presented, std::string_view expected);

/// A random RFC 9562 version 4 UUID, lower-case: "0f8e...-4...-[89ab]...-...".
std::string RandomUuid();

/// `bytes` random bytes as lower-case hex digits (keys an operator keeps in a file).
std::string RandomHex(std::size_t bytes);

}  // namespace groundcrew::identity

#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "identity/device_key.hpp"

// Secrets sealed for storage on the device (XSalsa20-Poly1305, libsodium's crypto_secretbox),
// under a key only the holder of the device key can compute: a copy of a file that holds
// sealed values (a backup, a diagnostics archive) reveals none of them.
namespace groundcrew::identity {

/// A 256-bit symmetric key. SECRET.
using SealingKey = std::array<std::uint8_t, 32>;

/// The device's sealing key for `purpose` (e.g. "journal"): the SHA-256 of the device key's
/// Ed25519 signature of "groundcrew sealing key v1: <purpose>". Ed25519 signatures are
/// deterministic, so the same device key always gives the same sealing key, without this code
/// ever reading the private key. Errors: the key store's.
[[nodiscard]] Result<SealingKey> DeriveSealingKey(DeviceKeyStore& device_key,
                                                  std::string_view purpose);

/// `plaintext` sealed under `key` with a fresh random nonce: base64 of nonce || ciphertext.
std::string Seal(const SealingKey& key, std::string_view plaintext);

/// The plaintext of Seal's output. kInvalidArgument (field "sealed") when `sealed` is not
/// base64, is too short, or does not authenticate under `key` (another key, or altered).
[[nodiscard]] Result<std::string> Unseal(const SealingKey& key, std::string_view sealed);

}  // namespace groundcrew::identity

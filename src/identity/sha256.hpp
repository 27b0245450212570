#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

// SHA-256 (FIPS 180-4), one-shot and streaming; digests are shown as lower-case hex.
namespace groundcrew::identity {

using Sha256Digest = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  void Update(std::string_view bytes);
  /// The digest of everything Update() was given. Call once.
  Sha256Digest Finish();

 private:
  alignas(16) std::array<unsigned char, 128> state_;  // crypto_hash_sha256_state
};

Sha256Digest Sha256Of(std::string_view bytes);

/// 64 lower-case hex digits.
std::string ToHex(const Sha256Digest& digest);
std::string Sha256Hex(std::string_view bytes);

/// True for exactly 64 lower-case hex digits.
bool IsSha256Hex(std::string_view text);

}  // namespace groundcrew::identity

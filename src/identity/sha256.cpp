#include "identity/sha256.hpp"

#include <sodium.h>

#include <cstring>

namespace groundcrew::identity {

static_assert(sizeof(crypto_hash_sha256_state) <= 128);

namespace {
crypto_hash_sha256_state* StateOf(std::array<unsigned char, 128>& bytes) {
  return reinterpret_cast<crypto_hash_sha256_state*>(bytes.data());
}
}  // namespace

Sha256::Sha256() { crypto_hash_sha256_init(StateOf(state_)); }

void Sha256::Update(std::string_view bytes) {
  crypto_hash_sha256_update(StateOf(state_), reinterpret_cast<const unsigned char*>(bytes.data()),
                            bytes.size());
}

Sha256Digest Sha256::Finish() {
  Sha256Digest digest;
  crypto_hash_sha256_final(StateOf(state_), digest.data());
  return digest;
}

Sha256Digest Sha256Of(std::string_view bytes) {
  Sha256 hash;
  hash.Update(bytes);
  return hash.Finish();
}

std::string ToHex(const Sha256Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(64);
  for (std::uint8_t byte : digest) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 15]);
  }
  return hex;
}

std::string Sha256Hex(std::string_view bytes) { return ToHex(Sha256Of(bytes)); }

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace groundcrew::identity

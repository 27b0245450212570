#include "identity/random.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace groundcrew::identity {
namespace {

void EnsureInitialized() {
  // sodium_init is idempotent and thread-safe; it fails only when no entropy source exists.
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium could not be initialized");
}

}  // namespace

std::string RandomToken(std::size_t bytes) {
  EnsureInitialized();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string text(sodium_base64_encoded_len(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                   '\0');
  sodium_bin2base64(text.data(), text.size(), raw.data(), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  text.resize(text.find('\0'));
  return text;
}

bool SameSecret(std::string_view presented, std::string_view expected) {
  EnsureInitialized();
  if (presented.size() != expected.size()) return false;
  return sodium_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

std::string RandomHex(std::size_t bytes) {
  EnsureInitialized();
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string text(bytes * 2 + 1, '\0');
  sodium_bin2hex(text.data(), text.size(), raw.data(), raw.size());
  text.pop_back();
  sodium_memzero(raw.data(), raw.size());
  return text;
}

std::string RandomUuid() {
  EnsureInitialized();
  std::array<std::uint8_t, 16> b;
  randombytes_buf(b.data(), b.size());
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 9562 variant
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kDigits[b[i] >> 4]);
    text.push_back(kDigits[b[i] & 15]);
  }
  return text;
}

}  // namespace groundcrew::identity

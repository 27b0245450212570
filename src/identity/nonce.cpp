#include "identity/nonce.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>

#include "identity/internal/sodium_init.hpp"

namespace groundcrew::identity {
namespace {

static_assert(kNonceKeyBytes == crypto_auth_KEYBYTES);
constexpr size_t kRandomBytes = 16;
constexpr size_t kExpiryBytes = 8;
constexpr size_t kNonceBytes = kExpiryBytes + kRandomBytes + crypto_auth_BYTES;
constexpr std::string_view kDomain = "groundcrew device nonce v1";

// The MAC over the domain, expiry and random bytes (the nonce's first 24 bytes) and the serial
// number in lower case.
std::array<unsigned char, crypto_auth_BYTES> Tag(std::string_view key, const unsigned char* head,
                                                 std::string_view serial_number) {
  crypto_auth_hmacsha512256_state state;
  crypto_auth_hmacsha512256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                                 key.size());
  crypto_auth_hmacsha512256_update(&state, reinterpret_cast<const unsigned char*>(kDomain.data()),
                                   kDomain.size());
  crypto_auth_hmacsha512256_update(&state, head, kExpiryBytes + kRandomBytes);
  std::string lower(serial_number);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  crypto_auth_hmacsha512256_update(&state, reinterpret_cast<const unsigned char*>(lower.data()),
                                   lower.size());
  std::array<unsigned char, crypto_auth_BYTES> tag{};
  crypto_auth_hmacsha512256_final(&state, tag.data());
  return tag;
}

Error BadNonce() {
  return MakeError(ErrorCode::kUnauthenticated,
                   "the nonce is unknown, expired, already used or issued for another serial "
                   "number; ask for a new one",
                   "nonce");
}

}  // namespace

std::string NewNonceKey() {
  internal::EnsureSodium();
  std::string key(kNonceKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

std::string IssueNonce(std::string_view key, std::string_view serial_number,
                       std::chrono::sys_seconds expires) {
  internal::EnsureSodium();
  std::array<unsigned char, kNonceBytes> raw{};
  const auto seconds = static_cast<uint64_t>(expires.time_since_epoch().count());
  for (size_t i = 0; i < kExpiryBytes; ++i) {
    raw[i] = static_cast<unsigned char>(seconds >> (8 * (kExpiryBytes - 1 - i)));
  }
  randombytes_buf(raw.data() + kExpiryBytes, kRandomBytes);
  const auto tag = Tag(key, raw.data(), serial_number);
  std::copy(tag.begin(), tag.end(), raw.begin() + kExpiryBytes + kRandomBytes);
  std::string text(sodium_base64_encoded_len(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                   '\0');
  sodium_bin2base64(text.data(), text.size(), raw.data(), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  text.resize(text.find('\0'));
  return text;
}

Result<std::chrono::sys_seconds> CheckNonce(std::string_view key, std::string_view nonce,
                                            std::string_view serial_number,
                                            std::chrono::sys_seconds now) {
  internal::EnsureSodium();
  std::array<unsigned char, kNonceBytes> raw{};
  size_t length = 0;
  const char* end = nullptr;
  if (nonce.size() > 2 * kNonceBytes ||
      sodium_base642bin(raw.data(), raw.size(), nonce.data(), nonce.size(), nullptr, &length, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      length != kNonceBytes || end != nonce.data() + nonce.size()) {
    return BadNonce();
  }
  const auto tag = Tag(key, raw.data(), serial_number);
  if (sodium_memcmp(tag.data(), raw.data() + kExpiryBytes + kRandomBytes, tag.size()) != 0) {
    return BadNonce();
  }
  uint64_t seconds = 0;
  for (size_t i = 0; i < kExpiryBytes; ++i) seconds = (seconds << 8) | raw[i];
  const std::chrono::sys_seconds expires{std::chrono::seconds(static_cast<int64_t>(seconds))};
  if (now >= expires) return BadNonce();
  return expires;
}

}  // namespace groundcrew::identity

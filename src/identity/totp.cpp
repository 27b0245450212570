#include "identity/totp.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace groundcrew::identity {
namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

using Sha1Mac = std::array<unsigned char, 20>;

Error SecretTooShort() {
  return MakeError(
      ErrorCode::kInvalidArgument,
      "the TOTP secret must be at least " + std::to_string(kMinTotpSecretBytes) + " bytes long",
      "secret");
}

// HMAC-SHA-1(key, message) with OpenSSL 3's EVP_MAC.
Result<Sha1Mac> HmacSha1(std::string_view key, const std::array<unsigned char, 8>& message) {
  // An EVP_MAC is an immutable, reference-counted algorithm handle; sharing it is thread-safe.
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (mac == nullptr) return MakeError(ErrorCode::kInternal, "OpenSSL has no HMAC");
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_new(mac),
                                                                &EVP_MAC_CTX_free);
  char digest[] = "SHA1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  Sha1Mac out{};
  std::size_t out_size = 0;
  if (ctx == nullptr ||
      EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1 ||
      EVP_MAC_update(ctx.get(), message.data(), message.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &out_size, out.size()) != 1 || out_size != out.size()) {
    return MakeError(ErrorCode::kInternal, "OpenSSL could not compute HMAC-SHA-1");
  }
  return out;
}

// RFC 4226 §5.3: HOTP(secret, counter) as `digits` decimal digits.
// REQUIRES: 1 <= digits <= 9.
Result<std::string> Hotp(std::string_view secret, std::uint64_t counter, int digits) {
  std::array<unsigned char, 8> message;
  for (int i = 7; i >= 0; --i, counter >>= 8) message[i] = static_cast<unsigned char>(counter);
  Result<Sha1Mac> mac = HmacSha1(secret, message);
  if (!mac) return mac.error();
  const Sha1Mac& h = *mac;
  const int offset = h[19] & 0x0f;
  const std::uint32_t binary = (static_cast<std::uint32_t>(h[offset] & 0x7f) << 24) |
                               (static_cast<std::uint32_t>(h[offset + 1]) << 16) |
                               (static_cast<std::uint32_t>(h[offset + 2]) << 8) |
                               static_cast<std::uint32_t>(h[offset + 3]);
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::uint32_t value = binary % modulus;
  std::string code(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, value /= 10) code[i] = static_cast<char>('0' + value % 10);
  return code;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    if (IsUnreserved(c)) {
      out.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += {'%', kHex[byte >> 4], kHex[byte & 15]};
    }
  }
  return out;
}

}  // namespace

Result<std::string> GenerateTotp(std::string_view secret, std::chrono::sys_seconds time, int digits,
                                 std::chrono::seconds step) {
  if (secret.size() < kMinTotpSecretBytes) return SecretTooShort();
  if (digits < 1 || digits > 9) {
    return MakeError(ErrorCode::kInvalidArgument, "must be between 1 and 9", "digits");
  }
  if (step <= std::chrono::seconds::zero()) {
    return MakeError(ErrorCode::kInvalidArgument, "must be a positive duration", "step");
  }
  const std::int64_t seconds = time.time_since_epoch().count();
  if (seconds < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "must not be before 1970", "time");
  }
  return Hotp(secret, static_cast<std::uint64_t>(seconds / step.count()), digits);
}

Result<std::int64_t> VerifyTotp(std::string_view secret, std::string_view code,
                                std::chrono::sys_seconds now, std::int64_t last_accepted_step) {
  if (code.size() != static_cast<std::size_t>(kTotpDigits) ||
      code.find_first_not_of("0123456789") != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the code must be exactly " + std::to_string(kTotpDigits) + " digits", "code");
  }
  if (secret.size() < kMinTotpSecretBytes) return SecretTooShort();
  const std::int64_t seconds = now.time_since_epoch().count();
  const std::int64_t current = seconds < 0 ? -1 : seconds / kTotpStep.count();
  bool matched = false;
  std::int64_t accepted = kNoTotpStepAccepted;
  for (std::int64_t step = current - 1; step <= current + 1; ++step) {
    if (step < 0) continue;
    Result<std::string> expected = Hotp(secret, static_cast<std::uint64_t>(step), kTotpDigits);
    if (!expected) return expected.error();
    const bool same = CRYPTO_memcmp(expected->data(), code.data(), code.size()) == 0;
    sodium_memzero(expected->data(), expected->size());
    matched = matched || same;
    if (same && step > last_accepted_step) accepted = step;
  }
  if (accepted != kNoTotpStepAccepted) return accepted;
  if (matched) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "this code has already been used; wait for the next one", "code");
  }
  return MakeError(ErrorCode::kUnauthenticated, "the code is not valid", "code");
}

std::string NewTotpSecret() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium could not be initialized");
  std::string secret(kTotpSecretBytes, '\0');
  randombytes_buf(secret.data(), secret.size());
  return secret;
}

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(buffer >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Result<std::string> Base32Decode(std::string_view text) {
  const auto error = [](std::size_t position, std::string reason) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "character " + std::to_string(position) + ": " + std::move(reason), "base32");
  };
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t symbols = 0;
  bool padding = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    if (padding) return error(i, "data after '=' padding");
    const char upper = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    const std::size_t value = kBase32Alphabet.find(upper);
    if (value == std::string_view::npos) {
      return error(i, "not a base32 character (A-Z, 2-7)");
    }
    buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
    bits += 5;
    ++symbols;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  const std::size_t remainder = symbols % 8;
  if (remainder == 1 || remainder == 3 || remainder == 6) {
    return error(text.size(), "the text ends in the middle of a byte");
  }
  if ((buffer & ((1u << bits) - 1)) != 0) {
    return error(text.size(), "the last character has bits that no encoder sets");
  }
  return out;
}

Result<std::string> OtpauthUri(std::string_view issuer, std::string_view account,
                               std::string_view secret) {
  if (issuer.empty() || issuer.find(':') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "must be non-empty and contain no ':'", "issuer");
  }
  if (account.empty() || account.find(':') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "must be non-empty and contain no ':'",
                     "account");
  }
  if (secret.size() < kMinTotpSecretBytes) return SecretTooShort();
  const std::string encoded_issuer = PercentEncode(issuer);
  return "otpauth://totp/" + encoded_issuer + ":" + PercentEncode(account) +
         "?secret=" + Base32Encode(secret) + "&issuer=" + encoded_issuer +
         "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) +
         "&period=" + std::to_string(kTotpStep.count());
}

}  // namespace groundcrew::identity

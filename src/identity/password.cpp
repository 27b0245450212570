#include "identity/password.hpp"

#include <sodium.h>

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "common/text.hpp"

namespace groundcrew::identity {

static_assert(kInteractivePasswordCost.opslimit == crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE);
static_assert(kInteractivePasswordCost.memlimit == crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE);
static_assert(kMinimumPasswordCost.opslimit == crypto_pwhash_argon2id_OPSLIMIT_MIN);
static_assert(kMinimumPasswordCost.memlimit == crypto_pwhash_argon2id_MEMLIMIT_MIN);

namespace {

void EnsureSodium() {
  // sodium_init is idempotent and thread-safe; it fails only when no entropy source exists.
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium could not be initialized");
}

// An argon2id hash at kDefaultPasswordCost of 32 random bytes that were thrown away.
constexpr std::string_view kDummyHash =
    "$argon2id$v=19$m=65536,t=2,p=1$N5HxPv2Ld+Z9Co9y86uCWA$"
    "X3f8DhEpY7GFON8J92oRugTzkkmz4UqkJ2a/QMS1L6Y";

// The most common passwords of at least 12 characters (lower case; compared case-insensitively).
constexpr std::array<std::string_view, 20> kCommonPasswords = {
    "123456789012",  "1234567890123", "123123123123", "password1234", "password12345",
    "password123!",  "passw0rd1234",  "p@ssw0rd1234", "qwerty123456", "qwertyuiop12",
    "qwertyuiop123", "1q2w3e4r5t6y",  "1qaz2wsx3edc", "abc123456789", "abcdefghijkl",
    "iloveyou1234",  "welcome12345",  "letmein12345", "changeme1234", "administrator",
};

bool CostInRange(PasswordHashCost cost) {
  return cost.opslimit >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
         cost.opslimit <= crypto_pwhash_argon2id_OPSLIMIT_MAX &&
         cost.memlimit >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
         cost.memlimit <= crypto_pwhash_argon2id_MEMLIMIT_MAX;
}

// The number of code points in `text`, or nullopt when it is not valid UTF-8 (overlong forms,
// surrogates and values above U+10FFFF are invalid).
std::optional<std::size_t> CountCodePoints(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++count) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length;
    char32_t value;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xe0) == 0xc0) {
      length = 2;
      value = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3;
      value = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4;
      value = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (text.size() - i < length) return std::nullopt;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return std::nullopt;
      value = (value << 6) | (next & 0x3f);
    }
    static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < kSmallest[length] || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) {
      return std::nullopt;
    }
    i += length;
  }
  return count;
}

// REQUIRES: `text` is valid, non-empty UTF-8.
bool IsOneCharacterRepeated(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text.front());
  const std::size_t length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
  const std::string_view first = text.substr(0, length);
  for (std::size_t i = length; i < text.size(); i += length) {
    if (text.substr(i, length) != first) return false;
  }
  return true;
}

Status PolicyError(std::string reason) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(reason), "password");
}

}  // namespace

Result<std::string> HashPassword(std::string_view password, PasswordHashCost cost) {
  if (!CostInRange(cost)) {
    return MakeError(ErrorCode::kInvalidArgument, "the argon2id cost is outside libsodium's limits",
                     "cost");
  }
  EnsureSodium();
  std::array<char, crypto_pwhash_argon2id_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), cost.opslimit,
                            cost.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return MakeError(ErrorCode::kInternal, "argon2id could not allocate its memory");
  }
  return std::string(out.data());
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  // libsodium wants a NUL-terminated hash that fits its buffer; anything longer is malformed.
  if (hash.size() >= crypto_pwhash_argon2id_STRBYTES) return false;
  EnsureSodium();
  std::array<char, crypto_pwhash_argon2id_STRBYTES> terminated{};
  hash.copy(terminated.data(), hash.size());
  if (hash.find('\0') != std::string_view::npos) return false;
  return crypto_pwhash_argon2id_str_verify(terminated.data(), password.data(), password.size()) ==
         0;
}

bool NeedsRehash(std::string_view hash, PasswordHashCost cost) {
  if (hash.size() >= crypto_pwhash_argon2id_STRBYTES) return true;
  if (hash.find('\0') != std::string_view::npos) return true;
  EnsureSodium();
  std::array<char, crypto_pwhash_argon2id_STRBYTES> terminated{};
  hash.copy(terminated.data(), hash.size());
  // 0: matches; 1: different parameters; -1: not an argon2id hash.
  return crypto_pwhash_argon2id_str_needs_rehash(terminated.data(), cost.opslimit, cost.memlimit) !=
         0;
}

bool DummyVerifyPassword(std::string_view password, PasswordHashCost cost) {
  if (cost == kDefaultPasswordCost) {
    (void)VerifyPassword(kDummyHash, password);
    return false;
  }
  static std::mutex mutex;
  static std::map<std::pair<std::uint64_t, std::size_t>, std::string> hashes;
  std::string hash;
  {
    std::lock_guard lock(mutex);
    auto& cached = hashes[{cost.opslimit, cost.memlimit}];
    if (cached.empty()) {
      EnsureSodium();
      std::array<unsigned char, 32> random_password;
      randombytes_buf(random_password.data(), random_password.size());
      auto made =
          HashPassword(std::string_view(reinterpret_cast<const char*>(random_password.data()),
                                        random_password.size()),
                       cost);
      sodium_memzero(random_password.data(), random_password.size());
      // An out-of-range cost cannot be hashed; fall back to the default's work.
      cached = made ? *made : std::string(kDummyHash);
    }
    hash = cached;
  }
  (void)VerifyPassword(hash, password);
  return false;
}

std::string_view DummyPasswordHash() { return kDummyHash; }

Status CheckPasswordPolicy(std::string_view password, std::string_view user_principal_name) {
  const std::optional<std::size_t> chars = CountCodePoints(password);
  if (!chars) return PolicyError("password must be valid UTF-8 text");
  if (*chars < kMinPasswordChars) {
    return PolicyError("password must be at least " + std::to_string(kMinPasswordChars) +
                       " characters long");
  }
  if (password.size() > kMaxPasswordBytes) {
    return PolicyError("password must be at most " + std::to_string(kMaxPasswordBytes) +
                       " bytes long");
  }
  if (IsOneCharacterRepeated(password)) {
    return PolicyError("password must not be a single character repeated");
  }
  const std::string_view user_name = user_principal_name.substr(0, user_principal_name.find('@'));
  if (CountCodePoints(user_name).value_or(user_name.size()) >= 3 &&
      text::ContainsIgnoreCase(password, user_name)) {
    return PolicyError("password must not contain the user name");
  }
  const std::string folded = text::ToLowerAscii(password);
  for (std::string_view common : kCommonPasswords) {
    if (folded == common) return PolicyError("password is too common; choose another one");
  }
  return Ok{};
}

}  // namespace groundcrew::identity

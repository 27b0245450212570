#include "server/service/stored_secrets.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>

#include "common/durable_file.hpp"
#include "identity/nonce.hpp"
#include "identity/random.hpp"

namespace groundcrew::service {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kKeyRing = "token-keys";
constexpr std::string_view kCa = "ca";
constexpr std::string_view kNonceKey = "nonce-key";
constexpr std::string_view kKeyField = "secretsKeyFile";

// A sealed value carries its own name: "<name>\n<bytes>" is what is sealed.
std::string SealNamed(const identity::SealingKey& key, std::string_view name,
                      std::string_view bytes) {
  std::string named(name);
  named += '\n';
  named += bytes;
  return identity::Seal(key, named);
}

Result<std::string> UnsealNamed(const identity::SealingKey& key, std::string_view name,
                                std::string_view sealed) {
  Result<std::string> named = identity::Unseal(key, sealed);
  if (!named) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("the stored secret \"{}\" does not open with this secrets key: "
                                 "is secretsKeyFile the key of this installation?",
                                 name),
                     std::string(kKeyField));
  }
  if (named->size() <= name.size() || std::string_view(*named).substr(0, name.size()) != name ||
      (*named)[name.size()] != '\n') {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("the stored secret \"{}\" was sealed under another name", name),
                     std::string(kKeyField));
  }
  return named->substr(name.size() + 1);
}

struct Opened {
  std::string bytes;
  int64_t version = 0;
};

// The opened value of `name`, nullopt when there is none.
Result<std::optional<Opened>> Open(store::SealedValueStore& values, const identity::SealingKey& key,
                                   std::string_view name) {
  Result<std::optional<store::Versioned<std::string>>> stored = values.Get(name);
  if (!stored) return stored.error();
  if (!*stored) return std::optional<Opened>();
  Result<std::string> bytes = UnsealNamed(key, name, (*stored)->value);
  if (!bytes) return bytes.error();
  return std::optional<Opened>(Opened{std::move(*bytes), (*stored)->version});
}

// The value of `name`, created from `make()` when there is none. Two instances creating it at
// once: the loser reads the winner's.
template <class Make>
Result<Opened> OpenOrCreate(store::SealedValueStore& values, const identity::SealingKey& key,
                            std::string_view name, Make make) {
  Result<std::optional<Opened>> stored = Open(values, key, name);
  if (!stored) return stored.error();
  if (*stored) return std::move(**stored);
  Result<std::string> fresh = make();
  if (!fresh) return fresh.error();
  Result<int64_t> created = values.Put(name, SealNamed(key, name, *fresh), 0);
  if (created) return Opened{std::move(*fresh), *created};
  if (created.error().code != ErrorCode::kAlreadyExists) return created.error();
  stored = Open(values, key, name);
  if (!stored) return stored.error();
  if (!*stored) return MakeError(ErrorCode::kUnavailable, fmt::format("{} vanished", name));
  return std::move(**stored);
}

Error Damaged(std::string_view name, const Error& why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("the stored secret \"{}\" is damaged: {}", name, why.message),
                   std::string(name));
}

// The CA as one value: certificate PEM, then private key PEM.
Result<std::string> CaBytes(const identity::CertificateAuthority& ca) {
  Result<identity::CertificateAndKey> pem = ca.ToPem();
  if (!pem) return pem.error();
  return pem->certificate_pem + pem->private_key_pem;
}

Result<identity::CertificateAuthority> ParseCa(std::string_view bytes) {
  const size_t key_start = bytes.find("-----BEGIN PRIVATE KEY-----");
  if (key_start == std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "no private key");
  }
  return identity::CertificateAuthority::FromPem(bytes.substr(0, key_start),
                                                 bytes.substr(key_start));
}

}  // namespace

Result<identity::SealingKey> ReadSecretsKey(const fs::path& file) {
  const std::string field(kKeyField);
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("the secrets key file {} does not exist (groundcrew migrate "
                                 "creates one; docs/scale-out.md)",
                                 file.string()),
                     field);
  }
  if (!S_ISREG(info.st_mode) || info.st_uid != ::geteuid() || (info.st_mode & 077) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("{} must be a regular file owned by this user with mode 0600 "
                                 "(it holds the key of the service's secrets)",
                                 file.string()),
                     field);
  }
  Result<std::string> text = durable::ReadWholeFile(file);
  if (!text) return text.error();
  std::string_view hex = *text;
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) {
    hex.remove_suffix(1);
  }
  identity::SealingKey key{};
  const auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bool valid = hex.size() == key.size() * 2;
  for (size_t i = 0; valid && i < key.size(); ++i) {
    const int high = digit(hex[2 * i]);
    const int low = digit(hex[2 * i + 1]);
    valid = high >= 0 && low >= 0;
    if (valid) key[i] = static_cast<uint8_t>(high << 4 | low);
  }
  if (!valid) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{} must hold 64 hex digits (a 256-bit key)", file.string()),
                     field);
  }
  return key;
}

Status CreateSecretsKey(const fs::path& file) {
  if (fs::exists(file)) {
    return MakeError(ErrorCode::kAlreadyExists,
                     fmt::format("{} exists: it is not replaced", file.string()),
                     std::string(kKeyField));
  }
  return durable::WriteFileAtomically(file, identity::RandomHex(32) + "\n", 0600);
}

Status StoredKeyRing::Save(const identity::KeyRing& keys) {
  std::lock_guard lock(mutex_);
  Result<int64_t> saved =
      values_.Put(kKeyRing, SealNamed(key_, kKeyRing, keys.Serialize()), version_);
  if (!saved) return saved.error();
  version_ = *saved;
  return Ok{};
}

Result<std::optional<identity::KeyRing>> StoredKeyRing::Reload() {
  std::lock_guard lock(mutex_);
  Result<std::optional<Opened>> stored = Open(values_, key_, kKeyRing);
  if (!stored) return stored.error();
  if (!*stored || (*stored)->version == version_) return std::optional<identity::KeyRing>();
  Result<identity::KeyRing> keys = identity::KeyRing::Deserialize((*stored)->bytes);
  if (!keys) return Damaged(kKeyRing, keys.error());
  version_ = (*stored)->version;
  return std::optional<identity::KeyRing>(std::move(*keys));
}

void StoredKeyRing::Loaded(int64_t version) {
  std::lock_guard lock(mutex_);
  version_ = version;
}

Result<Secrets> LoadOrCreateStoredSecrets(store::SealedValueStore& values,
                                          const identity::SealingKey& key,
                                          std::string_view organization, core::Timestamp now,
                                          StoredKeyRing& ring) {
  Result<Opened> ring_bytes = OpenOrCreate(values, key, kKeyRing, [&]() -> Result<std::string> {
    return identity::KeyRing::Create(now).Serialize();
  });
  if (!ring_bytes) return ring_bytes.error();
  Result<identity::KeyRing> keys = identity::KeyRing::Deserialize(ring_bytes->bytes);
  if (!keys) return Damaged(kKeyRing, keys.error());
  ring.Loaded(ring_bytes->version);

  Result<Opened> ca_bytes = OpenOrCreate(values, key, kCa, [&]() -> Result<std::string> {
    Result<Secrets> fresh = CreateSecrets(organization, now);
    if (!fresh) return fresh.error();
    return CaBytes(fresh->ca);
  });
  if (!ca_bytes) return ca_bytes.error();
  Result<identity::CertificateAuthority> ca = ParseCa(ca_bytes->bytes);
  if (!ca) return Damaged(kCa, ca.error());
  Result<std::string> certificate = ca->CertificatePem();
  if (!certificate) return certificate.error();

  Result<Opened> nonce_key = OpenOrCreate(
      values, key, kNonceKey, []() -> Result<std::string> { return identity::NewNonceKey(); });
  if (!nonce_key) return nonce_key.error();
  if (nonce_key->bytes.size() != identity::kNonceKeyBytes) {
    return Damaged(kNonceKey, MakeError(ErrorCode::kInvalidArgument,
                                        fmt::format("must be {} bytes", identity::kNonceKeyBytes)));
  }
  return Secrets{std::move(*keys), std::move(*ca), std::move(*certificate),
                 std::move(nonce_key->bytes)};
}

Status StoreSecrets(const Secrets& secrets, store::SealedValueStore& values,
                    const identity::SealingKey& key) {
  Result<std::string> ca = CaBytes(secrets.ca);
  if (!ca) return ca.error();
  const std::pair<std::string_view, std::string> all[] = {
      {kKeyRing, secrets.keys.Serialize()}, {kCa, std::move(*ca)}, {kNonceKey, secrets.nonce_key}};
  for (const auto& [name, bytes] : all) {
    Result<int64_t> stored = values.Put(name, SealNamed(key, name, bytes), 0);
    if (!stored) return stored.error();
  }
  return Ok{};
}

}  // namespace groundcrew::service

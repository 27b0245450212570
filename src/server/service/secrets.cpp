#include "server/service/secrets.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/durable_file.hpp"
#include "identity/nonce.hpp"

namespace groundcrew::service {
namespace fs = std::filesystem;
namespace {

constexpr mode_t kSecretMode = 0600;

// The secret file's bytes; nullopt when there is none. Refuses a file others could read.
Result<std::optional<std::string>> ReadSecret(const fs::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return MakeError(ErrorCode::kUnavailable, fmt::format("cannot read {}", path.string()),
                     path.filename().string());
  }
  if (!S_ISREG(info.st_mode) || info.st_uid != ::geteuid() || (info.st_mode & 077) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("{} must be a regular file owned by this user with mode 0600 "
                                 "(it holds a private key)",
                                 path.string()),
                     path.filename().string());
  }
  Result<std::string> bytes = durable::ReadWholeFile(path);
  if (!bytes) return bytes.error();
  return std::optional<std::string>(std::move(*bytes));
}

Error Unreadable(const fs::path& path, const Error& why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("{} is damaged: {}", path.string(), why.message),
                   path.filename().string());
}

Result<identity::CertificateAuthority> NewCa(std::string_view organization, core::Timestamp now) {
  const std::string name = fmt::format("{} groundcrew CA", organization.substr(0, 40));
  return identity::CertificateAuthority::Create(name, now, kCaValidity);
}

Result<identity::KeyRing> LoadOrCreateKeyRing(const SecretPaths& paths, core::Timestamp now) {
  Result<std::optional<std::string>> stored = ReadSecret(paths.token_keys());
  if (!stored) return stored.error();
  if (*stored) {
    Result<identity::KeyRing> keys = identity::KeyRing::Deserialize(**stored);
    if (!keys) return Unreadable(paths.token_keys(), keys.error());
    return keys;
  }
  identity::KeyRing keys = identity::KeyRing::Create(now);
  if (Status saved = SaveKeyRing(paths, keys); !saved) return saved.error();
  return keys;
}

Result<identity::CertificateAuthority> LoadOrCreateCa(const SecretPaths& paths,
                                                      std::string_view organization,
                                                      core::Timestamp now) {
  Result<std::optional<std::string>> key = ReadSecret(paths.ca_key());
  if (!key) return key.error();
  if (*key) {
    Result<std::string> certificate = durable::ReadWholeFile(paths.ca_certificate());
    if (!certificate) return certificate.error();
    Result<identity::CertificateAuthority> ca =
        identity::CertificateAuthority::FromPem(*certificate, **key);
    if (!ca) return Unreadable(paths.ca_key(), ca.error());
    return ca;
  }
  Result<identity::CertificateAuthority> ca = NewCa(organization, now);
  if (!ca) return ca.error();
  Result<identity::CertificateAndKey> pem = ca->ToPem();
  if (!pem) return pem.error();
  // The certificate first: a key without its certificate is never left behind.
  if (Status s =
          durable::WriteFileAtomically(paths.ca_certificate(), pem->certificate_pem, kSecretMode);
      !s) {
    return s.error();
  }
  if (Status s = durable::WriteFileAtomically(paths.ca_key(), pem->private_key_pem, kSecretMode);
      !s) {
    return s.error();
  }
  return ca;
}

Result<std::string> LoadOrCreateNonceKey(const SecretPaths& paths) {
  Result<std::optional<std::string>> stored = ReadSecret(paths.nonce_key());
  if (!stored) return stored.error();
  if (*stored) {
    if ((*stored)->size() != identity::kNonceKeyBytes) {
      return Unreadable(paths.nonce_key(),
                        MakeError(ErrorCode::kInvalidArgument,
                                  fmt::format("must be {} bytes", identity::kNonceKeyBytes)));
    }
    return std::move(**stored);
  }
  std::string key = identity::NewNonceKey();
  if (Status s = durable::WriteFileAtomically(paths.nonce_key(), key, kSecretMode); !s) {
    return s.error();
  }
  return key;
}

}  // namespace

Result<Secrets> CreateSecrets(std::string_view organization, core::Timestamp now) {
  Result<identity::CertificateAuthority> ca = NewCa(organization, now);
  if (!ca) return ca.error();
  Result<std::string> certificate = ca->CertificatePem();
  if (!certificate) return certificate.error();
  return Secrets{identity::KeyRing::Create(now), std::move(*ca), std::move(*certificate),
                 identity::NewNonceKey()};
}

Status SaveKeyRing(const SecretPaths& paths, const identity::KeyRing& keys) {
  return durable::WriteFileAtomically(paths.token_keys(), keys.Serialize(), kSecretMode);
}

Result<Secrets> LoadOrCreateSecrets(const SecretPaths& paths, std::string_view organization,
                                    core::Timestamp now) {
  std::error_code ec;
  fs::create_directories(paths.directory, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot create {}: {}", paths.directory.string(), ec.message()),
                     "data-dir");
  }
  fs::permissions(paths.directory, fs::perms::owner_all, fs::perm_options::replace, ec);
  Result<identity::KeyRing> keys = LoadOrCreateKeyRing(paths, now);
  if (!keys) return keys.error();
  Result<identity::CertificateAuthority> ca = LoadOrCreateCa(paths, organization, now);
  if (!ca) return ca.error();
  Result<std::string> certificate = ca->CertificatePem();
  if (!certificate) return certificate.error();
  Result<std::string> nonce_key = LoadOrCreateNonceKey(paths);
  if (!nonce_key) return nonce_key.error();
  return Secrets{std::move(*keys), std::move(*ca), std::move(*certificate), std::move(*nonce_key)};
}

}  // namespace groundcrew::service

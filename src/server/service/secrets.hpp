#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/model/ids.hpp"
#include "identity/ca.hpp"
#include "identity/token.hpp"

// The service's own secrets, kept in the data directory beside the database:
//   <dir>/secrets/            mode 0700
//   <dir>/secrets/token-keys  the token signing key ring (KeyRing::Serialize), mode 0600
//   <dir>/secrets/ca.key      the tenant CA's private key (PKCS#8 PEM), mode 0600
//   <dir>/secrets/ca.crt      the tenant CA's certificate (PEM): public, what clients trust
//   <dir>/secrets/nonce-key   the key device-proof nonces are signed with (32 bytes), mode 0600
// Files are replaced atomically (durable_file.hpp). Nothing here logs or returns key material
// in a message.
namespace groundcrew::service {

/// How long the tenant's CA certificate is valid when it is created.
inline constexpr std::chrono::seconds kCaValidity{std::chrono::hours(24 * 365 * 10)};

struct SecretPaths {
  std::filesystem::path directory;
  std::filesystem::path token_keys() const { return directory / "token-keys"; }
  std::filesystem::path ca_key() const { return directory / "ca.key"; }
  std::filesystem::path ca_certificate() const { return directory / "ca.crt"; }
  std::filesystem::path nonce_key() const { return directory / "nonce-key"; }
};

struct Secrets {
  identity::KeyRing keys;
  identity::CertificateAuthority ca;
  std::string ca_certificate_pem;
  /// SECRET: the key of device-proof nonces (identity/nonce.hpp), kept so that a nonce issued
  /// before a restart is still accepted within its life.
  std::string nonce_key;
};

/// Loads the secrets, creating whichever is missing: a fresh key ring, a CA named
/// "<organization> groundcrew CA", a nonce key. Secret files must be regular files owned by this
/// user and closed to group and other (kFailedPrecondition naming the file otherwise, as ssh does);
/// kInvalidArgument naming the file when one does not parse; kUnavailable when the disk refuses.
[[nodiscard]] Result<Secrets> LoadOrCreateSecrets(const SecretPaths& paths,
                                                  std::string_view organization,
                                                  core::Timestamp now);

/// Fresh secrets held only in memory (tests, benchmarks): a key ring created at `now`, a CA
/// named "<organization> groundcrew CA" and a nonce key.
[[nodiscard]] Result<Secrets> CreateSecrets(std::string_view organization, core::Timestamp now);

/// Replaces the stored key ring (after a rotation).
[[nodiscard]] Status SaveKeyRing(const SecretPaths& paths, const identity::KeyRing& keys);

}  // namespace groundcrew::service

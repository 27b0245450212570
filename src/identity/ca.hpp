#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

// The tenant's certificate authority (OpenSSL 3): an ECDSA P-256 self-signed CA that signs the
// devices' certificate requests (client certificates) and groundcrewd's TLS server certificate.
// Everything is PEM text; private keys are unencrypted PKCS#8 PEM and are SECRET: never log them.
// Times are passed in (Unix seconds), never read. Certificates are signed with SHA-256 and valid
// from kBackdate before `now` (so a device whose clock is a little behind accepts them).
namespace groundcrew::identity {

inline constexpr std::chrono::seconds kBackdate{std::chrono::minutes(5)};
/// The shortest validity IssueFromCsr accepts (issue 4: device certificates last >= 180 days).
inline constexpr int kMinDeviceCertificateDays = 180;

/// A certificate serial number: 16 bytes, big-endian, positive (top bit clear) and non-zero.
using SerialNumber = std::array<std::uint8_t, 16>;

/// A fresh random serial number (127 random bits, never zero).
SerialNumber RandomSerialNumber();
/// 32 lower-case hex digits.
std::string ToHex(const SerialNumber& serial);

/// A certificate and its private key, PEM.
struct CertificateAndKey {
  std::string certificate_pem;
  std::string private_key_pem;  ///< SECRET
};

/// Who a server certificate is for: its subjectAltName entries. The first DNS name (or else the
/// first IP address) is also the subject's common name.
struct ServerNames {
  std::vector<std::string> dns;  ///< e.g. "localhost", "groundcrew.example.com"
  std::vector<std::string> ips;  ///< IPv4 or IPv6 literals, e.g. "127.0.0.1", "::1"
};

class CertificateAuthority {
 public:
  /// A new CA: fresh ECDSA P-256 key, self-signed certificate for CN=`common_name`, valid from
  /// now - kBackdate to now + validity, with basicConstraints critical CA:TRUE, keyUsage critical
  /// keyCertSign|cRLSign, a subject key identifier and a random serial number.
  /// Errors: kInvalidArgument ("common_name" empty or over 64 bytes, "validity" <= 0);
  /// kInternal with OpenSSL's reason otherwise.
  static Result<CertificateAuthority> Create(std::string_view common_name,
                                             std::chrono::sys_seconds now,
                                             std::chrono::seconds validity);

  /// A CA from its certificate and private key as ToPem() wrote them. Refuses (kInvalidArgument,
  /// field "certificate" or "private_key", with OpenSSL's reason) PEM that does not parse, a
  /// certificate that is not a CA (basicConstraints CA:TRUE), a key that is not ECDSA P-256, or a
  /// key that does not match the certificate. Messages never contain the key.
  static Result<CertificateAuthority> FromPem(std::string_view certificate_pem,
                                              std::string_view private_key_pem);

  CertificateAuthority(CertificateAuthority&&) noexcept;
  CertificateAuthority& operator=(CertificateAuthority&&) noexcept;
  ~CertificateAuthority();

  /// The CA certificate and private key (unencrypted PKCS#8: SECRET), for storage.
  Result<CertificateAndKey> ToPem() const;
  /// The CA certificate alone: what clients put in their trust store.
  Result<std::string> CertificatePem() const;

  /// Signs a device's certificate request (PEM, PKCS#10): the request's own signature must
  /// verify, its key must be ECDSA P-256, and it must not ask for CA:TRUE (basicConstraints). The
  /// certificate: subject = CN=`*subject_override` when given, else the request's subject (which
  /// then must not be empty); the request's public key; issuer = this CA; serial `serial`; valid
  /// from now - kBackdate to now + validity_days; basicConstraints critical CA:FALSE, keyUsage
  /// critical digitalSignature, extendedKeyUsage clientAuth, subject and authority key ids. No
  /// other extension of the request is copied. Errors: kInvalidArgument with field "csr" (and
  /// OpenSSL's reason where it has one), "subject_override", "validity_days" (< 180 or > 3650)
  /// or "serial" (zero or top bit set); kInternal when OpenSSL fails otherwise.
  Result<std::string> IssueFromCsr(std::string_view csr_pem,
                                   const std::optional<std::string>& subject_override,
                                   int validity_days, std::chrono::sys_seconds now,
                                   const SerialNumber& serial) const;

  /// A TLS server certificate and fresh ECDSA P-256 key for `names` (at least one entry; IP
  /// entries must be IPv4 or IPv6 literals): basicConstraints critical CA:FALSE, keyUsage
  /// critical digitalSignature, extendedKeyUsage serverAuth, subjectAltName DNS:/IP: entries,
  /// subject and authority key ids, random serial, valid from now - kBackdate to now + validity.
  /// Errors: kInvalidArgument ("names", "validity"); kInternal with OpenSSL's reason.
  Result<CertificateAndKey> IssueServerCertificate(const ServerNames& names,
                                                   std::chrono::sys_seconds now,
                                                   std::chrono::seconds validity) const;

 private:
  struct State;
  explicit CertificateAuthority(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// A fresh ECDSA P-256 private key as unencrypted PKCS#8 PEM (SECRET). kInternal on failure.
Result<std::string> GenerateP256KeyPem();

/// A certificate request (PKCS#10 PEM) for CN=`common_name`, signed with `private_key_pem`
/// (e.g. from GenerateP256KeyPem), with no extensions. Errors: kInvalidArgument ("private_key"
/// that does not parse, "common_name" empty or over 64 bytes); kInternal otherwise.
Result<std::string> MakeCsr(std::string_view private_key_pem, std::string_view common_name);

}  // namespace groundcrew::identity

#include "identity/ca.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <climits>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <utility>

#include "identity/internal/openssl_ptr.hpp"

namespace groundcrew::identity {

using internal::Asn1TimePtr;
using internal::BasicConstraintsPtr;
using internal::BignumPtr;
using internal::BioPtr;
using internal::ExtensionStackPtr;
using internal::GeneralNamePtr;
using internal::GeneralNamesPtr;
using internal::PkeyPtr;
using internal::X509ExtensionPtr;
using internal::X509NamePtr;
using internal::X509Ptr;
using internal::X509ReqPtr;

struct CertificateAuthority::State {
  X509Ptr certificate;
  PkeyPtr key;
};

namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

constexpr std::size_t kMaxPemSize = 1 << 20;
constexpr std::size_t kMaxCommonNameSize = 64;  // RFC 5280 ub-common-name
constexpr int kMaxDeviceCertificateDays = 3650;

/// OpenSSL's reason for the most recent queued error ("unknown reason" when there is none);
/// empties the queue. Reasons are fixed library strings: they never contain the input.
std::string OpenSslReason() {
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  ERR_clear_error();
  return reason != nullptr ? reason : "unknown reason";
}

Error Internal(const std::string& what) {
  return MakeError(ErrorCode::kInternal, what + ": " + OpenSslReason());
}

Error Invalid(const std::string& field, const std::string& why) {
  return MakeError(ErrorCode::kInvalidArgument, field + ": " + why, field);
}

/// A PEM password callback that supplies no passphrase, so OpenSSL never prompts on a terminal
/// (an encrypted key simply fails to load).
int NoPassphrase(char*, int, int, void*) { return 0; }

BioPtr ReadBio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

template <class Write>
Result<std::string> WritePem(const char* what, Write write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return Internal(std::string("cannot write the ") + what);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Result<std::string> CertificateToPem(X509* certificate) {
  return WritePem("certificate", [&](BIO* bio) { return PEM_write_bio_X509(bio, certificate); });
}

Result<std::string> KeyToPem(EVP_PKEY* key) {
  return WritePem("private key", [&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

Result<PkeyPtr> NewP256Key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Internal("cannot generate a P-256 key");
  return key;
}

bool IsP256(EVP_PKEY* key) {
  char group[64] = {};
  std::size_t length = 0;
  const bool ok = EVP_PKEY_is_a(key, "EC") == 1 &&
                  EVP_PKEY_get_group_name(key, group, sizeof group, &length) == 1 &&
                  std::strcmp(group, "prime256v1") == 0;
  ERR_clear_error();
  return ok;
}

Result<PkeyPtr> ParsePrivateKey(std::string_view pem) {
  if (pem.size() > kMaxPemSize) return Invalid("private_key", "too large");
  BioPtr bio = ReadBio(pem);
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr) : nullptr);
  if (!key)
    return Invalid("private_key", "not an unencrypted PEM private key (" + OpenSslReason() + ")");
  return key;
}

Status CheckCommonName(std::string_view common_name, const char* field) {
  if (common_name.empty() || common_name.size() > kMaxCommonNameSize) {
    return Invalid(field, "must be 1 to 64 bytes");
  }
  return Ok{};
}

Result<X509NamePtr> NameWithCommonName(std::string_view common_name) {
  X509NamePtr name(X509_NAME_new());
  const std::string cn(common_name);
  if (!name || X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                          reinterpret_cast<const unsigned char*>(cn.c_str()),
                                          static_cast<int>(cn.size()), -1, 0) != 1) {
    return Invalid("common_name", "cannot be used as a name (" + OpenSslReason() + ")");
  }
  return name;
}

/// `serial` as an ASN.1 INTEGER in `certificate`.
bool SetSerial(X509* certificate, const SerialNumber& serial) {
  BignumPtr number(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr));
  return number && BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(certificate)) != nullptr;
}

bool SetValidity(X509* certificate, sys_seconds now, seconds validity) {
  const auto not_before = static_cast<std::time_t>((now - kBackdate).time_since_epoch().count());
  const auto not_after = static_cast<std::time_t>((now + validity).time_since_epoch().count());
  return ASN1_TIME_set(X509_getm_notBefore(certificate), not_before) != nullptr &&
         ASN1_TIME_set(X509_getm_notAfter(certificate), not_after) != nullptr;
}

/// Adds extensions given in OpenSSL's configuration syntax. Only constant strings are passed
/// here, never input (the syntax would let commas in input add entries).
bool AddExtensions(X509* certificate, X509* issuer,
                   std::initializer_list<std::pair<int, const char*>> extensions) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
    if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) return false;
  }
  return true;
}

/// A v3 certificate skeleton: version, serial, validity, subject, issuer name and public key.
Result<X509Ptr> NewCertificate(const SerialNumber& serial, sys_seconds now, seconds validity,
                               X509_NAME* subject, X509_NAME* issuer, EVP_PKEY* public_key) {
  X509Ptr certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), X509_VERSION_3) != 1 ||
      !SetSerial(certificate.get(), serial) || !SetValidity(certificate.get(), now, validity) ||
      X509_set_subject_name(certificate.get(), subject) != 1 ||
      X509_set_issuer_name(certificate.get(), issuer) != 1 ||
      X509_set_pubkey(certificate.get(), public_key) != 1) {
    return Internal("cannot fill in the certificate");
  }
  return certificate;
}

/// OK when a certificate valid until now + validity does not outlive `ca`.
Status CheckWithinCa(X509* ca, sys_seconds now, seconds validity, const char* field) {
  std::time_t end = static_cast<std::time_t>((now + validity).time_since_epoch().count());
  if (X509_cmp_time(X509_get0_notAfter(ca), &end) < 0) {
    return MakeError(
        ErrorCode::kFailedPrecondition,
        std::string(field) + ": the certificate would outlive the CA certificate; renew the CA",
        field);
  }
  return Ok{};
}

bool IsDnsName(std::string_view name) {
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos;
}

/// subjectAltName for `names`, built as values (no configuration-syntax parsing of the input).
Result<GeneralNamesPtr> AltNames(const ServerNames& names) {
  GeneralNamesPtr all(GENERAL_NAMES_new());
  if (!all) return Internal("GENERAL_NAMES_new");
  for (const std::string& dns : names.dns) {
    if (!IsDnsName(dns)) {
      return Invalid("names", "\"" + dns + "\" is not a DNS name (letters, digits, '-', '.')");
    }
    GeneralNamePtr name(GENERAL_NAME_new());
    ASN1_IA5STRING* text = ASN1_IA5STRING_new();
    if (!name || text == nullptr ||
        ASN1_STRING_set(text, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(text);
      return Internal("cannot build a DNS name");
    }
    GENERAL_NAME_set0_value(name.get(), GEN_DNS, text);
    if (sk_GENERAL_NAME_push(all.get(), name.get()) == 0) return Internal("cannot add a name");
    name.release();
  }
  for (const std::string& ip : names.ips) {
    ASN1_OCTET_STRING* address = a2i_IPADDRESS(ip.c_str());
    if (address == nullptr) {
      ERR_clear_error();
      return Invalid("names", "\"" + ip + "\" is not an IPv4 or IPv6 address");
    }
    GeneralNamePtr name(GENERAL_NAME_new());
    if (!name) {
      ASN1_OCTET_STRING_free(address);
      return Internal("GENERAL_NAME_new");
    }
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, address);
    if (sk_GENERAL_NAME_push(all.get(), name.get()) == 0) return Internal("cannot add a name");
    name.release();
  }
  return all;
}

}  // namespace

SerialNumber RandomSerialNumber() {
  SerialNumber serial{};
  while (true) {
    if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1) {
      throw std::runtime_error("OpenSSL's random generator failed");
    }
    serial[0] &= 0x7f;  // positive
    for (std::uint8_t byte : serial) {
      if (byte != 0) return serial;
    }
  }
}

std::string ToHex(const SerialNumber& serial) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (std::uint8_t byte : serial) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 15]);
  }
  return hex;
}

CertificateAuthority::CertificateAuthority(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
CertificateAuthority::CertificateAuthority(CertificateAuthority&&) noexcept = default;
CertificateAuthority& CertificateAuthority::operator=(CertificateAuthority&&) noexcept = default;
CertificateAuthority::~CertificateAuthority() = default;

Result<CertificateAuthority> CertificateAuthority::Create(std::string_view common_name,
                                                          sys_seconds now, seconds validity) {
  if (Status ok = CheckCommonName(common_name, "common_name"); !ok) return ok.error();
  if (validity <= seconds(0)) return Invalid("validity", "must be positive");
  auto key = NewP256Key();
  if (!key) return key.error();
  auto name = NameWithCommonName(common_name);
  if (!name) return name.error();
  auto certificate =
      NewCertificate(RandomSerialNumber(), now, validity, name->get(), name->get(), key->get());
  if (!certificate) return certificate.error();
  if (!AddExtensions(certificate->get(), certificate->get(),
                     {{NID_basic_constraints, "critical,CA:TRUE"},
                      {NID_key_usage, "critical,keyCertSign,cRLSign"},
                      {NID_subject_key_identifier, "hash"}}) ||
      X509_sign(certificate->get(), key->get(), EVP_sha256()) <= 0) {
    return Internal("cannot sign the CA certificate");
  }
  auto state = std::make_unique<State>();
  state->certificate = std::move(*certificate);
  state->key = std::move(*key);
  return CertificateAuthority(std::move(state));
}

Result<CertificateAuthority> CertificateAuthority::FromPem(std::string_view certificate_pem,
                                                           std::string_view private_key_pem) {
  if (certificate_pem.size() > kMaxPemSize) return Invalid("certificate", "too large");
  BioPtr bio = ReadBio(certificate_pem);
  X509Ptr certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr) : nullptr);
  if (!certificate) {
    return Invalid("certificate", "not a PEM certificate (" + OpenSslReason() + ")");
  }
  if ((X509_get_extension_flags(certificate.get()) & EXFLAG_CA) == 0) {
    return Invalid("certificate", "not a CA certificate (basicConstraints CA:TRUE missing)");
  }
  auto key = ParsePrivateKey(private_key_pem);
  if (!key) return key.error();
  if (!IsP256(key->get())) return Invalid("private_key", "not an ECDSA P-256 key");
  if (X509_check_private_key(certificate.get(), key->get()) != 1) {
    ERR_clear_error();
    return Invalid("private_key", "does not match the certificate");
  }
  auto state = std::make_unique<State>();
  state->certificate = std::move(certificate);
  state->key = std::move(*key);
  return CertificateAuthority(std::move(state));
}

Result<CertificateAndKey> CertificateAuthority::ToPem() const {
  auto certificate = CertificatePem();
  if (!certificate) return certificate.error();
  auto key = KeyToPem(state_->key.get());
  if (!key) return key.error();
  return CertificateAndKey{std::move(*certificate), std::move(*key)};
}

Result<std::string> CertificateAuthority::CertificatePem() const {
  return CertificateToPem(state_->certificate.get());
}

Result<std::string> CertificateAuthority::IssueFromCsr(
    std::string_view csr_pem, const std::optional<std::string>& subject_override, int validity_days,
    sys_seconds now, const SerialNumber& serial) const {
  if (validity_days < kMinDeviceCertificateDays || validity_days > kMaxDeviceCertificateDays) {
    return Invalid("validity_days", "must be from 180 to 3650 days");
  }
  if (serial[0] & 0x80) return Invalid("serial", "must be positive (top bit clear)");
  if (serial == SerialNumber{}) return Invalid("serial", "must not be zero");
  if (subject_override) {
    if (Status ok = CheckCommonName(*subject_override, "subject_override"); !ok) {
      return ok.error();
    }
  }
  const seconds validity = std::chrono::days(validity_days);
  if (Status ok = CheckWithinCa(state_->certificate.get(), now, validity, "validity_days"); !ok) {
    return ok.error();
  }

  if (csr_pem.size() > kMaxPemSize) return Invalid("csr", "too large");
  BioPtr bio = ReadBio(csr_pem);
  X509ReqPtr request(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, NoPassphrase, nullptr)
                         : nullptr);
  if (!request) {
    return Invalid("csr", "not a PEM certificate request (" + OpenSslReason() + ")");
  }
  EVP_PKEY* public_key = X509_REQ_get0_pubkey(request.get());
  if (public_key == nullptr) {
    return Invalid("csr", "the request's public key cannot be read (" + OpenSslReason() + ")");
  }
  if (X509_REQ_verify(request.get(), public_key) != 1) {
    return Invalid("csr", "the request's signature does not verify (" + OpenSslReason() + ")");
  }
  if (!IsP256(public_key)) return Invalid("csr", "the request's key must be ECDSA P-256");
  ExtensionStackPtr requested(X509_REQ_get_extensions(request.get()));
  ERR_clear_error();  // no extensions at all is fine
  if (requested) {
    int critical = -1;
    BasicConstraintsPtr constraints(static_cast<BASIC_CONSTRAINTS*>(
        X509V3_get_d2i(requested.get(), NID_basic_constraints, &critical, nullptr)));
    ERR_clear_error();
    if (critical == -2) return Invalid("csr", "basicConstraints appears more than once");
    if (constraints && constraints->ca) {
      return Invalid("csr", "the request asks for a CA certificate (CA:TRUE); refused");
    }
  }

  X509NamePtr subject;
  if (subject_override) {
    auto name = NameWithCommonName(*subject_override);
    if (!name) return Invalid("subject_override", name.error().message);
    subject = std::move(*name);
  } else {
    X509_NAME* requested_subject = X509_REQ_get_subject_name(request.get());
    if (requested_subject == nullptr || X509_NAME_entry_count(requested_subject) == 0) {
      return Invalid("csr", "the request has an empty subject and no subject override was given");
    }
    subject.reset(X509_NAME_dup(requested_subject));
    if (!subject) return Internal("X509_NAME_dup");
  }

  X509* ca = state_->certificate.get();
  auto certificate =
      NewCertificate(serial, now, validity, subject.get(), X509_get_subject_name(ca), public_key);
  if (!certificate) return certificate.error();
  if (!AddExtensions(certificate->get(), ca,
                     {{NID_basic_constraints, "critical,CA:FALSE"},
                      {NID_key_usage, "critical,digitalSignature"},
                      {NID_ext_key_usage, "clientAuth"},
                      {NID_subject_key_identifier, "hash"},
                      {NID_authority_key_identifier, "keyid:always"}}) ||
      X509_sign(certificate->get(), state_->key.get(), EVP_sha256()) <= 0) {
    return Internal("cannot sign the device certificate");
  }
  return CertificateToPem(certificate->get());
}

Result<CertificateAndKey> CertificateAuthority::IssueServerCertificate(const ServerNames& names,
                                                                       sys_seconds now,
                                                                       seconds validity) const {
  if (names.dns.empty() && names.ips.empty()) {
    return Invalid("names", "at least one DNS name or IP address is needed");
  }
  if (validity <= seconds(0)) return Invalid("validity", "must be positive");
  if (Status ok = CheckWithinCa(state_->certificate.get(), now, validity, "validity"); !ok) {
    return ok.error();
  }
  auto alt_names = AltNames(names);
  if (!alt_names) return alt_names.error();
  const std::string& common_name = names.dns.empty() ? names.ips.front() : names.dns.front();
  if (Status ok = CheckCommonName(common_name, "names"); !ok) return ok.error();
  auto subject = NameWithCommonName(common_name);
  if (!subject) return subject.error();
  auto key = NewP256Key();
  if (!key) return key.error();

  X509* ca = state_->certificate.get();
  auto certificate = NewCertificate(RandomSerialNumber(), now, validity, subject->get(),
                                    X509_get_subject_name(ca), key->get());
  if (!certificate) return certificate.error();
  if (!AddExtensions(certificate->get(), ca,
                     {{NID_basic_constraints, "critical,CA:FALSE"},
                      {NID_key_usage, "critical,digitalSignature"},
                      {NID_ext_key_usage, "serverAuth"},
                      {NID_subject_key_identifier, "hash"},
                      {NID_authority_key_identifier, "keyid:always"}}) ||
      X509_add1_ext_i2d(certificate->get(), NID_subject_alt_name, alt_names->get(), 0,
                        X509V3_ADD_DEFAULT) != 1 ||
      X509_sign(certificate->get(), state_->key.get(), EVP_sha256()) <= 0) {
    return Internal("cannot sign the server certificate");
  }
  auto certificate_pem = CertificateToPem(certificate->get());
  if (!certificate_pem) return certificate_pem.error();
  auto key_pem = KeyToPem(key->get());
  if (!key_pem) return key_pem.error();
  return CertificateAndKey{std::move(*certificate_pem), std::move(*key_pem)};
}

Result<std::string> GenerateP256KeyPem() {
  auto key = NewP256Key();
  if (!key) return key.error();
  return KeyToPem(key->get());
}

Result<std::string> MakeCsr(std::string_view private_key_pem, std::string_view common_name) {
  if (Status ok = CheckCommonName(common_name, "common_name"); !ok) return ok.error();
  auto key = ParsePrivateKey(private_key_pem);
  if (!key) return key.error();
  auto name = NameWithCommonName(common_name);
  if (!name) return name.error();
  X509ReqPtr request(X509_REQ_new());
  if (!request || X509_REQ_set_version(request.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(request.get(), name->get()) != 1 ||
      X509_REQ_set_pubkey(request.get(), key->get()) != 1 ||
      X509_REQ_sign(request.get(), key->get(), EVP_sha256()) <= 0) {
    return Internal("cannot build the certificate request");
  }
  return WritePem("certificate request",
                  [&](BIO* bio) { return PEM_write_bio_X509_REQ(bio, request.get()); });
}

}  // namespace groundcrew::identity

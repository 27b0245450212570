#include "tests/support/test_certs.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <memory>
#include <system_error>
#include <utility>

namespace groundcrew::test_support {
namespace {

template <class T, auto Free>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY, EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Freer<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Freer<BIO, BIO_free_all>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Freer<X509_EXTENSION, X509_EXTENSION_free>>;

/// kInternal naming `what` and the oldest queued OpenSSL error; empties the queue.
Error OpenSslError(const std::string& what) {
  const unsigned long code = ERR_get_error();
  char reason[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  return MakeError(ErrorCode::kInternal, what + ": " + reason);
}

Result<KeyPtr> NewKey() {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslError("cannot generate a P-256 key");
  return key;
}

/// A certificate for `key` named `common_name`, issued by `issuer` with `issuer_key` (self-signed
/// when `issuer` is null), with the X.509v3 extensions given as (NID, OpenSSL config value).
Result<CertPtr> NewCertificate(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                               EVP_PKEY* issuer_key,
                               const std::vector<std::pair<int, std::string>>& extensions) {
  CertPtr cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  std::uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) != 1) {
    return OpenSslError("RAND_bytes");
  }
  serial >>= 1;  // positive
  const auto* cn = reinterpret_cast<const unsigned char*>(common_name.c_str());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (X509_set_version(cert.get(), 2) != 1 ||  // v3
      ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject) != 1) {
    return OpenSslError("cannot fill in the certificate");
  }
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    if (!extension || X509_add_ext(cert.get(), extension.get(), -1) != 1) {
      return OpenSslError("cannot add the extension " + value);
    }
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) return OpenSslError("X509_sign");
  return cert;
}

template <class Write>
Result<std::string> ToPem(Write write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return OpenSslError("cannot write PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Result<std::string> CertPem(X509* cert) {
  return ToPem([cert](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
}

Result<std::string> KeyPem(EVP_PKEY* key) {
  return ToPem([key](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

Result<std::string> EncryptedKeyPem(EVP_PKEY* key) {
  return ToPem([key](BIO* bio) {
    char passphrase[] = "secret";
    return PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), passphrase,
                                         sizeof passphrase - 1, nullptr, nullptr);
  });
}

}  // namespace

Result<TestPki> MakeTestPki(const ServerNames& names) {
  auto ca_key = NewKey();
  if (!ca_key) return ca_key.error();
  auto ca = NewCertificate(ca_key->get(), "groundcrew test CA", nullptr, ca_key->get(),
                           {{NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,keyCertSign,cRLSign"},
                            {NID_subject_key_identifier, "hash"},
                            {NID_authority_key_identifier, "keyid:always"}});
  if (!ca) return ca.error();

  std::string alt_names;  // "DNS:localhost,IP:127.0.0.1"
  auto add_names = [&alt_names](const std::vector<std::string>& values, const char* kind) {
    for (const std::string& value : values) {
      alt_names += (alt_names.empty() ? "" : ",") + (kind + (":" + value));
    }
  };
  add_names(names.dns, "DNS");
  add_names(names.ips, "IP");
  auto server_key = NewKey();
  if (!server_key) return server_key.error();
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"}};
  if (!alt_names.empty()) extensions.emplace_back(NID_subject_alt_name, alt_names);
  const std::string common_name = names.dns.empty() ? "groundcrew test server" : names.dns[0];
  auto server =
      NewCertificate(server_key->get(), common_name, ca->get(), ca_key->get(), extensions);
  if (!server) return server.error();
  auto other_key = NewKey();
  if (!other_key) return other_key.error();

  TestPki pki;
  for (auto [pem, out] :
       {std::pair{CertPem(ca->get()), &pki.ca_cert},
        std::pair{CertPem(server->get()), &pki.server_cert},
        std::pair{KeyPem(server_key->get()), &pki.server_key},
        std::pair{KeyPem(other_key->get()), &pki.other_key},
        std::pair{EncryptedKeyPem(server_key->get()), &pki.encrypted_server_key}}) {
    if (!pem) return pem.error();
    *out = std::move(*pem);
  }
  return pki;
}

}  // namespace groundcrew::test_support

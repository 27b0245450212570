#include "identity/ca.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <set>

#include "identity/internal/openssl_ptr.hpp"

namespace groundcrew::identity {
namespace {

using internal::BioPtr;
using internal::PkeyPtr;
using internal::X509Ptr;
using internal::X509ReqPtr;
using std::chrono::days;
using std::chrono::seconds;
using std::chrono::sys_seconds;

// A fixed "now" keeps expectations exact; X509_verify_cert is pointed at it explicitly.
const sys_seconds kNow{seconds(1'750'000'000)};

struct StoreFree {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};

X509Ptr ParseCertificate(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

X509ReqPtr ParseRequest(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509ReqPtr(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
}

PkeyPtr ParseKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

std::string RequestPem(X509_REQ* request) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_X509_REQ(bio.get(), request), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::time_t TimeT(sys_seconds t) { return static_cast<std::time_t>(t.time_since_epoch().count()); }

/// X509_verify_cert of `leaf` against a store holding only `ca`, at `at`, for `purpose`, with
/// an optional expected IP address. Returns the verification error (X509_V_OK on success).
int VerifyChain(X509* ca, X509* leaf, sys_seconds at, int purpose, const char* ip = nullptr) {
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  EXPECT_EQ(X509_STORE_add_cert(store.get(), ca), 1);
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  EXPECT_EQ(X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr), 1);
  X509_STORE_CTX_set_time(ctx.get(), 0, TimeT(at));
  EXPECT_EQ(X509_STORE_CTX_set_purpose(ctx.get(), purpose), 1);
  if (ip != nullptr) {
    EXPECT_EQ(X509_VERIFY_PARAM_set1_ip_asc(X509_STORE_CTX_get0_param(ctx.get()), ip), 1);
  }
  const int ok = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  return ok == 1 ? X509_V_OK : (error == X509_V_OK ? -1 : error);
}

/// Whole days between notBefore and notAfter.
int ValidityDays(X509* certificate) {
  int day = 0, sec = 0;
  EXPECT_EQ(
      ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(certificate), X509_get0_notAfter(certificate)),
      1);
  return day;
}

bool IsCritical(X509* certificate, int nid) {
  const int index = X509_get_ext_by_NID(certificate, nid, -1);
  return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(certificate, index)) == 1;
}

std::string CommonName(X509_NAME* name) {
  char text[256] = {};
  X509_NAME_get_text_by_NID(name, NID_commonName, text, sizeof text);
  return text;
}

std::string Serial(X509* certificate) {
  internal::BignumPtr number(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  char* hex = BN_bn2hex(number.get());
  std::string text(hex);
  OPENSSL_free(hex);
  return text;
}

class CaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = CertificateAuthority::Create("Contoso groundcrew CA", kNow, days(3650));
    ASSERT_TRUE(ca) << ca.error().message;
    ca_ = std::make_unique<CertificateAuthority>(std::move(*ca));
    auto pem = ca_->CertificatePem();
    ASSERT_TRUE(pem);
    ca_cert_ = ParseCertificate(*pem);
    ASSERT_TRUE(ca_cert_);
  }

  std::string DeviceCsr(const std::string& common_name = "device-1") {
    auto key = GenerateP256KeyPem();
    EXPECT_TRUE(key);
    auto csr = MakeCsr(*key, common_name);
    EXPECT_TRUE(csr) << csr.error().message;
    return *csr;
  }

  std::unique_ptr<CertificateAuthority> ca_;
  X509Ptr ca_cert_;
};

TEST_F(CaTest, CaCertificateProperties) {
  X509* ca = ca_cert_.get();
  EXPECT_EQ(X509_get_version(ca), X509_VERSION_3);
  EXPECT_EQ(CommonName(X509_get_subject_name(ca)), "Contoso groundcrew CA");
  EXPECT_EQ(X509_self_signed(ca, 1), 1);  // also verifies the signature
  EXPECT_NE(X509_get_extension_flags(ca) & EXFLAG_CA, 0u);
  EXPECT_TRUE(IsCritical(ca, NID_basic_constraints));
  EXPECT_TRUE(IsCritical(ca, NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(ca), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_NE(X509_get0_subject_key_id(ca), nullptr);
  EXPECT_EQ(ValidityDays(ca), 3650);
  std::time_t before = TimeT(kNow - kBackdate - seconds(1));
  std::time_t after = TimeT(kNow - kBackdate);
  EXPECT_GT(X509_cmp_time(X509_get0_notBefore(ca), &before), 0);
  EXPECT_LE(X509_cmp_time(X509_get0_notBefore(ca), &after), 0);
  EVP_PKEY* key = X509_get0_pubkey(ca);
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(key, "EC"));
  EXPECT_EQ(EVP_PKEY_get_bits(key), 256);
  // Serial: positive, from a 127-bit random space (fewer than 20 hex digits: p < 2^-48).
  EXPECT_NE(Serial(ca).front(), '-');
  EXPECT_GE(Serial(ca).size(), 20u);
}

TEST_F(CaTest, CreateRefusesBadArguments) {
  auto empty = CertificateAuthority::Create("", kNow, days(10));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().field, "common_name");
  auto no_validity = CertificateAuthority::Create("x", kNow, seconds(0));
  ASSERT_FALSE(no_validity);
  EXPECT_EQ(no_validity.error().field, "validity");
}

TEST_F(CaTest, SignsADeviceRequestThatChainsToTheCa) {
  const SerialNumber serial = RandomSerialNumber();
  auto pem = ca_->IssueFromCsr(DeviceCsr("device-1"), std::nullopt, 365, kNow, serial);
  ASSERT_TRUE(pem) << pem.error().message;
  X509Ptr device = ParseCertificate(*pem);
  ASSERT_TRUE(device);
  EXPECT_EQ(VerifyChain(ca_cert_.get(), device.get(), kNow, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
  EXPECT_EQ(VerifyChain(ca_cert_.get(), device.get(), kNow + days(364), X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
  EXPECT_EQ(VerifyChain(ca_cert_.get(), device.get(), kNow + days(366), X509_PURPOSE_SSL_CLIENT),
            X509_V_ERR_CERT_HAS_EXPIRED);
  // A client certificate, not a server or CA certificate.
  EXPECT_NE(X509_get_extended_key_usage(device.get()) & XKU_SSL_CLIENT, 0u);
  EXPECT_EQ(X509_get_extended_key_usage(device.get()) & XKU_SSL_SERVER, 0u);
  EXPECT_EQ(X509_get_extension_flags(device.get()) & EXFLAG_CA, 0u);
  EXPECT_NE(VerifyChain(ca_cert_.get(), device.get(), kNow, X509_PURPOSE_SSL_SERVER), X509_V_OK);
  EXPECT_GE(ValidityDays(device.get()), kMinDeviceCertificateDays);
  EXPECT_EQ(CommonName(X509_get_subject_name(device.get())), "device-1");
  EXPECT_EQ(
      X509_NAME_cmp(X509_get_issuer_name(device.get()), X509_get_subject_name(ca_cert_.get())), 0);
  EXPECT_NE(X509_get0_authority_key_id(device.get()), nullptr);
  // The serial asked for.
  internal::BignumPtr number(ASN1_INTEGER_to_BN(X509_get0_serialNumber(device.get()), nullptr));
  SerialNumber issued{};
  ASSERT_EQ(BN_bn2binpad(number.get(), issued.data(), static_cast<int>(issued.size())), 16);
  EXPECT_EQ(ToHex(issued), ToHex(serial));
}

TEST_F(CaTest, SubjectOverrideReplacesTheRequestedSubject) {
  auto pem = ca_->IssueFromCsr(DeviceCsr("i am the CA"), std::string("ztd-1234"), 180, kNow,
                               RandomSerialNumber());
  ASSERT_TRUE(pem) << pem.error().message;
  X509Ptr device = ParseCertificate(*pem);
  EXPECT_EQ(CommonName(X509_get_subject_name(device.get())), "ztd-1234");
  EXPECT_EQ(ValidityDays(device.get()), 180);
}

TEST_F(CaTest, RefusesATamperedRequest) {
  X509ReqPtr request = ParseRequest(DeviceCsr("device-1"));
  ASSERT_TRUE(request);
  // Change the subject in the signed bytes: the request's self-signature no longer matches.
  unsigned char* der = nullptr;
  const int size = i2d_X509_REQ(request.get(), &der);
  ASSERT_GT(size, 0);
  std::string bytes(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  const std::size_t at = bytes.find("device-1");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 7] = '2';
  const auto* cursor = reinterpret_cast<const unsigned char*>(bytes.data());
  request.reset(d2i_X509_REQ(nullptr, &cursor, static_cast<long>(bytes.size())));
  ASSERT_TRUE(request);
  const std::string tampered = RequestPem(request.get());
  auto pem = ca_->IssueFromCsr(tampered, std::nullopt, 365, kNow, RandomSerialNumber());
  ASSERT_FALSE(pem);
  EXPECT_EQ(pem.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(pem.error().field, "csr");
  EXPECT_NE(pem.error().message.find("signature"), std::string::npos) << pem.error().message;
}

TEST_F(CaTest, RefusesRequestsForCaCertificates) {
  auto key_pem = GenerateP256KeyPem();
  ASSERT_TRUE(key_pem);
  PkeyPtr key = ParseKey(*key_pem);
  X509ReqPtr request(X509_REQ_new());
  X509_NAME* name = X509_REQ_get_subject_name(request.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sub CA"), -1, -1, 0);
  X509_REQ_set_pubkey(request.get(), key.get());
  STACK_OF(X509_EXTENSION)* extensions = sk_X509_EXTENSION_new_null();
  sk_X509_EXTENSION_push(
      extensions, X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:TRUE"));
  ASSERT_EQ(X509_REQ_add_extensions(request.get(), extensions), 1);
  sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  ASSERT_GT(X509_REQ_sign(request.get(), key.get(), EVP_sha256()), 0);
  auto pem =
      ca_->IssueFromCsr(RequestPem(request.get()), std::nullopt, 365, kNow, RandomSerialNumber());
  ASSERT_FALSE(pem);
  EXPECT_EQ(pem.error().field, "csr");
  EXPECT_NE(pem.error().message.find("CA:TRUE"), std::string::npos);
}

TEST_F(CaTest, RefusesBadIssueArguments) {
  const std::string csr = DeviceCsr();
  auto field_of = [&](Result<std::string> result) {
    EXPECT_FALSE(result);
    return result ? std::string() : result.error().field;
  };
  EXPECT_EQ(field_of(ca_->IssueFromCsr(csr, std::nullopt, 179, kNow, RandomSerialNumber())),
            "validity_days");
  EXPECT_EQ(field_of(ca_->IssueFromCsr(csr, std::nullopt, 365, kNow, SerialNumber{})), "serial");
  SerialNumber negative = RandomSerialNumber();
  negative[0] |= 0x80;
  EXPECT_EQ(field_of(ca_->IssueFromCsr(csr, std::nullopt, 365, kNow, negative)), "serial");
  EXPECT_EQ(field_of(ca_->IssueFromCsr("garbage", std::nullopt, 365, kNow, RandomSerialNumber())),
            "csr");
  EXPECT_EQ(field_of(ca_->IssueFromCsr(csr, std::string(), 365, kNow, RandomSerialNumber())),
            "subject_override");
  // Would outlive the CA.
  auto late = ca_->IssueFromCsr(csr, std::nullopt, 365, kNow + days(3600), RandomSerialNumber());
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kFailedPrecondition);
  // A key that is not P-256.
  PkeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  X509ReqPtr request(X509_REQ_new());
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(request.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("d"), -1, -1, 0);
  X509_REQ_set_pubkey(request.get(), ed25519.get());
  ASSERT_GT(X509_REQ_sign(request.get(), ed25519.get(), nullptr), 0);
  EXPECT_EQ(field_of(ca_->IssueFromCsr(RequestPem(request.get()), std::nullopt, 365, kNow,
                                       RandomSerialNumber())),
            "csr");
}

TEST_F(CaTest, ServerCertificateForLoopbackVerifies) {
  auto issued = ca_->IssueServerCertificate({{"localhost"}, {"127.0.0.1", "::1"}}, kNow, days(90));
  ASSERT_TRUE(issued) << issued.error().message;
  X509Ptr server = ParseCertificate(issued->certificate_pem);
  PkeyPtr key = ParseKey(issued->private_key_pem);
  ASSERT_TRUE(server && key);
  EXPECT_EQ(X509_check_private_key(server.get(), key.get()), 1);
  EXPECT_EQ(EVP_PKEY_get_bits(key.get()), 256);
  EXPECT_EQ(VerifyChain(ca_cert_.get(), server.get(), kNow, X509_PURPOSE_SSL_SERVER, "127.0.0.1"),
            X509_V_OK);
  EXPECT_EQ(VerifyChain(ca_cert_.get(), server.get(), kNow, X509_PURPOSE_SSL_SERVER, "::1"),
            X509_V_OK);
  EXPECT_EQ(VerifyChain(ca_cert_.get(), server.get(), kNow, X509_PURPOSE_SSL_SERVER, "10.0.0.1"),
            X509_V_ERR_IP_ADDRESS_MISMATCH);
  EXPECT_EQ(X509_check_host(server.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_NE(X509_get_extended_key_usage(server.get()) & XKU_SSL_SERVER, 0u);
  EXPECT_EQ(X509_get_extension_flags(server.get()) & EXFLAG_CA, 0u);
  EXPECT_EQ(CommonName(X509_get_subject_name(server.get())), "localhost");
  EXPECT_EQ(ValidityDays(server.get()), 90);
}

TEST_F(CaTest, ServerCertificateRefusesBadNames) {
  for (const ServerNames& names : {ServerNames{}, ServerNames{{"bad,DNS:evil.example"}, {}},
                                   ServerNames{{}, {"300.1.1.1"}}, ServerNames{{""}, {}}}) {
    auto issued = ca_->IssueServerCertificate(names, kNow, days(90));
    ASSERT_FALSE(issued);
    EXPECT_EQ(issued.error().field, "names");
  }
}

TEST_F(CaTest, PemRoundTrip) {
  auto pem = ca_->ToPem();
  ASSERT_TRUE(pem);
  EXPECT_NE(pem->private_key_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  auto restored = CertificateAuthority::FromPem(pem->certificate_pem, pem->private_key_pem);
  ASSERT_TRUE(restored) << restored.error().message;
  auto again = restored->ToPem();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->certificate_pem, pem->certificate_pem);
  EXPECT_EQ(again->private_key_pem, pem->private_key_pem);
  // The restored CA issues certificates that chain to the original certificate.
  auto device = restored->IssueFromCsr(DeviceCsr(), std::nullopt, 365, kNow, RandomSerialNumber());
  ASSERT_TRUE(device);
  X509Ptr certificate = ParseCertificate(*device);
  EXPECT_EQ(VerifyChain(ca_cert_.get(), certificate.get(), kNow, X509_PURPOSE_SSL_CLIENT),
            X509_V_OK);
}

TEST_F(CaTest, FromPemRefusesMismatchesAndNonCas) {
  auto pem = ca_->ToPem();
  ASSERT_TRUE(pem);
  auto other = CertificateAuthority::Create("other", kNow, days(10));
  ASSERT_TRUE(other);
  auto other_pem = other->ToPem();
  ASSERT_TRUE(other_pem);
  auto mismatch = CertificateAuthority::FromPem(pem->certificate_pem, other_pem->private_key_pem);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().field, "private_key");
  EXPECT_EQ(mismatch.error().message.find("PRIVATE KEY"), std::string::npos);

  auto server = ca_->IssueServerCertificate({{"localhost"}, {}}, kNow, days(10));
  ASSERT_TRUE(server);
  auto not_ca = CertificateAuthority::FromPem(server->certificate_pem, server->private_key_pem);
  ASSERT_FALSE(not_ca);
  EXPECT_EQ(not_ca.error().field, "certificate");

  auto garbage = CertificateAuthority::FromPem("garbage", pem->private_key_pem);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().field, "certificate");
  auto bad_key = CertificateAuthority::FromPem(pem->certificate_pem, "garbage");
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().field, "private_key");
}

TEST(RandomSerialNumber, IsPositiveNonZeroAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const SerialNumber serial = RandomSerialNumber();
    EXPECT_EQ(serial[0] & 0x80, 0);
    EXPECT_NE(serial, SerialNumber{});
    EXPECT_EQ(ToHex(serial).size(), 32u);
    seen.insert(ToHex(serial));
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace groundcrew::identity

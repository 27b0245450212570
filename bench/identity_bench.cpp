// What one sign-in and one device proof cost the service in CPU (docs/performance.md,
// "Identity"): argon2id verification dominates a sign-in by design; the rest is microseconds.
#include <benchmark/benchmark.h>

#include <chrono>

#include "identity/ca.hpp"
#include "identity/device_key.hpp"
#include "identity/password.hpp"
#include "identity/token.hpp"
#include "identity/totp.hpp"

namespace groundcrew::identity {
namespace {

const std::chrono::sys_seconds kNow{std::chrono::seconds(1'800'000'000)};

void BM_VerifyPasswordInteractive(benchmark::State& state) {
  const std::string hash = HashPassword("correct horse battery staple").value();
  for (auto _ : state) benchmark::DoNotOptimize(VerifyPassword(hash, "correct horse battery"));
}
BENCHMARK(BM_VerifyPasswordInteractive)->Unit(benchmark::kMillisecond);

void BM_VerifyTotp(benchmark::State& state) {
  const std::string secret = NewTotpSecret();
  const std::string code = GenerateTotp(secret, kNow).value();
  for (auto _ : state) benchmark::DoNotOptimize(VerifyTotp(secret, code, kNow, -1));
}
BENCHMARK(BM_VerifyTotp)->Unit(benchmark::kMicrosecond);

void BM_VerifyDeviceProof(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / "gc-bench-device-key";
  auto key = FileDeviceKey::OpenOrCreate(dir).value();
  const std::string message = ProofMessage("nonce-nonce-nonce", "SN-1", "groundcrew");
  const Signature signature = key->Sign(message).value();
  const DevicePublicKey public_key = key->PublicKey().value();
  for (auto _ : state) {
    benchmark::DoNotOptimize(VerifyDeviceSignature(public_key, message, signature));
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_VerifyDeviceProof)->Unit(benchmark::kMicrosecond);

Claims DeviceClaims() {
  Claims claims;
  claims.issuer = "groundcrew";
  claims.subject = "0f8e2c1a-7d4b-4c3e-9a1f-2b3c4d5e6f70";
  claims.audience = Audience::kDevice;
  claims.issued_at = kNow;
  claims.expires_at = kNow + std::chrono::minutes(15);
  return claims;
}

void BM_IssueToken(benchmark::State& state) {
  const KeyRing ring = KeyRing::Create(kNow);
  for (auto _ : state) benchmark::DoNotOptimize(Issue(ring, DeviceClaims()));
}
BENCHMARK(BM_IssueToken)->Unit(benchmark::kMicrosecond);

void BM_VerifyToken(benchmark::State& state) {
  const KeyRing ring = KeyRing::Create(kNow);
  const std::string token = Issue(ring, DeviceClaims()).value().token;
  for (auto _ : state) {
    benchmark::DoNotOptimize(Verify(ring, token, Audience::kDevice, kNow, nullptr));
  }
}
BENCHMARK(BM_VerifyToken)->Unit(benchmark::kMicrosecond);

void BM_SignDeviceCertificate(benchmark::State& state) {
  const CertificateAuthority ca =
      CertificateAuthority::Create("Bench CA", kNow, std::chrono::hours(24 * 3650)).value();
  const std::string csr = MakeCsr(GenerateP256KeyPem().value(), "SN-1").value();
  for (auto _ : state) {
    benchmark::DoNotOptimize(ca.IssueFromCsr(csr, "SN-1", 365, kNow, RandomSerialNumber()));
  }
}
BENCHMARK(BM_SignDeviceCertificate)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace groundcrew::identity

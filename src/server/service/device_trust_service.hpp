#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/esp/plan.hpp"
#include "core/targeting/targeting.hpp"
#include "identity/ca.hpp"
#include "identity/rate_limit.hpp"
#include "server/service/catalog.hpp"
#include "server/service/context.hpp"
#include "server/service/device_service.hpp"
#include "server/service/throttle.hpp"
#include "server/service/token_service.hpp"
#include "server/store/store.hpp"

// What a device does for itself during Device preparation, authenticated by its own key
// (DESIGN.md §6): prove the key (a signed server nonce → a short-lived device token), join the
// directory, enroll (a certificate from the tenant's CA), read its own registration, profile,
// plan and app content, and reseal. A device token for device A never reads or changes device
// B: asking for B answers kNotFound, exactly as for a device that does not exist.
namespace groundcrew::service {

/// What device proofs sign as the audience (identity::ProofMessage), besides the nonce.
inline constexpr std::string_view kDeviceProofPurpose = "deviceProof";
/// How long a device-proof nonce may be answered.
inline constexpr std::chrono::seconds kDeviceNonceLifetime{std::chrono::minutes(2)};

/// What a consumed device-proof nonce is recorded as in the ChallengeStore (until it expires).
inline constexpr std::string_view kUsedNoncePurpose = "usedDeviceNonce";

struct DeviceTrustOptions {
  int certificate_validity_days = 365;  ///< device certificates; at least 180 (issue 4)
  /// Nonces one source address may ask for: a burst, then a steady rate (AdmitNonce).
  identity::RateLimit nonce_rate{.burst = 300, .per_second = 50};
  /// SECRET: the key nonces are signed with (identity::kNonceKeyBytes); Services passes
  /// Secrets::nonce_key. Empty: a fresh key for this process only.
  std::string nonce_key;
  /// Whether proofs also sweep the records of expired nonces (every 256 proofs). True for one
  /// instance; false when several share the store and only the leader sweeps (LeaderJobs).
  bool housekeeping_on_proof = true;
};

/// An authenticated device: the registration id its token names.
struct DeviceCaller {
  std::string device_id;
  std::string token_id;
};

/// What an unknown device id answers — and, so that ids cannot be probed, another device's id.
Error NoSuchDevice(std::string_view id);

/// The caller's own registration `id`: NoSuchDevice unless `id` is the caller's and exists.
[[nodiscard]] Result<store::DeviceRecord> OwnDevice(store::DeviceStore& devices,
                                                    const DeviceCaller& caller,
                                                    std::string_view id);

/// Every item of the plans `device` may be running: its technician flow's Device setup and, for
/// its assigned user and the user who last signed in on it (`trust`'s primary user), the user
/// flow's Device setup (nothing reported installed) and Account setup. What a device may fetch
/// (content, certificates) is decided against these.
[[nodiscard]] Result<std::vector<core::PlanItem>> ItemsTheDeviceMayRun(
    const core::TargetingIndex& index, const core::AutopilotDeviceIdentity& device,
    const std::optional<store::DeviceTrustRecord>& trust);

class DeviceTrustService {
 public:
  DeviceTrustService(store::Store& store, Catalog& catalog, DeviceService& devices,
                     TokenService& tokens, const identity::CertificateAuthority& ca,
                     std::string ca_certificate_pem, Clock clock, DeviceTrustOptions options = {});

  /// Whether a nonce request from `source_address` is within options().nonce_rate now: nullopt,
  /// or the 429 refusal (field "serialNumber") with when to retry. Callers ask before NewNonce.
  [[nodiscard]] std::optional<Throttle> AdmitNonce(std::string_view source_address);

  /// A fresh single-use nonce for the device with `serial_number` to sign:
  /// {"nonce", "audience", "expirationDateTime"}. Stateless: the nonce is signed with the nonce
  /// key (identity::IssueNonce) and nothing is stored. Issued for any serial number (whether it
  /// is registered is told only to a device that proves its key). kInvalidArgument
  /// ("serialNumber") when empty or longer than 256 bytes.
  [[nodiscard]] Result<boost::json::object> NewNonce(std::string_view serial_number);

  /// Checks a proof: `signature_base64` (standard base64 of 64 bytes) must be the device key's
  /// Ed25519 signature of identity::ProofMessage(nonce, serial_number, audience) for a nonce
  /// from NewNonce for this serial number (with this service's nonce key, so also one issued
  /// before a restart), unexpired and unused: a successful proof records the nonce
  /// (kUsedNoncePurpose, until it expires) and a second proof with it is refused. The key is the
  /// one in the hardware hash the device was registered with. Answers {"token", "tokenType":
  /// "Bearer", "expirationDateTime", "deviceId"}. Refusals are kUnauthenticated naming "nonce",
  /// "serialNumber" or "signature", with a reason a technician can act on.
  [[nodiscard]] Result<boost::json::object> Prove(std::string_view serial_number,
                                                  std::string_view nonce,
                                                  std::string_view signature_base64);

  /// The device behind a device token (Authorization header value). kUnauthenticated when the
  /// token is not a valid, unrevoked device token of this service.
  [[nodiscard]] Result<DeviceCaller> Authenticate(std::string_view authorization);

  /// The device's own registration, organization, assigned user, deployment profile (null when
  /// none applies) and trust state. kNotFound unless `id` is the caller's.
  [[nodiscard]] Result<boost::json::object> Registration(const DeviceCaller& caller,
                                                         std::string_view id);

  /// The device's plan (the document of docs/admin-api.md). kNotFound unless `id` is the
  /// caller's.
  [[nodiscard]] Result<boost::json::object> Plan(const DeviceCaller& caller, std::string_view id);

  /// Joins the device to the directory: the directory object gets a deviceId (kept across
  /// re-joins), trust type AzureAd and its name (the registration's displayName, else the
  /// profile's template with %SERIAL% and fresh %RAND% digits). kFailedPrecondition when no
  /// deployment profile applies to the device.
  [[nodiscard]] Result<boost::json::object> Join(const DeviceCaller& caller, std::string_view id);

  /// Enrolls a joined device: signs its certificate request (PKCS#10 PEM, ECDSA P-256) with the
  /// tenant's CA for options().certificate_validity_days, subject CN=<device id>; the
  /// registration becomes "enrolled" with a managed device id. Answers {"certificate",
  /// "caCertificate", "certificateSerialNumber", "certificateExpirationDateTime",
  /// "managedDeviceId"}. kFailedPrecondition before Join, and after a reseal until an admin
  /// reprovisions the device (Autopilot's 0x80180014); kInvalidArgument ("csr") for a bad
  /// request.
  [[nodiscard]] Result<boost::json::object> Enroll(const DeviceCaller& caller, std::string_view id,
                                                   std::string_view csr_pem);

  /// Records that the technician resealed the enrolled device. The user flow may start at once
  /// (DESIGN.md §4.2): the device proves its key again then. Answers {"resealedDateTime",
  /// "userFlowAvailableDateTime", "credentialsValidUntil"} — the last being when the device's
  /// certificate expires. kFailedPrecondition unless enrolled.
  [[nodiscard]] Result<boost::json::object> Reseal(const DeviceCaller& caller, std::string_view id);

  /// Whether the device may download the content with `sha256`: the content of an app in its
  /// technician plan, or in the user-flow plan of its assigned user or of the user who last
  /// signed in on it. kNotFound unless `id` is the caller's or when the content is not its.
  [[nodiscard]] Status MayReadContent(const DeviceCaller& caller, std::string_view id,
                                      std::string_view sha256);

  const std::string& ca_certificate_pem() const { return ca_certificate_pem_; }

  /// Nonce requests refused by the rate limit since start (for /metrics).
  uint64_t nonces_rate_limited() const { return nonces_rate_limited_.load(); }

 private:
  store::Store& store_;
  Catalog& catalog_;
  DeviceService& devices_;
  TokenService& tokens_;
  const identity::CertificateAuthority& ca_;
  std::string ca_certificate_pem_;
  Clock clock_;
  DeviceTrustOptions options_;
  RateLimiter nonce_limiter_;
  std::atomic<uint64_t> nonces_rate_limited_{0};
  std::atomic<uint64_t> proofs_{0};
};

}  // namespace groundcrew::service

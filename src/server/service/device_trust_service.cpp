#include "server/service/device_trust_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "common/base64.hpp"
#include "core/esp/plan.hpp"
#include "core/naming/device_name.hpp"
#include "core/registration/hardware_hash.hpp"
#include "identity/device_key.hpp"
#include "identity/nonce.hpp"
#include "identity/random.hpp"
#include "server/service/catalog_service.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::service {
namespace {

namespace json = boost::json;
using store::DeviceRecord;

constexpr size_t kMaxSerialBytes = 256;
constexpr uint64_t kPurgeEvery = 64;  // successful proofs between sweeps of expired challenges

Error ProofFailed(std::string reason, std::string field) {
  return MakeError(ErrorCode::kUnauthenticated, "device proof failed: " + std::move(reason),
                   std::move(field));
}

Actor DeviceActor(const core::AutopilotDeviceIdentity& device) {
  return Actor{"device:" + device.serial_number, store::CredentialRole::kReader};
}

// `count` random decimal digits (for %RAND% in device names).
std::string RandomDigits(int count) {
  std::string digits;
  while (static_cast<int>(digits.size()) < count) {
    for (char c : identity::RandomToken(16)) {
      // base64url characters: keep those that map without bias onto 0-9 (the first 60 of 64).
      const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      const size_t value = static_cast<size_t>(std::strchr(alphabet, c) - alphabet);
      if (value < 60 && static_cast<int>(digits.size()) < count) {
        digits.push_back(static_cast<char>('0' + value % 10));
      }
    }
  }
  return digits;
}

json::object TrustJson(const std::optional<store::DeviceTrustRecord>& trust) {
  json::object out{{"joined", false}, {"enrolled", false}, {"resealedDateTime", nullptr}};
  if (!trust) return out;
  const store::DeviceTrust& t = trust->value;
  out["joined"] = t.joined_date_time.has_value();
  out["enrolled"] = t.enrolled_date_time.has_value();
  if (!t.directory_device_id.empty()) out["deviceId"] = t.directory_device_id;
  if (!t.display_name.empty()) out["displayName"] = t.display_name;
  if (t.certificate_expiration_date_time) {
    out["certificateExpirationDateTime"] =
        wire::FormatTimestamp(*t.certificate_expiration_date_time);
  }
  if (t.resealed_date_time) out["resealedDateTime"] = wire::FormatTimestamp(*t.resealed_date_time);
  return out;
}

}  // namespace

DeviceTrustService::DeviceTrustService(store::Store& store, Catalog& catalog,
                                       DeviceService& devices, TokenService& tokens,
                                       const identity::CertificateAuthority& ca,
                                       std::string ca_certificate_pem, Clock clock,
                                       DeviceTrustOptions options)
    : store_(store),
      catalog_(catalog),
      devices_(devices),
      tokens_(tokens),
      ca_(ca),
      ca_certificate_pem_(std::move(ca_certificate_pem)),
      clock_(std::move(clock)),
      options_(std::move(options)),
      nonce_limiter_(options_.nonce_rate) {
  if (options_.nonce_key.size() != identity::kNonceKeyBytes) {
    options_.nonce_key = identity::NewNonceKey();
  }
}

std::optional<Throttle> DeviceTrustService::AdmitNonce(std::string_view source_address) {
  const core::Timestamp now = clock_();
  std::optional<std::chrono::seconds> wait = nonce_limiter_.Take(source_address, now);
  if (!wait) return std::nullopt;
  nonces_rate_limited_.fetch_add(1, std::memory_order_relaxed);
  return TooManyRequests("nonce requests from this address", "serialNumber", *wait, now);
}

Result<json::object> DeviceTrustService::NewNonce(std::string_view serial_number) {
  if (serial_number.empty() || serial_number.size() > kMaxSerialBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("serialNumber: must be 1 to {} bytes", kMaxSerialBytes),
                     "serialNumber");
  }
  const core::Timestamp expires = clock_() + kDeviceNonceLifetime;
  return json::object{{"nonce", identity::IssueNonce(options_.nonce_key, serial_number, expires)},
                      {"audience", tokens_.options().issuer},
                      {"expirationDateTime", wire::FormatTimestamp(expires)}};
}

Result<json::object> DeviceTrustService::Prove(std::string_view serial_number,
                                               std::string_view nonce,
                                               std::string_view signature_base64) {
  const core::Timestamp now = clock_();
  // The nonce's own signature and expiry first: nothing is read or written for a forged one.
  Result<core::Timestamp> nonce_expires =
      identity::CheckNonce(options_.nonce_key, nonce, serial_number, now);
  if (!nonce_expires) return ProofFailed(nonce_expires.error().message, "nonce");
  Result<std::optional<DeviceRecord>> found = store_.devices().FindBySerialNumber(serial_number);
  if (!found) return found.error();
  if (!*found) {
    return ProofFailed(fmt::format("no device with serial number {} is registered with the "
                                   "organization; import its registration row first",
                                   serial_number),
                       "serialNumber");
  }
  const core::AutopilotDeviceIdentity& device = (*found)->value;
  if (!core::IsGroundcrewHardwareHash(device.hardware_identifier)) {
    return ProofFailed(
        "the device was registered with a hardware hash that carries no device "
        "key; register it with the row `groundcrew-agent hwid` prints",
        "serialNumber");
  }
  Result<core::HardwareHashFields> fields = core::DecodeHardwareHash(device.hardware_identifier);
  if (!fields) return ProofFailed("the registered hardware hash cannot be read", "serialNumber");
  Result<std::string> signature = base64::Decode(signature_base64);
  if (!signature || signature->size() != identity::kSignatureSize) {
    return ProofFailed("signature: must be the base64 of a 64-byte Ed25519 signature", "signature");
  }
  identity::Signature raw{};
  std::copy(signature->begin(), signature->end(), raw.begin());
  const std::string message =
      identity::ProofMessage(nonce, serial_number, tokens_.options().issuer);
  if (!identity::VerifyDeviceSignature(fields->public_key, message, raw)) {
    return ProofFailed("the signature was not made with the key this device was registered with",
                       "signature");
  }
  // Single use: the first successful proof records the nonce until it expires; a replay (or the
  // loser of two racing proofs) finds it taken.
  if (options_.housekeeping_on_proof &&
      proofs_.fetch_add(1, std::memory_order_relaxed) % kPurgeEvery == 0) {
    (void)store_.challenges().DeleteExpired(now);  // housekeeping; failure changes nothing
  }
  store::Challenge used;
  used.id = "nonce:" + std::string(nonce);
  used.purpose = std::string(kUsedNoncePurpose);
  used.subject = std::string(serial_number);
  used.expires_date_time = *nonce_expires;
  if (Status recorded = store_.challenges().Create(used); !recorded) {
    if (recorded.error().code == ErrorCode::kAlreadyExists) {
      return ProofFailed("the nonce was already used; ask for a new one", "nonce");
    }
    return recorded.error();
  }
  Result<identity::IssuedToken> token = tokens_.IssueDeviceToken(device.id.value());
  if (!token) return token.error();
  return json::object{{"token", token->token},
                      {"tokenType", "Bearer"},
                      {"expirationDateTime", wire::FormatTimestamp(token->claims.expires_at)},
                      {"issuedDateTime", wire::FormatTimestamp(token->claims.issued_at)},
                      {"deviceId", device.id.value()}};
}

Result<DeviceCaller> DeviceTrustService::Authenticate(std::string_view authorization) {
  Result<identity::Claims> claims =
      tokens_.Authenticate(authorization, identity::Audience::kDevice);
  if (!claims) return claims.error();
  return DeviceCaller{claims->subject, claims->id};
}

Error NoSuchDevice(std::string_view id) {
  return MakeError(ErrorCode::kNotFound, fmt::format("no device has id {}", id), "id");
}

Result<std::vector<core::PlanItem>> ItemsTheDeviceMayRun(
    const core::TargetingIndex& index, const core::AutopilotDeviceIdentity& device,
    const std::optional<store::DeviceTrustRecord>& trust) {
  std::vector<const core::User*> users;
  if (const core::User* assigned = index.FindUserByPrincipalName(device.user_principal_name)) {
    users.push_back(assigned);
  }
  if (trust && !trust->value.primary_user_id.empty()) {
    for (const core::User& user : index.tenant().users) {
      if (user.id.value() == trust->value.primary_user_id) users.push_back(&user);
    }
  }
  std::vector<core::PlanItem> items;
  auto collect = [&](const core::PhasePlan& phase) {
    items.insert(items.end(), phase.items.begin(), phase.items.end());
  };
  const core::DirectoryDevice directory = core::PlaceholderFor(device);
  core::PlanRequest technician;
  technician.flow = core::Flow::kTechnician;
  technician.device = &directory;
  technician.registration = &device;
  Result<core::EspPlan> plan = core::BuildEspPlan(index, technician);
  if (!plan) return plan.error();
  collect(plan->device_setup);
  for (const core::User* user : users) {
    core::PlanRequest user_flow = technician;
    user_flow.flow = core::Flow::kUser;
    user_flow.user = user;
    Result<core::EspPlan> user_plan = core::BuildEspPlan(index, user_flow);
    if (!user_plan) return user_plan.error();
    collect(user_plan->device_setup);
    if (user_plan->account_setup) collect(*user_plan->account_setup);
  }
  return items;
}

Result<DeviceRecord> OwnDevice(store::DeviceStore& devices, const DeviceCaller& caller,
                               std::string_view id) {
  if (id != caller.device_id) return NoSuchDevice(id);
  Result<DeviceRecord> record = devices.Get(core::ZtdId{std::string(id)});
  if (!record && record.error().code == ErrorCode::kNotFound) return NoSuchDevice(id);
  return record;
}

Result<json::object> DeviceTrustService::Registration(const DeviceCaller& caller,
                                                      std::string_view id) {
  Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id);
  if (!record) return record.error();
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::TargetingIndex& index = *(*snapshot)->index;
  const core::AutopilotDeviceIdentity& device = record->value;
  const core::DeploymentProfile* profile =
      index.DeploymentProfileFor(index.DeviceGroups(core::PlaceholderFor(device)));
  Result<std::optional<store::DeviceTrustRecord>> trust = store_.device_trust().Find(id);
  if (!trust) return trust.error();
  json::object out;
  out["device"] = wire::Encode(device);
  out["organizationName"] = index.tenant().settings.organization_name;
  out["deploymentProfile"] = profile ? json::value(wire::Encode(*profile)) : json::value(nullptr);
  out["trust"] = TrustJson(*trust);
  return out;
}

Result<json::object> DeviceTrustService::Plan(const DeviceCaller& caller, std::string_view id) {
  Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id);
  if (!record) return record.error();
  return devices_.Plan(record->value.serial_number, "");
}

Result<json::object> DeviceTrustService::Join(const DeviceCaller& caller, std::string_view id) {
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::TargetingIndex& index = *(*snapshot)->index;
  const core::Timestamp now = clock_();
  store::DeviceTrust joined;
  core::AutopilotDeviceIdentity device;
  Status done = store_.Transact([&]() -> Status {
    Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id);
    if (!record) return record.error();
    device = record->value;
    const core::DeploymentProfile* profile =
        index.DeploymentProfileFor(index.DeviceGroups(core::PlaceholderFor(device)));
    if (profile == nullptr) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "no deployment profile is assigned to this device, so it cannot join; "
                       "assign a profile to one of its groups",
                       "deploymentProfile");
    }
    Result<std::optional<store::DeviceTrustRecord>> existing = store_.device_trust().Find(id);
    if (!existing) return existing.error();
    joined = *existing ? (*existing)->value : store::DeviceTrust{};
    joined.device_id = std::string(id);
    if (joined.directory_device_id.empty()) joined.directory_device_id = identity::RandomUuid();
    joined.trust_type = core::TrustType::kAzureAd;
    joined.display_name = device.display_name;
    if (joined.display_name.empty() && !profile->device_name_template.empty()) {
      Result<core::NameTemplate> name_template =
          core::ParseNameTemplate(profile->device_name_template);
      if (name_template) {
        Result<std::string> name = core::ExpandName(*name_template, device.serial_number,
                                                    RandomDigits(name_template->random_digits));
        if (name) joined.display_name = *name;
      }
    }
    if (joined.display_name.empty()) joined.display_name = device.serial_number;
    joined.joined_date_time = now;
    joined.updated_date_time = now;
    Result<store::DeviceTrustRecord> stored = store_.device_trust().Put(
        joined, *existing ? std::optional<int64_t>((*existing)->version) : std::nullopt);
    if (!stored) return stored.error();
    device.last_contacted_date_time = now;
    if (Result<DeviceRecord> touched = store_.devices().Update(device, record->version); !touched) {
      return touched.error();
    }
    return Audit(store_, DeviceActor(device), now, "join", "autopilotDevices", device.id.value(),
                 device.serial_number);
  });
  if (!done) return done.error();
  json::array physical_ids;
  for (const std::string& physical : core::PhysicalIdsFor(device)) {
    physical_ids.push_back(json::string(physical));
  }
  return json::object{{"deviceId", joined.directory_device_id},
                      {"objectId", device.azure_ad_device_id.value()},
                      {"displayName", joined.display_name},
                      {"trustType", "AzureAd"},
                      {"devicePhysicalIds", std::move(physical_ids)},
                      {"organizationName", index.tenant().settings.organization_name},
                      {"joinedDateTime", wire::FormatTimestamp(now)}};
}

Result<json::object> DeviceTrustService::Enroll(const DeviceCaller& caller, std::string_view id,
                                                std::string_view csr_pem) {
  const core::Timestamp now = clock_();
  const identity::SerialNumber serial = identity::RandomSerialNumber();
  std::string certificate;
  std::string managed_device_id;
  core::Timestamp expires{};
  Status done = store_.Transact([&]() -> Status {
    Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id);
    if (!record) return record.error();
    Result<std::optional<store::DeviceTrustRecord>> trust = store_.device_trust().Find(id);
    if (!trust) return trust.error();
    if (!*trust || !(*trust)->value.joined_date_time) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the device has not joined the organization yet; join before enrolling",
                       "id");
    }
    if ((*trust)->value.resealed_date_time) {  // Autopilot's 0x80180014 case (spec §4.6)
      return MakeError(ErrorCode::kFailedPrecondition,
                       "0x80180014: this device was already pre-provisioned and resealed; to "
                       "provision it again an admin runs `groundcrew devices reprovision` first",
                       "id");
    }
    Result<std::string> issued =
        ca_.IssueFromCsr(csr_pem, std::string(id), options_.certificate_validity_days, now, serial);
    if (!issued) return issued.error();
    certificate = std::move(*issued);
    expires = now + std::chrono::days(options_.certificate_validity_days);
    store::DeviceTrust enrolled = (*trust)->value;
    enrolled.certificate_serial = identity::ToHex(serial);
    enrolled.certificate_expiration_date_time = expires;
    enrolled.enrolled_date_time = now;
    enrolled.resealed_date_time.reset();
    enrolled.updated_date_time = now;
    if (Result<store::DeviceTrustRecord> stored =
            store_.device_trust().Put(enrolled, (*trust)->version);
        !stored) {
      return stored.error();
    }
    core::AutopilotDeviceIdentity device = record->value;
    if (device.managed_device_id.empty()) device.managed_device_id = identity::RandomUuid();
    managed_device_id = device.managed_device_id;
    device.enrollment_state = core::EnrollmentState::kEnrolled;
    device.last_contacted_date_time = now;
    if (Result<DeviceRecord> updated = store_.devices().Update(device, record->version); !updated) {
      return updated.error();
    }
    return Audit(store_, DeviceActor(device), now, "enroll", "autopilotDevices", device.id.value(),
                 device.serial_number,
                 fmt::format(R"({{"certificateSerialNumber":"{}"}})", identity::ToHex(serial)));
  });
  if (!done) return done.error();
  return json::object{{"certificate", certificate},
                      {"caCertificate", ca_certificate_pem_},
                      {"certificateSerialNumber", identity::ToHex(serial)},
                      {"certificateExpirationDateTime", wire::FormatTimestamp(expires)},
                      {"managedDeviceId", managed_device_id}};
}

Result<json::object> DeviceTrustService::Reseal(const DeviceCaller& caller, std::string_view id) {
  const core::Timestamp now = clock_();
  store::DeviceTrust resealed;
  Status done = store_.Transact([&]() -> Status {
    Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id);
    if (!record) return record.error();
    Result<std::optional<store::DeviceTrustRecord>> trust = store_.device_trust().Find(id);
    if (!trust) return trust.error();
    if (!*trust || !(*trust)->value.enrolled_date_time ||
        record->value.enrollment_state != core::EnrollmentState::kEnrolled) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "only an enrolled device can be resealed; run Device preparation first",
                       "id");
    }
    resealed = (*trust)->value;
    resealed.resealed_date_time = now;
    resealed.updated_date_time = now;
    if (Result<store::DeviceTrustRecord> stored =
            store_.device_trust().Put(resealed, (*trust)->version);
        !stored) {
      return stored.error();
    }
    return Audit(store_, DeviceActor(record->value), now, "reseal", "autopilotDevices",
                 record->value.id.value(), record->value.serial_number);
  });
  if (!done) return done.error();
  return json::object{
      {"resealedDateTime", wire::FormatTimestamp(now)},
      {"userFlowAvailableDateTime", wire::FormatTimestamp(now)},
      {"credentialsValidUntil", wire::FormatTimestamp(*resealed.certificate_expiration_date_time)}};
}

Status DeviceTrustService::MayReadContent(const DeviceCaller& caller, std::string_view id,
                                          std::string_view sha256) {
  Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id);
  if (!record) return record.error();
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::TargetingIndex& index = *(*snapshot)->index;
  Result<std::optional<store::DeviceTrustRecord>> trust = store_.device_trust().Find(id);
  if (!trust) return trust.error();
  Result<std::vector<core::PlanItem>> items = ItemsTheDeviceMayRun(index, record->value, *trust);
  if (!items) return items.error();
  std::vector<std::string> app_ids;
  for (const core::PlanItem& item : *items) {
    if (item.kind == core::ItemKind::kApp) app_ids.push_back(item.id);
  }
  for (const core::App& app : index.tenant().apps) {
    if (app.content.sha256 == sha256 &&
        std::find(app_ids.begin(), app_ids.end(), app.id.value()) != app_ids.end()) {
      return Ok{};
    }
  }
  return MakeError(ErrorCode::kNotFound, fmt::format("no content {} for this device", sha256),
                   "sha256");
}

}  // namespace groundcrew::service

// Sign-in hardening over a real (in-memory) SQLite store (issue 14, findings 4, 5, 8 and 11):
// lockout per (user, device), per source and per account with familiar devices; locks checked
// before hashing; the password-hash pool; rate limits; stateless device-proof nonces.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/base64.hpp"
#include "core/registration/hardware_hash.hpp"
#include "identity/device_key.hpp"
#include "identity/nonce.hpp"
#include "identity/totp.hpp"
#include "server/service/services.hpp"
#include "server/store_sqlite/sqlite_store.hpp"
#include "tests/service/contoso_store.hpp"

namespace groundcrew::service {
namespace {

namespace json = boost::json;
using std::chrono::seconds;
using store::ResourceKind;

constexpr const char* kPassword = "correct horse battery staple 42";
constexpr const char* kWrong = "not the password at all";
constexpr const char* kSeed = "0123456789abcdef0123";  // adele's authenticator seed (raw)
constexpr const char* kAdele = "adele@contoso.com";
constexpr const char* kAttacker = "203.0.113.9";
constexpr const char* kOffice = "198.51.100.7";

std::string SeedFor(const std::string& serial) {
  std::string seed(32, '\0');
  for (size_t i = 0; i < serial.size() && i < seed.size(); ++i) seed[i] = serial[i];
  return seed;
}

class SignInTest : public ::testing::Test {
 protected:
  // The service with `options` (the minimum hash cost), the users adele and megan (adele with
  // a password and MFA), and the devices GC-A and GC-C (no assigned user) and GC-B (adele's).
  void Start(SignInOptions options = {}, std::unique_ptr<store::sqlite::SqliteStore> store = {}) {
    options.password_cost = identity::kMinimumPasswordCost;
    options.observer = [this](const SignInEvent& event) { events_.push_back(event); };
    store_ = store ? std::move(store) : ContosoStore(now_);
    ASSERT_NE(store_, nullptr);
    IdentityOptions identity;
    identity.sign_in = options;
    Secrets secrets = CreateSecrets("Contoso", now_).value();
    secrets.nonce_key = nonce_key_;  // kept across restarts, as in the data directory
    services_ = std::make_unique<Services>(
        *store_, ContentStore("/nonexistent"), "/nonexistent/diagnostics", [this] { return now_; },
        std::move(secrets), SaveKeys{}, identity);
    for (const char* upn : {kAdele, "megan@contoso.com"}) {
      auto created =
          services_->resources.Create(admin_, ResourceKind::kUser, {{"userPrincipalName", upn}});
      ASSERT_TRUE(created) << created.error().message;
      ids_[upn] = std::string(created->at("id").as_string());
    }
    ASSERT_TRUE(services_->sign_in.SetPassword(admin_, ids_[kAdele], kPassword));
    ASSERT_TRUE(services_->sign_in.EnrollMfa(admin_, ids_[kAdele], kSeed));
    Import("GC-A", "");
    Import("GC-B", kAdele);
    Import("GC-C", "");
  }

  void Import(const std::string& serial, const std::string& assigned) {
    identity::SeededDeviceKey key(SeedFor(serial));
    const std::string hash = core::EncodeHardwareHash(
        core::HardwareHashFields{serial, "Contoso", "Laptop", key.PublicKey().value()});
    auto imported = services_->devices.Import(
        admin_, "Device Serial Number,Windows Product ID,Hardware Hash,Assigned User\r\n" + serial +
                    ",," + base64::Encode(hash) + "," + assigned + "\r\n");
    ASSERT_TRUE(imported) << imported.error().message;
    ASSERT_EQ(imported->imported.size(), 1u);
    devices_[serial] = imported->imported[0].value.id.value();
  }

  DeviceCaller On(const std::string& serial) { return DeviceCaller{devices_[serial], "token"}; }

  Result<SignInStep> Begin(const std::string& serial, const std::string& upn,
                           const std::string& password, const std::string& source = kOffice) {
    return services_->sign_in.Begin(On(serial), devices_[serial], upn, password, source);
  }

  // Password, then adele's code: the final step's status ("signedIn" when it worked), or the
  // refusal's reason, or the error's message.
  std::string SignInWithMfa(const std::string& serial, const std::string& source = kOffice) {
    Result<SignInStep> first = Begin(serial, kAdele, kPassword, source);
    if (!first) return first.error().message;
    if (first->refused()) return std::string(first->body.at("reason").as_string());
    const std::string challenge(first->body.at("challengeId").as_string());
    Result<SignInStep> second =
        services_->sign_in.Complete(On(serial), devices_[serial], challenge,
                                    identity::GenerateTotp(kSeed, now_).value(), source);
    if (!second) return second.error().message;
    if (second->refused()) return std::string(second->body.at("reason").as_string());
    return std::string(second->body.at("status").as_string());
  }

  int Count(SignInEvent::Kind kind, const std::string& reason = "") {
    int n = 0;
    for (const SignInEvent& e : events_)
      n += e.kind == kind && (reason.empty() || e.reason == reason);
    return n;
  }

  core::Timestamp now_{std::chrono::seconds(1'800'000'000)};
  std::string nonce_key_ = identity::NewNonceKey();
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<Services> services_;
  Actor admin_{"admin", store::CredentialRole::kAdmin};
  std::map<std::string, std::string> ids_;      // upn -> user id
  std::map<std::string, std::string> devices_;  // serial -> registration id
  std::vector<SignInEvent> events_;
};

TEST_F(SignInTest, AnotherDevicesWrongPasswordsDoNotStopTheUserOnHerOwnDevice) {
  SignInOptions options;
  options.lockout.max_failures = 3;  // the account locks before GC-A's pair (5)
  Start(options);
  for (int i = 0; i < 10; ++i) {
    Result<SignInStep> wrong = Begin("GC-A", kAdele, kWrong, kAttacker);
    EXPECT_TRUE(!wrong || wrong->refused()) << i;
  }
  // Her own device (assigned to her) has not failed: the right password and code still work.
  EXPECT_EQ(SignInWithMfa("GC-B"), "signedIn");
  // The attacker's device is locked for her, and so is any device she never used.
  Result<SignInStep> on_a = Begin("GC-A", kAdele, kPassword, kAttacker);
  ASSERT_TRUE(on_a);
  EXPECT_TRUE(on_a->refused());
  EXPECT_EQ(on_a->body.at("reason"), "accountLocked");
  Result<SignInStep> on_c = Begin("GC-C", kAdele, kPassword, kOffice);
  ASSERT_TRUE(on_c);
  EXPECT_TRUE(on_c->refused());
  EXPECT_EQ(Count(SignInEvent::Kind::kLockout, "account"), 1);
  // The admin sees the locks, and unlocking clears them all.
  json::object state = services_->sign_in.State(ids_[kAdele]).value();
  EXPECT_FALSE(state.at("lockedUntil").is_null()) << state;
  ASSERT_EQ(state.at("deviceLocks").as_array().size(), 1u) << state;
  EXPECT_EQ(state.at("deviceLocks").as_array()[0].at("deviceId").as_string(), devices_["GC-A"]);
  ASSERT_TRUE(services_->sign_in.Unlock(admin_, ids_[kAdele]));
  state = services_->sign_in.State(ids_[kAdele]).value();
  EXPECT_TRUE(state.at("lockedUntil").is_null()) << state;
  EXPECT_TRUE(state.at("deviceLocks").as_array().empty()) << state;
  now_ += seconds(30);  // a fresh TOTP step
  EXPECT_EQ(SignInWithMfa("GC-A"), "signedIn");
}

TEST_F(SignInTest, ADeviceLocksForTheUserBeforeTheAccountDoes) {
  Start();  // the account's default: 10
  for (int i = 0; i < 5; ++i) {
    Result<SignInStep> wrong = Begin("GC-A", kAdele, kWrong);
    ASSERT_FALSE(wrong) << i;
    EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);
  }
  EXPECT_EQ(Count(SignInEvent::Kind::kLockout, "device"), 1);
  Result<SignInStep> on_a = Begin("GC-A", kAdele, kPassword);
  ASSERT_TRUE(on_a);
  ASSERT_TRUE(on_a->refused());
  EXPECT_EQ(on_a->body.at("reason"), "accountLocked");
  EXPECT_NE(std::string(on_a->body.at("message").as_string()).find("on this device"),
            std::string::npos)
      << on_a->body;
  // Another device, even one she never used, is not locked: the account has 5 of 10.
  EXPECT_EQ(SignInWithMfa("GC-C"), "signedIn");
  // 15 minutes later the device's lock is over.
  now_ += std::chrono::minutes(15);
  EXPECT_EQ(SignInWithMfa("GC-A"), "signedIn");
}

TEST_F(SignInTest, ASourceThatFailsAcrossManyUsersIsLocked) {
  Start();
  for (int i = 0; i < 30; ++i) {
    Result<SignInStep> wrong =
        Begin("GC-A", "user" + std::to_string(i) + "@contoso.com", kWrong, kAttacker);
    ASSERT_FALSE(wrong) << i;
  }
  EXPECT_EQ(Count(SignInEvent::Kind::kLockout, "source"), 1);
  // Every user and device behind that address is refused; another address is not.
  Result<SignInStep> from_attacker = Begin("GC-B", kAdele, kPassword, kAttacker);
  ASSERT_TRUE(from_attacker);
  ASSERT_TRUE(from_attacker->refused());
  EXPECT_NE(std::string(from_attacker->body.at("message").as_string()).find("network"),
            std::string::npos);
  EXPECT_EQ(SignInWithMfa("GC-B", kOffice), "signedIn");
}

TEST_F(SignInTest, ALockedAccountOrUnknownNameIsRefusedWithoutComputingAHash) {
  SignInOptions options;
  options.lockout.max_failures = 3;
  Start(options);
  const uint64_t start = services_->sign_in.metrics().password_hashes.load();
  // The same answers, one hash each, for a known and an unknown name...
  for (int i = 0; i < 3; ++i) {
    Result<SignInStep> known = Begin("GC-C", kAdele, kWrong);
    Result<SignInStep> unknown = Begin("GC-C", "nobody@contoso.com", kWrong);
    ASSERT_FALSE(known);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(known.error(), unknown.error()) << i;
  }
  EXPECT_EQ(services_->sign_in.metrics().password_hashes.load(), start + 6);
  // ...and, once both are locked, the same refusal and no hash at all.
  Result<SignInStep> known = Begin("GC-C", kAdele, kPassword);
  Result<SignInStep> unknown = Begin("GC-C", "nobody@contoso.com", kPassword);
  ASSERT_TRUE(known);
  ASSERT_TRUE(unknown);
  EXPECT_TRUE(known->refused());
  EXPECT_EQ(known->body, unknown->body);
  EXPECT_EQ(services_->sign_in.metrics().password_hashes.load(), start + 6);
  EXPECT_EQ(Count(SignInEvent::Kind::kFailure, "accountLocked"), 2);
}

TEST_F(SignInTest, SignInsPerDeviceAreRateLimitedWithWhenToRetry) {
  Start();
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(services_->sign_in.Admit(On("GC-A"), kOffice)) << i;
  std::optional<Throttle> limited = services_->sign_in.Admit(On("GC-A"), kOffice);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->retry_after, seconds(6));
  EXPECT_NE(limited->error.message.find("try again in 6 seconds"), std::string::npos)
      << limited->error.message;
  EXPECT_EQ(Count(SignInEvent::Kind::kRateLimited, "device"), 1);
  EXPECT_FALSE(services_->sign_in.Admit(On("GC-B"), kOffice));  // another device
  now_ += seconds(6);
  EXPECT_FALSE(services_->sign_in.Admit(On("GC-A"), kOffice));
}

TEST_F(SignInTest, PasswordHashesWaitForAFreeSlotABoundedTime) {
  WorkLimit pool(1);
  std::optional<WorkLimit::Slot> held = pool.Acquire(std::chrono::milliseconds(0));
  ASSERT_TRUE(held);
  EXPECT_FALSE(pool.Acquire(std::chrono::milliseconds(1)));
  held.reset();
  EXPECT_TRUE(pool.Acquire(std::chrono::milliseconds(0)));
}

TEST_F(SignInTest, EventsNameTheUserDeviceAndAddressButNeverTheSecret) {
  Start();
  ASSERT_FALSE(Begin("GC-A", kAdele, kWrong, kAttacker));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].kind, SignInEvent::Kind::kFailure);
  EXPECT_EQ(events_[0].user_principal_name, kAdele);
  EXPECT_EQ(events_[0].device_id, devices_["GC-A"]);
  EXPECT_EQ(events_[0].source_address, kAttacker);
  EXPECT_EQ(events_[0].reason, "wrongPassword");
  EXPECT_EQ(services_->sign_in.metrics().failures.load(), 1u);
}

// ---- device-proof nonces (finding 8) ----

json::object Proof(Services& services, const std::string& serial, const std::string& nonce) {
  identity::SeededDeviceKey key(SeedFor(serial));
  const auto signature =
      key.Sign(identity::ProofMessage(nonce, serial, services.tokens.options().issuer)).value();
  json::object proof{
      {"serialNumber", serial},
      {"nonce", nonce},
      {"signature", base64::Encode(std::string(signature.begin(), signature.end()))}};
  return proof;
}

Result<json::object> Prove(Services& services, const json::object& proof) {
  return services.trust.Prove(proof.at("serialNumber").as_string(), proof.at("nonce").as_string(),
                              proof.at("signature").as_string());
}

TEST_F(SignInTest, IssuingNoncesWritesNoRow) {
  Start();
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(services_->trust.NewNonce("GC-" + std::to_string(i)));
  }
  // Every challenge row, expired or not, would be swept by a purge a year from now.
  EXPECT_EQ(store_->challenges().DeleteExpired(now_ + std::chrono::days(365)).value(), 0);
}

TEST_F(SignInTest, ANonceOutlivesARestartAndIsUsedOnce) {
  Start();
  const std::string nonce(services_->trust.NewNonce("GC-A").value().at("nonce").as_string());
  // The service restarts (its secrets kept, the challenge table new): the nonce still works.
  auto fresh = ContosoStore(now_);
  ASSERT_NE(fresh, nullptr);
  services_.reset();
  ids_.clear();
  devices_.clear();
  Start({}, std::move(fresh));
  const json::object proof = Proof(*services_, "GC-A", nonce);
  Result<json::object> proved = Prove(*services_, proof);
  ASSERT_TRUE(proved) << proved.error().message;
  Result<json::object> replayed = Prove(*services_, proof);
  ASSERT_FALSE(replayed);
  EXPECT_EQ(replayed.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(replayed.error().field, "nonce");
  // Used nonces are kept only until they expire.
  now_ += kDeviceNonceLifetime;
  EXPECT_EQ(store_->challenges().DeleteExpired(now_).value(), 1);
  EXPECT_FALSE(Prove(*services_, proof));
}

TEST_F(SignInTest, ANonceForAnotherSerialOrForgedIsRefused) {
  Start();
  const std::string nonce(services_->trust.NewNonce("GC-A").value().at("nonce").as_string());
  Result<json::object> other = Prove(*services_, Proof(*services_, "GC-B", nonce));
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().field, "nonce");
  Result<json::object> forged = Prove(*services_, Proof(*services_, "GC-A", "AAAA" + nonce));
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().field, "nonce");
}

TEST_F(SignInTest, NoncesPerSourceAreRateLimited) {
  Start();
  const int burst = static_cast<int>(DeviceTrustOptions{}.nonce_rate.burst);
  for (int i = 0; i < burst; ++i) ASSERT_FALSE(services_->trust.AdmitNonce(kAttacker)) << i;
  std::optional<Throttle> limited = services_->trust.AdmitNonce(kAttacker);
  ASSERT_TRUE(limited);
  EXPECT_GE(limited->retry_after, seconds(1));
  EXPECT_EQ(services_->trust.nonces_rate_limited(), 1u);
  EXPECT_FALSE(services_->trust.AdmitNonce(kOffice));  // another address
  now_ += seconds(1);
  EXPECT_FALSE(services_->trust.AdmitNonce(kAttacker));
}

}  // namespace
}  // namespace groundcrew::service

#include "server/store/observed_store.hpp"

#include <chrono>

namespace groundcrew::store {
namespace {

// Runs `call`, reports its duration and outcome as `operation`, returns its result.
template <class Call>
auto Timed(const StoreObserver& observer, std::string_view operation, Call&& call) {
  const auto started = std::chrono::steady_clock::now();
  auto result = call();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  observer(operation, elapsed.count(), static_cast<bool>(result));
  return result;
}

class ObservedDevices final : public DeviceStore {
 public:
  ObservedDevices(DeviceStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Result<std::vector<DeviceRecord>> Insert(
      std::span<const core::AutopilotDeviceIdentity> devices) override {
    return Timed(observer_, "devices.Insert", [&] { return inner_.Insert(devices); });
  }
  Result<DeviceRecord> Get(const core::ZtdId& id) override {
    return Timed(observer_, "devices.Get", [&] { return inner_.Get(id); });
  }
  Result<std::optional<DeviceRecord>> FindBySerialNumber(std::string_view serial) override {
    return Timed(observer_, "devices.FindBySerialNumber",
                 [&] { return inner_.FindBySerialNumber(serial); });
  }
  Result<std::optional<DeviceRecord>> FindByHardwareHash(std::string_view hash) override {
    return Timed(observer_, "devices.FindByHardwareHash",
                 [&] { return inner_.FindByHardwareHash(hash); });
  }
  Result<DeviceRecord> Update(const core::AutopilotDeviceIdentity& device,
                              int64_t expected_version) override {
    return Timed(observer_, "devices.Update",
                 [&] { return inner_.Update(device, expected_version); });
  }
  Status Delete(const core::ZtdId& id, int64_t expected_version) override {
    return Timed(observer_, "devices.Delete", [&] { return inner_.Delete(id, expected_version); });
  }
  Result<Page<DeviceRecord>> List(const DeviceFilter& filter, const PageRequest& page) override {
    return Timed(observer_, "devices.List", [&] { return inner_.List(filter, page); });
  }
  Result<Page<DeviceRow>> Query(const DeviceQuery& query) override {
    return Timed(observer_, "devices.Query", [&] { return inner_.Query(query); });
  }

 private:
  DeviceStore& inner_;
  const StoreObserver& observer_;
};

class ObservedResources final : public ResourceStore {
 public:
  ObservedResources(ResourceStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Result<ResourceRecord> Create(const Resource& resource) override {
    return Timed(observer_, "resources.Create", [&] { return inner_.Create(resource); });
  }
  Result<ResourceRecord> Get(ResourceKind kind, std::string_view id) override {
    return Timed(observer_, "resources.Get", [&] { return inner_.Get(kind, id); });
  }
  Result<std::optional<ResourceRecord>> FindByName(ResourceKind kind,
                                                   std::string_view name) override {
    return Timed(observer_, "resources.FindByName", [&] { return inner_.FindByName(kind, name); });
  }
  Result<ResourceRecord> Update(const Resource& resource, int64_t expected_version) override {
    return Timed(observer_, "resources.Update",
                 [&] { return inner_.Update(resource, expected_version); });
  }
  Status Delete(ResourceKind kind, std::string_view id, int64_t expected_version) override {
    return Timed(observer_, "resources.Delete",
                 [&] { return inner_.Delete(kind, id, expected_version); });
  }
  Result<Page<ResourceRecord>> List(ResourceKind kind, const PageRequest& page) override {
    return Timed(observer_, "resources.List", [&] { return inner_.List(kind, page); });
  }
  Result<std::vector<ResourceRecord>> ListAll(ResourceKind kind) override {
    return Timed(observer_, "resources.ListAll", [&] { return inner_.ListAll(kind); });
  }
  Result<int64_t> Generation() override {
    return Timed(observer_, "resources.Generation", [&] { return inner_.Generation(); });
  }

 private:
  ResourceStore& inner_;
  const StoreObserver& observer_;
};

class ObservedAudit final : public AuditStore {
 public:
  ObservedAudit(AuditStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Result<AuditEntry> Append(const AuditEntry& entry) override {
    return Timed(observer_, "audit.Append", [&] { return inner_.Append(entry); });
  }
  Result<Page<AuditEntry>> List(const AuditFilter& filter, const PageRequest& page) override {
    return Timed(observer_, "audit.List", [&] { return inner_.List(filter, page); });
  }

 private:
  AuditStore& inner_;
  const StoreObserver& observer_;
};

class ObservedCredentials final : public CredentialStore {
 public:
  ObservedCredentials(CredentialStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Status Create(const AdminCredential& credential) override {
    return Timed(observer_, "credentials.Create", [&] { return inner_.Create(credential); });
  }
  Result<std::optional<AdminCredential>> FindByTokenSha256(std::string_view hash) override {
    return Timed(observer_, "credentials.FindByTokenSha256",
                 [&] { return inner_.FindByTokenSha256(hash); });
  }
  Result<std::vector<AdminCredential>> List() override {
    return Timed(observer_, "credentials.List", [&] { return inner_.List(); });
  }
  Status Revoke(std::string_view id, core::Timestamp at) override {
    return Timed(observer_, "credentials.Revoke", [&] { return inner_.Revoke(id, at); });
  }

 private:
  CredentialStore& inner_;
  const StoreObserver& observer_;
};

class ObservedSessions final : public SessionStore {
 public:
  ObservedSessions(SessionStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Status CreateSession(const DeploymentSession& session) override {
    return Timed(observer_, "sessions.CreateSession",
                 [&] { return inner_.CreateSession(session); });
  }
  Status UpdateSession(const DeploymentSession& session) override {
    return Timed(observer_, "sessions.UpdateSession",
                 [&] { return inner_.UpdateSession(session); });
  }
  Result<DeploymentSession> GetSession(std::string_view id) override {
    return Timed(observer_, "sessions.GetSession", [&] { return inner_.GetSession(id); });
  }
  Result<Page<DeploymentSession>> ListSessions(const SessionFilter& filter,
                                               const PageRequest& page) override {
    return Timed(observer_, "sessions.ListSessions",
                 [&] { return inner_.ListSessions(filter, page); });
  }
  Result<SessionEvent> AppendEvent(const SessionEvent& event) override {
    return Timed(observer_, "sessions.AppendEvent", [&] { return inner_.AppendEvent(event); });
  }
  Result<Page<SessionEvent>> ListEvents(std::string_view session_id,
                                        const PageRequest& page) override {
    return Timed(observer_, "sessions.ListEvents",
                 [&] { return inner_.ListEvents(session_id, page); });
  }
  Result<Page<SessionEvent>> ListAllEvents(const PageRequest& page) override {
    return Timed(observer_, "sessions.ListAllEvents", [&] { return inner_.ListAllEvents(page); });
  }
  Result<Page<SessionEvent>> ListMatchingEvents(const SessionFilter& filter,
                                                const PageRequest& page) override {
    return Timed(observer_, "sessions.ListMatchingEvents",
                 [&] { return inner_.ListMatchingEvents(filter, page); });
  }
  Result<int64_t> LastEventSequence() override {
    return Timed(observer_, "sessions.LastEventSequence",
                 [&] { return inner_.LastEventSequence(); });
  }
  Result<std::vector<DeploymentSession>> LatestSessions(
      std::span<const std::string> device_ids) override {
    return Timed(observer_, "sessions.LatestSessions",
                 [&] { return inner_.LatestSessions(device_ids); });
  }
  Result<DashboardFigures> Dashboard(core::Timestamp since, int limit) override {
    return Timed(observer_, "sessions.Dashboard", [&] { return inner_.Dashboard(since, limit); });
  }

 private:
  SessionStore& inner_;
  const StoreObserver& observer_;
};

class ObservedUserCredentials final : public UserCredentialStore {
 public:
  ObservedUserCredentials(UserCredentialStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Result<std::optional<UserCredentialRecord>> Find(std::string_view user_id) override {
    return Timed(observer_, "userCredentials.Find", [&] { return inner_.Find(user_id); });
  }
  Result<UserCredentialRecord> Put(const UserCredential& credential,
                                   std::optional<int64_t> expected_version) override {
    return Timed(observer_, "userCredentials.Put",
                 [&] { return inner_.Put(credential, expected_version); });
  }
  Status Delete(std::string_view user_id) override {
    return Timed(observer_, "userCredentials.Delete", [&] { return inner_.Delete(user_id); });
  }

 private:
  UserCredentialStore& inner_;
  const StoreObserver& observer_;
};

class ObservedDeviceTrust final : public DeviceTrustStore {
 public:
  ObservedDeviceTrust(DeviceTrustStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Result<std::optional<DeviceTrustRecord>> Find(std::string_view device_id) override {
    return Timed(observer_, "deviceTrust.Find", [&] { return inner_.Find(device_id); });
  }
  Result<DeviceTrustRecord> Put(const DeviceTrust& trust,
                                std::optional<int64_t> expected_version) override {
    return Timed(observer_, "deviceTrust.Put", [&] { return inner_.Put(trust, expected_version); });
  }
  Status Delete(std::string_view device_id) override {
    return Timed(observer_, "deviceTrust.Delete", [&] { return inner_.Delete(device_id); });
  }

 private:
  DeviceTrustStore& inner_;
  const StoreObserver& observer_;
};

class ObservedChallenges final : public ChallengeStore {
 public:
  ObservedChallenges(ChallengeStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Status Create(const Challenge& challenge) override {
    return Timed(observer_, "challenges.Create", [&] { return inner_.Create(challenge); });
  }
  Result<std::optional<Challenge>> Find(std::string_view id, core::Timestamp now) override {
    return Timed(observer_, "challenges.Find", [&] { return inner_.Find(id, now); });
  }
  Status SetAttempts(std::string_view id, int attempts) override {
    return Timed(observer_, "challenges.SetAttempts",
                 [&] { return inner_.SetAttempts(id, attempts); });
  }
  Result<bool> Delete(std::string_view id) override {
    return Timed(observer_, "challenges.Delete", [&] { return inner_.Delete(id); });
  }
  Result<int64_t> DeleteExpired(core::Timestamp now) override {
    return Timed(observer_, "challenges.DeleteExpired", [&] { return inner_.DeleteExpired(now); });
  }

 private:
  ChallengeStore& inner_;
  const StoreObserver& observer_;
};

class ObservedTokens final : public TokenStore {
 public:
  ObservedTokens(TokenStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Status Record(const IssuedTokenRecord& token) override {
    return Timed(observer_, "tokens.Record", [&] { return inner_.Record(token); });
  }
  Result<bool> IsRevoked(std::string_view id) override {
    return Timed(observer_, "tokens.IsRevoked", [&] { return inner_.IsRevoked(id); });
  }
  Result<std::optional<IssuedTokenRecord>> Find(std::string_view id) override {
    return Timed(observer_, "tokens.Find", [&] { return inner_.Find(id); });
  }
  Result<bool> Revoke(std::string_view id, core::Timestamp now) override {
    return Timed(observer_, "tokens.Revoke", [&] { return inner_.Revoke(id, now); });
  }
  Result<int64_t> RevokeForDevice(std::string_view device_id, core::Timestamp now) override {
    return Timed(observer_, "tokens.RevokeForDevice",
                 [&] { return inner_.RevokeForDevice(device_id, now); });
  }
  Result<int64_t> RevokeForSubject(std::string_view subject, core::Timestamp now) override {
    return Timed(observer_, "tokens.RevokeForSubject",
                 [&] { return inner_.RevokeForSubject(subject, now); });
  }
  Result<int64_t> DeleteExpired(core::Timestamp before) override {
    return Timed(observer_, "tokens.DeleteExpired", [&] { return inner_.DeleteExpired(before); });
  }

 private:
  TokenStore& inner_;
  const StoreObserver& observer_;
};

class ObservedIdempotency final : public IdempotencyStore {
 public:
  ObservedIdempotency(IdempotencyStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}

  Status Put(const IdempotentResponse& response) override {
    return Timed(observer_, "idempotency.Put", [&] { return inner_.Put(response); });
  }
  Result<std::optional<IdempotentResponse>> Find(std::string_view credential_id,
                                                 std::string_view key,
                                                 core::Timestamp now) override {
    return Timed(observer_, "idempotency.Find",
                 [&] { return inner_.Find(credential_id, key, now); });
  }
  Result<int64_t> DeleteExpired(core::Timestamp now) override {
    return Timed(observer_, "idempotency.DeleteExpired", [&] { return inner_.DeleteExpired(now); });
  }

 private:
  IdempotencyStore& inner_;
  const StoreObserver& observer_;
};

class ObservedInventories final : public InventoryStore {
 public:
  ObservedInventories(InventoryStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Result<std::optional<core::ReportedInventory>> Find(std::string_view device_id) override {
    return Timed(observer_, "inventories.Find", [&] { return inner_.Find(device_id); });
  }
  Status Put(std::string_view device_id, const core::ReportedInventory& inventory) override {
    return Timed(observer_, "inventories.Put", [&] { return inner_.Put(device_id, inventory); });
  }
  Status Delete(std::string_view device_id) override {
    return Timed(observer_, "inventories.Delete", [&] { return inner_.Delete(device_id); });
  }

 private:
  InventoryStore& inner_;
  const StoreObserver& observer_;
};

class ObservedAdminAccounts final : public AdminAccountStore {
 public:
  ObservedAdminAccounts(AdminAccountStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Result<AdminAccountRecord> Create(const AdminAccount& account) override {
    return Timed(observer_, "adminAccounts.Create", [&] { return inner_.Create(account); });
  }
  Result<std::optional<AdminAccountRecord>> Find(std::string_view name) override {
    return Timed(observer_, "adminAccounts.Find", [&] { return inner_.Find(name); });
  }
  Result<std::vector<AdminAccount>> List() override {
    return Timed(observer_, "adminAccounts.List", [&] { return inner_.List(); });
  }
  Result<AdminAccountRecord> Update(const AdminAccount& account,
                                    int64_t expected_version) override {
    return Timed(observer_, "adminAccounts.Update",
                 [&] { return inner_.Update(account, expected_version); });
  }
  Status Delete(std::string_view name) override {
    return Timed(observer_, "adminAccounts.Delete", [&] { return inner_.Delete(name); });
  }

 private:
  AdminAccountStore& inner_;
  const StoreObserver& observer_;
};

class ObservedConsoleSessions final : public ConsoleSessionStore {
 public:
  ObservedConsoleSessions(ConsoleSessionStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Status Create(const ConsoleSession& session) override {
    return Timed(observer_, "consoleSessions.Create", [&] { return inner_.Create(session); });
  }
  Result<std::optional<ConsoleSession>> FindByTokenSha256(std::string_view hash) override {
    return Timed(observer_, "consoleSessions.FindByTokenSha256",
                 [&] { return inner_.FindByTokenSha256(hash); });
  }
  Status SetIdleExpiry(std::string_view hash, core::Timestamp idle_expires) override {
    return Timed(observer_, "consoleSessions.SetIdleExpiry",
                 [&] { return inner_.SetIdleExpiry(hash, idle_expires); });
  }
  Status Delete(std::string_view hash) override {
    return Timed(observer_, "consoleSessions.Delete", [&] { return inner_.Delete(hash); });
  }
  Result<int64_t> DeleteForAdmin(std::string_view admin_name) override {
    return Timed(observer_, "consoleSessions.DeleteForAdmin",
                 [&] { return inner_.DeleteForAdmin(admin_name); });
  }
  Result<int64_t> PurgeExpired(core::Timestamp now) override {
    return Timed(observer_, "consoleSessions.PurgeExpired",
                 [&] { return inner_.PurgeExpired(now); });
  }

 private:
  ConsoleSessionStore& inner_;
  const StoreObserver& observer_;
};

class ObservedLeases final : public LeaseStore {
 public:
  ObservedLeases(LeaseStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Result<bool> TryAcquire(std::string_view name, std::string_view holder, core::Timestamp now,
                          std::chrono::seconds ttl) override {
    return Timed(observer_, "leases.TryAcquire",
                 [&] { return inner_.TryAcquire(name, holder, now, ttl); });
  }
  Status Release(std::string_view name, std::string_view holder) override {
    return Timed(observer_, "leases.Release", [&] { return inner_.Release(name, holder); });
  }
  Result<std::optional<Lease>> Get(std::string_view name) override {
    return Timed(observer_, "leases.Get", [&] { return inner_.Get(name); });
  }

 private:
  LeaseStore& inner_;
  const StoreObserver& observer_;
};

class ObservedSealedValues final : public SealedValueStore {
 public:
  ObservedSealedValues(SealedValueStore& inner, const StoreObserver& observer)
      : inner_(inner), observer_(observer) {}
  Result<std::optional<Versioned<std::string>>> Get(std::string_view name) override {
    return Timed(observer_, "sealedValues.Get", [&] { return inner_.Get(name); });
  }
  Result<int64_t> Put(std::string_view name, std::string_view bytes,
                      int64_t expected_version) override {
    return Timed(observer_, "sealedValues.Put",
                 [&] { return inner_.Put(name, bytes, expected_version); });
  }
  Result<std::vector<std::string>> Names() override {
    return Timed(observer_, "sealedValues.Names", [&] { return inner_.Names(); });
  }

 private:
  SealedValueStore& inner_;
  const StoreObserver& observer_;
};

class ObservedStore final : public Store {
 public:
  ObservedStore(Store& inner, StoreObserver observer)
      : inner_(inner),
        observer_(std::move(observer)),
        devices_(inner.devices(), observer_),
        resources_(inner.resources(), observer_),
        audit_(inner.audit(), observer_),
        credentials_(inner.credentials(), observer_),
        sessions_(inner.sessions(), observer_),
        user_credentials_(inner.user_credentials(), observer_),
        device_trust_(inner.device_trust(), observer_),
        challenges_(inner.challenges(), observer_),
        tokens_(inner.tokens(), observer_),
        idempotency_(inner.idempotency(), observer_),
        inventories_(inner.inventories(), observer_),
        admin_accounts_(inner.admin_accounts(), observer_),
        console_sessions_(inner.console_sessions(), observer_),
        leases_(inner.leases(), observer_),
        sealed_values_(inner.sealed_values(), observer_) {}

  DeviceStore& devices() override { return devices_; }
  ResourceStore& resources() override { return resources_; }
  AuditStore& audit() override { return audit_; }
  CredentialStore& credentials() override { return credentials_; }
  SessionStore& sessions() override { return sessions_; }
  UserCredentialStore& user_credentials() override { return user_credentials_; }
  DeviceTrustStore& device_trust() override { return device_trust_; }
  ChallengeStore& challenges() override { return challenges_; }
  TokenStore& tokens() override { return tokens_; }
  IdempotencyStore& idempotency() override { return idempotency_; }
  InventoryStore& inventories() override { return inventories_; }
  AdminAccountStore& admin_accounts() override { return admin_accounts_; }
  ConsoleSessionStore& console_sessions() override { return console_sessions_; }
  LeaseStore& leases() override { return leases_; }
  SealedValueStore& sealed_values() override { return sealed_values_; }
  Status Transact(const std::function<Status()>& use_case) override {
    return Timed(observer_, "Transact", [&] { return inner_.Transact(use_case); });
  }
  void OnEventsFromElsewhere(std::function<void()> wake) override {
    inner_.OnEventsFromElsewhere(std::move(wake));
  }

 private:
  Store& inner_;
  StoreObserver observer_;
  ObservedDevices devices_;
  ObservedResources resources_;
  ObservedAudit audit_;
  ObservedCredentials credentials_;
  ObservedSessions sessions_;
  ObservedUserCredentials user_credentials_;
  ObservedDeviceTrust device_trust_;
  ObservedChallenges challenges_;
  ObservedTokens tokens_;
  ObservedIdempotency idempotency_;
  ObservedInventories inventories_;
  ObservedAdminAccounts admin_accounts_;
  ObservedConsoleSessions console_sessions_;
  ObservedLeases leases_;
  ObservedSealedValues sealed_values_;
};

}  // namespace

std::unique_ptr<Store> Observe(Store& inner, StoreObserver observer) {
  return std::make_unique<ObservedStore>(inner, std::move(observer));
}

}  // namespace groundcrew::store

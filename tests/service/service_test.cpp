// The service's use cases over a real (in-memory) SQLite store: validation against the whole
// tenant, atomicity, audit, authorization and the catalog cache.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "service/auth.hpp"
#include "service/services.hpp"
#include "store_sqlite/sqlite_store.hpp"

namespace groundcrew::service {
namespace {

namespace json = boost::json;
using store::ResourceKind;

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::sqlite::SqliteStore::Open({.path = ":memory:"});
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    // The tenant, as `groundcrew init` writes it.
    core::TenantSettings settings;
    settings.organization_name = "Contoso";
    settings.domain = "contoso.com";
    ASSERT_TRUE(store_->resources().Create(
        {ResourceKind::kTenant, "tenant", "tenant", StoredBody(AnyResource(settings)), now_, now_}));
    services_ = std::make_unique<Services>(*store_, ContentStore("/nonexistent"),
                                           [this] { return now_; },
                                           CreateSecrets("Contoso", now_).value());
  }

  json::object Create(ResourceKind kind, const json::value& body) {
    auto created = services_->resources.Create(admin_, kind, body);
    EXPECT_TRUE(created) << created.error().message;
    return created ? *created : json::object();
  }

  size_t AuditCount() {
    auto page = store_->audit().List({.after = "", .limit = 1000});
    return page ? page->items.size() : 0;
  }

  core::Timestamp now_{std::chrono::seconds(1'800'000'000)};
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<Services> services_;
  Actor admin_{"admin", store::CredentialRole::kAdmin};
};

TEST_F(ServiceTest, AChangeIsInTheNextSnapshotWithoutReloading) {
  auto before = services_->catalog.Current();
  ASSERT_TRUE(before);
  json::object group = Create(ResourceKind::kGroup, {{"displayName", "Sales devices"},
                                                     {"membershipKind", "dynamic"},
                                                     {"membershipRule", "device.deviceModel -eq \"X\""}});
  auto after = services_->catalog.Current();
  ASSERT_TRUE(after);
  EXPECT_GT((*after)->generation, (*before)->generation);
  ASSERT_EQ((*after)->tenant().groups.size(), 1u);
  EXPECT_EQ((*after)->tenant().groups[0].id.value(), group.at("id").as_string());
  // The published snapshot is the one the store gives (same generation, same groups).
  Catalog fresh(*store_);
  auto loaded = fresh.Current();
  ASSERT_TRUE(loaded);
  EXPECT_EQ((*loaded)->generation, (*after)->generation);
  EXPECT_EQ((*loaded)->tenant().groups[0].display_name, "Sales devices");
}

TEST_F(ServiceTest, AChangeThatBreaksTheTenantIsRefusedAndNothingIsWritten) {
  const size_t audit_before = AuditCount();
  auto bad = services_->resources.Create(
      admin_, ResourceKind::kAssignment,
      {{"payloadKind", "app"},
       {"payloadId", "no-such-app"},
       {"target", {{"@odata.type", "#microsoft.graph.allDevicesAssignmentTarget"}}},
       {"intent", "required"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("no-such-app"), std::string::npos) << bad.error().message;
  EXPECT_TRUE(store_->resources().ListAll(ResourceKind::kAssignment)->empty());
  EXPECT_EQ(AuditCount(), audit_before);
}

TEST_F(ServiceTest, AGroupInUseCannotBeDeleted) {
  json::object group = Create(ResourceKind::kGroup, {{"displayName", "Lab"}});
  const std::string group_id(group.at("id").as_string());
  Create(ResourceKind::kPolicy, {{"displayName", "Baseline"}});
  json::object policy = *services_->resources.List(ResourceKind::kPolicy, {}).value().items.begin();
  Create(ResourceKind::kAssignment,
         {{"payloadKind", "policy"},
          {"payloadId", policy.at("id")},
          {"target", {{"@odata.type", "#microsoft.graph.groupAssignmentTarget"}, {"groupId", group_id}}},
          {"intent", "required"}});
  Status deleted = services_->resources.Delete(admin_, ResourceKind::kGroup, group_id, std::nullopt);
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(deleted.error().message.find("Lab"), std::string::npos) << deleted.error().message;
  EXPECT_TRUE(services_->resources.Get(ResourceKind::kGroup, group_id));
}

TEST_F(ServiceTest, DeletingAUserDeletesTheirSignInSecrets) {
  json::object user = Create(ResourceKind::kUser, {{"userPrincipalName", "adele@contoso.com"}});
  const std::string user_id(user.at("id").as_string());
  store::UserCredential credential;
  credential.user_id = user_id;
  credential.password_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA";
  ASSERT_TRUE(store_->user_credentials().Put(credential, std::nullopt));
  ASSERT_TRUE(services_->resources.Delete(admin_, ResourceKind::kUser, user_id, std::nullopt));
  EXPECT_FALSE(store_->user_credentials().Find(user_id)->has_value());
}

TEST_F(ServiceTest, ReadersMayReadButNotChange) {
  const Actor reader{"auditor", store::CredentialRole::kReader};
  auto refused = services_->resources.Create(reader, ResourceKind::kGroup, {{"displayName", "G"}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(services_->devices.Import(reader, "Device Serial Number,Hardware Hash\r\n"));
  EXPECT_FALSE(services_->apply.Apply(reader, json::object{}, true));
  EXPECT_TRUE(services_->resources.List(ResourceKind::kGroup, {}));
}

TEST_F(ServiceTest, AnUnchangedPatchMakesNoNewVersionAndNoAuditEntry) {
  json::object group = Create(ResourceKind::kGroup, {{"displayName", "Lab"}, {"description", "d"}});
  const size_t audit_before = AuditCount();
  auto same = services_->resources.Update(admin_, ResourceKind::kGroup,
                                          std::string(group.at("id").as_string()),
                                          {{"description", "d"}}, std::nullopt);
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->at("version"), 1);
  EXPECT_EQ(AuditCount(), audit_before);
}

TEST_F(ServiceTest, ADryRunReportsWhatTheApplyDoesAndWritesNothing) {
  const json::value document = {
      {"users", {{{"userPrincipalName", "adele@contoso.com"}}}},
      {"groups", {{{"displayName", "Sales"}, {"members", {"adele@contoso.com"}}}}},
      {"policies", {{{"displayName", "Baseline"}, {"assignments", {{{"group", "Sales"}}}}}}}};
  auto dry = services_->apply.Apply(admin_, document, true);
  ASSERT_TRUE(dry) << dry.error().message;
  EXPECT_TRUE(store_->resources().ListAll(ResourceKind::kUser)->empty());
  auto real = services_->apply.Apply(admin_, document, false);
  ASSERT_TRUE(real) << real.error().message;
  ASSERT_EQ(dry->changes.size(), real->changes.size());
  for (size_t i = 0; i < dry->changes.size(); ++i) {
    EXPECT_EQ(dry->changes[i].name, real->changes[i].name);
    EXPECT_EQ(dry->changes[i].action, real->changes[i].action);
  }
  auto again = services_->apply.Apply(admin_, document, false);
  ASSERT_TRUE(again);
  for (const ApplyChange& change : again->changes) EXPECT_EQ(change.action, "unchanged");
  // A reference to something that does not exist names where it is.
  auto broken = services_->apply.Apply(
      admin_, {{"policies", {{{"displayName", "X"}, {"assignments", {{{"group", "Nope"}}}}}}}},
      false);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().field, "policies[X].assignments[0].group");
}

}  // namespace
}  // namespace groundcrew::service

namespace groundcrew::service {
namespace {

TEST_F(ServiceTest, RotatedSigningKeysKeepEarlierTokensValidAndSaveTheRing) {
  int saves = 0;
  std::string saved_kid;
  TokenService tokens(*store_, [this] { return now_; }, identity::KeyRing::Create(now_),
                      [&](const identity::KeyRing& keys) {
                        ++saves;
                        saved_kid = keys.Current().kid;
                        return Status(Ok{});
                      });
  auto before = tokens.IssueDeviceToken("device-1");
  ASSERT_TRUE(before) << before.error().message;
  const std::string first_kid = tokens.CurrentKeyId();
  ASSERT_TRUE(tokens.RotateIfDue());
  EXPECT_EQ(saves, 0) << "a fresh key is not rotated";

  now_ += std::chrono::days(30);  // the default rotation period
  auto after = tokens.IssueDeviceToken("device-1");  // rotates first
  ASSERT_TRUE(after);
  EXPECT_EQ(saves, 1);
  EXPECT_NE(tokens.CurrentKeyId(), first_kid);
  EXPECT_EQ(saved_kid, tokens.CurrentKeyId());
  // Both verify (the first by its retired key, had it not expired: check with its own time).
  EXPECT_TRUE(tokens.Authenticate("Bearer " + after->token, identity::Audience::kDevice));
  now_ -= std::chrono::days(30);
  EXPECT_TRUE(tokens.Authenticate("bearer " + before->token, identity::Audience::kDevice));
  EXPECT_FALSE(tokens.Authenticate("Bearer " + before->token, identity::Audience::kUser));
  EXPECT_FALSE(tokens.Authenticate("Basic " + before->token, identity::Audience::kDevice));

  // A token this service never recorded is refused even with a valid signature.
  identity::KeyRing ring = identity::KeyRing::Create(now_);
  TokenService other(*store_, [this] { return now_; }, ring, {});
  identity::Claims claims;
  claims.issuer = "groundcrew";
  claims.subject = "device-1";
  claims.audience = identity::Audience::kDevice;
  claims.expires_at = now_ + std::chrono::minutes(5);
  claims.issued_at = now_;
  auto unrecorded = identity::Issue(ring, claims);
  ASSERT_TRUE(unrecorded);
  EXPECT_FALSE(other.Authenticate("Bearer " + unrecorded->token, identity::Audience::kDevice));
}

TEST_F(ServiceTest, SettingAPasswordAppliesThePolicyAndNeverEchoesIt) {
  json::object user = Create(ResourceKind::kUser, {{"userPrincipalName", "adele@contoso.com"},
                                                   {"displayName", "Adele"}});
  const std::string id(user.at("id").as_string());
  Status weak = services_->sign_in.SetPassword(admin_, id, "short");
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().field, "password");
  EXPECT_EQ(weak.error().message.find("short"), std::string::npos);
  Actor reader{"reader", store::CredentialRole::kReader};
  EXPECT_EQ(services_->sign_in.SetPassword(reader, id, "a long enough passphrase 7").error().code,
            ErrorCode::kPermissionDenied);
  ASSERT_TRUE(services_->sign_in.SetPassword(admin_, id, "a long enough passphrase 7"));
  auto state = services_->sign_in.State(id);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->at("passwordSet"), true);
  EXPECT_EQ(state->at("mfaEnrolled"), false);
  auto stored = store_->user_credentials().Find(id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_TRUE((*stored)->value.password_hash.starts_with("$argon2id$"));
}

}  // namespace
}  // namespace groundcrew::service

#include "server/store/conformance/admin_account_store_conformance.hpp"

#include <string>
#include <vector>

namespace groundcrew::store::conformance {
namespace {

AdminAccount Account(const std::string& name, CredentialRole role = CredentialRole::kAdmin) {
  AdminAccount a;
  a.name = name;
  a.role = role;
  a.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  a.totp_secret = std::string("\x00\x01\xff admin secret", 16);  // bytes, NUL included
  a.totp_last_step = 59'000'000;
  a.recent_failures = {At(1'700'000'000), At(1'700'000'030)};
  a.locked_until = At(1'700'000'900);
  a.created_date_time = At(1'600'000'000);
  a.last_sign_in_date_time = At(1'699'999'000);
  return a;
}

void ExpectSame(const AdminAccount& a, const AdminAccount& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.role, b.role);
  EXPECT_EQ(a.password_hash, b.password_hash);
  EXPECT_EQ(a.totp_secret, b.totp_secret);
  EXPECT_EQ(a.totp_last_step, b.totp_last_step);
  EXPECT_EQ(a.recent_failures, b.recent_failures);
  EXPECT_EQ(a.locked_until, b.locked_until);
  EXPECT_EQ(a.created_date_time, b.created_date_time);
  EXPECT_EQ(a.last_sign_in_date_time, b.last_sign_in_date_time);
}

ConsoleSession Session(const std::string& admin, int n, int64_t idle = 1'700'001'800,
                       int64_t absolute = 1'700'043'200) {
  ConsoleSession s;
  s.token_sha256 = std::string(63, 'a') + std::to_string(n % 10);
  s.admin_name = admin;
  s.csrf_token = "csrf-" + std::to_string(n);
  s.created_date_time = At(1'700'000'000);
  s.idle_expires_date_time = At(idle);
  s.expires_date_time = At(absolute);
  return s;
}

void ExpectSame(const ConsoleSession& a, const ConsoleSession& b) {
  EXPECT_EQ(a.token_sha256, b.token_sha256);
  EXPECT_EQ(a.admin_name, b.admin_name);
  EXPECT_EQ(a.csrf_token, b.csrf_token);
  EXPECT_EQ(a.created_date_time, b.created_date_time);
  EXPECT_EQ(a.idle_expires_date_time, b.idle_expires_date_time);
  EXPECT_EQ(a.expires_date_time, b.expires_date_time);
}

TEST_P(AdminAccountStoreConformance, StoresAndFindsEveryFieldOfEveryRole) {
  EXPECT_FALSE(store().admin_accounts().Find("alice")->has_value());
  for (auto [name, role] :
       {std::pair{"alice", CredentialRole::kAdmin}, std::pair{"bob", CredentialRole::kReader},
        std::pair{"carol", CredentialRole::kTechnician}}) {
    auto created = store().admin_accounts().Create(Account(name, role));
    ASSERT_TRUE(created.has_value()) << created.error().message;
    EXPECT_EQ(created->version, 1);
    auto found = store().admin_accounts().Find(name);
    ASSERT_TRUE(found.has_value() && found->has_value()) << name;
    ExpectSame((*found)->value, Account(name, role));
    EXPECT_EQ((*found)->version, 1);
  }
  AdminAccount fresh;  // never signed in, never failed
  fresh.name = "dave";
  fresh.password_hash = "$argon2id$x";
  fresh.totp_secret = "0123456789abcdef";
  fresh.created_date_time = At(1'600'000'000);
  ASSERT_TRUE(store().admin_accounts().Create(fresh).has_value());
  ExpectSame((*store().admin_accounts().Find("dave"))->value, fresh);
}

TEST_P(AdminAccountStoreConformance, RefusesATakenOrEmptyName) {
  ASSERT_TRUE(store().admin_accounts().Create(Account("alice")).has_value());
  auto again = store().admin_accounts().Create(Account("alice", CredentialRole::kReader));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().field, "name");
  EXPECT_EQ((*store().admin_accounts().Find("alice"))->value.role, CredentialRole::kAdmin);
  auto empty = store().admin_accounts().Create(Account(""));
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(AdminAccountStoreConformance, ListsEveryAccountInNameOrder) {
  EXPECT_TRUE(store().admin_accounts().List()->empty());
  for (const char* name : {"carol", "alice", "bob.smith"}) {
    ASSERT_TRUE(store().admin_accounts().Create(Account(name)).has_value());
  }
  auto all = store().admin_accounts().List();
  ASSERT_TRUE(all.has_value()) << all.error().message;
  std::vector<std::string> names;
  for (const AdminAccount& a : *all) names.push_back(a.name);
  EXPECT_EQ(names, (std::vector<std::string>{"alice", "bob.smith", "carol"}));
  ExpectSame(all->front(), Account("alice"));
}

TEST_P(AdminAccountStoreConformance, UpdatesNameTheVersionTheyRead) {
  ASSERT_TRUE(store().admin_accounts().Create(Account("alice")).has_value());
  AdminAccount next = Account("alice");
  next.totp_last_step += 1;
  next.recent_failures.clear();
  next.locked_until.reset();
  next.last_sign_in_date_time = At(1'800'000'000);
  auto updated = store().admin_accounts().Update(next, 1);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->version, 2);
  // A second writer that read version 1 loses: a TOTP step is accepted once.
  auto stale = store().admin_accounts().Update(Account("alice"), 1);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kAborted);
  auto found = store().admin_accounts().Find("alice");
  ExpectSame((*found)->value, next);
  EXPECT_EQ((*found)->version, 2);

  auto missing = store().admin_accounts().Update(Account("nobody"), 1);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().field, "name");
}

TEST_P(AdminAccountStoreConformance, DeleteRemovesTheAccountAndItsSessions) {
  ASSERT_TRUE(store().admin_accounts().Create(Account("alice")).has_value());
  ASSERT_TRUE(store().admin_accounts().Create(Account("bob")).has_value());
  ASSERT_TRUE(store().console_sessions().Create(Session("alice", 1)).has_value());
  ASSERT_TRUE(store().console_sessions().Create(Session("bob", 2)).has_value());

  ASSERT_TRUE(store().admin_accounts().Delete("alice").has_value());
  EXPECT_FALSE(store().admin_accounts().Find("alice")->has_value());
  EXPECT_FALSE(
      store().console_sessions().FindByTokenSha256(Session("alice", 1).token_sha256)->has_value());
  EXPECT_TRUE(
      store().console_sessions().FindByTokenSha256(Session("bob", 2).token_sha256)->has_value());
  Status again = store().admin_accounts().Delete("alice");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(again.error().field, "name");
}

TEST_P(AdminAccountStoreConformance, ATransactionThatFailsLeavesAccountsAsTheyWere) {
  ASSERT_TRUE(store().admin_accounts().Create(Account("alice")).has_value());
  Status failed = store().Transact([&]() -> Status {
    AdminAccount changed = Account("alice");
    changed.password_hash = "$argon2id$changed";
    if (auto s = store().admin_accounts().Update(changed, 1); !s) return s.error();
    if (Status s = store().console_sessions().Create(Session("alice", 1)); !s) return s;
    return MakeError(ErrorCode::kAborted, "the use case gave up");
  });
  EXPECT_FALSE(failed.has_value());
  auto found = store().admin_accounts().Find("alice");
  EXPECT_EQ((*found)->version, 1);
  ExpectSame((*found)->value, Account("alice"));
  EXPECT_FALSE(
      store().console_sessions().FindByTokenSha256(Session("alice", 1).token_sha256)->has_value());
}

TEST_P(ConsoleSessionStoreConformance, CreatesAndFindsBySessionTokenHash) {
  ASSERT_TRUE(store().admin_accounts().Create(Account("alice")).has_value());
  const ConsoleSession session = Session("alice", 1);
  ASSERT_TRUE(store().console_sessions().Create(session).has_value());
  auto found = store().console_sessions().FindByTokenSha256(session.token_sha256);
  ASSERT_TRUE(found.has_value() && found->has_value());
  ExpectSame(**found, session);
  EXPECT_FALSE(store().console_sessions().FindByTokenSha256(std::string(64, 'f'))->has_value());
}

TEST_P(ConsoleSessionStoreConformance, RefusesATakenHashOrAnUnknownAdmin) {
  ASSERT_TRUE(store().admin_accounts().Create(Account("alice")).has_value());
  ASSERT_TRUE(store().console_sessions().Create(Session("alice", 1)).has_value());
  ConsoleSession same = Session("alice", 1);
  same.csrf_token = "other";
  Status taken = store().console_sessions().Create(same);
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(taken.error().field, "tokenSha256");
  EXPECT_EQ(taken.error().message.find(same.token_sha256), std::string::npos)
      << "an error must not echo a token hash";

  Status orphan = store().console_sessions().Create(Session("nobody", 2));
  ASSERT_FALSE(orphan.has_value());
  EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(orphan.error().field, "adminName");
}

TEST_P(ConsoleSessionStoreConformance, RenewsTheIdleExpiryOnly) {
  ASSERT_TRUE(store().admin_accounts().Create(Account("alice")).has_value());
  const ConsoleSession session = Session("alice", 1);
  ASSERT_TRUE(store().console_sessions().Create(session).has_value());
  ASSERT_TRUE(store()
                  .console_sessions()
                  .SetIdleExpiry(session.token_sha256, At(1'700'005'000))
                  .has_value());
  ConsoleSession expected = session;
  expected.idle_expires_date_time = At(1'700'005'000);
  ExpectSame(**store().console_sessions().FindByTokenSha256(session.token_sha256), expected);
  Status gone = store().console_sessions().SetIdleExpiry(std::string(64, 'f'), At(1));
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST_P(ConsoleSessionStoreConformance, EndsOneAllOfAnAdminOrTheExpired) {
  ASSERT_TRUE(store().admin_accounts().Create(Account("alice")).has_value());
  ASSERT_TRUE(store().admin_accounts().Create(Account("bob")).has_value());
  // 1, 2: alice's; 3: bob's, idle until 1'700'001'000; 4: bob's, absolute until 1'700'000'500.
  ASSERT_TRUE(store().console_sessions().Create(Session("alice", 1)).has_value());
  ASSERT_TRUE(store().console_sessions().Create(Session("alice", 2)).has_value());
  ASSERT_TRUE(store().console_sessions().Create(Session("bob", 3, 1'700'001'000)).has_value());
  ASSERT_TRUE(store()
                  .console_sessions()
                  .Create(Session("bob", 4, 1'700'001'800, 1'700'000'500))
                  .has_value());
  auto exists = [&](int n) {
    return store().console_sessions().FindByTokenSha256(Session("", n).token_sha256)->has_value();
  };

  ASSERT_TRUE(store().console_sessions().Delete(Session("", 1).token_sha256).has_value());
  EXPECT_FALSE(exists(1));
  EXPECT_TRUE(store().console_sessions().Delete(Session("", 1).token_sha256).has_value())
      << "ending an ended session is no error";

  auto purged = store().console_sessions().PurgeExpired(At(1'700'000'500));
  ASSERT_TRUE(purged.has_value()) << purged.error().message;
  EXPECT_EQ(*purged, 1);  // 4: its absolute expiry is reached
  EXPECT_FALSE(exists(4));
  EXPECT_EQ(*store().console_sessions().PurgeExpired(At(1'700'001'000)), 1);  // 3: idle
  EXPECT_TRUE(exists(2));

  ASSERT_TRUE(store().console_sessions().Create(Session("alice", 5)).has_value());
  auto ended = store().console_sessions().DeleteForAdmin("alice");
  ASSERT_TRUE(ended.has_value()) << ended.error().message;
  EXPECT_EQ(*ended, 2);
  EXPECT_FALSE(exists(2));
  EXPECT_FALSE(exists(5));
  EXPECT_EQ(*store().console_sessions().DeleteForAdmin("nobody"), 0);
}

}  // namespace
}  // namespace groundcrew::store::conformance

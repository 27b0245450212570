// Admins as people over a real (in-memory) SQLite store, on a clock the test moves: adding and
// managing accounts (admins only, audited, secrets never in the audit log), signing in with
// password and TOTP, lockout as for users, console sessions' idle and absolute expiry, CSRF.
#include "server/service/admin_service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "identity/sha256.hpp"
#include "identity/totp.hpp"
#include "server/service/auth.hpp"
#include "server/store_sqlite/sqlite_store.hpp"

namespace groundcrew::service {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using store::CredentialRole;

constexpr const char* kPassword = "correct horse battery staple 42";

class AdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::sqlite::SqliteStore::Open({.path = ":memory:"});
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    AdminOptions options;
    options.lockout = {5, minutes(10), minutes(15)};
    options.password_cost = identity::kMinimumPasswordCost;
    admins_ = std::make_unique<AdminService>(
        *store_, [this] { return now_; }, options);
  }

  // Adds `name`; returns its TOTP secret (raw).
  std::string Add(const std::string& name, CredentialRole role = CredentialRole::kAdmin) {
    auto added = admins_->Add(root_, name, role, kPassword);
    EXPECT_TRUE(added) << added.error().message;
    if (!added) return "";
    return identity::Base32Decode(added->totp_secret_base32).value();
  }

  // The code of `secret` at a new TOTP step (the clock moves on one step first).
  std::string NextCode(const std::string& secret) {
    now_ += identity::kTotpStep;
    return identity::GenerateTotp(secret, now_).value();
  }

  std::vector<store::AuditEntry> AuditLog() {
    auto page = store_->audit().List({}, {.after = "", .limit = 1000});
    EXPECT_TRUE(page) << page.error().message;
    return page ? page->items : std::vector<store::AuditEntry>{};
  }

  core::Timestamp now_{seconds(1'800'000'000)};
  const Actor root_{"root", CredentialRole::kAdmin};
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<AdminService> admins_;
};

TEST_F(AdminServiceTest, OnlyAdminsAddValidNamesWithGoodPasswords) {
  for (CredentialRole role : {CredentialRole::kReader, CredentialRole::kTechnician}) {
    auto refused = admins_->Add(Actor{"x", role}, "alice", CredentialRole::kAdmin, kPassword);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  }
  EXPECT_EQ(admins_->Add(root_, "Alice", CredentialRole::kAdmin, kPassword).error().field, "name");
  EXPECT_EQ(admins_->Add(root_, "alice", CredentialRole::kAdmin, "short").error().field,
            "password");
  auto added = admins_->Add(root_, "alice", CredentialRole::kTechnician, kPassword);
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->role, CredentialRole::kTechnician);
  EXPECT_EQ(added->otpauth_uri.rfind("otpauth://totp/groundcrew:alice?secret=", 0), 0u);
  EXPECT_EQ(identity::Base32Decode(added->totp_secret_base32)->size(), identity::kTotpSecretBytes);
  EXPECT_EQ(admins_->Add(root_, "alice", CredentialRole::kAdmin, kPassword).error().code,
            ErrorCode::kAlreadyExists);

  // Admins and credentials never share a name, either way round.
  ASSERT_TRUE(IssueCredential(*store_, root_, "ci", CredentialRole::kReader, now_));
  EXPECT_EQ(admins_->Add(root_, "ci", CredentialRole::kAdmin, kPassword).error().code,
            ErrorCode::kAlreadyExists);
  EXPECT_EQ(IssueCredential(*store_, root_, "ALICE", CredentialRole::kReader, now_).error().code,
            ErrorCode::kAlreadyExists);

  const auto listed = admins_->List(root_);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().name, "alice");
  EXPECT_EQ(admins_->List(Actor{"x", CredentialRole::kReader}).error().code,
            ErrorCode::kPermissionDenied);
  // The audit log names the actor and the role, never a secret.
  std::vector<store::AuditEntry> created;
  for (const store::AuditEntry& entry : AuditLog()) {
    if (entry.resource_kind == "admins") created.push_back(entry);
  }
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].actor, "root");
  EXPECT_EQ(created[0].action, "create");
  EXPECT_EQ(created[0].resource_name, "alice");
  EXPECT_EQ(created[0].detail, R"({"role":"technician"})");
}

TEST_F(AdminServiceTest, SignInNeedsThePasswordAndAFreshCode) {
  const std::string secret = Add("alice");
  auto wrong = admins_->SignIn("alice", "not the password", NextCode(secret));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(wrong.error().field, "password");
  auto unknown = admins_->SignIn("nobody", kPassword, NextCode(secret));
  EXPECT_EQ(unknown.error().message, wrong.error().message) << "never says which was wrong";
  EXPECT_EQ(unknown.error().field, "password");
  for (const char* code : {"000000", "12345", "abcdef"}) {
    auto bad = admins_->SignIn("alice", kPassword, code);
    ASSERT_FALSE(bad) << code;
    EXPECT_EQ(bad.error().code, ErrorCode::kUnauthenticated) << code;
    EXPECT_EQ(bad.error().field, "code") << code;
  }
  EXPECT_EQ(admins_->SignIn("alice", kPassword, "").error().code, ErrorCode::kInvalidArgument);

  const std::string code = NextCode(secret);
  auto signed_in = admins_->SignIn("alice", kPassword, code);
  ASSERT_TRUE(signed_in) << signed_in.error().message;
  EXPECT_EQ(signed_in->token.rfind(kConsoleSessionPrefix, 0), 0u);
  EXPECT_EQ(signed_in->session.name, "alice");
  EXPECT_EQ(signed_in->session.role, CredentialRole::kAdmin);
  EXPECT_EQ(signed_in->session.idle_expires_date_time, now_ + minutes(30));
  EXPECT_EQ(signed_in->session.expires_date_time, now_ + hours(12));
  EXPECT_FALSE(signed_in->session.csrf_token.empty());
  // Only the token's hash is stored.
  EXPECT_FALSE(store_->console_sessions().FindByTokenSha256(signed_in->token)->has_value());
  const auto account = store_->admin_accounts().Find("alice").value();
  EXPECT_EQ(account->value.last_sign_in_date_time, now_);
  EXPECT_TRUE(account->value.recent_failures.empty()) << "a success clears the failures";
  EXPECT_EQ(admins_->SignIn("alice", kPassword, code).error().field, "code")
      << "a code is accepted once";
}

TEST_F(AdminServiceTest, RepeatedFailuresLockTheNameUntilUnlockedOrTheLockEnds) {
  const std::string secret = Add("alice");
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(admins_->SignIn("alice", "wrong!", NextCode(secret)));
  auto locked = admins_->SignIn("alice", kPassword, NextCode(secret));
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(locked.error().field, "name");
  EXPECT_NE(locked.error().message.find("until 2027-01-15T08:1"), std::string::npos)
      << locked.error().message;
  // Wrong codes count too, and names nobody has lock alike.
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(admins_->SignIn("nobody", kPassword, "000000"));
  EXPECT_EQ(admins_->SignIn("nobody", kPassword, "000000").error().code,
            ErrorCode::kPermissionDenied);

  EXPECT_EQ(admins_->Unlock(Actor{"t", CredentialRole::kTechnician}, "alice").error().code,
            ErrorCode::kPermissionDenied);
  ASSERT_TRUE(admins_->Unlock(root_, "alice"));
  EXPECT_TRUE(admins_->SignIn("alice", kPassword, NextCode(secret)));

  for (int i = 0; i < 5; ++i) EXPECT_FALSE(admins_->SignIn("alice", kPassword, "000000"));
  EXPECT_EQ(admins_->SignIn("alice", kPassword, NextCode(secret)).error().code,
            ErrorCode::kPermissionDenied);
  now_ += minutes(15);
  EXPECT_TRUE(admins_->SignIn("alice", kPassword, NextCode(secret))) << "the lock ended";
  EXPECT_EQ(admins_->Unlock(root_, "nobody").error().code, ErrorCode::kNotFound);
}

TEST_F(AdminServiceTest, SessionsRenewTheirIdleExpiryAndEndIdleOrAfterTwelveHours) {
  const std::string secret = Add("alice", CredentialRole::kReader);
  const auto signed_in = admins_->SignIn("alice", kPassword, NextCode(secret)).value();
  const core::Timestamp start = now_;
  auto resumed = admins_->Resume(signed_in.token);
  ASSERT_TRUE(resumed) << resumed.error().message;
  EXPECT_EQ(resumed->role, CredentialRole::kReader);
  EXPECT_EQ(resumed->actor().name, "alice");
  now_ += minutes(25);
  EXPECT_EQ(admins_->Resume(signed_in.token)->idle_expires_date_time, start + minutes(55));
  now_ += minutes(31);  // idle since the last request
  auto idle = admins_->Resume(signed_in.token);
  ASSERT_FALSE(idle);
  EXPECT_EQ(idle.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(idle.error().field, "Cookie");
  EXPECT_FALSE(store_->console_sessions()
                   .FindByTokenSha256(identity::Sha256Hex(signed_in.token))
                   ->has_value())
      << "an expired session is removed";

  const auto busy = admins_->SignIn("alice", kPassword, NextCode(secret)).value();
  const core::Timestamp busy_start = now_;
  while (now_ + minutes(20) < busy_start + hours(12)) {
    now_ += minutes(20);
    ASSERT_TRUE(admins_->Resume(busy.token));
  }
  now_ = busy_start + hours(12);
  EXPECT_NE(admins_->Resume(busy.token).error().message.find("12 hours"), std::string::npos);
  EXPECT_FALSE(admins_->Resume("gcses_unknown"));

  // Expired sessions are purged (at startup).
  const auto left = admins_->SignIn("alice", kPassword, NextCode(secret)).value();
  now_ += hours(1);
  EXPECT_EQ(admins_->PurgeExpired().value(), 1);
  EXPECT_FALSE(admins_->Resume(left.token));
}

TEST_F(AdminServiceTest, SignOutResetMfaAndRemovalEndSessions) {
  const std::string secret = Add("alice");
  const auto first = admins_->SignIn("alice", kPassword, NextCode(secret)).value();
  ASSERT_TRUE(admins_->SignOut(first.token));
  EXPECT_FALSE(admins_->Resume(first.token));
  EXPECT_TRUE(admins_->SignOut(first.token)) << "signing out twice is no error";

  const auto second = admins_->SignIn("alice", kPassword, NextCode(secret)).value();
  auto reset = admins_->ResetMfa(root_, "alice");
  ASSERT_TRUE(reset) << reset.error().message;
  EXPECT_FALSE(admins_->Resume(second.token));
  EXPECT_EQ(admins_->SignIn("alice", kPassword, NextCode(secret)).error().field, "code");
  const std::string fresh = identity::Base32Decode(reset->totp_secret_base32).value();
  const auto third = admins_->SignIn("alice", kPassword, NextCode(fresh)).value();

  ASSERT_TRUE(admins_->Remove(root_, "alice"));
  EXPECT_FALSE(admins_->Resume(third.token));
  EXPECT_EQ(admins_->Remove(root_, "alice").error().code, ErrorCode::kNotFound);

  std::vector<std::string> actions;
  for (const store::AuditEntry& entry : AuditLog()) {
    actions.push_back(entry.actor + " " + entry.action);
    EXPECT_EQ(entry.detail.find(reset->totp_secret_base32), std::string::npos);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"root create", "alice signIn", "alice signOut",
                                               "alice signIn", "root resetMfa", "alice signIn",
                                               "root delete"}));
}

TEST_F(AdminServiceTest, ChangesWithTheCookieNeedTheSessionsCsrfToken) {
  const ConsoleSessionView session{"alice", CredentialRole::kAdmin, "the-token", now_, now_};
  EXPECT_TRUE(AdminService::CheckCsrf(session, "GET", ""));
  EXPECT_TRUE(AdminService::CheckCsrf(session, "HEAD", ""));
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    for (const char* presented : {"", "the-tokeN", "the-token-"}) {
      Status refused = AdminService::CheckCsrf(session, method, presented);
      ASSERT_FALSE(refused) << method << " " << presented;
      EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
      EXPECT_EQ(refused.error().field, "X-CSRF-Token");
    }
    EXPECT_TRUE(AdminService::CheckCsrf(session, method, "the-token")) << method;
  }
}

}  // namespace
}  // namespace groundcrew::service

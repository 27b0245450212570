// Admin credentials over a real SQLite file, whose adapter keeps the credentials it found in
// memory: a revoked token must be refused by the very next request, on any thread, and a token
// issued by another process (`groundcrew credentials recover`) accepted at once. Also who the
// audit log names, and the recovery's checks of the data directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "server/service/auth.hpp"
#include "server/service/data_dir.hpp"
#include "server/store_sqlite/sqlite_store.hpp"

namespace groundcrew::service {
namespace {

namespace fs = std::filesystem;

class AuthCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gc-auth-cache-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    auto opened = store::sqlite::SqliteStore::Open({.path = (dir_ / "groundcrew.db").string()});
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  // Authenticate on another thread, as an HTTP worker does.
  Result<Actor> AuthenticateElsewhere(const std::string& token) {
    return std::async(std::launch::async,
                      [&] { return Authenticate(store_->credentials(), "Bearer " + token); })
        .get();
  }

  // What DELETE /v1/credentials/{id} does: revoke and audit in one transaction.
  Status RevokeAsTheApiDoes(const std::string& id, bool commit) {
    return store_->Transact([&]() -> Status {
      if (Status s = store_->credentials().Revoke(id, now_); !s) return s;
      store::AuditEntry entry;
      entry.at = now_;
      entry.actor = "admin";
      entry.action = "revoke";
      entry.resource_kind = "credentials";
      entry.resource_id = id;
      entry.detail = "{}";
      if (auto appended = store_->audit().Append(entry); !appended) return appended.error();
      if (!commit) return MakeError(ErrorCode::kAborted, "rolled back on purpose");
      return Ok{};
    });
  }

  std::vector<store::AuditEntry> AuditLog() {
    auto page = store_->audit().List({.after = "", .limit = 1000});
    EXPECT_TRUE(page) << page.error().message;
    return page ? page->items : std::vector<store::AuditEntry>{};
  }

  core::Timestamp now_{std::chrono::seconds(1'800'000'000)};
  Actor admin_{"alice", store::CredentialRole::kAdmin};
  fs::path dir_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
};

TEST_F(AuthCacheTest, ARevokedTokenIsRefusedAtOnceThoughItWasVerifiedBefore) {
  auto issued =
      IssueCredential(*store_, admin_, "automation", store::CredentialRole::kReader, now_);
  ASSERT_TRUE(issued) << issued.error().message;
  for (int i = 0; i < 3; ++i) {  // verified repeatedly: answered from memory after the first
    auto actor = AuthenticateElsewhere(issued->token);
    ASSERT_TRUE(actor) << actor.error().message;
    EXPECT_EQ(actor->name, "automation");
    EXPECT_EQ(actor->role, store::CredentialRole::kReader);
  }

  ASSERT_FALSE(RevokeAsTheApiDoes(issued->id, /*commit=*/false));
  EXPECT_TRUE(AuthenticateElsewhere(issued->token)) << "a rolled-back revocation revokes nothing";

  ASSERT_TRUE(RevokeAsTheApiDoes(issued->id, /*commit=*/true));
  auto refused = AuthenticateElsewhere(issued->token);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthenticated);
  auto here = Authenticate(store_->credentials(), "Bearer " + issued->token);
  ASSERT_FALSE(here);
  EXPECT_EQ(here.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(AuthCacheTest, ANewCredentialWorksAtOnceAndOthersStayValid) {
  auto first = IssueCredential(*store_, admin_, "first", store::CredentialRole::kAdmin, now_);
  ASSERT_TRUE(first);
  ASSERT_TRUE(AuthenticateElsewhere(first->token));
  auto second = IssueCredential(*store_, admin_, "second", store::CredentialRole::kAdmin, now_);
  ASSERT_TRUE(second);
  EXPECT_TRUE(AuthenticateElsewhere(second->token));
  ASSERT_TRUE(RevokeAsTheApiDoes(second->id, /*commit=*/true));
  EXPECT_FALSE(AuthenticateElsewhere(second->token));
  EXPECT_TRUE(AuthenticateElsewhere(first->token));
  // An unknown token is refused (and not remembered).
  EXPECT_EQ(AuthenticateElsewhere("gcadm_unknown").error().code, ErrorCode::kUnauthenticated);
}

TEST_F(AuthCacheTest, ATokenAnotherProcessIssuedIsAcceptedAtOnce) {
  // What the service knows already, and a token it has been shown before it existed.
  auto first = IssueCredential(*store_, admin_, "first", store::CredentialRole::kAdmin, now_);
  ASSERT_TRUE(first);
  ASSERT_TRUE(AuthenticateElsewhere(first->token));
  // A second store over the same file: what `groundcrew credentials recover` opens.
  auto other = store::sqlite::SqliteStore::Open({.path = (dir_ / "groundcrew.db").string()});
  ASSERT_TRUE(other) << other.error().message;
  const Actor root{"local:root", store::CredentialRole::kAdmin};
  auto recovered =
      IssueCredential(**other, root, "recovered", store::CredentialRole::kAdmin, now_, "recover");
  ASSERT_TRUE(recovered) << recovered.error().message;
  auto actor = AuthenticateElsewhere(recovered->token);
  ASSERT_TRUE(actor) << actor.error().message;
  EXPECT_EQ(actor->name, "recovered");
  EXPECT_EQ(actor->role, store::CredentialRole::kAdmin);
}

TEST_F(AuthCacheTest, TheAuditLogNamesTheAdminWhoIssuedOrRevokedACredential) {
  auto issued = IssueCredential(*store_, admin_, "ci", store::CredentialRole::kReader, now_);
  ASSERT_TRUE(issued) << issued.error().message;
  ASSERT_TRUE(RevokeCredential(*store_, admin_, issued->id, now_));
  const std::vector<store::AuditEntry> log = AuditLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].actor, "alice");
  EXPECT_EQ(log[0].action, "create");
  EXPECT_EQ(log[0].resource_name, "ci");
  EXPECT_EQ(log[0].detail, R"({"role":"reader"})");
  EXPECT_EQ(log[1].actor, "alice");
  EXPECT_EQ(log[1].action, "revoke");
  EXPECT_EQ(log[1].resource_id, issued->id);
  EXPECT_EQ(log[1].resource_name, "ci");

  // A reader may do neither; an unknown id is not found; a revoked name stays taken.
  const Actor reader{"ci", store::CredentialRole::kReader};
  EXPECT_EQ(
      IssueCredential(*store_, reader, "x", store::CredentialRole::kReader, now_).error().code,
      ErrorCode::kPermissionDenied);
  EXPECT_EQ(RevokeCredential(*store_, reader, issued->id, now_).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(RevokeCredential(*store_, admin_, "nope", now_).error().code, ErrorCode::kNotFound);
  auto again = IssueCredential(*store_, admin_, "CI", store::CredentialRole::kReader, now_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().field, "name");
  EXPECT_EQ(AuditLog().size(), 2u) << "refusals are not audited";
}

Result<std::unique_ptr<store::Store>> OpenStore(const std::string& path) {
  auto opened = store::sqlite::SqliteStore::Open({.path = path});
  if (!opened) return opened.error();
  return std::unique_ptr<store::Store>(std::move(*opened));
}

TEST_F(AuthCacheTest, RecoveryIssuesAnAdminCredentialAuditedByTheLocalUser) {
  const fs::path data = dir_ / "var";
  const Clock clock = [this] { return now_; };
  ASSERT_TRUE(Init({.data_dir = data, .organization_name = "Contoso", .domain = "contoso.com"},
                   clock, OpenStore));
  auto recovered = RecoverAdminCredential(
      {.data_dir = data, .name = "recovered-1", .actor = "local:root"}, clock, OpenStore);
  ASSERT_TRUE(recovered) << recovered.error().message;
  auto store = OpenStore((data / "groundcrew.db").string());
  ASSERT_TRUE(store);
  auto actor = Authenticate((*store)->credentials(), "Bearer " + recovered->token);
  ASSERT_TRUE(actor) << actor.error().message;
  EXPECT_EQ(actor->name, "recovered-1");
  EXPECT_EQ(actor->role, store::CredentialRole::kAdmin);
  auto log = (*store)->audit().List({.after = "", .limit = 1000});
  ASSERT_TRUE(log);
  ASSERT_FALSE(log->items.empty());
  EXPECT_EQ(log->items.back().actor, "local:root");
  EXPECT_EQ(log->items.back().action, "recover");
  EXPECT_EQ(log->items.back().resource_name, "recovered-1");
}

TEST_F(AuthCacheTest, RecoveryRefusesWhatIsNotADataDirectoryAndCreatesNothingThere) {
  const Clock clock = [this] { return now_; };
  const fs::path empty = dir_ / "empty";
  fs::create_directories(empty);
  auto refused = RecoverAdminCredential({.data_dir = empty, .name = "r", .actor = "local:root"},
                                        clock, OpenStore);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().field, "data-dir");
  EXPECT_NE(refused.error().message.find(empty.string() + " is not a groundcrew data directory"),
            std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(fs::is_empty(empty));
  auto missing = RecoverAdminCredential(
      {.data_dir = dir_ / "missing", .name = "r", .actor = "local:root"}, clock, OpenStore);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  // The fixture's database has no tenant: not a data directory `groundcrew init` made.
  auto no_tenant = RecoverAdminCredential({.data_dir = dir_, .name = "r", .actor = "local:root"},
                                          clock, OpenStore);
  ASSERT_FALSE(no_tenant);
  EXPECT_EQ(no_tenant.error().code, ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace groundcrew::service

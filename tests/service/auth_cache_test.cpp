// Admin-token verification over a real SQLite file, whose adapter keeps the credentials it found
// in memory: a revoked token must be refused by the very next request, on any thread.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include "server/service/auth.hpp"
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

  core::Timestamp now_{std::chrono::seconds(1'800'000'000)};
  fs::path dir_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
};

TEST_F(AuthCacheTest, ARevokedTokenIsRefusedAtOnceThoughItWasVerifiedBefore) {
  auto issued = IssueCredential(*store_, "automation", store::CredentialRole::kReader, now_);
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
  auto first = IssueCredential(*store_, "first", store::CredentialRole::kAdmin, now_);
  ASSERT_TRUE(first);
  ASSERT_TRUE(AuthenticateElsewhere(first->token));
  auto second = IssueCredential(*store_, "second", store::CredentialRole::kAdmin, now_);
  ASSERT_TRUE(second);
  EXPECT_TRUE(AuthenticateElsewhere(second->token));
  ASSERT_TRUE(RevokeAsTheApiDoes(second->id, /*commit=*/true));
  EXPECT_FALSE(AuthenticateElsewhere(second->token));
  EXPECT_TRUE(AuthenticateElsewhere(first->token));
  // An unknown token is refused (and not remembered).
  EXPECT_EQ(AuthenticateElsewhere("gcadm_unknown").error().code, ErrorCode::kUnauthenticated);
}

}  // namespace
}  // namespace groundcrew::service

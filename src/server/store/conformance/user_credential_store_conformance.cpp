#include "server/store/conformance/user_credential_store_conformance.hpp"

#include <string>

namespace groundcrew::store::conformance {
namespace {

UserCredential Credential(const std::string& user_id) {
  UserCredential c;
  c.user_id = user_id;
  c.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  c.totp_secret = std::string("\x00\x01\xff secret", 10);  // bytes, NUL included
  c.totp_last_step = 59'000'000;
  c.recent_failures = {At(1'700'000'000), At(1'700'000'030)};
  c.locked_until = At(1'700'000'900);
  c.updated_date_time = At(1'700'000'031);
  return c;
}

void ExpectSame(const UserCredential& a, const UserCredential& b) {
  EXPECT_EQ(a.user_id, b.user_id);
  EXPECT_EQ(a.password_hash, b.password_hash);
  EXPECT_EQ(a.totp_secret, b.totp_secret);
  EXPECT_EQ(a.totp_last_step, b.totp_last_step);
  EXPECT_EQ(a.recent_failures, b.recent_failures);
  EXPECT_EQ(a.locked_until, b.locked_until);
  EXPECT_EQ(a.updated_date_time, b.updated_date_time);
}

TEST_P(UserCredentialStoreConformance, StoresAndFindsEveryField) {
  EXPECT_FALSE(store().user_credentials().Find("u1")->has_value());
  auto stored = store().user_credentials().Put(Credential("u1"), std::nullopt);
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EXPECT_EQ(stored->version, 1);
  auto found = store().user_credentials().Find("u1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  ExpectSame((*found)->value, Credential("u1"));
  EXPECT_EQ((*found)->version, 1);

  UserCredential empty;  // no password, no MFA, never failed
  empty.user_id = "u2";
  ASSERT_TRUE(store().user_credentials().Put(empty, std::nullopt).has_value());
  auto blank = store().user_credentials().Find("u2");
  ASSERT_TRUE(blank.has_value() && blank->has_value());
  ExpectSame((*blank)->value, empty);
}

TEST_P(UserCredentialStoreConformance, ChangesNameTheVersionTheyRead) {
  ASSERT_TRUE(store().user_credentials().Put(Credential("u1"), std::nullopt).has_value());
  auto duplicate = store().user_credentials().Put(Credential("u1"), std::nullopt);
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kAlreadyExists);

  UserCredential next = Credential("u1");
  next.totp_last_step += 1;
  next.recent_failures.clear();
  next.locked_until.reset();
  auto updated = store().user_credentials().Put(next, 1);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->version, 2);
  // A second writer that read version 1 loses: a TOTP step is accepted once.
  auto stale = store().user_credentials().Put(Credential("u1"), 1);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kAborted);
  ExpectSame((*store().user_credentials().Find("u1"))->value, next);

  auto missing = store().user_credentials().Put(Credential("nobody"), 1);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().user_credentials().Put(UserCredential{}, std::nullopt).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_P(UserCredentialStoreConformance, DeleteForgetsAndIsIdempotent) {
  ASSERT_TRUE(store().user_credentials().Put(Credential("u1"), std::nullopt).has_value());
  ASSERT_TRUE(store().user_credentials().Delete("u1").has_value());
  EXPECT_FALSE(store().user_credentials().Find("u1")->has_value());
  EXPECT_TRUE(store().user_credentials().Delete("u1").has_value());
}

TEST_P(UserCredentialStoreConformance, ATransactionThatFailsLeavesCredentialsAsTheyWere) {
  ASSERT_TRUE(store().user_credentials().Put(Credential("u1"), std::nullopt).has_value());
  Status failed = store().Transact([&]() -> Status {
    UserCredential changed = Credential("u1");
    changed.password_hash = "$argon2id$changed";
    if (auto s = store().user_credentials().Put(changed, 1); !s) return s.error();
    return MakeError(ErrorCode::kAborted, "the use case gave up");
  });
  EXPECT_FALSE(failed.has_value());
  auto found = store().user_credentials().Find("u1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->version, 1);
  ExpectSame((*found)->value, Credential("u1"));
}

}  // namespace
}  // namespace groundcrew::store::conformance

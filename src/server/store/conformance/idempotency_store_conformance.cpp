#include "server/store/conformance/idempotency_store_conformance.hpp"

#include <string>

namespace groundcrew::store::conformance {
namespace {

constexpr int64_t kCreated = 1'700'000'000;
constexpr int64_t kExpires = kCreated + 24 * 3600;

// Every field set; the body holds raw bytes, NUL and 0xff included.
IdempotentResponse Answer(const std::string& credential, const std::string& key) {
  IdempotentResponse r;
  r.credential_id = credential;
  r.key = key;
  r.fingerprint = "POST /v1/autopilotDevices/import 9f86d081884c7d65";
  r.status = 201;
  r.content_type = "application/json";
  r.body = std::string("{\"imported\":1}\x00\xff", 16);
  r.created_date_time = At(kCreated);
  r.expires_date_time = At(kExpires);
  return r;
}

void ExpectSame(const IdempotentResponse& a, const IdempotentResponse& b) {
  EXPECT_EQ(a.credential_id, b.credential_id);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.content_type, b.content_type);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.created_date_time, b.created_date_time);
  EXPECT_EQ(a.expires_date_time, b.expires_date_time);
}

TEST_P(IdempotencyStoreConformance, PutsAndFindsEveryField) {
  ASSERT_TRUE(store().idempotency().Put(Answer("cred-1", "k1")).has_value());
  auto found = store().idempotency().Find("cred-1", "k1", At(kCreated + 60));
  ASSERT_TRUE(found.has_value()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  ExpectSame(**found, Answer("cred-1", "k1"));
  EXPECT_EQ((*found)->body.size(), 16u);

  auto unknown = store().idempotency().Find("cred-1", "k2", At(kCreated + 60));
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(IdempotencyStoreConformance, AKeyBelongsToOneCredentialAndHasOneAnswer) {
  ASSERT_TRUE(store().idempotency().Put(Answer("cred-1", "k1")).has_value());
  // Another credential's same key is another answer.
  IdempotentResponse other = Answer("cred-2", "k1");
  other.body = "{}";
  ASSERT_TRUE(store().idempotency().Put(other).has_value());
  auto theirs = store().idempotency().Find("cred-2", "k1", At(kCreated + 60));
  ASSERT_TRUE(theirs.has_value() && theirs->has_value());
  EXPECT_EQ((*theirs)->body, "{}");
  // The same credential's same key: refused, and the first answer stays.
  auto again = store().idempotency().Put(Answer("cred-1", "k1"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().field, "Idempotency-Key");

  IdempotentResponse no_key = Answer("cred-1", "");
  auto refused = store().idempotency().Put(no_key);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(IdempotencyStoreConformance, ExpiredAnswersAreNeitherFoundNorKeptAndGiveWay) {
  ASSERT_TRUE(store().idempotency().Put(Answer("cred-1", "k1")).has_value());
  ASSERT_TRUE(store().idempotency().Put(Answer("cred-1", "k2")).has_value());
  auto at_expiry = store().idempotency().Find("cred-1", "k1", At(kExpires));
  ASSERT_TRUE(at_expiry.has_value());
  EXPECT_FALSE(at_expiry->has_value());

  // An expired key may be used again.
  IdempotentResponse later = Answer("cred-1", "k1");
  later.created_date_time = At(kExpires + 1);
  later.expires_date_time = At(kExpires + 1 + 24 * 3600);
  later.status = 200;
  ASSERT_TRUE(store().idempotency().Put(later).has_value());
  auto found = store().idempotency().Find("cred-1", "k1", At(kExpires + 2));
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->status, 200);

  auto swept = store().idempotency().DeleteExpired(At(kExpires));
  ASSERT_TRUE(swept.has_value());
  EXPECT_EQ(*swept, 1);  // k2; k1 was replaced by an unexpired answer
  auto kept = store().idempotency().Find("cred-1", "k1", At(kExpires + 2));
  ASSERT_TRUE(kept.has_value() && kept->has_value());
}

TEST_P(IdempotencyStoreConformance, APutInsideARolledBackTransactionLeavesNothing) {
  Status rolled_back = store().Transact([&]() -> Status {
    if (Status s = store().idempotency().Put(Answer("cred-1", "k1")); !s) return s;
    return MakeError(ErrorCode::kAborted, "the use case failed");
  });
  ASSERT_FALSE(rolled_back.has_value());
  auto found = store().idempotency().Find("cred-1", "k1", At(kCreated + 60));
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

}  // namespace
}  // namespace groundcrew::store::conformance

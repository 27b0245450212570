#include "server/store/conformance/token_store_conformance.hpp"

#include <string>

namespace groundcrew::store::conformance {
namespace {

constexpr int64_t kIssued = 1'700'000'000;
constexpr int64_t kExpires = kIssued + 3600;
constexpr int64_t kNow = kIssued + 600;  // every token of Token() is valid then

IssuedTokenRecord Token(const std::string& id, const std::string& audience,
                        const std::string& subject, const std::string& device_id) {
  IssuedTokenRecord t;
  t.id = id;
  t.audience = audience;
  t.subject = subject;
  t.device_id = device_id;
  t.issued_date_time = At(kIssued);
  t.expiration_date_time = At(kExpires);
  return t;
}

IssuedTokenRecord DeviceToken(const std::string& id, const std::string& device_id) {
  return Token(id, "device", device_id, device_id);
}

void ExpectSame(const IssuedTokenRecord& a, const IssuedTokenRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.audience, b.audience);
  EXPECT_EQ(a.subject, b.subject);
  EXPECT_EQ(a.device_id, b.device_id);
  EXPECT_EQ(a.issued_date_time, b.issued_date_time);
  EXPECT_EQ(a.expiration_date_time, b.expiration_date_time);
  EXPECT_EQ(a.revoked_date_time, b.revoked_date_time);
}

// The token as stored now. REQUIRES: it is known.
IssuedTokenRecord Stored(Store& store, const std::string& id) {
  auto found = store.tokens().Find(id);
  EXPECT_TRUE(found.has_value() && found->has_value()) << id;
  if (!found.has_value() || !found->has_value()) return {};
  return **found;
}

TEST_P(TokenStoreConformance, RecordsAndFindsEveryField) {
  const IssuedTokenRecord device = DeviceToken("t1", "ztd-1");
  ASSERT_TRUE(store().tokens().Record(device).has_value());
  ExpectSame(Stored(store(), "t1"), device);
  EXPECT_FALSE(Stored(store(), "t1").revoked_date_time.has_value());

  IssuedTokenRecord user = Token("t2", "user", "user-1", "");  // not issued on a device
  user.revoked_date_time = At(kIssued + 10);
  ASSERT_TRUE(store().tokens().Record(user).has_value());
  ExpectSame(Stored(store(), "t2"), user);

  auto unknown = store().tokens().Find("nope");
  ASSERT_TRUE(unknown.has_value()) << unknown.error().message;
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(TokenStoreConformance, AnIdIsRecordedOnce) {
  ASSERT_TRUE(store().tokens().Record(DeviceToken("t1", "ztd-1")).has_value());
  Status duplicate = store().tokens().Record(Token("t1", "user", "user-1", "ztd-1"));
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kAlreadyExists);
  ExpectSame(Stored(store(), "t1"), DeviceToken("t1", "ztd-1"));
  EXPECT_EQ(store().tokens().Record(DeviceToken("", "ztd-1")).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_P(TokenStoreConformance, AnUnknownTokenCountsAsRevoked) {
  auto unknown = store().tokens().IsRevoked("never-issued");
  ASSERT_TRUE(unknown.has_value()) << unknown.error().message;
  EXPECT_TRUE(*unknown);

  ASSERT_TRUE(store().tokens().Record(DeviceToken("t1", "ztd-1")).has_value());
  EXPECT_FALSE(*store().tokens().IsRevoked("t1"));
  IssuedTokenRecord revoked = DeviceToken("t2", "ztd-1");
  revoked.revoked_date_time = At(kIssued);
  ASSERT_TRUE(store().tokens().Record(revoked).has_value());
  EXPECT_TRUE(*store().tokens().IsRevoked("t2"));
}

TEST_P(TokenStoreConformance, RevokeIsOnceAndKeepsTheFirstTime) {
  ASSERT_TRUE(store().tokens().Record(DeviceToken("t1", "ztd-1")).has_value());
  ASSERT_TRUE(store().tokens().Record(DeviceToken("t2", "ztd-1")).has_value());
  auto revoked = store().tokens().Revoke("t1", At(kNow));
  ASSERT_TRUE(revoked.has_value()) << revoked.error().message;
  EXPECT_TRUE(*revoked);
  EXPECT_TRUE(*store().tokens().IsRevoked("t1"));
  EXPECT_EQ(Stored(store(), "t1").revoked_date_time, At(kNow));

  auto again = store().tokens().Revoke("t1", At(kNow + 60));
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(*again);
  EXPECT_EQ(Stored(store(), "t1").revoked_date_time, At(kNow));
  EXPECT_FALSE(*store().tokens().Revoke("nope", At(kNow)));
  EXPECT_FALSE(*store().tokens().IsRevoked("t2"));
}

TEST_P(TokenStoreConformance, RevokeForDeviceRevokesItsLiveTokensOnly) {
  IssuedTokenRecord expired = DeviceToken("expired", "ztd-1");
  expired.expiration_date_time = At(kNow - 1);
  IssuedTokenRecord expiring_now = DeviceToken("expiring-now", "ztd-1");
  expiring_now.expiration_date_time = At(kNow);  // expired at kNow
  IssuedTokenRecord earlier = DeviceToken("earlier", "ztd-1");
  earlier.revoked_date_time = At(kIssued + 5);
  for (const IssuedTokenRecord& t :
       {DeviceToken("device", "ztd-1"), Token("user-on-it", "user", "user-1", "ztd-1"), expired,
        expiring_now, earlier, DeviceToken("other-device", "ztd-2"),
        Token("user-elsewhere", "user", "user-1", "")}) {
    ASSERT_TRUE(store().tokens().Record(t).has_value()) << t.id;
  }

  auto count = store().tokens().RevokeForDevice("ztd-1", At(kNow));
  ASSERT_TRUE(count.has_value()) << count.error().message;
  EXPECT_EQ(*count, 2);
  EXPECT_EQ(Stored(store(), "device").revoked_date_time, At(kNow));
  EXPECT_EQ(Stored(store(), "user-on-it").revoked_date_time, At(kNow));
  EXPECT_FALSE(Stored(store(), "expired").revoked_date_time.has_value());
  EXPECT_FALSE(Stored(store(), "expiring-now").revoked_date_time.has_value());
  EXPECT_EQ(Stored(store(), "earlier").revoked_date_time, At(kIssued + 5));
  EXPECT_FALSE(*store().tokens().IsRevoked("other-device"));
  EXPECT_FALSE(*store().tokens().IsRevoked("user-elsewhere"));

  EXPECT_EQ(*store().tokens().RevokeForDevice("ztd-1", At(kNow + 1)), 0);
  EXPECT_EQ(*store().tokens().RevokeForDevice("ztd-9", At(kNow)), 0);
  // "" is no device: it names no tokens, least of all every token issued on none.
  auto no_device = store().tokens().RevokeForDevice("", At(kNow));
  ASSERT_FALSE(no_device.has_value());
  EXPECT_EQ(no_device.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(*store().tokens().IsRevoked("user-elsewhere"));
}

TEST_P(TokenStoreConformance, RevokeForSubjectRevokesItsLiveTokensOnly) {
  IssuedTokenRecord expired = Token("expired", "user", "user-1", "ztd-1");
  expired.expiration_date_time = At(kNow);
  IssuedTokenRecord earlier = Token("earlier", "user", "user-1", "ztd-1");
  earlier.revoked_date_time = At(kIssued + 5);
  for (const IssuedTokenRecord& t :
       {Token("on-1", "user", "user-1", "ztd-1"), Token("on-2", "user", "user-1", "ztd-2"),
        Token("on-none", "user", "user-1", ""), expired, earlier,
        Token("other-user", "user", "user-2", "ztd-1"), DeviceToken("device", "ztd-1")}) {
    ASSERT_TRUE(store().tokens().Record(t).has_value()) << t.id;
  }

  auto count = store().tokens().RevokeForSubject("user-1", At(kNow));
  ASSERT_TRUE(count.has_value()) << count.error().message;
  EXPECT_EQ(*count, 3);
  for (const char* id : {"on-1", "on-2", "on-none"}) {
    EXPECT_EQ(Stored(store(), id).revoked_date_time, At(kNow)) << id;
  }
  EXPECT_FALSE(Stored(store(), "expired").revoked_date_time.has_value());
  EXPECT_EQ(Stored(store(), "earlier").revoked_date_time, At(kIssued + 5));
  EXPECT_FALSE(*store().tokens().IsRevoked("other-user"));
  EXPECT_FALSE(*store().tokens().IsRevoked("device"));

  EXPECT_EQ(*store().tokens().RevokeForSubject("user-1", At(kNow + 1)), 0);
  EXPECT_EQ(store().tokens().RevokeForSubject("", At(kNow)).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_P(TokenStoreConformance, DeleteExpiredForgetsTokensThatExpiredBefore) {
  for (int i = 0; i < 3; ++i) {
    IssuedTokenRecord t = DeviceToken("t" + std::to_string(i), "ztd-1");
    t.expiration_date_time = At(kExpires + 100 * i);  // kExpires, +100, +200
    ASSERT_TRUE(store().tokens().Record(t).has_value());
  }
  ASSERT_TRUE(*store().tokens().Revoke("t2", At(kNow)));

  auto none = store().tokens().DeleteExpired(At(kExpires));
  ASSERT_TRUE(none.has_value()) << none.error().message;
  EXPECT_EQ(*none, 0);  // t0 expires at kExpires: not before it
  auto purged = store().tokens().DeleteExpired(At(kExpires + 101));
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 2);
  EXPECT_FALSE(store().tokens().Find("t0")->has_value());
  EXPECT_FALSE(store().tokens().Find("t1")->has_value());
  // Forgotten tokens count as revoked; a revoked token is kept until it expired.
  EXPECT_TRUE(*store().tokens().IsRevoked("t0"));
  EXPECT_TRUE(store().tokens().Find("t2")->has_value());
  EXPECT_EQ(*store().tokens().DeleteExpired(At(kExpires + 101)), 0);
}

TEST_P(TokenStoreConformance, ATransactionThatFailsLeavesTokensAsTheyWere) {
  ASSERT_TRUE(store().tokens().Record(DeviceToken("t1", "ztd-1")).has_value());
  Status failed = store().Transact([&]() -> Status {
    if (auto s = store().tokens().Record(DeviceToken("t2", "ztd-1")); !s) return s.error();
    auto count = store().tokens().RevokeForDevice("ztd-1", At(kNow));
    if (!count) return count.error();
    if (*count != 2) return MakeError(ErrorCode::kInternal, "expected two tokens revoked");
    return MakeError(ErrorCode::kAborted, "the use case gave up");
  });
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kAborted) << failed.error().message;
  EXPECT_FALSE(*store().tokens().IsRevoked("t1"));
  ExpectSame(Stored(store(), "t1"), DeviceToken("t1", "ztd-1"));
  EXPECT_FALSE(store().tokens().Find("t2")->has_value());
}

}  // namespace
}  // namespace groundcrew::store::conformance

#include "server/store/conformance/device_trust_store_conformance.hpp"

#include <string>
#include <vector>

namespace groundcrew::store::conformance {
namespace {

core::AutopilotDeviceIdentity Device(int n) {
  core::AutopilotDeviceIdentity d;
  d.id = core::ZtdId{"ztd-" + std::to_string(2000 + n)};
  d.serial_number = "SN" + std::to_string(2000 + n);
  d.hardware_identifier = "hash-" + std::to_string(n);
  d.created_date_time = At(1'700'000'000);
  return d;
}

// Every field set.
DeviceTrust Trust(int device) {
  DeviceTrust t;
  t.device_id = Device(device).id.value();
  t.directory_device_id = "6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b";
  t.trust_type = core::TrustType::kAzureAd;
  t.display_name = "CONTOSO-" + std::to_string(device);
  t.joined_date_time = At(1'700'000'100);
  t.certificate_serial = "0123456789abcdef0123456789abcdef";
  t.certificate_expiration_date_time = At(1'731'536'100);
  t.enrolled_date_time = At(1'700'000'200);
  t.resealed_date_time = At(1'700'000'300);
  t.primary_user_id = "user-1";
  t.updated_date_time = At(1'700'000'301);
  return t;
}

void ExpectSame(const DeviceTrust& a, const DeviceTrust& b) {
  EXPECT_EQ(a.device_id, b.device_id);
  EXPECT_EQ(a.directory_device_id, b.directory_device_id);
  EXPECT_EQ(a.trust_type, b.trust_type);
  EXPECT_EQ(a.display_name, b.display_name);
  EXPECT_EQ(a.joined_date_time, b.joined_date_time);
  EXPECT_EQ(a.certificate_serial, b.certificate_serial);
  EXPECT_EQ(a.certificate_expiration_date_time, b.certificate_expiration_date_time);
  EXPECT_EQ(a.enrolled_date_time, b.enrolled_date_time);
  EXPECT_EQ(a.resealed_date_time, b.resealed_date_time);
  EXPECT_EQ(a.primary_user_id, b.primary_user_id);
  EXPECT_EQ(a.updated_date_time, b.updated_date_time);
}

TEST_P(DeviceTrustStoreConformance, StoresAndFindsEveryField) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  auto none = store().device_trust().Find(Device(1).id.value());
  ASSERT_TRUE(none.has_value()) << none.error().message;
  EXPECT_FALSE(none->has_value());

  auto stored = store().device_trust().Put(Trust(1), std::nullopt);
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EXPECT_EQ(stored->version, 1);
  ExpectSame(stored->value, Trust(1));
  auto found = store().device_trust().Find(Device(1).id.value());
  ASSERT_TRUE(found.has_value() && found->has_value());
  ExpectSame((*found)->value, Trust(1));
  EXPECT_EQ((*found)->version, 1);

  DeviceTrust joined_only;  // joined, not yet enrolled: the optional times stay unset
  joined_only.device_id = Device(2).id.value();
  joined_only.trust_type = core::TrustType::kNone;
  joined_only.updated_date_time = At(1'700'000'000);
  ASSERT_TRUE(store().device_trust().Put(joined_only, std::nullopt).has_value());
  auto blank = store().device_trust().Find(Device(2).id.value());
  ASSERT_TRUE(blank.has_value() && blank->has_value());
  ExpectSame((*blank)->value, joined_only);
  EXPECT_FALSE((*blank)->value.joined_date_time.has_value());
  EXPECT_FALSE((*blank)->value.certificate_expiration_date_time.has_value());
}

TEST_P(DeviceTrustStoreConformance, KeepsEveryTrustType) {
  const std::vector<core::TrustType> types = {core::TrustType::kNone, core::TrustType::kAzureAd,
                                              core::TrustType::kServerAd,
                                              core::TrustType::kWorkplace};
  for (size_t i = 0; i < types.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    ASSERT_TRUE(store().devices().Insert(std::vector{Device(n)}).has_value());
    DeviceTrust t = Trust(n);
    t.trust_type = types[i];
    ASSERT_TRUE(store().device_trust().Put(t, std::nullopt).has_value());
    auto found = store().device_trust().Find(t.device_id);
    ASSERT_TRUE(found.has_value() && found->has_value());
    EXPECT_EQ((*found)->value.trust_type, types[i]);
  }
}

TEST_P(DeviceTrustStoreConformance, ChangesNameTheVersionTheyRead) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  ASSERT_TRUE(store().device_trust().Put(Trust(1), std::nullopt).has_value());
  auto duplicate = store().device_trust().Put(Trust(1), std::nullopt);
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kAlreadyExists);

  DeviceTrust resealed = Trust(1);
  resealed.resealed_date_time = At(1'700'100'000);
  resealed.certificate_serial = "fedcba9876543210fedcba9876543210";
  resealed.enrolled_date_time.reset();
  resealed.primary_user_id.clear();
  auto updated = store().device_trust().Put(resealed, 1);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->version, 2);
  // A second writer that read version 1 loses.
  auto stale = store().device_trust().Put(Trust(1), 1);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kAborted);
  auto found = store().device_trust().Find(Trust(1).device_id);
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->version, 2);
  ExpectSame((*found)->value, resealed);

  // A registered device without trust: nothing to replace.
  auto missing = store().device_trust().Put(Trust(2), 1);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(store().device_trust().Find(Trust(2).device_id)->has_value());
}

TEST_P(DeviceTrustStoreConformance, BelongsToARegisteredDevice) {
  for (const std::optional<int64_t> version :
       {std::optional<int64_t>(), std::optional<int64_t>(1)}) {
    auto orphan = store().device_trust().Put(Trust(9), version);
    ASSERT_FALSE(orphan.has_value());
    EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(orphan.error().field, "deviceId");
  }
  EXPECT_FALSE(store().device_trust().Find(Trust(9).device_id)->has_value());
}

TEST_P(DeviceTrustStoreConformance, DeletingTheDeviceDeletesItsTrust) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  ASSERT_TRUE(store().device_trust().Put(Trust(1), std::nullopt).has_value());
  ASSERT_TRUE(store().device_trust().Put(Trust(2), std::nullopt).has_value());
  ASSERT_TRUE(store().devices().Delete(Device(1).id, 1).has_value());
  EXPECT_FALSE(store().device_trust().Find(Trust(1).device_id)->has_value());
  EXPECT_TRUE(store().device_trust().Find(Trust(2).device_id)->has_value());
  // The device is gone, so its trust cannot come back.
  auto again = store().device_trust().Put(Trust(1), std::nullopt);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(again.error().field, "deviceId");
}

TEST_P(DeviceTrustStoreConformance, DeleteForgetsOnlyTheTrustAndIsIdempotent) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1)}).has_value());
  ASSERT_TRUE(store().device_trust().Put(Trust(1), std::nullopt).has_value());
  ASSERT_TRUE(store().device_trust().Delete(Trust(1).device_id).has_value());
  EXPECT_FALSE(store().device_trust().Find(Trust(1).device_id)->has_value());
  EXPECT_TRUE(store().device_trust().Delete(Trust(1).device_id).has_value());
  EXPECT_TRUE(store().device_trust().Delete("no-such-device").has_value());
  EXPECT_TRUE(store().devices().Get(Device(1).id).has_value());
  // Joining again starts a new history.
  auto rejoined = store().device_trust().Put(Trust(1), std::nullopt);
  ASSERT_TRUE(rejoined.has_value()) << rejoined.error().message;
  EXPECT_EQ(rejoined->version, 1);
}

TEST_P(DeviceTrustStoreConformance, ATransactionThatFailsLeavesTrustAsItWas) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  ASSERT_TRUE(store().device_trust().Put(Trust(1), std::nullopt).has_value());
  Status failed = store().Transact([&]() -> Status {
    DeviceTrust changed = Trust(1);
    changed.display_name = "RENAMED";
    if (auto s = store().device_trust().Put(changed, 1); !s) return s.error();
    if (auto s = store().device_trust().Put(Trust(2), std::nullopt); !s) return s.error();
    return MakeError(ErrorCode::kAborted, "the use case gave up");
  });
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kAborted) << failed.error().message;
  auto found = store().device_trust().Find(Trust(1).device_id);
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->version, 1);
  ExpectSame((*found)->value, Trust(1));
  EXPECT_FALSE(store().device_trust().Find(Trust(2).device_id)->has_value());
}

}  // namespace
}  // namespace groundcrew::store::conformance

#include "server/store/conformance/inventory_store_conformance.hpp"

#include <string>
#include <vector>

namespace groundcrew::store::conformance {
namespace {

core::AutopilotDeviceIdentity Device(int n) {
  core::AutopilotDeviceIdentity d;
  d.id = core::ZtdId{"ztd-" + std::to_string(3000 + n)};
  d.serial_number = "SN" + std::to_string(3000 + n);
  d.hardware_identifier = "hash-" + std::to_string(n);
  d.created_date_time = At(1'700'000'000);
  return d;
}

std::string IdOf(int device) { return Device(device).id.value(); }

// Every item kind and outcome, in an order that is not sorted by anything.
core::ReportedInventory Technician() {
  return {
      core::Flow::kTechnician,
      "session-technician",
      At(1'796'569'445),
      {{core::ItemKind::kApp, "app-runtime", "2.1.0", core::ItemOutcome::kInstalled},
       {core::ItemKind::kPolicy, "policy-baseline", "1", core::ItemOutcome::kFailed},
       {core::ItemKind::kCertificate, "cert-device", "1", core::ItemOutcome::kInstalled},
       {core::ItemKind::kNetwork, "net-wifi", "", core::ItemOutcome::kSkipped},
       {core::ItemKind::kPreparationStep, "securing-hardware", "", core::ItemOutcome::kInstalled},
       {core::ItemKind::kApp, "app-agent", "1.4.2", core::ItemOutcome::kSkipped}}};
}

core::ReportedInventory User() {
  return {core::Flow::kUser,
          "session-user",
          At(1'796'573'045),
          {{core::ItemKind::kApp, "app-whiteboard", "1.0.0", core::ItemOutcome::kInstalled}}};
}

TEST_P(InventoryStoreConformance, StoresEveryFieldAndKeepsTheItemsOrder) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1)}).has_value());
  auto none = store().inventories().Find(IdOf(1));
  ASSERT_TRUE(none.has_value()) << none.error().message;
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(store().inventories().Put(IdOf(1), Technician()).has_value());
  auto found = store().inventories().Find(IdOf(1));
  ASSERT_TRUE(found.has_value() && found->has_value()) << found.error().message;
  EXPECT_EQ(**found, Technician());
}

TEST_P(InventoryStoreConformance, ANewReportReplacesTheOldOneWhole) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  ASSERT_TRUE(store().inventories().Put(IdOf(1), Technician()).has_value());
  ASSERT_TRUE(store().inventories().Put(IdOf(2), Technician()).has_value());
  ASSERT_TRUE(store().inventories().Put(IdOf(1), User()).has_value());
  auto found = store().inventories().Find(IdOf(1));
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ(**found, User()) << "no item of the older report is left";
  auto other = store().inventories().Find(IdOf(2));
  ASSERT_TRUE(other.has_value() && other->has_value());
  EXPECT_EQ(**other, Technician()) << "another device's inventory is its own";

  core::ReportedInventory empty = User();  // a device that has nothing says so
  empty.items.clear();
  ASSERT_TRUE(store().inventories().Put(IdOf(1), empty).has_value());
  found = store().inventories().Find(IdOf(1));
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ(**found, empty);
}

TEST_P(InventoryStoreConformance, BelongsToARegisteredDevice) {
  Status orphan = store().inventories().Put(IdOf(9), Technician());
  ASSERT_FALSE(orphan.has_value());
  EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(orphan.error().field, "deviceId");
  EXPECT_FALSE(store().inventories().Find(IdOf(9))->has_value());
}

TEST_P(InventoryStoreConformance, DeletingTheDeviceDeletesItsInventory) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  ASSERT_TRUE(store().inventories().Put(IdOf(1), Technician()).has_value());
  ASSERT_TRUE(store().inventories().Put(IdOf(2), User()).has_value());
  ASSERT_TRUE(store().devices().Delete(Device(1).id, 1).has_value());
  EXPECT_FALSE(store().inventories().Find(IdOf(1))->has_value());
  EXPECT_EQ(**store().inventories().Find(IdOf(2)), User());
  // Registered again under the same id: it starts with nothing reported.
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1)}).has_value());
  EXPECT_FALSE(store().inventories().Find(IdOf(1))->has_value());
}

TEST_P(InventoryStoreConformance, DeleteForgetsOnlyTheInventoryAndIsIdempotent) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1)}).has_value());
  ASSERT_TRUE(store().inventories().Put(IdOf(1), Technician()).has_value());
  ASSERT_TRUE(store().inventories().Delete(IdOf(1)).has_value());
  EXPECT_FALSE(store().inventories().Find(IdOf(1))->has_value());
  EXPECT_TRUE(store().inventories().Delete(IdOf(1)).has_value());
  EXPECT_TRUE(store().inventories().Delete("no-such-device").has_value());
  EXPECT_TRUE(store().devices().Get(Device(1).id).has_value());
  ASSERT_TRUE(store().inventories().Put(IdOf(1), User()).has_value());
  EXPECT_EQ(**store().inventories().Find(IdOf(1)), User());
}

TEST_P(InventoryStoreConformance, ATransactionThatFailsLeavesTheInventoryAsItWas) {
  ASSERT_TRUE(store().devices().Insert(std::vector{Device(1), Device(2)}).has_value());
  ASSERT_TRUE(store().inventories().Put(IdOf(1), Technician()).has_value());
  Status failed = store().Transact([&]() -> Status {
    if (Status s = store().inventories().Put(IdOf(1), User()); !s) return s;
    if (Status s = store().inventories().Put(IdOf(2), User()); !s) return s;
    auto inside = store().inventories().Find(IdOf(1));  // the use case sees its own write
    if (!inside || !*inside || **inside != User()) {
      return MakeError(ErrorCode::kInternal, "the write is not visible inside the transaction");
    }
    return MakeError(ErrorCode::kAborted, "the use case gave up");
  });
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kAborted) << failed.error().message;
  EXPECT_EQ(**store().inventories().Find(IdOf(1)), Technician());
  EXPECT_FALSE(store().inventories().Find(IdOf(2))->has_value());
}

}  // namespace
}  // namespace groundcrew::store::conformance

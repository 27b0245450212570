#include "server/store/conformance/device_store_conformance.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>

namespace groundcrew::store::conformance {

void DeviceStoreConformance::SetUp() {
  handle_ = GetParam()();
  if (handle_.store == nullptr) GTEST_SKIP() << "this store backend is not configured here";
}

namespace {

using core::AutopilotDeviceIdentity;

AutopilotDeviceIdentity Device(int n, const std::string& tag = "") {
  AutopilotDeviceIdentity d;
  d.id = core::ZtdId{"ztd-" + std::to_string(1000 + n)};
  d.serial_number = "SN" + std::to_string(1000 + n);
  d.hardware_identifier = std::string("\x00\x01hash-", 7) + std::to_string(n);
  d.group_tag = tag;
  d.manufacturer = "Contoso";
  d.model = "Laptop 7";
  d.created_date_time = core::Timestamp{std::chrono::seconds{1'700'000'000 + n}};
  return d;
}

void ExpectSame(const AutopilotDeviceIdentity& a, const AutopilotDeviceIdentity& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.serial_number, b.serial_number);
  EXPECT_EQ(a.product_key, b.product_key);
  EXPECT_EQ(a.hardware_identifier, b.hardware_identifier);
  EXPECT_EQ(a.group_tag, b.group_tag);
  EXPECT_EQ(a.purchase_order_identifier, b.purchase_order_identifier);
  EXPECT_EQ(a.user_principal_name, b.user_principal_name);
  EXPECT_EQ(a.addressable_user_name, b.addressable_user_name);
  EXPECT_EQ(a.display_name, b.display_name);
  EXPECT_EQ(a.manufacturer, b.manufacturer);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.azure_ad_device_id, b.azure_ad_device_id);
  EXPECT_EQ(a.managed_device_id, b.managed_device_id);
  EXPECT_EQ(a.enrollment_state, b.enrollment_state);
  EXPECT_EQ(a.deployment_profile_assignment_status, b.deployment_profile_assignment_status);
  EXPECT_EQ(a.deployment_profile_assigned_date_time, b.deployment_profile_assigned_date_time);
  EXPECT_EQ(a.last_contacted_date_time, b.last_contacted_date_time);
  EXPECT_EQ(a.created_date_time, b.created_date_time);
}

TEST_P(DeviceStoreConformance, StoresEveryFieldAndReadsItBack) {
  AutopilotDeviceIdentity d = Device(1, "Sales");
  d.product_key = "00330-80000-00000-AA001";
  d.purchase_order_identifier = "76222342342";
  d.user_principal_name = "adele@contoso.com";
  d.addressable_user_name = "Adele";
  d.display_name = "CON-SN1001";
  d.azure_ad_device_id = core::DirectoryObjectId{"obj-1"};
  d.managed_device_id = "mdm-1";
  d.enrollment_state = core::EnrollmentState::kEnrolled;
  d.deployment_profile_assignment_status = core::ProfileAssignmentStatus::kAssignedInSync;
  d.deployment_profile_assigned_date_time = core::Timestamp{std::chrono::seconds{1'700'000'100}};
  d.last_contacted_date_time = core::Timestamp{std::chrono::seconds{1'700'000'200}};

  auto stored = store().Insert({&d, 1});
  ASSERT_TRUE(stored.has_value()) << stored.error().message;
  EXPECT_EQ((*stored)[0].version, 1);

  auto read = store().Get(d.id);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  ExpectSame(read->value, d);
  EXPECT_EQ(read->version, 1);
}

TEST_P(DeviceStoreConformance, GetUnknownIsNotFound) {
  auto read = store().Get(core::ZtdId{"nope"});
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().code, ErrorCode::kNotFound);
}

TEST_P(DeviceStoreConformance, FindsBySerialCaseInsensitivelyAndByHash) {
  const AutopilotDeviceIdentity devices[] = {Device(1), Device(2)};
  ASSERT_TRUE(store().Insert(devices).has_value());
  auto by_serial = store().FindBySerialNumber("sn1002");
  ASSERT_TRUE(by_serial.has_value());
  ASSERT_TRUE(by_serial->has_value());
  EXPECT_EQ((*by_serial)->value.id, devices[1].id);
  auto by_hash = store().FindByHardwareHash(devices[0].hardware_identifier);
  ASSERT_TRUE(by_hash.has_value());
  ASSERT_TRUE(by_hash->has_value());
  EXPECT_EQ((*by_hash)->value.id, devices[0].id);
  auto missing = store().FindBySerialNumber("SN9999");
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
}

TEST_P(DeviceStoreConformance, DuplicatesAreRefusedAndAnImportIsAllOrNothing) {
  const AutopilotDeviceIdentity first[] = {Device(1)};
  ASSERT_TRUE(store().Insert(first).has_value());

  AutopilotDeviceIdentity same_serial = Device(2);
  same_serial.serial_number = "sn1001";  // case-insensitively the same as Device(1)
  AutopilotDeviceIdentity same_hash = Device(3);
  same_hash.hardware_identifier = first[0].hardware_identifier;
  AutopilotDeviceIdentity same_id = Device(4);
  same_id.id = first[0].id;
  for (const auto& [duplicate, field] :
       {std::pair{same_serial, "serialNumber"}, std::pair{same_hash, "hardwareIdentifier"},
        std::pair{same_id, "id"}}) {
    const AutopilotDeviceIdentity batch[] = {Device(5), duplicate, Device(6)};
    auto stored = store().Insert(batch);
    ASSERT_FALSE(stored.has_value()) << field;
    EXPECT_EQ(stored.error().code, ErrorCode::kAlreadyExists);
    EXPECT_EQ(stored.error().field, field);
    // Nothing of the batch was kept.
    EXPECT_EQ(store().Get(Device(5).id).error().code, ErrorCode::kNotFound);
  }
  auto page = store().List({}, {});
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->items.size(), 1u);
}

TEST_P(DeviceStoreConformance, UpdatesAreCompareAndSwap) {
  AutopilotDeviceIdentity d = Device(1);
  ASSERT_TRUE(store().Insert({&d, 1}).has_value());
  d.group_tag = "Finance";
  auto updated = store().Update(d, 1);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(store().Get(d.id)->value.group_tag, "Finance");

  d.group_tag = "Stale";
  auto stale = store().Update(d, 1);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kAborted);
  EXPECT_EQ(store().Get(d.id)->value.group_tag, "Finance");

  AutopilotDeviceIdentity other = Device(2);
  ASSERT_TRUE(store().Insert({&other, 1}).has_value());
  other.serial_number = d.serial_number;
  auto clash = store().Update(other, 1);
  ASSERT_FALSE(clash.has_value());
  EXPECT_EQ(clash.error().code, ErrorCode::kAlreadyExists);

  AutopilotDeviceIdentity ghost = Device(9);
  EXPECT_EQ(store().Update(ghost, 1).error().code, ErrorCode::kNotFound);
}

TEST_P(DeviceStoreConformance, DeleteNeedsTheCurrentVersion) {
  AutopilotDeviceIdentity d = Device(1);
  ASSERT_TRUE(store().Insert({&d, 1}).has_value());
  Status stale = store().Delete(d.id, 7);
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kAborted);
  EXPECT_TRUE(store().Delete(d.id, 1).has_value());
  EXPECT_EQ(store().Get(d.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store().Delete(d.id, 1).error().code, ErrorCode::kNotFound);
}

TEST_P(DeviceStoreConformance, ListsInIdOrderWithFiltersAndPages) {
  std::vector<AutopilotDeviceIdentity> devices;
  for (int i = 0; i < 25; ++i) devices.push_back(Device(i, i % 2 == 0 ? "Sales" : "Lab"));
  devices[3].enrollment_state = core::EnrollmentState::kEnrolled;
  ASSERT_TRUE(store().Insert(devices).has_value());

  std::vector<std::string> seen;
  PageRequest request{.after = "", .limit = 10};
  int pages = 0;
  for (;;) {
    auto page = store().List({}, request);
    ASSERT_TRUE(page.has_value());
    ++pages;
    for (const auto& record : page->items) seen.push_back(record.value.id.value());
    if (page->next_after.empty()) break;
    request.after = page->next_after;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  DeviceFilter sales_filter;
  sales_filter.group_tag = "sales";  // ASCII case-insensitive
  auto sales = store().List(sales_filter, {.after = "", .limit = 100});
  ASSERT_TRUE(sales.has_value());
  EXPECT_EQ(sales->items.size(), 13u);
  DeviceFilter serial_filter;
  serial_filter.serial_number = "SN1004";
  auto one = store().List(serial_filter, {.after = "", .limit = 100});
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(one->items.size(), 1u);
  serial_filter.serial_number = "sn1004";  // serial numbers compare case-insensitively
  auto again = store().List(serial_filter, {.after = "", .limit = 100});
  ASSERT_TRUE(again.has_value());
  ASSERT_EQ(again->items.size(), 1u);
  EXPECT_EQ(again->items[0].value.id, one->items[0].value.id);
  serial_filter.group_tag = "no such tag";  // the other filters still apply
  auto none = store().List(serial_filter, {.after = "", .limit = 100});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->items.empty());
  serial_filter.group_tag.clear();
  DeviceFilter enrolled_filter;
  enrolled_filter.enrollment_state = core::EnrollmentState::kEnrolled;
  auto enrolled = store().List(enrolled_filter, {.after = "", .limit = 100});
  ASSERT_TRUE(enrolled.has_value());
  ASSERT_EQ(enrolled->items.size(), 1u);
  EXPECT_EQ(enrolled->items[0].value.id, devices[3].id);

  auto too_big = store().List({}, {.after = "", .limit = kMaxPageSize + 1});
  ASSERT_FALSE(too_big.has_value());
  EXPECT_EQ(too_big.error().field, "limit");
}

// Every page of `query` (limit as given), in order: the ids read and the number of pages.
std::pair<std::vector<std::string>, int> ReadAll(DeviceStore& store, DeviceQuery query) {
  std::vector<std::string> ids;
  int pages = 0;
  for (;;) {
    auto page = store.Query(query);
    EXPECT_TRUE(page.has_value()) << page.error().message;
    if (!page) break;
    ++pages;
    for (const DeviceRow& row : page->items) ids.push_back(row.device.value.id.value());
    if (page->next_after.empty()) break;
    EXPECT_EQ(static_cast<int>(page->items.size()), query.limit);
    query.after = page->next_after;
    if (pages > 100) break;
  }
  return {ids, pages};
}

// Seven devices whose names tie in threes (any letter case), ids in an order unrelated to
// their serial numbers.
std::vector<AutopilotDeviceIdentity> TiedDevices() {
  std::vector<AutopilotDeviceIdentity> devices;
  const char* names[] = {"beta", "ALPHA", "Beta", "alpha", "gamma", "BETA", "Alpha"};
  for (int i = 0; i < 7; ++i) {
    AutopilotDeviceIdentity d = Device(i, i % 2 == 0 ? "Depot-East" : "Lab");
    d.id = core::ZtdId{"ztd-" + std::to_string(9 - i)};
    d.display_name = names[i];
    d.user_principal_name = i < 3 ? "adele@contoso.com" : "megan@contoso.com";
    devices.push_back(d);
  }
  return devices;
}

TEST_P(DeviceStoreConformance, QueryPagesAcrossTiesInTheSortKeyThenIdOrder) {
  const std::vector<AutopilotDeviceIdentity> devices = TiedDevices();
  ASSERT_TRUE(store().Insert(devices).has_value());
  // Expected: case-insensitive name, then id.
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& d : devices) {
    std::string folded = d.display_name;
    std::transform(folded.begin(), folded.end(), folded.begin(), ::tolower);
    keys.emplace_back(folded, d.id.value());
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> expected;
  for (const auto& key : keys) expected.push_back(key.second);

  for (int limit : {1, 2, 3, 7}) {
    auto [ids, pages] =
        ReadAll(store(), {.order_by = DeviceOrder::kDeviceName, .after = "", .limit = limit});
    EXPECT_EQ(ids, expected) << "limit " << limit;
    EXPECT_EQ(pages, (7 + limit - 1) / limit);
    auto [reversed, unused] = ReadAll(
        store(),
        {.order_by = DeviceOrder::kDeviceName, .descending = true, .after = "", .limit = limit});
    std::vector<std::string> backwards(expected.rbegin(), expected.rend());
    EXPECT_EQ(reversed, backwards) << "limit " << limit;
  }
  // Never deployed: every time ties at none, so the id alone orders them.
  std::vector<std::string> by_id;
  for (const auto& d : devices) by_id.push_back(d.id.value());
  std::sort(by_id.begin(), by_id.end());
  auto [by_time, pages] =
      ReadAll(store(), {.order_by = DeviceOrder::kLastDeploymentDateTime, .after = "", .limit = 2});
  EXPECT_EQ(by_time, by_id);
  EXPECT_EQ(pages, 4);
}

TEST_P(DeviceStoreConformance, QueryOrdersBySerialNumberByDefaultEitherWay) {
  const std::vector<AutopilotDeviceIdentity> devices = TiedDevices();
  ASSERT_TRUE(store().Insert(devices).has_value());
  std::vector<std::string> expected;  // SN1000..SN1006 are devices 0..6
  for (const auto& d : devices) expected.push_back(d.id.value());
  auto [ids, pages] = ReadAll(store(), {.limit = 3});
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(pages, 3);
  auto [reversed, unused] = ReadAll(store(), {.descending = true, .limit = 3});
  EXPECT_EQ(reversed, std::vector<std::string>(expected.rbegin(), expected.rend()));
  auto first = store().Query({.limit = 3});
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->items.size(), 3u);
  EXPECT_EQ(first->items[0].summary, DeploymentSummary{});  // never deployed
  EXPECT_EQ(first->items[0].summary.deployment_state, "notStarted");
  EXPECT_EQ(first->items[0].device.version, 1);
  EXPECT_EQ(first->items[0].device.value.serial_number, "SN1000");
}

TEST_P(DeviceStoreConformance, QueryAppliesEachFilter) {
  std::vector<AutopilotDeviceIdentity> devices = TiedDevices();
  devices[4].enrollment_state = core::EnrollmentState::kEnrolled;
  ASSERT_TRUE(store().Insert(devices).has_value());
  auto count = [&](DeviceQuery query) {
    query.limit = 2;
    return ReadAll(store(), query).first.size();
  };
  EXPECT_EQ(count({.group_tag = "depot-east"}), 4u);  // ASCII case-insensitive
  EXPECT_EQ(count({.group_tag = "Depot"}), 0u);       // exact
  EXPECT_EQ(count({.serial_number = "sn1003"}), 1u);
  EXPECT_EQ(count({.serial_number = "sn1003", .group_tag = "Depot-East"}), 0u);
  EXPECT_EQ(count({.enrollment_state = core::EnrollmentState::kEnrolled}), 1u);
  EXPECT_EQ(count({.deployment_state = "notStarted"}), 7u);
  EXPECT_EQ(count({.deployment_state = "failure"}), 0u);
  EXPECT_EQ(count({.group_tag = "lab",
                   .deployment_state = "notStarted",
                   .order_by = DeviceOrder::kDeviceName}),
            3u);
  EXPECT_EQ(count({.group_tag = "lab",
                   .deployment_state = "notStarted",
                   .order_by = DeviceOrder::kLastDeploymentDateTime,
                   .descending = true}),
            3u);
}

TEST_P(DeviceStoreConformance, QuerySearchesAPrefixOfEachFieldInAnyCase) {
  ASSERT_TRUE(store().Insert(TiedDevices()).has_value());
  auto ids = [&](DeviceQuery query) {
    query.limit = 2;
    return ReadAll(store(), query).first;
  };
  EXPECT_EQ(ids({.search = "sn1003"}), std::vector<std::string>{"ztd-6"});  // serial number
  EXPECT_EQ(ids({.search = "SN100"}).size(), 7u);
  EXPECT_EQ(ids({.search = "gAm"}), std::vector<std::string>{"ztd-5"});  // device name
  EXPECT_EQ(ids({.search = "ADELE@"}).size(), 3u);                       // user's UPN
  EXPECT_EQ(ids({.search = "depot-"}).size(), 4u);                       // group tag
  EXPECT_TRUE(ids({.search = "ontoso"}).empty());                        // a prefix, not a part
  EXPECT_TRUE(ids({.search = "zzz"}).empty());
  // With the other filters and each order.
  EXPECT_EQ(ids({.search = "alpha", .group_tag = "lab"}),
            (std::vector<std::string>{"ztd-8", "ztd-6"}));
  EXPECT_EQ(ids({.search = "b", .order_by = DeviceOrder::kDeviceName, .descending = true}),
            (std::vector<std::string>{"ztd-9", "ztd-7", "ztd-4"}));
  EXPECT_EQ(ids({.search = "megan",
                 .deployment_state = "notStarted",
                 .order_by = DeviceOrder::kLastDeploymentDateTime}),
            (std::vector<std::string>{"ztd-3", "ztd-4", "ztd-5", "ztd-6"}));
}

TEST_P(DeviceStoreConformance, QueryRefusesABadCursorOrPageSize) {
  ASSERT_TRUE(store().Insert(TiedDevices()).has_value());
  for (const std::string& after :
       {std::string("nonsense"), std::string("abc"), std::string("6431"), std::string("SN1003")}) {
    auto page = store().Query({.after = after});
    ASSERT_FALSE(page.has_value()) << after;
    EXPECT_EQ(page.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(page.error().field, "after");
  }
  // A cursor of another order is refused, not misread.
  auto first = store().Query({.order_by = DeviceOrder::kDeviceName, .limit = 2});
  ASSERT_TRUE(first.has_value());
  ASSERT_FALSE(first->next_after.empty());
  auto mixed = store().Query({.after = first->next_after, .limit = 2});
  ASSERT_FALSE(mixed.has_value());
  EXPECT_EQ(mixed.error().field, "after");
  EXPECT_NE(mixed.error().message.find("orderBy=deviceName"), std::string::npos)
      << mixed.error().message;
  auto reversed = store().Query(
      {.order_by = DeviceOrder::kDeviceName, .descending = true, .after = first->next_after});
  ASSERT_FALSE(reversed.has_value());
  EXPECT_EQ(reversed.error().field, "after");
  for (int limit : {0, kMaxDeviceQueryPage + 1}) {
    auto page = store().Query({.limit = limit});
    ASSERT_FALSE(page.has_value());
    EXPECT_EQ(page.error().field, "top");
  }
}

}  // namespace
}  // namespace groundcrew::store::conformance

#include "cli/graph_json.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace groundcrew::cli {
namespace {

TEST(GraphJsonTest, ReadsArrayOrValueWrapperWithCaseInsensitiveNames) {
  const char* wrapped = R"({"value": [{"id": "d1", "DisplayName": "CON-1", "trustType": "AzureAd",
      "devicePhysicalIDs": ["[ZTDId]:z1", "[OrderID]:Sales"], "model": "Laptop 7",
      "extensionAttributes": {"extensionAttribute3": "finance"}}]})";
  auto devices = ParseGraphDevices(wrapped, "devices.json");
  ASSERT_TRUE(devices.has_value()) << devices.error().message;
  ASSERT_EQ(devices->objects.size(), 1u);
  const auto& d = devices->objects[0];
  EXPECT_EQ(d.id.value(), "d1");
  EXPECT_EQ(d.display_name, "CON-1");
  EXPECT_EQ(d.trust_type, core::TrustType::kAzureAd);
  EXPECT_EQ(d.device_physical_ids.size(), 2u);
  EXPECT_EQ(d.extension_attributes[2], "finance");

  auto bare = ParseGraphDevices(R"([{"id": "d2"}, {"objectId": "d3"}])", "x.json");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->objects[1].id.value(), "d3");
}

TEST(GraphJsonTest, SyntaxErrorsNameLineAndColumn) {
  auto devices = ParseGraphDevices("[\n  {\"id\": \"d1\",}\n]", "devices.json");
  ASSERT_FALSE(devices.has_value());
  EXPECT_EQ(devices.error().field, "devices.json: line 2, column 15");
}

TEST(GraphJsonTest, WrongTypesNameThePropertyPath) {
  auto devices =
      ParseGraphDevices(R"([{"id": "a"}, {"id": "b", "physicalIds": {"x": 1}}])", "f.json");
  ASSERT_FALSE(devices.has_value());
  EXPECT_EQ(devices.error().field, "f.json: value[1].physicalIds");
  EXPECT_NE(devices.error().message.find("array of strings"), std::string::npos);

  auto nested = ParseGraphDevices(R"([{"devicePhysicalIds": ["ok", 7]}])", "f.json");
  ASSERT_FALSE(nested.has_value());
  EXPECT_EQ(nested.error().field, "f.json: value[0].devicePhysicalIds[1]");

  EXPECT_FALSE(ParseGraphDevices(R"([1])", "f.json").has_value());
}

TEST(GraphJsonTest, ReadsUsers) {
  auto users = ParseGraphUsers(
      R"([{"id": "u1", "userPrincipalName": "adele@contoso.com", "department": "Sales",
          "accountEnabled": false, "otherMails": ["a@x.org"]}])",
      "users.json");
  ASSERT_TRUE(users.has_value()) << users.error().message;
  EXPECT_EQ(users->objects[0].department, "Sales");
  EXPECT_FALSE(users->objects[0].account_enabled);
  EXPECT_EQ(users->objects[0].other_mails.size(), 1u);
}

std::string ReadTestData(const std::string& name) {
  std::ifstream in("src/cli/testdata/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

using core::rules::DeviceExtensionSlot;
using core::rules::DeviceProperty;
using core::rules::SlotMask;
using core::rules::SlotOf;
using core::rules::UserExtensionSlot;
using core::rules::UserProperty;

bool Carried(SlotMask carried, uint8_t slot) { return (carried & (SlotMask{1} << slot)) != 0; }

// Finding 14 (issue 14): Graph writes physicalIds, manufacturer, model, operatingSystem...
TEST(GraphJsonTest, ReadsDevicesAsGraphWritesThem) {
  auto devices = ParseGraphDevices(ReadTestData("graph-devices.json"), "graph-devices.json");
  ASSERT_TRUE(devices.has_value()) << devices.error().message << " at " << devices.error().field;
  ASSERT_EQ(devices->objects.size(), 2u);
  const core::DirectoryDevice& d = devices->objects[0];
  EXPECT_EQ(d.id.value(), "5d2f1e47-6c1b-4a3e-9f0d-2b8c7a1e0001");
  EXPECT_EQ(d.device_id, "b1e4c9a0-3f5d-4d6e-8a7b-9c0d1e2f0001");
  EXPECT_EQ(d.device_physical_ids.size(), 5u);
  EXPECT_EQ(d.device_physical_ids[2], "[ZTDID]:6f2c0f6e-58a1-4f0c-8a53-2d1f0c9b0001");
  EXPECT_EQ(d.manufacturer, "Microsoft Corporation");
  EXPECT_EQ(d.model, "Surface Laptop 5");
  EXPECT_EQ(d.operating_system_version, "10.0.22631.4460");
  EXPECT_EQ(d.trust_type, core::TrustType::kAzureAd);
  EXPECT_EQ(d.enrollment_profile_name, "Contoso Autopilot");
  EXPECT_EQ(d.management_type, "MDM");
  EXPECT_EQ(d.extension_attributes[0], "finance");
  EXPECT_EQ(devices->objects[1].trust_type, core::TrustType::kWorkplace);
  for (DeviceProperty p :
       {DeviceProperty::kDevicePhysicalIds, DeviceProperty::kDeviceManufacturer,
        DeviceProperty::kDeviceModel, DeviceProperty::kDeviceOsType,
        DeviceProperty::kDeviceOsVersion, DeviceProperty::kDeviceTrustType,
        DeviceProperty::kObjectId, DeviceProperty::kDeviceId, DeviceProperty::kAccountEnabled}) {
    EXPECT_TRUE(Carried(devices->carried, SlotOf(p))) << static_cast<int>(p);
  }
  EXPECT_TRUE(Carried(devices->carried, DeviceExtensionSlot(1)));
  EXPECT_FALSE(Carried(devices->carried, DeviceExtensionSlot(2)));  // null everywhere
  EXPECT_FALSE(Carried(devices->carried, SlotOf(DeviceProperty::kDeviceCategory)));
}

TEST(GraphJsonTest, ReadsGetMgDeviceConvertToJson) {
  auto devices =
      ParseGraphDevices(ReadTestData("powershell-devices.json"), "powershell-devices.json");
  ASSERT_TRUE(devices.has_value()) << devices.error().message << " at " << devices.error().field;
  ASSERT_EQ(devices->objects.size(), 2u);
  const core::DirectoryDevice& d = devices->objects[0];
  EXPECT_EQ(d.id.value(), "5d2f1e47-6c1b-4a3e-9f0d-2b8c7a1e0001");
  EXPECT_EQ(d.display_name, "CON-PF3XK2LM");
  EXPECT_EQ(d.device_physical_ids.size(), 4u);
  EXPECT_EQ(d.manufacturer, "Microsoft Corporation");
  EXPECT_EQ(d.trust_type, core::TrustType::kAzureAd);
  EXPECT_EQ(d.extension_attributes[0], "finance");
  // ConvertTo-Json unrolls a one-element collection into the element.
  EXPECT_EQ(devices->objects[1].device_physical_ids,
            std::vector<std::string>{"[GID]:g:6966065896011777"});

  // One object alone: ConvertTo-Json writes it bare.
  auto single = ParseGraphDevices(R"({"Id": "d9", "PhysicalIds": ["[ZTDId]:z"]})", "one.json");
  ASSERT_TRUE(single.has_value()) << single.error().message;
  ASSERT_EQ(single->objects.size(), 1u);
  EXPECT_EQ(single->objects[0].device_physical_ids, std::vector<std::string>{"[ZTDId]:z"});
}

TEST(GraphJsonTest, ReadsUsersFromGraphAndFromWindowsPowerShellInUtf16) {
  auto graph = ParseGraphUsers(ReadTestData("graph-users.json"), "graph-users.json");
  ASSERT_TRUE(graph.has_value()) << graph.error().message << " at " << graph.error().field;
  auto windows = ParseGraphUsers(ReadTestData("windows-powershell-users.json"), "users.json");
  ASSERT_TRUE(windows.has_value()) << windows.error().message << " at " << windows.error().field;
  for (const auto* users : {&*graph, &*windows}) {
    ASSERT_EQ(users->objects.size(), 2u);
    const core::User& adele = users->objects[0];
    EXPECT_EQ(adele.user_principal_name, "AdeleV@contoso.com");
    EXPECT_EQ(adele.department, "Retail");
    EXPECT_EQ(adele.employee_hire_date, "2022-03-01T00:00:00Z");
    EXPECT_EQ(adele.extension_attributes[0], "kiosk");
    EXPECT_TRUE(Carried(users->carried, UserExtensionSlot(1)));
    EXPECT_TRUE(Carried(users->carried, SlotOf(UserProperty::kEmployeeHireDate)));
    EXPECT_FALSE(Carried(users->carried, SlotOf(UserProperty::kJobTitle)));
  }
}

TEST(GraphJsonTest, RefusesTextThatIsNotUtf8NamingLineAndColumn) {
  auto devices = ParseGraphDevices("[\n {\"displayName\": \"caf\xE9\"}]", "latin1.json");
  ASSERT_FALSE(devices.has_value());
  EXPECT_EQ(devices.error().field, "latin1.json: line 2, column 22");
}

TEST(GraphJsonTest, NamesGraphsSpellingOfRuleProperties) {
  using core::rules::ObjectType;
  EXPECT_EQ(GraphSpellingOf(ObjectType::kDevice, SlotOf(DeviceProperty::kDevicePhysicalIds)),
            "physicalIds");
  EXPECT_EQ(GraphSpellingOf(ObjectType::kDevice, SlotOf(DeviceProperty::kDeviceOsVersion)),
            "operatingSystemVersion");
  EXPECT_EQ(GraphSpellingOf(ObjectType::kDevice, DeviceExtensionSlot(3)),
            "extensionAttributes.extensionAttribute3");
  EXPECT_EQ(GraphSpellingOf(ObjectType::kUser, UserExtensionSlot(1)),
            "onPremisesExtensionAttributes.extensionAttribute1");
  EXPECT_EQ(GraphSpellingOf(ObjectType::kUser, SlotOf(UserProperty::kDepartment)), "department");
}

}  // namespace
}  // namespace groundcrew::cli

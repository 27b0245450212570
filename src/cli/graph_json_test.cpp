#include "cli/graph_json.hpp"

#include <gtest/gtest.h>

namespace groundcrew::cli {
namespace {

TEST(GraphJsonTest, ReadsArrayOrValueWrapperWithCaseInsensitiveNames) {
  const char* wrapped = R"({"value": [{"id": "d1", "DisplayName": "CON-1", "trustType": "AzureAd",
      "devicePhysicalIDs": ["[ZTDId]:z1", "[OrderID]:Sales"], "model": "Laptop 7",
      "extensionAttributes": {"extensionAttribute3": "finance"}}]})";
  auto devices = ParseGraphDevices(wrapped, "devices.json");
  ASSERT_TRUE(devices.has_value()) << devices.error().message;
  ASSERT_EQ(devices->size(), 1u);
  const auto& d = (*devices)[0];
  EXPECT_EQ(d.id.value(), "d1");
  EXPECT_EQ(d.display_name, "CON-1");
  EXPECT_EQ(d.trust_type, core::TrustType::kAzureAd);
  EXPECT_EQ(d.device_physical_ids.size(), 2u);
  EXPECT_EQ(d.extension_attributes[2], "finance");

  auto bare = ParseGraphDevices(R"([{"id": "d2"}, {"objectId": "d3"}])", "x.json");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ((*bare)[1].id.value(), "d3");
}

TEST(GraphJsonTest, SyntaxErrorsNameLineAndColumn) {
  auto devices = ParseGraphDevices("[\n  {\"id\": \"d1\",}\n]", "devices.json");
  ASSERT_FALSE(devices.has_value());
  EXPECT_EQ(devices.error().field, "devices.json: line 2, column 15");
}

TEST(GraphJsonTest, WrongTypesNameThePropertyPath) {
  auto devices = ParseGraphDevices(
      R"([{"id": "a"}, {"id": "b", "devicePhysicalIds": "[ZTDId]:z"}])", "f.json");
  ASSERT_FALSE(devices.has_value());
  EXPECT_EQ(devices.error().field, "f.json: value[1].devicePhysicalIds");
  EXPECT_NE(devices.error().message.find("array of strings"), std::string::npos);

  auto nested = ParseGraphDevices(R"([{"devicePhysicalIds": ["ok", 7]}])", "f.json");
  ASSERT_FALSE(nested.has_value());
  EXPECT_EQ(nested.error().field, "f.json: value[0].devicePhysicalIds[1]");

  EXPECT_FALSE(ParseGraphDevices(R"({"devices": []})", "f.json").has_value());
  EXPECT_FALSE(ParseGraphDevices(R"([1])", "f.json").has_value());
}

TEST(GraphJsonTest, ReadsUsers) {
  auto users = ParseGraphUsers(
      R"([{"id": "u1", "userPrincipalName": "adele@contoso.com", "department": "Sales",
          "accountEnabled": false, "otherMails": ["a@x.org"]}])",
      "users.json");
  ASSERT_TRUE(users.has_value()) << users.error().message;
  EXPECT_EQ((*users)[0].department, "Sales");
  EXPECT_FALSE((*users)[0].account_enabled);
  EXPECT_EQ((*users)[0].other_mails.size(), 1u);
}

}  // namespace
}  // namespace groundcrew::cli

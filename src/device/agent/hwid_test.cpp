#include "device/agent/hwid.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "core/registration/hardware_hash.hpp"
#include "core/registration/registration_csv.hpp"

namespace groundcrew::agent {
namespace {

namespace fs = std::filesystem;

class HwidTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) / ("gc-hwid-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "sys/class/dmi/id");
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / "sys/class/dmi/id" / name) << text;
  }
  fs::path root_;
};

TEST_F(HwidTest, ReadsTheFirmwareTablesAndOverridesWin) {
  Write("product_serial", "PF3XK2LM\n");
  Write("sys_vendor", "Contoso  \n");
  Write("product_name", "Surface Laptop 5\n");
  Result<DeviceFacts> facts = ReadDeviceFacts(root_, {});
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->serial_number, "PF3XK2LM");
  EXPECT_EQ(facts->manufacturer, "Contoso");
  EXPECT_EQ(facts->model, "Surface Laptop 5");
  Result<DeviceFacts> overridden = ReadDeviceFacts(root_, {"SIM-0001", "", "Sim"});
  ASSERT_TRUE(overridden);
  EXPECT_EQ(overridden->serial_number, "SIM-0001");
  EXPECT_EQ(overridden->manufacturer, "Contoso");
  EXPECT_EQ(overridden->model, "Sim");
}

TEST_F(HwidTest, AMissingSerialOrManufacturerSaysWhichFlagToPass) {
  Write("sys_vendor", "Contoso\n");
  Result<DeviceFacts> no_serial = ReadDeviceFacts(root_, {});
  ASSERT_FALSE(no_serial);
  EXPECT_EQ(no_serial.error().field, "serial");
  EXPECT_NE(no_serial.error().message.find("--serial"), std::string::npos);
  Result<DeviceFacts> no_vendor = ReadDeviceFacts(root_ / "elsewhere", {"S1", "", ""});
  ASSERT_FALSE(no_vendor);
  EXPECT_EQ(no_vendor.error().field, "manufacturer");
}

TEST_F(HwidTest, TheRowCarriesTheFactsAndTheKeyAndImportsCleanly) {
  identity::DevicePublicKey key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 7);
  Result<std::string> csv = device::RegistrationCsv({"PF3XK2LM", "Contoso", "Surface Laptop 5"},
                                                    key, "Sales", "adele@contoso.com");
  ASSERT_TRUE(csv) << csv.error().message;
  const core::RegistrationFile file = core::ReadRegistrationCsv(*csv);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file.rows.size(), 1u);
  ASSERT_TRUE(file.rows[0].ok()) << file.rows[0].failure->message;
  const core::RegistrationRow& row = file.rows[0].row;
  EXPECT_EQ(row.group_tag, "Sales");
  EXPECT_EQ(row.assigned_user_principal_name, "adele@contoso.com");
  ASSERT_TRUE(row.groundcrew_hash.has_value());
  EXPECT_EQ(row.groundcrew_hash->manufacturer, "Contoso");
  EXPECT_EQ(row.groundcrew_hash->model, "Surface Laptop 5");
  EXPECT_EQ(row.groundcrew_hash->public_key, key);
  EXPECT_FALSE(device::RegistrationCsv({"bad\x01serial", "Contoso", ""}, key, "", ""));
}

}  // namespace
}  // namespace groundcrew::agent

#include "device/executor/compliance_facts.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/files.hpp"

namespace groundcrew::executor {
namespace {

using test_support::TempDir;
using test_support::WriteText;

constexpr char kDebian[] =
    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
    "NAME=\"Debian GNU/Linux\"\n"
    "VERSION_ID=\"12\"\n"
    "VERSION=\"12 (bookworm)\"\n"
    "# a comment\n"
    "ID=debian\n";

TEST(ComplianceFactsTest, NothingToReadReportsNothing) {
  TempDir root;
  Result<core::DeviceFacts> facts = ReadComplianceFacts(root.path());
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->os_name, "");
  EXPECT_EQ(facts->os_version, "");
  EXPECT_FALSE(facts->storage_encrypted.has_value());
  EXPECT_FALSE(facts->secure_boot_enabled.has_value());
  EXPECT_FALSE(facts->password_minimum_length.has_value());
}

TEST(ComplianceFactsTest, ReadsOsRelease) {
  TempDir root;
  WriteText(root.path() / "etc/os-release", kDebian);
  Result<core::DeviceFacts> facts = ReadComplianceFacts(root.path());
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->os_name, "Debian GNU/Linux");
  EXPECT_EQ(facts->os_version, "12");
}

TEST(ComplianceFactsTest, FallsBackToUsrLibOsReleaseAndUnquotes) {
  TempDir root;
  WriteText(root.path() / "usr/lib/os-release",
            "NAME='Contoso Linux'\nVERSION_ID=\"10.0.\\\"22631\\\"\"\nBROKEN LINE\n");
  Result<core::DeviceFacts> facts = ReadComplianceFacts(root.path());
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->os_name, "Contoso Linux");
  EXPECT_EQ(facts->os_version, "10.0.\"22631\"");
}

TEST(ComplianceFactsTest, ReadsTheSecureBootVariable) {
  TempDir root;
  WriteText(
      root.path() / "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
      std::string("\x06\x00\x00\x00\x01", 5));
  Result<core::DeviceFacts> facts = ReadComplianceFacts(root.path());
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->secure_boot_enabled, true);
}

TEST(ComplianceFactsTest, FactsJsonOverridesEverything) {
  TempDir root;
  WriteText(root.path() / "etc/os-release", kDebian);
  WriteText(root.path() / "etc/groundcrew/facts.json",
            R"({"osName": "Windows", "osVersion": "10.0.22631", "storageEncrypted": true,
                "secureBootEnabled": false, "firewallActive": true, "passwordRequired": true,
                "passwordMinimumLength": 12})");
  Result<core::DeviceFacts> facts = ReadComplianceFacts(root.path());
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->os_name, "Windows");
  EXPECT_EQ(facts->os_version, "10.0.22631");
  EXPECT_EQ(facts->storage_encrypted, true);
  EXPECT_EQ(facts->secure_boot_enabled, false);
  EXPECT_EQ(facts->firewall_active, true);
  EXPECT_EQ(facts->password_required, true);
  EXPECT_EQ(facts->password_minimum_length, 12);
}

TEST(ComplianceFactsTest, NullInFactsJsonMeansNotReported) {
  TempDir root;
  WriteText(root.path() / "etc/os-release", kDebian);
  WriteText(root.path() / "etc/groundcrew/facts.json",
            R"({"osVersion": null, "passwordMinimumLength": null})");
  Result<core::DeviceFacts> facts = ReadComplianceFacts(root.path());
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->os_name, "Debian GNU/Linux");
  EXPECT_EQ(facts->os_version, "");
  EXPECT_FALSE(facts->password_minimum_length.has_value());
}

TEST(ComplianceFactsTest, BadFactsJsonIsRefusedNamingTheFileAndKey) {
  struct Case {
    std::string json;
    std::string field;
    std::string says;
  };
  const Case cases[] = {
      {R"({"osName": "x", "diskEncrypted": true})", "diskEncrypted",
       "unknown key \"diskEncrypted\""},
      {R"({"storageEncrypted": "yes"})", "storageEncrypted", "must be true or false"},
      {R"({"osVersion": 12})", "osVersion", "must be a string"},
      {R"({"passwordMinimumLength": -1})", "passwordMinimumLength", "integer from 0 to 1024"},
      {R"({"passwordMinimumLength": 8.5})", "passwordMinimumLength", "integer from 0 to 1024"},
      {R"(["osName"])", "", "must be a JSON object"},
      {R"({"osName": )", "", "not JSON"},
  };
  for (const Case& c : cases) {
    TempDir root;
    const auto file = root.path() / "etc/groundcrew/facts.json";
    WriteText(file, c.json);
    Result<core::DeviceFacts> facts = ReadComplianceFacts(root.path());
    ASSERT_FALSE(facts) << c.json;
    EXPECT_EQ(facts.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(facts.error().field, c.field) << c.json;
    EXPECT_NE(facts.error().message.find(file.string()), std::string::npos)
        << facts.error().message;
    EXPECT_NE(facts.error().message.find(c.says), std::string::npos) << facts.error().message;
  }
}

}  // namespace
}  // namespace groundcrew::executor

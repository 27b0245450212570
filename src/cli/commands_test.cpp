#include "cli/commands.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

// Runs the commands on the Contoso examples (tests run from the repository root).
namespace groundcrew::cli {
namespace {

constexpr const char* kDevices = "examples/contoso/devices.json";

struct Outcome {
  int code;
  std::string out, err;
};

template <class Options, class Command>
Outcome Invoke(Command command, const Options& options) {
  std::ostringstream out, err;
  const int code = command(options, out, err);
  return {code, out.str(), err.str()};
}

TEST(RulesValidateTest, AllAutopilotDevicesRuleFromMicrosoftsDocs) {
  RulesValidateOptions options;
  options.rule = R"((device.devicePhysicalIDs -any (_ -startsWith "[ZTDid]")))";
  options.devices_file = kDevices;
  Outcome run = Invoke(RulesValidate, options);
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("3 of 4 devices match."), std::string::npos) << run.out;

  options.json = true;
  run = Invoke(RulesValidate, options);
  ASSERT_EQ(run.code, 0);
  auto doc = boost::json::parse(run.out).as_object();
  EXPECT_EQ(doc["matched"].as_int64(), 3);
  EXPECT_EQ(doc["objectType"].as_string(), "device");
  EXPECT_FALSE(doc["results"].as_array()[3].as_object()["matches"].as_bool());
}

TEST(RulesValidateTest, GroupTagRule) {
  RulesValidateOptions options;
  options.rule = R"((device.devicePhysicalIds -any (_ -eq "[OrderID]:179887111881")))";
  options.devices_file = kDevices;
  options.json = true;
  Outcome run = Invoke(RulesValidate, options);
  ASSERT_EQ(run.code, 0) << run.err;
  auto doc = boost::json::parse(run.out).as_object();
  EXPECT_EQ(doc["matched"].as_int64(), 1);
  EXPECT_TRUE(doc["results"].as_array()[1].as_object()["matches"].as_bool());
}

TEST(RulesValidateTest, InvalidRuleExitsTwoWithPositionAndCaret) {
  RulesValidateOptions options;
  options.rule = R"(device.deviceModel -equals "Surface")";
  options.devices_file = kDevices;
  Outcome run = Invoke(RulesValidate, options);
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("at position 20"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("\n                     ^"), std::string::npos) << run.err;
  EXPECT_TRUE(run.out.empty());
}

TEST(RulesValidateTest, JsonErrorsUseTheServicesShape) {
  RulesValidateOptions options;
  options.rule = R"(device.deviceModel -equals "Surface")";
  options.devices_file = kDevices;
  options.json = true;
  Outcome run = Invoke(RulesValidate, options);
  EXPECT_EQ(run.code, 2);
  auto error = boost::json::parse(run.out).as_object()["error"].as_object();
  EXPECT_EQ(error["code"].as_string(), "invalid_argument");
  EXPECT_EQ(error["field"].as_string(), "position 20");

  options.rule = R"(device.deviceModel -eq "x")";
  options.devices_file = "examples/contoso/no-such-file.json";
  run = Invoke(RulesValidate, options);
  EXPECT_EQ(run.code, 1);
  error = boost::json::parse(run.out).as_object()["error"].as_object();
  EXPECT_EQ(error["code"].as_string(), "not_found");
  EXPECT_EQ(error["field"].as_string(), "examples/contoso/no-such-file.json");
}

TEST(RulesValidateTest, WrongInputKindAndMissingFileExitOne) {
  RulesValidateOptions options;
  options.rule = R"(user.department -eq "Sales")";
  options.devices_file = kDevices;
  Outcome run = Invoke(RulesValidate, options);
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("--users"), std::string::npos);

  options.rule = R"(device.deviceModel -eq "x")";
  options.devices_file = "examples/contoso/no-such-file.json";
  run = Invoke(RulesValidate, options);
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("no-such-file.json"), std::string::npos);
}

// Finding 14 (issue 14): the most common Autopilot rule on a real Graph export and on a
// PowerShell export matches the Autopilot devices (Graph writes physicalIds).
TEST(RulesValidateTest, GraphAndPowerShellExportsMatchTheAutopilotRule) {
  for (const char* file :
       {"src/cli/testdata/graph-devices.json", "src/cli/testdata/powershell-devices.json"}) {
    RulesValidateOptions options;
    options.rule = R"((device.devicePhysicalIds -any (_ -startsWith "[ZTDId]")))";
    options.devices_file = file;
    options.json = true;
    Outcome run = Invoke(RulesValidate, options);
    ASSERT_EQ(run.code, 0) << file << ": " << run.err;
    auto doc = boost::json::parse(run.out).as_object();
    EXPECT_EQ(doc["matched"].as_int64(), 1) << file;
    EXPECT_TRUE(doc["results"].as_array()[0].as_object()["matches"].as_bool()) << file;
    EXPECT_TRUE(doc["warnings"].as_array().empty()) << file << ": " << run.out;
    EXPECT_TRUE(run.err.empty()) << file << ": " << run.err;
  }
}

TEST(RulesValidateTest, WarnsAboutRulePropertiesNoObjectCarries) {
  RulesValidateOptions options;
  options.rule = R"(device.deviceCategory -eq "Kiosk" -or device.extensionAttribute7 -eq "x" -or )"
                 R"(device.deviceModel -eq "Surface Laptop 5")";
  options.devices_file = "src/cli/testdata/graph-devices.json";
  Outcome run = Invoke(RulesValidate, options);
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("1 of 2 devices match."), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("warning: the rule reads device.deviceCategory, but none of the 2 "
                         "objects in src/cli/testdata/graph-devices.json has deviceCategory"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("extensionAttributes.extensionAttribute7"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("deviceModel"), std::string::npos) << run.err;  // carried: no warning

  RulesValidateOptions users;
  users.rule = R"(user.jobTitle -eq "Clerk" -or user.extensionAttribute1 -eq "kiosk")";
  users.users_file = "src/cli/testdata/windows-powershell-users.json";
  users.json = true;
  run = Invoke(RulesValidate, users);
  ASSERT_EQ(run.code, 0) << run.err;
  auto doc = boost::json::parse(run.out).as_object();
  EXPECT_EQ(doc["matched"].as_int64(), 1);
  ASSERT_EQ(doc["warnings"].as_array().size(), 1u) << run.out;
  EXPECT_NE(doc["warnings"].as_array()[0].as_string().find("user.jobTitle"), std::string::npos);
  EXPECT_NE(run.err.find("warning: the rule reads user.jobTitle"), std::string::npos) << run.err;
}

TEST(CsvCheckTest, CleanFileIsValid) {
  CsvCheckOptions options;
  options.file = "examples/contoso/registration.csv";
  Outcome run = Invoke(CsvCheck, options);
  EXPECT_EQ(run.code, 0) << run.out;
  EXPECT_NE(run.out.find("3 rows: 3 valid, 0 refused"), std::string::npos) << run.out;
}

TEST(CsvCheckTest, Utf16FileWithMistakesGetsOneResultPerRow) {
  CsvCheckOptions options;
  options.file = "examples/contoso/registration-with-errors.csv";
  options.json = true;
  Outcome run = Invoke(CsvCheck, options);
  EXPECT_EQ(run.code, 1);
  auto doc = boost::json::parse(run.out).as_object();
  auto& rows = doc["rows"].as_array();
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].as_object()["status"].as_string(), "valid");
  EXPECT_EQ(rows[1].as_object()["deviceErrorName"].as_string(), "InvalidZtdHardwareHash");
  EXPECT_EQ(rows[2].as_object()["deviceErrorName"].as_string(), "ZtdDeviceDuplicated");
  EXPECT_EQ(rows[3].as_object()["deviceErrorName"].as_string(), "InvalidZtdHardwareHash");
  EXPECT_EQ(rows[4].as_object()["deviceErrorName"].as_string(), "InvalidZtdHardwareHash");
  EXPECT_EQ(rows[4].as_object()["line"].as_int64(), 6);
  EXPECT_EQ(doc["valid"].as_int64(), 1);
}

TEST(NamesPreviewTest, ExpandsWithASeedAndRefusesBadTemplates) {
  NamesPreviewOptions options;
  options.name_template = "CON-%SERIAL%";
  options.serials = {"PF3XK2LM", "0123456789ABCDEF"};
  options.json = true;
  Outcome run = Invoke(NamesPreview, options);
  ASSERT_EQ(run.code, 0) << run.err;
  auto doc = boost::json::parse(run.out).as_object();
  EXPECT_EQ(doc["worstCaseLength"].as_int64(), 15);
  EXPECT_EQ(doc["names"].as_array()[1].as_object()["name"].as_string(), "CON-56789ABCDEF");

  options.name_template = "LAB-%RAND:4%";
  options.seed = 7;
  options.serials = {"x"};
  Outcome first = Invoke(NamesPreview, options);
  Outcome second = Invoke(NamesPreview, options);
  EXPECT_EQ(first.out, second.out);

  options.name_template = "CONTOSO-LAPTOPS-%RAND:2%";
  run = Invoke(NamesPreview, options);  // --json: the error is JSON on stdout
  EXPECT_EQ(run.code, 2);
  auto error = boost::json::parse(run.out).as_object()["error"].as_object();
  EXPECT_EQ(error["field"].as_string(), "deviceNameTemplate");
  EXPECT_NE(std::string(error["message"].as_string()).find("18 characters"), std::string::npos);
  options.json = false;
  run = Invoke(NamesPreview, options);
  EXPECT_NE(run.err.find("18 characters"), std::string::npos) << run.err;

  options.name_template = "%SERIAL%";
  options.serials = {"12345"};
  options.json = false;
  run = Invoke(NamesPreview, options);
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.out.find("all digits"), std::string::npos);
}

}  // namespace
}  // namespace groundcrew::cli

#include "cli/tenant_file.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "tests/support/debs.hpp"

namespace groundcrew::cli {
namespace {
namespace json = boost::json;
namespace fs = std::filesystem;

// SHA-256 of "hello\n".
constexpr const char* kHelloSha =
    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

class TenantFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gc-cli-tenant-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    fs::create_directories(dir_ / "apps" / "agent");
    Write("apps/agent/install.sh", "hello\n");
    Write("registration.csv", "Device Serial Number,Windows Product ID,Hardware Hash\nA1,,aGk=\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }

  Uploader Recorder() {
    return [this](const ContentFile& file) -> Status {
      uploads_.push_back(file);
      EXPECT_NE(file.bytes, nullptr);
      if (file.bytes) contents_.push_back(*file.bytes);
      return Ok{};
    };
  }

  fs::path dir_;
  std::vector<ContentFile> uploads_;
  std::vector<std::string> contents_;
};

TEST_F(TenantFileTest, AppContentIsUploadedOnceAndReplacedByItsHash) {
  json::value doc = json::parse(R"({
    "apps": [
      {"displayName": "Agent", "content": {"file": "apps/agent/install.sh"}},
      {"displayName": "Agent copy", "content": {"file": "apps/agent/install.sh"}},
      {"displayName": "Prepared", "content": {"fileName": "x.sh", "sha256": "ab", "size": 2}},
      {"displayName": "No content"}
    ]})");
  Status status = ResolveFileReferences(doc, dir_.string(), Recorder());
  ASSERT_TRUE(status.has_value()) << status.error().message;
  ASSERT_EQ(uploads_.size(), 1u);
  EXPECT_EQ(uploads_[0].sha256, kHelloSha);
  EXPECT_EQ(uploads_[0].size, 6u);
  EXPECT_EQ(uploads_[0].file_name, "install.sh");
  EXPECT_EQ(uploads_[0].path, (dir_ / "apps/agent/install.sh").string());
  EXPECT_EQ(contents_[0], "hello\n");
  const json::array& apps = doc.at("apps").as_array();
  const std::string expected =
      std::string(R"({"fileName":"install.sh","sha256":")") + kHelloSha + R"(","size":6})";
  EXPECT_EQ(json::serialize(apps[0].at("content")), expected);
  EXPECT_EQ(json::serialize(apps[1].at("content")), expected);
  EXPECT_EQ(json::serialize(apps[2].at("content")),
            R"({"fileName":"x.sh","sha256":"ab","size":2})");
  EXPECT_FALSE(apps[3].as_object().contains("content"));
}

TEST_F(TenantFileTest, DevicesCsvBecomesItsText) {
  json::value doc = json::parse(R"({"devices": {"csv": "registration.csv"}})");
  ASSERT_TRUE(ResolveFileReferences(doc, dir_.string() + "/", Recorder()).has_value());
  EXPECT_EQ(json::serialize(doc.at("devices")),
            R"({"csvText":"Device Serial Number,Windows Product ID,Hardware Hash\nA1,,aGk=\n"})");
  EXPECT_TRUE(uploads_.empty());
}

TEST_F(TenantFileTest, Utf16CsvIsConvertedAndBadBytesRefused) {
  Write("utf16.csv", std::string("\xFF\xFE"
                                 "A\0"
                                 "1\0"
                                 "\xE9\0"
                                 "\n\0",
                                 10));
  json::value doc = json::parse(R"({"devices": {"csv": "utf16.csv"}})");
  ASSERT_TRUE(ResolveFileReferences(doc, dir_.string(), Recorder()).has_value());
  EXPECT_EQ(doc.at("devices").at("csvText").as_string(), "A1\xC3\xA9\n");

  Write("latin1.csv", "caf\xE9\n");
  doc = json::parse(R"({"devices": {"csv": "latin1.csv"}})");
  Status status = ResolveFileReferences(doc, dir_.string(), Recorder());
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().field, "devices.csv");
  EXPECT_NE(status.error().message.find("byte 3 is not UTF-8"), std::string::npos);
}

TEST_F(TenantFileTest, ErrorsNameTheProperty) {
  json::value doc = json::parse(R"({"apps": [{"content": {"file": "apps/missing.sh"}}]})");
  Status status = ResolveFileReferences(doc, dir_.string(), Recorder());
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(status.error().field, "apps[0].content.file");
  EXPECT_NE(status.error().message.find("missing.sh"), std::string::npos);

  doc = json::parse(R"({"apps": [{}, {"content": {"file": "a", "sha256": "b"}}]})");
  status = ResolveFileReferences(doc, dir_.string(), Recorder());
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().field, "apps[1].content");

  doc = json::parse(R"({"devices": {"csv": "nope.csv"}})");
  status = ResolveFileReferences(doc, dir_.string(), Recorder());
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().field, "devices.csv");
}

TEST_F(TenantFileTest, ADebAppsFileMustBeADebianPackage) {
  test_support::BuildDeb(dir_, "gc-demo.deb", test_support::ControlText("gc-demo", "1.0", "all"));
  test_support::BuildDeb(dir_, "no-version.deb", "Package: gc-demo\nArchitecture: all\n");
  json::value doc = json::parse(R"({"apps": [
      {"displayName": "Demo", "kind": "deb", "content": {"file": "gc-demo.deb"}},
      {"displayName": "Script", "content": {"file": "apps/agent/install.sh"}}]})");
  Status status = ResolveFileReferences(doc, dir_.string(), Recorder());
  ASSERT_TRUE(status.has_value()) << status.error().message;
  EXPECT_EQ(uploads_.size(), 2u);

  doc = json::parse(R"({"apps": [{"kind": "script"},
      {"displayName": "Script", "kind": "deb", "content": {"file": "apps/agent/install.sh"}}]})");
  status = ResolveFileReferences(doc, dir_.string(), Recorder());
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().field, "apps[1].content.file");
  EXPECT_EQ(status.error().message,
            (dir_ / "apps/agent/install.sh").string() +
                ": not a Debian package: it does not start with the ar archive signature "
                "\"!<arch>\\n\"");

  doc = json::parse(R"({"apps": [{"kind": "deb", "content": {"file": "no-version.deb"}}]})");
  status = ResolveFileReferences(doc, dir_.string(), Recorder());
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().message,
            (dir_ / "no-version.deb").string() + ": the control file has no Version field");
  EXPECT_EQ(uploads_.size(), 2u) << "nothing refused is uploaded";
}

TEST_F(TenantFileTest, UploadErrorsStopResolution) {
  json::value doc = json::parse(R"({"apps": [{"content": {"file": "apps/agent/install.sh"}}]})");
  Status status = ResolveFileReferences(doc, dir_.string(), [](const ContentFile&) -> Status {
    return MakeError(ErrorCode::kUnavailable, "cannot reach http://127.0.0.1:1: refused");
  });
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().message, "cannot reach http://127.0.0.1:1: refused");
}

TEST_F(TenantFileTest, LoadTenantFileResolvesRelativeToTheYamlFile) {
  Write("tenant.yaml",
        "tenant: {organizationName: Contoso}\n"
        "apps:\n  - displayName: Agent\n    content: {file: apps/agent/install.sh}\n"
        "devices: {csv: registration.csv}\n");
  auto doc = LoadTenantFile((dir_ / "tenant.yaml").string(), Recorder());
  ASSERT_TRUE(doc.has_value()) << doc.error().field << ": " << doc.error().message;
  EXPECT_EQ(doc->at("apps").at(0).at("content").at("sha256").as_string(), kHelloSha);
  EXPECT_TRUE(doc->at("devices").as_object().contains("csvText"));

  Write("bad.yaml", "apps:\n  - content: {file: nope}\n");
  auto bad = LoadTenantFile((dir_ / "bad.yaml").string(), Recorder());
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().field, (dir_ / "bad.yaml").string() + ": apps[0].content.file");

  Write("list.yaml", "- a\n- b\n");
  auto list = LoadTenantFile((dir_ / "list.yaml").string(), Recorder());
  ASSERT_FALSE(list.has_value());
  EXPECT_NE(list.error().message.find("mapping"), std::string::npos);

  Write("syntax.yaml", "users:\n  - {a: b\n");
  auto syntax = LoadTenantFile((dir_ / "syntax.yaml").string(), Recorder());
  ASSERT_FALSE(syntax.has_value());
  EXPECT_EQ(syntax.error().field.rfind((dir_ / "syntax.yaml").string() + ": line ", 0), 0u);
}

// The reference tenant in examples/contoso resolves completely (tests run from the repo root).
TEST_F(TenantFileTest, ContosoExampleResolves) {
  auto doc = LoadTenantFile("examples/contoso/tenant.yaml", Recorder());
  ASSERT_TRUE(doc.has_value()) << doc.error().field << ": " << doc.error().message;
  const json::object& tenant = doc->as_object();
  EXPECT_EQ(tenant.at("tenant").at("domain").as_string(), "contoso.com");
  size_t resolved = 0;
  for (const json::value& app : tenant.at("apps").as_array()) {
    const json::object& content = app.at("content").as_object();
    EXPECT_FALSE(content.contains("file"));
    EXPECT_EQ(content.at("sha256").as_string().size(), 64u);
    ++resolved;
  }
  EXPECT_GE(resolved, 5u);
  EXPECT_EQ(uploads_.size(), resolved);  // each app has its own script
  const std::string csv(tenant.at("devices").at("csvText").as_string());
  EXPECT_NE(csv.find("PF3XK2LM"), std::string::npos);
  for (const std::string& script : contents_) {
    EXPECT_EQ(script.rfind("#!/bin/sh", 0), 0u) << script;
  }
}

// Server paths name entries by name (or index) and map back to where the file has them.
TEST_F(TenantFileTest, ServerPathsAreLocatedInTheFile) {
  YamlMarks marks;
  auto doc = LoadTenantFile("examples/contoso/tenant.yaml", Recorder(), &marks);
  ASSERT_TRUE(doc.has_value()) << doc.error().message;
  auto at = [&](std::string_view path) {
    std::optional<YamlMark> mark = LocateField(*doc, marks, path);
    return mark ? fmt::format("{}:{}", mark->line, mark->column) : std::string("-");
  };
  // "    dependencies: [{app: Contoso Runtime, autoInstall: true}]" on line 79.
  EXPECT_EQ(at("apps[Contoso Agent].dependencies[0].app"), "79:26");
  EXPECT_EQ(at("apps[contoso agent].dependencies[0]"), "79:20") << "names match in any case";
  EXPECT_EQ(at("apps[Contoso Agent].noSuchField"), "72:5") << "the entry, for a missing field";
  EXPECT_EQ(at("users[adele.vance@contoso.com].jobTitle"), "16:16") << "a name with dots";
  EXPECT_EQ(at("users[1]"), "17:5");
  EXPECT_EQ(at("tenant.mfaRequirement"), "11:19");
  // A setting's id holds dots: "      screenLock.idleMinutes: 10" on line 120.
  EXPECT_EQ(at("policies[Contoso device baseline].settings.screenLock.idleMinutes"), "120:31");
  EXPECT_EQ(at("devices, line 3"), "-");
  EXPECT_EQ(at("widgets"), "-");
}

}  // namespace
}  // namespace groundcrew::cli

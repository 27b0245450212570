// Devices' diagnostics archives (server/service/diagnostics_service.hpp) over a real in-memory
// SQLite store and a temporary data folder, on a clock the test moves: uploads and what is
// refused, the admin's listing and download, the 28-day retention.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "common/base64.hpp"
#include "server/service/services.hpp"
#include "server/store_sqlite/sqlite_store.hpp"
#include "tests/service/contoso_store.hpp"
#include "tests/support/files.hpp"

namespace groundcrew::service {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using store::ResourceKind;
using test_support::ModeOf;
using test_support::TempDir;

constexpr std::chrono::days kDay{1};

// A gzip file's first bytes, then `tail`.
std::string Gzip(const std::string& tail) { return std::string("\x1f\x8b\x08\x00", 4) + tail; }

class DiagnosticsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = ContosoStore(now_);
    ASSERT_NE(store_, nullptr);
    services_ = std::make_unique<Services>(
        *store_, ContentStore(dir_.path() / "content"), root(), [this] { return now_; },
        CreateSecrets("Contoso", now_).value());
    Result<ImportOutcome> imported =
        services_->devices.Import(admin_,
                                  "Device Serial Number,Windows Product ID,Hardware Hash\r\n"
                                  "CON-0001,," +
                                      base64::Encode("4k-hash-CON-0001") +
                                      "\r\n"
                                      "CON-0002,," +
                                      base64::Encode("4k-hash-CON-0002") + "\r\n");
    ASSERT_TRUE(imported) << imported.error().message;
    ASSERT_EQ(imported->imported.size(), 2u);
    device_ = {imported->imported[0].value.id.value(), "token-1"};
    other_ = {imported->imported[1].value.id.value(), "token-2"};
  }

  fs::path root() const { return dir_.path() / "diagnostics"; }

  Result<json::object> Upload(const std::string& bytes, const std::string& name = "diag.tar.gz") {
    return services_->diagnostics.Upload(device_, device_.device_id, name, base64::Encode(bytes));
  }

  std::vector<std::string> ListedIds(std::string_view device = "CON-0001") {
    std::vector<std::string> ids;
    auto listed = services_->diagnostics.List(device);
    EXPECT_TRUE(listed) << listed.error().message;
    if (listed) {
      for (const DiagnosticsArchive& archive : *listed) ids.push_back(archive.id);
    }
    return ids;
  }

  // Every file kept for CON-0001.
  std::set<std::string> FilesOnDisk() {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root() / device_.device_id, ec)) {
      names.insert(entry.path().filename().string());
    }
    return names;
  }

  TempDir dir_;
  core::Timestamp now_{std::chrono::seconds(1'800'000'000)};
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<Services> services_;
  Actor admin_{"admin", store::CredentialRole::kAdmin};
  DeviceCaller device_, other_;
};

TEST_F(DiagnosticsServiceTest, AnUploadIsKeptPrivatelyListedByIdOrSerialAndReadBack) {
  const std::string bytes = Gzip(std::string(1000, 'x') + std::string("\0\xff", 2));
  Result<json::object> stored = Upload(bytes, "diagnostics-1800000000.tar.gz");
  ASSERT_TRUE(stored) << stored.error().message;
  const std::string id(stored->at("id").as_string());
  EXPECT_EQ(stored->at("fileName"), json::value("diagnostics-1800000000.tar.gz"));
  EXPECT_EQ(stored->at("sizeBytes").to_number<std::uint64_t>(), bytes.size());
  EXPECT_EQ(stored->at("uploadedDateTime"), json::value("2027-01-15T08:00:00Z"));
  EXPECT_EQ(stored->at("expiresDateTime"), json::value("2027-02-12T08:00:00Z"));  // 28 days on

  EXPECT_EQ(ModeOf(root()), 0700);
  EXPECT_EQ(ModeOf(root() / device_.device_id), 0700);
  EXPECT_EQ(FilesOnDisk(), (std::set<std::string>{id + ".tar.gz", id + ".json"}));
  EXPECT_EQ(ModeOf(root() / device_.device_id / (id + ".tar.gz")), 0600);
  EXPECT_EQ(ModeOf(root() / device_.device_id / (id + ".json")), 0600);

  EXPECT_EQ(ListedIds("CON-0001"), std::vector<std::string>{id});
  EXPECT_EQ(ListedIds("con-0001"), std::vector<std::string>{id});  // serials fold case
  EXPECT_EQ(ListedIds(device_.device_id), std::vector<std::string>{id});
  EXPECT_TRUE(ListedIds("CON-0002").empty());

  Result<DiagnosticsFile> file = services_->diagnostics.Read("CON-0001", id);
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->bytes, bytes);
  EXPECT_EQ(file->file_name, "diagnostics-1800000000.tar.gz");
  // Another device's archives are not reached through it.
  Result<DiagnosticsFile> elsewhere = services_->diagnostics.Read("CON-0002", id);
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.error().field, "diagnosticsId");

  // The upload is audited as the device.
  auto audit = store_->audit().List({.after = "", .limit = 1000});
  ASSERT_TRUE(audit);
  ASSERT_FALSE(audit->items.empty());
  EXPECT_EQ(audit->items.back().action, "uploadDiagnostics");
  EXPECT_EQ(audit->items.back().actor, "device:CON-0001");
  EXPECT_EQ(audit->items.back().resource_id, device_.device_id);
}

TEST_F(DiagnosticsServiceTest, RefusedUploadsNameTheFieldAndKeepNothing) {
  auto refused = [&](Result<json::object> result, ErrorCode code, const std::string& field) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, code) << result.error().message;
    EXPECT_EQ(result.error().field, field) << result.error().message;
  };
  const std::string good = base64::Encode(Gzip("x"));
  // Only the caller's own registration.
  refused(services_->diagnostics.Upload(device_, other_.device_id, "a.tar.gz", good),
          ErrorCode::kNotFound, "id");
  refused(services_->diagnostics.Upload(device_, "no-such-device", "a.tar.gz", good),
          ErrorCode::kNotFound, "id");
  for (const std::string& name : std::vector<std::string>{"", "../a.tar.gz", "a/b", ".hidden",
                                                          "a b", std::string(129, 'a')}) {
    refused(services_->diagnostics.Upload(device_, device_.device_id, name, good),
            ErrorCode::kInvalidArgument, "fileName");
  }
  refused(services_->diagnostics.Upload(device_, device_.device_id, "a.tar.gz", "H4sI!!!="),
          ErrorCode::kInvalidArgument, "contentBase64");
  refused(services_->diagnostics.Upload(device_, device_.device_id, "a.tar.gz", "H4sIAA"),
          ErrorCode::kInvalidArgument, "contentBase64");  // unpadded
  refused(Upload("PK\x03\x04 a zip"), ErrorCode::kInvalidArgument, "contentBase64");
  refused(Upload(""), ErrorCode::kInvalidArgument, "contentBase64");
  // One byte over 16 MiB, and text too long to be 16 MiB of anything.
  const std::string over = Gzip(std::string(DiagnosticsService::kMaxBytes + 1 - 4, 'z'));
  Result<json::object> large = Upload(over);
  refused(large, ErrorCode::kInvalidArgument, "contentBase64");
  ASSERT_FALSE(large);
  EXPECT_NE(large.error().message.find("larger than 16777216 bytes"), std::string::npos)
      << large.error().message;
  refused(services_->diagnostics.Upload(device_, device_.device_id, "a.tar.gz",
                                        std::string(4 * ((16u << 20) / 3 + 2), 'A')),
          ErrorCode::kInvalidArgument, "contentBase64");
  EXPECT_TRUE(ListedIds().empty());
  EXPECT_TRUE(FilesOnDisk().empty());

  // Exactly 16 MiB is accepted.
  const std::string limit = Gzip(std::string(DiagnosticsService::kMaxBytes - 4, 'z'));
  Result<json::object> stored = Upload(limit, "a.tar.gz");
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(stored->at("sizeBytes").to_number<std::uint64_t>(), DiagnosticsService::kMaxBytes);
}

TEST_F(DiagnosticsServiceTest, ArchivesOlderThan28DaysArePurgedOnUploadAndAtStartup) {
  Result<json::object> first = Upload(Gzip("first"));
  ASSERT_TRUE(first);
  const std::string first_id(first->at("id").as_string());
  now_ += 27 * kDay;
  Result<json::object> second = Upload(Gzip("second"));
  ASSERT_TRUE(second);
  const std::string second_id(second->at("id").as_string());
  EXPECT_EQ(ListedIds(), (std::vector<std::string>{second_id, first_id}));  // newest first

  // 28 days after the first upload it is no longer listed or served...
  now_ += kDay;
  EXPECT_EQ(ListedIds(), std::vector<std::string>{second_id});
  EXPECT_FALSE(services_->diagnostics.Read("CON-0001", first_id));
  // ...and the next upload removes its files.
  EXPECT_EQ(FilesOnDisk().size(), 4u);
  Result<json::object> third = Upload(Gzip("third"));
  ASSERT_TRUE(third);
  const std::string third_id(third->at("id").as_string());
  EXPECT_EQ(FilesOnDisk(), (std::set<std::string>{second_id + ".tar.gz", second_id + ".json",
                                                  third_id + ".tar.gz", third_id + ".json"}));

  // A restarted service (a new instance over the same folder) purges what expired meanwhile,
  // and leftovers of an interrupted write: bytes without an index, a temporary file.
  test_support::WriteText(root() / device_.device_id / "orphan.tar.gz", "partial");
  test_support::WriteText(root() / device_.device_id / ".x.json.tmp123", "partial");
  now_ += 27 * kDay + std::chrono::seconds(1);  // the second one is 28 days old, the third not
  DiagnosticsService restarted(*store_, root(), [this] { return now_; });
  Result<std::size_t> purged = restarted.Purge();
  ASSERT_TRUE(purged) << purged.error().message;
  EXPECT_EQ(*purged, 1u);
  EXPECT_EQ(FilesOnDisk(), (std::set<std::string>{third_id + ".tar.gz", third_id + ".json"}));
  EXPECT_EQ(ListedIds(), std::vector<std::string>{third_id});

  now_ += kDay;
  purged = restarted.Purge();
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1u);
  EXPECT_FALSE(fs::exists(root() / device_.device_id));  // an emptied folder goes too
  EXPECT_TRUE(ListedIds().empty());
}

TEST_F(DiagnosticsServiceTest, ADeviceKeepsItsNewestArchivesOnly) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < DiagnosticsService::kMaxPerDevice + 2; ++i) {
    Result<json::object> stored = Upload(Gzip(std::to_string(i)));
    ASSERT_TRUE(stored) << stored.error().message;
    ids.insert(ids.begin(), std::string(stored->at("id").as_string()));  // newest first
    now_ += std::chrono::seconds(1);
  }
  ids.resize(DiagnosticsService::kMaxPerDevice);
  EXPECT_EQ(ListedIds(), ids);
  EXPECT_EQ(FilesOnDisk().size(), 2 * DiagnosticsService::kMaxPerDevice);
}

TEST_F(DiagnosticsServiceTest, UnknownDevicesAndArchivesAreNotFoundNamingTheArgument) {
  Result<std::vector<DiagnosticsArchive>> listed = services_->diagnostics.List("NO-SUCH-SERIAL");
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(listed.error().field, "id");
  EXPECT_NE(listed.error().message.find("NO-SUCH-SERIAL"), std::string::npos);
  for (const char* id : {"no-such-archive", "../../secrets/ca", ""}) {
    Result<DiagnosticsFile> file = services_->diagnostics.Read("CON-0001", id);
    ASSERT_FALSE(file);
    EXPECT_EQ(file.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(file.error().field, "diagnosticsId");
  }
}

}  // namespace
}  // namespace groundcrew::service

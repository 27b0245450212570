// The agent's diagnostics end to end: CollectDiagnostics on a device's state folder, then
// UploadDiagnostics through the agent's real ServiceClient (key proof, device token) to the
// device API served over loopback by the real routes and use cases (in-memory SQLite), and what
// the admin side then reads back.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/base64.hpp"
#include "core/registration/hardware_hash.hpp"
#include "device/agent/diagnostics.hpp"
#include "device/agent/journal.hpp"
#include "device/agent/service_client.hpp"
#include "identity/device_key.hpp"
#include "server/api/device_api.hpp"
#include "server/http/http_server.hpp"
#include "server/service/services.hpp"
#include "server/store_sqlite/sqlite_store.hpp"
#include "tests/service/contoso_store.hpp"
#include "tests/support/files.hpp"

namespace groundcrew {
namespace {

namespace fs = std::filesystem;
using test_support::ReadText;
using test_support::TempDir;
using test_support::WriteText;

constexpr const char* kSerial = "GC-DIAG-1";

class DiagnosticsUploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const core::Timestamp now = SystemClock()();
    store_ = service::ContosoStore(now);
    ASSERT_NE(store_, nullptr);
    services_ = std::make_unique<service::Services>(
        *store_, service::ContentStore(dir_.path() / "content"), dir_.path() / "diagnostics",
        SystemClock(), service::CreateSecrets("Contoso", now).value());

    // The device as `groundcrew-agent hwid` registers it: its key in its hardware hash.
    auto key = identity::FileDeviceKey::OpenOrCreate(state());
    ASSERT_TRUE(key) << key.error().message;
    key_ = std::move(*key);
    const Result<identity::DevicePublicKey> public_key = key_->PublicKey();
    ASSERT_TRUE(public_key);
    const std::string hash = core::EncodeHardwareHash(
        core::HardwareHashFields{kSerial, "Contoso", "Laptop", *public_key});
    auto imported = services_->devices.Import(
        service::Actor{"admin", store::CredentialRole::kAdmin},
        std::string("Device Serial Number,Windows Product ID,Hardware Hash\r\n") + kSerial + ",," +
            base64::Encode(hash) + "\r\n");
    ASSERT_TRUE(imported) << imported.error().message;
    ASSERT_EQ(imported->imported.size(), 1u);

    server::Router router;
    ASSERT_TRUE(api::AddDeviceApiRoutes(router, *services_));
    server::HttpServerOptions options;
    options.port = 0;
    options.threads = 1;
    server_ = std::make_unique<server::HttpServer>(options, std::move(router));
    ASSERT_TRUE(server_->Start());
    auto client = agent::ServiceClient::Create(
        "http://127.0.0.1:" + std::to_string(server_->port()), "", *key_, kSerial);
    ASSERT_TRUE(client) << client.error().message;
    client_ = std::move(*client);
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  fs::path state() const { return dir_.path() / "state"; }

  TempDir dir_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<service::Services> services_;
  std::unique_ptr<identity::FileDeviceKey> key_;
  std::unique_ptr<server::HttpServer> server_;
  std::unique_ptr<agent::ServiceClient> client_;
};

TEST_F(DiagnosticsUploadTest, TheCollectedArchiveReachesTheServiceAsItWasMade) {
  {
    auto journal = agent::Journal::Open(state(), identity::SealingKey{});
    ASSERT_TRUE(journal) << journal.error().message;
    ASSERT_TRUE(journal->Append({{"t", "userToken"}, {"token", "LIVE-USER-TOKEN"}}));
  }
  WriteText(state() / "logs" / "app-1.log", "installing\npsk=LOG-PSK\nexit code 0\n");
  Result<fs::path> archive = agent::CollectDiagnostics(state(), SystemClock()());
  ASSERT_TRUE(archive) << archive.error().message;

  Status uploaded = agent::UploadDiagnostics(*client_, *archive);
  ASSERT_TRUE(uploaded) << uploaded.error().message;

  auto listed = services_->diagnostics.List(kSerial);
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].file_name, archive->filename().string());
  EXPECT_EQ((*listed)[0].size_bytes, fs::file_size(*archive));
  auto file = services_->diagnostics.Read(kSerial, (*listed)[0].id);
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->bytes, ReadText(*archive));  // byte for byte
}

TEST_F(DiagnosticsUploadTest, WhatTheServiceWouldRefuseIsNotSent) {
  // Larger than the service takes (a sparse file), and a name it would refuse.
  const fs::path large = state() / "diagnostics" / "diagnostics-1.tar.gz";
  fs::create_directories(large.parent_path());
  WriteText(large, "");
  fs::resize_file(large, agent::kMaxDiagnosticsBytes + 1);
  Status refused = agent::UploadDiagnostics(*client_, large);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().field, "archive");

  const fs::path odd = state() / "diagnostics" / "my diagnostics.tar.gz";
  WriteText(odd, "\x1f\x8b");
  refused = agent::UploadDiagnostics(*client_, odd);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "archive");

  // The service's own refusal comes back as its error (not gzip: 400 naming contentBase64).
  const fs::path text = state() / "diagnostics" / "notes.txt";
  WriteText(text, "plain text");
  refused = agent::UploadDiagnostics(*client_, text);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().field, "contentBase64");
  EXPECT_TRUE(services_->diagnostics.List(kSerial)->empty());
}

}  // namespace
}  // namespace groundcrew

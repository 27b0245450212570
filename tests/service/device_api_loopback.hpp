#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/base64.hpp"
#include "core/registration/hardware_hash.hpp"
#include "device/agent/service_client.hpp"
#include "identity/device_key.hpp"
#include "server/api/device_api.hpp"
#include "server/http/http_server.hpp"
#include "server/service/services.hpp"
#include "server/store_sqlite/sqlite_store.hpp"
#include "tests/service/contoso_store.hpp"
#include "tests/support/files.hpp"

// The device side and the server side together, as only tests may link them: the device API
// served over loopback by the real routes and use cases (the Contoso store in memory,
// contoso_store.hpp), a device registered as `groundcrew-agent hwid` registers it (its key in
// its hardware hash), and the agent's real ServiceClient for it.
namespace groundcrew::service {

class DeviceApiLoopbackTest : public ::testing::Test {
 protected:
  explicit DeviceApiLoopbackTest(std::string serial) : serial_(std::move(serial)) {}

  void SetUp() override {
    const core::Timestamp now = SystemClock()();
    store_ = ContosoStore(now);
    ASSERT_NE(store_, nullptr);
    services_ = std::make_unique<Services>(*store_, ContentStore(dir_.path() / "content"),
                                           dir_.path() / "diagnostics", SystemClock(),
                                           CreateSecrets("Contoso", now).value());

    auto key = identity::FileDeviceKey::OpenOrCreate(state());
    ASSERT_TRUE(key) << key.error().message;
    key_ = std::move(*key);
    const Result<identity::DevicePublicKey> public_key = key_->PublicKey();
    ASSERT_TRUE(public_key);
    const std::string hash = core::EncodeHardwareHash(
        core::HardwareHashFields{serial_, "Contoso", "Laptop", *public_key});
    auto imported = services_->devices.Import(
        admin(), std::string("Device Serial Number,Windows Product ID,Hardware Hash\r\n") +
                     serial_ + ",," + base64::Encode(hash) + "\r\n");
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
        "http://127.0.0.1:" + std::to_string(server_->port()), "", *key_, serial_);
    ASSERT_TRUE(client) << client.error().message;
    client_ = std::move(*client);
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  static Actor admin() { return Actor{"admin", store::CredentialRole::kAdmin}; }
  /// The device's state folder (its key is there).
  std::filesystem::path state() const { return dir_.path() / "state"; }

  const std::string serial_;
  test_support::TempDir dir_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<Services> services_;
  std::unique_ptr<identity::FileDeviceKey> key_;
  std::unique_ptr<server::HttpServer> server_;
  std::unique_ptr<agent::ServiceClient> client_;
};

}  // namespace groundcrew::service

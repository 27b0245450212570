// The agent's diagnostics end to end: CollectDiagnostics on a device's state folder, then
// UploadDiagnostics through the agent's real ServiceClient (key proof, device token) to the
// device API served over loopback by the real routes and use cases (in-memory SQLite), and what
// the admin side then reads back.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "device/agent/diagnostics.hpp"
#include "device/agent/journal.hpp"
#include "tests/service/device_api_loopback.hpp"
#include "tests/support/files.hpp"

namespace groundcrew {
namespace {

namespace fs = std::filesystem;
using test_support::ReadText;
using test_support::WriteText;

constexpr const char* kSerial = "GC-DIAG-1";

class DiagnosticsUploadTest : public service::DeviceApiLoopbackTest {
 protected:
  DiagnosticsUploadTest() : DeviceApiLoopbackTest(kSerial) {}
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

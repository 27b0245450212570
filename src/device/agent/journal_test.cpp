#include "device/agent/journal.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "device/agent/flow_events.hpp"

namespace groundcrew::agent {
namespace {

namespace fs = std::filesystem;

const identity::SealingKey kKey = {1, 2, 3};

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gc-journal-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(JournalTest, RecordsSurviveReopeningAndATornLastLineIsDropped) {
  {
    auto journal = Journal::Open(dir_, kKey);
    ASSERT_TRUE(journal) << journal.error().message;
    ASSERT_TRUE(journal->Append({{"t", "flow"}, {"flow", "technician"}}));
    ASSERT_TRUE(journal->Append({{"t", "session"}, {"id", "s1"}}));
  }
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / Journal::kFileName).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::ofstream(dir_ / Journal::kFileName, std::ios::app) << R"({"t":"event","fl)";  // torn
  auto reopened = Journal::Open(dir_, kKey);
  ASSERT_TRUE(reopened) << reopened.error().message;
  ASSERT_EQ(reopened->records().size(), 2u);
  EXPECT_EQ(reopened->records()[1].at("id"), "s1");
  ASSERT_TRUE(reopened->Append({{"t", "resealed"}}));  // after the repaired end
  auto again = Journal::Open(dir_, kKey);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->records().size(), 3u);
  ASSERT_TRUE(again->Clear());
  EXPECT_EQ(Journal::Open(dir_, kKey)->records().size(), 0u);
}

TEST_F(JournalTest, ADamagedCompleteLineIsRefusedNamingIt) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / Journal::kFileName) << "{\"t\":\"flow\"}\nnot json\n";
  auto journal = Journal::Open(dir_, kKey);
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().field, "line 2");
}

std::string FileText(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The user's token and the Wi-Fi keys of the deployment's payloads are in the records in
// memory, sealed on disk, and a journal sealed under another device key is refused.
TEST_F(JournalTest, SecretsAreSealedOnDisk) {
  const std::string token = "eyJ0b2tlbi1vZi10aGUtdXNlcg";
  const std::string psk = "correct horse battery staple";
  const boost::json::object payloads = {
      {"networkProfiles",
       boost::json::array{
           {{"ssid", "Contoso-Corp"}, {"security", "wpa2Personal"}, {"preSharedKey", psk}}}}};
  {
    auto journal = Journal::Open(dir_, kKey);
    ASSERT_TRUE(journal) << journal.error().message;
    ASSERT_TRUE(journal->Append({{"t", "userToken"}, {"token", token}}));
    ASSERT_TRUE(journal->Append({{"t", "payloads"}, {"flow", "user"}, {"payloads", payloads}}));
    EXPECT_EQ(journal->records()[0].at("token"), boost::json::string(token));
  }
  const std::string text = FileText(dir_ / Journal::kFileName);
  EXPECT_EQ(text.find(token), std::string::npos) << text;
  EXPECT_EQ(text.find(psk), std::string::npos) << text;
  EXPECT_NE(text.find("Contoso-Corp"), std::string::npos);  // only secrets are sealed
  auto reopened = Journal::Open(dir_, kKey);
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ(reopened->records()[0].at("token"), boost::json::string(token));
  EXPECT_EQ(reopened->records()[1].at("payloads"), payloads);

  const identity::SealingKey other = {9};
  auto foreign = Journal::Open(dir_, other);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().field, "line 1");
}

TEST(FlowEventsTest, EveryKindOfEventRoundTrips) {
  core::ProfileInfo profile;
  profile.organization_name = "Contoso";
  profile.registration_id = "z1";
  profile.preprovisioning_allowed = true;
  profile.user_type = core::WindowsUserType::kStandard;
  const std::vector<core::TechnicianEvent> technician = {
      core::NetworkUp{},
      core::ProfileReceived{profile},
      core::TechnicianKeyPressed{},
      core::OptionChosen{core::MenuOption::kPreprovision},
      core::StepFailed{core::PreparationStep::kJoiningOrganization, 0x801c0003, "no"},
      core::ItemFailed{.id = "app-1", .code = 1603, .message = "fatal"},
      core::ItemSucceeded{.id = "app-2", .reboot = core::RebootKind::kSoft},
      core::Rebooted{}};
  for (const core::TechnicianEvent& event : technician) {
    auto decoded = DecodeTechnicianEvent(EncodeEvent(event));
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(EncodeEvent(*decoded), EncodeEvent(event));
  }
  const std::vector<core::UserEvent> user = {
      core::SignInSubmitted{"adele@contoso.com"},
      core::SignInRefused{{core::SignInError::kLockedOut, "locked"}}, core::MfaCodeRefused{},
      core::TryAgainPressed{}};
  for (const core::UserEvent& event : user) {
    auto decoded = DecodeUserEvent(EncodeEvent(event));
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(EncodeEvent(*decoded), EncodeEvent(event));
  }
  auto standard =
      DecodeTechnicianEvent(EncodeEvent(core::TechnicianEvent(core::ProfileReceived{profile})));
  ASSERT_TRUE(standard);
  EXPECT_EQ(std::get<core::ProfileReceived>(*standard).profile.user_type,
            core::WindowsUserType::kStandard);
  // A journal from before the user type was kept: an administrator, Autopilot's default.
  boost::json::object old = EncodeEvent(core::TechnicianEvent(core::ProfileReceived{profile}));
  old["profile"].as_object().erase("userType");
  auto defaulted = DecodeTechnicianEvent(old);
  ASSERT_TRUE(defaulted) << defaulted.error().message;
  EXPECT_EQ(std::get<core::ProfileReceived>(*defaulted).profile.user_type,
            core::WindowsUserType::kAdministrator);
  EXPECT_EQ(DecodeUserEvent({{"kind", "no-such-event"}}).error().field, "kind");
  EXPECT_EQ(DecodeTechnicianEvent({{"kind", "item-failed"}, {"id", "x"}}).error().field, "code");
}

}  // namespace
}  // namespace groundcrew::agent

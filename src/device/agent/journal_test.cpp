#include "device/agent/journal.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "device/agent/flow_events.hpp"

namespace groundcrew::agent {
namespace {

namespace fs = std::filesystem;

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
    auto journal = Journal::Open(dir_);
    ASSERT_TRUE(journal) << journal.error().message;
    ASSERT_TRUE(journal->Append({{"t", "flow"}, {"flow", "technician"}}));
    ASSERT_TRUE(journal->Append({{"t", "session"}, {"id", "s1"}}));
  }
  struct stat info {};
  ASSERT_EQ(::stat((dir_ / Journal::kFileName).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::ofstream(dir_ / Journal::kFileName, std::ios::app) << R"({"t":"event","fl)";  // torn
  auto reopened = Journal::Open(dir_);
  ASSERT_TRUE(reopened) << reopened.error().message;
  ASSERT_EQ(reopened->records().size(), 2u);
  EXPECT_EQ(reopened->records()[1].at("id"), "s1");
  ASSERT_TRUE(reopened->Append({{"t", "resealed"}}));  // after the repaired end
  auto again = Journal::Open(dir_);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->records().size(), 3u);
  ASSERT_TRUE(again->Clear());
  EXPECT_EQ(Journal::Open(dir_)->records().size(), 0u);
}

TEST_F(JournalTest, ADamagedCompleteLineIsRefusedNamingIt) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / Journal::kFileName) << "{\"t\":\"flow\"}\nnot json\n";
  auto journal = Journal::Open(dir_);
  ASSERT_FALSE(journal);
  EXPECT_EQ(journal.error().field, "line 2");
}

TEST(FlowEventsTest, EveryKindOfEventRoundTrips) {
  core::ProfileInfo profile;
  profile.organization_name = "Contoso";
  profile.registration_id = "z1";
  profile.preprovisioning_allowed = true;
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
  EXPECT_EQ(DecodeUserEvent({{"kind", "no-such-event"}}).error().field, "kind");
  EXPECT_EQ(DecodeTechnicianEvent({{"kind", "item-failed"}, {"id", "x"}}).error().field, "code");
}

}  // namespace
}  // namespace groundcrew::agent

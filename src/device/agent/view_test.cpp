#include "device/agent/view.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <sstream>
#include <thread>

#include "device/agent/progress.hpp"

namespace groundcrew::agent {
namespace {

using std::chrono::milliseconds;

TEST(ProgressTest, TheThrottleAllowsAtMostOneRedrawPerInterval) {
  RedrawThrottle throttle(milliseconds(200));
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE(throttle.Due(t0));
  throttle.Mark(t0);
  EXPECT_FALSE(throttle.Due(t0 + milliseconds(199)));
  EXPECT_TRUE(throttle.Due(t0 + milliseconds(200)));
  // A second of updates every 10 ms: 5 redraws.
  int redraws = 0;
  RedrawThrottle busy(milliseconds(200));
  for (int ms = 0; ms < 1000; ms += 10) {
    if (busy.Due(t0 + milliseconds(ms))) {
      busy.Mark(t0 + milliseconds(ms));
      ++redraws;
    }
  }
  EXPECT_EQ(redraws, 5);
}

TEST(ProgressTest, TheBoardKeepsTheLatestOfTheCurrentAttemptAcrossThreads) {
  ProgressBoard board;
  ProgressBoard::Sink first = board.Track("vpn");
  EXPECT_EQ(board.Get("vpn"), std::nullopt);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&first] {
      for (std::uint64_t i = 0; i <= 1000; ++i) first(i, 1000);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(board.Get("vpn"), std::make_pair(std::uint64_t{1000}, std::uint64_t{1000}));
  EXPECT_EQ(board.TakeChanged(), std::vector<std::string>{"vpn"});
  EXPECT_TRUE(board.TakeChanged().empty());
  first(1000, 1000);  // the same again: no change
  EXPECT_TRUE(board.TakeChanged().empty());

  // A new attempt starts from nothing; the stopped attempt's reports are ignored.
  ProgressBoard::Sink second = board.Track("vpn");
  EXPECT_EQ(board.Get("vpn"), std::nullopt);
  first(500, 1000);
  EXPECT_EQ(board.Get("vpn"), std::nullopt);
  EXPECT_TRUE(board.TakeChanged().empty());
  second(10, 1000);
  EXPECT_EQ(board.Get("vpn"), std::make_pair(std::uint64_t{10}, std::uint64_t{1000}));
}

device::Screen Esp(std::string state, std::string progress = "") {
  device::Screen screen{.id = device::ScreenId::kEsp, .title = "Setting up your device for work"};
  screen.phases = {{.phase = core::EspPhase::kDeviceSetup,
                    .name = "Device setup",
                    .status = "Working on it",
                    .categories = {{.name = "Apps",
                                    .status = "0 of 1 installed",
                                    .total = 1,
                                    .items = {{.id = "vpn",
                                               .name = "Contoso VPN",
                                               .state = std::move(state),
                                               .progress = std::move(progress),
                                               .attempt = 1}}}}}};
  return screen;
}

TEST(PlainViewTest, TellsTheStoryALinePerChangeWithoutEscapeCodes) {
  std::ostringstream out;
  std::unique_ptr<View> view = MakeLogView("plain", out);
  ASSERT_NE(view, nullptr);
  EXPECT_FALSE(view->interactive());
  view->Show(Esp("Downloading", "10% (0.3 of 2.9 MB)"));
  view->Show(Esp("Downloading", "51% (1.5 of 2.9 MB)"));  // progress alone: no line
  view->Show(Esp("Installing"));
  device::Screen done = Esp("Installed");
  done.phases[0].status = "Complete";
  view->Show(done);
  view->Pressed({.action = device::Action::kReseal, .label = "Reseal"});
  EXPECT_EQ(out.str(),
            "\n== Setting up your device for work ==\n"
            "   Device setup: Working on it\n"
            "   Device setup > Apps > Contoso VPN: Downloading\n"
            "   Device setup > Apps > Contoso VPN: Installing\n"
            "   Device setup: Complete\n"
            "   Device setup > Apps > Contoso VPN: Installed\n"
            "   > Reseal\n");
  EXPECT_EQ(out.str().find('\033'), std::string::npos);
}

TEST(PlainViewTest, NeverWritesASecretField) {
  std::ostringstream out;
  std::unique_ptr<View> view = MakeLogView("plain", out);
  device::Screen screen{.id = device::ScreenId::kMfaRegistration, .title = "Set up"};
  screen.fields = {{"Account", "adele@contoso.com"}, {"Key", "JBSW Y3DP", true}};
  screen.qr = "otpauth://totp/x?secret=JBSWY3DP";
  screen.qr_secret = true;
  view->Show(screen);
  EXPECT_NE(out.str().find("adele@contoso.com"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("JBSW"), std::string::npos) << out.str();
}

TEST(JsonViewTest, WritesTheScreenOncePerChangeAndThePressedButtons) {
  std::ostringstream out;
  std::unique_ptr<View> view = MakeLogView("json", out);
  view->Show(Esp("Installing"));
  view->Show(Esp("Installing"));  // the same: nothing
  view->Pressed({.action = device::Action::kToggleDetails});
  std::istringstream lines(out.str());
  std::string first, second, third;
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_FALSE(std::getline(lines, third)) << out.str();
  const boost::json::value screen = boost::json::parse(first);
  EXPECT_EQ(screen.at("type"), "screen");
  EXPECT_EQ(screen.at("screen"), "esp");
  EXPECT_EQ(screen.at("phases").at(0).at("categories").at(0).at("items").at(0).at("state"),
            "Installing");
  EXPECT_EQ(boost::json::parse(second),
            (boost::json::value{{"type", "pressed"}, {"action", "toggleDetails"}}));
  EXPECT_EQ(MakeLogView("html", out), nullptr);
}

}  // namespace
}  // namespace groundcrew::agent

#include "device/agent/ui.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "device/agent/progress.hpp"

namespace groundcrew::agent {
namespace {

using std::chrono::milliseconds;

TEST(ProgressTest, FormatsPercentAndSizesInTheUnitOfTheTotal) {
  EXPECT_EQ(FormatProgress(1'200'000, 2'900'000), "41% (1.2 of 2.9 MB)");
  EXPECT_EQ(FormatProgress(0, 2'900'000), "0% (0.0 of 2.9 MB)");
  EXPECT_EQ(FormatProgress(2'900'000, 2'900'000), "100% (2.9 of 2.9 MB)");
  EXPECT_EQ(FormatProgress(300, 900), "33% (300 of 900 B)");
  EXPECT_EQ(FormatProgress(1'500, 42'000), "3% (1.5 of 42.0 kB)");
  EXPECT_EQ(FormatProgress(3'000'000'000, 6'000'000'000), "50% (3.0 of 6.0 GB)");
  // The total unknown: only what is done.
  EXPECT_EQ(FormatProgress(1'234'567, 0), "1.2 MB");
  EXPECT_EQ(FormatProgress(0, 0), "0 B");
  // More done than the total said (a server that sent more): never above 100%.
  EXPECT_EQ(FormatProgress(1'100, 1'000), "100% (1.1 of 1.0 kB)");
}

TEST(ProgressTest, PercentRoundsDownAndIsUnknownWithoutATotal) {
  EXPECT_EQ(ProgressPercent(999, 1000), 99);
  EXPECT_EQ(ProgressPercent(1000, 1000), 100);
  EXPECT_EQ(ProgressPercent(5, 0), std::nullopt);
  EXPECT_EQ(ProgressPercent(UINT64_MAX / 2, UINT64_MAX), 49);  // no overflow
}

TEST(ProgressTest, QuarterMarksAreEachGivenOnceAndTheHighestReachedWins) {
  EXPECT_EQ(NextProgressMark(0, 10, 100), 0);
  EXPECT_EQ(NextProgressMark(0, 25, 100), 25);
  EXPECT_EQ(NextProgressMark(25, 30, 100), 0);
  EXPECT_EQ(NextProgressMark(25, 80, 100), 75);  // 50 skipped: one line, not two
  EXPECT_EQ(NextProgressMark(75, 100, 100), 0);  // 100% is the item's own event
  EXPECT_EQ(NextProgressMark(0, 50, 0), 0);      // total unknown
}

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

ItemProgress Vpn(std::uint64_t done) {
  return {"deviceSetup", "vpn", "Contoso VPN", done, 2'900'000};
}

TEST(UiProgressTest, PlainPrintsEachQuarterMarkOnce) {
  std::ostringstream out;
  std::unique_ptr<Ui> ui = MakeUi("plain", out);
  for (std::uint64_t done : {100'000, 800'000, 900'000, 1'500'000, 2'300'000, 2'900'000}) {
    ui->Progress({}, {Vpn(done)});
  }
  EXPECT_EQ(out.str(),
            "  itemProgress: Contoso VPN 27% (0.8 of 2.9 MB)\n"
            "  itemProgress: Contoso VPN 51% (1.5 of 2.9 MB)\n"
            "  itemProgress: Contoso VPN 79% (2.3 of 2.9 MB)\n");
}

TEST(UiProgressTest, JsonEmitsItemProgressEventsAtTheMarksOnly) {
  std::ostringstream out;
  std::unique_ptr<Ui> ui = MakeUi("json", out);
  ui->Progress({}, {Vpn(100'000)});
  EXPECT_EQ(out.str(), "");
  ui->Progress({}, {Vpn(1'500'000)});
  EXPECT_EQ(out.str(),
            R"j({"type":"event","kind":"itemProgress","text":"Contoso VPN 51% (1.5 of 2.9 MB)",)j"
            R"j("detail":{"phase":"deviceSetup","id":"vpn","displayName":"Contoso VPN",)j"
            R"j("mark":50,"done":1500000,"total":2900000}})j"
            "\n");
}

TEST(UiProgressTest, TerminalRedrawsTheScreenItIsGiven) {
  std::ostringstream out;
  std::unique_ptr<Ui> ui = MakeUi("terminal", out);
  ui->Progress({.name = "device-setup",
                .title = "Setting up your device for work",
                .lines = {"  in-progress Contoso VPN  41% (1.2 of 2.9 MB)"}},
               {Vpn(1'200'000)});
  EXPECT_NE(out.str().find("\033[H\033[2J"), std::string::npos) << "redrawn in place";
  EXPECT_NE(out.str().find("Contoso VPN  41% (1.2 of 2.9 MB)"), std::string::npos);
}

}  // namespace
}  // namespace groundcrew::agent

#include "device/executor/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/files.hpp"

namespace groundcrew::executor {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test_support::ReadText;
using test_support::TempDir;

const std::vector<std::string> kEnvironment = {"PATH=/usr/bin:/bin", "GROUNDCREW_ROOT=/sandbox"};

struct ShellRun {
  Result<ShellOutcome> outcome;
  std::vector<std::string> lines;
};

ShellRun RunIn(const fs::path& cwd, const std::string& command,
               milliseconds limit = milliseconds(0), std::stop_token stop = {}) {
  ShellRun run{MakeError(ErrorCode::kInternal, "not run"), {}};
  run.outcome = RunShell(ShellCommand{command, cwd, kEnvironment, limit, stop},
                         [&](std::string_view line) { run.lines.emplace_back(line); });
  return run;
}

// True while `pid` is a process that is not a zombie.
bool IsRunning(const std::string& pid) {
  const std::string stat = ReadText(fs::path("/proc") / pid / "stat");
  if (stat.empty()) return false;
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

bool WaitUntilGone(const std::string& pid) {
  for (int i = 0; i < 100; ++i) {
    if (!IsRunning(pid)) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

TEST(RunShellTest, CapturesOutputLinesInOrderAndTheExitCode) {
  TempDir folder;
  ShellRun run = RunIn(folder.path(), "echo one; echo two >&2; printf 'three\\r\\nfour'; exit 7");
  ASSERT_TRUE(run.outcome) << run.outcome.error().message;
  EXPECT_EQ(run.outcome->end, ShellOutcome::End::kExited);
  EXPECT_EQ(run.outcome->exit_code, 7);
  EXPECT_EQ(run.lines, (std::vector<std::string>{"one", "two", "three", "four"}));
}

TEST(RunShellTest, RunsInTheWorkingDirectoryWithOnlyTheGivenEnvironment) {
  TempDir folder;
  ShellRun run = RunIn(folder.path(),
                       "pwd; echo \"root=$GROUNDCREW_ROOT home=${HOME:-none}\"; "
                       "read line; echo \"stdin=$? $line\"");
  ASSERT_TRUE(run.outcome);
  ASSERT_EQ(run.lines.size(), 3u);
  EXPECT_EQ(fs::canonical(run.lines[0]), fs::canonical(folder.path()));
  EXPECT_EQ(run.lines[1], "root=/sandbox home=none");
  EXPECT_EQ(run.lines[2], "stdin=1 ");  // /dev/null: read fails at once
}

TEST(RunShellTest, TheCommandInheritsNoOtherDescriptor) {
  TempDir folder;
  const int leaky = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
  ASSERT_GE(leaky, 3);
  const std::string fd = std::to_string(leaky);
  ShellRun run =
      RunIn(folder.path(), "test -e /proc/$$/fd/" + fd + " && echo leaked || echo closed");
  ::close(leaky);
  ASSERT_TRUE(run.outcome);
  EXPECT_EQ(run.lines, std::vector<std::string>{"closed"});
}

TEST(RunShellTest, AMissingWorkingDirectoryExits127AndSaysSo) {
  TempDir folder;
  ShellRun run = RunIn(folder.path() / "missing", "echo never");
  ASSERT_TRUE(run.outcome);
  EXPECT_EQ(run.outcome->exit_code, 127);
  ASSERT_EQ(run.lines.size(), 1u);
  EXPECT_NE(run.lines[0].find("working directory"), std::string::npos);
}

TEST(RunShellTest, TheTimeLimitKillsTheWholeProcessGroup) {
  TempDir folder;
  const auto start = std::chrono::steady_clock::now();
  ShellRun run = RunIn(folder.path(), "sleep 30 & echo $! > child.pid; echo started; sleep 30",
                       milliseconds(300));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(run.outcome);
  EXPECT_EQ(run.outcome->end, ShellOutcome::End::kTimedOut);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  EXPECT_GE(run.outcome->elapsed, milliseconds(300));
  EXPECT_EQ(run.lines, std::vector<std::string>{"started"});
  std::string child = ReadText(folder.path() / "child.pid");
  while (!child.empty() && child.back() == '\n') child.pop_back();
  ASSERT_FALSE(child.empty());
  EXPECT_TRUE(WaitUntilGone(child)) << "the background sleep " << child << " survived";
}

TEST(RunShellTest, AStopRequestKillsTheCommand) {
  TempDir folder;
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(milliseconds(200));
    stop.request_stop();
  });
  ShellRun run = RunIn(folder.path(), "sleep 30", milliseconds(0), stop.get_token());
  ASSERT_TRUE(run.outcome);
  EXPECT_EQ(run.outcome->end, ShellOutcome::End::kStopped);
  EXPECT_LT(run.outcome->elapsed, std::chrono::seconds(5));
}

TEST(RunShellTest, ReportsTheSignalThatEndedTheShell) {
  TempDir folder;
  ShellRun run = RunIn(folder.path(), "kill -TERM $$");
  ASSERT_TRUE(run.outcome);
  EXPECT_EQ(run.outcome->end, ShellOutcome::End::kSignaled);
  EXPECT_EQ(run.outcome->signal, SIGTERM);
}

TEST(RunShellTest, ABackgroundProcessHoldingTheOutputDoesNotHoldTheCaller) {
  TempDir folder;
  const auto start = std::chrono::steady_clock::now();
  ShellRun run = RunIn(folder.path(), "sleep 20 & echo $! > daemon.pid; echo done");
  ASSERT_TRUE(run.outcome);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(run.outcome->end, ShellOutcome::End::kExited);
  EXPECT_EQ(run.outcome->exit_code, 0);
  EXPECT_EQ(run.lines, std::vector<std::string>{"done"});
  const std::string pid = ReadText(folder.path() / "daemon.pid");
  if (!pid.empty()) ::kill(std::stoi(pid), SIGKILL);
}

TEST(RunShellTest, SplitsVeryLongLines) {
  TempDir folder;
  ShellRun run = RunIn(folder.path(), "head -c 40000 /dev/zero | tr '\\0' x; echo; echo end");
  ASSERT_TRUE(run.outcome);
  ASSERT_EQ(run.lines.size(), 4u);
  EXPECT_EQ(run.lines[0].size(), kMaxOutputLineBytes);
  EXPECT_EQ(run.lines[1].size(), kMaxOutputLineBytes);
  EXPECT_EQ(run.lines[2].size(), 40000 - 2 * kMaxOutputLineBytes);
  EXPECT_EQ(run.lines[3], "end");
}

TEST(RunShellTest, SeveralCommandsAtOnce) {
  TempDir folder;
  std::vector<std::jthread> threads;
  std::vector<int> codes(6, -1);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      ShellRun run = RunIn(folder.path(), "sleep 0.1; exit " + std::to_string(i));
      if (run.outcome) codes[static_cast<size_t>(i)] = run.outcome->exit_code;
    });
  }
  threads.clear();
  EXPECT_EQ(codes, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace groundcrew::executor

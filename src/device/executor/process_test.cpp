#include "device/executor/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace groundcrew::executor {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test_support::ReadText;
using test_support::TempDir;
using test_support::WaitUntil;

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

DetachedFiles FilesIn(const fs::path& folder) {
  return DetachedFiles{folder / "installer.out", folder / "installer.status",
                       folder / "installer.group"};
}

// Starts `command` detached in a child process standing for the agent, waits until it has
// written ROOT/started, then kills that child (SIGKILL): what an agent killed while an installer
// runs leaves behind. The command's process group, or 0.
pid_t StartDetachedInAKilledCaller(const fs::path& folder, const std::string& command) {
  const DetachedFiles files = FilesIn(folder);
  const pid_t caller = ::fork();
  if (caller == 0) {
    (void)RunDetachedShell(ShellCommand{command, folder, kEnvironment, milliseconds(0), {}}, files,
                           {}, {});
    ::_exit(0);
  }
  if (caller < 0) return 0;
  const bool started =
      WaitUntil([&] { return fs::exists(folder / "started"); }, std::chrono::seconds(10));
  ::kill(caller, SIGKILL);
  ::waitpid(caller, nullptr, 0);
  if (!started) return 0;
  const std::string group = ReadText(files.group);
  return group.empty() ? 0 : static_cast<pid_t>(std::stoi(group));
}

// Holds until ./release exists (at most 10 s), then ends with `code`.
std::string Held(int code) {
  return "echo before; touch started; i=0; while [ ! -e release ]; do i=$((i + 1)); "
         "[ \"$i\" -lt 200 ] || exit 99; sleep 0.05; done; echo after; exit " +
         std::to_string(code);
}

TEST(RunDetachedShellTest, PassesOutputOnAndWritesTheStatusAndTheGroup) {
  TempDir folder;
  const DetachedFiles files = FilesIn(folder.path());
  std::vector<std::string> lines;
  pid_t started = 0;
  Result<ShellOutcome> outcome = RunDetachedShell(
      ShellCommand{"echo one; echo two >&2; printf three; exit 7",
                   folder.path(),
                   kEnvironment,
                   milliseconds(0),
                   {}},
      files, [&](pid_t group) { started = group; },
      [&](std::string_view line) { lines.emplace_back(line); });
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->end, ShellOutcome::End::kExited);
  EXPECT_EQ(outcome->exit_code, 7);
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_GT(started, 0);
  EXPECT_EQ(ReadText(files.group), std::to_string(started) + "\n");
  EXPECT_EQ(ReadDetachedStatus(files), 7);
  EXPECT_EQ(ReadText(files.output), "one\ntwo\nthree");
  EXPECT_EQ(test_support::ModeOf(files.output), 0600);
  EXPECT_FALSE(DetachedShellRunning(started, files));
}

TEST(RunDetachedShellTest, AStopKillsTheGroupAndLeavesNoStatus) {
  TempDir folder;
  const DetachedFiles files = FilesIn(folder.path());
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(milliseconds(200));
    stop.request_stop();
  });
  Result<ShellOutcome> outcome = RunDetachedShell(
      ShellCommand{"sleep 30", folder.path(), kEnvironment, milliseconds(0), stop.get_token()},
      files, {}, {});
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->end, ShellOutcome::End::kStopped);
  EXPECT_LT(outcome->elapsed, std::chrono::seconds(5));
  EXPECT_FALSE(ReadDetachedStatus(files));
}

TEST(RunDetachedShellTest, TheCommandOutlivesItsCallerAndAnotherProcessWaitsForIt) {
  TempDir folder;
  const DetachedFiles files = FilesIn(folder.path());
  const pid_t group = StartDetachedInAKilledCaller(folder.path(), Held(3));
  ASSERT_GT(group, 0);
  EXPECT_TRUE(DetachedShellRunning(group, files));
  EXPECT_FALSE(DetachedShellRunning(::getpid(), files));
  EXPECT_FALSE(DetachedShellRunning(group, FilesIn(folder.path() / "other")));

  std::jthread releaser([&] {
    std::this_thread::sleep_for(milliseconds(300));
    test_support::WriteText(folder.path() / "release", "");
  });
  std::vector<std::string> lines;
  const ShellOutcome outcome =
      WaitForDetachedShell(group, files, std::chrono::seconds(10), {},
                           [&](std::string_view line) { lines.emplace_back(line); });
  EXPECT_EQ(outcome.end, ShellOutcome::End::kExited);
  EXPECT_EQ(outcome.exit_code, 3);
  EXPECT_GE(outcome.elapsed, milliseconds(200));
  // Its output from the start, including what it wrote after its caller died.
  EXPECT_EQ(lines, (std::vector<std::string>{"before", "after"}));
}

TEST(RunDetachedShellTest, WaitingHonoursAStopAndATimeLimit) {
  TempDir folder;
  const DetachedFiles files = FilesIn(folder.path());
  const pid_t group = StartDetachedInAKilledCaller(folder.path(), Held(0));
  ASSERT_GT(group, 0);
  const ShellOutcome timed_out = WaitForDetachedShell(group, files, milliseconds(200), {}, {});
  EXPECT_EQ(timed_out.end, ShellOutcome::End::kTimedOut);
  EXPECT_TRUE(WaitUntil([&] { return !LeadsProcessGroup(group); }, std::chrono::seconds(5)));

  fs::remove(folder.path() / "started");
  const pid_t second = StartDetachedInAKilledCaller(folder.path(), Held(0));
  ASSERT_GT(second, 0);
  std::stop_source stop;
  stop.request_stop();
  const ShellOutcome stopped = WaitForDetachedShell(second, files, {}, stop.get_token(), {});
  EXPECT_EQ(stopped.end, ShellOutcome::End::kStopped);
  EXPECT_TRUE(WaitUntil([&] { return !LeadsProcessGroup(second); }, std::chrono::seconds(5)));
  EXPECT_FALSE(ReadDetachedStatus(files));
}

TEST(RunDetachedShellTest, AGroupKilledFromOutsideVanishes) {
  TempDir folder;
  const DetachedFiles files = FilesIn(folder.path());
  const pid_t group = StartDetachedInAKilledCaller(folder.path(), Held(0));
  ASSERT_GT(group, 0);
  std::jthread killer([&] {
    std::this_thread::sleep_for(milliseconds(200));
    ::kill(-group, SIGKILL);
  });
  const ShellOutcome outcome = WaitForDetachedShell(group, files, std::chrono::seconds(10), {}, {});
  EXPECT_EQ(outcome.end, ShellOutcome::End::kVanished);
}

}  // namespace
}  // namespace groundcrew::executor

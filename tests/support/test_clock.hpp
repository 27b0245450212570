#pragma once

#include <chrono>
#include <filesystem>

#include "common/clock.hpp"
#include "tests/support/files.hpp"

// A clock a test moves: the file that groundcrewd's and the agent's --test-clock read, and the
// same time as a Clock for code in the test's own process.
namespace groundcrew::test_support {

class TestClock {
 public:
  /// Starts at `start` (the wall clock's second by default).
  explicit TestClock(Timestamp start = SystemClock()());

  /// Sets the time; processes reading path() see it at their next read.
  void Set(Timestamp now);
  /// Moves the time on by `step`.
  void Advance(std::chrono::seconds step) { Set(now_ + step); }
  Timestamp now() const { return now_; }

  /// The file to pass as --test-clock.
  const std::filesystem::path& path() const { return path_; }
  /// The time in this process: the file's (groundcrew::FileClock over path()).
  Clock clock() const { return FileClock(path_.string()); }

 private:
  TempDir dir_;
  std::filesystem::path path_;
  Timestamp now_;
};

}  // namespace groundcrew::test_support

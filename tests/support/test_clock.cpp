#include "tests/support/test_clock.hpp"

#include <string>

namespace groundcrew::test_support {

TestClock::TestClock(Timestamp start) : path_(dir_.path() / "clock") { Set(start); }

void TestClock::Set(Timestamp now) {
  now_ = now;
  // Written beside and renamed, so that a reader never sees half a number.
  const std::filesystem::path next = dir_.path() / "clock.next";
  WriteText(next, std::to_string(now.time_since_epoch().count()) + "\n");
  std::filesystem::rename(next, path_);
}

}  // namespace groundcrew::test_support

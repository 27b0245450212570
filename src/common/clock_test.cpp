#include "common/clock.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace groundcrew {
namespace {

TEST(FileClock, ReadsTheFileOnEveryCallAndFallsBackToTheWallClock) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("gc-clock-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  const Clock clock = FileClock(path.string());
  const Timestamp wall = SystemClock()();
  EXPECT_LE(std::chrono::abs(clock() - wall), std::chrono::seconds(5));  // no file yet

  std::ofstream(path) << "1800000000\n";
  EXPECT_EQ(clock(), Timestamp(std::chrono::seconds(1'800'000'000)));
  std::ofstream(path) << "1800000060";
  EXPECT_EQ(clock(), Timestamp(std::chrono::seconds(1'800'000'060)));  // moved by the test

  std::ofstream(path) << "not a number";
  EXPECT_LE(std::chrono::abs(clock() - wall), std::chrono::seconds(5));
  std::filesystem::remove(path);
}

TEST(FileClock, WithoutAPathIsTheWallClock) {
  EXPECT_LE(std::chrono::abs(FileClock("")() - SystemClock()()), std::chrono::seconds(5));
}

}  // namespace
}  // namespace groundcrew

#include "device/fleet/stats.hpp"

#include <gtest/gtest.h>

namespace groundcrew::fleet {
namespace {

TEST(Summarize, NearestRankPercentiles) {
  std::vector<double> samples;
  for (int i = 100; i >= 1; --i) samples.push_back(i);  // 1..100, reversed
  const Summary s = Summarize(samples);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_DOUBLE_EQ(s.p50, 50);
  EXPECT_DOUBLE_EQ(s.p90, 90);
  EXPECT_DOUBLE_EQ(s.p99, 99);
  EXPECT_DOUBLE_EQ(s.max, 100);
}

TEST(Summarize, OneSampleAndNone) {
  const Summary one = Summarize({7});
  EXPECT_DOUBLE_EQ(one.p50, 7);
  EXPECT_DOUBLE_EQ(one.p99, 7);
  const Summary none = Summarize({});
  EXPECT_EQ(none.count, 0u);
  EXPECT_DOUBLE_EQ(none.max, 0);
}

TEST(Stats, SeriesAndCountersMerge) {
  Stats a, b;
  a.Add("request/x", 1);
  b.Add("request/x", 3);
  b.Add("request/y", 2);
  a.Count("events", 5);
  b.Count("events", 2);
  b.Count("error/x/503");
  a.Merge(std::move(b));
  EXPECT_EQ(a.Summarized("request/x").count, 2u);
  EXPECT_DOUBLE_EQ(a.Summarized("request/x").max, 3);
  EXPECT_EQ(a.Summarized("request/y").count, 1u);
  EXPECT_EQ(a.counter("events"), 7);
  EXPECT_EQ(a.counter("error/x/503"), 1);
  EXPECT_EQ(a.counter("nothing"), 0);
  EXPECT_TRUE(b.series().empty());
}

}  // namespace
}  // namespace groundcrew::fleet

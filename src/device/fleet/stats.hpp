#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

// What the fleet simulator measures: samples (latencies, durations, ratios) per name, and
// counts (errors, outcomes) per name, summarized as percentiles. Pure; not thread-safe (the
// fleet runs its devices on one thread).
namespace groundcrew::fleet {

/// The summary of a set of samples. Percentiles are nearest-rank (the smallest sample with at
/// least p% of the samples at or below it); all zero for no samples.
struct Summary {
  std::size_t count = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

/// Summarizes `samples` (any order; taken by value because it sorts them).
Summary Summarize(std::vector<double> samples);

class Stats {
 public:
  /// Adds one sample to the series `name` (e.g. "POST /signIn" in milliseconds).
  void Add(std::string_view name, double value);
  /// Adds `n` to the counter `name` (e.g. "errors/POST /signIn: 503").
  void Count(std::string_view name, long long n = 1);
  /// Moves another Stats' samples and counts into this one.
  void Merge(Stats&& other);

  const std::map<std::string, std::vector<double>, std::less<>>& series() const { return series_; }
  const std::map<std::string, long long, std::less<>>& counters() const { return counters_; }
  long long counter(std::string_view name) const;
  Summary Summarized(std::string_view name) const;

 private:
  std::map<std::string, std::vector<double>, std::less<>> series_;
  std::map<std::string, long long, std::less<>> counters_;
};

/// {"count", "mean", "p50", "p90", "p99", "max"}.
boost::json::object ToJson(const Summary& summary);

/// Milliseconds between two points of a steady clock, as a double.
inline double Milliseconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace groundcrew::fleet

#include "device/fleet/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace groundcrew::fleet {

Summary Summarize(std::vector<double> samples) {
  Summary summary;
  if (samples.empty()) return summary;
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  auto rank = [&](double p) {
    const auto k = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
    return samples[std::clamp<std::size_t>(k, 1, n) - 1];
  };
  summary.count = n;
  summary.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(n);
  summary.p50 = rank(50);
  summary.p90 = rank(90);
  summary.p99 = rank(99);
  summary.max = samples.back();
  return summary;
}

void Stats::Add(std::string_view name, double value) {
  auto it = series_.find(name);
  if (it == series_.end()) it = series_.emplace(std::string(name), std::vector<double>{}).first;
  it->second.push_back(value);
}

void Stats::Count(std::string_view name, long long n) {
  auto it = counters_.find(name);
  if (it == counters_.end()) it = counters_.emplace(std::string(name), 0).first;
  it->second += n;
}

void Stats::Merge(Stats&& other) {
  for (auto& [name, values] : other.series_) {
    std::vector<double>& mine = series_[name];
    mine.insert(mine.end(), values.begin(), values.end());
  }
  for (const auto& [name, n] : other.counters_) counters_[name] += n;
  other.series_.clear();
  other.counters_.clear();
}

long long Stats::counter(std::string_view name) const {
  auto it = counters_.find(name);
  return it == counters_.end() ? 0 : it->second;
}

Summary Stats::Summarized(std::string_view name) const {
  auto it = series_.find(name);
  return it == series_.end() ? Summary{} : Summarize(it->second);
}

boost::json::object ToJson(const Summary& s) {
  return {{"count", s.count}, {"mean", s.mean}, {"p50", s.p50},
          {"p90", s.p90},     {"p99", s.p99},   {"max", s.max}};
}

}  // namespace groundcrew::fleet

#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Counters of what groundcrewd did besides answering requests (deployments, sign-ins, refused
// credentials), in Prometheus text format beside the request metrics at /metrics.
namespace groundcrew::daemon {

/// Named counter families with labels: `groundcrew_<family>_total{label="value",...}`. Families
/// are declared once with their help text and label names; label values must come from bounded
/// sets (flows, states, reasons), never from user input. Thread-safe.
class CounterFamilies {
 public:
  /// Declares a family. REQUIRES: called before any Add on it (during wiring).
  void Declare(std::string family, std::string help, std::vector<std::string> label_names);
  /// Adds `n` to the series of `family` with these label values (in the declared order).
  /// An undeclared family or a wrong number of values is ignored.
  void Add(std::string_view family, const std::vector<std::string>& label_values,
           std::uint64_t n = 1);
  /// The series' value (0 when never added). For tests.
  std::uint64_t Get(std::string_view family, const std::vector<std::string>& label_values) const;
  /// Every declared family: # HELP, # TYPE counter, then its series sorted by label values.
  std::string RenderPrometheus() const;

 private:
  struct Family {
    std::string help;
    std::vector<std::string> label_names;
    std::map<std::vector<std::string>, std::uint64_t> series;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

/// A gauge or counter line pair (# HELP, # TYPE, value) for values read at render time.
std::string PrometheusValue(std::string_view name, std::string_view type, std::string_view help,
                            double value);

}  // namespace groundcrew::daemon

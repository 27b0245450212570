#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/http_load.hpp"
#include "bench/service_bench_data.hpp"
#include "common/result.hpp"
#include "server/service/context.hpp"
#include "server/service/data_dir.hpp"
#include "server/service/services.hpp"
#include "server/store/store.hpp"

// What the plain service-level benchmarks share (gc_service_bench, gc_events_bench,
// gc_memory_bench): figures repeated over runs and printed as median and range, failures that
// stop a run, the machine's load average, and a tenant built the way an admin would.
namespace groundcrew::bench {

using BenchClock = std::chrono::steady_clock;

/// One figure, measured once per run.
struct Metric {
  std::string key;
  std::string label;
  std::string unit;
  std::string target;  ///< from DESIGN.md §5, or "" when none applies
  std::vector<double> values;

  std::vector<double> Sorted() const;
  /// The median of `values` (the mean of the middle two for an even count); 0 when empty.
  double Median() const;
};

/// Figures by key, in the order they were first added.
class Results {
 public:
  /// Appends `value` to the figure `key` (created with label, unit and target the first time).
  void Add(const std::string& key, const std::string& label, const std::string& unit,
           const std::string& target, double value);
  /// The last value added under `key`.
  std::optional<double> Last(const std::string& key) const;
  const Metric* Find(const std::string& key) const;
  /// A table: label, median, min - max, unit, target; one line per figure.
  void Print(std::ostream& out) const;
  /// {"metrics": [{"key", "label", "unit", "target", "median", "values": [...]}]}
  boost::json::object ToJson() const;

 private:
  std::map<std::string, Metric> metrics_;
  std::vector<std::string> order_;
};

/// Formats a figure with 3 significant digits or more (no decimals from 1000 up).
std::string FormatFigure(double value);

/// A failed step: the benchmark stops with its message (exit status 1). Thrown, so that
/// temporary directories and processes are cleaned up on the way out.
struct Failure {
  std::string message;
};

template <class T>
T Must(Result<T> result, std::string_view what) {
  if (!result) throw Failure{std::string(what) + ": " + result.error().message};
  return std::move(*result);
}
void Must(const Status& status, std::string_view what);

/// The 1-minute load average, "?" when unknown: the machine is shared, so it goes with figures.
std::string LoadAverage();

double SecondsSince(BenchClock::time_point start);

/// The q-quantile (0..1, nearest rank) of `values`; 0 when empty.
double Quantile(std::vector<double> values, double q);

/// The wall clock at one-second resolution, as the daemon's.

/// Opens (creating) a SqliteStore at `path`.
Result<std::unique_ptr<store::Store>> OpenStore(const std::string& path);

/// The actor of in-process admin calls.
extern const service::Actor kBenchAdmin;

/// An initialized data directory with the benchmark tenant applied, and the services over it
/// (secrets made in memory by service::CreateSecrets, not those of the data directory).
struct Tenant {
  service::DataDir dir;
  std::string token;  ///< the first admin's token (what `groundcrew init` prints)
  std::unique_ptr<store::Store> store;
  std::unique_ptr<service::Services> services;
};

/// Creates the tenant in `root` through service::Init and ApplyService (the path of
/// `groundcrew init` and `groundcrew apply`). Returns the seconds the apply took.
double BuildTenant(const std::filesystem::path& root, const TenantShape& shape, Tenant& tenant);

/// A request with "Authorization: Bearer <token>".
HttpCall Authorized(std::string method, std::string target, const std::string& token);

/// A process's current and peak resident set (VmRSS, VmHWM) in KiB from /proc/<pid>/status,
/// and the current one split into anonymous memory (the heap), file pages and shared memory
/// (e.g. SQLite's WAL index, groundcrew.db-shm); zeros when it cannot be read.
struct Rss {
  std::int64_t rss_kib = 0;
  std::int64_t hwm_kib = 0;
  std::int64_t anon_kib = 0;
  std::int64_t file_kib = 0;
  std::int64_t shmem_kib = 0;
};
Rss ReadRss(int pid);

}  // namespace groundcrew::bench

#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace groundcrew::server {

/// Request counters and latency histograms in Prometheus text format (exposition 0.0.4).
/// `route` must come from a bounded set (a router pattern, or kUnmatchedRoute) so that the
/// number of series stays bounded; methods outside the standard set are counted as "other".
/// Thread-safe.
class HttpMetrics {
 public:
  /// The route label of requests that matched no pattern (404) or could not be parsed.
  static constexpr std::string_view kUnmatchedRoute = "unmatched";
  /// Upper bounds of the latency histogram buckets, in seconds (+Inf is implied).
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  /// Counts one served request and its duration.
  void Record(std::string_view route, std::string_view method, int status, double seconds);

  /// The metrics in Prometheus text format, series sorted by labels.
  std::string RenderPrometheus() const;

  /// The counter value for one series (0 when never recorded). For tests and diagnostics.
  std::uint64_t RequestCount(std::string_view route, std::string_view method, int status) const;

  /// Connections: the open-connections gauge (groundcrew_http_open_connections), the idle
  /// connections closed to admit new ones (groundcrew_http_connections_shed_total) and the new
  /// connections closed at once because the cap was reached and none was idle
  /// (groundcrew_http_connections_refused_total).
  void SetOpenConnections(std::uint64_t open) { open_connections_ = open; }
  void CountShedConnection() { ++shed_connections_; }
  void CountRefusedConnection() { ++refused_connections_; }
  std::uint64_t OpenConnections() const { return open_connections_; }
  std::uint64_t ShedConnections() const { return shed_connections_; }
  std::uint64_t RefusedConnections() const { return refused_connections_; }

  /// Streamed responses (Response::stream, e.g. Server-Sent Events): the open-streams gauge
  /// (groundcrew_http_open_streams) and the streams refused with 503 because
  /// HttpServerOptions::max_streams were open (groundcrew_http_streams_refused_total).
  void StreamOpened() { ++open_streams_; }
  void StreamClosed() { --open_streams_; }
  void CountRefusedStream() { ++refused_streams_; }
  std::uint64_t OpenStreams() const { return open_streams_; }
  std::uint64_t RefusedStreams() const { return refused_streams_; }

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};  ///< not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram, std::less<>> durations_;
  std::atomic<std::uint64_t> open_connections_{0};
  std::atomic<std::uint64_t> shed_connections_{0};
  std::atomic<std::uint64_t> refused_connections_{0};
  std::atomic<std::uint64_t> open_streams_{0};
  std::atomic<std::uint64_t> refused_streams_{0};
};

/// Counts and times named operations (e.g. store calls) for Prometheus:
/// groundcrew_<subsystem>_operations_total{operation,outcome} and
/// groundcrew_<subsystem>_operation_duration_seconds{operation}. Operation names must come from
/// a bounded set. Thread-safe.
class OperationMetrics {
 public:
  /// `subsystem` names the metric family, e.g. "store"; letters, digits and '_' only.
  explicit OperationMetrics(std::string subsystem) : subsystem_(std::move(subsystem)) {}

  void Record(std::string_view operation, double seconds, bool ok);
  std::string RenderPrometheus() const;
  /// Calls recorded for `operation` with that outcome (0 when none). For tests.
  std::uint64_t Count(std::string_view operation, bool ok) const;

 private:
  struct Series {
    std::uint64_t ok = 0, failed = 0;
    std::array<std::uint64_t, HttpMetrics::kBuckets.size()> buckets{};  ///< not cumulative
    double sum = 0;
  };
  std::string subsystem_;
  mutable std::mutex mutex_;
  std::map<std::string, Series, std::less<>> series_;
};

}  // namespace groundcrew::server

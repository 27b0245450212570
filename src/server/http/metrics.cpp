#include "server/http/metrics.hpp"

#include <cstdio>

namespace groundcrew::server {
namespace {

std::string_view NormalizedMethod(std::string_view method) {
  static constexpr std::array<std::string_view, 9> kKnown = {
      "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"};
  for (std::string_view known : kKnown) {
    if (method == known) return known;
  }
  return "other";
}

/// Escapes a label value: backslash, double quote and newline (exposition format 0.0.4).
void AppendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void AppendNumber(std::string& out, double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  out += buffer;
}

}  // namespace

void HttpMetrics::Record(std::string_view route, std::string_view method, int status,
                         double seconds) {
  std::size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(route), std::string(NormalizedMethod(method)), status}];
  auto it = durations_.find(route);
  if (it == durations_.end()) it = durations_.emplace(std::string(route), Histogram{}).first;
  Histogram& histogram = it->second;
  if (bucket < kBuckets.size()) ++histogram.buckets[bucket];
  ++histogram.count;
  histogram.sum += seconds;
}

std::uint64_t HttpMetrics::RequestCount(std::string_view route, std::string_view method,
                                        int status) const {
  std::lock_guard lock(mutex_);
  auto it = requests_.find({std::string(route), std::string(NormalizedMethod(method)), status});
  return it == requests_.end() ? 0 : it->second;
}

std::string HttpMetrics::RenderPrometheus() const {
  std::string out;
  out +=
      "# HELP groundcrew_http_requests_total HTTP requests served, by matched route pattern, "
      "method and status.\n"
      "# TYPE groundcrew_http_requests_total counter\n";
  std::lock_guard lock(mutex_);
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out += "groundcrew_http_requests_total{route=\"";
    AppendLabelValue(out, route);
    out += "\",method=\"";
    AppendLabelValue(out, method);
    out += "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(count) + "\n";
  }
  out +=
      "# HELP groundcrew_http_request_duration_seconds Time from a parsed request to its "
      "response being ready, by matched route pattern.\n"
      "# TYPE groundcrew_http_request_duration_seconds histogram\n";
  for (const auto& [route, histogram] : durations_) {
    std::string labels = "route=\"";
    AppendLabelValue(labels, route);
    labels += "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += histogram.buckets[i];
      out += "groundcrew_http_request_duration_seconds_bucket{" + labels + ",le=\"";
      AppendNumber(out, kBuckets[i]);
      out += "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "groundcrew_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(histogram.count) + "\n";
    out += "groundcrew_http_request_duration_seconds_sum{" + labels + "} ";
    AppendNumber(out, histogram.sum);
    out += "\ngroundcrew_http_request_duration_seconds_count{" + labels + "} " +
           std::to_string(histogram.count) + "\n";
  }
  out +=
      "# HELP groundcrew_http_open_connections Client connections open now.\n"
      "# TYPE groundcrew_http_open_connections gauge\n"
      "groundcrew_http_open_connections " +
      std::to_string(open_connections_.load()) +
      "\n"
      "# HELP groundcrew_http_connections_shed_total Idle connections closed to admit a new one "
      "at the connection cap.\n"
      "# TYPE groundcrew_http_connections_shed_total counter\n"
      "groundcrew_http_connections_shed_total " +
      std::to_string(shed_connections_.load()) +
      "\n"
      "# HELP groundcrew_http_connections_refused_total New connections closed at once: the "
      "cap was reached and no connection was idle.\n"
      "# TYPE groundcrew_http_connections_refused_total counter\n"
      "groundcrew_http_connections_refused_total " +
      std::to_string(refused_connections_.load()) +
      "\n"
      "# HELP groundcrew_http_open_streams Streamed responses (Server-Sent Events) open now.\n"
      "# TYPE groundcrew_http_open_streams gauge\n"
      "groundcrew_http_open_streams " +
      std::to_string(open_streams_.load()) +
      "\n"
      "# HELP groundcrew_http_streams_refused_total Streamed responses refused with 503: the "
      "stream limit was reached.\n"
      "# TYPE groundcrew_http_streams_refused_total counter\n"
      "groundcrew_http_streams_refused_total " +
      std::to_string(refused_streams_.load()) + "\n";
  return out;
}

void OperationMetrics::Record(std::string_view operation, double seconds, bool ok) {
  std::size_t bucket = 0;
  while (bucket < HttpMetrics::kBuckets.size() && seconds > HttpMetrics::kBuckets[bucket]) {
    ++bucket;
  }
  std::lock_guard lock(mutex_);
  auto it = series_.find(operation);
  if (it == series_.end()) it = series_.emplace(std::string(operation), Series{}).first;
  Series& series = it->second;
  ++(ok ? series.ok : series.failed);
  if (bucket < series.buckets.size()) ++series.buckets[bucket];
  series.sum += seconds;
}

std::uint64_t OperationMetrics::Count(std::string_view operation, bool ok) const {
  std::lock_guard lock(mutex_);
  auto it = series_.find(operation);
  if (it == series_.end()) return 0;
  return ok ? it->second.ok : it->second.failed;
}

std::string OperationMetrics::RenderPrometheus() const {
  const std::string total = "groundcrew_" + subsystem_ + "_operations_total";
  const std::string duration = "groundcrew_" + subsystem_ + "_operation_duration_seconds";
  std::string out =
      "# HELP " + total + " Calls by operation and outcome.\n# TYPE " + total + " counter\n";
  std::lock_guard lock(mutex_);
  for (const auto& [operation, series] : series_) {
    for (const auto& [outcome, count] : {std::pair{"ok", series.ok}, {"error", series.failed}}) {
      out += total + "{operation=\"";
      AppendLabelValue(out, operation);
      out += std::string("\",outcome=\"") + outcome + "\"} " + std::to_string(count) + "\n";
    }
  }
  out +=
      "# HELP " + duration + " Time per call, by operation.\n# TYPE " + duration + " histogram\n";
  for (const auto& [operation, series] : series_) {
    std::string labels = "operation=\"";
    AppendLabelValue(labels, operation);
    labels += "\"";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < series.buckets.size(); ++i) {
      cumulative += series.buckets[i];
      out += duration + "_bucket{" + labels + ",le=\"";
      AppendNumber(out, HttpMetrics::kBuckets[i]);
      out += "\"} " + std::to_string(cumulative) + "\n";
    }
    const std::uint64_t count = series.ok + series.failed;
    out += duration + "_bucket{" + labels + ",le=\"+Inf\"} " + std::to_string(count) + "\n";
    out += duration + "_sum{" + labels + "} ";
    AppendNumber(out, series.sum);
    out += "\n" + duration + "_count{" + labels + "} " + std::to_string(count) + "\n";
  }
  return out;
}

}  // namespace groundcrew::server

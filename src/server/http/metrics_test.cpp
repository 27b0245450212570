#include "server/http/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace groundcrew::server {
namespace {

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST(HttpMetricsTest, CountsAndHistogramsAreRenderedCumulatively) {
  HttpMetrics metrics;
  metrics.Record("/v1/devices/{id}", "GET", 200, 0.0001);
  metrics.Record("/v1/devices/{id}", "GET", 200, 0.003);
  metrics.Record("/v1/devices/{id}", "GET", 404, 10.0);
  metrics.Record("unmatched", "BREW", 404, 0.0);
  const std::string text = metrics.RenderPrometheus();

  EXPECT_TRUE(Contains(text, "# TYPE groundcrew_http_requests_total counter\n"));
  EXPECT_TRUE(Contains(text, "# TYPE groundcrew_http_request_duration_seconds histogram\n"));
  EXPECT_TRUE(Contains(text,
                       "groundcrew_http_requests_total{route=\"/v1/devices/"
                       "{id}\",method=\"GET\",status=\"200\"} 2\n"));
  EXPECT_TRUE(Contains(text,
                       "groundcrew_http_requests_total{route=\"/v1/devices/"
                       "{id}\",method=\"GET\",status=\"404\"} 1\n"));
  EXPECT_TRUE(Contains(
      text,
      "groundcrew_http_requests_total{route=\"unmatched\",method=\"other\",status=\"404\"} 1\n"));
  const std::string bucket =
      "groundcrew_http_request_duration_seconds_bucket{route=\"/v1/devices/{id}\",";
  EXPECT_TRUE(Contains(text, bucket + "le=\"0.0005\"} 1\n"));
  EXPECT_TRUE(Contains(text, bucket + "le=\"0.0025\"} 1\n"));
  EXPECT_TRUE(Contains(text, bucket + "le=\"0.005\"} 2\n"));
  EXPECT_TRUE(Contains(text, bucket + "le=\"2.5\"} 2\n"));
  EXPECT_TRUE(Contains(text, bucket + "le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(Contains(
      text, "groundcrew_http_request_duration_seconds_count{route=\"/v1/devices/{id}\"} 3\n"));
  EXPECT_TRUE(Contains(
      text, "groundcrew_http_request_duration_seconds_sum{route=\"/v1/devices/{id}\"} 10.0031\n"));
  EXPECT_EQ(metrics.RequestCount("/v1/devices/{id}", "GET", 200), 2u);
  EXPECT_EQ(metrics.RequestCount("unmatched", "PATCH", 404), 0u);
}

TEST(HttpMetricsTest, EscapesLabelValues) {
  HttpMetrics metrics;
  metrics.Record("a\"b\\c\nd", "GET", 200, 0.0);
  EXPECT_TRUE(Contains(metrics.RenderPrometheus(), "route=\"a\\\"b\\\\c\\nd\""));
}

TEST(HttpMetricsTest, ConcurrentRecordingLosesNothing) {
  HttpMetrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < 2000; ++i) metrics.Record("/r", "POST", 201, 0.001);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(metrics.RequestCount("/r", "POST", 201), 8000u);
  EXPECT_TRUE(Contains(metrics.RenderPrometheus(),
                       "groundcrew_http_request_duration_seconds_count{route=\"/r\"} 8000\n"));
}

TEST(OperationMetricsTest, CountsOutcomesAndRendersAHistogramPerOperation) {
  OperationMetrics metrics("store");
  metrics.Record("devices.Insert", 0.0002, true);
  metrics.Record("devices.Insert", 0.003, false);
  metrics.Record("Transact", 0.02, true);
  EXPECT_EQ(metrics.Count("devices.Insert", true), 1u);
  EXPECT_EQ(metrics.Count("devices.Insert", false), 1u);
  EXPECT_EQ(metrics.Count("devices.Get", true), 0u);
  const std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE groundcrew_store_operations_total counter"), std::string::npos);
  EXPECT_NE(
      text.find(
          R"(groundcrew_store_operations_total{operation="devices.Insert",outcome="error"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          R"(groundcrew_store_operation_duration_seconds_bucket{operation="devices.Insert",le="0.0005"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          R"(groundcrew_store_operation_duration_seconds_bucket{operation="devices.Insert",le="0.005"} 2)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(R"(groundcrew_store_operation_duration_seconds_count{operation="Transact"} 1)"),
      std::string::npos)
      << text;
}

}  // namespace
}  // namespace groundcrew::server

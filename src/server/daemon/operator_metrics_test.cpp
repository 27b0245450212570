#include "server/daemon/operator_metrics.hpp"

#include <gtest/gtest.h>

namespace groundcrew::daemon {
namespace {

TEST(CounterFamiliesTest, SeriesAreCountedAndRenderedForPrometheus) {
  CounterFamilies counters;
  counters.Declare("deployments_finished", "Deployment sessions that ended, by flow and state.",
                   {"flow", "state"});
  counters.Declare("sign_in_failures", "Refused sign-ins.", {"reason"});
  counters.Add("deployments_finished", {"technician", "success"});
  counters.Add("deployments_finished", {"technician", "success"});
  counters.Add("deployments_finished", {"user", "failed"});
  counters.Add("deployments_finished", {"user"});           // wrong arity: ignored
  counters.Add("undeclared", {"x"});                        // ignored
  counters.Add("sign_in_failures", {"say \"hi\"\\\n"}, 3);  // escaped in the output
  EXPECT_EQ(counters.Get("deployments_finished", {"technician", "success"}), 2u);
  EXPECT_EQ(counters.Get("deployments_finished", {"user", "success"}), 0u);
  EXPECT_EQ(counters.RenderPrometheus(),
            "# HELP groundcrew_deployments_finished_total Deployment sessions that ended, by "
            "flow and state.\n"
            "# TYPE groundcrew_deployments_finished_total counter\n"
            "groundcrew_deployments_finished_total{flow=\"technician\",state=\"success\"} 2\n"
            "groundcrew_deployments_finished_total{flow=\"user\",state=\"failed\"} 1\n"
            "# HELP groundcrew_sign_in_failures_total Refused sign-ins.\n"
            "# TYPE groundcrew_sign_in_failures_total counter\n"
            "groundcrew_sign_in_failures_total{reason=\"say \\\"hi\\\"\\\\\\n\"} 3\n");
  EXPECT_EQ(PrometheusValue("groundcrew_open_connections", "gauge", "Open connections.", 3),
            "# HELP groundcrew_open_connections Open connections.\n"
            "# TYPE groundcrew_open_connections gauge\n"
            "groundcrew_open_connections 3\n");
}

}  // namespace
}  // namespace groundcrew::daemon

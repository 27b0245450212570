#include <fmt/format.h>

#include <boost/json/array.hpp>

#include "device/fleet/fleet.hpp"

// The fleet's report as JSON (for comparing runs) and as text (for a person).
namespace groundcrew::fleet {
namespace {

namespace json = boost::json;

// The series of `stats` whose names start with `prefix`, without it.
std::vector<std::pair<std::string, Summary>> SeriesUnder(const Stats& stats,
                                                         std::string_view prefix) {
  std::vector<std::pair<std::string, Summary>> out;
  for (const auto& [name, values] : stats.series()) {
    if (name.starts_with(prefix)) out.emplace_back(name.substr(prefix.size()), Summarize(values));
  }
  return out;
}

std::vector<std::pair<std::string, long long>> CountersUnder(const Stats& stats,
                                                             std::string_view prefix) {
  std::vector<std::pair<std::string, long long>> out;
  for (const auto& [name, n] : stats.counters()) {
    if (name.starts_with(prefix)) out.emplace_back(name.substr(prefix.size()), n);
  }
  return out;
}

std::string Address(const Endpoint& server) {
  return server.host.find(':') != std::string::npos
             ? fmt::format("[{}]:{}", server.host, server.port)
             : fmt::format("{}:{}", server.host, server.port);
}

const StageReport* FindStage(const FleetReport& report, std::string_view name) {
  for (const StageReport& s : report.stages) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace

json::object ToJson(const FleetReport& report, const FleetOptions& options) {
  json::array stages;
  for (const StageReport& s : report.stages) {
    stages.push_back({{"name", s.name},
                      {"seconds", s.seconds},
                      {"requests", s.requests},
                      {"requestsPerSecond", s.seconds > 0 ? s.requests / s.seconds : 0},
                      {"events", s.events},
                      {"eventsPerSecond", s.seconds > 0 ? s.events / s.seconds : 0},
                      {"serviceCpuSeconds", s.service_cpu_seconds},
                      {"serviceRssBytes", s.service_rss_bytes},
                      {"fleetCpuSeconds", s.fleet_cpu_seconds}});
  }
  auto summaries = [&](std::string_view prefix) {
    json::object out;
    for (const auto& [name, summary] : SeriesUnder(report.stats, prefix)) {
      out[name] = ToJson(summary);
    }
    return out;
  };
  json::object counters;
  for (const auto& [name, n] : report.stats.counters()) counters[name] = n;
  json::array failures;
  for (const std::string& f : report.failures) failures.push_back(json::string(f));
  const TenantShape& shape = options.shape;
  json::array servers;
  for (const Endpoint& server : options.servers) servers.push_back(json::string(Address(server)));
  return {{"ok", report.ok()},
          {"devices", report.devices},
          {"servers", std::move(servers)},
          {"shape", json::object{{"deviceApps", shape.device_apps},
                                 {"userApps", shape.user_apps},
                                 {"devicePolicies", shape.device_policies},
                                 {"userPolicies", shape.user_policies},
                                 {"deltaApps", options.delta_apps},
                                 {"installTimeMs", shape.install_time.count()},
                                 {"jitter", shape.jitter},
                                 {"failureRate", shape.failure_rate},
                                 {"installConcurrency", options.install_concurrency},
                                 {"connections", options.connections},
                                 {"thinkTimeMs", options.think_time.count()},
                                 {"rampMs", options.ramp.count()},
                                 {"seed", shape.seed}}},
          {"technicianSucceeded", report.technician_succeeded},
          {"userSucceeded", report.user_succeeded},
          {"reportsComplete", report.reports_complete},
          {"eventsAcknowledged", report.events_acknowledged},
          {"timedOut", report.timed_out},
          {"servicePeakRssBytes", report.service_peak_rss_bytes},
          {"stages", std::move(stages)},
          {"requestsMs", summaries("request/")},
          {"queueMs", summaries("queue/")},
          {"phasesMs", summaries("phase/")},
          {"flowsMs", summaries("flow/")},
          {"espWallToCriticalPath", summaries("espRatio/")},
          {"espScheduleToCriticalPath", summaries("espScheduleRatio/")},
          {"espWallToSchedule", summaries("espOverheadRatio/")},
          {"counters", std::move(counters)},
          {"failures", std::move(failures)}};
}

std::string ToText(const FleetReport& report, const FleetOptions& options) {
  std::string out;
  out += fmt::format(
      "groundcrew-fleet: {} devices ({} device apps + {} between the flows, {} user apps, "
      "{}+{} policies; installs {} ms ± {:.0f}%, failure rate {}, {} at once; {} connections)\n\n",
      report.devices, options.shape.device_apps, options.delta_apps, options.shape.user_apps,
      options.shape.device_policies, options.shape.user_policies,
      options.shape.install_time.count(), options.shape.jitter * 100, options.shape.failure_rate,
      options.install_concurrency, options.connections);
  if (options.servers.size() > 1) {
    out += fmt::format("{} instances, devices spread over them:", options.servers.size());
    for (const Endpoint& server : options.servers) out += " " + Address(server);
    out += "\n\n";
  }
  out +=
      fmt::format("{:<12} {:>9} {:>9} {:>10} {:>9} {:>10} {:>11} {:>9} {:>9}\n", "stage", "seconds",
                  "requests", "req/s", "events", "events/s", "service cpu", "rss MiB", "fleet cpu");
  for (const StageReport& s : report.stages) {
    out += fmt::format(
        "{:<12} {:>9.2f} {:>9} {:>10.0f} {:>9} {:>10.0f} {:>11} {:>9} {:>7.1f} s\n", s.name,
        s.seconds, s.requests, s.seconds > 0 ? s.requests / s.seconds : 0, s.events,
        s.seconds > 0 ? s.events / s.seconds : 0,
        s.service_cpu_seconds < 0 ? "-" : fmt::format("{:.1f} s", s.service_cpu_seconds),
        s.service_rss_bytes < 0 ? "-" : fmt::format("{:.0f}", s.service_rss_bytes / 1048576),
        s.fleet_cpu_seconds);
  }
  auto table = [&](std::string_view title, std::string_view prefix, std::string_view unit) {
    const auto rows = SeriesUnder(report.stats, prefix);
    if (rows.empty()) return;
    out += fmt::format("\n{:<44} {:>7} {:>9} {:>9} {:>9} {:>9}  ({})\n", title, "count", "p50",
                       "p90", "p99", "max", unit);
    for (const auto& [name, s] : rows) {
      out += fmt::format("{:<44} {:>7} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f}\n", name, s.count, s.p50,
                         s.p90, s.p99, s.max);
    }
  };
  table("request (from sending to the answer)", "request/", "ms");
  table("waiting for a connection", "queue/", "ms");
  table("phase (wall time)", "phase/", "ms");
  table("flow", "flow/", "ms");
  table("ESP wall time / critical path", "espRatio/", "ratio");
  table("  of which: the runtime's schedule / critical path", "espScheduleRatio/", "ratio");
  table("  and: wall time / the runtime's schedule", "espOverheadRatio/", "ratio");
  const auto errors = CountersUnder(report.stats, "error/");
  out += "\nerrors: ";
  if (errors.empty()) out += "none";
  for (const auto& [name, n] : errors) out += fmt::format("\n  {:<60} {}", name, n);
  out += "\n";
  const StageReport* user = FindStage(report, "user");
  out += fmt::format(
      "\ntechnician flows succeeded: {}/{}; user flows succeeded: {}/{}; reports complete: "
      "{}/{}{}\nevents acknowledged: {}\n",
      report.technician_succeeded, report.devices, report.user_succeeded,
      user != nullptr ? report.devices : 0, report.reports_complete, report.devices,
      report.timed_out ? " (DEADLINE PASSED)" : "", report.events_acknowledged);
  if (report.service_peak_rss_bytes >= 0) {
    out += fmt::format("service peak RSS: {:.0f} MiB\n", report.service_peak_rss_bytes / 1048576);
  }
  for (const std::string& f : report.failures) out += "  " + f + "\n";
  out += report.ok() ? "OK\n" : "FAILED\n";
  return out;
}

}  // namespace groundcrew::fleet

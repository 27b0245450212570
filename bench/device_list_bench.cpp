// gc_device_list_bench: the console's device list on 1,000,000 registered devices (issue 18:
// the first page with a filter answers with p99 under 50 ms; docs/performance.md, "The
// console's device list").
//
// Builds the benchmark tenant (service::Init + the declarative tenant of gc_service_bench: 1,000
// dynamic groups, 4 deployment profiles) in a temporary directory, then stores --devices
// registrations straight through the SQLite store (chunks of 10,000 per transaction: an import
// over HTTP would take the benchmark's whole budget), each with a device name, every 10th
// assigned to a user, and a deployment session for every 4th (succeeded, failed or in
// progress, started over the last 30 days: the devices' summaries come from the store's own
// session port). Then it starts the real groundcrewd over that directory (2 worker threads) and
// times GET /v1/autopilotDevices on loopback, one request in flight at a time, for each query of
// kQueries: p50, p99 and max over --requests answers after a warm-up.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/http_load.hpp"
#include "bench/service_bench_data.hpp"

#ifndef GC_GROUNDCREWD_PATH
#define GC_GROUNDCREWD_PATH ""
#endif

namespace groundcrew::bench {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

struct Config {
  int devices = 1'000'000;
  int requests = 400;
  std::string groundcrewd = GC_GROUNDCREWD_PATH;
  std::string json_path;
};

constexpr int kChunk = 10'000;
constexpr std::int64_t kNow = 1'790'000'000;  // the sessions' clock (2026)

// Device i: serial SN%08d, name PC-%07d in an order unrelated to the serial, group tag
// Tag{i % 900} (the tenant's dynamic groups select by tag), every 10th assigned to a user.
core::AutopilotDeviceIdentity DeviceAt(int i, int devices) {
  core::AutopilotDeviceIdentity d;
  d.id = core::ZtdId{fmt::format("{:08x}-0000-4000-8000-{:012x}", i, static_cast<int64_t>(i) * 7)};
  d.serial_number = fmt::format("SN{:08}", i);
  d.hardware_identifier = fmt::format("bench-hash-{}", i);
  d.group_tag = fmt::format("Tag{}", i % 900);
  d.display_name = fmt::format("PC-{:07}", (static_cast<int64_t>(i) * 7919) % devices);
  if (i % 10 == 0) d.user_principal_name = fmt::format("user{}@contoso.com", i % 200);
  d.azure_ad_device_id = core::DirectoryObjectId{fmt::format("aad-{}", i)};
  d.created_date_time = core::Timestamp{std::chrono::seconds{kNow - 40 * 86'400}};
  return d;
}

// Every 4th device ran a flow: 80% succeeded, 8% failed, 12% in progress.
std::optional<store::DeploymentSession> SessionOf(const core::AutopilotDeviceIdentity& d, int i) {
  if (i % 4 != 0) return std::nullopt;
  store::DeploymentSession s;
  s.id = fmt::format("session-{}", i);
  s.device_id = d.id.value();
  s.flow = (i / 4) % 3 == 0 ? "user" : "technician";
  const int kind = (i / 4) % 25;
  s.deployment_state = kind < 2 ? "failure" : kind < 5 ? "inProgress" : "success";
  s.started_date_time =
      core::Timestamp{std::chrono::seconds{kNow - (static_cast<int64_t>(i) * 2'593) % 2'592'000}};
  if (s.deployment_state != "inProgress") {
    s.finished_date_time = s.started_date_time + std::chrono::seconds{600 + i % 1800};
  }
  return s;
}

void Populate(store::Store& store, int devices) {
  const BenchClock::time_point start = BenchClock::now();
  for (int first = 0; first < devices; first += kChunk) {
    std::vector<core::AutopilotDeviceIdentity> chunk;
    for (int i = first; i < std::min(devices, first + kChunk); ++i) {
      chunk.push_back(DeviceAt(i, devices));
    }
    Must(store.devices().Insert(chunk), "insert devices");
    Must(store.Transact([&]() -> Status {
      for (size_t k = 0; k < chunk.size(); ++k) {
        const int i = first + static_cast<int>(k);
        std::optional<store::DeploymentSession> session = SessionOf(chunk[k], i);
        if (!session) continue;
        store::DeploymentSession created = *session;
        created.deployment_state = "inProgress";
        created.finished_date_time.reset();
        GC_RETURN_IF_ERROR(store.sessions().CreateSession(created));
        if (session->deployment_state != "inProgress") {
          GC_RETURN_IF_ERROR(store.sessions().UpdateSession(*session));
        }
      }
      return Ok{};
    }),
         "store sessions");
    if ((first / kChunk) % 10 == 9) {
      std::cerr << fmt::format("  {} devices stored, {:.0f} s\n", first + kChunk,
                               SecondsSince(start));
    }
  }
}

struct Query {
  std::string key;
  std::string label;
  std::string target;  ///< the request target; "{after}" is replaced by a cursor found first
  std::string goal;
};

// The queries timed. The cursor of "later page" is the 20th page's, found by walking.
std::vector<Query> Queries(const std::string& group_id) {
  return {
      {"first_page", "first page, no filter (serial number order)", "/v1/autopilotDevices", ""},
      {"state_filter", "first page, deploymentState=failure",
       "/v1/autopilotDevices?deploymentState=failure", "< 50"},
      {"state_filter_newest", "first page, deploymentState=success, lastDeploymentDateTime desc",
       "/v1/autopilotDevices?deploymentState=success&orderBy=lastDeploymentDateTime+desc", "< 50"},
      {"tag_filter", "first page, groupTag=Tag7", "/v1/autopilotDevices?groupTag=Tag7", "< 50"},
      {"search_serial", "first page, search=SN00123 (1,000 matches at 1M)",
       "/v1/autopilotDevices?search=SN00123", "< 50"},
      {"search_name", "first page, search=pc-00001 (100 matches), by device name",
       "/v1/autopilotDevices?search=pc-00001&orderBy=deviceName", "< 50"},
      {"later_page", "21st page, deploymentState=failure",
       "/v1/autopilotDevices?deploymentState=failure&after={after}", "< 50"},
      {"group_filter", "first page, groupId (membership computed from the catalog)",
       "/v1/autopilotDevices?groupId=" + group_id, ""},
  };
}

std::string LaterCursor(std::uint16_t port, const std::string& token) {
  std::string after;
  for (int page = 0; page < 20; ++page) {
    const HttpReply reply =
        SendOnce(port,
                 Authorized("GET",
                            "/v1/autopilotDevices?deploymentState=failure" +
                                (after.empty() ? std::string() : "&after=" + after),
                            token),
                 std::chrono::seconds(60));
    if (reply.status != 200) throw Failure{"walking pages: " + reply.body.substr(0, 300)};
    after = std::string(json::parse(reply.body).at("nextAfter").as_string());
  }
  return after;
}

// The id of the tenant's group that selects devices tagged Tag7 (fixtures.hpp's rules).
std::string GroupOfTag7(std::uint16_t port, const std::string& token) {
  std::string after;
  for (;;) {
    const HttpReply reply = SendOnce(
        port,
        Authorized("GET", "/v1/groups?limit=1000" + (after.empty() ? "" : "&after=" + after),
                   token),
        std::chrono::seconds(60));
    if (reply.status != 200) throw Failure{"groups: " + reply.body.substr(0, 300)};
    const json::object page = json::parse(reply.body).as_object();
    for (const json::value& group : page.at("value").as_array()) {
      const json::value* rule = group.as_object().if_contains("membershipRule");
      if (rule != nullptr && rule->is_string() &&
          std::string_view(rule->as_string()).find("\"[OrderID]:Tag7\"") !=
              std::string_view::npos) {
        return std::string(group.at("id").as_string());
      }
    }
    if (!page.contains("nextAfter")) break;
    after = std::string(page.at("nextAfter").as_string());
  }
  // No group names Tag7 alone: the first dynamic group then.
  const HttpReply reply =
      SendOnce(port, Authorized("GET", "/v1/groups?limit=1", token), std::chrono::seconds(60));
  return std::string(json::parse(reply.body).at("value").at(0).at("id").as_string());
}

void Run(const Config& config, Results& results) {
  TempDir temp;
  const fs::path root = temp.path() / "var";
  const TenantShape shape;
  std::string token;
  {
    Tenant tenant;  // closed before the daemon opens the database
    BuildTenant(root, shape, tenant);
    token = tenant.token;
    const BenchClock::time_point start = BenchClock::now();
    Populate(*tenant.store, config.devices);
    results.Add("populate_s", fmt::format("store {} devices and their sessions", config.devices),
                "s", "", SecondsSince(start));
  }
  DaemonProcess daemon(config.groundcrewd, root);
  if (!daemon.Start(1 << 20)) throw Failure{"groundcrewd did not start: " + daemon.log()};
  const std::string group_id = GroupOfTag7(daemon.port(), token);
  const std::string later = LaterCursor(daemon.port(), token);
  for (Query query : Queries(group_id)) {
    if (const size_t at = query.target.find("{after}"); at != std::string::npos) {
      query.target.replace(at, 7, later);
    }
    const HttpReply check =
        SendOnce(daemon.port(), Authorized("GET", query.target, token), std::chrono::seconds(60));
    if (check.status != 200) {
      throw Failure{
          fmt::format("{}: status {} {}", query.target, check.status, check.body.substr(0, 300))};
    }
    LoadOptions load;
    load.port = daemon.port();
    load.calls = {Authorized("GET", query.target, token)};
    load.connections = 1;
    load.warmup = std::chrono::milliseconds(300);
    load.duration = std::chrono::milliseconds(60'000);
    load.max_requests = config.requests;
    const LoadResult measured = RunLoad(load);
    if (measured.failed > 0) throw Failure{query.key + ": " + measured.first_error};
    const size_t rows = json::parse(check.body).at("value").as_array().size();
    std::cerr << fmt::format("  {}: {} rows, p50 {:.1f} ms, p99 {:.1f} ms\n", query.key, rows,
                             measured.LatencyQuantileUs(0.5) / 1000,
                             measured.LatencyQuantileUs(0.99) / 1000);
    results.Add(query.key + "_p50_ms", query.label + ", p50", "ms", "",
                measured.LatencyQuantileUs(0.5) / 1000);
    results.Add(query.key + "_p99_ms", query.label + ", p99", "ms", query.goal,
                measured.LatencyQuantileUs(0.99) / 1000);
  }
}

int Main(int argc, char** argv) {
  Config config;
  CLI::App app{"gc_device_list_bench: the console's device list on many registered devices"};
  app.add_option("--devices", config.devices, "registered devices")->capture_default_str();
  app.add_option("--requests", config.requests, "timed requests per query")->capture_default_str();
  app.add_option("--groundcrewd", config.groundcrewd, "the groundcrewd binary");
  app.add_option("--json", config.json_path, "also write every value to this file");
  CLI11_PARSE(app, argc, argv);
  if (config.devices < 25'000) {
    std::cerr << "gc_device_list_bench: --devices must be at least 25000 (the later page)\n";
    return 2;
  }
  const std::string load_before = LoadAverage();
  Results results;
  try {
    Run(config, results);
  } catch (const Failure& failure) {
    std::cerr << "gc_device_list_bench: " << failure.message << "\n";
    return 1;
  } catch (const std::exception& exception) {  // unwinds: the daemon stops, directories go
    std::cerr << "gc_device_list_bench: unexpected exception: " << exception.what() << "\n";
    return 1;
  }
  const std::string load_after = LoadAverage();
  std::cout << fmt::format(
      "gc_device_list_bench: {} devices; top=50; {} requests per query, one at a time over "
      "loopback; groundcrewd with 2 threads; load average {} before, {} after\n\n",
      config.devices, config.requests, load_before, load_after);
  results.Print(std::cout);
  if (!config.json_path.empty()) {
    json::object document = results.ToJson();
    document["config"] = {{"devices", config.devices},
                          {"requests", config.requests},
                          {"loadAverageBefore", load_before},
                          {"loadAverageAfter", load_after}};
    std::ofstream(config.json_path) << json::serialize(document) << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace groundcrew::bench

int main(int argc, char** argv) { return groundcrew::bench::Main(argc, argv); }

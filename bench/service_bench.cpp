// gc_service_bench: the service-level figures of DESIGN.md §5 (see docs/performance.md,
// "Service"). Each run builds fresh tenants in temporary directories and measures:
//   (a) a registration import end to end through the service (service::DeviceService over a
//       SqliteStore file), then every device's groups and deployment profile; the same import
//       over HTTP against the real groundcrewd;
//   (b) DeviceService::Plan in-process, and GET /v1/plan over HTTP;
//   (c) admin GETs over HTTP against a bare Beast "hello" and an HttpServer "hello", in the
//       same run, with an in-process load generator sharing the machine with the server; and
//       the same GETs against the real groundcrewd.
// With --database postgresql://... the groundcrewd part runs on PostgreSQL instead (the
// installation moved there with `groundcrew migrate`), on --instances instances sharing it:
// docs/performance.md, "Several instances".
// Prints the median and the range over the runs; --json writes every value.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/http_load.hpp"
#include "bench/service_bench_data.hpp"
#include "server/api/admin_api.hpp"
#include "server/http/http_server.hpp"
#include "server/service/data_dir.hpp"
#include "server/service/services.hpp"
#include "server/store_sqlite/sqlite_store.hpp"

#ifndef GC_GROUNDCREWD_PATH
#define GC_GROUNDCREWD_PATH ""
#endif
#ifndef GC_GROUNDCREW_PATH
#define GC_GROUNDCREW_PATH ""
#endif

namespace groundcrew::bench {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Config {
  int runs = 3;
  int rows = 100'000;
  TenantShape shape;
  int duration_ms = 5000;
  int connections = 32;
  int server_threads = 2;
  int plan_calls = 2000;
  std::string groundcrewd = GC_GROUNDCREWD_PATH;
  std::string groundcrew = GC_GROUNDCREW_PATH;  ///< for `groundcrew migrate`
  bool skip_daemon = false;
  bool daemon_only = false;
  std::string database;  ///< a postgresql:// URI: groundcrewd serves from it
  int instances = 1;     ///< groundcrewd instances sharing `database`
  std::string json_path;
};

// LoadResults of loads run side by side (one per instance) as one: answers and failures
// summed, the longest period, every latency.
LoadResult Combined(std::vector<LoadResult> loads) {
  LoadResult all;
  for (LoadResult& load : loads) {
    all.ok += load.ok;
    all.failed += load.failed;
    all.reconnects += load.reconnects;
    all.seconds = std::max(all.seconds, load.seconds);
    all.latency_us.insert(all.latency_us.end(), load.latency_us.begin(), load.latency_us.end());
    if (all.first_error.empty()) all.first_error = load.first_error;
  }
  std::sort(all.latency_us.begin(), all.latency_us.end());
  return all;
}

std::vector<HttpCall> PlanCalls(const Config& config, const std::string& token) {
  std::vector<HttpCall> calls;
  for (int k = 0; k < 256; ++k) {
    const int row = static_cast<int>((static_cast<int64_t>(k) * 7919) % config.rows);
    calls.push_back(Authorized("GET", "/v1/plan?serialNumber=" + SerialOf(row), token));
  }
  return calls;
}

void AddLatency(Results& results, const std::string& key, const std::string& label,
                const LoadResult& load, const std::string& p50_target,
                const std::string& p99_target) {
  results.Add(key + "_p50_us", label + ", p50", "µs", p50_target, load.LatencyQuantileUs(0.5));
  results.Add(key + "_p99_us", label + ", p99", "µs", p99_target, load.LatencyQuantileUs(0.99));
}

LoadResult Load(const Config& config, std::uint16_t port, std::vector<HttpCall> calls,
                const std::string& what) {
  LoadOptions options;
  options.port = port;
  options.calls = std::move(calls);
  options.connections = config.connections;
  options.duration = std::chrono::milliseconds(config.duration_ms);
  LoadResult load = RunLoad(options);
  std::cerr << fmt::format("  {}: {:.0f} req/s, p50 {:.0f} µs, p99 {:.0f} µs, {} failed{}\n", what,
                           load.RequestsPerSecond(), load.LatencyQuantileUs(0.5),
                           load.LatencyQuantileUs(0.99), load.failed,
                           load.first_error.empty() ? "" : " (" + load.first_error + ")");
  if (load.ok == 0 || load.failed > 0) {
    throw Failure{fmt::format("{}: {} answers, {} failures: {}", what, load.ok, load.failed,
                              load.first_error)};
  }
  return load;
}

// Load() against several instances at once, the connections shared out among them.
LoadResult LoadAcross(const Config& config, const std::vector<std::uint16_t>& ports,
                      const std::vector<HttpCall>& calls, const std::string& what) {
  if (ports.size() == 1) return Load(config, ports[0], calls, what);
  Config each = config;
  each.connections = std::max(1, config.connections / static_cast<int>(ports.size()));
  std::vector<std::future<LoadResult>> running;
  for (std::uint16_t port : ports) {
    running.push_back(std::async(std::launch::async, [&, port] {
      return Load(each, port, calls, fmt::format("{} on port {}", what, port));
    }));
  }
  std::vector<LoadResult> loads;
  for (auto& load : running) loads.push_back(load.get());
  LoadResult all = Combined(std::move(loads));
  std::cerr << fmt::format("  {} across {} instances: {:.0f} req/s, p50 {:.0f} µs, p99 {:.0f} µs\n",
                           what, ports.size(), all.RequestsPerSecond(), all.LatencyQuantileUs(0.5),
                           all.LatencyQuantileUs(0.99));
  return all;
}

// (a) and (b) in-process, then (c) over the same store.
void RunInProcess(const Config& config, const std::string& csv, Results& results) {
  TempDir temp;
  Tenant tenant;
  const double apply_seconds = BuildTenant(temp.path() / "var", config.shape, tenant);
  results.Add("tenant_apply_s", "tenant apply (service, not a target)", "s", "", apply_seconds);
  service::Services& services = *tenant.services;

  // (a) Import, then every device's groups and deployment profile as the API computes them.
  Clock::time_point start = Clock::now();
  service::ImportOutcome outcome = Must(services.devices.Import(kBenchAdmin, csv), "import");
  const double import_seconds = SecondsSince(start);
  if (outcome.imported.size() != static_cast<size_t>(config.rows)) {
    throw Failure{fmt::format("import stored {} of {} rows", outcome.imported.size(), config.rows)};
  }
  std::cerr << fmt::format("  import: {:.2f} s\n", import_seconds);

  start = Clock::now();
  int64_t listed = 0, assigned = 0;
  store::PageRequest page{.after = "", .limit = store::kMaxPageSize};
  for (;;) {
    store::Page<json::object> views = Must(services.devices.List({}, page), "list devices");
    for (const json::object& view : views.items) {
      ++listed;
      if (view.at("deploymentProfileAssignmentStatus") == "assignedInSync") ++assigned;
    }
    if (views.next_after.empty()) break;
    page.after = views.next_after;
  }
  const double list_seconds = SecondsSince(start);
  if (listed != config.rows || assigned != listed) {
    throw Failure{fmt::format("listed {} devices, {} with a profile", listed, assigned)};
  }
  std::cerr << fmt::format("  resolve (List pages): {:.2f} s\n", list_seconds);
  results.Add("import_service_s", fmt::format("import {} rows: DeviceService::Import", config.rows),
              "s", "", import_seconds);
  results.Add("resolve_list_s", "resolve all: DeviceService::List pages of 1000", "s", "",
              list_seconds);
  results.Add("import_e2e_service_s", "import + resolve all (service, end to end)", "s", "< 5",
              import_seconds + list_seconds);

  // The core's share of resolving: groups and deployment profile, no store or JSON.
  std::vector<core::DirectoryDevice> directory;
  directory.reserve(outcome.imported.size());
  for (const store::DeviceRecord& record : outcome.imported) {
    directory.push_back(core::PlaceholderFor(record.value));
  }
  std::shared_ptr<const service::Snapshot> snapshot =
      Must(services.catalog.Current(), "catalog snapshot");
  start = Clock::now();
  int64_t memberships = 0, profiled = 0;
  for (const core::DirectoryDevice& device : directory) {
    const core::GroupSet groups = snapshot->index->DeviceGroups(device);
    memberships += static_cast<int64_t>(groups.size());
    if (snapshot->index->DeploymentProfileFor(groups) != nullptr) ++profiled;
  }
  const double core_seconds = SecondsSince(start);
  if (profiled != config.rows) throw Failure{"a device got no deployment profile"};
  results.Add("resolve_core_s", "resolve all: DeviceGroups + DeploymentProfileFor only", "s", "",
              core_seconds);
  results.Add("groups_per_device", "dynamic groups per device (mean, shape)", "groups", "",
              static_cast<double>(memberships) / static_cast<double>(config.rows));

  // (b) Plan in-process, one call at a time over varied devices.
  std::vector<double> plan_us;
  plan_us.reserve(static_cast<size_t>(config.plan_calls));
  int64_t items = 0;
  for (int k = 0; k < config.plan_calls; ++k) {
    const int row = static_cast<int>((static_cast<int64_t>(k) * 7919) % config.rows);
    const std::string serial = SerialOf(row);
    start = Clock::now();
    json::object plan = Must(services.devices.Plan(serial, ""), "plan");
    plan_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    items +=
        static_cast<int64_t>(plan.at("technician").at("deviceSetup").at("items").as_array().size());
  }
  results.Add("plan_service_p50_us", "plan: DeviceService::Plan, p50", "µs", "(core: < 100)",
              Quantile(plan_us, 0.5));
  results.Add("plan_service_p99_us", "plan: DeviceService::Plan, p99", "µs", "",
              Quantile(plan_us, 0.99));
  results.Add("plan_items", "technician device-setup items per plan (mean, shape)", "items", "",
              static_cast<double>(items) / config.plan_calls);

  // (c) Throughput: bare Beast, HttpServer hello, HttpServer + admin routes over SQLite.
  server::HttpServerOptions options;
  options.port = 0;
  options.threads = config.server_threads;
  options.max_body_bytes = 64 * 1024 * 1024;

  double bare_rps = 0;
  {
    BareHelloServer bare(config.server_threads);
    const LoadResult load =
        Load(config, bare.port(), {HttpCall{"GET", "/hello", {}, ""}}, "bare Beast hello");
    bare_rps = load.RequestsPerSecond();
    results.Add("bare_rps", "GET bare Beast hello", "req/s", "(ceiling)", bare_rps);
    AddLatency(results, "bare", "GET bare Beast hello", load, "", "");
  }
  double hello_rps = 0;
  {
    server::Router router;
    Must(router.Add("GET", "/hello",
                    [](const server::Request&, const server::PathParams&) {
                      return server::JsonResponse(200, R"({"hello":"world"})");
                    }),
         "hello route");
    server::HttpServer server(options, std::move(router));
    Must(server.Start(), "start hello server");
    const LoadResult load =
        Load(config, server.port(), {HttpCall{"GET", "/hello", {}, ""}}, "HttpServer hello");
    server.Stop();
    hello_rps = load.RequestsPerSecond();
    results.Add("hello_rps", "GET HttpServer hello (router only)", "req/s", "(ceiling)", hello_rps);
    AddLatency(results, "hello", "GET HttpServer hello", load, "", "");
  }
  {
    server::Router router;
    Must(api::AddAdminRoutes(router, services), "admin routes");
    server::HttpServer server(options, std::move(router));
    Must(server.Start(), "start admin server");

    std::vector<HttpCall> users;
    const store::Page<json::object> listed_users =
        Must(services.resources.List(store::ResourceKind::kUser, {.after = "", .limit = 1000}),
             "list users");
    for (const json::object& user : listed_users.items) {
      users.push_back(
          Authorized("GET", "/v1/users/" + std::string(user.at("id").as_string()), tenant.token));
    }
    const LoadResult user_load = Load(config, server.port(), users, "GET /v1/users/{id}");
    const double user_rps = user_load.RequestsPerSecond();
    results.Add("admin_user_rps", "GET /v1/users/{id} (admin API, SQLite)", "req/s", "", user_rps);
    AddLatency(results, "admin_user", "GET /v1/users/{id}", user_load, "", "");
    results.Add("ratio_user_vs_bare", "ratio GET /v1/users/{id} : bare Beast hello", "x", ">= 0.40",
                user_rps / bare_rps);
    results.Add("ratio_user_vs_hello", "ratio GET /v1/users/{id} : HttpServer hello", "x",
                ">= 0.40", user_rps / hello_rps);

    std::vector<HttpCall> devices;
    for (size_t i = 0; i < outcome.imported.size() && devices.size() < 1000; i += 97) {
      devices.push_back(Authorized(
          "GET", "/v1/autopilotDevices/" + outcome.imported[i].value.id.value(), tenant.token));
    }
    const LoadResult device_load =
        Load(config, server.port(), devices, "GET /v1/autopilotDevices/{id}");
    const double device_rps = device_load.RequestsPerSecond();
    results.Add("admin_device_rps",
                fmt::format("GET /v1/autopilotDevices/{{id}} ({} devices)", config.rows), "req/s",
                "", device_rps);
    AddLatency(results, "admin_device", "GET /v1/autopilotDevices/{id}", device_load, "", "");
    results.Add("ratio_device_vs_bare", "ratio GET /v1/autopilotDevices/{id} : bare Beast", "x",
                ">= 0.40", device_rps / bare_rps);
    results.Add("ratio_device_vs_hello", "ratio GET /v1/autopilotDevices/{id} : HttpServer hello",
                "x", ">= 0.40", device_rps / hello_rps);

    // (b) over HTTP in-process: one connection, one request at a time.
    LoadOptions plan_options;
    plan_options.port = server.port();
    plan_options.calls = PlanCalls(config, tenant.token);
    plan_options.connections = 1;
    plan_options.warmup = std::chrono::milliseconds(200);
    plan_options.duration = std::chrono::seconds(60);
    plan_options.max_requests = config.plan_calls;
    const LoadResult plan_load = RunLoad(plan_options);
    if (plan_load.ok != config.plan_calls) {
      throw Failure{"GET /v1/plan (in-process): " + plan_load.first_error};
    }
    AddLatency(results, "plan_http_inproc", "plan: GET /v1/plan, in-process server", plan_load, "",
               "");
    server.Stop();
  }
}

// The import and the plan over HTTP against the real groundcrewd.
void RunDaemon(const Config& config, const std::string& csv, Results& results) {
  TempDir temp;
  const fs::path root = temp.path() / "var";
  std::string token;
  {
    Tenant tenant;  // closed before the daemon opens the database
    BuildTenant(root, config.shape, tenant);
    token = tenant.token;
  }
  // On PostgreSQL: the installation moved into a fresh schema, as an operator does, then every
  // instance serves from it and shares the data directory.
  std::vector<std::string> daemon_args;
  if (!config.database.empty()) {
    static int moved = 0;
    const std::string schema = fmt::format("bench_{}_{}", ::getpid(), ++moved);
    const fs::path key = temp.path() / "secrets.key";
    const fs::path out = temp.path() / "migrate.out";
    const std::string migrate = fmt::format(
        "'{}' migrate --from '{}' --to '{}' --schema {} --secrets-key-file '{}' > '{}' 2>&1",
        config.groundcrew, root.string(), config.database, schema, key.string(), out.string());
    if (std::system(migrate.c_str()) != 0) {
      std::ostringstream said;
      said << std::ifstream(out).rdbuf();
      throw Failure{"groundcrew migrate failed: " + said.str()};
    }
    ::setenv("GROUNDCREW_DATABASE_SCHEMA", schema.c_str(), 1);  // the instances inherit it
    daemon_args = {"--database", config.database, "--secrets-key-file", key.string()};
  }
  std::vector<std::unique_ptr<DaemonProcess>> daemons;
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < (config.database.empty() ? 1 : config.instances); ++i) {
    daemons.push_back(std::make_unique<DaemonProcess>(config.groundcrewd, root));
    if (!daemons.back()->Start(64 * 1024 * 1024, daemon_args)) {
      throw Failure{"groundcrewd did not start: " + daemons.back()->log()};
    }
    ports.push_back(daemons.back()->port());
  }
  DaemonProcess& daemon = *daemons.front();

  HttpCall import = Authorized("POST", "/v1/autopilotDevices/import", token);
  import.headers.emplace_back("Content-Type", "text/csv");
  import.body = csv;
  const HttpReply reply = SendOnce(daemon.port(), import, std::chrono::seconds(300));
  if (reply.status != 200) {
    throw Failure{fmt::format("HTTP import: status {} {} {}", reply.status, reply.error,
                              reply.body.substr(0, 300))};
  }
  const json::value answer = json::parse(reply.body);
  if (answer.at("imported").to_number<int64_t>() != config.rows) {
    throw Failure{"HTTP import: not every row was imported"};
  }
  std::cerr << fmt::format("  HTTP import: {:.2f} s ({:.1f} MB up, {:.1f} MB down)\n",
                           reply.seconds, static_cast<double>(csv.size()) / 1e6,
                           static_cast<double>(reply.body.size()) / 1e6);
  results.Add("import_http_s",
              fmt::format("import {} rows: POST /v1/autopilotDevices/import", config.rows), "s", "",
              reply.seconds);

  // Every device's profile status through the API: pages of 1000, time on the wire only.
  std::vector<HttpCall> device_calls;  // every 97th device, for (c)
  double list_seconds = 0;
  int64_t listed = 0;
  std::string after;
  for (;;) {
    std::string target = "/v1/autopilotDevices?limit=1000";
    if (!after.empty()) target += "&after=" + after;
    const HttpReply page =
        SendOnce(daemon.port(), Authorized("GET", target, token), std::chrono::seconds(60));
    if (page.status != 200) throw Failure{"HTTP list: " + page.error + page.body.substr(0, 300)};
    list_seconds += page.seconds;
    const json::object body = json::parse(page.body).as_object();
    for (const json::value& device : body.at("value").as_array()) {
      if (device.at("deploymentProfileAssignmentStatus") != "assignedInSync") {
        throw Failure{"HTTP list: a device has no deployment profile"};
      }
      if (listed % 97 == 0 && device_calls.size() < 1000) {
        device_calls.push_back(Authorized(
            "GET", "/v1/autopilotDevices/" + std::string(device.at("id").as_string()), token));
      }
      ++listed;
    }
    const json::value* next = body.if_contains("nextAfter");
    if (next == nullptr) break;
    after = std::string(next->as_string());
  }
  if (listed != config.rows) throw Failure{"HTTP list: not every device was listed"};
  results.Add("resolve_http_s", "resolve all: GET /v1/autopilotDevices pages of 1000", "s", "",
              list_seconds);
  results.Add("import_e2e_http_s", "import + resolve all (HTTP, end to end)", "s", "< 5",
              reply.seconds + list_seconds);

  // (c) against groundcrewd itself (every instance at once): the same admin GETs.
  std::vector<HttpCall> users;
  {
    const HttpReply listed = SendOnce(
        daemon.port(), Authorized("GET", "/v1/users?limit=1000", token), std::chrono::seconds(60));
    if (listed.status != 200) throw Failure{"HTTP users: " + listed.body.substr(0, 300)};
    const json::value parsed = json::parse(listed.body);
    const json::value* value =
        parsed.is_object() ? parsed.as_object().if_contains("value") : nullptr;
    if (value == nullptr || !value->is_array()) {
      throw Failure{"HTTP users: no \"value\" array in " + listed.body.substr(0, 300)};
    }
    for (const json::value& user : value->as_array()) {
      const json::value* id = user.is_object() ? user.as_object().if_contains("id") : nullptr;
      if (id == nullptr || !id->is_string()) {
        throw Failure{"HTTP users: a user without an id: " + json::serialize(user).substr(0, 300)};
      }
      users.push_back(Authorized("GET", "/v1/users/" + std::string(id->as_string()), token));
    }
  }
  // The machine's ceiling in the same run, for the ratio.
  double bare_rps = 0;
  {
    BareHelloServer bare(config.server_threads);
    bare_rps = Load(config, bare.port(), {HttpCall{"GET", "/hello", {}, ""}}, "bare Beast hello")
                   .RequestsPerSecond();
    results.Add("daemon_bare_rps", "GET bare Beast hello (same run)", "req/s", "(ceiling)",
                bare_rps);
  }
  const LoadResult user_load = LoadAcross(config, ports, users, "GET /v1/users/{id}, groundcrewd");
  results.Add("daemon_user_rps", "GET /v1/users/{id}, groundcrewd", "req/s", "",
              user_load.RequestsPerSecond());
  results.Add("daemon_ratio_user_vs_bare", "ratio GET /v1/users/{id}, groundcrewd : bare Beast",
              "x", "", user_load.RequestsPerSecond() / bare_rps);
  AddLatency(results, "daemon_user", "GET /v1/users/{id}, groundcrewd", user_load, "", "");
  const LoadResult device_load =
      LoadAcross(config, ports, device_calls, "GET /v1/autopilotDevices/{id}, groundcrewd");
  results.Add("daemon_device_rps", "GET /v1/autopilotDevices/{id}, groundcrewd", "req/s", "",
              device_load.RequestsPerSecond());
  results.Add("daemon_ratio_device_vs_bare",
              "ratio GET /v1/autopilotDevices/{id}, groundcrewd : bare Beast", "x", "",
              device_load.RequestsPerSecond() / bare_rps);
  AddLatency(results, "daemon_device", "GET /v1/autopilotDevices/{id}, groundcrewd", device_load,
             "", "");

  LoadOptions plan_options;
  plan_options.port = daemon.port();
  plan_options.calls = PlanCalls(config, token);
  plan_options.connections = 1;
  plan_options.warmup = std::chrono::milliseconds(200);
  plan_options.duration = std::chrono::seconds(60);
  plan_options.max_requests = config.plan_calls;
  const LoadResult plan_load = RunLoad(plan_options);
  if (plan_load.ok != config.plan_calls) throw Failure{"GET /v1/plan: " + plan_load.first_error};
  AddLatency(results, "plan_http_daemon", "plan: GET /v1/plan, groundcrewd", plan_load, "", "");
  results.Add("daemon_peak_rss_mib", "groundcrewd peak RSS after the above", "MiB",
              "< 1024 at 1M devices", static_cast<double>(daemon.PeakRssKib()) / 1024.0);
  for (auto& instance : daemons) {
    if (const int code = instance->Stop(); code != 0) {
      throw Failure{fmt::format("groundcrewd exited with {}: {}", code, instance->log())};
    }
  }
}

int Main(int argc, char** argv) {
  Config config;
  CLI::App app{"gc_service_bench: service-level benchmarks (docs/performance.md, \"Service\")"};
  app.add_option("--runs", config.runs, "repetitions of the whole sequence")->capture_default_str();
  app.add_option("--rows", config.rows, "registration rows to import")->capture_default_str();
  app.add_option("--groups", config.shape.groups, "dynamic device groups")->capture_default_str();
  app.add_option("--apps", config.shape.apps, "apps (3 group assignments each)")
      ->capture_default_str();
  app.add_option("--duration-ms", config.duration_ms, "measured period of each load test")
      ->capture_default_str();
  app.add_option("--connections", config.connections, "keep-alive client connections")
      ->capture_default_str();
  app.add_option("--plan-calls", config.plan_calls, "plan calls measured per setting")
      ->capture_default_str();
  app.add_option("--groundcrewd", config.groundcrewd, "the groundcrewd binary")
      ->capture_default_str();
  app.add_flag("--skip-daemon", config.skip_daemon, "skip the measurements against groundcrewd");
  app.add_flag("--daemon-only", config.daemon_only,
               "only the measurements against groundcrewd (not the in-process ones)");
  app.add_option("--database", config.database,
                 "groundcrewd serves from this PostgreSQL database (a fresh schema per run, "
                 "filled by `groundcrew migrate`)")
      ->type_name("URI");
  app.add_option("--instances", config.instances,
                 "with --database: groundcrewd instances sharing it, loaded side by side")
      ->check(CLI::Range(1, 8))
      ->capture_default_str();
  app.add_option("--groundcrew", config.groundcrew, "the groundcrew binary (for migrate)")
      ->capture_default_str();
  app.add_option("--json", config.json_path, "also write every value to this file");
  CLI11_PARSE(app, argc, argv);
  if (config.runs < 1 || config.rows < 1 || config.shape.groups < 200 || config.plan_calls < 1) {
    std::cerr << "--runs, --rows and --plan-calls must be positive, --groups at least 200\n";
    return 2;
  }
  if (config.skip_daemon && config.daemon_only) {
    std::cerr << "--skip-daemon and --daemon-only exclude each other\n";
    return 2;
  }
  if (!config.database.empty() && config.skip_daemon) {
    std::cerr << "--database measures groundcrewd: it excludes --skip-daemon\n";
    return 2;
  }
  if (!config.skip_daemon && !fs::exists(config.groundcrewd)) {
    std::cerr << "no groundcrewd at \"" << config.groundcrewd
              << "\": build it or pass --groundcrewd PATH (or --skip-daemon)\n";
    return 2;
  }

  Results results;
  const std::string load_before = LoadAverage();
  try {
    const std::string csv = RegistrationCsv(config.rows, config.shape);
    for (int run = 1; run <= config.runs; ++run) {
      if (!config.daemon_only) {
        std::cerr << fmt::format("run {}/{}: in-process\n", run, config.runs);
        RunInProcess(config, csv, results);
      }
      if (!config.skip_daemon) {
        std::cerr << fmt::format("run {}/{}: groundcrewd\n", run, config.runs);
        RunDaemon(config, csv, results);
      }
    }
  } catch (const Failure& failure) {
    std::cerr << "gc_service_bench: " << failure.message << "\n";
    return 1;
  } catch (const std::exception& exception) {  // unwinds, so temporary directories are removed
    std::cerr << "gc_service_bench: unexpected exception: " << exception.what() << "\n";
    return 1;
  }

  std::cout << fmt::format(
      "gc_service_bench: {} runs; {} rows, {} device groups, {} apps; load: {} connections x "
      "{} ms, server threads {}, one client thread on the same machine; load average {} before, "
      "{} after\n\n",
      config.runs, config.rows, config.shape.groups, config.shape.apps, config.connections,
      config.duration_ms, config.server_threads, load_before, LoadAverage());
  results.Print(std::cout);
  if (!config.json_path.empty()) {
    json::object document = results.ToJson();
    document["config"] = {{"runs", config.runs},
                          {"rows", config.rows},
                          {"groups", config.shape.groups},
                          {"apps", config.shape.apps},
                          {"connections", config.connections},
                          {"durationMs", config.duration_ms},
                          {"serverThreads", config.server_threads},
                          {"planCalls", config.plan_calls},
                          {"database", config.database.empty() ? "sqlite" : "postgresql"},
                          {"instances", config.database.empty() ? 1 : config.instances},
                          {"loadAverageBefore", load_before},
                          {"loadAverageAfter", LoadAverage()}};
    std::ofstream(config.json_path) << json::serialize(document) << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace groundcrew::bench

int main(int argc, char** argv) { return groundcrew::bench::Main(argc, argv); }

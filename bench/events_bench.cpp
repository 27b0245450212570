// gc_events_bench: device status events per second over SQLite and their latency (DESIGN.md
// §5: >= 20,000 events/s sustained, p99 < 25 ms; docs/performance.md, "Service").
//
// Each run builds a fresh tenant (service::Init + the declarative tenant of gc_service_bench)
// in a temporary directory, then, against an in-process HttpServer with the admin and device
// routes and against the real groundcrewd (each over its own fresh tenant):
//   1. imports --devices registration rows over HTTP (POST /v1/autopilotDevices/import); the
//      first --reporters rows carry the public halves of Ed25519 keys made here;
//   2. each reporting device proves its key (POST /v1/agent/nonce, POST /v1/agent/token with
//      the signature of identity::ProofMessage) and gets a device token, as the agent does;
//   3. for each batch size: every reporting device opens a new session (PUT .../sessions/{sid})
//      and the load generator's --connections keep-alive connections (each serving its own
//      subset of devices in turn, one request in flight) post batches of events
//      (POST .../sessions/{sid}/events) shaped like the agent's reports (phaseStarted,
//      itemStarted, itemSucceeded, itemFailed, phaseCompleted, screen) for --warmup-ms, then
//      for --duration-ms measured; then 50 devices resend their first batch (idempotency);
//   4. checks through the store that every session holds exactly the events acknowledged with
//      2xx, each once (keys 0..n-1, in order), so resends stored nothing.
// Prints the median and range over --runs; --json writes every value.
#include <fmt/format.h>
#include <sodium.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/http_load.hpp"
#include "bench/service_bench_data.hpp"
#include "common/base64.hpp"
#include "core/registration/hardware_hash.hpp"
#include "identity/device_key.hpp"
#include "server/api/admin_api.hpp"
#include "server/api/device_api.hpp"
#include "server/http/http_server.hpp"
#include "wire/model_json.hpp"

#ifndef GC_GROUNDCREWD_PATH
#define GC_GROUNDCREWD_PATH ""
#endif

namespace groundcrew::bench {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

struct Config {
  int runs = 3;
  int devices = 10'000;   // registered
  int reporters = 1'000;  // of which report events, each with its own token and sessions
  int connections = 64;
  std::vector<int> batches{1, 10, 100};
  int warmup_ms = 1000;
  int duration_ms = 5000;
  int server_threads = 2;
  std::string groundcrewd = GC_GROUNDCREWD_PATH;
  bool skip_daemon = false;
  bool skip_in_process = false;
  std::string json_path;
};

constexpr int kResendDevices = 50;
constexpr int kItemsPerCycle = 30;  // items of a simulated Device setup phase

// A reporting device: its key, registration and, once proven, its token.
struct Reporter {
  std::string serial;
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> public_key{};
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> secret_key{};
  std::string device_id;
  std::string token;
};

std::string ReporterSerial(int i) { return fmt::format("EV{:08}", i); }

// Deterministic key pairs (seeded from the index): the benchmark's devices, not secrets.
std::vector<Reporter> MakeReporters(int count) {
  std::vector<Reporter> reporters(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    Reporter& r = reporters[static_cast<size_t>(i)];
    r.serial = ReporterSerial(i);
    std::array<unsigned char, crypto_sign_SEEDBYTES> seed{};
    for (size_t b = 0; b < seed.size(); ++b) seed[b] = static_cast<unsigned char>(i >> (b % 4 * 8));
    seed[31] = 0x5a;
    crypto_sign_seed_keypair(r.public_key.data(), r.secret_key.data(), seed.data());
  }
  return reporters;
}

// The registration file: `devices` rows, the first reporters.size() with the reporters' keys,
// the rest with placeholder keys (registered, never reporting).
std::string EventsCsv(int devices, const std::vector<Reporter>& reporters) {
  std::string csv =
      "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n";
  csv.reserve(static_cast<size_t>(devices) * 140 + csv.size());
  for (int i = 0; i < devices; ++i) {
    core::HardwareHashFields fields;
    fields.serial_number = ReporterSerial(i);
    fields.manufacturer = i % 3 == 0 ? "Contoso" : "Fabrikam";
    fields.model = fmt::format("Model {}", i % 20);
    if (i < static_cast<int>(reporters.size())) {
      std::copy(reporters[static_cast<size_t>(i)].public_key.begin(),
                reporters[static_cast<size_t>(i)].public_key.end(), fields.public_key.begin());
    } else {
      fields.public_key[0] = static_cast<uint8_t>(i);
      fields.public_key[1] = static_cast<uint8_t>(i >> 8);
      fields.public_key[2] = static_cast<uint8_t>(i >> 16);
      fields.public_key[3] = 0xee;
    }
    csv += fmt::format("{},,{},Tag{},\r\n", fields.serial_number,
                       base64::Encode(core::EncodeHardwareHash(fields)), i % 900);
  }
  return csv;
}

json::object ParseObject(const HttpReply& reply, std::string_view what) {
  if (reply.status < 200 || reply.status >= 300) {
    throw Failure{fmt::format("{}: status {} {} {}", what, reply.status, reply.error,
                              reply.body.substr(0, 300))};
  }
  return json::parse(reply.body).as_object();
}

HttpCall JsonCall(std::string method, std::string target, std::string body) {
  HttpCall call{std::move(method), std::move(target), {}, std::move(body)};
  call.headers.emplace_back("Content-Type", "application/json");
  return call;
}

// The device proof of docs/device-api.md for every reporter: a nonce, the signed proof message,
// a device token.
void ProveAll(std::uint16_t port, std::vector<Reporter>& reporters) {
  for (Reporter& r : reporters) {
    const json::object nonce =
        ParseObject(SendOnce(port,
                             JsonCall("POST", "/v1/agent/nonce",
                                      json::serialize(json::object{{"serialNumber", r.serial}})),
                             std::chrono::seconds(30)),
                    "nonce");
    const std::string message =
        identity::ProofMessage(std::string(nonce.at("nonce").as_string()), r.serial,
                               std::string(nonce.at("audience").as_string()));
    std::array<unsigned char, crypto_sign_BYTES> signature{};
    crypto_sign_detached(signature.data(), nullptr,
                         reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                         r.secret_key.data());
    const json::object token = ParseObject(
        SendOnce(port,
                 JsonCall("POST", "/v1/agent/token",
                          json::serialize(json::object{
                              {"serialNumber", r.serial},
                              {"nonce", nonce.at("nonce")},
                              {"signature", base64::Encode(std::string_view(
                                                reinterpret_cast<const char*>(signature.data()),
                                                signature.size()))}})),
                 std::chrono::seconds(30)),
        "token");
    r.device_id = std::string(token.at("deviceId").as_string());
    r.token = std::string(token.at("token").as_string());
  }
}

// The `k`-th event (from 0) of a device's stream as JSON: a Device setup phase of
// kItemsPerCycle items, each started and then succeeded (every 10th failed once and retried),
// then the phase completed and a screen change; and again. Details as the agent sends them
// (agent/flow_reports.cpp: the core's phase spelling, the item's id and display name).
void AppendEvent(std::string& out, int device, std::int64_t k, std::int64_t epoch) {
  constexpr std::int64_t kCycle = 2 * kItemsPerCycle + 3;
  const std::int64_t t = k % kCycle;
  const std::string at = wire::FormatTimestamp(core::Timestamp(std::chrono::seconds(epoch + k)));
  std::string kind;
  std::string detail;
  if (t == 0) {
    kind = "phaseStarted";
    detail = R"({"phase":"deviceSetup"})";
  } else if (t == kCycle - 2) {
    kind = "phaseCompleted";
    detail = R"({"phase":"deviceSetup"})";
  } else if (t == kCycle - 1) {
    kind = "screen";
    detail = R"({"screen":"accountSetup"})";
  } else {
    const std::int64_t item = (t - 1) / 2;
    const bool started = (t - 1) % 2 == 0;
    const bool failed = !started && item % 10 == 9;
    kind = started ? "itemStarted" : failed ? "itemFailed" : "itemSucceeded";
    detail = fmt::format(R"({{"phase":"deviceSetup","id":"{:08x}-1f3c-4b5e-9a2d-{:012x}",)"
                         R"("displayName":"App {:03}")",
                         item, device, item);
    if (started) detail += R"(,"attempt":1)";
    if (failed) detail += R"(,"code":"0x80070643","message":"Fatal error during installation.")";
    detail += "}";
  }
  fmt::format_to(std::back_inserter(out),
                 R"({{"idempotencyKey":"{}","at":"{}","kind":"{}","detail":{}}})", k, at, kind,
                 detail);
}

std::string EventsBody(int device, std::int64_t first, int count, std::int64_t epoch) {
  std::string body = R"({"events":[)";
  body.reserve(static_cast<size_t>(count) * 190 + 16);
  for (int j = 0; j < count; ++j) {
    if (j > 0) body += ',';
    AppendEvent(body, device, first + j, epoch);
  }
  body += "]}";
  return body;
}

// The events a session holds, checked against what was acknowledged: exactly `expected`
// events with keys "0".."expected-1", each once, in key order. Returns a problem, or "".
std::string CheckSession(store::Store& store, const std::string& session_id,
                         std::int64_t expected) {
  std::int64_t count = 0;
  store::PageRequest page{.after = "", .limit = store::kMaxPageSize};
  for (;;) {
    Result<store::Page<store::SessionEvent>> events = store.sessions().ListEvents(session_id, page);
    if (!events) return "list events: " + events.error().message;
    for (const store::SessionEvent& event : events->items) {
      if (event.idempotency_key != std::to_string(count)) {
        return fmt::format("event {} has key {}", count, event.idempotency_key);
      }
      ++count;
    }
    if (events->next_after.empty()) break;
    page.after = events->next_after;
  }
  if (count != expected) return fmt::format("{} events stored, {} acknowledged", count, expected);
  return "";
}

// One session per reporter and batch size, and what was acknowledged in it.
struct SessionExpectation {
  std::string session_id;
  std::int64_t events = 0;
};

// The CPU seconds (user + system) process `pid` has used so far, from /proc/<pid>/stat; this
// process's when `pid` <= 0 (the in-process server's share is that minus the client thread's,
// ThreadCpuSeconds). 0 when unknown.
double ProcessCpuSeconds(int pid) {
  if (pid <= 0) {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields;
  std::string field;
  for (size_t i = close + 2; i <= stat.size(); ++i) {
    if (i == stat.size() || stat[i] == ' ') {
      fields.push_back(field);
      field.clear();
    } else {
      field += stat[i];
    }
  }
  // After the command: state is field 3 of stat(5), utime 14, stime 15 -> indexes 11 and 12.
  if (fields.size() < 13) return 0;
  return static_cast<double>(std::stoll(fields[11]) + std::stoll(fields[12])) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Drives one batch size against the server on `port`: opens the sessions, runs the load,
// resends, and records the figures under `prefix`. Appends what each session must hold.
void RunBatch(const Config& config, std::uint16_t port, int server_pid, int batch, int run,
              const std::string& prefix, const std::string& label, std::vector<Reporter>& reporters,
              std::vector<SessionExpectation>& expectations, Results& results) {
  const int count = static_cast<int>(reporters.size());
  const std::int64_t epoch = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count() -
                             86'400;
  std::vector<std::string> sessions(static_cast<size_t>(count));
  std::vector<std::string> targets(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const Reporter& r = reporters[static_cast<size_t>(i)];
    sessions[static_cast<size_t>(i)] = fmt::format("run{}-batch{}-device{}", run, batch, i);
    const std::string path = fmt::format("/v1/agent/devices/{}/sessions/{}", r.device_id,
                                         sessions[static_cast<size_t>(i)]);
    HttpCall open = JsonCall(
        "PUT", path,
        json::serialize(json::object{{"flow", "technician"},
                                     {"startedDateTime", wire::FormatTimestamp(core::Timestamp(
                                                             std::chrono::seconds(epoch)))}}));
    open.headers.emplace_back("Authorization", "Bearer " + r.token);
    const HttpReply opened = SendOnce(port, open, std::chrono::seconds(30));
    if (opened.status != 201) {
      throw Failure{
          fmt::format("open session: status {} {}", opened.status, opened.body.substr(0, 300))};
    }
    targets[static_cast<size_t>(i)] = path + "/events";
  }

  // Connection c serves devices c, c + connections, ...; its n-th request is batch
  // n / (its device count) of device c + (n % its device count) * connections.
  const int connections = std::min(config.connections, count);
  auto device_of = [&](int connection, std::int64_t n, std::int64_t& batch_index) {
    const int mine = (count - connection + connections - 1) / connections;
    batch_index = n / mine;
    return connection + static_cast<int>(n % mine) * connections;
  };
  std::vector<std::int64_t> acknowledged(static_cast<size_t>(count), 0);
  std::int64_t failures = 0;
  std::string first_failure;
  LoadOptions options;
  options.port = port;
  options.connections = connections;
  options.warmup = std::chrono::milliseconds(config.warmup_ms);
  options.duration = std::chrono::milliseconds(config.duration_ms);
  options.make_call = [&](int connection, std::int64_t n) {
    std::int64_t b = 0;
    const int device = device_of(connection, n, b);
    HttpCall call = JsonCall("POST", targets[static_cast<size_t>(device)],
                             EventsBody(device, b * batch, batch, epoch));
    call.headers.emplace_back("Authorization",
                              "Bearer " + reporters[static_cast<size_t>(device)].token);
    return call;
  };
  options.on_answer = [&](int connection, std::int64_t n, int status, std::string_view body) {
    std::int64_t b = 0;
    const int device = device_of(connection, n, b);
    // {"sequences":[s1,...,sB]}: one sequence per event.
    const bool ok = status >= 200 && status < 300 && body.starts_with(R"({"sequences":[)") &&
                    std::count(body.begin(), body.end(), ',') == batch - 1;
    if (ok && acknowledged[static_cast<size_t>(device)] == b) {
      ++acknowledged[static_cast<size_t>(device)];
      return;
    }
    if (++failures == 1) {
      first_failure = fmt::format("status {}: {}", status, body.substr(0, 300));
    }
  };
  const double cpu_before = ProcessCpuSeconds(server_pid);
  const double client_before = ThreadCpuSeconds();
  const BenchClock::time_point started = BenchClock::now();
  const LoadResult load = RunLoad(options);
  const double wall = SecondsSince(started);
  const double server_cpu = ProcessCpuSeconds(server_pid) - cpu_before -
                            (server_pid > 0 ? 0 : ThreadCpuSeconds() - client_before);
  if (failures > 0 || load.failed > 0 || load.ok == 0) {
    throw Failure{fmt::format("{}, batch {}: {} failures ({}); {}", label, batch, failures,
                              first_failure, load.first_error)};
  }

  // Resend the first batch of a few devices: answered again, nothing stored again.
  for (int i = 0; i < std::min(kResendDevices, count); ++i) {
    if (acknowledged[static_cast<size_t>(i)] == 0) continue;
    HttpCall again =
        JsonCall("POST", targets[static_cast<size_t>(i)], EventsBody(i, 0, batch, epoch));
    again.headers.emplace_back("Authorization",
                               "Bearer " + reporters[static_cast<size_t>(i)].token);
    const HttpReply reply = SendOnce(port, again, std::chrono::seconds(30));
    if (reply.status != 200) {
      throw Failure{fmt::format("resend: status {} {}", reply.status, reply.body.substr(0, 300))};
    }
  }

  std::int64_t total = 0;
  for (int i = 0; i < count; ++i) {
    const std::int64_t events = acknowledged[static_cast<size_t>(i)] * batch;
    total += events;
    expectations.push_back({sessions[static_cast<size_t>(i)], events});
  }
  const double events_per_second = load.RequestsPerSecond() * batch;
  std::cerr << fmt::format(
      "  {} batch {}: {:.0f} events/s, {:.0f} req/s, p50 {:.2f} ms, p99 {:.2f} ms, server CPU "
      "{:.1f} µs/event ({:.2f} cores), {} events acknowledged in all\n",
      label, batch, events_per_second, load.RequestsPerSecond(), load.LatencyQuantileUs(0.5) / 1000,
      load.LatencyQuantileUs(0.99) / 1000, server_cpu / static_cast<double>(total) * 1e6,
      server_cpu / wall, total);
  const std::string key = fmt::format("{}_b{}", prefix, batch);
  const std::string name = fmt::format("{}, batch {}", label, batch);
  results.Add(key + "_events_per_s", name + ": events/s", "events/s", ">= 20000",
              events_per_second);
  results.Add(key + "_rps", name + ": requests/s", "req/s", "", load.RequestsPerSecond());
  results.Add(key + "_p50_ms", name + ": p50 per request", "ms", "",
              load.LatencyQuantileUs(0.5) / 1000);
  results.Add(key + "_p99_ms", name + ": p99 per request", "ms", "< 25",
              load.LatencyQuantileUs(0.99) / 1000);
  results.Add(key + "_server_cpu_us_per_event", name + ": server CPU per event", "µs", "",
              server_cpu / static_cast<double>(total) * 1e6);
  results.Add(key + "_ratio", name + ": events/s : 20,000", "x", ">= 1", events_per_second / 20000);
}

// Checks every session of `expectations` in `store`; throws on the first mismatch.
void CheckStored(store::Store& store, const std::vector<SessionExpectation>& expectations,
                 const std::string& label, Results& results, const std::string& prefix) {
  std::int64_t total = 0;
  for (const SessionExpectation& expected : expectations) {
    const std::string problem = CheckSession(store, expected.session_id, expected.events);
    if (!problem.empty()) {
      throw Failure{fmt::format("{}: session {}: {}", label, expected.session_id, problem)};
    }
    total += expected.events;
  }
  std::cerr << fmt::format("  {}: {} sessions hold exactly the {} acknowledged events, once\n",
                           label, expectations.size(), total);
  results.Add(prefix + "_stored_events", label + ": events stored, each once (checked)", "events",
              "", static_cast<double>(total));
}

server::HttpServerOptions ServerOptions(const Config& config) {
  server::HttpServerOptions options;
  options.port = 0;
  options.threads = config.server_threads;
  options.max_body_bytes = 64 * 1024 * 1024;
  return options;
}

void Import(std::uint16_t port, const std::string& admin_token, const std::string& csv,
            int devices) {
  HttpCall import = Authorized("POST", "/v1/autopilotDevices/import", admin_token);
  import.headers.emplace_back("Content-Type", "text/csv");
  import.body = csv;
  const json::object answer =
      ParseObject(SendOnce(port, import, std::chrono::seconds(300)), "import");
  if (answer.at("imported").to_number<int64_t>() != devices) {
    throw Failure{"import: not every row was imported"};
  }
}

void RunInProcess(const Config& config, const std::string& csv, int run, Results& results) {
  TempDir temp;
  Tenant tenant;
  BuildTenant(temp.path() / "var", TenantShape{}, tenant);
  server::Router router;
  Must(api::AddAdminRoutes(router, *tenant.services), "admin routes");
  Must(api::AddDeviceApiRoutes(router, *tenant.services), "device routes");
  server::HttpServer server(ServerOptions(config), std::move(router));
  Must(server.Start(), "start the server");
  Import(server.port(), tenant.token, csv, config.devices);
  std::vector<Reporter> reporters = MakeReporters(config.reporters);
  const BenchClock::time_point proving = BenchClock::now();
  ProveAll(server.port(), reporters);
  std::cerr << fmt::format("  in-process: {} device proofs in {:.2f} s\n", reporters.size(),
                           SecondsSince(proving));
  std::vector<SessionExpectation> expectations;
  for (int batch : config.batches) {
    RunBatch(config, server.port(), 0, batch, run, "inproc", "in-process HttpServer", reporters,
             expectations, results);
  }
  tenant.services->deployment.StopWaiting();
  server.Stop();
  CheckStored(*tenant.store, expectations, "in-process", results, "inproc");
}

void RunDaemon(const Config& config, const std::string& csv, int run, Results& results) {
  TempDir temp;
  const fs::path root = temp.path() / "var";
  std::string token;
  {
    Tenant tenant;  // closed before the daemon opens the database
    BuildTenant(root, TenantShape{}, tenant);
    token = tenant.token;
  }
  std::vector<SessionExpectation> expectations;
  {
    DaemonProcess daemon(config.groundcrewd, root);
    if (!daemon.Start(64 * 1024 * 1024, {"--no-sign-in-rate-limits"})) {
      throw Failure{"groundcrewd did not start: " + daemon.log()};
    }
    Import(daemon.port(), token, csv, config.devices);
    std::vector<Reporter> reporters = MakeReporters(config.reporters);
    ProveAll(daemon.port(), reporters);
    for (int batch : config.batches) {
      try {
        RunBatch(config, daemon.port(), daemon.pid(), batch, run, "daemon", "groundcrewd",
                 reporters, expectations, results);
      } catch (const Failure& failure) {
        throw Failure{failure.message + "; groundcrewd's log:\n" + daemon.log()};
      }
    }
    if (const int code = daemon.Stop(); code != 0) {
      throw Failure{fmt::format("groundcrewd exited with {}: {}", code, daemon.log())};
    }
  }
  std::unique_ptr<store::Store> store =
      Must(OpenStore(service::DataDir{root}.database().string()), "open the daemon's store");
  CheckStored(*store, expectations, "groundcrewd", results, "daemon");
}

int Main(int argc, char** argv) {
  Config config;
  CLI::App app{"gc_events_bench: device status events per second and their latency"};
  app.add_option("--runs", config.runs, "repetitions of the whole sequence")->capture_default_str();
  app.add_option("--devices", config.devices, "registered devices")->capture_default_str();
  app.add_option("--reporters", config.reporters, "devices that report events")
      ->capture_default_str();
  app.add_option("--connections", config.connections, "keep-alive connections, one request each")
      ->capture_default_str();
  app.add_option("--batches", config.batches, "events per request, one measurement each")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--warmup-ms", config.warmup_ms, "warm-up of each load test")
      ->capture_default_str();
  app.add_option("--duration-ms", config.duration_ms, "measured period of each load test")
      ->capture_default_str();
  app.add_option("--server-threads", config.server_threads,
                 "worker threads of the in-process server (groundcrewd: 2)")
      ->capture_default_str();
  app.add_option("--groundcrewd", config.groundcrewd, "the groundcrewd binary")
      ->capture_default_str();
  app.add_flag("--skip-daemon", config.skip_daemon, "leave out groundcrewd");
  app.add_flag("--skip-in-process", config.skip_in_process, "leave out the in-process server");
  app.add_option("--json", config.json_path, "also write every value to this file");
  CLI11_PARSE(app, argc, argv);
  const bool batches_ok = !config.batches.empty() &&
                          std::all_of(config.batches.begin(), config.batches.end(), [](int b) {
                            return b >= 1 && b <= static_cast<int>(service::kMaxEventsPerBatch);
                          });
  if (config.runs < 1 || config.reporters < 1 || config.devices < config.reporters ||
      config.connections < 1 || !batches_ok || config.duration_ms < 1) {
    std::cerr << "--runs, --reporters, --connections must be positive, --devices at least "
                 "--reporters, batches 1..500\n";
    return 2;
  }
  if (!config.skip_daemon && !fs::exists(config.groundcrewd)) {
    std::cerr << "no groundcrewd at \"" << config.groundcrewd
              << "\": build it or pass --groundcrewd PATH (or --skip-daemon)\n";
    return 2;
  }
  if (sodium_init() < 0) {
    std::cerr << "libsodium failed to initialize\n";
    return 1;
  }

  Results results;
  const std::string load_before = LoadAverage();
  try {
    const std::string csv = EventsCsv(config.devices, MakeReporters(config.reporters));
    for (int run = 1; run <= config.runs; ++run) {
      if (!config.skip_in_process) {
        std::cerr << fmt::format("run {}/{}: in-process HttpServer\n", run, config.runs);
        RunInProcess(config, csv, run, results);
      }
      if (!config.skip_daemon) {
        std::cerr << fmt::format("run {}/{}: groundcrewd\n", run, config.runs);
        RunDaemon(config, csv, run, results);
      }
    }
  } catch (const Failure& failure) {
    std::cerr << "gc_events_bench: " << failure.message << "\n";
    return 1;
  } catch (const std::exception& exception) {  // unwinds, so temporary directories are removed
    std::cerr << "gc_events_bench: unexpected exception: " << exception.what() << "\n";
    return 1;
  }

  const std::string load_after = LoadAverage();
  std::string batches;
  for (int b : config.batches) batches += (batches.empty() ? "" : ",") + std::to_string(b);
  std::cout << fmt::format(
      "gc_events_bench: {} runs; {} registered devices, {} reporting; {} connections x {} ms "
      "measured after {} ms warm-up; batches {}; server threads 2, one client thread on the same "
      "machine; load average {} before, {} after\n\n",
      config.runs, config.devices, config.reporters, std::min(config.connections, config.reporters),
      config.duration_ms, config.warmup_ms, batches, load_before, load_after);
  results.Print(std::cout);
  if (!config.json_path.empty()) {
    json::object document = results.ToJson();
    json::array batch_list;
    for (int b : config.batches) batch_list.push_back(b);
    document["config"] = {{"runs", config.runs},
                          {"devices", config.devices},
                          {"reporters", config.reporters},
                          {"connections", config.connections},
                          {"batches", std::move(batch_list)},
                          {"warmupMs", config.warmup_ms},
                          {"durationMs", config.duration_ms},
                          {"serverThreads", config.server_threads},
                          {"loadAverageBefore", load_before},
                          {"loadAverageAfter", load_after}};
    std::ofstream(config.json_path) << json::serialize(document) << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace groundcrew::bench

int main(int argc, char** argv) { return groundcrew::bench::Main(argc, argv); }

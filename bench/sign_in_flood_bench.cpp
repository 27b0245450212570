// gc_sign_in_flood_bench: what a sign-in flood from one device does to admins (issue 14,
// finding 5). Against the real groundcrewd (default argon2id cost, 2 worker threads):
//   1. a small tenant (service::Init + the benchmark tenant), one device registered with a key
//      made here, which proves it and gets a device token;
//   2. the median latency of admin `GET /v1/me` on one keep-alive connection, alone;
//   3. the same while --flood keep-alive connections send sign-ins with that device token
//      (a fresh user name each time, so that no lock stops them: the worst case), counting the
//      flood's answers by status.
// Each groundcrewd configuration is measured in turn: --baseline (another binary, e.g. built
// from main before issue 14, no flags) when given; "unlimited" (--no-sign-in-rate-limits
// --password-hash-slots 64: sign-ins as before issue 14); "hash pool, 100 ms wait"
// (--no-sign-in-rate-limits --password-hash-wait-ms 100); "hash pool" (--no-sign-in-rate-limits)
// and "defaults". Prints a table; --json writes every value.
#include <fmt/format.h>
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/http_load.hpp"
#include "bench/service_bench_data.hpp"
#include "common/base64.hpp"
#include "core/registration/hardware_hash.hpp"
#include "identity/device_key.hpp"

#ifndef GC_GROUNDCREWD_PATH
#define GC_GROUNDCREWD_PATH ""
#endif

namespace groundcrew::bench {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using test_support::TempDir;

struct Config {
  int runs = 1;
  int flood = 6;
  int duration_ms = 4000;
  std::string groundcrewd = GC_GROUNDCREWD_PATH;
  std::string baseline;  ///< another groundcrewd (e.g. built from an older commit), no flags
  std::string json_path;
};

constexpr const char* kSerial = "FLOOD-0001";

HttpCall JsonCall(std::string method, std::string target, std::string body,
                  const std::string& token = "") {
  HttpCall call;
  call.method = std::move(method);
  call.target = std::move(target);
  call.body = std::move(body);
  call.headers.emplace_back("Content-Type", "application/json");
  if (!token.empty()) call.headers.emplace_back("Authorization", "Bearer " + token);
  return call;
}

json::object Object(const HttpReply& reply, std::string_view what) {
  if (reply.status < 200 || reply.status >= 300) {
    throw Failure{fmt::format("{}: {} {} {}", what, reply.status, reply.error, reply.body)};
  }
  return json::parse(reply.body).as_object();
}

// Registers the device and proves its key: {device id, device token}.
std::pair<std::string, std::string> DeviceToken(std::uint16_t port, const std::string& admin) {
  std::string seed(32, '\x5a');
  identity::SeededDeviceKey key(seed);
  const std::string hash = core::EncodeHardwareHash(
      core::HardwareHashFields{kSerial, "Contoso", "Laptop", key.PublicKey().value()});
  HttpCall import =
      JsonCall("POST", "/v1/autopilotDevices/import",
               std::string("Device Serial Number,Windows Product ID,Hardware Hash\r\n") + kSerial +
                   ",," + base64::Encode(hash) + "\r\n",
               admin);
  import.headers[0].second = "text/csv";
  Object(SendOnce(port, import, std::chrono::seconds(30)), "import");
  const json::object nonce =
      Object(SendOnce(port,
                      JsonCall("POST", "/v1/agent/nonce",
                               json::serialize(json::object{{"serialNumber", kSerial}})),
                      std::chrono::seconds(30)),
             "nonce");
  const std::string text(nonce.at("nonce").as_string());
  const auto signature =
      key.Sign(identity::ProofMessage(text, kSerial, std::string(nonce.at("audience").as_string())))
          .value();
  const json::object token = Object(
      SendOnce(port,
               JsonCall("POST", "/v1/agent/token",
                        json::serialize(json::object{
                            {"serialNumber", kSerial},
                            {"nonce", text},
                            {"signature",
                             base64::Encode(std::string(signature.begin(), signature.end()))}})),
               std::chrono::seconds(30)),
      "token");
  return {std::string(token.at("deviceId").as_string()),
          std::string(token.at("token").as_string())};
}

LoadResult AdminReads(std::uint16_t port, const std::string& admin, const Config& config) {
  LoadOptions options;
  options.port = port;
  options.calls = {Authorized("GET", "/v1/me", admin)};
  options.connections = 1;
  options.warmup = std::chrono::milliseconds(300);
  options.duration = std::chrono::milliseconds(config.duration_ms);
  return RunLoad(options);
}

void Measure(const Config& config, const std::string& binary, const std::string& label,
             const std::string& key, const std::vector<std::string>& flags, Results& results) {
  TempDir temp;
  const fs::path root = temp.path() / "var";
  std::string admin;
  {
    Tenant tenant;  // closed before the daemon opens the database
    BuildTenant(
        root, TenantShape{.groups = 200, .apps = 60, .policies = 10, .users = 20, .tag_count = 200},
        tenant);
    admin = tenant.token;
  }
  DaemonProcess daemon(binary, root);
  if (!daemon.Start(64 * 1024 * 1024, flags)) {
    throw Failure{"groundcrewd did not start: " + daemon.log()};
  }
  const auto [device_id, device_token] = DeviceToken(daemon.port(), admin);

  const LoadResult alone = AdminReads(daemon.port(), admin, config);
  results.Add(key + ".alone.p50", label + ": admin GET /v1/me alone, median", "ms", "",
              alone.LatencyQuantileUs(0.5) / 1000);

  std::map<int, std::int64_t> statuses;
  std::mutex statuses_mutex;
  LoadOptions flood;
  flood.port = daemon.port();
  flood.connections = config.flood;
  flood.warmup = std::chrono::milliseconds(0);
  flood.duration = std::chrono::milliseconds(config.duration_ms + 1000);
  flood.make_call = [&](int connection, std::int64_t n) {
    return JsonCall("POST", "/v1/agent/devices/" + device_id + "/signIn",
                    json::serialize(json::object{
                        {"userPrincipalName", fmt::format("flood{}-{}@contoso.com", connection, n)},
                        {"password", "a wrong password for the flood"}}),
                    device_token);
  };
  flood.on_answer = [&](int, std::int64_t, int status, std::string_view) {
    std::lock_guard lock(statuses_mutex);
    ++statuses[status];
  };
  LoadResult flooded_reads;
  std::thread flooder([&] { (void)RunLoad(flood); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the flood under way
  flooded_reads = AdminReads(daemon.port(), admin, config);
  flooder.join();
  results.Add(key + ".flood.p50",
              fmt::format("{}: admin GET /v1/me under {} flooding connections, median", label,
                          config.flood),
              "ms", "", flooded_reads.LatencyQuantileUs(0.5) / 1000);
  results.Add(key + ".flood.p99", label + ": same, p99", "ms", "",
              flooded_reads.LatencyQuantileUs(0.99) / 1000);
  std::string answers;
  for (const auto& [status, count] : statuses) answers += fmt::format(" {}x{}", count, status);
  std::cerr << fmt::format("  {}: flood answers:{}\n", label, answers);
  if (const int code = daemon.Stop(); code != 0) {
    throw Failure{fmt::format("groundcrewd exited with {}: {}", code, daemon.log())};
  }
}

int Main(int argc, char** argv) {
  Config config;
  CLI::App app{"gc_sign_in_flood_bench: admin latency while one device floods sign-ins"};
  app.add_option("--runs", config.runs, "repetitions")->capture_default_str();
  app.add_option("--flood", config.flood, "flooding connections")->capture_default_str();
  app.add_option("--duration-ms", config.duration_ms, "measured period")->capture_default_str();
  app.add_option("--groundcrewd", config.groundcrewd, "the groundcrewd binary")
      ->capture_default_str();
  app.add_option("--baseline", config.baseline,
                 "also measure this groundcrewd (e.g. built from main before the change), with no "
                 "extra flags");
  app.add_option("--json", config.json_path, "also write every value to this file");
  CLI11_PARSE(app, argc, argv);
  if (sodium_init() < 0) return 1;
  Results results;
  const std::string load_before = LoadAverage();
  try {
    for (int run = 1; run <= config.runs; ++run) {
      if (!config.baseline.empty()) {
        Measure(config, config.baseline, "baseline", "baseline", {}, results);
      }
      Measure(config, config.groundcrewd, "unlimited", "unlimited",
              {"--no-sign-in-rate-limits", "--password-hash-slots", "64"}, results);
      Measure(config, config.groundcrewd, "hash pool, 100 ms wait", "pool100",
              {"--no-sign-in-rate-limits", "--password-hash-wait-ms", "100"}, results);
      Measure(config, config.groundcrewd, "hash pool", "pool", {"--no-sign-in-rate-limits"},
              results);
      Measure(config, config.groundcrewd, "defaults", "defaults", {}, results);
    }
  } catch (const Failure& failure) {
    std::cerr << "gc_sign_in_flood_bench: " << failure.message << "\n";
    return 1;
  }
  results.Print(std::cout);
  std::cout << fmt::format("load average before {}, after {}; {} hardware threads\n", load_before,
                           LoadAverage(), std::thread::hardware_concurrency());
  if (!config.json_path.empty()) {
    std::ofstream(config.json_path) << json::serialize(results.ToJson());
  }
  return 0;
}

}  // namespace
}  // namespace groundcrew::bench

int main(int argc, char** argv) { return groundcrew::bench::Main(argc, argv); }

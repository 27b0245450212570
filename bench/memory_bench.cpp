// gc_memory_bench: groundcrewd's resident memory as registered devices grow to 1,000,000
// (DESIGN.md §5: RSS < 1 GB with 1,000,000 registered devices; docs/performance.md, "Service").
//
// Each run builds a fresh tenant (service::Init + the declarative tenant of gc_service_bench) in
// a temporary directory, starts the real groundcrewd over it (2 worker threads, 64 MiB body
// limit) and imports registration rows over HTTP (POST /v1/autopilotDevices/import) in chunks of
// --chunk-rows, timing each chunk, until it holds each of --sizes devices in turn. At each size:
//   1. it exercises the daemon (GET /v1/autopilotDevices pages of 1,000, GET /v1/plan for
//      devices spread over the table) and reads VmRSS and VmHWM from /proc/<pid>/status: the
//      daemon that imported everything so far, so VmHWM is the peak of the whole import;
//   2. it restarts the daemon, reads VmRSS idle, exercises it the same way and reads VmRSS and
//      VmHWM again: what a daemon holding that many devices needs without an import;
//   3. it records the database's size (groundcrew.db and its WAL).
// Prints the median and range over --runs; --json writes every value.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
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
  int runs = 3;
  std::vector<int> sizes{10'000, 100'000, 1'000'000};
  int chunk_rows = 100'000;
  int list_pages = 10;
  int plan_calls = 200;
  std::string groundcrewd = GC_GROUNDCREWD_PATH;
  std::string json_path;
};

constexpr std::size_t kMaxBodyBytes = 64 * 1024 * 1024;

// A chunk of the registration: RegistrationCsv(rows, shape, seed) has serials S<seed>N<i>, so
// every chunk has its own seed and no two rows collide.
struct Chunk {
  int seed = 0;
  int rows = 0;
};

double MiB(std::int64_t kib) { return static_cast<double>(kib) / 1024.0; }

std::int64_t FileBytes(const fs::path& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<std::int64_t>(size);
}

// Lists `pages` pages of 1,000 devices and plans `plan_calls` devices spread over `chunks`;
// throws on any failure. Returns the seconds it took.
double Exercise(const Config& config, std::uint16_t port, const std::string& token,
                const std::vector<Chunk>& chunks) {
  const BenchClock::time_point start = BenchClock::now();
  std::string after;
  for (int p = 0; p < config.list_pages; ++p) {
    std::string target = "/v1/autopilotDevices?limit=1000";
    if (!after.empty()) target += "&after=" + after;
    const HttpReply page =
        SendOnce(port, Authorized("GET", target, token), std::chrono::seconds(60));
    if (page.status != 200) throw Failure{"list: " + page.error + page.body.substr(0, 300)};
    const json::object body = json::parse(page.body).as_object();
    const json::value* next = body.if_contains("nextAfter");
    if (next == nullptr) break;
    after = std::string(next->as_string());
  }
  for (int k = 0; k < config.plan_calls; ++k) {
    const Chunk& chunk = chunks[static_cast<size_t>(k) % chunks.size()];
    const int row = static_cast<int>((static_cast<std::int64_t>(k) * 7919) % chunk.rows);
    const HttpReply plan = SendOnce(
        port, Authorized("GET", "/v1/plan?serialNumber=" + SerialOf(row, chunk.seed), token),
        std::chrono::seconds(60));
    if (plan.status != 200) throw Failure{"plan: " + plan.error + plan.body.substr(0, 300)};
  }
  return SecondsSince(start);
}

std::string SizeName(int devices) {
  if (devices % 1'000'000 == 0) return fmt::format("{}M", devices / 1'000'000);
  if (devices % 1'000 == 0) return fmt::format("{}k", devices / 1'000);
  return std::to_string(devices);
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
  }
  DaemonProcess daemon(config.groundcrewd, root);
  if (!daemon.Start(kMaxBodyBytes)) throw Failure{"groundcrewd did not start: " + daemon.log()};
  const Rss empty = ReadRss(daemon.pid());
  results.Add("rss_empty_mib", "groundcrewd VmRSS, tenant only, idle", "MiB", "",
              MiB(empty.rss_kib));

  std::vector<Chunk> chunks;
  int imported = 0;
  for (int size : config.sizes) {
    while (imported < size) {
      const Chunk chunk{static_cast<int>(chunks.size()),
                        std::min(config.chunk_rows, size - imported)};
      HttpCall import = Authorized("POST", "/v1/autopilotDevices/import", token);
      import.headers.emplace_back("Content-Type", "text/csv");
      import.body = RegistrationCsv(chunk.rows, shape, chunk.seed);
      const HttpReply reply = SendOnce(daemon.port(), import, std::chrono::seconds(600));
      if (reply.status != 200) {
        throw Failure{fmt::format("import: status {} {} {}; groundcrewd's log:\n{}", reply.status,
                                  reply.error, reply.body.substr(0, 300), daemon.log())};
      }
      if (json::parse(reply.body).at("imported").to_number<std::int64_t>() != chunk.rows) {
        throw Failure{"import: not every row was imported"};
      }
      const std::string range = fmt::format("{}..{}", imported, imported + chunk.rows);
      std::cerr << fmt::format("  import rows {}: {:.2f} s ({:.1f} µs/row), VmRSS {:.0f} MiB\n",
                               range, reply.seconds, reply.seconds / chunk.rows * 1e6,
                               MiB(ReadRss(daemon.pid()).rss_kib));
      results.Add(fmt::format("import_chunk{}_s", chunk.seed),
                  fmt::format("import chunk {} (rows {}), {} rows", chunk.seed, range, chunk.rows),
                  "s", "", reply.seconds);
      results.Add(fmt::format("import_chunk{}_us_per_row", chunk.seed),
                  fmt::format("import chunk {} per row", chunk.seed), "µs", "",
                  reply.seconds / chunk.rows * 1e6);
      imported += chunk.rows;
      chunks.push_back(chunk);
    }
    const std::string name = SizeName(size);
    const std::string target = size >= 1'000'000 ? "< 1024" : "";
    Exercise(config, daemon.port(), token, chunks);
    const Rss importer = ReadRss(daemon.pid());
    results.Add(fmt::format("rss_{}_importer_mib", name),
                fmt::format("{} devices: VmRSS after the imports + exercise", name), "MiB", target,
                MiB(importer.rss_kib));
    results.Add(fmt::format("hwm_{}_importer_mib", name),
                fmt::format("{} devices: VmHWM (peak of every import so far)", name), "MiB", target,
                MiB(importer.hwm_kib));
    results.Add(fmt::format("anon_{}_importer_mib", name),
                fmt::format("{} devices: of the VmRSS, anonymous (heap)", name), "MiB", "",
                MiB(importer.anon_kib));
    results.Add(fmt::format("file_{}_importer_mib", name),
                fmt::format("{} devices: of the VmRSS, file pages (code, WAL index)", name), "MiB",
                "", MiB(importer.file_kib));

    if (const int code = daemon.Stop(); code != 0) {
      throw Failure{fmt::format("groundcrewd exited with {}: {}", code, daemon.log())};
    }
    const service::DataDir dir{root};
    const double db_mib = static_cast<double>(FileBytes(dir.database())) / (1024.0 * 1024.0);
    const double wal_mib =
        static_cast<double>(FileBytes(dir.database().string() + "-wal")) / (1024.0 * 1024.0);
    if (!daemon.Start(kMaxBodyBytes)) throw Failure{"groundcrewd did not restart: " + daemon.log()};
    const Rss idle = ReadRss(daemon.pid());
    const double exercise_s = Exercise(config, daemon.port(), token, chunks);
    const Rss fresh = ReadRss(daemon.pid());
    std::cerr << fmt::format(
        "  {} devices: importer VmRSS {:.0f} / VmHWM {:.0f} MiB; restarted: idle {:.0f}, "
        "exercised {:.0f} / VmHWM {:.0f} MiB ({:.2f} s); database {:.0f} MiB + WAL {:.0f} MiB\n",
        name, MiB(importer.rss_kib), MiB(importer.hwm_kib), MiB(idle.rss_kib), MiB(fresh.rss_kib),
        MiB(fresh.hwm_kib), exercise_s, db_mib, wal_mib);
    results.Add(fmt::format("rss_{}_restart_idle_mib", name),
                fmt::format("{} devices: restarted, VmRSS idle", name), "MiB", "",
                MiB(idle.rss_kib));
    results.Add(fmt::format("rss_{}_restart_mib", name),
                fmt::format("{} devices: restarted, VmRSS after exercise", name), "MiB", target,
                MiB(fresh.rss_kib));
    results.Add(fmt::format("hwm_{}_restart_mib", name),
                fmt::format("{} devices: restarted, VmHWM after exercise", name), "MiB", target,
                MiB(fresh.hwm_kib));
    results.Add(fmt::format("db_{}_mib", name),
                fmt::format("{} devices: groundcrew.db (after a clean stop)", name), "MiB", "",
                db_mib);
    results.Add(fmt::format("wal_{}_mib", name),
                fmt::format("{} devices: groundcrew.db-wal (after a clean stop)", name), "MiB", "",
                wal_mib);
  }
  if (const int code = daemon.Stop(); code != 0) {
    throw Failure{fmt::format("groundcrewd exited with {}: {}", code, daemon.log())};
  }
}

int Main(int argc, char** argv) {
  Config config;
  CLI::App app{"gc_memory_bench: groundcrewd's resident memory with many registered devices"};
  app.add_option("--runs", config.runs, "repetitions of the whole sequence")->capture_default_str();
  app.add_option("--sizes", config.sizes, "registered devices at each measurement, ascending")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--chunk-rows", config.chunk_rows, "rows per import request")
      ->capture_default_str();
  app.add_option("--list-pages", config.list_pages, "pages of 1,000 devices listed per exercise")
      ->capture_default_str();
  app.add_option("--plan-calls", config.plan_calls, "GET /v1/plan calls per exercise")
      ->capture_default_str();
  app.add_option("--groundcrewd", config.groundcrewd, "the groundcrewd binary")
      ->capture_default_str();
  app.add_option("--json", config.json_path, "also write every value to this file");
  CLI11_PARSE(app, argc, argv);
  if (config.runs < 1 || config.sizes.empty() || config.chunk_rows < 1 ||
      !std::is_sorted(config.sizes.begin(), config.sizes.end()) || config.sizes.front() < 1 ||
      config.plan_calls < 0 || config.list_pages < 0) {
    std::cerr << "--runs and --chunk-rows must be positive, --sizes positive and ascending\n";
    return 2;
  }
  if (!fs::exists(config.groundcrewd)) {
    std::cerr << "no groundcrewd at \"" << config.groundcrewd
              << "\": build it or pass --groundcrewd PATH\n";
    return 2;
  }

  Results results;
  const std::string load_before = LoadAverage();
  try {
    for (int run = 1; run <= config.runs; ++run) {
      std::cerr << fmt::format("run {}/{}\n", run, config.runs);
      Run(config, results);
    }
  } catch (const Failure& failure) {
    std::cerr << "gc_memory_bench: " << failure.message << "\n";
    return 1;
  } catch (const std::exception& exception) {  // unwinds: the daemon stops, directories go
    std::cerr << "gc_memory_bench: unexpected exception: " << exception.what() << "\n";
    return 1;
  }

  const std::string load_after = LoadAverage();
  std::string sizes;
  for (int s : config.sizes) sizes += (sizes.empty() ? "" : ",") + std::to_string(s);
  std::cout << fmt::format(
      "gc_memory_bench: {} runs; sizes {}; chunks of {} rows over HTTP; groundcrewd with 2 "
      "threads; load average {} before, {} after\n\n",
      config.runs, sizes, config.chunk_rows, load_before, load_after);
  results.Print(std::cout);
  if (!config.json_path.empty()) {
    json::object document = results.ToJson();
    json::array size_list;
    for (int s : config.sizes) size_list.push_back(s);
    document["config"] = {{"runs", config.runs},
                          {"sizes", std::move(size_list)},
                          {"chunkRows", config.chunk_rows},
                          {"listPages", config.list_pages},
                          {"planCalls", config.plan_calls},
                          {"loadAverageBefore", load_before},
                          {"loadAverageAfter", load_after}};
    std::ofstream(config.json_path) << json::serialize(document) << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace groundcrew::bench

int main(int argc, char** argv) { return groundcrew::bench::Main(argc, argv); }

// groundcrew-fleet: N simulated devices against a groundcrew service (docs/fleet.md).
//
//   groundcrew-fleet --spawn --devices 1000            # starts its own groundcrewd
//   groundcrew-fleet --server http://127.0.0.1:8080 --token gcadm_... --devices 100
//   groundcrew-fleet --server http://127.0.0.1:8081,http://127.0.0.1:8082 --token ...
//   groundcrew-fleet --spawn-instances 2 --database postgresql://postgres@127.0.0.1/gc
//
// Exit codes: 0 every device provisioned and reported completely; 1 the run failed (the report
// says what); 2 usage or setup errors.
#include <fcntl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "device/fleet/fleet.hpp"

namespace fs = std::filesystem;
using groundcrew::fleet::FleetOptions;

namespace {

int Usage(const std::string& message) {
  std::cerr << "groundcrew-fleet: " << message << "\n";
  return 2;
}

// Runs `argv` (argv[0] a path) with its output and errors into `log`; its exit status (-1
// when it could not be started or did not exit normally).
int RunLogged(std::vector<std::string> argv, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// How the fleet starts its own service.
struct SpawnOptions {
  std::string domain;
  int threads = 2;
  bool minimum_password_cost = true;
  /// Instances of groundcrewd. One on the embedded SQLite database when `database` is empty;
  /// else this many sharing the PostgreSQL database (a fresh schema of the fleet's own).
  int instances = 1;
  std::string database;
};

// The fleet's own service, in a temporary folder: `groundcrew init` makes a data directory;
// then either one groundcrewd on it (SQLite), or `groundcrew migrate` copies it into a fresh
// schema of a PostgreSQL database and N groundcrewd share that schema and one data directory
// (content and diagnostics). Everything is stopped and removed when this goes away: the
// instances (SIGTERM), the folder and the schema (DROP SCHEMA ... CASCADE).
class SpawnedService {
 public:
  ~SpawnedService() {
    for (const pid_t pid : pids_) {
      if (pid > 0) ::kill(pid, SIGTERM);
    }
    for (const pid_t pid : pids_) {
      int status = 0;
      if (pid > 0) ::waitpid(pid, &status, 0);
    }
    if (!schema_.empty()) {
      if (std::string failed = DropSchema(); !failed.empty()) {
        std::cerr << "groundcrew-fleet: could not drop the schema " << schema_ << ": " << failed
                  << "\n";
      }
    }
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // Makes the tenant and starts the instances; "" on success, else what failed.
  std::string Start(const fs::path& bin, const SpawnOptions& how) {
    char pattern[] = "/tmp/groundcrew-fleet-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return "cannot create a temporary folder";
    dir_ = pattern;
    const fs::path data = dir_ / "var";
    if (RunLogged({(bin / "groundcrew").string(), "init", "--data-dir", data.string(),
                   "--organization", "Fleet", "--domain", how.domain},
                  dir_ / "init.out") != 0) {
      return "groundcrew init failed: " + Slurp("init.out");
    }
    const std::string out = Slurp("init.out");
    const size_t at = out.find("gcadm_");
    if (at == std::string::npos) return "groundcrew init printed no admin token";
    token_ = out.substr(at, out.find_first_of(" \n\r\t", at) - at);

    fs::path data_dir = data;
    const fs::path key_file = dir_ / "secrets.key";
    if (!how.database.empty()) {
      // A schema of this run's own: nothing else in the database is touched.
      database_ = how.database;
      std::random_device random;
      schema_ = fmt::format("fleet_{}_{:08x}", ::getpid(), random());
      const int migrated =
          RunLogged({(bin / "groundcrew").string(), "migrate", "--from", data.string(), "--to",
                     how.database, "--schema", schema_, "--secrets-key-file", key_file.string()},
                    dir_ / "migrate.out");
      if (migrated != 0) return "groundcrew migrate failed: " + Slurp("migrate.out");
      data_dir = dir_ / "shared";  // content and diagnostics, shared by the instances
      std::error_code ec;
      fs::create_directories(data_dir, ec);
      if (ec) return "cannot create " + data_dir.string() + ": " + ec.message();
    }
    const std::string daemon = (bin / "groundcrewd").string();
    for (int i = 0; i < how.instances; ++i) {
      std::vector<std::string> args{daemon,
                                    "--data-dir",
                                    data_dir.string(),
                                    "--listen",
                                    "127.0.0.1:0",
                                    "--port-file",
                                    (dir_ / fmt::format("port-{}", i)).string(),
                                    "--threads",
                                    std::to_string(how.threads),
                                    "--max-body-bytes",
                                    std::to_string(64 << 20),
                                    "--log-level",
                                    "warn"};
      if (!how.database.empty()) {
        args.push_back("--secrets-key-file");
        args.push_back(key_file.string());
      }
      if (how.minimum_password_cost) args.push_back("--insecure-minimum-password-cost");
      // The whole simulated fleet comes from one address: the per-address limits meant for one
      // site would pace it, so they are off (lockouts still apply).
      args.push_back("--no-sign-in-rate-limits");
      // As many password hashes at once as worker threads: none is refused as busy.
      args.push_back("--password-hash-slots");
      args.push_back(std::to_string(how.threads));
      const fs::path log = dir_ / fmt::format("groundcrewd-{}.log", i);
      const pid_t pid = ::fork();
      if (pid < 0) return "cannot start groundcrewd";
      if (pid == 0) {
        // Gone with the fleet, even when the fleet is killed.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) ::dup2(fd, 2);
        if (!how.database.empty()) {
          // In the environment, not on the command line, which every local user can read.
          ::setenv("GROUNDCREW_DATABASE", how.database.c_str(), 1);
          ::setenv("GROUNDCREW_DATABASE_SCHEMA", schema_.c_str(), 1);
        }
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
      }
      pids_.push_back(pid);
      ports_.push_back(0);
    }
    // Every instance listening, or the first that stopped says why.
    for (int tick = 0; tick < 600; ++tick) {
      bool all = true;
      for (std::size_t i = 0; i < pids_.size(); ++i) {
        if (ports_[i] != 0) continue;
        std::ifstream port_file(dir_ / fmt::format("port-{}", i));
        int port = 0;
        if (port_file >> port && port > 0) {
          ports_[i] = static_cast<std::uint16_t>(port);
          continue;
        }
        all = false;
        int status = 0;
        if (::waitpid(pids_[i], &status, WNOHANG) == pids_[i]) {
          pids_[i] = -1;
          return fmt::format("groundcrewd {} stopped: {}", i + 1,
                             Slurp(fmt::format("groundcrewd-{}.log", i)));
        }
      }
      if (all) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "groundcrewd did not start within 30 s";
  }

  const std::vector<pid_t>& pids() const { return pids_; }
  const std::vector<std::uint16_t>& ports() const { return ports_; }
  const std::string& token() const { return token_; }
  const std::string& schema() const { return schema_; }

  // "" when the schema is gone.
  std::string DropSchema() {
    PGconn* connection = ::PQconnectdb(database_.c_str());
    // Not the server's notices ("drop cascades to ..."): the run's output stays the report.
    ::PQsetNoticeProcessor(
        connection, [](void*, const char*) {}, nullptr);
    std::string failed;
    if (::PQstatus(connection) != CONNECTION_OK) {
      failed = ::PQerrorMessage(connection);
    } else {
      PGresult* result =
          ::PQexec(connection, fmt::format("DROP SCHEMA IF EXISTS {} CASCADE", schema_).c_str());
      if (::PQresultStatus(result) != PGRES_COMMAND_OK) failed = ::PQerrorMessage(connection);
      ::PQclear(result);
    }
    ::PQfinish(connection);
    if (failed.empty()) schema_.clear();
    return failed;
  }

 private:
  std::string Slurp(const std::string& name) const {
    std::ifstream in(dir_ / name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
  std::vector<pid_t> pids_;
  std::vector<std::uint16_t> ports_;
  std::string token_;
  std::string schema_;    // the run's own, dropped at the end; empty on SQLite
  std::string database_;  // PostgreSQL's URI; empty on SQLite
};

// CPU seconds and memory of process `pid` from /proc (false when it cannot be read).
bool ReadUsage(pid_t pid, double& cpu_seconds, double& rss_bytes, double& peak_rss_bytes) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  // Fields after the command name (which may hold spaces) start after the last ')'.
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) rss_bytes = std::stod(line.substr(6)) * 1024;
    if (line.starts_with("VmHWM:")) peak_rss_bytes = std::stod(line.substr(6)) * 1024;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"groundcrew-fleet: simulated devices provisioning against a groundcrew service"};
  FleetOptions options;
  std::vector<std::string> servers;
  bool spawn = false;
  int spawn_instances = 0;
  std::string database;
  int service_threads = 2;
  std::string password_cost = "minimum";
  int service_pid = 0;
  int install_ms = 200;
  int think_ms = 0, ramp_ms = 0, deadline_s = 600;
  std::string json_path;
  bool no_user_flow = false;
  auto& shape = options.shape;
  app.add_option("--server", servers,
                 "the service, http://ADDRESS:PORT (a loopback address unless --allow-remote); "
                 "several instances sharing one database: repeat it or separate them with "
                 "commas, and device i talks to the (i mod N)th, the admin to the first")
      ->delimiter(',')
      ->type_name("URL");
  app.add_option("--token", options.admin_token, "an admin token [GROUNDCREW_TOKEN]")
      ->envname("GROUNDCREW_TOKEN");
  app.add_flag("--spawn", spawn,
               "start a groundcrewd of its own on a fresh data directory in a "
               "temporary folder (groundcrew and groundcrewd next to this "
               "program), and measure its CPU and memory");
  app.add_option("--spawn-instances", spawn_instances,
                 "like --spawn, but N groundcrewd on --database: a data directory made by "
                 "`groundcrew init` is copied by `groundcrew migrate` into a fresh schema of its "
                 "own (dropped at the end), and the instances share it; devices are spread over "
                 "them")
      ->type_name("N");
  app.add_option("--database", database,
                 "--spawn-instances: the PostgreSQL database, postgresql://USER@HOST:PORT/DB "
                 "(the role must be allowed to create a schema)")
      ->type_name("URI");
  app.add_option("--service-threads", service_threads,
                 "--spawn, --spawn-instances: each groundcrewd's --threads")
      ->capture_default_str();
  app.add_option("--password-cost", password_cost,
                 "--spawn, --spawn-instances: argon2id cost of the users' passwords: minimum "
                 "(NOT secure; lets thousands of users sign in on a small machine) or interactive "
                 "(the product's, about 64 ms per sign-in here)")
      ->check(CLI::IsMember({"minimum", "interactive"}))
      ->capture_default_str();
  app.add_option("--service-pid", service_pid,
                 "with --server: the service's process id, to report its CPU and memory");
  app.add_flag("--allow-remote", options.allow_remote,
               "allow a service that is not on a loopback address");
  app.add_option("--devices", shape.devices, "simulated devices")->capture_default_str();
  app.add_option("--device-apps", shape.device_apps,
                 "device apps (the first is the ESP's blocking app)")
      ->capture_default_str();
  app.add_option("--user-apps", shape.user_apps, "user apps")->capture_default_str();
  app.add_option("--device-policies", shape.device_policies, "device policies")
      ->capture_default_str();
  app.add_option("--user-policies", shape.user_policies, "user policies")->capture_default_str();
  app.add_option("--delta-apps", options.delta_apps,
                 "device apps assigned between the technician and the user flows")
      ->capture_default_str();
  app.add_option("--install-ms", install_ms, "simulated install time of an app or policy")
      ->capture_default_str();
  app.add_option("--jitter", shape.jitter, "install time spread, ± fraction (0-1)")
      ->capture_default_str();
  app.add_option("--failure-rate", shape.failure_rate,
                 "probability that an attempt of a non-blocking app fails (0-1)")
      ->capture_default_str();
  app.add_option("--installer-classes", shape.installer_classes,
                 "installer classes the device apps are spread over")
      ->capture_default_str();
  app.add_option("--concurrency", options.install_concurrency, "installs at once per device")
      ->capture_default_str();
  app.add_option("--connections", options.connections, "HTTP connections at most, to each server")
      ->capture_default_str();
  app.add_option("--think-ms", think_ms, "a user waits 0..this before signing in")
      ->capture_default_str();
  app.add_option("--ramp-ms", ramp_ms, "devices start spread over this long")
      ->capture_default_str();
  app.add_option("--deadline-seconds", deadline_s, "stop after this long whatever happens")
      ->capture_default_str();
  app.add_option("--seed", shape.seed, "makes devices, keys, users and draws reproducible")
      ->capture_default_str();
  app.add_flag("--no-user-flow", no_user_flow, "stop after the technician flows and reseal");
  app.add_option("--json", json_path, "also write the report as JSON to this file");
  CLI11_PARSE(app, argc, argv);

  options.shape.install_time = std::chrono::milliseconds(install_ms);
  options.think_time = std::chrono::milliseconds(think_ms);
  options.ramp = std::chrono::milliseconds(ramp_ms);
  options.deadline = std::chrono::seconds(deadline_s);
  options.user_flow = !no_user_flow;
  options.progress = [](std::string_view line) { std::cerr << line << std::endl; };

  // Where the service comes from: one of --server, --spawn, --spawn-instances.
  const bool spawn_many = app.count("--spawn-instances") > 0;
  if (spawn && !servers.empty()) return Usage("--spawn and --server exclude each other");
  if (spawn_many && !servers.empty()) {
    return Usage("--spawn-instances and --server exclude each other");
  }
  if (spawn && spawn_many) {
    return Usage(
        "--spawn (one instance on SQLite) and --spawn-instances (several on --database) "
        "exclude each other");
  }
  if (spawn_many && (spawn_instances < 1 || spawn_instances > 16)) {
    return Usage("--spawn-instances: give 1 to 16 instances");
  }
  if (spawn_many && database.empty()) {
    return Usage("--spawn-instances needs --database postgresql://USER@HOST:PORT/DB");
  }
  if (!database.empty() && !spawn_many) {
    return Usage(
        "--database is for --spawn-instances (instances given with --server have their "
        "database already)");
  }
  if (!database.empty() && !database.starts_with("postgresql://") &&
      !database.starts_with("postgres://")) {
    return Usage("--database: give a postgresql:// URI");
  }
  if (service_pid > 0 && (spawn || spawn_many)) {
    return Usage("--service-pid is for --server (a spawned service is measured by itself)");
  }
  std::vector<pid_t> service_pids;
  if (service_pid > 0) service_pids.push_back(service_pid);

  SpawnedService spawned;
  if (spawn || spawn_many) {
    const fs::path bin = fs::canonical("/proc/self/exe").parent_path();
    const SpawnOptions how{.domain = shape.domain,
                           .threads = service_threads,
                           .minimum_password_cost = password_cost == "minimum",
                           .instances = spawn_many ? spawn_instances : 1,
                           .database = database};
    if (std::string failed = spawned.Start(bin, how); !failed.empty()) return Usage(failed);
    for (const std::uint16_t port : spawned.ports()) {
      options.servers.push_back({.host = "127.0.0.1", .port = port});
    }
    options.admin_token = spawned.token();
    service_pids = spawned.pids();
    std::string ports;
    for (const std::uint16_t port : spawned.ports()) {
      ports += (ports.empty() ? "127.0.0.1:" : ", 127.0.0.1:") + std::to_string(port);
    }
    std::cerr << (spawn_many ? fmt::format("{} groundcrewd started on PostgreSQL (schema {}): {}",
                                           spawned.ports().size(), spawned.schema(), ports)
                             : "groundcrewd started on " + ports)
              << (password_cost == "minimum" ? " (minimum password cost: NOT secure)" : "")
              << std::endl;
  } else {
    if (servers.empty()) return Usage("--server: give http://ADDRESS:PORT, or --spawn");
    for (const std::string& url : servers) {
      auto endpoint = groundcrew::fleet::ParseServerUrl(url);
      if (!endpoint) return Usage("--" + endpoint.error().message);
      options.servers.push_back(*endpoint);
    }
    if (options.admin_token.empty()) return Usage("--token: give an admin token");
  }
  if (!service_pids.empty()) {
    // Every instance's CPU and memory, added up.
    options.service_usage = [service_pids](double& cpu, double& rss, double& peak) {
      cpu = rss = peak = 0;
      for (const pid_t pid : service_pids) {
        double c = 0, r = 0, p = 0;
        if (!ReadUsage(pid, c, r, p)) return false;
        cpu += c;
        rss += r;
        peak += p;
      }
      return true;
    };
  }

  auto report = groundcrew::fleet::RunFleet(options);
  if (!report) return Usage(report.error().message);
  std::cout << groundcrew::fleet::ToText(*report, options);
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << boost::json::serialize(groundcrew::fleet::ToJson(*report, options)) << "\n";
    if (!out) return Usage("--json: cannot write " + json_path);
  }
  return report->ok() ? 0 : 1;
}

// groundcrew-fleet: N simulated devices against a groundcrew service (docs/fleet.md).
//
//   groundcrew-fleet --spawn --devices 1000            # starts its own groundcrewd
//   groundcrew-fleet --server http://127.0.0.1:8080 --token gcadm_... --devices 100
//
// Exit codes: 0 every device provisioned and reported completely; 1 the run failed (the report
// says what); 2 usage or setup errors.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
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

// A groundcrewd of the fleet's own, on a fresh data directory in a temporary folder, stopped
// and removed when this goes away.
class SpawnedService {
 public:
  ~SpawnedService() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // Runs `groundcrew init` and starts groundcrewd; "" on success, else what failed.
  std::string Start(const fs::path& bin, const std::string& domain, int threads,
                    bool minimum_password_cost) {
    char pattern[] = "/tmp/groundcrew-fleet-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return "cannot create a temporary folder";
    dir_ = pattern;
    const fs::path data = dir_ / "var";
    const std::string init = (bin / "groundcrew").string() + " init --data-dir '" + data.string() +
                             "' --organization Fleet --domain " + domain + " > '" +
                             (dir_ / "init.out").string() + "' 2>&1";
    if (std::system(init.c_str()) != 0) return "groundcrew init failed: " + Slurp("init.out");
    const std::string out = Slurp("init.out");
    const size_t at = out.find("gcadm_");
    if (at == std::string::npos) return "groundcrew init printed no admin token";
    token_ = out.substr(at, out.find_first_of(" \n\r\t", at) - at);
    const std::string daemon = (bin / "groundcrewd").string();
    std::vector<std::string> args{daemon,
                                  "--data-dir",
                                  data.string(),
                                  "--listen",
                                  "127.0.0.1:0",
                                  "--port-file",
                                  (dir_ / "port").string(),
                                  "--threads",
                                  std::to_string(threads),
                                  "--max-body-bytes",
                                  std::to_string(64 << 20),
                                  "--log-level",
                                  "warn"};
    if (minimum_password_cost) args.push_back("--insecure-minimum-password-cost");
    // The whole simulated fleet comes from one address: the per-address limits meant for one
    // site would pace it, so they are off (lockouts still apply).
    args.push_back("--no-sign-in-rate-limits");
    // As many password hashes at once as worker threads: none is refused as busy.
    args.push_back("--password-hash-slots");
    args.push_back(std::to_string(threads));
    pid_ = ::fork();
    if (pid_ < 0) return "cannot start groundcrewd";
    if (pid_ == 0) {
      const int log =
          ::open((dir_ / "groundcrewd.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (log >= 0) ::dup2(log, 2);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    for (int i = 0; i < 300; ++i) {
      std::ifstream port_file(dir_ / "port");
      int port = 0;
      if (port_file >> port && port > 0) {
        port_ = static_cast<std::uint16_t>(port);
        return "";
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return "groundcrewd stopped: " + Slurp("groundcrewd.log");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "groundcrewd did not start within 15 s";
  }

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  const std::string& token() const { return token_; }

 private:
  std::string Slurp(const std::string& name) const {
    std::ifstream in(dir_ / name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string token_;
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
  std::string server;
  bool spawn = false;
  int service_threads = 2;
  std::string password_cost = "minimum";
  int service_pid = 0;
  int install_ms = 200;
  int think_ms = 0, ramp_ms = 0, deadline_s = 600;
  std::string json_path;
  bool no_user_flow = false;
  auto& shape = options.shape;
  app.add_option("--server", server,
                 "the service, http://ADDRESS:PORT (a loopback address "
                 "unless --allow-remote)");
  app.add_option("--token", options.admin_token, "an admin token [GROUNDCREW_TOKEN]")
      ->envname("GROUNDCREW_TOKEN");
  app.add_flag("--spawn", spawn,
               "start a groundcrewd of its own on a fresh data directory in a "
               "temporary folder (groundcrew and groundcrewd next to this "
               "program), and measure its CPU and memory");
  app.add_option("--service-threads", service_threads, "--spawn: groundcrewd's --threads")
      ->capture_default_str();
  app.add_option("--password-cost", password_cost,
                 "--spawn: argon2id cost of the users' passwords: minimum (NOT secure; lets "
                 "thousands of users sign in on a small machine) or interactive (the product's, "
                 "about 64 ms per sign-in here)")
      ->check(CLI::IsMember({"minimum", "interactive"}))
      ->capture_default_str();
  app.add_option("--service-pid", service_pid,
                 "without --spawn: the service's process id, to report its CPU and memory");
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
  app.add_option("--connections", options.connections, "HTTP connections at most")
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

  SpawnedService spawned;
  if (spawn) {
    if (!server.empty()) return Usage("--spawn and --server exclude each other");
    const fs::path bin = fs::canonical("/proc/self/exe").parent_path();
    if (std::string failed =
            spawned.Start(bin, shape.domain, service_threads, password_cost == "minimum");
        !failed.empty()) {
      return Usage(failed);
    }
    options.port = spawned.port();
    options.admin_token = spawned.token();
    service_pid = spawned.pid();
    std::cerr << "groundcrewd started on 127.0.0.1:" << options.port
              << (password_cost == "minimum" ? " (minimum password cost: NOT secure)" : "")
              << std::endl;
  } else {
    const std::string prefix = "http://";
    const size_t colon = server.rfind(':');
    if (!server.starts_with(prefix) || colon == std::string::npos || colon < prefix.size()) {
      return Usage("--server: give http://ADDRESS:PORT, or --spawn");
    }
    options.host = server.substr(prefix.size(), colon - prefix.size());
    if (options.host.starts_with('['))
      options.host = options.host.substr(1, options.host.size() - 2);
    try {
      options.port = static_cast<std::uint16_t>(std::stoi(server.substr(colon + 1)));
    } catch (const std::exception&) {
      return Usage("--server: the port is not a number");
    }
    if (options.admin_token.empty()) return Usage("--token: give an admin token");
  }
  if (service_pid > 0) {
    options.service_usage = [service_pid](double& cpu, double& rss, double& peak) {
      return ReadUsage(service_pid, cpu, rss, peak);
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

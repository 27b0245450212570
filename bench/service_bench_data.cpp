#include "bench/service_bench_data.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/fixtures.hpp"
#include "common/base64.hpp"
#include "core/registration/hardware_hash.hpp"

extern char** environ;

namespace groundcrew::bench {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string GroupName(int g) { return fmt::format("Devices {}", g); }
std::string AppName(int a) { return fmt::format("App {:03}", a); }
std::string UserName(int u) { return fmt::format("user{}@contoso.com", u); }

json::array GroupTargets(std::initializer_list<int> groups, const TenantShape& shape,
                         bool with_intent) {
  json::array targets;
  for (int g : groups) {
    json::object target{{"group", GroupName(g % shape.groups)}};
    if (with_intent) target["intent"] = "required";
    targets.push_back(std::move(target));
  }
  return targets;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int WaitFor(pid_t pid, int options) {
  int status = 0;
  pid_t waited = 0;
  while ((waited = waitpid(pid, &status, options)) < 0 && errno == EINTR) {
  }
  if (waited <= 0) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace

json::value TenantDocument(const TenantShape& shape) {
  json::array users;
  for (int u = 0; u < shape.users; ++u) {
    users.push_back({{"userPrincipalName", UserName(u)},
                     {"displayName", fmt::format("User {}", u)},
                     {"department", u % 2 == 0 ? "Sales" : "Engineering"},
                     {"usageLocation", "US"}});
  }

  json::array groups;
  const std::vector<std::string> rules = DeviceRules(shape.groups);
  for (int g = 0; g < shape.groups; ++g) {
    groups.push_back({{"displayName", GroupName(g)},
                      {"description", fmt::format("Dynamic device group {}", g)},
                      {"membershipRule", rules[static_cast<size_t>(g)]}});
  }
  constexpr int kUserGroups = 10;
  for (int ug = 0; ug < kUserGroups; ++ug) {
    json::array members;
    for (int u = ug; u < shape.users; u += kUserGroups)
      members.push_back(json::string(UserName(u)));
    groups.push_back(
        {{"displayName", fmt::format("Users {}", ug)}, {"members", std::move(members)}});
  }

  json::array apps;
  for (int a = 0; a < shape.apps; ++a) {
    const bool user_app = a % 5 == 4;
    json::object app{
        {"displayName", AppName(a)},
        {"publisher", "Contoso"},
        {"displayVersion", "1.0.0"},
        {"installContext", user_app ? "user" : "device"},
        {"installCommandLine", "sh install.sh"},
        {"installerClass", fmt::format("class-{}", a % 8)},
        {"detectionRules", json::array{{{"kind", "fileVersion"},
                                        {"path", fmt::format("/opt/contoso/app{}/VERSION", a)},
                                        {"value", "1.0.0"}}}}};
    if (a % 10 == 1) {
      app["dependencies"] = json::array{{{"app", AppName(a - 1)}, {"autoInstall", true}}};
    }
    json::array assignments = GroupTargets({a * 7, a * 7 + 331, a * 7 + 662}, shape, true);
    if (a % 20 == 0) {
      assignments.push_back(
          {{"group", fmt::format("Users {}", (a / 20) % kUserGroups)}, {"intent", "required"}});
    }
    app["assignments"] = std::move(assignments);
    apps.push_back(std::move(app));
  }

  json::array policies;
  for (int p = 0; p < shape.policies; ++p) {
    policies.push_back({{"displayName", fmt::format("Policy {:03}", p)},
                        {"settings", {{"screenLock.idleMinutes", 10}, {"firewall.enabled", true}}},
                        {"assignments", GroupTargets({p * 11 + 3, p * 11 + 503}, shape, false)}});
  }
  json::array certificates;
  for (int c = 0; c < 20; ++c) {
    certificates.push_back({{"displayName", fmt::format("Certificate {}", c)},
                            {"subjectNameFormat", "CN={{DeviceName}}"},
                            {"validityPeriodDays", 365},
                            {"extendedKeyUsages", json::array{"clientAuth"}},
                            {"assignments", GroupTargets({c * 50 + 93}, shape, false)}});
  }
  json::array networks;
  for (int n = 0; n < 10; ++n) {
    networks.push_back({{"displayName", fmt::format("Wi-Fi {}", n)},
                        {"kind", "wifi"},
                        {"scope", "device"},
                        {"ssid", fmt::format("CONTOSO-{}", n)},
                        {"security", "wpa2Personal"},
                        {"preSharedKey", "bench-only-not-a-secret"},
                        {"connectAutomatically", true},
                        {"assignments", GroupTargets({n * 100 + 93}, shape, false)}});
  }
  json::array compliance;
  for (int c = 0; c < 3; ++c) {
    compliance.push_back({{"displayName", fmt::format("Compliance {}", c)},
                          {"platforms", "linux"},
                          {"osName", "debian"},
                          {"osMinimumVersion", "12.5"},
                          {"screenLockRequired", true},
                          {"assignments", GroupTargets({c * 300 + 93}, shape, false)}});
  }

  auto profile = [](std::string name, json::array assignments) {
    json::object p{{"displayName", std::move(name)},
                   {"preprovisioningAllowed", true},
                   {"deviceNameTemplate", "CON-%SERIAL%"},
                   {"outOfBoxExperienceSetting",
                    {{"privacySettingsHidden", true},
                     {"eulaHidden", true},
                     {"userType", "standard"},
                     {"deviceUsageType", "singleUser"}}}};
    if (assignments.empty()) {
      p["isTenantDefault"] = true;
    } else {
      p["assignments"] = std::move(assignments);
    }
    return p;
  };
  json::array deployment_profiles{profile("Default profile", {}),
                                  profile("Standard", GroupTargets({193}, shape, false)),
                                  profile("Kiosk", GroupTargets({5, 15}, shape, false)),
                                  profile("Lab", GroupTargets({7, 17, 27}, shape, false))};

  json::array esp_profiles;
  esp_profiles.push_back({{"displayName", "Default ESP"}, {"isDefault", true}});
  for (int e = 1; e <= 4; ++e) {
    json::array blocking;
    for (int a = e * 10; a < e * 10 + 4; ++a) blocking.push_back(json::string(AppName(a)));
    esp_profiles.push_back({{"displayName", fmt::format("ESP {}", e)},
                            {"priority", e},
                            {"showInstallationProgress", true},
                            {"installProgressTimeoutInMinutes", 60},
                            {"selectedMobileApps", std::move(blocking)},
                            {"assignments", GroupTargets({e == 4 ? 93 : e * 3}, shape, false)}});
  }

  return {{"apiVersion", "groundcrew/v1"},
          {"users", std::move(users)},
          {"groups", std::move(groups)},
          {"apps", std::move(apps)},
          {"policies", std::move(policies)},
          {"certificateProfiles", std::move(certificates)},
          {"networkProfiles", std::move(networks)},
          {"compliancePolicies", std::move(compliance)},
          {"deploymentProfiles", std::move(deployment_profiles)},
          {"espProfiles", std::move(esp_profiles)}};
}

std::string SerialOf(int i, int seed) { return fmt::format("S{}N{:08}", seed, i); }

std::string RegistrationCsv(int rows, const TenantShape& shape, int seed) {
  std::string csv =
      "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n";
  csv.reserve(static_cast<size_t>(rows) * 140 + csv.size());
  for (int i = 0; i < rows; ++i) {
    core::HardwareHashFields fields;
    fields.serial_number = SerialOf(i, seed);
    fields.manufacturer = i % 3 == 0 ? "Contoso" : "Fabrikam";
    fields.model = fmt::format("Model {}", i % 20);
    fields.public_key[0] = static_cast<uint8_t>(i);
    fields.public_key[1] = static_cast<uint8_t>(i >> 8);
    fields.public_key[2] = static_cast<uint8_t>(i >> 16);
    fields.public_key[3] = static_cast<uint8_t>(seed);
    const std::string user = i % 10 == 0 ? UserName(i % shape.users) : "";
    csv += fmt::format("{},,{},Tag{},{}\r\n", fields.serial_number,
                       base64::Encode(core::EncodeHardwareHash(fields)), i % shape.tag_count, user);
  }
  return csv;
}

DaemonProcess::~DaemonProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 1000; ++i) {
    if (WaitFor(pid_, WNOHANG) >= 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  WaitFor(pid_, 0);
}

bool DaemonProcess::Start(std::size_t max_body_bytes, const std::vector<std::string>& extra_args) {
  const fs::path port_file = data_dir_ / "port";
  fs::remove(port_file);
  // One log per start: several daemons may share a data directory (PostgreSQL).
  static std::atomic<int> started{0};
  log_path_ = data_dir_.parent_path() / ("groundcrewd-" + std::to_string(++started) + ".log");
  const std::vector<std::string> argv = {binary_.string(),
                                         "--data-dir",
                                         data_dir_.string(),
                                         "--listen",
                                         "127.0.0.1:0",
                                         "--port-file",
                                         port_file.string(),
                                         "--threads",
                                         "2",
                                         "--max-body-bytes",
                                         std::to_string(max_body_bytes),
                                         "--log-level",
                                         "warn"};
  std::vector<std::string> all = argv;
  all.insert(all.end(), extra_args.begin(), extra_args.end());
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const std::string& arg : all) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
  if (pid_ < 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(port_file)) {
      port_ = static_cast<std::uint16_t>(std::stoi(ReadAll(port_file)));
      return true;
    }
    if (WaitFor(pid_, WNOHANG) >= 0) {  // exited early
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int DaemonProcess::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const int code = WaitFor(pid_, 0);
  pid_ = -1;
  return code;
}

std::int64_t DaemonProcess::PeakRssKib() const {
  if (pid_ <= 0) return 0;
  std::istringstream status(ReadAll(fmt::format("/proc/{}/status", pid_)));
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stoll(line.substr(6));
  }
  return 0;
}

std::string DaemonProcess::log() const { return ReadAll(log_path_); }

}  // namespace groundcrew::bench

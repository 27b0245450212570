#include "device/fleet/fleet.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <memory>

#include "device/executor/sim_executor.hpp"
#include "device/fleet/http_pool.hpp"
#include "device/fleet/sim_device.hpp"
#include "device/flow/device_answers.hpp"
#include "device/flow/registration_row.hpp"
#include "identity/random.hpp"
#include "identity/totp.hpp"

namespace groundcrew::fleet {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using Steady = std::chrono::steady_clock;

constexpr int kImportRows = 10'000;  // rows per registration file
constexpr std::size_t kMaxFailuresListed = 20;

std::string Escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

// Runs work(0..n-1), `width` at a time (all n when width >= n), on `io` until all are done or
// `deadline` passes (false). After a false the io_context holds unfinished work: run no more.
bool RunStage(asio::io_context& io, int n, int width, Steady::time_point deadline,
              const std::function<awaitable<void>(int)>& work) {
  io.restart();
  int next = 0;
  int active = 0;
  bool timed_out = false;
  asio::steady_timer guard(io, deadline);
  auto worker = [&]() -> awaitable<void> {
    while (next < n) {
      const int i = next++;
      co_await work(i);
    }
    if (--active == 0) guard.cancel();
  };
  for (int w = 0; w < std::min(n, std::max(1, width)); ++w) {
    ++active;
    asio::co_spawn(io, worker(), asio::detached);
  }
  if (active == 0) return true;
  guard.async_wait([&](boost::system::error_code ec) {
    if (!ec) {
      timed_out = true;
      io.stop();
    }
  });
  io.run();
  return !timed_out;
}

// A call of the admin API, timed under "admin <kind>". Views as HttpPool::Request's: callers
// pass named objects or literals. A request that may be sent again — a read, a PUT, or a write
// with an `idempotency_key` (which the service stores with its first answer) — is, unchanged,
// when its connection fails or it is answered 502 or 503 (an instance went away behind a load
// balancer), for up to 30 s.
awaitable<Result<json::value>> Admin(HttpPool& http, Stats& stats, std::string_view token,
                                     std::string_view kind, std::string_view method,
                                     std::string_view target, std::string_view body,
                                     std::string_view content_type = {},
                                     std::string_view idempotency_key = {}) {
  const bool replayable = method == "GET" || method == "PUT" || !idempotency_key.empty();
  const auto give_up = Steady::now() + std::chrono::seconds(30);
  Result<HttpAnswer> answer = MakeError(ErrorCode::kInternal, "not sent");
  auto sent = Steady::now();
  for (int retry = 0;; ++retry) {
    if (retry > 0) {
      asio::steady_timer pause(co_await asio::this_coro::executor,
                               std::chrono::milliseconds(250LL << std::min(retry - 1, 4)));
      boost::system::error_code ignored;
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    sent = Steady::now();
    answer = co_await http.Request(method, target, body, token, content_type, idempotency_key);
    const bool unavailable = !answer || answer->status == 502 || answer->status == 503;
    if (!unavailable || !replayable || Steady::now() > give_up) break;
    stats.Count(fmt::format("error/admin {}/{}", kind,
                            answer ? std::to_string(answer->status) : std::string("transport")));
  }
  if (!answer) {
    stats.Count(fmt::format("error/admin {}/transport", kind));
    co_return answer.error();
  }
  stats.Add(fmt::format("request/admin {}", kind),
            Milliseconds(Steady::now() - sent - answer->queued));
  stats.Add("queue/connection", Milliseconds(answer->queued));
  boost::system::error_code ec;
  json::value parsed = answer->body.empty() ? json::value() : json::parse(answer->body, ec);
  if (answer->status < 200 || answer->status >= 300) {
    stats.Count(fmt::format("error/admin {}/{}", kind, answer->status));
    co_return MakeError(
        ErrorCode::kUnavailable,
        fmt::format("{}: HTTP {}: {}", kind, answer->status, answer->body.substr(0, 300)),
        "server");
  }
  co_return parsed;
}

// This process's CPU time so far (user + system).
double OwnCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

bool IsLoopback(const std::string& host) {
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

// What the report of one device must say for the run to count it complete.
std::string CheckReport(const json::value& report, const SimDevice& device, bool user_flow) {
  const json::object* root = report.if_object();
  const json::value* sessions = root != nullptr ? root->if_contains("sessions") : nullptr;
  if (sessions == nullptr || !sessions->is_array()) return "no sessions";
  std::vector<const FlowResult*> expected{&device.technician()};
  if (user_flow) expected.push_back(&device.user());
  for (const FlowResult* flow : expected) {
    const json::object* session = nullptr;
    for (const json::value& s : sessions->as_array()) {
      if (device::JsonText(s, "id") == flow->session_id) session = &s.as_object();
    }
    if (session == nullptr) return fmt::format("session {} is missing", flow->session_id);
    const std::string state = device::JsonText(*session, "deploymentState");
    if (state != "success" && state != "successOnRetry") {
      return fmt::format("session {} is {}", flow->session_id, state);
    }
    if (session->at("finishedDateTime").is_null()) return "a session is not finished";
    const json::value& count = session->at("eventCount");
    if (!count.is_int64() || count.as_int64() != flow->events_sent) {
      return fmt::format("session {} has {} events, the device sent {}", flow->session_id,
                         json::serialize(count), flow->events_sent);
    }
    for (const json::value& phase : session->at("phases").as_array()) {
      if (device::JsonText(phase, "status") != "complete") {
        return fmt::format("phase {} is {}", device::JsonText(phase, "phase"),
                           device::JsonText(phase, "status"));
      }
    }
    for (const auto& [phase, ids] : flow->items) {
      for (const std::string& id : ids) {
        bool found = false;
        for (const json::value& item : session->at("items").as_array()) {
          if (device::JsonText(item, "id") != id || device::JsonText(item, "phase") != phase) {
            continue;
          }
          found = device::JsonText(item, "status") != "inProgress";
        }
        if (!found) return fmt::format("item {} of {} is missing or unfinished", id, phase);
      }
    }
  }
  return "";
}

}  // namespace

bool FleetReport::ok() const {
  return !timed_out && technician_succeeded == devices && reports_complete == devices &&
         (!user_flow || user_succeeded == devices) && failures.empty();
}

Result<Endpoint> ParseServerUrl(std::string_view url) {
  constexpr std::string_view kPrefix = "http://";
  const size_t colon = url.rfind(':');
  if (!url.starts_with(kPrefix) || colon == std::string_view::npos || colon < kPrefix.size()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("server: give http://ADDRESS:PORT, not \"{}\"", url), "server");
  }
  Endpoint endpoint;
  endpoint.host = std::string(url.substr(kPrefix.size(), colon - kPrefix.size()));
  if (endpoint.host.starts_with('[') && endpoint.host.ends_with(']')) {
    endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
  }
  std::string_view port = url.substr(colon + 1);
  while (port.ends_with('/')) port.remove_suffix(1);
  int value = 0;
  for (char c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || value > 65535) {
      value = -1;
      break;
    }
    value = value * 10 + (c - '0');
  }
  if (port.empty() || value <= 0 || value > 65535) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("server: the port of {} is not a number from 1 to 65535", url),
                     "server");
  }
  boost::system::error_code ec;
  asio::ip::make_address(endpoint.host, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("server: {} is not an IPv4 or IPv6 address (the fleet resolves "
                                 "no names)",
                                 endpoint.host),
                     "server");
  }
  endpoint.port = static_cast<std::uint16_t>(value);
  return endpoint;
}

Result<FleetReport> RunFleet(const FleetOptions& options) {
  if (Status checked = Check(options.shape); !checked) return checked.error();
  if (options.servers.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "server: give the service's address", "server");
  }
  for (const Endpoint& server : options.servers) {
    if (server.port == 0) {
      return MakeError(ErrorCode::kInvalidArgument, "server: give the service's port", "server");
    }
    boost::system::error_code ec;
    asio::ip::make_address(server.host, ec);
    if (ec) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("server: {} is not an IPv4 or IPv6 address", server.host),
                       "server");
    }
    if (!options.allow_remote && !IsLoopback(server.host)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("server: {} is not a loopback address; the fleet only loads "
                                   "services on this machine unless --allow-remote is given",
                                   server.host),
                       "server");
    }
  }
  if (options.install_concurrency < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "concurrency: must be at least 1", "concurrency");
  }
  const int n = options.shape.devices;
  const auto deadline = Steady::now() + options.deadline;
  auto say = [&](std::string_view line) {
    if (options.progress) options.progress(line);
  };

  asio::io_context io;
  std::vector<std::unique_ptr<HttpPool>> pools;
  for (const Endpoint& server : options.servers) {
    pools.push_back(std::make_unique<HttpPool>(io, server.host, server.port, options.connections,
                                               std::chrono::seconds(30)));
  }
  HttpPool& http = *pools.front();  // the admin's
  FleetReport report;
  report.devices = n;
  report.user_flow = options.user_flow;
  Stats& stats = report.stats;
  executor::SimExecutorOptions sim_options;
  sim_options.seed = options.shape.seed;
  sim_options.facts = SimulatedFacts();
  executor::SimExecutor sim(std::move(sim_options));
  FleetContext context{io, stats, sim, options.install_concurrency, options.think_time};
  std::vector<std::unique_ptr<SimDevice>> devices;
  devices.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    HttpPool& pool = *pools[static_cast<std::size_t>(i) % pools.size()];
    devices.push_back(std::make_unique<SimDevice>(context, pool, IdentityOf(options.shape, i)));
  }
  const int admin_width = static_cast<int>(options.connections);
  std::optional<Error> setup_error;
  auto admin = [&](std::string_view kind, std::string_view method, std::string_view target,
                   std::string_view body, std::string_view type = {},
                   std::string_view idempotency_key = {}) {
    return Admin(http, stats, options.admin_token, kind, method, target, body, type,
                 idempotency_key);
  };

  // Each stage: timed, with the requests and events it made and what the service used.
  auto stage = [&](std::string name, int count, int width,
                   const std::function<awaitable<void>(int)>& work) {
    say(fmt::format("{}: {} ...", name, count));
    StageReport figures{.name = name};
    double cpu0 = -1, rss = -1, peak = -1;
    const bool measured = options.service_usage && options.service_usage(cpu0, rss, peak);
    long long requests0 = 0;
    for (const auto& [series, values] : stats.series()) {
      if (series.starts_with("request/")) requests0 += static_cast<long long>(values.size());
    }
    const long long events0 = stats.counter("events");
    const auto started = Steady::now();
    const double own_cpu = OwnCpuSeconds();
    const bool finished = RunStage(io, count, width, deadline, work);
    figures.fleet_cpu_seconds = OwnCpuSeconds() - own_cpu;
    figures.seconds = Milliseconds(Steady::now() - started) / 1000.0;
    for (const auto& [series, values] : stats.series()) {
      if (series.starts_with("request/")) figures.requests += static_cast<long long>(values.size());
    }
    figures.requests -= requests0;
    figures.events = stats.counter("events") - events0;
    double cpu1 = -1;
    if (measured && options.service_usage(cpu1, rss, peak)) {
      figures.service_cpu_seconds = cpu1 - cpu0;
      figures.service_rss_bytes = rss;
      report.service_peak_rss_bytes = peak;
    }
    say(fmt::format("{}: done in {:.2f} s ({} requests)", name, figures.seconds, figures.requests));
    report.stages.push_back(std::move(figures));
    if (!finished) report.timed_out = true;
    return finished && !setup_error;
  };

  // ---- tenant: the document, then every user's password and authenticator ----
  std::map<std::string, std::string> user_ids;  // upn -> id
  bool ok = stage("tenant", 1, 1, [&](int) -> awaitable<void> {
    const std::string document = json::serialize(TenantDocument(options.shape));
    const std::string key = identity::RandomUuid();
    Result<json::value> applied =
        co_await admin("POST /v1/apply", "POST", "/v1/apply", document, "", key);
    if (!applied) {
      setup_error = applied.error();
      co_return;
    }
    std::string after;
    for (;;) {
      std::string target = "/v1/users?limit=1000";
      if (!after.empty()) target += "&after=" + Escape(after);
      Result<json::value> page = co_await admin("GET /v1/users", "GET", target, "");
      if (!page) {
        setup_error = page.error();
        co_return;
      }
      for (const json::value& user : page->at("value").as_array()) {
        user_ids[device::JsonText(user, "userPrincipalName")] = device::JsonText(user, "id");
      }
      const json::value* next = page->as_object().if_contains("nextAfter");
      if (next == nullptr || !next->is_string()) break;
      after = std::string(next->as_string());
    }
  });
  ok = ok && stage("credentials", n, admin_width, [&](int i) -> awaitable<void> {
         const SimIdentity& who = devices[static_cast<std::size_t>(i)]->identity();
         const std::string path = "/v1/users/" + Escape(user_ids[who.user_principal_name]);
         // Bodies and paths are named: GCC 12 destroys some temporaries of a co_await twice.
         const std::string password = json::serialize(json::object{{"password", who.password}});
         const std::string secret =
             json::serialize(json::object{{"secret", identity::Base32Encode(who.totp_seed)}});
         const std::string password_path = path + "/password";
         const std::string mfa_path = path + "/mfa";
         Result<json::value> set =
             co_await admin("PUT /v1/users/{id}/password", "PUT", password_path, password);
         if (set) set = co_await admin("POST /v1/users/{id}/mfa", "POST", mfa_path, secret);
         if (!set && !setup_error) setup_error = set.error();
       });

  // ---- import: the registration rows, 10,000 to a file ----
  const int files = (n + kImportRows - 1) / kImportRows;
  ok = ok && stage("import", files, 1, [&](int file) -> awaitable<void> {
         std::string csv;
         for (int i = file * kImportRows; i < std::min(n, (file + 1) * kImportRows); ++i) {
           SimDevice& device = *devices[static_cast<std::size_t>(i)];
           identity::SeededDeviceKey key(device.identity().key_seed);
           Result<std::string> row = device::RegistrationCsv(
               {device.identity().serial_number, "Fleet", "Sim 1"}, key.PublicKey().value(),
               "Fleet", device.identity().user_principal_name);
           if (!row) {
             setup_error = row.error();
             co_return;
           }
           csv += csv.empty() ? *row : row->substr(row->find('\n') + 1);
         }
         const std::string key = identity::RandomUuid();
         Result<json::value> imported =
             co_await admin("POST /v1/autopilotDevices/import", "POST",
                            "/v1/autopilotDevices/import", csv, "text/csv", key);
         if (!imported && !setup_error) setup_error = imported.error();
       });
  if (setup_error) {
    return MakeError(ErrorCode::kUnavailable,
                     "the service refused the fleet's tenant: " + setup_error->message, "server");
  }

  // ---- the flows ----
  const auto ramp_delay = [&](int i) { return options.ramp * i / std::max(1, n); };
  auto delayed = [&](int i) -> awaitable<void> {
    const auto delay = ramp_delay(i);
    if (delay.count() > 0) {
      asio::steady_timer timer(io, delay);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  };
  ok = ok && stage("technician", n, n, [&](int i) -> awaitable<void> {
         co_await delayed(i);
         co_await devices[static_cast<std::size_t>(i)]->RunTechnician();
       });
  for (const auto& device : devices) {
    const core::DeploymentState s = device->technician().state;
    if (s == core::DeploymentState::kSuccess || s == core::DeploymentState::kSuccessOnRetry) {
      ++report.technician_succeeded;
    } else if (report.failures.size() < kMaxFailuresListed) {
      report.failures.push_back(fmt::format("{}: technician flow {}: {}",
                                            device->identity().serial_number, core::ToString(s),
                                            device->technician().error));
    }
  }
  if (ok && options.user_flow && options.delta_apps > 0) {
    ok = stage("between", 1, 1, [&](int) -> awaitable<void> {
      const std::string document =
          json::serialize(TenantDocument(options.shape, options.delta_apps));
      const std::string key = identity::RandomUuid();
      Result<json::value> applied =
          co_await admin("POST /v1/apply", "POST", "/v1/apply", document, "", key);
      if (!applied) setup_error = applied.error();
    });
  }
  if (ok && options.user_flow) {
    ok = stage("user", n, n, [&](int i) -> awaitable<void> {
      SimDevice& device = *devices[static_cast<std::size_t>(i)];
      const core::DeploymentState s = device.technician().state;
      if (s != core::DeploymentState::kSuccess && s != core::DeploymentState::kSuccessOnRetry) {
        co_return;
      }
      co_await delayed(i);
      co_await device.RunUser();
    });
    for (const auto& device : devices) {
      const core::DeploymentState s = device->user().state;
      if (s == core::DeploymentState::kSuccess || s == core::DeploymentState::kSuccessOnRetry) {
        ++report.user_succeeded;
      } else if (device->user().ran && report.failures.size() < kMaxFailuresListed) {
        report.failures.push_back(fmt::format("{}: user flow {}: {}",
                                              device->identity().serial_number, core::ToString(s),
                                              device->user().error));
      }
    }
  }

  // ---- verify: every device's report ----
  if (ok) {
    ok = stage("verify", n, admin_width, [&](int i) -> awaitable<void> {
      const SimDevice& device = *devices[static_cast<std::size_t>(i)];
      const std::string path = "/v1/reports/" + Escape(device.identity().serial_number);
      Result<json::value> got = co_await admin("GET /v1/reports/{serial}", "GET", path, "");
      const std::string problem =
          got ? CheckReport(*got, device, options.user_flow) : got.error().message;
      if (problem.empty()) {
        ++report.reports_complete;
      } else if (report.failures.size() < kMaxFailuresListed) {
        report.failures.push_back(
            fmt::format("{}: report: {}", device.identity().serial_number, problem));
      }
    });
  }
  if (setup_error && report.failures.size() < kMaxFailuresListed) {
    report.failures.push_back("setup: " + setup_error->message);
  }
  std::size_t connections = 0;
  for (const auto& pool : pools) connections += pool->connections_opened();
  stats.Count("connections", static_cast<long long>(connections));
  for (const auto& device : devices) {
    report.events_acknowledged += device->technician().events_sent + device->user().events_sent;
  }
  return report;
}

}  // namespace groundcrew::fleet

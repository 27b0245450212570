// groundcrewd: the groundcrew service. Wiring only: configuration, logs, the store, the use
// cases, the routes and the HTTP server; then it waits for SIGINT/SIGTERM and stops gracefully.
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "common/clock.hpp"
#include "common/durable_file.hpp"
#include "identity/password.hpp"
#include "identity/random.hpp"
#include "server/api/admin_api.hpp"
#include "server/api/console_assets.hpp"
#include "server/api/device_api.hpp"
#include "server/daemon/config.hpp"
#include "server/daemon/log.hpp"
#include "server/daemon/operator_metrics.hpp"
#include "server/daemon/startup.hpp"
#include "server/http/error_mapping.hpp"
#include "server/http/http_server.hpp"
#include "server/http/metrics.hpp"
#include "server/service/data_dir.hpp"
#include "server/service/secrets.hpp"
#include "server/service/services.hpp"
#include "server/store/observed_store.hpp"
#include "server/store_sqlite/sqlite_store.hpp"

extern char** environ;

namespace {

using groundcrew::daemon::JsonLog;
namespace fs = std::filesystem;

std::map<std::string, std::string> Environment() {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const size_t equals = text.find('=');
    if (equals != std::string::npos) variables[text.substr(0, equals)] = text.substr(equals + 1);
  }
  return variables;
}

// The sign-in gauges read at render time (the events are counted in CounterFamilies).
std::string SignInMetricsText(const groundcrew::service::Services& services) {
  using groundcrew::daemon::PrometheusValue;
  return PrometheusValue("groundcrew_sign_in_password_hashes_total", "counter",
                         "Password hashes computed by sign-ins (known and unknown names).",
                         static_cast<double>(services.sign_in.metrics().password_hashes.load())) +
         PrometheusValue("groundcrew_device_nonces_rate_limited_total", "counter",
                         "Device nonce requests refused by the per-address rate limit.",
                         static_cast<double>(services.trust.nonces_rate_limited()));
}

// Requests slower than this are logged at warn.
constexpr std::chrono::duration<double> kSlowRequest{1.0};

int Fail(JsonLog& log, const groundcrew::Error& error) {
  log.Write(JsonLog::Level::kError, error.message, {{"field", error.field}});
  return 1;
}

// Writes the port where a supervisor or test can read it, atomically.
bool WritePortFile(const std::string& path, std::uint16_t port) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << port << "\n";
    if (!out) return false;
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  return !ec;
}

// Issues groundcrewd's TLS certificate for `names` ("localhost,127.0.0.1") from the tenant's CA
// and writes it (chain: server certificate, then the CA) and its key beside the CA. Returns the
// two paths.
groundcrew::Result<std::pair<std::string, std::string>> IssueServerCertificate(
    const groundcrew::service::Secrets& secrets, const groundcrew::service::SecretPaths& paths,
    const std::string& names, groundcrew::core::Timestamp now) {
  groundcrew::identity::ServerNames server_names;
  std::stringstream list(names);
  for (std::string name; std::getline(list, name, ',');) {
    if (name.empty()) continue;
    const bool ip = name.find_first_not_of("0123456789.") == std::string::npos ||
                    name.find(':') != std::string::npos;
    (ip ? server_names.ips : server_names.dns).push_back(name);
  }
  auto issued = secrets.ca.IssueServerCertificate(server_names, now, std::chrono::hours(24 * 90));
  if (!issued) {
    groundcrew::Error error = issued.error();
    error.field = "tlsNames";
    return error;
  }
  const fs::path certificate = paths.directory / "server.crt";
  const fs::path key = paths.directory / "server.key";
  if (auto s = groundcrew::durable::WriteFileAtomically(
          certificate, issued->certificate_pem + secrets.ca_certificate_pem, 0600);
      !s) {
    return s.error();
  }
  if (auto s = groundcrew::durable::WriteFileAtomically(key, issued->private_key_pem, 0600); !s) {
    return s.error();
  }
  return std::pair{certificate.string(), key.string()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"groundcrewd: the groundcrew service (admin API over HTTP, SQLite storage)"};
  app.set_version_flag("--version", "groundcrewd " GROUNDCREW_VERSION);
  std::string config_path;
  groundcrew::daemon::ConfigLayer flags;
  app.add_option("--config", config_path,
                 "JSON configuration file (keys: dataDir, listen, "
                 "threads, maxBodyBytes, portFile, logLevel, tlsCert, "
                 "tlsKey, tlsNames, lockoutThreshold, "
                 "lockoutWindowMinutes, lockoutDurationMinutes, maxConnections, "
                 "maxEventStreams)");
  app.add_option("--data-dir", flags.data_dir,
                 "data directory made by `groundcrew init` "
                 "[GROUNDCREW_DATA_DIR, default ./var]");
  app.add_option("--listen", flags.listen,
                 "address:port to serve on; port 0 picks a free port "
                 "[GROUNDCREW_LISTEN, default 127.0.0.1:8080]");
  app.add_option("--threads", flags.threads, "worker threads [GROUNDCREW_THREADS, default 2]");
  app.add_option("--max-body-bytes", flags.max_body_bytes,
                 "largest request body; larger ones get 413 [GROUNDCREW_MAX_BODY_BYTES]");
  app.add_option("--port-file", flags.port_file,
                 "write the bound port to this file once "
                 "listening");
  app.add_option("--log-level", flags.log_level, "debug (every request), info or warn");
  app.add_option("--tls-cert", flags.tls_cert,
                 "serve HTTPS only, with this PEM certificate chain (server certificate first; "
                 "ECDSA P-256 recommended); needs --tls-key [GROUNDCREW_TLS_CERT]")
      ->type_name("FILE");
  app.add_option("--tls-key", flags.tls_key,
                 "the certificate's PEM private key, unencrypted; needs --tls-cert "
                 "[GROUNDCREW_TLS_KEY]")
      ->type_name("FILE");
  app.add_option("--tls-names", flags.tls_names,
                 "serve HTTPS with a certificate groundcrewd issues from the tenant's CA "
                 "(<data-dir>/secrets/ca.crt) for these comma-separated DNS names and IP "
                 "addresses, e.g. localhost,127.0.0.1 [GROUNDCREW_TLS_NAMES]")
      ->type_name("NAMES");
  app.add_option("--metrics-token", flags.metrics_token,
                 "serve /metrics only to a scraper that sends Authorization: Bearer TOKEN "
                 "[GROUNDCREW_METRICS_TOKEN; prefer it or the config file: a command line is "
                 "visible to every local user]")
      ->type_name("TOKEN");
  app.add_option("--lockout-threshold", flags.lockout_threshold,
                 "sign-in failures that lock an account [GROUNDCREW_LOCKOUT_THRESHOLD, "
                 "default 10]");
  app.add_option("--lockout-window-minutes", flags.lockout_window_minutes,
                 "...counted within this many minutes [default 10]");
  app.add_option("--lockout-duration-minutes", flags.lockout_duration_minutes,
                 "...lock it for this many minutes [default 15]");
  int password_hash_slots = 0;
  app.add_option("--password-hash-slots", password_hash_slots,
                 "sign-in password hashes computed at once; more wait (--password-hash-wait-ms), "
                 "then get 503 "
                 "[default 0: half the hardware threads, at least 1]")
      ->check(CLI::Range(0, 1024));
  int password_hash_wait_ms = 0;
  app.add_option("--password-hash-wait-ms", password_hash_wait_ms,
                 "how long a sign-in waits for a password-hash slot before it gets 503 "
                 "[default 0: at once]")
      ->check(CLI::Range(0, 10000));
  app.add_option("--max-connections", flags.max_connections,
                 "open client connections at most; at the cap the longest idle one is closed "
                 "to admit a new one [GROUNDCREW_MAX_CONNECTIONS, default 0: the descriptor "
                 "limit minus 64, at most 4096]");
  app.add_option("--max-event-streams", flags.max_event_streams,
                 "live event streams (GET /v1/deploymentEvents/stream) open at once; one more "
                 "gets 503 [GROUNDCREW_MAX_EVENT_STREAMS, default 256]");
  std::string test_clock_path;
  app.add_option("--test-clock", test_clock_path,
                 "FOR TESTS ONLY: read the current time (Unix seconds) from this file on every "
                 "use")
      ->type_name("FILE")
      ->group("Testing");
  bool minimum_password_cost = false;
  app.add_flag("--insecure-minimum-password-cost", minimum_password_cost,
               "FOR LOAD TESTS ONLY: hash and verify new passwords at libsodium's minimum "
               "argon2id cost (1 pass, 8 KiB) instead of the interactive one (2 passes, "
               "64 MiB, about 64 ms here), so that a fleet of thousands of simulated users can "
               "sign in on a small machine")
      ->group("Testing");
  bool no_rate_limits = false;
  app.add_flag("--no-sign-in-rate-limits", no_rate_limits,
               "FOR LOAD TESTS ONLY: no rate limit on sign-ins per device and per address, nor "
               "on device nonces per address (lockouts still apply)")
      ->group("Testing");
  CLI11_PARSE(app, argc, argv);

  JsonLog startup_log(JsonLog::Level::kInfo);
  groundcrew::daemon::ConfigLayer file;
  if (!config_path.empty()) {
    auto read = groundcrew::daemon::ReadConfigFile(config_path);
    if (!read) return Fail(startup_log, read.error());
    file = *read;
  }
  auto environment = groundcrew::daemon::ReadEnvironment(Environment());
  if (!environment) return Fail(startup_log, environment.error());
  auto config = groundcrew::daemon::Resolve(file, *environment, flags);
  if (!config) return Fail(startup_log, config.error());
  JsonLog log(config->log_level == "debug"  ? JsonLog::Level::kDebug
              : config->log_level == "warn" ? JsonLog::Level::kWarn
                                            : JsonLog::Level::kInfo);

  // Whatever groundcrewd creates is its own: the database holds TOTP seeds and network keys.
  ::umask(0077);
  const groundcrew::service::DataDir data_dir{config->data_dir};
  if (!fs::exists(data_dir.database())) {
    return Fail(log, groundcrew::MakeError(
                         groundcrew::ErrorCode::kFailedPrecondition,
                         "no tenant in " + config->data_dir + ": run `groundcrew init --data-dir " +
                             config->data_dir + " --organization NAME --domain DOMAIN` first",
                         "data-dir"));
  }
  // One groundcrewd per data directory, which it must be able to write; files 0600.
  auto data_dir_lock = groundcrew::daemon::DataDirLock::Take(data_dir.root);
  if (!data_dir_lock) return Fail(log, data_dir_lock.error());
  if (auto writable = groundcrew::daemon::CheckWritable(data_dir.root); !writable) {
    return Fail(log, writable.error());
  }
  if (auto restricted = groundcrew::daemon::RestrictModes(data_dir.root); !restricted) {
    return Fail(log, restricted.error());
  } else if (*restricted > 0) {
    log.Write(JsonLog::Level::kWarn,
              "data directory entries were readable by others: now 0600/0700",
              {{"count", *restricted}});
  }
  auto listen_address = groundcrew::daemon::ResolveListenAddress(config->address);
  if (!listen_address) return Fail(log, listen_address.error());
  auto database =
      groundcrew::store::sqlite::SqliteStore::Open({.path = data_dir.database().string()});
  if (!database) return Fail(log, database.error());
  // Every store call is timed for /metrics.
  groundcrew::server::OperationMetrics store_metrics("store");
  std::unique_ptr<groundcrew::store::Store> store = groundcrew::store::Observe(
      **database, [&store_metrics](std::string_view operation, double seconds, bool ok) {
        store_metrics.Record(operation, seconds, ok);
      });

  const groundcrew::service::Clock clock = groundcrew::FileClock(test_clock_path);
  if (!test_clock_path.empty()) {
    log.Write(JsonLog::Level::kWarn, "the clock is read from a file: for tests only",
              {{"testClock", test_clock_path}});
  }
  const groundcrew::service::SecretPaths secret_paths{data_dir.secrets()};
  auto secrets = groundcrew::service::LoadOrCreateSecrets(secret_paths, "groundcrew", clock());
  if (!secrets) return Fail(log, secrets.error());
  // What the operator counts besides requests (/metrics) and logs at info.
  groundcrew::daemon::CounterFamilies counters;
  counters.Declare("deployments_started", "Deployment sessions started, by flow.", {"flow"});
  counters.Declare("deployments_finished",
                   "Deployment sessions that reached a final state, by flow and state.",
                   {"flow", "state"});
  groundcrew::service::IdentityOptions identity;
  identity.deployment.on_transition =
      [&log, &counters](const groundcrew::service::DeploymentTransition& t) {
        if (!t.finished) {
          counters.Add("deployments_started", {t.flow});
          log.Write(JsonLog::Level::kInfo, "deployment started",
                    {{"flow", t.flow}, {"deviceId", t.device_id}, {"sessionId", t.session_id}});
          return;
        }
        counters.Add("deployments_finished", {t.flow, t.deployment_state});
        const bool failed = t.deployment_state == "failure";
        log.Write(failed ? JsonLog::Level::kWarn : JsonLog::Level::kInfo,
                  failed ? "deployment failed" : "deployment finished",
                  {{"flow", t.flow},
                   {"deviceId", t.device_id},
                   {"sessionId", t.session_id},
                   {"deploymentState", t.deployment_state}});
      };
  identity.sign_in.lockout = {config->lockout_threshold,
                              std::chrono::minutes(config->lockout_window_minutes),
                              std::chrono::minutes(config->lockout_duration_minutes)};
  // One line per refused sign-in, lockout, rate-limited or busy sign-in: names, device and
  // address only, never a password or a code.
  counters.Declare("sign_in_events",
                   "Refused sign-ins (failure), locks set (lockout), rate-limited and busy "
                   "sign-ins, by kind and reason.",
                   {"kind", "reason"});
  identity.sign_in.observer = [&log, &counters](const groundcrew::service::SignInEvent& event) {
    using Kind = groundcrew::service::SignInEvent::Kind;
    counters.Add("sign_in_events", {groundcrew::service::ToString(event.kind), event.reason});
    const bool warn = event.kind == Kind::kLockout || event.kind == Kind::kBusy;
    const char* message = event.kind == Kind::kLockout       ? "sign-in lockout"
                          : event.kind == Kind::kRateLimited ? "sign-in rate limited"
                          : event.kind == Kind::kBusy        ? "sign-in refused: busy"
                                                             : "sign-in failed";
    log.Write(warn ? JsonLog::Level::kWarn : JsonLog::Level::kInfo, message,
              {{"event", groundcrew::service::ToString(event.kind)},
               {"userPrincipalName", event.user_principal_name},
               {"deviceId", event.device_id},
               {"sourceAddress", event.source_address},
               {"reason", event.reason}});
  };
  identity.sign_in.concurrent_password_hashes = password_hash_slots;
  identity.sign_in.password_hash_wait = std::chrono::milliseconds(password_hash_wait_ms);
  if (no_rate_limits) {
    const groundcrew::identity::RateLimit unlimited{.burst = 1e12, .per_second = 1e12};
    identity.sign_in.device_rate = unlimited;
    identity.sign_in.source_rate = unlimited;
    identity.trust.nonce_rate = unlimited;
    log.Write(JsonLog::Level::kWarn,
              "sign-ins and device nonces are not rate limited: for load "
              "tests only",
              {});
  }
  if (minimum_password_cost) {
    identity.sign_in.password_cost = groundcrew::identity::kMinimumPasswordCost;
    log.Write(JsonLog::Level::kWarn,
              "passwords are hashed at the minimum argon2id cost: for load tests only", {});
  }
  groundcrew::service::Services services(
      *store, groundcrew::service::ContentStore(data_dir.content()), data_dir.diagnostics(), clock,
      std::move(*secrets),
      [secret_paths](const groundcrew::identity::KeyRing& keys) {
        return groundcrew::service::SaveKeyRing(secret_paths, keys);
      },
      identity);
  // Diagnostics archives are kept 28 days: what expired while the service was down goes now.
  if (auto purged = services.diagnostics.Purge(); !purged) {
    return Fail(log, purged.error());
  } else if (*purged > 0) {
    log.Write(JsonLog::Level::kInfo, "expired diagnostics archives removed",
              {{"count", static_cast<std::int64_t>(*purged)}});
  }
  // Console sessions that expired while the service was down go now (the others as they are met).
  if (auto purged = services.admins.PurgeExpired(); !purged) return Fail(log, purged.error());
  // A stored resource that cannot be read is left out (the rest of the tenant serves) and said
  // here, once per start; GET /v1/catalog/problems lists them for admins.
  if (auto problems = services.catalog.Problems(); !problems) {
    log.Write(JsonLog::Level::kError, "the catalog cannot be read",
              {{"error", problems.error().message}});
  } else {
    for (const groundcrew::service::CatalogProblem& problem : *problems) {
      log.Write(JsonLog::Level::kError, "stored resource left out of the catalog",
                {{"kind", groundcrew::store::ToString(problem.kind)},
                 {"id", problem.id},
                 {"name", problem.name},
                 {"reason", problem.reason}});
    }
  }
  groundcrew::server::Router router;
  // Console session cookies are Secure when groundcrewd serves TLS (a certificate given or
  // issued from the tenant's CA).
  const groundcrew::api::AdminApiOptions admin_api{.secure_cookies = !config->tls_cert.empty() ||
                                                                     !config->tls_names.empty()};
  if (auto added = groundcrew::api::AddAdminRoutes(router, services, admin_api); !added) {
    return Fail(log, added.error());
  }
  if (auto added = groundcrew::api::AddDeviceApiRoutes(router, services); !added) {
    return Fail(log, added.error());
  }
  // /healthz answers while the process serves (liveness); /readyz while it can also write.
  (void)router.Add(
      "GET", "/readyz",
      [&data_dir](const groundcrew::server::Request&, const groundcrew::server::PathParams&) {
        const groundcrew::Status ready = groundcrew::daemon::CheckReady(data_dir.root);
        if (ready) return groundcrew::server::JsonResponse(200, R"({"status":"ready"})");
        return groundcrew::server::JsonResponse(
            503, boost::json::serialize(boost::json::object{{"status", "notReady"},
                                                            {"reason", ready.error().message}}));
      });
  // /metrics: the server's request metrics (the built-in route's) followed by store timings.
  // With a metrics token, only a scraper that presents it reads them.
  groundcrew::server::HttpServer* server_metrics = nullptr;  // set once the server exists
  const groundcrew::store::sqlite::SqliteStore& sqlite = **database;
  (void)router.Add(
      "GET", "/metrics",
      [&server_metrics, &store_metrics, &counters, &sqlite, &services,
       token = config->metrics_token](const groundcrew::server::Request& request,
                                      const groundcrew::server::PathParams&) {
        if (!token.empty() && !groundcrew::identity::SameSecret(
                                  request.headers.Get("Authorization"), "Bearer " + token)) {
          groundcrew::server::Response refused = groundcrew::server::ErrorResponse(
              groundcrew::MakeError(groundcrew::ErrorCode::kUnauthenticated,
                                    "/metrics needs the metrics token: Authorization: Bearer "
                                    "<token> (groundcrewd --metrics-token)",
                                    "Authorization"));
          refused.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"groundcrew-metrics\"");
          return refused;
        }
        const groundcrew::store::sqlite::PoolWaits waits = sqlite.waits();
        using groundcrew::daemon::PrometheusValue;
        groundcrew::server::Response response;
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        response.body = server_metrics->metrics().RenderPrometheus() +
                        store_metrics.RenderPrometheus() + counters.RenderPrometheus() +
                        PrometheusValue("groundcrew_store_writer_waits_total", "counter",
                                        "Writes that waited for the database writer.",
                                        static_cast<double>(waits.writer_waits)) +
                        PrometheusValue("groundcrew_store_writer_wait_seconds_total", "counter",
                                        "Time spent waiting for the database writer.",
                                        waits.writer_wait_seconds) +
                        PrometheusValue("groundcrew_store_reader_waits_total", "counter",
                                        "Reads that waited for a free database reader.",
                                        static_cast<double>(waits.reader_waits)) +
                        PrometheusValue("groundcrew_store_reader_wait_seconds_total", "counter",
                                        "Time spent waiting for a free database reader.",
                                        waits.reader_wait_seconds) +
                        SignInMetricsText(services);
        return response;
      });

  // The admin's console at / (web/console, embedded): registered last, as it answers every other
  // GET path with its page.
  if (auto added = groundcrew::api::AddConsoleRoutes(router, groundcrew::api::ConsoleFiles());
      !added) {
    return Fail(log, added.error());
  }

  // SIGINT/SIGTERM are taken by sigwait below, never delivered asynchronously: block them
  // before any thread starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  groundcrew::server::HttpServerOptions options;
  options.address = *listen_address;
  options.port = config->port;
  options.threads = config->threads;
  options.max_body_bytes = config->max_body_bytes;
  options.max_connections = static_cast<std::size_t>(config->max_connections);
  options.max_streams = config->max_event_streams;
  if (!config->tls_names.empty()) {  // HTTPS with a certificate from the tenant's CA
    auto issued =
        IssueServerCertificate(services.secrets, secret_paths, config->tls_names, clock());
    if (!issued) return Fail(log, issued.error());
    config->tls_cert = issued->first;
    config->tls_key = issued->second;
  }
  const bool https = !config->tls_cert.empty();  // Resolve() guarantees the key is set too
  if (https) options.tls = groundcrew::server::TlsOptions{config->tls_cert, config->tls_key};
  options.log = [&log](std::string_view line) { log.Write(JsonLog::Level::kError, line); };
  // The access log. At info: every write (actor, method, path, status) and every refused
  // credential (route, reason, client address: never the credential); at warn: requests slower
  // than kSlowRequest; at error: server errors. Reads at debug.
  options.access_log = [&log](const groundcrew::server::RequestRecord& r) {
    const bool refused = r.status == 401 || r.status == 403;
    // A long poll for events (waitSeconds) is slow by design.
    const bool slow = r.seconds >= kSlowRequest.count() && r.route != "/v1/deploymentEvents";
    const bool write = r.method != "GET" && r.method != "HEAD";
    const JsonLog::Level level = r.status >= 500    ? JsonLog::Level::kError
                                 : slow             ? JsonLog::Level::kWarn
                                 : refused || write ? JsonLog::Level::kInfo
                                                    : JsonLog::Level::kDebug;
    if (!log.Enabled(level)) return;
    boost::json::object fields{{"method", r.method},
                               {"path", r.path},
                               {"route", r.route},
                               {"status", r.status},
                               {"ms", std::round(r.seconds * 100'000) / 100},
                               {"bytes", r.response_bytes},
                               {"client", r.remote_address},
                               {"requestId", r.request_id}};
    if (!r.actor.empty()) fields["actor"] = r.actor;
    if (refused) fields["reason"] = r.reason;
    log.Write(level,
              refused ? "request refused"
              : slow  ? "slow request"
                      : "request",
              std::move(fields));
  };
  groundcrew::server::HttpServer server(options, std::move(router));
  server_metrics = &server;
  if (auto started = server.Start(); !started) {
    groundcrew::Error error = started.error();  // name the setting as groundcrewd spells it
    if (error.field == "certificate_chain_file") error.field = "tlsCert";
    if (error.field == "private_key_file") error.field = "tlsKey";
    return Fail(log, error);
  }
  if (!config->port_file.empty() && !WritePortFile(config->port_file, server.port())) {
    server.Stop();
    return Fail(
        log, groundcrew::MakeError(groundcrew::ErrorCode::kUnavailable,
                                   "cannot write the port file " + config->port_file, "port-file"));
  }
  if (!https && config->address != "127.0.0.1" && config->address != "::1" &&
      config->address != "localhost") {
    log.Write(JsonLog::Level::kWarn,
              "serving plain HTTP beyond loopback: credentials cross the network unencrypted; "
              "use --tls-cert and --tls-key",
              {{"address", config->address}});
  }
  log.Write(JsonLog::Level::kInfo, "listening",
            {{"scheme", https ? "https" : "http"},
             {"address", config->address},
             {"port", server.port()},
             {"dataDir", config->data_dir},
             {"threads", config->threads}});

  int received = 0;
  sigwait(&signals, &received);
  log.Write(JsonLog::Level::kInfo, "stopping",
            {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  services.deployment.StopWaiting();  // long polls for events answer now
  server.Stop();
  log.Write(JsonLog::Level::kInfo, "stopped");
  return 0;
}

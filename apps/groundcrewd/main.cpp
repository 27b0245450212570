// groundcrewd: the groundcrew service. Wiring only: configuration, logs, the store, the use
// cases, the routes and the HTTP server; then it waits for SIGINT/SIGTERM and stops gracefully.
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

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
#include "server/service/leader_jobs.hpp"
#include "server/service/secrets.hpp"
#include "server/service/services.hpp"
#include "server/service/stored_secrets.hpp"
#include "server/store/observed_store.hpp"
#include "server/store_postgres/postgres_store.hpp"
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

// This instance's name among those sharing a database: host, port and a random part (a
// restarted instance is another holder).
std::string InstanceName(std::uint16_t port) {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return fmt::format("{}:{}:{}", host, port, groundcrew::identity::RandomToken(6));
}

// Runs LeaderJobs every interval on a thread of its own, and reloads the key ring on every
// instance; logs what changes (leadership, failed jobs). Stops (and resigns) on destruction.
class LeaderLoop {
 public:
  LeaderLoop(groundcrew::service::LeaderJobs jobs, groundcrew::service::TokenService& tokens,
             JsonLog& log, std::atomic<bool>& is_leader)
      : jobs_(std::move(jobs)), tokens_(tokens), log_(log), is_leader_(is_leader), thread_([this] {
          Run();
        }) {}
  LeaderLoop(const LeaderLoop&) = delete;
  LeaderLoop& operator=(const LeaderLoop&) = delete;
  ~LeaderLoop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    if (is_leader_) (void)jobs_.Resign();
    is_leader_ = false;
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      lock.unlock();
      Round();
      lock.lock();
      wake_.wait_for(lock, jobs_.interval(), [this] { return stop_; });
    }
  }

  void Round() {
    if (auto reloaded = tokens_.Reload(); !reloaded) {
      log_.Write(JsonLog::Level::kWarn, "cannot read the token key ring",
                 {{"error", reloaded.error().message}});
    }
    auto round = jobs_.RunIfLeader();
    if (!round) {
      log_.Write(JsonLog::Level::kWarn, "cannot take or renew the leader lease",
                 {{"error", round.error().message}});
      return;
    }
    if (round->leader != is_leader_.exchange(round->leader)) {
      log_.Write(
          JsonLog::Level::kInfo,
          round->leader ? "leading: this instance sweeps and rotates keys" : "no longer leading",
          {{"instance", jobs_.holder()}});
    }
    for (const std::string& failed : round->failed) {
      log_.Write(JsonLog::Level::kWarn, "a leader job failed", {{"job", failed}});
    }
  }

  groundcrew::service::LeaderJobs jobs_;
  groundcrew::service::TokenService& tokens_;
  JsonLog& log_;
  std::atomic<bool>& is_leader_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;   // guarded by mutex_
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "groundcrewd: the groundcrew service (admin and device APIs over HTTP; SQLite, or "
      "PostgreSQL shared by several instances)"};
  app.set_version_flag("--version", "groundcrewd " GROUNDCREW_VERSION);
  std::string config_path;
  groundcrew::daemon::ConfigLayer flags;
  app.add_option("--config", config_path,
                 "JSON configuration file (keys: dataDir, listen, "
                 "threads, maxBodyBytes, portFile, logLevel, tlsCert, "
                 "tlsKey, tlsNames, lockoutThreshold, "
                 "lockoutWindowMinutes, lockoutDurationMinutes, maxConnections, "
                 "maxEventStreams, database, databaseSchema, databaseConnections, "
                 "secretsKeyFile)");
  app.add_option("--data-dir", flags.data_dir,
                 "data directory made by `groundcrew init`; with --database, the folder every "
                 "instance shares for app content and diagnostics "
                 "[GROUNDCREW_DATA_DIR, default ./var]");
  app.add_option("--database", flags.database,
                 "a PostgreSQL database that several instances share, as "
                 "postgresql://user@host/dbname (docs/scale-out.md); default: the embedded "
                 "SQLite database in the data directory [GROUNDCREW_DATABASE; prefer it or the "
                 "config file for a password: a command line is visible to every local user]")
      ->type_name("URI");
  app.add_option("--database-connections", flags.database_connections,
                 "with --database: connections for reads, next to the one for writes "
                 "[GROUNDCREW_DATABASE_CONNECTIONS, default 4]");
  app.add_option("--secrets-key-file", flags.secrets_key_file,
                 "with --database: the key (64 hex digits, mode 0600) that seals the service's "
                 "secrets in the database [GROUNDCREW_SECRETS_KEY_FILE]")
      ->type_name("FILE");
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
  int leader_interval_seconds = 30;
  app.add_option("--leader-interval-seconds", leader_interval_seconds,
                 "with --database: how often the leader sweeps and rotates keys, and every "
                 "instance takes a rotated key ring (the leader's lease lasts three times this)")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str()
      ->group("Testing");
  bool no_rate_limits = false;
  app.add_flag("--no-sign-in-rate-limits", no_rate_limits,
               "FOR LOAD TESTS ONLY: no rate limit on sign-ins per device and per address, nor "
               "on device nonces per address (lockouts still apply)")
      ->group("Testing");
  CLI11_PARSE(app, argc, argv);

  // SIGINT/SIGTERM are taken by sigwait at the end, never delivered asynchronously: block them
  // before any thread starts (the PostgreSQL store's listener is one) so every thread inherits
  // the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

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
  const bool postgres = config->uses_postgres();
  // SQLite: one groundcrewd per data directory, which holds the database and the secrets.
  // PostgreSQL: the data directory holds only app content and diagnostics archives, shared by
  // every instance (docs/scale-out.md): no lock, and the tenant is in the database.
  std::optional<groundcrew::daemon::DataDirLock> data_dir_lock;
  if (!postgres) {
    if (!fs::exists(data_dir.database())) {
      return Fail(
          log, groundcrew::MakeError(groundcrew::ErrorCode::kFailedPrecondition,
                                     "no tenant in " + config->data_dir +
                                         ": run `groundcrew init --data-dir " + config->data_dir +
                                         " --organization NAME --domain DOMAIN` first",
                                     "data-dir"));
    }
    auto lock = groundcrew::daemon::DataDirLock::Take(data_dir.root);
    if (!lock) return Fail(log, lock.error());
    data_dir_lock.emplace(std::move(*lock));
  } else {
    std::error_code ec;
    fs::create_directories(data_dir.content(), ec);
    fs::create_directories(data_dir.diagnostics(), ec);
    if (!fs::is_directory(data_dir.root)) {
      return Fail(log, groundcrew::MakeError(
                           groundcrew::ErrorCode::kFailedPrecondition,
                           "the shared data directory " + config->data_dir + " cannot be created",
                           "data-dir"));
    }
  }
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
  std::unique_ptr<groundcrew::store::Store> database;
  const groundcrew::store::sqlite::SqliteStore* sqlite = nullptr;  // for its pool's metrics
  if (postgres) {
    auto opened = groundcrew::store::postgres::PostgresStore::Open(
        {.conninfo = config->database,
         .schema = config->database_schema,
         .read_connections = config->database_connections});
    if (!opened) return Fail(log, opened.error());
    database = std::move(*opened);
    auto tenant =
        database->resources().FindByName(groundcrew::store::ResourceKind::kTenant, "tenant");
    if (!tenant) return Fail(log, tenant.error());
    if (!*tenant) {
      return Fail(log, groundcrew::MakeError(
                           groundcrew::ErrorCode::kFailedPrecondition,
                           "no tenant in the database " +
                               groundcrew::daemon::RedactedDatabase(config->database) +
                               ": copy one there with `groundcrew migrate --from DATA_DIR --to "
                               "postgresql://...` (docs/scale-out.md)",
                           "database"));
    }
  } else {
    auto opened =
        groundcrew::store::sqlite::SqliteStore::Open({.path = data_dir.database().string()});
    if (!opened) return Fail(log, opened.error());
    sqlite = opened->get();
    database = std::move(*opened);
  }
  // Every store call is timed for /metrics.
  groundcrew::server::OperationMetrics store_metrics("store");
  std::unique_ptr<groundcrew::store::Store> store = groundcrew::store::Observe(
      *database, [&store_metrics](std::string_view operation, double seconds, bool ok) {
        store_metrics.Record(operation, seconds, ok);
      });

  const groundcrew::service::Clock clock = groundcrew::FileClock(test_clock_path);
  if (!test_clock_path.empty()) {
    log.Write(JsonLog::Level::kWarn, "the clock is read from a file: for tests only",
              {{"testClock", test_clock_path}});
  }
  // The secrets: files in the data directory (SQLite), or sealed in the shared database under
  // the operator's secrets key (PostgreSQL). In the TLS certificate's folder, groundcrewd
  // writes the certificate it issues itself (--tls-names): per instance.
  groundcrew::service::SecretPaths secret_paths{data_dir.secrets()};
  std::optional<groundcrew::service::StoredKeyRing> stored_ring;
  groundcrew::Result<groundcrew::service::Secrets> secrets =
      groundcrew::MakeError(groundcrew::ErrorCode::kInternal, "secrets not loaded");
  if (postgres) {
    auto key = groundcrew::service::ReadSecretsKey(config->secrets_key_file);
    if (!key) return Fail(log, key.error());
    stored_ring.emplace(database->sealed_values(), *key);
    secrets = groundcrew::service::LoadOrCreateStoredSecrets(database->sealed_values(), *key,
                                                             "groundcrew", clock(), *stored_ring);
    std::string instance_dir = (fs::temp_directory_path() / "groundcrewd-XXXXXX").string();
    if (::mkdtemp(instance_dir.data()) == nullptr) {
      return Fail(log, groundcrew::MakeError(groundcrew::ErrorCode::kUnavailable,
                                             "cannot create a private temporary folder"));
    }
    secret_paths.directory = instance_dir;
  } else {
    secrets = groundcrew::service::LoadOrCreateSecrets(secret_paths, "groundcrew", clock());
  }
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
  // Several instances: only the leader rotates keys and sweeps (LeaderJobs, below); the others
  // take a rotated key ring from the database when a token they meet needs it.
  groundcrew::service::SaveKeys save_keys =
      [secret_paths](const groundcrew::identity::KeyRing& keys) {
        return groundcrew::service::SaveKeyRing(secret_paths, keys);
      };
  groundcrew::service::ReloadKeys reload_keys;
  if (postgres) {
    identity.tokens.housekeeping_on_issue = false;
    identity.trust.housekeeping_on_proof = false;
    save_keys = [&stored_ring](const groundcrew::identity::KeyRing& keys) {
      return stored_ring->Save(keys);
    };
    reload_keys = [&stored_ring] { return stored_ring->Reload(); };
  }
  groundcrew::service::Services services(
      *store, groundcrew::service::ContentStore(data_dir.content()), data_dir.diagnostics(), clock,
      std::move(*secrets), std::move(save_keys), identity, std::move(reload_keys));
  // Events other instances store wake this one's live streams and long polls too.
  database->OnEventsFromElsewhere([&services] { services.deployment.EventsStoredElsewhere(); });
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
  (void)router.Add("GET", "/readyz",
                   [&data_dir, &services, postgres](const groundcrew::server::Request&,
                                                    const groundcrew::server::PathParams&) {
                     groundcrew::Status ready = groundcrew::daemon::CheckReady(data_dir.root);
                     // A shared database must answer too (it may be restarting or failing over).
                     if (ready && postgres) {
                       if (auto read = services.store.sessions().LastEventSequence(); !read) {
                         ready = read.error();
                       }
                     }
                     if (ready)
                       return groundcrew::server::JsonResponse(200, R"({"status":"ready"})");
                     return groundcrew::server::JsonResponse(
                         503, boost::json::serialize(boost::json::object{
                                  {"status", "notReady"}, {"reason", ready.error().message}}));
                   });
  // /metrics: the server's request metrics (the built-in route's) followed by store timings.
  // With a metrics token, only a scraper that presents it reads them.
  groundcrew::server::HttpServer* server_metrics = nullptr;  // set once the server exists
  std::atomic<bool> is_leader{false};                        // with a shared database
  (void)router.Add(
      "GET", "/metrics",
      [&server_metrics, &store_metrics, &counters, sqlite, &services, &is_leader, postgres,
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
        const groundcrew::store::sqlite::PoolWaits waits =
            sqlite != nullptr ? sqlite->waits() : groundcrew::store::sqlite::PoolWaits{};
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
                        SignInMetricsText(services) +
                        (postgres ? PrometheusValue("groundcrew_leader", "gauge",
                                                    "1 when this instance holds the leader lease "
                                                    "(sweeps, key rotation).",
                                                    is_leader ? 1.0 : 0.0)
                                  : std::string());
        return response;
      });

  // The admin's console at / (web/console, embedded): registered last, as it answers every other
  // GET path with its page.
  if (auto added = groundcrew::api::AddConsoleRoutes(router, groundcrew::api::ConsoleFiles());
      !added) {
    return Fail(log, added.error());
  }

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
             {"database", groundcrew::daemon::RedactedDatabase(config->database)},
             {"threads", config->threads}});

  // Several instances: the housekeeping runs on the leader (the holder of the "leader" lease),
  // and every instance takes a key ring the leader rotated.
  std::optional<LeaderLoop> leader_loop;
  if (postgres) {
    // A job's count of what it removed is not needed: only whether it failed.
    const auto job = [](std::string name, auto run) {
      return groundcrew::service::LeaderJob{std::move(name), [run]() -> groundcrew::Status {
                                              GC_RETURN_IF_ERROR(run());
                                              return groundcrew::Ok{};
                                            }};
    };
    std::vector<groundcrew::service::LeaderJob> jobs = {
        job("rotateKeys", [&services] { return services.tokens.RotateIfDue(); }),
        job("sweepTokens", [&services] { return services.tokens.PurgeExpired(); }),
        job("sweepNonces",
            [&services, &clock] { return services.store.challenges().DeleteExpired(clock()); }),
        job("sweepConsoleSessions", [&services] { return services.admins.PurgeExpired(); }),
        job("purgeDiagnostics", [&services] { return services.diagnostics.Purge(); }),
    };
    leader_loop.emplace(groundcrew::service::LeaderJobs(
                            services.store.leases(), clock, InstanceName(server.port()),
                            std::chrono::seconds(leader_interval_seconds), std::move(jobs)),
                        services.tokens, log, is_leader);
  }

  int received = 0;
  sigwait(&signals, &received);
  log.Write(JsonLog::Level::kInfo, "stopping",
            {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  leader_loop.reset();                // resigns the lease: another instance leads at once
  services.deployment.StopWaiting();  // long polls for events answer now
  server.Stop();
  database->OnEventsFromElsewhere({});  // the services go before the store
  log.Write(JsonLog::Level::kInfo, "stopped");
  return 0;
}

// groundcrewd: the groundcrew service. Wiring only: configuration, logs, the store, the use
// cases, the routes and the HTTP server; then it waits for SIGINT/SIGTERM and stops gracefully.
#include <CLI/CLI.hpp>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "api/admin_api.hpp"
#include "daemon/config.hpp"
#include "daemon/log.hpp"
#include "server/http_server.hpp"
#include "service/data_dir.hpp"
#include "service/services.hpp"
#include "store_sqlite/sqlite_store.hpp"

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"groundcrewd: the groundcrew service (admin API over HTTP, SQLite storage)"};
  std::string config_path;
  groundcrew::daemon::ConfigLayer flags;
  app.add_option("--config", config_path, "JSON configuration file (keys: dataDir, listen, "
                                          "threads, maxBodyBytes, portFile, logLevel)");
  app.add_option("--data-dir", flags.data_dir, "data directory made by `groundcrew init` "
                                               "[GROUNDCREW_DATA_DIR, default ./var]");
  app.add_option("--listen", flags.listen, "address:port to serve on; port 0 picks a free port "
                                           "[GROUNDCREW_LISTEN, default 127.0.0.1:8080]");
  app.add_option("--threads", flags.threads, "worker threads [GROUNDCREW_THREADS, default 2]");
  app.add_option("--max-body-bytes", flags.max_body_bytes,
                 "largest request body; larger ones get 413 [GROUNDCREW_MAX_BODY_BYTES]");
  app.add_option("--port-file", flags.port_file, "write the bound port to this file once "
                                                 "listening");
  app.add_option("--log-level", flags.log_level, "debug (every request), info or warn");
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

  const groundcrew::service::DataDir data_dir{config->data_dir};
  if (!fs::exists(data_dir.database())) {
    return Fail(log, groundcrew::MakeError(
                         groundcrew::ErrorCode::kFailedPrecondition,
                         "no tenant in " + config->data_dir +
                             ": run `groundcrew init --data-dir " + config->data_dir +
                             " --organization NAME --domain DOMAIN` first",
                         "data-dir"));
  }
  auto store = groundcrew::store::sqlite::SqliteStore::Open({.path = data_dir.database().string()});
  if (!store) return Fail(log, store.error());

  groundcrew::service::Services services(
      **store, groundcrew::service::ContentStore(data_dir.content()), [] {
        return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
      });
  groundcrew::server::Router router;
  if (auto added = groundcrew::api::AddAdminRoutes(router, services); !added) {
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
  options.address = config->address;
  options.port = config->port;
  options.threads = config->threads;
  options.max_body_bytes = config->max_body_bytes;
  options.log = [&log](std::string_view line) { log.Write(JsonLog::Level::kError, line); };
  if (log.Enabled(JsonLog::Level::kDebug)) {
    options.access_log = [&log](const groundcrew::server::RequestRecord& r) {
      log.Write(JsonLog::Level::kDebug, "request",
                {{"method", r.method},
                 {"path", r.path},
                 {"route", r.route},
                 {"status", r.status},
                 {"ms", r.seconds * 1000},
                 {"bytes", r.response_bytes}});
    };
  }
  groundcrew::server::HttpServer server(options, std::move(router));
  if (auto started = server.Start(); !started) return Fail(log, started.error());
  if (!config->port_file.empty() && !WritePortFile(config->port_file, server.port())) {
    server.Stop();
    return Fail(log, groundcrew::MakeError(groundcrew::ErrorCode::kUnavailable,
                                           "cannot write the port file " + config->port_file,
                                           "port-file"));
  }
  log.Write(JsonLog::Level::kInfo, "listening",
            {{"address", config->address},
             {"port", server.port()},
             {"dataDir", config->data_dir},
             {"threads", config->threads}});

  int received = 0;
  sigwait(&signals, &received);
  log.Write(JsonLog::Level::kInfo, "stopping", {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  server.Stop();
  log.Write(JsonLog::Level::kInfo, "stopped");
  return 0;
}

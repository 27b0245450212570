#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/result.hpp"

namespace groundcrew::daemon {

/// How groundcrewd runs. Each setting comes from, in order of precedence: a command-line flag,
/// the environment (GROUNDCREW_<NAME>), the configuration file (JSON, camelCase keys), the
/// default here.
struct Config {
  std::string data_dir = "./var";         ///< dataDir / GROUNDCREW_DATA_DIR / --data-dir
  std::string address = "127.0.0.1";      ///< from listen = "address:port"
  std::uint16_t port = 8080;              ///< from listen; 0 picks a free port
  int threads = 2;                        ///< threads / GROUNDCREW_THREADS / --threads
  std::size_t max_body_bytes = 64 << 20;  ///< maxBodyBytes / GROUNDCREW_MAX_BODY_BYTES
  std::string port_file;                  ///< portFile / --port-file: written once listening
  std::string log_level = "info";         ///< logLevel: "debug" logs every request
  /// HTTPS: both set (PEM certificate chain, PEM private key) or both empty (plain HTTP).
  std::string tls_cert;  ///< tlsCert / GROUNDCREW_TLS_CERT / --tls-cert
  std::string tls_key;   ///< tlsKey / GROUNDCREW_TLS_KEY / --tls-key
  /// HTTPS with a certificate groundcrewd issues itself from the tenant's CA for these names
  /// (comma-separated DNS names and IP addresses); excludes tlsCert/tlsKey.
  std::string tls_names;  ///< tlsNames / GROUNDCREW_TLS_NAMES / --tls-names
  /// Sign-in lockout: this many failures within the window lock the account for the duration.
  int lockout_threshold = 10;         ///< lockoutThreshold / GROUNDCREW_LOCKOUT_THRESHOLD
  int lockout_window_minutes = 10;    ///< lockoutWindowMinutes / GROUNDCREW_LOCKOUT_WINDOW_MINUTES
  int lockout_duration_minutes = 15;  ///< lockoutDurationMinutes / ..._LOCKOUT_DURATION_MINUTES
  /// When set, GET /metrics needs "Authorization: Bearer <metrics_token>". SECRET.
  std::string metrics_token;  ///< metricsToken / GROUNDCREW_METRICS_TOKEN / --metrics-token
  /// Open client connections at most; 0 derives the cap from the descriptor limit (the soft
  /// RLIMIT_NOFILE minus a reserve, at most 4096). maxConnections / GROUNDCREW_MAX_CONNECTIONS /
  /// --max-connections.
  int max_connections = 0;
  /// Live event streams (GET /v1/deploymentEvents/stream) open at once; one more gets 503.
  /// maxEventStreams / GROUNDCREW_MAX_EVENT_STREAMS / --max-event-streams.
  int max_event_streams = 256;
  /// Where the data lives. Empty: the embedded SQLite database in dataDir (the default, one
  /// instance). A "postgresql://" (or "postgres://") URI: a PostgreSQL database that several
  /// instances share (docs/scale-out.md); dataDir then holds only app content and diagnostics
  /// archives, and must be a folder every instance shares. SECRET when it holds a password:
  /// never logged (see RedactedDatabase). database / GROUNDCREW_DATABASE / --database.
  std::string database;
  /// The PostgreSQL schema of groundcrew's tables: databaseSchema / GROUNDCREW_DATABASE_SCHEMA.
  std::string database_schema = "groundcrew";
  /// PostgreSQL connections for reads, next to the one for writes (1..64):
  /// databaseConnections / GROUNDCREW_DATABASE_CONNECTIONS / --database-connections.
  int database_connections = 4;
  /// With PostgreSQL: the file holding the key (64 hex digits, mode 0600) that seals the
  /// service's secrets stored in the database (token signing keys, the tenant CA's key, the
  /// nonce key). secretsKeyFile / GROUNDCREW_SECRETS_KEY_FILE / --secrets-key-file.
  std::string secrets_key_file;

  bool uses_postgres() const { return !database.empty(); }
};

/// The database setting without its password (for logs): "postgresql://user@host:5432/db",
/// "sqlite" when empty.
std::string RedactedDatabase(std::string_view database);

/// The settings given at one level; unset ones do not override lower levels.
struct ConfigLayer {
  std::optional<std::string> data_dir, listen, port_file, log_level, tls_cert, tls_key, tls_names,
      metrics_token, database, database_schema, secrets_key_file;
  std::optional<int> threads, lockout_threshold, lockout_window_minutes, lockout_duration_minutes,
      max_connections, max_event_streams, database_connections;
  std::optional<std::size_t> max_body_bytes;
};

/// Reads a JSON configuration file. kInvalidArgument names the file and the key (unknown keys
/// and wrong types are refused); kNotFound when the file does not exist.
[[nodiscard]] Result<ConfigLayer> ReadConfigFile(const std::string& path);

/// Reads GROUNDCREW_DATA_DIR, GROUNDCREW_LISTEN, GROUNDCREW_THREADS, GROUNDCREW_MAX_BODY_BYTES,
/// GROUNDCREW_LOG_LEVEL, GROUNDCREW_TLS_CERT, GROUNDCREW_TLS_KEY, GROUNDCREW_TLS_NAMES,
/// GROUNDCREW_LOCKOUT_{THRESHOLD,WINDOW_MINUTES,DURATION_MINUTES}, GROUNDCREW_MAX_CONNECTIONS,
/// GROUNDCREW_MAX_EVENT_STREAMS, GROUNDCREW_DATABASE, GROUNDCREW_DATABASE_SCHEMA,
/// GROUNDCREW_DATABASE_CONNECTIONS and GROUNDCREW_SECRETS_KEY_FILE from `environment`.
/// kInvalidArgument names the variable.
[[nodiscard]] Result<ConfigLayer> ReadEnvironment(
    const std::map<std::string, std::string>& environment);

/// Defaults, then `file`, then `environment`, then `flags`. kInvalidArgument for a listen
/// address that is not "address:port", threads outside 1..64, a body limit under 1 KiB, an
/// unknown log level, a TLS certificate without a key or a key without a certificate (`field`
/// names the missing one: "tlsKey" or "tlsCert"; an empty value counts as not set, so a
/// higher layer can turn TLS off with empty values), tlsNames together with tlsCert, or lockout
/// settings below 1 (or above 1000 failures, 1440 minutes of window, 10080 of duration), or
/// maxConnections outside 0..1000000 (0: derived from the descriptor limit), maxEventStreams
/// outside 1..100000, a database that is not a postgresql:// URI, a databaseSchema that is not
/// lower-case letters, digits and '_', databaseConnections outside 1..64, or a PostgreSQL
/// database without secretsKeyFile. The files are read by the server.
[[nodiscard]] Result<Config> Resolve(const ConfigLayer& file, const ConfigLayer& environment,
                                     const ConfigLayer& flags);

}  // namespace groundcrew::daemon

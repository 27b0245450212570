#include "server/daemon/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace groundcrew::daemon {
namespace {

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

void Overlay(Config& config, const ConfigLayer& layer, std::string& listen) {
  if (layer.data_dir) config.data_dir = *layer.data_dir;
  if (layer.listen) listen = *layer.listen;
  if (layer.port_file) config.port_file = *layer.port_file;
  if (layer.log_level) config.log_level = *layer.log_level;
  if (layer.threads) config.threads = *layer.threads;
  if (layer.max_body_bytes) config.max_body_bytes = *layer.max_body_bytes;
  if (layer.tls_cert) config.tls_cert = *layer.tls_cert;
  if (layer.tls_key) config.tls_key = *layer.tls_key;
  if (layer.tls_names) config.tls_names = *layer.tls_names;
  if (layer.metrics_token) config.metrics_token = *layer.metrics_token;
  if (layer.lockout_threshold) config.lockout_threshold = *layer.lockout_threshold;
  if (layer.lockout_window_minutes) config.lockout_window_minutes = *layer.lockout_window_minutes;
  if (layer.lockout_duration_minutes) {
    config.lockout_duration_minutes = *layer.lockout_duration_minutes;
  }
  if (layer.max_connections) config.max_connections = *layer.max_connections;
  if (layer.max_event_streams) config.max_event_streams = *layer.max_event_streams;
  if (layer.database) config.database = *layer.database;
  if (layer.database_schema) config.database_schema = *layer.database_schema;
  if (layer.database_connections) config.database_connections = *layer.database_connections;
  if (layer.secrets_key_file) config.secrets_key_file = *layer.secrets_key_file;
}

// The text settings, by their file key and environment variable (none: file and flag only).
struct TextSetting {
  const char* key;
  const char* variable;
  std::optional<std::string> ConfigLayer::*member;
};
constexpr TextSetting kTextSettings[] = {
    {"dataDir", "GROUNDCREW_DATA_DIR", &ConfigLayer::data_dir},
    {"listen", "GROUNDCREW_LISTEN", &ConfigLayer::listen},
    {"portFile", nullptr, &ConfigLayer::port_file},
    {"logLevel", "GROUNDCREW_LOG_LEVEL", &ConfigLayer::log_level},
    {"tlsCert", "GROUNDCREW_TLS_CERT", &ConfigLayer::tls_cert},
    {"tlsKey", "GROUNDCREW_TLS_KEY", &ConfigLayer::tls_key},
    {"tlsNames", "GROUNDCREW_TLS_NAMES", &ConfigLayer::tls_names},
    {"metricsToken", "GROUNDCREW_METRICS_TOKEN", &ConfigLayer::metrics_token},
    {"database", "GROUNDCREW_DATABASE", &ConfigLayer::database},
    {"databaseSchema", "GROUNDCREW_DATABASE_SCHEMA", &ConfigLayer::database_schema},
    {"secretsKeyFile", "GROUNDCREW_SECRETS_KEY_FILE", &ConfigLayer::secrets_key_file},
};

// The integer settings, by their file key and environment variable.
struct IntSetting {
  const char* key;
  const char* variable;
  std::optional<int> ConfigLayer::*member;
};
constexpr IntSetting kIntSettings[] = {
    {"threads", "GROUNDCREW_THREADS", &ConfigLayer::threads},
    {"lockoutThreshold", "GROUNDCREW_LOCKOUT_THRESHOLD", &ConfigLayer::lockout_threshold},
    {"lockoutWindowMinutes", "GROUNDCREW_LOCKOUT_WINDOW_MINUTES",
     &ConfigLayer::lockout_window_minutes},
    {"lockoutDurationMinutes", "GROUNDCREW_LOCKOUT_DURATION_MINUTES",
     &ConfigLayer::lockout_duration_minutes},
    {"maxConnections", "GROUNDCREW_MAX_CONNECTIONS", &ConfigLayer::max_connections},
    {"maxEventStreams", "GROUNDCREW_MAX_EVENT_STREAMS", &ConfigLayer::max_event_streams},
    {"databaseConnections", "GROUNDCREW_DATABASE_CONNECTIONS", &ConfigLayer::database_connections},
};

}  // namespace

Result<ConfigLayer> ReadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kNotFound, fmt::format("{}: cannot open the file", path), path);
  }
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const boost::json::value json = boost::json::parse(text.str(), ec);
  if (ec || !json.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: not a JSON object{}", path, ec ? ": " + ec.message() : ""),
                     path);
  }
  ConfigLayer layer;
  for (const auto& field : json.as_object()) {
    const std::string key(field.key());
    auto bad = [&](std::string_view expected) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("{}: {} must be {}", path, key, expected), key);
    };
    const boost::json::value& value = field.value();
    const IntSetting* int_setting = nullptr;
    for (const IntSetting& setting : kIntSettings) {
      if (key == setting.key) int_setting = &setting;
    }
    const TextSetting* text_setting = nullptr;
    for (const TextSetting& setting : kTextSettings) {
      if (key == setting.key) text_setting = &setting;
    }
    if (text_setting != nullptr) {
      if (!value.is_string()) return bad("a string");
      layer.*(text_setting->member) = std::string(value.as_string());
    } else if (int_setting != nullptr) {
      if (!value.is_int64() || value.as_int64() < INT32_MIN || value.as_int64() > INT32_MAX) {
        return bad("a whole number");
      }
      layer.*(int_setting->member) = static_cast<int>(value.as_int64());
    } else if (key == "maxBodyBytes") {
      if (!value.is_int64() || value.as_int64() < 0) return bad("a whole number of bytes");
      layer.max_body_bytes = static_cast<std::size_t>(value.as_int64());
    } else {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("{}: unknown key \"{}\" (known: dataDir, listen, threads, "
                                   "maxBodyBytes, portFile, logLevel, tlsCert, tlsKey, tlsNames, "
                                   "lockoutThreshold, lockoutWindowMinutes, "
                                   "lockoutDurationMinutes, metricsToken, maxConnections, "
                                   "maxEventStreams, database, databaseSchema, "
                                   "databaseConnections, secretsKeyFile)",
                                   path, key),
                       key);
    }
  }
  return layer;
}

Result<ConfigLayer> ReadEnvironment(const std::map<std::string, std::string>& environment) {
  ConfigLayer layer;
  auto get = [&](const char* name) -> const std::string* {
    auto it = environment.find(name);
    return it == environment.end() ? nullptr : &it->second;
  };
  for (const TextSetting& setting : kTextSettings) {
    if (setting.variable == nullptr) continue;
    if (auto* v = get(setting.variable)) layer.*(setting.member) = *v;
  }
  for (const IntSetting& setting : kIntSettings) {
    if (auto* v = get(setting.variable)) {
      int number = 0;
      if (!ParseNumber(*v, number)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         fmt::format("{}: must be a whole number", setting.variable),
                         setting.variable);
      }
      layer.*(setting.member) = number;
    }
  }
  if (auto* v = get("GROUNDCREW_MAX_BODY_BYTES")) {
    std::size_t bytes = 0;
    if (!ParseNumber(*v, bytes)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "GROUNDCREW_MAX_BODY_BYTES: must be a whole number of bytes",
                       "GROUNDCREW_MAX_BODY_BYTES");
    }
    layer.max_body_bytes = bytes;
  }
  return layer;
}

Result<Config> Resolve(const ConfigLayer& file, const ConfigLayer& environment,
                       const ConfigLayer& flags) {
  Config config;
  std::string listen = "127.0.0.1:8080";
  Overlay(config, file, listen);
  Overlay(config, environment, listen);
  Overlay(config, flags, listen);
  const size_t colon = listen.rfind(':');
  unsigned port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !ParseNumber(std::string_view(listen).substr(colon + 1), port) || port > 65535) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("listen: expected address:port such as 127.0.0.1:8080, not \"{}\"", listen),
        "listen");
  }
  config.address = listen.substr(0, colon);
  if (config.address.size() > 2 && config.address.front() == '[' && config.address.back() == ']') {
    config.address = config.address.substr(1, config.address.size() - 2);  // [::1]:8080
  }
  config.port = static_cast<std::uint16_t>(port);
  if (config.threads < 1 || config.threads > 64) {
    return MakeError(ErrorCode::kInvalidArgument, "threads: must be from 1 to 64", "threads");
  }
  if (config.max_body_bytes < 1024) {
    return MakeError(ErrorCode::kInvalidArgument, "maxBodyBytes: must be at least 1024",
                     "maxBodyBytes");
  }
  if (config.log_level != "info" && config.log_level != "debug" && config.log_level != "warn") {
    return MakeError(ErrorCode::kInvalidArgument, "logLevel: must be debug, info or warn",
                     "logLevel");
  }
  if (config.data_dir.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "dataDir: must not be empty", "dataDir");
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    const bool key_missing = config.tls_key.empty();
    return MakeError(
        ErrorCode::kInvalidArgument,
        key_missing ? "tlsKey: a TLS certificate is set (tlsCert: " + config.tls_cert +
                          ") but no private key: give --tls-key, GROUNDCREW_TLS_KEY or tlsKey too"
                    : "tlsCert: a TLS private key is set (tlsKey: " + config.tls_key +
                          ") but no certificate: give --tls-cert, GROUNDCREW_TLS_CERT or tlsCert "
                          "too",
        key_missing ? "tlsKey" : "tlsCert");
  }
  if (!config.tls_names.empty() && !config.tls_cert.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "tlsNames: groundcrewd issues its own certificate for tlsNames; do not give "
                     "tlsCert and tlsKey as well",
                     "tlsNames");
  }
  if (config.max_connections < 0 || config.max_connections > 1'000'000) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "maxConnections: must be from 0 (derived from the descriptor limit) to "
                     "1000000",
                     "maxConnections");
  }
  if (config.uses_postgres()) {
    if (!config.database.starts_with("postgresql://") &&
        !config.database.starts_with("postgres://")) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "database: must be a postgresql:// URI such as "
                       "postgresql://groundcrew@db.example.com/groundcrew (or empty for the "
                       "embedded SQLite database in dataDir)",
                       "database");
    }
    if (config.secrets_key_file.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "secretsKeyFile: a PostgreSQL database needs the key that seals the "
                       "service's secrets in it: give --secrets-key-file, "
                       "GROUNDCREW_SECRETS_KEY_FILE or secretsKeyFile (docs/scale-out.md)",
                       "secretsKeyFile");
    }
  }
  const std::string& schema = config.database_schema;
  if (schema.empty() || schema.size() > 63 || std::isdigit(static_cast<unsigned char>(schema[0])) ||
      !std::all_of(schema.begin(), schema.end(), [](char c) {
        return std::islower(static_cast<unsigned char>(c)) ||
               std::isdigit(static_cast<unsigned char>(c)) || c == '_';
      })) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "databaseSchema: must be 1 to 63 lower-case letters, digits or '_', not "
                     "starting with a digit",
                     "databaseSchema");
  }
  struct Bound {
    int value;
    int max;
    const char* message;
  };
  for (const Bound& bound : {
           Bound{config.lockout_threshold, 1000, "lockoutThreshold: must be from 1 to 1000"},
           Bound{config.lockout_window_minutes, 1440,
                 "lockoutWindowMinutes: must be from 1 to 1440"},
           Bound{config.lockout_duration_minutes, 10080,
                 "lockoutDurationMinutes: must be from 1 to 10080"},
           Bound{config.max_event_streams, 100'000, "maxEventStreams: must be from 1 to 100000"},
           Bound{config.database_connections, 64, "databaseConnections: must be from 1 to 64"},
       }) {
    if (bound.value < 1 || bound.value > bound.max) {
      const std::string message = bound.message;
      return MakeError(ErrorCode::kInvalidArgument, message, message.substr(0, message.find(':')));
    }
  }
  return config;
}

std::string RedactedDatabase(std::string_view database) {
  if (database.empty()) return "sqlite";
  // scheme://[user[:password]@]host...: drop ":password" and any query (it may carry one too).
  const size_t scheme_end = database.find("://");
  if (scheme_end == std::string_view::npos) return "postgresql (unparsed)";
  std::string_view rest = database.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('?'));
  std::string redacted(database.substr(0, scheme_end + 3));
  const size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view user_info = rest.substr(0, at);
    redacted += user_info.substr(0, user_info.find(':'));
    redacted += '@';
    rest = rest.substr(at + 1);
  }
  redacted += rest;
  return redacted;
}

}  // namespace groundcrew::daemon

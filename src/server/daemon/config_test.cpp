#include "server/daemon/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace groundcrew::daemon {
namespace {

namespace fs = std::filesystem;

std::string WriteFile(const std::string& name, const std::string& text) {
  const fs::path path = fs::temp_directory_path() / (name + std::to_string(::getpid()));
  std::ofstream(path) << text;
  return path.string();
}

TEST(ConfigTest, DefaultsAreLoopbackAndVar) {
  Result<Config> config = Resolve({}, {}, {});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->address, "127.0.0.1");
  EXPECT_EQ(config->port, 8080);
  EXPECT_EQ(config->data_dir, "./var");
}

TEST(ConfigTest, FlagsBeatEnvironmentBeatFile) {
  Result<ConfigLayer> file = ReadConfigFile(
      WriteFile("gc-config", R"({"dataDir": "/srv/file", "listen": "127.0.0.1:1", "threads": 3})"));
  ASSERT_TRUE(file) << file.error().message;
  Result<ConfigLayer> env =
      ReadEnvironment({{"GROUNDCREW_LISTEN", "127.0.0.1:2"}, {"GROUNDCREW_THREADS", "4"}});
  ASSERT_TRUE(env);
  ConfigLayer flags;
  flags.listen = "[::1]:3";
  Result<Config> config = Resolve(*file, *env, flags);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->data_dir, "/srv/file");  // only the file sets it
  EXPECT_EQ(config->threads, 4);             // environment beats file
  EXPECT_EQ(config->address, "::1");         // flag beats both
  EXPECT_EQ(config->port, 3);
}

TEST(ConfigTest, TheMetricsTokenComesFromTheFileOrTheEnvironment) {
  Result<ConfigLayer> file =
      ReadConfigFile(WriteFile("gc-config-metrics", R"({"metricsToken": "from-file"})"));
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(Resolve(*file, {}, {})->metrics_token, "from-file");
  Result<ConfigLayer> env = ReadEnvironment({{"GROUNDCREW_METRICS_TOKEN", "from-env"}});
  ASSERT_TRUE(env);
  EXPECT_EQ(Resolve(*file, *env, {})->metrics_token, "from-env");
  EXPECT_EQ(Resolve({}, {}, {})->metrics_token, "");  // /metrics open, as before
}

TEST(ConfigTest, BadInputNamesTheSetting) {
  Result<ConfigLayer> unknown = ReadConfigFile(WriteFile("gc-config-bad", R"({"colour": 1})"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field, "colour");
  Result<ConfigLayer> wrong_type =
      ReadConfigFile(WriteFile("gc-config-type", R"({"threads": "2"})"));
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().field, "threads");
  EXPECT_EQ(ReadConfigFile("/nonexistent/gc.json").error().code, ErrorCode::kNotFound);
  Result<ConfigLayer> env = ReadEnvironment({{"GROUNDCREW_THREADS", "many"}});
  ASSERT_FALSE(env);
  EXPECT_EQ(env.error().field, "GROUNDCREW_THREADS");
  ConfigLayer flags;
  flags.listen = "localhost";
  EXPECT_EQ(Resolve({}, {}, flags).error().field, "listen");
  flags.listen = "127.0.0.1:70000";
  EXPECT_EQ(Resolve({}, {}, flags).error().field, "listen");
  ConfigLayer threads;
  threads.threads = 0;
  EXPECT_EQ(Resolve({}, {}, threads).error().field, "threads");
}

TEST(ConfigTest, LockoutDefaultsLayersAndBounds) {
  Result<Config> defaults = Resolve({}, {}, {});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->lockout_threshold, 10);
  EXPECT_EQ(defaults->lockout_window_minutes, 10);
  EXPECT_EQ(defaults->lockout_duration_minutes, 15);
  Result<ConfigLayer> file = ReadConfigFile(
      WriteFile("gc-config-lockout", R"({"lockoutThreshold": 3, "lockoutDurationMinutes": 60})"));
  ASSERT_TRUE(file) << file.error().message;
  Result<ConfigLayer> env = ReadEnvironment(
      {{"GROUNDCREW_LOCKOUT_THRESHOLD", "5"}, {"GROUNDCREW_LOCKOUT_WINDOW_MINUTES", "2"}});
  ASSERT_TRUE(env) << env.error().message;
  Result<Config> config = Resolve(*file, *env, {});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->lockout_threshold, 5);
  EXPECT_EQ(config->lockout_window_minutes, 2);
  EXPECT_EQ(config->lockout_duration_minutes, 60);

  EXPECT_EQ(ReadEnvironment({{"GROUNDCREW_LOCKOUT_THRESHOLD", "x"}}).error().field,
            "GROUNDCREW_LOCKOUT_THRESHOLD");
  EXPECT_EQ(ReadConfigFile(WriteFile("gc-config-lockout-type", R"({"lockoutThreshold": "3"})"))
                .error()
                .field,
            "lockoutThreshold");
  ConfigLayer zero;
  zero.lockout_duration_minutes = 0;
  EXPECT_EQ(Resolve({}, {}, zero).error().field, "lockoutDurationMinutes");
}

TEST(ConfigTest, MaxConnectionsIsDerivedByDefaultAndLayersLikeTheRest) {
  Result<Config> defaults = Resolve({}, {}, {});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->max_connections, 0);  // derived from the descriptor limit
  Result<ConfigLayer> file =
      ReadConfigFile(WriteFile("gc-config-connections", R"({"maxConnections": 100})"));
  ASSERT_TRUE(file) << file.error().message;
  Result<ConfigLayer> env = ReadEnvironment({{"GROUNDCREW_MAX_CONNECTIONS", "200"}});
  ASSERT_TRUE(env) << env.error().message;
  EXPECT_EQ(Resolve(*file, {}, {})->max_connections, 100);
  EXPECT_EQ(Resolve(*file, *env, {})->max_connections, 200);
  ConfigLayer flags;
  flags.max_connections = 300;
  EXPECT_EQ(Resolve(*file, *env, flags)->max_connections, 300);
  flags.max_connections = -1;
  EXPECT_EQ(Resolve({}, {}, flags).error().field, "maxConnections");
  EXPECT_EQ(ReadEnvironment({{"GROUNDCREW_MAX_CONNECTIONS", "many"}}).error().field,
            "GROUNDCREW_MAX_CONNECTIONS");
}

TEST(ConfigTest, MaxEventStreamsIs256ByDefaultAndLayersLikeTheRest) {
  EXPECT_EQ(Resolve({}, {}, {})->max_event_streams, 256);
  Result<ConfigLayer> file =
      ReadConfigFile(WriteFile("gc-config-streams", R"({"maxEventStreams": 10})"));
  ASSERT_TRUE(file) << file.error().message;
  Result<ConfigLayer> env = ReadEnvironment({{"GROUNDCREW_MAX_EVENT_STREAMS", "20"}});
  ASSERT_TRUE(env) << env.error().message;
  EXPECT_EQ(Resolve(*file, {}, {})->max_event_streams, 10);
  EXPECT_EQ(Resolve(*file, *env, {})->max_event_streams, 20);
  ConfigLayer flags;
  flags.max_event_streams = 0;
  Result<Config> refused = Resolve({}, {}, flags);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().field, "maxEventStreams");
  EXPECT_EQ(refused.error().message, "maxEventStreams: must be from 1 to 100000");
}

TEST(ConfigTest, GeneratedCertificateExcludesGivenOne) {
  ConfigLayer flags;
  flags.tls_names = "localhost,127.0.0.1";
  Result<Config> config = Resolve({}, {}, flags);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->tls_names, "localhost,127.0.0.1");
  flags.tls_cert = "server.pem";
  flags.tls_key = "server.key";
  EXPECT_EQ(Resolve({}, {}, flags).error().field, "tlsNames");
}

TEST(ConfigTest, TlsIsOffByDefaultAndLayersLikeTheRest) {
  Result<Config> plain = Resolve({}, {}, {});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->tls_cert, "");
  EXPECT_EQ(plain->tls_key, "");

  Result<ConfigLayer> file = ReadConfigFile(
      WriteFile("gc-config-tls",
                R"({"tlsCert": "/etc/gc/file-cert.pem", "tlsKey": "/etc/gc/file-key.pem"})"));
  ASSERT_TRUE(file) << file.error().message;
  Result<ConfigLayer> env = ReadEnvironment({{"GROUNDCREW_TLS_KEY", "/env/key.pem"}});
  ASSERT_TRUE(env);
  ConfigLayer flags;
  flags.tls_cert = "/flag/cert.pem";
  Result<Config> config = Resolve(*file, *env, flags);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->tls_cert, "/flag/cert.pem");  // flag beats file
  EXPECT_EQ(config->tls_key, "/env/key.pem");     // environment beats file

  // Empty values from a higher layer turn TLS off again.
  Result<ConfigLayer> off =
      ReadEnvironment({{"GROUNDCREW_TLS_CERT", ""}, {"GROUNDCREW_TLS_KEY", ""}});
  ASSERT_TRUE(off);
  config = Resolve(*file, *off, {});
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->tls_cert, "");
  EXPECT_EQ(config->tls_key, "");

  Result<ConfigLayer> wrong_type =
      ReadConfigFile(WriteFile("gc-config-tls-type", R"({"tlsKey": 1})"));
  ASSERT_FALSE(wrong_type);
  EXPECT_EQ(wrong_type.error().field, "tlsKey");
}

TEST(ConfigTest, TlsNeedsBothTheCertificateAndTheKey) {
  ConfigLayer only_cert;
  only_cert.tls_cert = "/etc/gc/cert.pem";
  Result<Config> config = Resolve({}, {}, only_cert);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(config.error().field, "tlsKey");
  EXPECT_NE(config.error().message.find("--tls-key"), std::string::npos) << config.error().message;

  Result<ConfigLayer> only_key = ReadEnvironment({{"GROUNDCREW_TLS_KEY", "/etc/gc/key.pem"}});
  ASSERT_TRUE(only_key);
  config = Resolve({}, *only_key, {});
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().field, "tlsCert");
  EXPECT_NE(config.error().message.find("--tls-cert"), std::string::npos) << config.error().message;

  ConfigLayer empty_key = only_cert;
  empty_key.tls_key = "";
  EXPECT_EQ(Resolve({}, {}, empty_key).error().field, "tlsKey");
}

TEST(ConfigTest, TheDatabaseIsSqliteByDefaultAndPostgresWhenGivenALocation) {
  Result<Config> sqlite = Resolve({}, {}, {});
  ASSERT_TRUE(sqlite);
  EXPECT_FALSE(sqlite->uses_postgres());
  EXPECT_EQ(sqlite->database_schema, "groundcrew");

  Result<ConfigLayer> file = ReadConfigFile(WriteFile(
      "gc-config-db", R"({"database": "postgresql://gc@db/groundcrew", "databaseSchema": "depot",
                          "databaseConnections": 8, "secretsKeyFile": "/etc/groundcrew/key"})"));
  ASSERT_TRUE(file) << file.error().message;
  Result<Config> from_file = Resolve(*file, {}, {});
  ASSERT_TRUE(from_file) << from_file.error().message;
  EXPECT_TRUE(from_file->uses_postgres());
  EXPECT_EQ(from_file->database_schema, "depot");
  EXPECT_EQ(from_file->database_connections, 8);
  EXPECT_EQ(from_file->secrets_key_file, "/etc/groundcrew/key");

  Result<ConfigLayer> env = ReadEnvironment(
      {{"GROUNDCREW_DATABASE", "postgres://gc:pw@db2/g"}, {"GROUNDCREW_SECRETS_KEY_FILE", "/k"}});
  ASSERT_TRUE(env);
  EXPECT_EQ(Resolve(*file, *env, {})->database, "postgres://gc:pw@db2/g");
}

TEST(ConfigTest, ABadDatabaseSettingIsRefusedNamingIt) {
  ConfigLayer flags;
  flags.database = "mysql://db/groundcrew";
  flags.secrets_key_file = "/k";
  EXPECT_EQ(Resolve({}, {}, flags).error().field, "database");
  flags.database = "postgresql://db/groundcrew";
  flags.secrets_key_file = std::nullopt;
  EXPECT_EQ(Resolve({}, {}, flags).error().field, "secretsKeyFile");
  flags.secrets_key_file = "/k";
  flags.database_schema = "Bad-Name";
  EXPECT_EQ(Resolve({}, {}, flags).error().field, "databaseSchema");
  flags.database_schema = std::nullopt;
  flags.database_connections = 0;
  EXPECT_EQ(Resolve({}, {}, flags).error().field, "databaseConnections");
  Result<ConfigLayer> env = ReadEnvironment({{"GROUNDCREW_DATABASE_CONNECTIONS", "many"}});
  ASSERT_FALSE(env);
  EXPECT_EQ(env.error().field, "GROUNDCREW_DATABASE_CONNECTIONS");
}

TEST(ConfigTest, TheDatabaseIsLoggedWithoutItsPassword) {
  EXPECT_EQ(RedactedDatabase(""), "sqlite");
  EXPECT_EQ(RedactedDatabase("postgresql://gc:s3cret@db.example.com:5432/groundcrew"),
            "postgresql://gc@db.example.com:5432/groundcrew");
  EXPECT_EQ(RedactedDatabase("postgresql://db/g?password=s3cret&sslmode=require"),
            "postgresql://db/g");
  EXPECT_EQ(RedactedDatabase("postgresql://gc@db/g"), "postgresql://gc@db/g");
}

}  // namespace
}  // namespace groundcrew::daemon

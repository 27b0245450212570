// `groundcrew migrate`: an installation on the embedded SQLite database moved into PostgreSQL,
// so that several groundcrewd instances can share it (docs/scale-out.md). It runs on the
// server's machine, groundcrewd stopped, and reads the data directory directly, which is why
// it lives here, with the wiring. The data directory is only read: it stays a working
// installation to go back to.
#include "migrate_command.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <array>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "cli/report.hpp"
#include "common/clock.hpp"
#include "server/daemon/config.hpp"
#include "server/daemon/startup.hpp"
#include "server/service/data_dir.hpp"
#include "server/service/secrets.hpp"
#include "server/service/stored_secrets.hpp"
#include "server/store_copy/store_copy.hpp"
#include "server/store_postgres/postgres_store.hpp"

namespace groundcrew::apps {
namespace {

namespace fs = std::filesystem;

bool IsPostgresUri(std::string_view uri) {
  return uri.starts_with("postgresql://") || uri.starts_with("postgres://");
}

// The secrets the data directory must hold: a directory groundcrewd has run on has them all,
// and LoadOrCreateSecrets must only read here (the source is left as it is).
Status CheckSecretsPresent(const service::SecretPaths& paths) {
  for (const fs::path& file :
       {paths.token_keys(), paths.ca_key(), paths.ca_certificate(), paths.nonce_key()}) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       fmt::format("{} is missing: start groundcrewd on this data directory once "
                                   "(it creates the service's secrets), stop it, then migrate",
                                   file.string()),
                       "--from");
    }
  }
  return Ok{};
}

}  // namespace

void AddMigrateCommand(CLI::App& app, int& exit_code) {
  struct Options {
    std::string from;
    std::string to;
    std::string schema = "groundcrew";
    std::string secrets_key_file;
  };
  auto options = std::make_shared<Options>();
  CLI::App* migrate = app.add_subcommand(
      "migrate",
      "Copy an installation from its data directory's SQLite database into PostgreSQL, for\n"
      "several groundcrewd instances sharing it (docs/scale-out.md): every table, checked by\n"
      "row counts and content hashes on both sides, in one transaction; then the service's\n"
      "secrets, sealed with the secrets key. Stop groundcrewd first and run this as its user\n"
      "(the data directory's owner); the data directory is only read. Refuses a PostgreSQL\n"
      "schema that already holds data. A password is better kept out of the command line:\n"
      "libpq reads PGPASSWORD and ~/.pgpass.\n"
      "Exit codes: 0 copied, 1 refused or failed.");
  migrate->add_option("--from", options->from, "the data directory groundcrewd runs with")
      ->type_name("DATA_DIR")
      ->required();
  migrate
      ->add_option("--to", options->to,
                   "the PostgreSQL database: postgresql://user[:password]@host[:port]/db[?...]")
      ->type_name("URI")
      ->required();
  migrate->add_option("--schema", options->schema, "the schema of groundcrew's tables")
      ->capture_default_str();
  migrate
      ->add_option("--secrets-key-file", options->secrets_key_file,
                   "the key sealing the secrets in the database (64 hex digits, mode 0600);\n"
                   "created when missing. Default: DATA_DIR/secrets.key")
      ->type_name("FILE");
  migrate->callback([options, &exit_code] {
    ::umask(0077);  // the secrets key file: 0600
    auto fail = [&](const Error& error) {
      exit_code = cli::ReportError(error, 1, false, std::cout, std::cerr);
    };
    const service::DataDir data_dir{options->from};
    const std::string key_file = options->secrets_key_file.empty()
                                     ? (data_dir.root / "secrets.key").string()
                                     : options->secrets_key_file;
    const std::string shown_uri = daemon::RedactedDatabase(options->to);  // never the password

    // Everything that can refuse does so before the target is touched.
    if (!IsPostgresUri(options->to)) {
      return fail(MakeError(ErrorCode::kInvalidArgument,
                            "expected a postgresql:// (or postgres://) URI", "--to"));
    }
    if (Status s = service::CheckDataDir(data_dir.root); !s) {
      Error error = s.error();
      error.field = "--from";
      return fail(error);
    }
    // groundcrewd's own lock, held to the end: refused while it serves the directory, and it
    // cannot start there meanwhile (a write after the copy's snapshot would be lost).
    auto lock = daemon::DataDirLock::Take(data_dir.root);
    if (!lock) {
      Error error = lock.error();
      error.field = "--from";
      return fail(error);
    }
    const service::SecretPaths secret_paths{data_dir.secrets()};
    if (Status s = CheckSecretsPresent(secret_paths); !s) return fail(s.error());
    auto secrets = service::LoadOrCreateSecrets(secret_paths, "groundcrew", SystemClock()());
    if (!secrets) {
      Error error = secrets.error();
      error.field = "--from";
      return fail(error);
    }
    bool key_created = false;
    std::error_code ec;
    if (!fs::exists(key_file, ec)) {
      if (Status s = service::CreateSecretsKey(key_file); !s) {
        Error error = s.error();
        error.field = "--secrets-key-file";
        return fail(error);
      }
      key_created = true;
    }
    auto key = service::ReadSecretsKey(key_file);
    if (!key) {
      Error error = key.error();
      error.field = "--secrets-key-file";
      return fail(error);
    }

    // The tables.
    const store::postgres::Options target{
        .conninfo = options->to, .schema = options->schema, .read_connections = 1};
    auto report = store::copy::CopySqliteToPostgres(data_dir.database().string(), target);
    if (!report) {
      Error error = report.error();
      error.field = error.field == "source" ? "--from" : "--to";
      return fail(error);
    }
    std::cout << fmt::format("Copied {} into {} (schema {}):\n\n", data_dir.database().string(),
                             shown_uri, options->schema);
    std::cout << fmt::format("  {:<28} {:>10}  {}\n", "table", "rows", "sha256");
    for (const auto& table : report->tables) {
      std::cout << fmt::format("  {:<28} {:>10}  {}\n", table.table, table.rows,
                               table.sha256.substr(0, 12));
    }
    std::cout << "\nEvery table's row count and content hash were checked on both sides.\n";

    // The secrets: sealed under the key, into the database.
    const std::string drop_hint = fmt::format(
        " (the tables were copied: to start over, drop the schema, DROP SCHEMA {} CASCADE, and "
        "run migrate again)",
        options->schema);
    auto store = store::postgres::PostgresStore::Open(target);
    if (!store) {
      Error error = store.error();
      error.message += drop_hint;
      error.field = "--to";
      return fail(error);
    }
    if (Status s = service::StoreSecrets(*secrets, (*store)->sealed_values(), *key); !s) {
      Error error = s.error();
      error.message = "storing the service's secrets: " + error.message + drop_hint;
      error.field = "--to";
      return fail(error);
    }
    if (key_created) {
      std::cout << fmt::format("Created the secrets key file {} (mode 0600).\n", key_file);
    }
    std::cout << fmt::format(
        "Stored the service's secrets (token signing keys, tenant CA, nonce key) in the "
        "database, sealed with the key in {}.\n",
        key_file);

    std::cout << fmt::format(
        "\nNext (docs/scale-out.md):\n"
        "  1. Copy {0}/content and {0}/diagnostics into a folder every instance shares\n"
        "     (SHARED below).\n"
        "  2. Give every instance the secrets key file {1} (mode 0600, owned by groundcrewd's\n"
        "     user), and keep a copy offline: the secrets in the database open only with it.\n"
        "  3. Start each instance on the database, the groundcrewd of {0} staying stopped (the\n"
        "     URI's password, if any, belongs in the variable or the config file, not on a\n"
        "     command line):\n"
        "       GROUNDCREW_DATABASE={2} {3}\\\n"
        "         groundcrewd --secrets-key-file {1} --data-dir SHARED ...\n"
        "Keep {0} as it is until the instances serve: it is the way back.\n",
        data_dir.root.string(), key_file, shown_uri,
        options->schema == "groundcrew"
            ? std::string()
            : fmt::format("GROUNDCREW_DATABASE_SCHEMA={} ", options->schema));
    exit_code = 0;
  });
}

}  // namespace groundcrew::apps

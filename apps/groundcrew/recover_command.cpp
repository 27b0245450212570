// `groundcrew credentials recover`: a new admin credential for an operator who lost every admin
// token. Like `init`, it runs on the server's machine and writes the database directly (no
// credential is left to ask the server with), which is why it lives here, with the wiring.
#include "recover_command.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/credential_commands.hpp"
#include "cli/report.hpp"
#include "common/clock.hpp"
#include "server/daemon/config.hpp"
#include "server/service/data_dir.hpp"
#include "server/store_postgres/postgres_store.hpp"
#include "server/store_sqlite/sqlite_store.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::apps {
namespace {

// "local:<name>" of the user running the command (the real user: root under sudo).
std::string LocalActor() {
  const uid_t uid = ::getuid();
  if (const passwd* entry = ::getpwuid(uid); entry != nullptr && entry->pw_name != nullptr) {
    return std::string("local:") + entry->pw_name;
  }
  return fmt::format("local:uid {}", uid);
}

std::string UserName(uid_t uid) {
  const passwd* entry = ::getpwuid(uid);
  return entry != nullptr && entry->pw_name != nullptr ? entry->pw_name : std::to_string(uid);
}

// While alive, the process's effective ids are the owner's of a data directory, so that every
// file SQLite creates there (groundcrew.db-wal, -shm) belongs to the service that owns it, as
// the Debian package runs groundcrewd as its own user. Only the effective ids change (root
// stays the saved user id), so the token file is written as root afterwards.
class ActingAsOwner {
 public:
  // Nothing changes when this process is the owner already, or when `data_dir` cannot be
  // looked at (service::CheckDataDir then says why). Errors (field "data-dir"): a user who is
  // neither root nor the owner (kPermissionDenied, saying whom to run as), a failed switch.
  static Result<std::unique_ptr<ActingAsOwner>> Begin(const std::string& data_dir) {
    struct stat owner {};
    if (::stat(data_dir.c_str(), &owner) != 0) return std::unique_ptr<ActingAsOwner>();
    const uid_t me = ::geteuid();
    if (me == owner.st_uid) return std::unique_ptr<ActingAsOwner>();
    if (me != 0) {
      const std::string owner_name = UserName(owner.st_uid);
      return MakeError(
          ErrorCode::kPermissionDenied,
          owner.st_uid == 0
              ? fmt::format("{} belongs to root: run this as root (sudo)", data_dir)
              : fmt::format("{} belongs to {} (uid {}): run this as root (sudo) or as {}", data_dir,
                            owner_name, owner.st_uid, owner_name),
          "data-dir");
    }
    const gid_t group = ::getegid();
    // The group first: once the user is not root, the group cannot change.
    if (::setegid(owner.st_gid) != 0 || ::seteuid(owner.st_uid) != 0) {
      const int error = errno;
      (void)::seteuid(0);
      (void)::setegid(group);
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("cannot act as {}'s owner {} (uid {}): {}", data_dir,
                                   UserName(owner.st_uid), owner.st_uid, std::strerror(error)),
                       "data-dir");
    }
    return std::unique_ptr<ActingAsOwner>(new ActingAsOwner(group));
  }

  ~ActingAsOwner() {
    // Back to root: the user first, for only root may change the group back.
    if (::seteuid(0) != 0 || ::setegid(group_) != 0) std::abort();
  }
  ActingAsOwner(const ActingAsOwner&) = delete;
  ActingAsOwner& operator=(const ActingAsOwner&) = delete;

 private:
  explicit ActingAsOwner(gid_t group) : group_(group) {}
  gid_t group_;
};

// "recovered-20261206T153000Z": the UTC time without separators.
std::string DefaultName(core::Timestamp now) {
  std::string name = "recovered-";
  for (char c : wire::FormatTimestamp(now)) {
    if (c != '-' && c != ':') name += c;
  }
  return name;
}

}  // namespace

void AddRecoverCommand(CLI::App& app, int& exit_code) {
  struct Options {
    std::string data_dir;
    std::string database;
    std::string schema = "groundcrew";
    std::string name;
    std::string output;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* credentials = app.get_subcommand("credentials");
  CLI::App* recover = credentials->add_subcommand(
      "recover",
      "Issue a new admin credential straight into groundcrewd's database, when every admin\n"
      "token is lost. Run it on the server's machine as root (or as the data directory's\n"
      "owner); groundcrewd may be running and accepts the token at once. The token goes out\n"
      "as with `credentials create`; the audit log names the local user.\n"
      "Exit codes: 0 created, 1 refused or failed, 2 the token would go to a terminal.");
  CLI::Option* data_dir = recover->add_option("--data-dir", options->data_dir,
                                              "the data directory groundcrewd runs with (SQLite)");
  CLI::Option* database =
      recover
          ->add_option("--database", options->database,
                       "instead: the PostgreSQL database the instances share, as "
                       "postgresql://user@host/dbname [GROUNDCREW_DATABASE]")
          ->envname("GROUNDCREW_DATABASE")
          ->type_name("URI");
  recover
      ->add_option(
          "--database-schema", options->schema,
          "with --database: the schema of groundcrew's tables [GROUNDCREW_DATABASE_SCHEMA]")
      ->envname("GROUNDCREW_DATABASE_SCHEMA")
      ->capture_default_str();
  data_dir->excludes(database);
  recover->add_option("--name", options->name,
                      "the new credential's name (default recovered-<UTC time>)");
  recover
      ->add_option("-o,--output", options->output,
                   "write the token to FILE (mode 0600; never over an existing file)")
      ->type_name("FILE");
  recover->add_flag("--json", options->json,
                    "print {\"id\", \"name\", \"role\", \"token\"} as JSON (with --output, the "
                    "token is in the file only)");
  recover->callback([options, &exit_code] {
    ::umask(0077);  // the data directory is groundcrewd's alone: files 0600
    cli::Console console{std::cout, std::cerr, cli::Style{}, cli::Style{}, false};
    // Errors name the options, as the user typed them.
    auto fail = [&](Error error) {
      if (error.field == "data-dir" || error.field == "name" || error.field == "database") {
        error.field = "--" + error.field;
      }
      exit_code = cli::ReportError(error, 1, options->json, std::cout, std::cerr);
    };
    if (options->data_dir.empty() && options->database.empty()) {
      std::cerr << "groundcrew credentials recover: give --data-dir (SQLite) or --database "
                   "(PostgreSQL)\n";
      exit_code = 2;
      return;
    }
    // Everything that can refuse does so before a credential exists.
    auto output = cli::TokenOutput::Prepare(options->output, ::isatty(STDOUT_FILENO) == 1);
    if (!output) {
      exit_code = cli::ReportTokenOutputError(output.error(), options->json, console);
      return;
    }
    const Clock clock = groundcrew::SystemClock();
    service::RecoverRequest request;
    request.data_dir = options->data_dir;
    request.name = options->name.empty() ? DefaultName(clock()) : options->name;
    request.actor = LocalActor();
    Result<service::IssuedCredential> issued = MakeError(ErrorCode::kInternal, "not run");
    const std::string where =
        options->database.empty() ? options->data_dir : daemon::RedactedDatabase(options->database);
    if (!options->database.empty()) {
      if (!options->database.starts_with("postgresql://") &&
          !options->database.starts_with("postgres://")) {
        return fail(MakeError(ErrorCode::kInvalidArgument,
                              "must be a postgresql:// URI such as postgresql://user@host/dbname",
                              "database"));
      }
      auto store = store::postgres::PostgresStore::Open(
          {.conninfo = options->database, .schema = options->schema, .read_connections = 1});
      if (!store) return fail(store.error());
      issued = service::RecoverAdminCredentialIn(**store, request, clock, where);
    } else {
      auto acting = ActingAsOwner::Begin(options->data_dir);
      if (!acting) return fail(acting.error());
      issued = service::RecoverAdminCredential(
          request, clock, [](const std::string& path) -> Result<std::unique_ptr<store::Store>> {
            auto opened = store::sqlite::SqliteStore::Open({.path = path});
            if (!opened) return opened.error();
            return std::unique_ptr<store::Store>(std::move(*opened));
          });
    }
    if (!issued) return fail(issued.error());
    boost::json::object answer{
        {"id", issued->id}, {"name", request.name}, {"role", "admin"}, {"token", issued->token}};
    auto delivered = output->Deliver(issued->token, answer, options->json, std::cout);
    if (!delivered) {
      cli::ApiError error = delivered.error();
      error.message += fmt::format(
          " (admin credential \"{}\" was created but its token is lost: run recover again, "
          "then revoke it)",
          request.name);
      exit_code = cli::ReportError(error.code, error.message, error.field, 1, options->json, false,
                                   std::cout, std::cerr);
      return;
    }
    std::cerr << fmt::format(
        "Created admin credential \"{}\" in {}; its token was written to {} (shown only "
        "once).\nSign in with it (groundcrew login), then revoke the lost credential "
        "(groundcrew credentials revoke NAME).\n",
        request.name, where, output->Where());
    exit_code = 0;
  });
}

}  // namespace groundcrew::apps

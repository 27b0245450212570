// `groundcrew init`: creates a data directory for groundcrewd. It runs on the server's machine
// and writes the database directly (there is no server to ask yet), which is why it lives here,
// with the wiring, rather than in src/cli (which only speaks HTTP).
#include "init_command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>

#include "common/clock.hpp"
#include "server/service/data_dir.hpp"
#include "server/store_sqlite/sqlite_store.hpp"

namespace groundcrew::apps {

void AddInitCommand(CLI::App& app, int& exit_code) {
  struct Options {
    std::string data_dir = "./var";
    std::string organization;
    std::string domain;
    std::string admin = "admin";
  };
  auto options = std::make_shared<Options>();
  CLI::App* init = app.add_subcommand(
      "init",
      "Create groundcrewd's data directory: the database, the tenant and the first admin\n"
      "credential, whose token is printed once. Run it on the server's machine.\n"
      "Exit codes: 0 created, 1 refused (e.g. the directory already holds a tenant).");
  init->add_option("--data-dir", options->data_dir, "where groundcrewd will keep its data")
      ->capture_default_str();
  init->add_option("--organization", options->organization,
                   "organization name shown on devices, e.g. Contoso")
      ->required();
  init->add_option("--domain", options->domain, "primary domain of user names, e.g. contoso.com")
      ->required();
  init->add_option("--admin", options->admin, "name of the first admin credential")
      ->capture_default_str();
  init->callback([options, &exit_code] {
    service::InitRequest request;
    request.data_dir = options->data_dir;
    request.organization_name = options->organization;
    request.domain = options->domain;
    request.admin_name = options->admin;
    ::umask(0077);  // the data directory is groundcrewd's alone: files 0600, folders 0700
    auto result =
        service::Init(request, groundcrew::SystemClock(),
                      [](const std::string& path) -> Result<std::unique_ptr<store::Store>> {
                        auto opened = store::sqlite::SqliteStore::Open({.path = path});
                        if (!opened) return opened.error();
                        return std::unique_ptr<store::Store>(std::move(*opened));
                      });
    if (!result) {
      std::cerr << "groundcrew init: " << result.error().message << "\n";
      exit_code = 1;
      return;
    }
    std::cout << "Created " << options->organization << " (" << options->domain << ") in "
              << options->data_dir << ".\n\n"
              << "Admin token for \"" << options->admin
              << "\" (shown only now; keep it secret):\n\n  " << result->admin_token << "\n\n"
              << "Start the service and log in:\n\n"
              << "  groundcrewd --data-dir " << options->data_dir << "\n"
              << "  groundcrew login --server http://127.0.0.1:8080   # paste the token\n";
    exit_code = 0;
  });
}

}  // namespace groundcrew::apps

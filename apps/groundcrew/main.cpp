// `groundcrew`, the admin CLI. Its commands live in src/cli and speak HTTP only; `init`, which
// creates the server's data directory on its own machine, `credentials recover`, which writes a
// new admin credential into it, and `migrate`, which copies it into PostgreSQL, are added here,
// where the service's modules may be wired in.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "init_command.hpp"
#include "migrate_command.hpp"
#include "recover_command.hpp"

int main(int argc, char** argv) {
  return groundcrew::cli::Main(argc, argv, [](CLI::App& app, int& exit_code) {
    groundcrew::apps::AddInitCommand(app, exit_code);
    groundcrew::apps::AddRecoverCommand(app, exit_code);
    groundcrew::apps::AddMigrateCommand(app, exit_code);
  });
}

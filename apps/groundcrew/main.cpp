// `groundcrew`, the admin CLI. Its commands live in src/cli and speak HTTP only; `init`, which
// creates the server's data directory on its own machine, is added here, where the service's
// modules may be wired in.
#include "cli/commands.hpp"
#include "init_command.hpp"

int main(int argc, char** argv) {
  return groundcrew::cli::Main(argc, argv, groundcrew::apps::AddInitCommand);
}

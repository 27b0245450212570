#pragma once

namespace CLI {
class App;
}  // namespace CLI

namespace groundcrew::apps {

/// Adds `groundcrew credentials recover` (a new admin credential written straight into the
/// server's database, for an operator who lost every admin token) to the `credentials` command
/// that cli::Main defines (see cli::ExtendCli).
void AddRecoverCommand(CLI::App& app, int& exit_code);

}  // namespace groundcrew::apps

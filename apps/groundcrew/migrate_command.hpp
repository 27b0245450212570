#pragma once

namespace CLI {
class App;
}  // namespace CLI

namespace groundcrew::apps {

/// Adds `groundcrew migrate` (an SQLite data directory's database and secrets copied into a
/// PostgreSQL database, for several groundcrewd instances: docs/scale-out.md) to the CLI (see
/// cli::ExtendCli).
void AddMigrateCommand(CLI::App& app, int& exit_code);

}  // namespace groundcrew::apps

#pragma once

namespace CLI {
class App;
}  // namespace CLI

namespace groundcrew::apps {

/// Adds `groundcrew init` to the CLI (see cli::ExtendCli).
void AddInitCommand(CLI::App& app, int& exit_code);

}  // namespace groundcrew::apps

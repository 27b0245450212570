#pragma once

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

// The `groundcrew` commands that need no server (the others are in remote_commands.hpp). Each
// returns the process exit code and writes results to `out`, problems to `err`. Exit codes: 0
// success; 1 the input has problems (invalid rows, unreadable file); 2 the rule or template itself
// is invalid (with its position).
namespace groundcrew::cli {

struct RulesValidateOptions {
  std::string rule;
  std::string devices_file;  ///< Graph device objects (for device rules)
  std::string users_file;    ///< Graph user objects (for user rules)
  bool json = false;
};
int RulesValidate(const RulesValidateOptions& options, std::ostream& out, std::ostream& err);

struct CsvCheckOptions {
  std::string file;
  bool json = false;
};
int CsvCheck(const CsvCheckOptions& options, std::ostream& out, std::ostream& err);

struct NamesPreviewOptions {
  std::string name_template;
  std::vector<std::string> serials;
  unsigned seed = 0;  ///< 0 = random digits from the system's entropy
  bool json = false;
};
int NamesPreview(const NamesPreviewOptions& options, std::ostream& out, std::ostream& err);

/// Adds subcommands defined outside src/cli (e.g. apps/groundcrew adds `init`) to the top-level
/// `app` before parsing. A subcommand's callback stores its exit code in `exit_code`, which Main
/// returns. Global options (--server, --timeout) are parsed before callbacks run.
using ExtendCli = std::function<void(CLI::App& app, int& exit_code)>;

/// Parses `argv` (CLI11) and runs the chosen command. Exit codes: 0 success, 1 failure (the
/// input has problems, the server refused, cannot reach the server), 2 usage error.
int Main(int argc, char** argv, const ExtendCli& extend = nullptr);

}  // namespace groundcrew::cli

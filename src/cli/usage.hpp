#pragma once

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
class Error;
}  // namespace CLI

// Usage errors the way kubectl and gh word them: the word that was not understood, what was
// probably meant, and the help command to run next.
namespace groundcrew::cli {

/// A word of the command line that is neither a command nor a flag of the command it follows.
struct UsageProblem {
  std::string message;  ///< e.g. unknown command "aply" for "groundcrew"; did you mean "apply"?
  std::string command;  ///< the command whose help lists what is allowed, e.g. "groundcrew get"
};

/// Walks `args` (argv without the program name) through `app`'s tree of commands the way CLI11
/// will, and returns the first unknown command (a word where a command that needs a subcommand
/// expects one) or unknown flag (not a flag of the command or of a command it follows), with
/// suggestions. nullopt when every command and flag is known; values and positionals are not
/// checked (CLI11 checks them when it parses).
std::optional<UsageProblem> FindUnknownWord(const CLI::App& app,
                                            const std::vector<std::string>& args);

/// The text of a usage error: "error: <message>\nRun '<command> --help' for usage.\n".
std::string UsageText(std::string_view message, std::string_view command);

/// The text for an error CLI11 raised while parsing under `root`: its message in the words above
/// (a missing subcommand lists the commands there are), naming the deepest command parsed.
std::string UsageTextFor(const CLI::App& root, const CLI::Error& error);

}  // namespace groundcrew::cli

#include "cli/usage.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>

#include "cli/suggest.hpp"

namespace groundcrew::cli {
namespace {

// "groundcrew devices list" for the command `app`.
std::string CommandPath(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* parent = app.get_parent(); parent != nullptr;
       parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  return path;
}

std::vector<const CLI::App*> Subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

std::vector<std::string> CommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : Subcommands(app)) {
    names.push_back(sub->get_name());
    for (const std::string& alias : sub->get_aliases()) names.push_back(alias);
  }
  return names;
}

// The flag `name` ("--json", "-f") of `app` or of a command it follows (global options may come
// after a subcommand).
const CLI::Option* FindFlag(const CLI::App& app, const std::string& name) {
  for (const CLI::App* at = &app; at != nullptr; at = at->get_parent()) {
    if (const CLI::Option* option = at->get_option_no_throw(name)) return option;
  }
  return nullptr;
}

std::vector<std::string> FlagNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* at = &app; at != nullptr; at = at->get_parent()) {
    for (const CLI::Option* option : at->get_options()) {
      for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    }
  }
  return names;
}

// The deepest command CLI11 selected while parsing.
const CLI::App& DeepestParsed(const CLI::App& root) {
  const CLI::App* at = &root;
  for (;;) {
    const std::vector<CLI::App*> parsed = at->get_subcommands();
    if (parsed.empty()) return *at;
    at = parsed.back();
  }
}

}  // namespace

std::optional<UsageProblem> FindUnknownWord(const CLI::App& app,
                                            const std::vector<std::string>& args) {
  const CLI::App* current = &app;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") break;
    if (word.size() > 1 && word[0] == '-') {
      const bool long_form = word.rfind("--", 0) == 0;
      const size_t equals = word.find('=');
      // "--file=x" and "-fx" carry their value; "-f x" and "--file x" take the next word.
      const std::string name = long_form ? word.substr(0, equals) : word.substr(0, 2);
      const bool value_attached = long_form ? equals != std::string::npos : word.size() > 2;
      const CLI::Option* option = FindFlag(*current, name);
      if (option == nullptr) {
        if (!long_form && word.find_first_not_of("0123456789.", 1) == std::string::npos) {
          continue;  // a negative number given as a value
        }
        const std::string hint = DidYouMean(Suggestions(name, FlagNames(*current)));
        return UsageProblem{fmt::format("unknown flag {} for \"{}\"{}", name, CommandPath(*current),
                                        hint.empty() ? "" : "; " + hint),
                            CommandPath(*current)};
      }
      if (!value_attached && option->get_expected_min() > 0 && option->get_type_size() > 0) {
        ++i;  // its value
      }
      continue;
    }
    if (Subcommands(*current).empty()) continue;  // a positional argument
    bool found = false;
    for (const CLI::App* sub : Subcommands(*current)) {
      if (sub->check_name(word)) {
        current = sub;
        found = true;
        break;
      }
    }
    if (found || current->get_require_subcommand_min() == 0) continue;
    const std::string hint = DidYouMean(Suggestions(word, CommandNames(*current)));
    return UsageProblem{fmt::format("unknown command \"{}\" for \"{}\"{}", word,
                                    CommandPath(*current), hint.empty() ? "" : "; " + hint),
                        CommandPath(*current)};
  }
  return std::nullopt;
}

std::string UsageText(std::string_view message, std::string_view command) {
  return fmt::format("error: {}\nRun '{} --help' for usage.\n", message, command);
}

std::string UsageTextFor(const CLI::App& root, const CLI::Error& error) {
  const CLI::App& command = DeepestParsed(root);
  const std::string path = CommandPath(command);
  std::string message = error.what();
  if (error.get_name() == "RequiredError" && !Subcommands(command).empty() &&
      command.get_subcommands().empty() && message.find("subcommand") != std::string::npos) {
    std::string names;
    for (const CLI::App* sub : Subcommands(command)) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    message = fmt::format("\"{}\" needs a command: {}", path, names);
  }
  return UsageText(message, path);
}

}  // namespace groundcrew::cli

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"

namespace groundcrew::cli {

int Main(int argc, char** argv) {
  CLI::App app{
      "groundcrew: pre-provisioned zero-touch device deployment.\n"
      "These commands need no server: they apply groundcrew's rules to local files."};
  app.name("groundcrew");
  app.set_version_flag("--version", std::string(GROUNDCREW_VERSION));
  app.require_subcommand(1);
  int code = 0;

  CLI::App* rules =
      app.add_subcommand("rules", "Dynamic membership rules (Microsoft Entra syntax)");
  rules->require_subcommand(1);
  RulesValidateOptions validate;
  CLI::App* validate_cmd = rules->add_subcommand(
      "validate",
      "Show which devices or users a rule matches, like Entra's \"Validate rules\".\n"
      "Exit codes: 0 checked, 1 unreadable input, 2 invalid rule (its position is shown).");
  validate_cmd
      ->add_option("--rule", validate.rule,
                   "the rule, e.g. '(device.devicePhysicalIds "
                   "-any (_ -startsWith \"[ZTDId]\"))'")
      ->required();
  validate_cmd->add_option("--devices", validate.devices_file,
                           "Graph device objects: a JSON array or {\"value\": [...]}");
  validate_cmd->add_option("--users", validate.users_file, "Graph user objects, for user rules");
  validate_cmd->add_flag("--json", validate.json, "print JSON instead of a table");
  validate_cmd->callback([&] { code = RulesValidate(validate, std::cout, std::cerr); });

  CLI::App* csv = app.add_subcommand("csv", "Autopilot registration files");
  csv->require_subcommand(1);
  CsvCheckOptions check;
  CLI::App* check_cmd =
      csv->add_subcommand("check",
                          "Check a registration CSV row by row, with Microsoft's error names.\n"
                          "Exit codes: 0 every row valid, 1 some rows or the file have problems.");
  check_cmd->add_option("FILE", check.file, "the CSV file (UTF-8 or UTF-16LE)")->required();
  check_cmd->add_flag("--json", check.json, "print JSON instead of a table");
  check_cmd->callback([&] { code = CsvCheck(check, std::cout, std::cerr); });

  CLI::App* names = app.add_subcommand("names", "Device name templates");
  names->require_subcommand(1);
  NamesPreviewOptions preview;
  CLI::App* preview_cmd = names->add_subcommand(
      "preview",
      "Validate a deviceNameTemplate and expand it for serial numbers.\n"
      "Exit codes: 0 valid, 1 some serial gives no valid name, 2 invalid template.");
  preview_cmd->add_option("TEMPLATE", preview.name_template, "e.g. CON-%SERIAL% or LAB-%RAND:4%")
      ->required();
  preview_cmd->add_option("--serial", preview.serials, "serial numbers to expand (repeatable)");
  preview_cmd->add_option("--seed", preview.seed, "seed for %RAND% digits (default: random)");
  preview_cmd->add_flag("--json", preview.json, "print JSON instead of a table");
  preview_cmd->callback([&] { code = NamesPreview(preview, std::cout, std::cerr); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return code;
}

}  // namespace groundcrew::cli

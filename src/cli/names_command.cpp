#include <fmt/format.h>

#include <boost/json.hpp>
#include <ostream>
#include <random>

#include "cli/commands.hpp"
#include "cli/render.hpp"
#include "cli/report.hpp"
#include "cli/table.hpp"
#include "core/naming/device_name.hpp"

namespace groundcrew::cli {

int NamesPreview(const NamesPreviewOptions& options, std::ostream& out, std::ostream& err) {
  auto parsed = core::ParseNameTemplate(options.name_template);
  if (!parsed) return ReportError(parsed.error(), 2, options.json, out, err);
  std::mt19937 rng(options.seed != 0 ? options.seed : std::random_device{}());
  std::uniform_int_distribution<int> digit(0, 9);

  struct Preview {
    std::string serial;
    Result<std::string> name;
  };
  std::vector<Preview> previews;
  bool any_error = false;
  for (const std::string& serial : options.serials) {
    std::string digits;
    for (int i = 0; i < parsed->random_digits; ++i) digits += static_cast<char>('0' + digit(rng));
    auto name = core::ExpandName(*parsed, serial, digits);
    any_error |= !name.has_value();
    previews.push_back({serial, std::move(name)});
  }

  if (options.json) {
    boost::json::object doc;
    doc["template"] = options.name_template;
    doc["fixedLength"] = parsed->fixed_length;
    doc["randomDigits"] = parsed->random_digits;
    doc["serialBudget"] = parsed->serial_budget;
    doc["worstCaseLength"] = parsed->worst_case_length;
    boost::json::array warnings;
    for (const auto& w : parsed->warnings) warnings.emplace_back(w);
    doc["warnings"] = std::move(warnings);
    boost::json::array names;
    for (const Preview& p : previews) {
      boost::json::object entry;
      entry["serial"] = p.serial;
      if (p.name) {
        entry["name"] = *p.name;
      } else {
        entry["error"] = p.name.error().message;
      }
      names.push_back(std::move(entry));
    }
    doc["names"] = std::move(names);
    out << JsonText(doc) << '\n';
    return any_error ? 1 : 0;
  }

  out << "template    " << options.name_template << '\n';
  out << fmt::format("worst case  {} characters (limit {}): {} fixed, {} random digits",
                     parsed->worst_case_length, core::kMaxDeviceNameLength, parsed->fixed_length,
                     parsed->random_digits);
  if (parsed->uses_serial) out << fmt::format(", serial up to {}", parsed->serial_budget);
  out << '\n';
  for (const auto& warning : parsed->warnings) out << "note        " << warning << '\n';
  if (previews.empty()) return 0;
  out << '\n';
  Table table({"SERIAL", "NAME", "LENGTH"});
  for (const Preview& p : previews) {
    if (p.name) {
      table.Add({p.serial, *p.name, std::to_string(p.name->size())});
    } else {
      table.Add({p.serial, "error: " + p.name.error().message, "-"});
    }
  }
  table.Print(out);
  return any_error ? 1 : 0;
}

}  // namespace groundcrew::cli

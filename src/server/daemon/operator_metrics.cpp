#include "server/daemon/operator_metrics.hpp"

#include <fmt/format.h>

namespace groundcrew::daemon {

namespace {

/// A label value escaped as the exposition format asks (backslash, quote, newline).
std::string EscapeLabel(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

void CounterFamilies::Declare(std::string family, std::string help,
                              std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  families_[std::move(family)] = Family{std::move(help), std::move(label_names), {}};
}

void CounterFamilies::Add(std::string_view family, const std::vector<std::string>& label_values,
                          std::uint64_t n) {
  std::lock_guard lock(mutex_);
  auto it = families_.find(family);
  if (it == families_.end() || it->second.label_names.size() != label_values.size()) return;
  it->second.series[label_values] += n;
}

std::uint64_t CounterFamilies::Get(std::string_view family,
                                   const std::vector<std::string>& label_values) const {
  std::lock_guard lock(mutex_);
  auto it = families_.find(family);
  if (it == families_.end()) return 0;
  auto series = it->second.series.find(label_values);
  return series == it->second.series.end() ? 0 : series->second;
}

std::string CounterFamilies::RenderPrometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    const std::string metric = fmt::format("groundcrew_{}_total", name);
    out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", metric, family.help, metric);
    for (const auto& [values, count] : family.series) {
      std::string labels;
      for (std::size_t i = 0; i < values.size(); ++i) {
        labels += fmt::format("{}{}=\"{}\"", i == 0 ? "" : ",", family.label_names[i],
                              EscapeLabel(values[i]));
      }
      out += labels.empty() ? fmt::format("{} {}\n", metric, count)
                            : fmt::format("{}{{{}}} {}\n", metric, labels, count);
    }
  }
  return out;
}

std::string PrometheusValue(std::string_view name, std::string_view type, std::string_view help,
                            double value) {
  return fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}

}  // namespace groundcrew::daemon

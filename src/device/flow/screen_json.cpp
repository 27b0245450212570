#include "device/flow/screen_json.hpp"

#include <boost/json/array.hpp>

#include "wire/model_json.hpp"

namespace groundcrew::device {
namespace {

namespace json = boost::json;

std::string_view ToneName(Notice::Tone tone) {
  switch (tone) {
    case Notice::Tone::kInfo:
      return "info";
    case Notice::Tone::kWarning:
      return "warning";
    case Notice::Tone::kError:
      return "error";
    case Notice::Tone::kSuccess:
      return "success";
  }
  return "";
}

json::array Strings(const std::vector<std::string>& lines) {
  json::array out;
  for (const std::string& line : lines) out.emplace_back(line);
  return out;
}

json::object ItemJson(const ItemLine& item) {
  json::object o{{"id", item.id}, {"name", item.name}, {"state", item.state}};
  if (!item.progress.empty()) o["progress"] = item.progress;
  if (item.attempt > 0) o["attempt"] = item.attempt;
  if (item.elapsed) o["elapsedSeconds"] = item.elapsed->count();
  if (!item.error.empty()) o["error"] = item.error;
  return o;
}

}  // namespace

json::object ScreenJson(const Screen& screen, Secrets secrets) {
  const bool include = secrets == Secrets::kInclude;
  json::object o{{"screen", ScreenIdName(screen.id)}, {"title", screen.title}};
  if (!screen.text.empty()) o["text"] = Strings(screen.text);
  if (!screen.fields.empty()) {
    json::array fields;
    for (const Field& field : screen.fields) {
      json::object f{{"label", field.label}};
      if (!field.secret || include) f["value"] = field.value;
      if (field.secret) f["secret"] = true;
      fields.push_back(std::move(f));
    }
    o["fields"] = std::move(fields);
  }
  if (!screen.qr.empty() && (!screen.qr_secret || include)) o["qr"] = screen.qr;
  if (!screen.checks.empty()) {
    json::array checks;
    for (const Check& check : screen.checks) {
      json::object c{{"label", check.label}, {"passed", check.passed}};
      if (!check.detail.empty()) c["detail"] = check.detail;
      checks.push_back(std::move(c));
    }
    o["checks"] = std::move(checks);
  }
  if (!screen.phases.empty()) {
    json::array phases;
    for (const PhaseLine& phase : screen.phases) {
      json::array categories;
      for (const CategoryLine& category : phase.categories) {
        json::object c{{"name", category.name}, {"status", category.status}};
        if (category.total > 0) {
          c["done"] = category.done;
          c["total"] = category.total;
        }
        if (!category.items.empty()) {
          json::array items;
          for (const ItemLine& item : category.items) items.push_back(ItemJson(item));
          c["items"] = std::move(items);
        }
        categories.push_back(std::move(c));
      }
      phases.push_back(json::object{{"phase", wire::PhaseName(phase.phase)},
                                    {"name", phase.name},
                                    {"status", phase.status},
                                    {"details", phase.details},
                                    {"categories", std::move(categories)}});
    }
    o["phases"] = std::move(phases);
  }
  if (!screen.inputs.empty()) {
    json::array inputs;
    for (const Input& input : screen.inputs) {
      json::object i{{"name", input.name}, {"label", input.label}};
      if (!input.value.empty() && !input.secret) i["value"] = input.value;
      if (input.secret) i["secret"] = true;
      if (input.locked) i["locked"] = true;
      inputs.push_back(std::move(i));
    }
    o["inputs"] = std::move(inputs);
  }
  if (screen.notice) {
    o["notice"] =
        json::object{{"tone", ToneName(screen.notice->tone)}, {"text", screen.notice->text}};
  }
  json::array buttons;
  for (const Button& button : screen.buttons) {
    json::object b{{"action", ActionName(button.action)}, {"label", button.label}};
    if (button.key == '\n') {
      b["key"] = "Enter";
    } else if (button.key != 0) {
      b["key"] = std::string(1, button.key);
    }
    if (button.phase) b["phase"] = wire::PhaseName(*button.phase);
    if (button.hidden) b["hidden"] = true;
    buttons.push_back(std::move(b));
  }
  if (!buttons.empty()) o["buttons"] = std::move(buttons);
  return o;
}

}  // namespace groundcrew::device

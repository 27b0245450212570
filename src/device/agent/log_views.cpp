// The plain and json views (view.hpp): what a log or a tool reads of a run.
#include <boost/json/serialize.hpp>
#include <map>

#include "device/agent/view.hpp"
#include "device/flow/screen_json.hpp"

namespace groundcrew::agent {
namespace {

namespace json = boost::json;
using device::Screen;

// The story of a run, a line per change: a screen's title when it comes up, then what changes
// on it (fields, checks, the notice, each phase's and item's state), and the buttons pressed.
class PlainView final : public View {
 public:
  explicit PlainView(std::ostream& out) : out_(out) {}

  void Show(const Screen& screen) override {
    const bool fresh = !last_ || last_->id != screen.id || last_->title != screen.title;
    if (fresh) {
      out_ << "\n== " << screen.title << " ==\n";
      for (const device::Input& input : screen.inputs) {
        if (input.secret || input.value.empty()) continue;
        out_ << "   " << input.label << ": " << input.value << (input.locked ? " (pre-filled)" : "")
             << "\n";
      }
    }
    for (size_t i = 0; i < screen.fields.size(); ++i) {
      const device::Field& field = screen.fields[i];
      if (!fresh && i < last_->fields.size() && last_->fields[i] == field) continue;
      out_ << "   " << field.label << ": "
           << (field.secret ? "(shown on the device's screen only)" : field.value) << "\n";
    }
    for (size_t i = 0; i < screen.checks.size(); ++i) {
      const device::Check& check = screen.checks[i];
      if (!fresh && i < last_->checks.size() && last_->checks[i] == check) continue;
      out_ << "   " << (check.passed ? "[ok] " : "[!!] ") << check.label
           << (check.detail.empty() ? "" : ": " + check.detail) << "\n";
    }
    for (const device::PhaseLine& phase : screen.phases) {
      std::string& shown = shown_[phase.name];
      if (shown != phase.status) {
        shown = phase.status;
        out_ << "   " << phase.name << ": " << phase.status << "\n";
      }
      for (const device::CategoryLine& category : phase.categories) {
        for (const device::ItemLine& item : category.items) {
          // Device preparation's steps are categories of one item each: named once.
          const std::string where = category.name == item.name
                                        ? phase.name + " > " + item.name
                                        : phase.name + " > " + category.name + " > " + item.name;
          std::string line = item.state;
          if (item.attempt > 1) line += " (attempt " + std::to_string(item.attempt) + ")";
          if (!item.error.empty()) line += ": " + item.error;
          std::string& was = shown_[phase.name + "/" + item.id];
          if (was == line) continue;
          const bool first = was.empty();
          was = line;
          if (first && item.state == "Waiting") continue;  // every item starts so: no news
          out_ << "   " << where << ": " << line;
          if (item.elapsed && item.state != "Downloading" && item.state != "Installing" &&
              item.state != "Applying" && item.state != "Working on it" &&
              item.elapsed->count() > 0) {
            out_ << " (" << device::FormatElapsed(*item.elapsed) << ")";
          }
          out_ << "\n";
        }
      }
    }
    if (screen.notice && (fresh || last_->notice != screen.notice)) {
      out_ << "   " << (screen.notice->tone == device::Notice::Tone::kError ? "! " : "")
           << screen.notice->text << "\n";
    }
    out_ << std::flush;
    last_ = screen;
  }

  void Pressed(const device::Button& button) override {
    if (button.action == device::Action::kToggleDetails) return;
    out_ << "   > " << (button.label.empty() ? device::ActionName(button.action) : button.label)
         << "\n"
         << std::flush;
  }

 private:
  std::ostream& out_;
  std::optional<Screen> last_;
  std::map<std::string, std::string> shown_;  // phase name or phase/item id -> last line
};

// {"type": "screen", ...} whenever the screen changed, {"type": "pressed", ...} per button.
class JsonView final : public View {
 public:
  explicit JsonView(std::ostream& out) : out_(out) {}

  void Show(const Screen& screen) override {
    json::object line{{"type", "screen"}};
    for (auto& member : device::ScreenJson(screen, device::Secrets::kLeaveOut)) {
      line.emplace(member.key(), std::move(member.value()));
    }
    std::string text = json::serialize(line);
    if (text == last_) return;
    out_ << text << "\n" << std::flush;
    last_ = std::move(text);
  }

  void Pressed(const device::Button& button) override {
    json::object o{{"type", "pressed"}, {"action", device::ActionName(button.action)}};
    if (!button.label.empty()) o["label"] = button.label;
    out_ << json::serialize(o) << "\n" << std::flush;
  }

 private:
  std::ostream& out_;
  std::string last_;
};

}  // namespace

std::unique_ptr<View> MakeLogView(std::string_view kind, std::ostream& out) {
  if (kind == "plain") return std::make_unique<PlainView>(out);
  if (kind == "json") return std::make_unique<JsonView>(out);
  return nullptr;
}

}  // namespace groundcrew::agent

#include "device/agent/ui.hpp"

#include <boost/json/serialize.hpp>
#include <deque>
#include <map>

namespace groundcrew::agent {
namespace {

// The 25/50/75% marks of items, each shown once per attempt (plain and json UIs).
class ProgressMarks {
 public:
  /// The mark `item` reached that was not shown yet (0: none), counted as shown.
  int Next(const ItemProgress& item) {
    int& reported = reported_[item.phase + "/" + item.id];
    const std::optional<int> percent = ProgressPercent(item.done, item.total);
    if (percent && *percent < reported) reported = 0;  // a new attempt starts over
    const int mark = NextProgressMark(reported, item.done, item.total);
    if (mark != 0) reported = mark;
    return mark;
  }

 private:
  std::map<std::string, int> reported_;
};

class PlainUi final : public Ui {
 public:
  explicit PlainUi(std::ostream& out) : out_(out) {}
  // A screen is printed when it appears (progress on it arrives as events); the ESP screens'
  // item lists are left to the events.
  void Screen(const ScreenView& screen) override {
    const bool esp = screen.name == "device-preparation" || screen.name == "device-setup" ||
                     screen.name == "account-setup" || screen.name == "privacy";
    if (screen.name == last_screen_ && (esp || screen.lines == last_lines_)) return;
    last_screen_ = screen.name;
    last_lines_ = screen.lines;
    out_ << "[" << screen.name << "] " << screen.title;
    if (!esp) {
      for (const std::string& line : screen.lines) out_ << " | " << line;
    }
    out_ << "\n" << std::flush;
  }
  void Event(std::string_view kind, const boost::json::object&, std::string_view text) override {
    out_ << "  " << kind << ": " << text << "\n" << std::flush;
  }
  void Progress(const ScreenView&, const std::vector<ItemProgress>& changed) override {
    for (const ItemProgress& item : changed) {
      if (marks_.Next(item) == 0) continue;
      out_ << "  itemProgress: " << item.display_name << " "
           << FormatProgress(item.done, item.total) << "\n"
           << std::flush;
    }
  }

 private:
  std::ostream& out_;
  ProgressMarks marks_;
  std::string last_screen_;
  std::vector<std::string> last_lines_;
};

class JsonUi final : public Ui {
 public:
  explicit JsonUi(std::ostream& out) : out_(out) {}
  void Screen(const ScreenView& screen) override {
    boost::json::array lines;
    for (const std::string& line : screen.lines) lines.push_back(boost::json::string(line));
    out_ << boost::json::serialize(boost::json::object{{"type", "screen"},
                                                       {"screen", screen.name},
                                                       {"title", screen.title},
                                                       {"lines", std::move(lines)}})
         << "\n"
         << std::flush;
  }
  void Event(std::string_view kind, const boost::json::object& detail,
             std::string_view text) override {
    out_ << boost::json::serialize(boost::json::object{
                {"type", "event"}, {"kind", kind}, {"text", text}, {"detail", detail}})
         << "\n"
         << std::flush;
  }
  // {"type":"event","kind":"itemProgress","detail":{...,"mark":50,"done":..,"total":..}}
  void Progress(const ScreenView&, const std::vector<ItemProgress>& changed) override {
    for (const ItemProgress& item : changed) {
      const int mark = marks_.Next(item);
      if (mark == 0) continue;
      Event("itemProgress",
            boost::json::object{{"phase", item.phase},
                                {"id", item.id},
                                {"displayName", item.display_name},
                                {"mark", mark},
                                {"done", item.done},
                                {"total", item.total}},
            item.display_name + " " + FormatProgress(item.done, item.total));
    }
  }

 private:
  std::ostream& out_;
  ProgressMarks marks_;
};

// Redraws the whole screen in place, like the real out-of-box experience: the title, the
// screen's lines, then the last few events.
class TerminalUi final : public Ui {
 public:
  explicit TerminalUi(std::ostream& out) : out_(out) {}
  void Screen(const ScreenView& screen) override {
    screen_ = screen;
    Draw();
  }
  void Event(std::string_view kind, const boost::json::object&, std::string_view text) override {
    recent_.push_back(std::string(kind) + ": " + std::string(text));
    if (recent_.size() > kRecent) recent_.pop_front();
    Draw();
  }
  void Progress(const ScreenView& screen, const std::vector<ItemProgress>&) override {
    Screen(screen);
  }

 private:
  static constexpr size_t kRecent = 6;
  void Draw() {
    out_ << "\033[H\033[2J";  // home, clear
    out_ << "\033[1m" << screen_.title << "\033[0m\n\n";
    for (const std::string& line : screen_.lines) out_ << "  " << line << "\n";
    if (!recent_.empty()) {
      out_ << "\n\033[2m";
      for (const std::string& line : recent_) out_ << "  " << line << "\n";
      out_ << "\033[0m";
    }
    out_ << std::flush;
  }
  std::ostream& out_;
  ScreenView screen_;
  std::deque<std::string> recent_;
};

}  // namespace

std::unique_ptr<Ui> MakeUi(std::string_view kind, std::ostream& out) {
  if (kind == "terminal") return std::make_unique<TerminalUi>(out);
  if (kind == "plain") return std::make_unique<PlainUi>(out);
  if (kind == "json") return std::make_unique<JsonUi>(out);
  return nullptr;
}

}  // namespace groundcrew::agent

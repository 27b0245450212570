// The full-screen terminal view (view.hpp), with ncurses: a device's console (tty1) or an SSH
// session. Eight colours (the Linux console has no more), redrawn on every change and on a
// resize, nothing scrolls. QR codes are drawn with half blocks when the locale is UTF-8.
#include <langinfo.h>
#include <ncursesw/curses.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <clocale>
#include <csignal>
#include <cstring>
#include <iterator>

#include "device/agent/view.hpp"
#include "identity/qr.hpp"

namespace groundcrew::agent {
namespace {

using device::Screen;

enum Pair : short { kTitle = 1, kError, kWarning, kSuccess, kInfo, kQr, kButton };

// ---- leaving the terminal as it was, even when a signal ends the agent ----
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
struct sigaction g_previous[std::size(kSignals)];
termios g_saved{};
volatile std::sig_atomic_t g_active = 0;
char g_leave[64] = {};  // what puts the screen back: rmcup, cnorm, sgr0
size_t g_leave_size = 0;

// Only async-signal-safe calls: the bytes that leave full-screen mode, the saved terminal
// mode, the previous action, and the signal raised again (handled as before once we return).
extern "C" void LeaveAndRaise(int signal) {
  if (g_active != 0) {
    (void)!::write(STDOUT_FILENO, g_leave, g_leave_size);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);
    g_active = 0;
  }
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    if (kSignals[i] == signal) ::sigaction(signal, &g_previous[i], nullptr);
  }
  ::raise(signal);
}

void AppendCap(const char* name) {
  const char* cap = tigetstr(const_cast<char*>(name));
  if (cap == nullptr || cap == reinterpret_cast<char*>(-1)) return;
  const size_t n = std::strlen(cap);
  if (g_leave_size + n > sizeof(g_leave)) return;
  std::memcpy(g_leave + g_leave_size, cap, n);
  g_leave_size += n;
}

// Words of `text` in lines of at most `width` columns (bytes: the model's text is ASCII but
// for names, which are kept whole).
std::vector<std::string> Wrap(const std::string& text, int width) {
  std::vector<std::string> lines;
  std::string line;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && static_cast<int>(line.size() + 1 + word.size()) > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

std::string KeyName(char key) {
  if (key == '\n') return "Enter";
  return std::string(1, key);
}

class TerminalView final : public View {
 public:
  TerminalView(SCREEN* screen, bool utf8) : screen_(screen), utf8_(utf8) {}

  ~TerminalView() override {
    endwin();
    delscreen(screen_);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);
    g_active = 0;
    for (size_t i = 0; i < std::size(kSignals); ++i) {
      ::sigaction(kSignals[i], &g_previous[i], nullptr);
    }
  }

  void Show(const Screen& screen) override {
    if (!shown_ || shown_->id != screen.id || shown_->inputs != screen.inputs) {
      typed_.clear();  // a new form
      focus_ = -1;
    }
    shown_ = screen;
    Draw();
  }

  void Pressed(const device::Button&) override {}
  bool interactive() const override { return true; }
  bool closed() const override { return closed_; }

  std::optional<Press> Wait(const Screen& screen,
                            std::optional<std::chrono::milliseconds> timeout) override {
    if (closed_) return std::nullopt;
    if (!shown_ || !(*shown_ == screen)) Show(screen);
    const auto deadline =
        timeout ? std::optional(std::chrono::steady_clock::now() + *timeout) : std::nullopt;
    for (;;) {
      int wait_ms = -1;
      if (deadline) {
        wait_ms = static_cast<int>(
            std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                       *deadline - std::chrono::steady_clock::now())
                                       .count()));
      }
      wtimeout(stdscr, wait_ms);
      const int key = getch();
      if (key == ERR) {
        if (deadline && std::chrono::steady_clock::now() >= *deadline) return std::nullopt;
        if (!deadline) {  // input is gone (a hang-up): nobody will answer
          closed_ = true;
          return std::nullopt;
        }
        continue;
      }
      if (key == KEY_RESIZE) {
        Draw();
        continue;
      }
      if (key == 4) {  // Ctrl-D: the person leaves
        closed_ = true;
        return std::nullopt;
      }
      if (std::optional<Press> press = Handle(key)) return press;
    }
  }

 private:
  std::vector<size_t> Editable() const {
    std::vector<size_t> fields;
    for (size_t i = 0; i < shown_->inputs.size(); ++i) {
      if (!shown_->inputs[i].locked) fields.push_back(i);
    }
    return fields;
  }

  std::string& Typed(size_t input) {
    const device::Input& field = shown_->inputs[input];
    auto [it, inserted] = typed_.try_emplace(field.name, field.value);
    return it->second;
  }

  std::optional<Press> Handle(int key) {
    const std::vector<size_t> editable = Editable();
    if (!editable.empty() && focus_ < 0) focus_ = static_cast<int>(editable.front());
    const bool enter = key == '\n' || key == '\r' || key == KEY_ENTER;
    if (enter) {
      const device::Button* button = nullptr;
      for (const device::Button& b : shown_->buttons) {
        if (b.key == '\n') button = &b;
      }
      // Enter in a form moves to the next empty field first, like a sign-in page.
      if (!editable.empty()) {
        auto at = std::find(editable.begin(), editable.end(), static_cast<size_t>(focus_));
        if (at != editable.end() && std::next(at) != editable.end() && !Typed(*at).empty() &&
            Typed(*std::next(at)).empty()) {
          focus_ = static_cast<int>(*std::next(at));
          Draw();
          return std::nullopt;
        }
      }
      if (button == nullptr) return std::nullopt;
      return Pressing(*button);
    }
    if (!editable.empty()) {
      std::string& text = Typed(static_cast<size_t>(focus_));
      if (key == '\t' || key == KEY_DOWN || key == KEY_UP || key == KEY_BTAB) {
        auto at = std::find(editable.begin(), editable.end(), static_cast<size_t>(focus_));
        const size_t index = static_cast<size_t>(at - editable.begin());
        const bool back = key == KEY_UP || key == KEY_BTAB;
        focus_ = static_cast<int>(
            editable[(index + (back ? editable.size() - 1 : 1)) % editable.size()]);
      } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        if (!text.empty()) text.pop_back();
      } else if (key == 21) {  // Ctrl-U: clear the field
        text.clear();
      } else if (key >= 32 && key < 256 && key != 127) {
        if (text.size() < 256) text += static_cast<char>(key);
      }
      Draw();
      return std::nullopt;
    }
    for (const device::Button& button : shown_->buttons) {
      if (button.key != '\n' && button.key != 0 && std::tolower(button.key) == std::tolower(key)) {
        return Pressing(button);
      }
    }
    return std::nullopt;
  }

  Press Pressing(const device::Button& button) {
    Press press{.action = button.action, .phase = button.phase};
    for (size_t i = 0; i < shown_->inputs.size(); ++i) {
      press.inputs[shown_->inputs[i].name] = Typed(i);
    }
    typed_.clear();
    focus_ = -1;
    return press;
  }

  // Writes `text` at (row, col), cut at column `right_` (the QR code's left edge when it is
  // beside the text; else the screen's). Columns are counted in characters, not bytes.
  void Put(int row, int col, const std::string& text, attr_t attr = A_NORMAL) {
    PutUpTo(row, col, text, attr, right_);
  }
  void PutUpTo(int row, int col, const std::string& text, attr_t attr, int right) {
    right = std::min(right, COLS);
    if (row < 0 || row >= LINES || col >= right) return;
    size_t bytes = 0;
    for (int columns = 0; bytes < text.size() && columns < right - col; ++columns) {
      ++bytes;
      while (bytes < text.size() && (static_cast<unsigned char>(text[bytes]) & 0xC0) == 0x80) {
        ++bytes;
      }
    }
    attron(attr);
    mvaddnstr(row, col, text.c_str(), static_cast<int>(bytes));
    attroff(attr);
  }

  attr_t Colour(Pair pair) const { return has_colors() ? COLOR_PAIR(pair) : A_NORMAL; }

  attr_t Tone(device::Notice::Tone tone) const {
    switch (tone) {
      case device::Notice::Tone::kError:
        return Colour(kError) | A_BOLD;
      case device::Notice::Tone::kWarning:
        return Colour(kWarning) | A_BOLD;
      case device::Notice::Tone::kSuccess:
        return Colour(kSuccess) | A_BOLD;
      case device::Notice::Tone::kInfo:
        return Colour(kInfo);
    }
    return A_NORMAL;
  }

  // The QR code's lines: two module rows a line in half blocks, light modules drawn (the field a
  // scanner expects is light), a quiet zone of two modules.
  std::vector<std::string> QrLines() const {
    Result<identity::QrCode> qr = identity::EncodeQr(shown_->qr);
    if (!qr || !utf8_) return {};
    constexpr int kQuiet = 2;
    const int size = qr->size() + 2 * kQuiet;
    auto light = [&](int x, int y) {
      x -= kQuiet;
      y -= kQuiet;
      if (x < 0 || y < 0 || x >= qr->size() || y >= qr->size()) return true;
      return !qr->dark(x, y);
    };
    std::vector<std::string> lines;
    for (int y = 0; y < size; y += 2) {
      std::string line;
      for (int x = 0; x < size; ++x) {
        const bool top = light(x, y);
        const bool bottom = y + 1 < size ? light(x, y + 1) : false;
        line += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
      }
      lines.push_back(line);
    }
    return lines;
  }

  void Draw() {
    erase();
    const Screen& s = *shown_;
    const int width = COLS;
    // Title bar.
    attron(Colour(kTitle) | A_BOLD);
    mvhline(0, 0, ' ', width);
    attroff(Colour(kTitle) | A_BOLD);
    right_ = width;
    Put(0, 2, s.title, Colour(kTitle) | A_BOLD);

    // The QR code goes to the right when there is room, else below the fields, else it is
    // named only.
    const std::vector<std::string> qr = s.qr.empty() ? std::vector<std::string>{} : QrLines();
    const int qr_width = QrWidth(qr);
    // Beside the text only when every field and check still fits whole on its left.
    size_t widest = 40;
    for (const device::Field& field : s.fields) widest = std::max(widest, 16 + field.value.size());
    for (const device::Check& check : s.checks) {
      widest = std::max(widest, 9 + check.label.size() + check.detail.size() + 2);
    }
    const bool qr_right = !qr.empty() && width >= qr_width + static_cast<int>(widest) + 3 &&
                          static_cast<int>(qr.size()) + 3 <= LINES - 2;
    right_ = qr_right ? width - qr_width - 3 : width;
    const int text_width = std::max(20, right_ - 4);
    int row = 2;
    for (const std::string& paragraph : s.text) {
      for (const std::string& line : Wrap(paragraph, text_width)) Put(row++, 2, line);
      ++row;
    }
    size_t label_width = 0;
    for (const device::Field& field : s.fields)
      label_width = std::max(label_width, field.label.size());
    for (const device::Field& field : s.fields) {
      Put(row, 2, field.label + ":", A_DIM);
      Put(row++, 4 + static_cast<int>(label_width), field.value, A_BOLD);
    }
    if (!s.fields.empty()) ++row;
    for (const device::Check& check : s.checks) {
      Put(row, 2, check.passed ? "[ OK ]" : "[FAIL]",
          check.passed ? Colour(kSuccess) | A_BOLD : Colour(kError) | A_BOLD);
      Put(row++, 9, check.label + (check.detail.empty() ? "" : ": " + check.detail));
    }
    if (!s.checks.empty()) ++row;
    if (qr_right) {
      int qr_row = 2;
      for (const std::string& line : qr) {
        PutUpTo(qr_row++, width - qr_width - 2, line, Colour(kQr), width);
      }
    } else if (!qr.empty() && row + static_cast<int>(qr.size()) < LINES - 3) {
      for (const std::string& line : qr) Put(row++, 2, line, Colour(kQr));
      ++row;
    } else if (!s.qr.empty()) {
      Put(row++, 2, "(A larger window shows the QR code here.)", A_DIM);
      ++row;
    }
    for (const device::PhaseLine& phase : s.phases) DrawPhase(row, phase, width);
    // The inputs.
    int cursor_row = -1, cursor_col = -1;
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      const device::Input& input = s.inputs[i];
      const std::string& text = Typed(i);
      const std::string shown = input.secret ? std::string(text.size(), '*') : text;
      Put(row, 2, input.label + ":", A_DIM);
      const int col = 14;
      Put(row, col, input.locked ? shown + "  (set by your organization)" : shown,
          input.locked ? A_BOLD : A_UNDERLINE | A_BOLD);
      if (!input.locked) {
        mvhline(row, col + static_cast<int>(shown.size()), '_',
                std::max(0, std::min(32, right_ - col - static_cast<int>(shown.size()) - 1)));
      }
      if (static_cast<int>(i) == focus_ || (focus_ < 0 && !input.locked && cursor_row < 0)) {
        cursor_row = row;
        cursor_col = col + static_cast<int>(shown.size());
      }
      row += 2;
    }
    if (s.notice) {
      for (const std::string& line : Wrap(s.notice->text, text_width)) {
        Put(row++, 2, line, Tone(s.notice->tone));
      }
    }
    // The buttons, on the last line.
    int col = 2;
    for (const device::Button& button : s.buttons) {
      if (button.hidden || button.action == device::Action::kToggleDetails) continue;
      const std::string label = " " + button.label + " (" + KeyName(button.key) + ") ";
      PutUpTo(LINES - 1, col, label, Colour(kButton) | A_BOLD, width);
      col += static_cast<int>(label.size()) + 2;
    }
    bool details = false;
    for (const device::Button& button : s.buttons) {
      details = details || button.action == device::Action::kToggleDetails;
    }
    if (details) {
      PutUpTo(LINES - 1, col, "1-3: show or hide a phase's details", A_DIM, width);
    }
    if (cursor_row >= 0 && cursor_row < LINES) {
      curs_set(1);
      move(cursor_row, std::min(cursor_col, COLS - 1));
    } else {
      curs_set(0);
    }
    refresh();
  }

  static int QrWidth(const std::vector<std::string>& lines) {
    if (lines.empty()) return 0;
    // Every glyph is one column: count the UTF-8 lead bytes.
    int columns = 0;
    for (unsigned char c : lines.front()) columns += (c & 0xC0) != 0x80 ? 1 : 0;
    return columns;
  }

  void DrawPhase(int& row, const device::PhaseLine& phase, int width) {
    const bool complete = phase.status == "Complete";
    const bool failed = phase.status == "Failed";
    const attr_t status = complete ? Colour(kSuccess) | A_BOLD
                          : failed ? Colour(kError) | A_BOLD
                                   : Colour(kInfo);
    const std::string marker = phase.details ? "[-] " : "[+] ";
    Put(row, 2, marker + phase.name, A_BOLD);
    Put(row++, 4 + 24, "(" + phase.status + ")", status);
    if (!phase.details) {
      // Collapsed: one line of categories.
      std::string summary;
      for (const device::CategoryLine& category : phase.categories) {
        if (!summary.empty()) summary += "   ";
        summary +=
            category.name + (category.total > 0 ? " (" + std::to_string(category.done) + " of " +
                                                      std::to_string(category.total) + ")"
                                                : "");
      }
      for (const std::string& line : Wrap(summary, width - 8)) Put(row++, 6, line, A_DIM);
      ++row;
      return;
    }
    for (const device::CategoryLine& category : phase.categories) {
      Put(row, 6, category.name, A_BOLD);
      Put(row++, 6 + 38, category.status);
      if (category.items.size() == 1 && category.items.front().name == category.name) continue;
      for (const device::ItemLine& item : category.items) {
        std::string line = item.state;
        if (!item.progress.empty()) line += " " + item.progress;
        if (item.attempt > 1) line += ", attempt " + std::to_string(item.attempt);
        if (item.elapsed) line += ", " + device::FormatElapsed(*item.elapsed);
        Put(row, 8, item.name);
        const bool bad = !item.error.empty();
        Put(row++, 8 + 36, line, bad ? Colour(kError) : A_DIM);
        if (bad) Put(row++, 10, item.error, Colour(kError));
      }
    }
    ++row;
  }

  SCREEN* screen_;
  bool utf8_;
  std::optional<Screen> shown_;
  std::map<std::string, std::string> typed_;  // SECRET: may hold a password
  int focus_ = -1;
  bool closed_ = false;
  int right_ = 0;  // the column text stops at (Draw sets it)
};

}  // namespace

Result<std::unique_ptr<View>> MakeTerminalView() {
  if (::isatty(STDIN_FILENO) == 0 || ::isatty(STDOUT_FILENO) == 0) {
    return MakeError(ErrorCode::kFailedPrecondition, "standard input and output are not a terminal",
                     "--ui");
  }
  std::setlocale(LC_ALL, "");
  const bool utf8 = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  if (::tcgetattr(STDIN_FILENO, &g_saved) != 0) {
    return MakeError(ErrorCode::kFailedPrecondition, "standard input is not a terminal", "--ui");
  }
  // Ours before ncurses starts, so that it keeps its own out (it installs handlers only where
  // there are none) and a signal ends the agent by that signal, as it would have.
  struct sigaction leave {};
  leave.sa_handler = LeaveAndRaise;
  sigemptyset(&leave.sa_mask);
  for (size_t i = 0; i < std::size(kSignals); ++i) {
    ::sigaction(kSignals[i], &leave, &g_previous[i]);
  }
  SCREEN* screen = newterm(nullptr, stdout, stdin);
  if (screen == nullptr) {
    for (size_t i = 0; i < std::size(kSignals); ++i) {
      ::sigaction(kSignals[i], &g_previous[i], nullptr);
    }
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the terminal type is unknown: set TERM (e.g. TERM=linux)", "--ui");
  }
  set_term(screen);
  g_leave_size = 0;
  AppendCap("rmcup");
  AppendCap("cnorm");
  AppendCap("sgr0");
  g_active = 1;
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  if (has_colors()) {
    start_color();
    use_default_colors();
    init_pair(kTitle, COLOR_WHITE, COLOR_BLUE);
    init_pair(kError, COLOR_RED, -1);
    init_pair(kWarning, COLOR_YELLOW, -1);
    init_pair(kSuccess, COLOR_GREEN, -1);
    init_pair(kInfo, COLOR_CYAN, -1);
    init_pair(kQr, COLOR_WHITE, COLOR_BLACK);
    init_pair(kButton, COLOR_WHITE, COLOR_BLUE);
  }
  return std::unique_ptr<View>(std::make_unique<TerminalView>(screen, utf8));
}

}  // namespace groundcrew::agent

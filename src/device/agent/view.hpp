#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "device/flow/screen.hpp"

// Views of the screen model (device/flow/screen.hpp): they render the screen the driver computed
// and, when a person is there, turn what they press and type into a Press. They never decide:
// what a button does is the driver's.
//   terminal  full screen (ncurses), for a device's console or SSH: waits for the person;
//   plain     a line per change, for logs and CI: the story of the run, no escape codes;
//   json      one JSON object per line ({"type": "screen", ...} as screen_json.hpp, or
//             {"type": "pressed", "action": ...}), for tools and tests.
// Plain and json views are not interactive: decisions come from the answers file. None of them
// writes a secret field, a secret QR code or a typed secret anywhere but the device's own screen.
// Called from the driver's thread only.
namespace groundcrew::agent {

/// What the person did on a screen: the button, and what they typed in its inputs (by
/// Input::name). SECRET: inputs may hold a password; never log them.
struct Press {
  device::Action action = device::Action::kNext;
  std::optional<core::EspPhase> phase = {};  ///< kToggleDetails
  std::map<std::string, std::string, std::less<>> inputs = {};
};

class View {
 public:
  virtual ~View() = default;
  /// Shows `screen`; called again whenever anything on it changed.
  virtual void Show(const device::Screen& screen) = 0;
  /// `button` was pressed, by the person or by the answers file (a line in the log views).
  virtual void Pressed(const device::Button& button) = 0;
  /// Whether a person can press buttons here (Wait may return a Press).
  virtual bool interactive() const { return false; }
  /// Waits for the person to press one of `screen`'s buttons, at most `timeout` (none: until
  /// they do). nullopt on timeout, when nobody can answer (not interactive) or once input ended
  /// (closed()). REQUIRES: `screen` was the last one shown.
  virtual std::optional<Press> Wait(const device::Screen& screen,
                                    std::optional<std::chrono::milliseconds> timeout) {
    (void)screen;
    (void)timeout;
    return std::nullopt;
  }
  /// The person's input ended (Ctrl-D, the terminal hung up): nobody will answer any more.
  virtual bool closed() const { return !interactive(); }
};

/// The log views: "plain" or "json", writing to `out`; nullptr for any other kind.
std::unique_ptr<View> MakeLogView(std::string_view kind, std::ostream& out);

/// The full-screen view on the terminal of standard input and output. kFailedPrecondition when
/// they are not a terminal or its type is unknown ($TERM).
[[nodiscard]] Result<std::unique_ptr<View>> MakeTerminalView();

}  // namespace groundcrew::agent

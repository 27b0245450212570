#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "device/agent/progress.hpp"

// What the person at the device sees. The driver tells the UI which screen is up (a title and
// its lines) and what happens (events); the UI decides how to draw it:
//   terminal  redraws the screen in place (ANSI), the last events under it;
//   plain     one line per screen and per event (logs, CI);
//   json      one JSON object per line: {"type":"screen"|"event", ...}.
// Progress of running items (progress.hpp) is UI-only: the terminal redraws the screen with it;
// plain and json show each item's 25/50/75% marks only (as "itemProgress" events).
// Called on the driver's thread only. Never given a secret.
namespace groundcrew::agent {

struct ScreenView {
  std::string name;   ///< the flow's screen, e.g. "device-setup"
  std::string title;  ///< e.g. "Setting up your device for work"
  std::vector<std::string> lines;
};

class Ui {
 public:
  virtual ~Ui() = default;
  /// The screen now up. Called again when its lines change.
  virtual void Screen(const ScreenView& screen) = 0;
  /// Something happened: `kind` (e.g. "itemSucceeded"), its detail, and a sentence.
  virtual void Event(std::string_view kind, const boost::json::object& detail,
                     std::string_view text) = 0;
  /// Items on the screen up have progressed: `screen` is that screen drawn again with the
  /// progress in its item lines, `changed` the items whose progress changed. The driver calls
  /// it at most about five times a second; it is never a report to the service.
  virtual void Progress(const ScreenView& screen, const std::vector<ItemProgress>& changed) = 0;
};

/// "terminal", "plain" or "json"; nullptr for anything else.
std::unique_ptr<Ui> MakeUi(std::string_view kind, std::ostream& out);

}  // namespace groundcrew::agent

#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "device/agent/view.hpp"

// The meeting point of the driver's thread and a browser's requests (the web view,
// web_view.hpp): the driver publishes each screen it shows and waits for a press; the web
// server hands the browser the latest screen and passes on what the person pressed. A press is
// taken only for the screen it was made on (its version) and only for a button that screen
// offers, so a late click on a screen that has since changed does nothing. Thread-safe.
namespace groundcrew::agent {

/// What the browser is sent: a screen (as JSON, secrets included: it is the device's own
/// screen) with its version, or the end of the run.
struct PublishedScreen {
  std::uint64_t version = 0;  ///< 1 for the first screen, +1 for each change
  std::string json;           ///< {"version": N, "screen": {...}} or {"version": N, "exit": E}
  bool ended = false;         ///< the run is over: `json` is the end event
};

class ScreenChannel {
 public:
  /// `screen` is up. A screen equal to the one up is not a change (no new version).
  void Publish(const device::Screen& screen);
  /// The run ended with `exit_code` (OobeExit); the last screen stays up.
  void End(int exit_code);
  /// Stops every wait (Next returns nullopt, Wait returns nullopt and closed() holds).
  void Close();
  bool closed() const;

  /// The latest screen, or the end, when its version is newer than `after` (closed or not: what
  /// was published before Close is still sent); else waits for one until `deadline` or Close.
  /// nullopt when there is nothing newer.
  std::optional<PublishedScreen> Next(std::uint64_t after,
                                      std::chrono::steady_clock::time_point deadline) const;

  /// The person pressed `press.action` on the screen of `version`. kFailedPrecondition when
  /// that screen is no longer up, the run ended, or it has no such button (the press is
  /// dropped); otherwise the press is queued for Wait.
  [[nodiscard]] Status Submit(std::uint64_t version, Press press);

  /// The next press for `screen` (REQUIRES: the screen last published), waiting at most
  /// `timeout` (none: until one comes or the channel is closed). A press taken on an earlier
  /// version is delivered when `screen` is the same screen (its id) and offers its button too
  /// (the ESP changes as items progress), else dropped.
  std::optional<Press> Wait(const device::Screen& screen,
                            std::optional<std::chrono::milliseconds> timeout);

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::optional<device::Screen> screen_;
  PublishedScreen latest_;
  std::deque<std::pair<device::ScreenId, Press>> presses_;  // (the screen pressed on, press)
  bool closed_ = false;
};

}  // namespace groundcrew::agent

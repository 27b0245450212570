#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

// Per-item progress while items install (bytes done of bytes total, as the executors report it,
// executor::ProgressFn). UI-only: never journaled, never reported to the service. Install
// threads write it into a ProgressBoard; the driver's thread reads it into the screen model
// (device/flow/screen.hpp), redrawing at most as often as a RedrawThrottle allows.
namespace groundcrew::agent {

/// Lets something happen at most once per `interval` (redraws: 200 ms gives at most 5 a second).
/// Not thread-safe (the driver's thread only).
class RedrawThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RedrawThrottle(Clock::duration interval) : interval_(interval) {}
  /// Whether it may happen at `now` (nothing happened yet, or `interval` has passed since).
  bool Due(Clock::time_point now) const { return !last_ || now - *last_ >= interval_; }
  /// It happened at `now`.
  void Mark(Clock::time_point now) { last_ = now; }

 private:
  Clock::duration interval_;
  std::optional<Clock::time_point> last_;
};

/// The latest progress of each item, written from install threads and read from the driver's.
/// Thread-safe.
class ProgressBoard {
 public:
  using Sink = std::function<void(std::uint64_t done, std::uint64_t total)>;
  /// Starts a new attempt of item `id`: forgets what the last attempt reported and returns the
  /// sink its executor reports to (callable from any thread). A sink of an earlier attempt
  /// (still running while stopped) is ignored from then on. The board must outlive the sinks'
  /// calls.
  Sink Track(const std::string& id);
  /// The latest {done, total} of the current attempt of `id`; nullopt when none was reported.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> Get(const std::string& id) const;
  /// The ids whose progress changed since the last call, in id order.
  std::vector<std::string> TakeChanged();

 private:
  struct Entry {
    std::uint64_t attempt = 0;
    std::optional<std::pair<std::uint64_t, std::uint64_t>> latest;
    bool changed = false;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace groundcrew::agent

#pragma once

#include <boost/json/object.hpp>
#include <mutex>
#include <string_view>

namespace groundcrew::daemon {

/// Structured logs: one JSON object per line on stderr, {"time", "level", "msg", ...fields}.
/// Thread-safe. Callers never pass secrets (tokens, passwords, request bodies).
class JsonLog {
 public:
  enum class Level { kDebug, kInfo, kWarn, kError };
  explicit JsonLog(Level threshold) : threshold_(threshold) {}

  void Write(Level level, std::string_view message, boost::json::object fields = {});
  bool Enabled(Level level) const { return level >= threshold_; }

 private:
  Level threshold_;
  std::mutex mutex_;
};

}  // namespace groundcrew::daemon

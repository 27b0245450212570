#include "common/clock.hpp"

#include <fstream>

namespace groundcrew {

Clock SystemClock() {
  return [] { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); };
}

Clock FileClock(std::string path) {
  Clock wall = SystemClock();
  if (path.empty()) return wall;
  return [path = std::move(path), wall]() -> Timestamp {
    std::ifstream in(path);
    long long seconds = 0;
    if (in >> seconds) return Timestamp(std::chrono::seconds(seconds));
    return wall();
  };
}

}  // namespace groundcrew

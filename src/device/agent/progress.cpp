#include "device/agent/progress.hpp"

namespace groundcrew::agent {

ProgressBoard::Sink ProgressBoard::Track(const std::string& id) {
  std::uint64_t attempt = 0;
  {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[id];
    attempt = ++entry.attempt;
    entry.latest.reset();
    entry.changed = false;
  }
  return [this, id, attempt](std::uint64_t done, std::uint64_t total) {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[id];
    if (entry.attempt != attempt) return;  // an earlier attempt, stopped
    const std::pair<std::uint64_t, std::uint64_t> now{done, total};
    if (entry.latest == now) return;
    entry.latest = now;
    entry.changed = true;
  };
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> ProgressBoard::Get(
    const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.latest;
}

std::vector<std::string> ProgressBoard::TakeChanged() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  for (auto& [id, entry] : entries_) {
    if (!entry.changed) continue;
    entry.changed = false;
    ids.push_back(id);
  }
  return ids;
}

}  // namespace groundcrew::agent

#include "device/agent/progress.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace groundcrew::agent {

std::optional<int> ProgressPercent(std::uint64_t done, std::uint64_t total) {
  if (total == 0) return std::nullopt;
  done = std::min(done, total);
  // In long double: done * 100 could overflow 64 bits for huge sizes.
  return static_cast<int>(static_cast<long double>(done) * 100 / static_cast<long double>(total));
}

std::string FormatProgress(std::uint64_t done, std::uint64_t total) {
  const std::uint64_t larger = std::max(done, total);
  struct Unit {
    std::uint64_t size;
    const char* name;
  };
  Unit unit{1, "B"};
  for (const Unit candidate :
       {Unit{1'000'000'000, "GB"}, Unit{1'000'000, "MB"}, Unit{1'000, "kB"}}) {
    if (larger >= candidate.size) {
      unit = candidate;
      break;
    }
  }
  auto size = [&](std::uint64_t bytes) {
    if (unit.size == 1) return fmt::format("{}", bytes);
    return fmt::format("{:.1f}", static_cast<double>(bytes) / static_cast<double>(unit.size));
  };
  const std::optional<int> percent = ProgressPercent(done, total);
  if (!percent) return fmt::format("{} {}", size(done), unit.name);
  return fmt::format("{}% ({} of {} {})", *percent, size(done), size(total), unit.name);
}

int NextProgressMark(int reported, std::uint64_t done, std::uint64_t total) {
  const std::optional<int> percent = ProgressPercent(done, total);
  if (!percent) return 0;
  for (int mark : {75, 50, 25}) {
    if (*percent >= mark) return mark > reported ? mark : 0;
  }
  return 0;
}

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

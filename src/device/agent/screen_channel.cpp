#include "device/agent/screen_channel.hpp"

#include <boost/json/serialize.hpp>

#include "device/flow/screen_json.hpp"

namespace groundcrew::agent {

void ScreenChannel::Publish(const device::Screen& screen) {
  std::lock_guard lock(mutex_);
  if (latest_.ended || (screen_ && *screen_ == screen)) return;
  screen_ = screen;
  latest_.version += 1;
  latest_.json = boost::json::serialize(
      boost::json::object{{"version", latest_.version},
                          {"screen", device::ScreenJson(screen, device::Secrets::kInclude)}});
  changed_.notify_all();
}

void ScreenChannel::End(int exit_code) {
  std::lock_guard lock(mutex_);
  if (latest_.ended) return;
  latest_.version += 1;
  latest_.ended = true;
  latest_.json = boost::json::serialize(
      boost::json::object{{"version", latest_.version}, {"exit", exit_code}});
  presses_.clear();
  changed_.notify_all();
}

void ScreenChannel::Close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  changed_.notify_all();
}

bool ScreenChannel::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::optional<PublishedScreen> ScreenChannel::Next(
    std::uint64_t after, std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [&] { return closed_ || latest_.version > after; });
  if (latest_.version <= after) return std::nullopt;
  return latest_;
}

Status ScreenChannel::Submit(std::uint64_t version, Press press) {
  std::lock_guard lock(mutex_);
  if (closed_ || latest_.ended || !screen_ || version != latest_.version) {
    return MakeError(ErrorCode::kFailedPrecondition, "the screen changed before this press arrived",
                     "version");
  }
  if (screen_->Find(press.action, press.phase) == nullptr) {
    return MakeError(ErrorCode::kFailedPrecondition, "this screen has no such button", "action");
  }
  presses_.emplace_back(screen_->id, std::move(press));
  changed_.notify_all();
  return Ok{};
}

std::optional<Press> ScreenChannel::Wait(const device::Screen& screen,
                                         std::optional<std::chrono::milliseconds> timeout) {
  Publish(screen);
  std::unique_lock lock(mutex_);
  const auto deadline = timeout ? std::chrono::steady_clock::now() + *timeout
                                : std::chrono::steady_clock::time_point::max();
  for (;;) {
    // A press taken for an earlier version still counts on the same screen when it has the
    // button (the ESP's screen changes as items progress; Show details stays Show details).
    while (!presses_.empty() && (presses_.front().first != screen.id ||
                                 screen.Find(presses_.front().second.action,
                                             presses_.front().second.phase) == nullptr)) {
      presses_.pop_front();
    }
    if (!presses_.empty()) {
      Press press = std::move(presses_.front().second);
      presses_.pop_front();
      return press;
    }
    if (closed_ || latest_.ended) return std::nullopt;
    if (timeout) {
      if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
        if (presses_.empty()) return std::nullopt;
      }
    } else {
      changed_.wait(lock);
    }
  }
}

}  // namespace groundcrew::agent

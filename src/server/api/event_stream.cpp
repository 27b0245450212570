#include "server/api/event_stream.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "server/http/error_mapping.hpp"
#include "wire/report_json.hpp"

namespace groundcrew::api {
namespace {

using Clock = std::chrono::steady_clock;

/// Events read from the store at once; a stream with more to catch up on reads again at once.
constexpr int kEventsPerRead = 200;
/// How long one stream lasts before it ends and the client reconnects (and is authenticated
/// again: a revoked credential or an ended session stops getting events).
constexpr std::chrono::minutes kEventStreamLifetime{15};
/// Sent first: how long EventSource waits before it reconnects, in milliseconds.
constexpr const char* kReconnectDelay = "2000";

/// Reads the deployment events after a sequence, as Server-Sent Events, whenever the service
/// says events were stored (and whenever the server asks again).
class DeploymentEventSource final : public server::ResponseStream {
 public:
  DeploymentEventSource(service::DeploymentService& deployment, store::SessionFilter filter,
                        std::int64_t after)
      : deployment_(deployment),
        filter_(std::move(filter)),
        after_(after),
        ends_(Clock::now() + kEventStreamLifetime),
        // An id without data sets EventSource's last event id without an event: a client that
        // reconnects before any event came resumes from where this stream started.
        first_(fmt::format("retry: {}\nid: {}\n\n", kReconnectDelay, after)) {}

  void Start(std::function<void()> wake) override {
    subscription_ = deployment_.SubscribeToEvents(std::move(wake));
  }

  std::optional<std::string> Next() override {
    if (Clock::now() >= ends_) return std::nullopt;
    std::string out = std::exchange(first_, std::string());
    Result<wire::FeedPage> page =
        deployment_.Events(after_, kEventsPerRead, std::chrono::seconds(0), filter_);
    if (!page) return std::nullopt;  // the client reconnects from its Last-Event-ID
    for (const wire::FeedEvent& event : page->events) {
      out += server::ServerSentEvent(std::to_string(event.sequence), "deployment",
                                     boost::json::serialize(wire::Encode(event)));
    }
    after_ = std::max(after_, page->next_after);
    return out;
  }

 private:
  service::DeploymentService& deployment_;
  const store::SessionFilter filter_;
  std::int64_t after_;
  const Clock::time_point ends_;
  std::string first_;
  service::EventSubscription subscription_;
};

/// A sequence to resume after: a whole number of 0 or more; kInvalidArgument naming `field`.
Result<std::int64_t> ParseSequence(const std::string& text, const char* field) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: must be the sequence of an event (a whole number of 0 or "
                                 "more), not \"{}\"",
                                 field, text),
                     field);
  }
  return value;
}

/// Where the stream starts: after Last-Event-ID (a browser reconnecting), else ?after=, else
/// the newest event stored.
Result<std::int64_t> StartAfter(service::Services& services, const server::Request& request) {
  if (const std::string* last = request.headers.Find("Last-Event-ID"); last != nullptr) {
    return ParseSequence(*last, "Last-Event-ID");
  }
  if (auto after = request.query.find("after"); after != request.query.end()) {
    return ParseSequence(after->second, "after");
  }
  return services.store.sessions().LastEventSequence();
}

}  // namespace

server::Response DeploymentEventStream(service::Services& services,
                                       const server::Request& request) {
  store::SessionFilter filter;
  if (auto device = request.query.find("deviceId"); device != request.query.end()) {
    if (device->second.empty()) {
      return server::ErrorResponse(MakeError(
          ErrorCode::kInvalidArgument,
          "deviceId: must be a device's id (GET /v1/autopilotDevices); leave it out for every "
          "device",
          "deviceId"));
    }
    Result<store::DeviceRecord> found = services.store.devices().Get(core::ZtdId{device->second});
    if (!found) {
      Error error = found.error();
      if (error.code == ErrorCode::kNotFound) {
        error = MakeError(ErrorCode::kNotFound,
                          fmt::format("no registered device has the id \"{}\"", device->second),
                          "deviceId");
      }
      return server::ErrorResponse(error);
    }
    filter.device_id = device->second;
  }
  Result<std::int64_t> after = StartAfter(services, request);
  if (!after) return server::ErrorResponse(after.error());
  return server::ServerSentEvents(
      std::make_shared<DeploymentEventSource>(services.deployment, std::move(filter), *after));
}

}  // namespace groundcrew::api

// The live event stream (issue 18, GET /v1/deploymentEvents/stream) against the real daemon and
// agent: while a technician flow runs (held on an installer), its events arrive on an open
// stream as the agent reports them, in order, each with its sequence as id and the JSON
// GET /v1/deploymentEvents gives; a stream resumed with Last-Event-ID (as a browser reconnects)
// or ?after= gets only the later events; bad cursors and devices are refused.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/agent_fixture.hpp"
#include "tests/integration/harness.hpp"

namespace groundcrew::integration {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

struct StreamedEvent {
  std::string id;
  std::string type;
  std::string data;
};

/// A Server-Sent Events client over a loopback socket, as a browser's EventSource: sends one
/// GET and parses the events of the response as they arrive.
class EventStreamClient {
 public:
  EventStreamClient(std::uint16_t port, const std::string& target,
                    const std::map<std::string, std::string>& headers) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    request += "Accept: text/event-stream\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    request += "\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      return;
    }
    // The header.
    while (buffer_.find("\r\n\r\n") == std::string::npos) {
      if (!Fill(10s)) return;
    }
    const std::size_t end = buffer_.find("\r\n\r\n");
    head_ = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
  }
  ~EventStreamClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  EventStreamClient(const EventStreamClient&) = delete;
  EventStreamClient& operator=(const EventStreamClient&) = delete;

  /// The status line and header fields as received ("" when none arrived).
  const std::string& head() const { return head_; }

  /// Reads until `count` events (comments and retry fields aside) arrived in all, or `limit`
  /// passed, or the stream ended; the events so far.
  const std::vector<StreamedEvent>& ReadEvents(std::size_t count,
                                               std::chrono::milliseconds limit = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (events_.size() < count) {
      ParseBuffered();
      if (events_.size() >= count) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms || !Fill(left)) break;
    }
    return events_;
  }
  const std::vector<StreamedEvent>& events() {
    ParseBuffered();
    return events_;
  }

 private:
  bool Fill(std::chrono::milliseconds limit) {
    pollfd waiting{fd_, POLLIN, 0};
    if (::poll(&waiting, 1, static_cast<int>(limit.count())) <= 0) return false;
    char chunk[8192];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  // Moves every complete event (a block ending in a blank line) from the buffer to events_.
  void ParseBuffered() {
    std::size_t end;
    while ((end = buffer_.find("\n\n")) != std::string::npos) {
      const std::string block = buffer_.substr(0, end + 1);
      buffer_.erase(0, end + 2);
      StreamedEvent event;
      bool has_data = false;
      std::size_t pos = 0;
      while (pos < block.size()) {
        const std::size_t line_end = block.find('\n', pos);
        const std::string line = block.substr(pos, line_end - pos);
        pos = line_end + 1;
        if (line.rfind("id: ", 0) == 0) event.id = line.substr(4);
        if (line.rfind("event: ", 0) == 0) event.type = line.substr(7);
        if (line.rfind("data: ", 0) == 0) {
          event.data += (has_data ? "\n" : "") + line.substr(6);
          has_data = true;
        }
      }
      if (has_data) events_.push_back(std::move(event));
    }
  }

  int fd_ = -1;
  std::string head_;
  std::string buffer_;
  std::vector<StreamedEvent> events_;
};

class LiveEventsTest : public AgentFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(AgentFixture::SetUp());
    // A blocking app whose installer waits for the test: the flow is held in the middle.
    AddApp({.name = "Contoso Hold",
            .slug = "hold",
            .before = HeldUntilReleased("hold"),
            .blocking = true});
    ASSERT_NO_FATAL_FAILURE(ApplyTenant());
    const HttpResult listed = Admin("GET", "/v1/autopilotDevices");
    ASSERT_EQ(listed.status, 200) << listed.body;
    device_id_ = std::string(json::parse(listed.body).at("value").at(0).at("id").as_string());
  }

  std::map<std::string, std::string> Bearer() { return {{"Authorization", "Bearer " + admin_}}; }

  /// GET /v1/deploymentEvents after `after`: each event's JSON, in order.
  std::vector<json::value> Listed(std::int64_t after) {
    std::vector<json::value> events;
    const HttpResult page =
        Admin("GET", "/v1/deploymentEvents?limit=1000&after=" + std::to_string(after));
    EXPECT_EQ(page.status, 200) << page.body;
    const json::value parsed = json::parse(page.body);
    for (const json::value& event : parsed.at("value").as_array()) events.push_back(event);
    return events;
  }

  std::string device_id_;
};

TEST_F(LiveEventsTest, AFlowsEventsArriveLiveInOrderAndAResumedStreamGetsOnlyLaterOnes) {
  const HttpResult before = Admin("GET", "/v1/deploymentEvents?limit=1000");
  ASSERT_EQ(before.status, 200) << before.body;
  const std::int64_t start =
      std::stoll(std::string(json::parse(before.body).at("nextAfter").as_string()));
  EventStreamClient device(daemon_->port(), "/v1/deploymentEvents/stream?deviceId=" + device_id_,
                           Bearer());
  EventStreamClient all(daemon_->port(), "/v1/deploymentEvents/stream", Bearer());
  ASSERT_NE(device.head().find("HTTP/1.1 200"), std::string::npos) << device.head();
  EXPECT_NE(device.head().find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(device.head().find("Cache-Control: no-store"), std::string::npos);

  std::unique_ptr<Process> agent = StartAgent({{"technician", true}});
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(Markers() / "hold.running"); }))
      << agent->out() << agent->err();
  // Held in the middle of the flow: what the agent reported so far is on both streams already.
  ASSERT_FALSE(device.ReadEvents(1).empty()) << "no event while the flow is held";
  EXPECT_TRUE(agent->Running());
  const std::size_t while_held = device.events().size();
  Touch(Markers() / "hold.release");
  ASSERT_EQ(agent->Wait(), 0) << agent->out() << agent->err();

  // Every event of the flow, as GET /v1/deploymentEvents lists them: the streams started after
  // the newest event stored when they opened.
  const std::vector<json::value> listed = Listed(start);
  ASSERT_GT(listed.size(), while_held);
  const std::vector<StreamedEvent>& streamed = device.ReadEvents(listed.size());
  ASSERT_EQ(streamed.size(), listed.size());
  for (std::size_t i = 0; i < listed.size(); ++i) {
    EXPECT_EQ(streamed[i].type, "deployment");
    EXPECT_EQ(streamed[i].id, std::to_string(listed[i].at("sequence").as_int64()));
    EXPECT_EQ(json::parse(streamed[i].data), listed[i]) << streamed[i].data;
  }
  const std::vector<StreamedEvent>& everyone = all.ReadEvents(listed.size());
  ASSERT_EQ(everyone.size(), listed.size());
  EXPECT_EQ(everyone.back().id, streamed.back().id);

  // A browser reconnecting sends the last id it saw: only what came after it.
  const std::size_t seen = listed.size() / 2;
  EventStreamClient resumed(
      daemon_->port(), "/v1/deploymentEvents/stream?deviceId=" + device_id_,
      {{"Authorization", "Bearer " + admin_}, {"Last-Event-ID", streamed[seen - 1].id}});
  const std::vector<StreamedEvent>& later = resumed.ReadEvents(listed.size() - seen);
  ASSERT_EQ(later.size(), listed.size() - seen);
  EXPECT_EQ(later.front().id, streamed[seen].id);
  EXPECT_EQ(later.back().id, streamed.back().id);
  EXPECT_EQ(resumed.ReadEvents(later.size() + 1, 1500ms).size(), later.size());  // nothing more

  // ?after= does the same for a first connection; the header wins over it.
  EventStreamClient after(daemon_->port(),
                          "/v1/deploymentEvents/stream?after=" + streamed[seen - 1].id, Bearer());
  EXPECT_EQ(after.ReadEvents(listed.size() - seen).size(), listed.size() - seen);
  EventStreamClient both(
      daemon_->port(), "/v1/deploymentEvents/stream?after=0",
      {{"Authorization", "Bearer " + admin_}, {"Last-Event-ID", streamed[listed.size() - 2].id}});
  const std::vector<StreamedEvent>& last = both.ReadEvents(2, 3s);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].id, streamed.back().id);

  // The daemon's metrics count the open streams (device, all, resumed, after, both).
  const HttpResult metrics = Http(daemon_->port(), "GET", "/metrics");
  EXPECT_NE(metrics.body.find("groundcrew_http_open_streams 5\n"), std::string::npos)
      << metrics.body;
}

// Several instances on one PostgreSQL database (docs/scale-out.md): a console connected to one
// instance sees the events a device reports to another, as they are stored.
TEST_F(LiveEventsTest, AStreamOnOneInstanceShowsTheEventsAnotherInstanceStores) {
  if (!UsesPostgres()) {
    GTEST_SKIP() << "needs a database several instances share: runs in CTest's "
                    "integration_postgresql_live_events";
  }
  Daemon other(data_dir_);  // the same installation, moved to PostgreSQL once by daemon_
  ASSERT_TRUE(other.Start()) << other.log();
  EventStreamClient stream(other.port(), "/v1/deploymentEvents/stream?after=0", Bearer());
  ASSERT_NE(stream.head().find("HTTP/1.1 200"), std::string::npos) << stream.head();

  std::unique_ptr<Process> agent = StartAgent({{"technician", true}});  // reports to daemon_
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(Markers() / "hold.running"); }))
      << agent->out() << agent->err();
  ASSERT_FALSE(stream.ReadEvents(1, 10s).empty())
      << "the other instance's stream showed none of the held flow's events";
  Touch(Markers() / "hold.release");
  ASSERT_EQ(agent->Wait(), 0) << agent->out() << agent->err();
  const HttpResult listed =
      Http(other.port(), "GET", "/v1/deploymentEvents?limit=1000", "", Bearer());
  ASSERT_EQ(listed.status, 200) << listed.body;
  const std::size_t stored = json::parse(listed.body).at("value").as_array().size();
  EXPECT_EQ(stream.ReadEvents(stored, 10s).size(), stored);
}

TEST_F(LiveEventsTest, StreamsNeedACredentialAKnownDeviceAndASequence) {
  HttpResult anonymous = Http(daemon_->port(), "GET", "/v1/deploymentEvents/stream");
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;

  HttpResult unknown =
      Admin("GET", "/v1/deploymentEvents/stream?deviceId=00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(json::parse(unknown.body).at("error").at("field"), "deviceId") << unknown.body;

  HttpResult bad_after = Admin("GET", "/v1/deploymentEvents/stream?after=yesterday");
  EXPECT_EQ(bad_after.status, 400) << bad_after.body;
  EXPECT_EQ(json::parse(bad_after.body).at("error").at("field"), "after") << bad_after.body;

  HttpResult bad_id = Http(daemon_->port(), "GET", "/v1/deploymentEvents/stream", "",
                           {{"Authorization", "Bearer " + admin_}, {"Last-Event-ID", "-3"}});
  EXPECT_EQ(bad_id.status, 400) << bad_id.body;
  EXPECT_EQ(json::parse(bad_id.body).at("error").at("field"), "Last-Event-ID") << bad_id.body;
}

TEST_F(LiveEventsTest, StoppingTheDaemonEndsItsStreamsAtOnce) {
  EventStreamClient stream(daemon_->port(), "/v1/deploymentEvents/stream", Bearer());
  ASSERT_NE(stream.head().find("HTTP/1.1 200"), std::string::npos) << stream.head();
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_EQ(daemon_->Stop(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 3s);  // not the 5 s shutdown deadline
}

}  // namespace
}  // namespace groundcrew::integration

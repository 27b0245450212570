#include "device/agent/web_view.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

namespace groundcrew::agent {
namespace {

using device::Action;
using device::Button;
using device::Screen;
using device::ScreenId;
using std::chrono::milliseconds;

constexpr std::string_view kToken = "t0k3n-t0k3n-t0k3n-t0k3n-t0k3n-t0k3n-t0k3n-1";
constexpr std::uint16_t kPort = 8765;
constexpr std::array<EmbeddedFile, 2> kFiles = {{
    {"/index.html", "text/html; charset=utf-8", "<!doctype html><title>OOBE</title>"},
    {"/assets/index.js", "text/javascript; charset=utf-8", "console.log(1)"},
}};

Screen Welcome() {
  Screen screen{.id = ScreenId::kWelcome, .title = "Welcome"};
  screen.buttons = {Button{.action = Action::kNext, .label = "Next", .key = '\n'},
                    Button{.action = Action::kTechnicianKey, .key = 'w', .hidden = true}};
  return screen;
}

WebRequest Get(std::string target) {
  return WebRequest{.method = "GET", .target = std::move(target), .host = "127.0.0.1:8765"};
}

WebRequest Post(std::string body) {
  return WebRequest{.method = "POST",
                    .target = "/press",
                    .host = "127.0.0.1:8765",
                    .origin = "http://127.0.0.1:8765",
                    .token = std::string(kToken),
                    .body = std::move(body)};
}

WebReply Route(const WebRequest& request, ScreenChannel& channel) {
  return RouteWebRequest(request, channel, kToken, kPort, kFiles);
}

TEST(ParseLoopbackListenTest, TakesLoopbackAddressesOnly) {
  EXPECT_EQ(*ParseLoopbackListen("127.0.0.1:8765"), std::pair(std::string("127.0.0.1"), kPort));
  EXPECT_EQ(*ParseLoopbackListen("localhost:0"),
            std::pair(std::string("127.0.0.1"), std::uint16_t{0}));
  EXPECT_EQ(*ParseLoopbackListen("[::1]:8765"), std::pair(std::string("::1"), kPort));
  EXPECT_EQ(*ParseLoopbackListen("127.0.0.1"),
            std::pair(std::string("127.0.0.1"), std::uint16_t{0}));
  for (const char* refused : {"0.0.0.0:8765", "192.168.1.10:80", "[::]:8765", "example.com:80"}) {
    auto parsed = ParseLoopbackListen(refused);
    ASSERT_FALSE(parsed) << refused;
    EXPECT_EQ(parsed.error().field, "--listen");
    EXPECT_NE(parsed.error().message.find("not a loopback address"), std::string::npos);
  }
  auto bad_port = ParseLoopbackListen("127.0.0.1:http");
  ASSERT_FALSE(bad_port);
  EXPECT_NE(bad_port.error().message.find("'http'"), std::string::npos);
  EXPECT_FALSE(ParseLoopbackListen("127.0.0.1:70000"));
  EXPECT_FALSE(ParseLoopbackListen("[::1"));
}

TEST(RouteWebRequestTest, ThePageNeedsTheTokenAndItsAssetsDoNot) {
  ScreenChannel channel;
  EXPECT_EQ(Route(Get("/"), channel).status, 403);
  EXPECT_EQ(Route(Get("/?token=wrong"), channel).status, 403);
  const WebReply page = Route(Get("/?token=" + std::string(kToken)), channel);
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page.body, kFiles[0].bytes);
  EXPECT_EQ(Route(Get("/assets/index.js"), channel).body, "console.log(1)");
  EXPECT_EQ(Route(Get("/assets/missing.js"), channel).status, 404);
}

TEST(RouteWebRequestTest, AnotherHostNameIsRefused) {
  ScreenChannel channel;
  WebRequest rebound = Get("/?token=" + std::string(kToken));
  rebound.host = "attacker.example:8765";
  EXPECT_EQ(Route(rebound, channel).status, 421);
  rebound.host = "localhost:8765";
  EXPECT_EQ(Route(rebound, channel).status, 200);
  rebound.host = "127.0.0.1:9999";
  EXPECT_EQ(Route(rebound, channel).status, 421);
}

TEST(RouteWebRequestTest, TheEventStreamNeedsTheToken) {
  ScreenChannel channel;
  EXPECT_EQ(Route(Get("/events"), channel).status, 403);
  const WebReply events = Route(Get("/events?token=" + std::string(kToken)), channel);
  EXPECT_TRUE(events.events);
  EXPECT_EQ(events.content_type, "text/event-stream");
}

TEST(RouteWebRequestTest, APressReachesTheDriverOnlyWithTheTokenForTheScreenUp) {
  ScreenChannel channel;
  const Screen welcome = Welcome();
  channel.Publish(welcome);
  WebRequest no_token = Post(R"({"version": 1, "action": "next"})");
  no_token.token.clear();
  EXPECT_EQ(Route(no_token, channel).status, 403);
  WebRequest other_origin = Post(R"({"version": 1, "action": "next"})");
  other_origin.origin = "http://attacker.example";
  EXPECT_EQ(Route(other_origin, channel).status, 403);
  EXPECT_EQ(channel.Wait(welcome, milliseconds(0)), std::nullopt);

  const WebReply stale = Route(Post(R"({"version": 9, "action": "next"})"), channel);
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(boost::json::parse(stale.body).at("error"), "stale");
  EXPECT_EQ(Route(Post(R"({"version": 1, "action": "provision"})"), channel).status, 409);

  // The hidden technician key is a button of the first screen: its presses are taken.
  EXPECT_EQ(Route(Post(R"({"version": 1, "action": "technicianKey"})"), channel).status, 202);
  auto press = channel.Wait(welcome, milliseconds(0));
  ASSERT_TRUE(press);
  EXPECT_EQ(press->action, Action::kTechnicianKey);
}

TEST(RouteWebRequestTest, ABadPressNamesItsField) {
  ScreenChannel channel;
  channel.Publish(Welcome());
  auto field_of = [&](std::string body) {
    const WebReply reply = Route(Post(std::move(body)), channel);
    EXPECT_EQ(reply.status, 400);
    const auto json = boost::json::parse(reply.body).as_object();
    return std::string(json.at("field").as_string());
  };
  EXPECT_EQ(field_of("not json"), "body");
  EXPECT_EQ(field_of(R"({"action": "next"})"), "version");
  EXPECT_EQ(field_of(R"({"version": -1, "action": "next"})"), "version");
  EXPECT_EQ(field_of(R"({"version": 1, "action": "fly"})"), "action");
  EXPECT_EQ(field_of(R"({"version": 1, "action": "next", "phase": "lunch"})"), "phase");
  EXPECT_EQ(field_of(R"({"version": 1, "action": "next", "inputs": {"code": 123}})"),
            "inputs.code");
}

TEST(RouteWebRequestTest, OtherMethodsAreRefused) {
  ScreenChannel channel;
  WebRequest put = Get("/events");
  put.method = "PUT";
  EXPECT_EQ(Route(put, channel).status, 405);
}

// A client on a plain socket: the request as given, then what the server sends in `wait`.
std::string Exchange(std::uint16_t port, const std::string& request, milliseconds wait,
                     std::string_view until = "") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  timeval timeout{.tv_sec = 0, .tv_usec = 50'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string received;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
    if (!until.empty() && received.find(until) != std::string::npos) break;
  }
  ::close(fd);
  return received;
}

class WebViewTest : public testing::Test {
 protected:
  std::filesystem::path state_ = std::filesystem::temp_directory_path() /
                                 ("gc-web-view-" + std::to_string(::getpid()) + "-" +
                                  testing::UnitTest::GetInstance()->current_test_info()->name());
  void SetUp() override { std::filesystem::create_directories(state_); }
  void TearDown() override { std::filesystem::remove_all(state_); }
};

TEST_F(WebViewTest, RefusesAnAddressOtherThanLoopback) {
  auto view = WebView::Start("0.0.0.0:0", state_);
  ASSERT_FALSE(view);
  EXPECT_EQ(view.error().field, "--listen");
  EXPECT_FALSE(std::filesystem::exists(state_ / WebView::kUrlFile));
}

TEST_F(WebViewTest, StreamsTheScreenAndTakesPressesOverHttp) {
  auto started = WebView::Start("127.0.0.1:0", state_);
  ASSERT_TRUE(started) << started.error().message;
  WebView& view = **started;
  // The URL with its token is in the state folder, readable by its owner only.
  const std::filesystem::path url_file = state_ / WebView::kUrlFile;
  struct stat info {};
  ASSERT_EQ(::stat(url_file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  std::string written;
  std::getline(std::ifstream(url_file), written);
  EXPECT_EQ(written, view.url());
  const std::string prefix = "http://127.0.0.1:";
  ASSERT_TRUE(view.url().starts_with(prefix));
  const auto port = static_cast<std::uint16_t>(std::stoi(view.url().substr(prefix.size())));
  const std::string token = view.url().substr(view.url().find("token=") + 6);
  EXPECT_EQ(token.size(), 43u);
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";

  const Screen welcome = Welcome();
  view.Show(welcome);
  // The event stream sends the screen up at once.
  const std::string stream =
      Exchange(port, "GET /events?token=" + token + " HTTP/1.1\r\n" + host + "\r\n",
               milliseconds(2000), "\n\n");
  EXPECT_NE(stream.find("HTTP/1.1 200"), std::string::npos) << stream;
  EXPECT_NE(stream.find("text/event-stream"), std::string::npos);
  EXPECT_NE(stream.find("event: screen\ndata: {\"version\":1,"), std::string::npos) << stream;
  EXPECT_NE(stream.find(R"("title":"Welcome")"), std::string::npos);

  // A press for that screen, from the page.
  const std::string body = R"({"version": 1, "action": "next"})";
  std::thread browser([&] {
    const std::string reply = Exchange(
        port,
        "POST /press HTTP/1.1\r\n" + host + "X-Groundcrew-Token: " + token +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nConnection: close\r\n\r\n" + body,
        milliseconds(2000));
    EXPECT_NE(reply.find("HTTP/1.1 202"), std::string::npos) << reply;
  });
  auto press = view.Wait(welcome, milliseconds(5000));
  browser.join();
  ASSERT_TRUE(press);
  EXPECT_EQ(press->action, Action::kNext);

  // A wrong token reads nothing.
  const std::string refused =
      Exchange(port, "GET /events?token=nope HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n",
               milliseconds(2000));
  EXPECT_NE(refused.find("HTTP/1.1 403"), std::string::npos) << refused;
  EXPECT_EQ(refused.find("Welcome"), std::string::npos);

  // The end of the run reaches a stream that is open; the URL file goes once the OOBE is over.
  std::string ended;
  std::thread watcher([&] {
    ended = Exchange(port, "GET /events?token=" + token + " HTTP/1.1\r\n" + host + "\r\n",
                     milliseconds(3000), "event: end");
  });
  std::this_thread::sleep_for(milliseconds(200));
  view.End(0, /*oobe_over=*/true);
  watcher.join();
  EXPECT_NE(ended.find("event: end"), std::string::npos) << ended;
  EXPECT_FALSE(std::filesystem::exists(url_file));
}

TEST_F(WebViewTest, TheEndOfTheRunReachesTheStreamBeforeTheServerStops) {
  auto started = WebView::Start("127.0.0.1:0", state_);
  ASSERT_TRUE(started);
  const std::string url = (*started)->url();
  const auto port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  const std::string token = url.substr(url.find("token=") + 6);
  (*started)->Show(Welcome());
  std::string received;
  std::thread page([&] {
    received = Exchange(port,
                        "GET /events?token=" + token +
                            " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n",
                        milliseconds(3000));
  });
  std::this_thread::sleep_for(milliseconds(200));
  (*started)->End(0, /*oobe_over=*/true);
  started->reset();  // the agent exits at once, before the server's thread has run
  page.join();
  EXPECT_NE(received.find("event: end"), std::string::npos) << received;
  // The stream is closed properly (the last chunk), so the browser sees an end, not an error.
  EXPECT_TRUE(received.ends_with("0\r\n\r\n")) << received;
}

TEST_F(WebViewTest, ARestartOfTheSameOobeKeepsItsToken) {
  std::string first_url;
  {
    auto first = WebView::Start("127.0.0.1:0", state_);
    ASSERT_TRUE(first);
    first_url = (*first)->url();
    (*first)->End(3, /*oobe_over=*/false);  // an app asked for a restart
  }
  auto second = WebView::Start("127.0.0.1:0", state_);
  ASSERT_TRUE(second);
  const auto token_of = [](const std::string& url) { return url.substr(url.find("token=")); };
  EXPECT_EQ(token_of((*second)->url()), token_of(first_url));
  (*second)->End(0, /*oobe_over=*/true);
  auto third = WebView::Start("127.0.0.1:0", state_);
  ASSERT_TRUE(third);
  EXPECT_NE(token_of((*third)->url()), token_of(first_url));
}

}  // namespace
}  // namespace groundcrew::agent

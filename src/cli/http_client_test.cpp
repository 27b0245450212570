#include "cli/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace groundcrew::cli {
namespace {

TEST(ParseBaseUrlTest, AcceptsHttpHostPortAndRefusesTheRest) {
  auto url = ParseBaseUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->prefix, "");
  url = ParseBaseUrl("HTTP://groundcrew.contoso.com/admin/");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->port, "80");
  EXPECT_EQ(url->prefix, "/admin");
  url = ParseBaseUrl("http://[::1]:9000");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, "9000");

  auto https = ParseBaseUrl("https://groundcrew.contoso.com");
  ASSERT_FALSE(https.has_value());
  EXPECT_EQ(https.error().field, "server");
  EXPECT_NE(https.error().message.find("https is not supported yet"), std::string::npos);
  for (const char* bad : {"127.0.0.1:8080", "ftp://x", "http://", "http://h:0", "http://h:99999",
                          "http://h:12a", "http://u@h:1", "http://h:1/?q=1", "http://[::1"}) {
    EXPECT_FALSE(ParseBaseUrl(bad).has_value()) << bad;
  }
}

// A one-thread loopback server: accepts connections and answers each request with `respond`.
class LoopbackServer {
 public:
  using Respond = std::function<std::string(const std::string& request)>;

  explicit LoopbackServer(Respond respond) : respond_(std::move(respond)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    ::listen(listener_, 8);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_; }
  std::vector<std::string> requests;  ///< read after the client is done

 private:
  void Serve() {
    while (true) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections_;
      std::string buffer;
      char chunk[4096];
      while (true) {
        // One request: headers, then Content-Length bytes.
        size_t end;
        while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
          const ssize_t n = ::read(fd, chunk, sizeof chunk);
          if (n <= 0) break;
          buffer.append(chunk, static_cast<size_t>(n));
        }
        if (end == std::string::npos) break;
        size_t length = 0;
        const size_t at = buffer.find("Content-Length: ");
        if (at != std::string::npos && at < end) length = std::stoul(buffer.substr(at + 16));
        while (buffer.size() < end + 4 + length) {
          const ssize_t n = ::read(fd, chunk, sizeof chunk);
          if (n <= 0) break;
          buffer.append(chunk, static_cast<size_t>(n));
        }
        const std::string request = buffer.substr(0, end + 4 + length);
        buffer.erase(0, request.size());
        requests.push_back(request);
        const std::string answer = respond_(request);
        if (answer.empty()) {  // simulate a server that never answers
          std::this_thread::sleep_for(std::chrono::milliseconds(400));
          break;
        }
        if (::write(fd, answer.data(), answer.size()) < 0) break;
        if (answer.find("Connection: close") != std::string::npos) break;
      }
      ::close(fd);
    }
  }

  Respond respond_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

TEST(HttpClientTest, SendsTokenAndBodyAndKeepsTheConnectionAlive) {
  LoopbackServer server([](const std::string& request) -> std::string {
    if (request.rfind("HEAD ", 0) == 0) {
      return "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n";
    }
    return "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Test: yes\r\n"
           "Content-Length: 11\r\n\r\n{\"ok\":true}";
  });
  HttpClientOptions options;
  options.bearer_token = "tok-123";
  auto client = HttpClient::Create(server.url(), options);
  ASSERT_TRUE(client.has_value());

  HttpRequest put;
  put.method = "PUT";
  put.target = "/v1/content/abc";
  put.body = std::string(200'000, 'x');
  put.content_type = "application/octet-stream";
  put.headers = {{"If-Match", "7"}};
  std::uint64_t last_sent = 0, last_total = 0;
  put.progress = [&](std::uint64_t sent, std::uint64_t total) {
    EXPECT_GE(sent, last_sent);
    last_sent = sent;
    last_total = total;
  };
  auto response = (*client)->Request(put);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "{\"ok\":true}");
  EXPECT_EQ(response->Header("x-test"), "yes");
  EXPECT_EQ(last_sent, 200'000u);
  EXPECT_EQ(last_total, 200'000u);

  HttpRequest head;
  head.method = "HEAD";
  head.target = "/v1/content/abc";
  response = (*client)->Request(head);
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");

  response = (*client)->Request(HttpRequest{"GET", "/v1/me", "", "", {}, nullptr});
  ASSERT_TRUE(response.has_value()) << response.error().message;

  EXPECT_EQ(server.connections(), 1);
  ASSERT_EQ(server.requests.size(), 3u);
  const std::string& first = server.requests[0];
  EXPECT_EQ(first.rfind("PUT /v1/content/abc HTTP/1.1\r\n", 0), 0u) << first;
  EXPECT_NE(first.find("Authorization: Bearer tok-123\r\n"), std::string::npos);
  EXPECT_NE(first.find("If-Match: 7\r\n"), std::string::npos);
  EXPECT_NE(first.find("Content-Type: application/octet-stream\r\n"), std::string::npos);
  EXPECT_EQ(first.size() - first.find("\r\n\r\n") - 4, 200'000u);
}

TEST(HttpClientTest, ReconnectsWhenTheServerClosedTheConnection) {
  LoopbackServer server([](const std::string&) {
    return std::string("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  });
  auto client = HttpClient::Create(server.url(), {});
  ASSERT_TRUE(client.has_value());
  for (int i = 0; i < 3; ++i) {
    auto response = (*client)->Request(HttpRequest{"DELETE", "/v1/x", "", "", {}, nullptr});
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, 204);
  }
  EXPECT_EQ(server.connections(), 3);
}

TEST(HttpClientTest, UnreachableAndSilentServersAreUnavailable) {
  int port = 0;
  {
    LoopbackServer closed([](const std::string&) { return std::string(); });
    port = std::stoi(closed.url().substr(closed.url().rfind(':') + 1));
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto client = HttpClient::Create(url, {});
  ASSERT_TRUE(client.has_value());
  auto refused = (*client)->Request(HttpRequest{"GET", "/v1/me", "", "", {}, nullptr});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().message.rfind("cannot reach " + url + ": ", 0), 0u)
      << refused.error().message;

  LoopbackServer silent([](const std::string&) { return std::string(); });
  HttpClientOptions options;
  options.timeout = std::chrono::milliseconds(100);
  auto slow = HttpClient::Create(silent.url(), options);
  ASSERT_TRUE(slow.has_value());
  auto timed_out = (*slow)->Request(HttpRequest{"GET", "/v1/me", "", "", {}, nullptr});
  ASSERT_FALSE(timed_out.has_value());
  EXPECT_EQ(timed_out.error().message, "cannot reach " + silent.url() + ": no answer within 0.1 s");
}

}  // namespace
}  // namespace groundcrew::cli

#include "server/http/http_server.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "server/http/error_mapping.hpp"

namespace groundcrew::server {
namespace {

using namespace std::chrono_literals;

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string, HeaderNameLess> headers;
  std::string body;
};

/// A deliberately small blocking HTTP/1.1 client over a loopback socket: sends raw bytes,
/// reads one Content-Length-framed response at a time. Every read times out after 2 s.
class TestClient {
 public:
  explicit TestClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~TestClient() { ::close(fd_); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads one response; nullopt on EOF, error or timeout before a whole response arrived.
  /// `head`: the answer to HEAD, whose Content-Length describes a body that is not sent.
  std::optional<RawResponse> Read(bool head_request = false) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    RawResponse response;
    const std::string head = buffer_.substr(0, end + 2);
    buffer_.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    response.status = std::stoi(status_line.substr(9, 3));
    std::size_t pos = line_end + 2;
    while (pos < head.size()) {
      line_end = head.find("\r\n", pos);
      const std::string line = head.substr(pos, line_end - pos);
      pos = line_end + 2;
      const std::size_t colon = line.find(':');
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      response.headers[line.substr(0, colon)] = value;
    }
    auto length_field = response.headers.find("Content-Length");
    const std::size_t length = head_request || length_field == response.headers.end()
                                   ? 0
                                   : std::stoul(length_field->second);
    while (buffer_.size() < length) {
      if (!Fill()) return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  /// True when the server closed the connection (EOF or reset) within the read timeout.
  bool ClosedByPeer() {
    char byte;
    const ssize_t n = ::recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  bool Fill() {
    char chunk[8192];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string Get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

std::string Post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

int ThreadCount() {
  int count = 0;
  if (DIR* dir = ::opendir("/proc/self/task")) {
    while (dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
    ::closedir(dir);
  }
  return count;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Router router;
    ASSERT_TRUE(
        router.Add("GET", "/v1/devices/{id}", [](const Request& request, const PathParams& params) {
          auto state = request.query.find("state");
          return JsonResponse(200, "device " + params.at("id") + " state " +
                                       (state == request.query.end() ? "-" : state->second) +
                                       " agent " + request.headers.Get("user-agent") + " from " +
                                       request.remote_address);
        }));
    ASSERT_TRUE(router.Add("POST", "/v1/devices", [](const Request& request, const PathParams&) {
      Response response = JsonResponse(201, "got " + std::to_string(request.body.size()));
      response.headers.emplace_back("Location", "/v1/devices/new");
      return response;
    }));
    ASSERT_TRUE(router.Add("GET", "/v1/groups/{id}", [](const Request&, const PathParams& p) {
      return ErrorResponse(
          MakeError(ErrorCode::kNotFound, "no group \"" + p.at("id") + "\"", "id"));
    }));
    ASSERT_TRUE(router.Add("GET", "/boom", [](const Request&, const PathParams&) -> Response {
      throw std::runtime_error("secret detail");
    }));
    ASSERT_TRUE(router.Add("GET", "/slow", [this](const Request&, const PathParams&) {
      slow_entered_.set_value();
      std::this_thread::sleep_for(300ms);
      return JsonResponse(200, "done");
    }));
    HttpServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.max_body_bytes = 1024;
    options.shutdown_deadline = 2s;
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_.emplace_back(line);
    };
    server_ = std::make_unique<HttpServer>(options, std::move(router));
    ASSERT_TRUE(server_->Start());
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  std::vector<std::string> Log() {
    std::lock_guard lock(log_mutex_);
    return log_;
  }

  std::optional<RawResponse> RoundTrip(const std::string& request) {
    TestClient client(server_->port());
    if (!client.connected() || !client.Send(request)) return std::nullopt;
    return client.Read();
  }

  std::unique_ptr<HttpServer> server_;
  std::promise<void> slow_entered_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(HttpServerTest, RoutesWithParamsQueryAndHeaders) {
  auto response = RoundTrip(Get("/v1/devices/ab%20c?state=new&x=1", "User-Agent: t/1\r\n"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["content-type"], "application/json");
  EXPECT_EQ(response->body, "device ab c state new agent t/1 from 127.0.0.1");

  response = RoundTrip(Post("/v1/devices", "hello"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "got 5");
  EXPECT_EQ(response->headers["location"], "/v1/devices/new");
}

TEST_F(HttpServerTest, HeadIsAnsweredAsGetWithoutTheBody) {
  TestClient client(server_->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(
      client.Send("HEAD /v1/devices/abc HTTP/1.1\r\nHost: t\r\n\r\n" + Get("/v1/devices/abc")));
  auto head = client.Read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  auto get = client.Read();  // parses only if HEAD sent no body bytes
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(head->headers["Content-Length"], std::to_string(get->body.size()));
  EXPECT_FALSE(get->body.empty());
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  auto response = RoundTrip(Get("/nope"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body,
            R"({"error":{"code":"not_found","message":"no route for GET /nope","field":""}})");

  response = RoundTrip("DELETE /v1/devices/7 HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->headers["allow"], "GET");
  EXPECT_NE(response->body.find(R"("code":"invalid_argument")"), std::string::npos);
  EXPECT_NE(response->body.find(R"("field":"method")"), std::string::npos);
}

TEST_F(HttpServerTest, HandlerErrorIsMappedToStatusAndJsonBody) {
  auto response = RoundTrip(Get("/v1/groups/g1"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->headers["Content-Type"], "application/json");
  EXPECT_EQ(response->body,
            R"({"error":{"code":"not_found","message":"no group \"g1\"","field":"id"}})");
}

TEST_F(HttpServerTest, ThrowingHandlerGives500AndTheServerKeepsServing) {
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/boom")));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body,
            R"({"error":{"code":"internal","message":"internal error","field":""}})");
  // Same connection, then a new one.
  ASSERT_TRUE(client.Send(Get("/healthz")));
  response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  response = RoundTrip(Get("/healthz"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);

  const std::vector<std::string> log = Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(log[0].find("secret detail"), std::string::npos);
  EXPECT_NE(log[0].find("GET /boom"), std::string::npos);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/v1/devices/1")));
  auto first = client.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "device 1 state - agent  from 127.0.0.1");
  EXPECT_NE(first->headers["Connection"], "close");
  ASSERT_TRUE(client.Send(Get("/v1/devices/2")));
  auto second = client.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, "device 2 state - agent  from 127.0.0.1");
  // Pipelined: two requests in one write, answered in order.
  ASSERT_TRUE(client.Send(Get("/v1/devices/3") + Get("/v1/devices/4", "Connection: close\r\n")));
  auto third = client.Read();
  auto fourth = client.Read();
  ASSERT_TRUE(third && fourth);
  EXPECT_EQ(third->body, "device 3 state - agent  from 127.0.0.1");
  EXPECT_EQ(fourth->body, "device 4 state - agent  from 127.0.0.1");
  EXPECT_EQ(fourth->headers["Connection"], "close");
  EXPECT_TRUE(client.ClosedByPeer());
  EXPECT_EQ(server_->metrics().RequestCount("/v1/devices/{id}", "GET", 200), 4u);
}

TEST_F(HttpServerTest, BodyOverTheLimitIs413) {
  auto response = RoundTrip(Post("/v1/devices", std::string(1024, 'a')));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);

  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Post("/v1/devices", std::string(4096, 'a'))));
  response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->headers["Connection"], "close");
  EXPECT_NE(response->body.find(R"("field":"body")"), std::string::npos);
  EXPECT_TRUE(client.ClosedByPeer());

  // Chunked bodies are limited too.
  TestClient chunked(server_->port());
  ASSERT_TRUE(
      chunked.Send("POST /v1/devices HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked"
                   "\r\n\r\n800\r\n" +
                   std::string(2048, 'b') + "\r\n0\r\n\r\n"));
  response = chunked.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
}

TEST_F(HttpServerTest, MalformedRequestsGet400AndTheServerSurvives) {
  for (const std::string bad : {"GARBAGE\r\n\r\n", "GET /x HTTP/9.9\r\n\r\n",
                                "GET  HTTP/1.1\r\n\r\n", "GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
                                "POST /v1/devices HTTP/1.1\r\nContent-Length: zz\r\n\r\n"}) {
    TestClient client(server_->port());
    ASSERT_TRUE(client.Send(bad));
    auto response = client.Read();
    ASSERT_TRUE(response) << bad;
    EXPECT_EQ(response->status, 400) << bad;
    EXPECT_NE(response->body.find(R"("code":"invalid_argument")"), std::string::npos);
    EXPECT_TRUE(client.ClosedByPeer());
  }
  // A header block over the limit.
  TestClient big(server_->port());
  ASSERT_TRUE(big.Send(Get("/healthz", "X-Big: " + std::string(70 * 1024, 'x') + "\r\n")));
  auto response = big.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  // A client that disconnects mid-request.
  {
    TestClient partial(server_->port());
    ASSERT_TRUE(partial.Send("GET /healthz HTTP/1.1\r\nHo"));
  }
  response = RoundTrip(Get("/healthz"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"status":"ok"})");
  EXPECT_EQ(server_->metrics().RequestCount("unmatched", "other", 400), 5u);
}

TEST_F(HttpServerTest, MetricsCountWhatWasServed) {
  ASSERT_TRUE(RoundTrip(Get("/v1/devices/a")));
  ASSERT_TRUE(RoundTrip(Get("/v1/devices/b")));
  ASSERT_TRUE(RoundTrip(Get("/missing/path")));
  ASSERT_TRUE(RoundTrip(Get("/boom")));
  auto response = RoundTrip(Get("/metrics"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = response->body;
  for (const char* line :
       {"groundcrew_http_requests_total{route=\"/v1/devices/{id}\",method=\"GET\",status=\"200\"} "
        "2\n",
        "groundcrew_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n",
        "groundcrew_http_requests_total{route=\"/boom\",method=\"GET\",status=\"500\"} 1\n",
        "groundcrew_http_request_duration_seconds_count{route=\"/v1/devices/{id}\"} 2\n",
        "groundcrew_http_request_duration_seconds_bucket{route=\"/v1/devices/{id}\",le=\"+Inf\"} "
        "2\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  EXPECT_EQ(text.find("/v1/devices/a"), std::string::npos);  // raw paths never become labels
}

TEST_F(HttpServerTest, StopLetsTheRequestInFlightFinish) {
  auto in_flight = std::async(std::launch::async, [port = server_->port()] {
    TestClient client(port);
    client.Send(Get("/slow"));
    return client.Read();
  });
  TestClient idle(server_->port());  // an idle keep-alive connection is closed at once
  ASSERT_TRUE(idle.Send(Get("/healthz")));
  ASSERT_TRUE(idle.Read());
  ASSERT_EQ(slow_entered_.get_future().wait_for(2s), std::future_status::ready);

  const auto started = std::chrono::steady_clock::now();
  server_->Stop();
  const auto took = std::chrono::steady_clock::now() - started;
  auto response = in_flight.get();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "done");
  EXPECT_EQ(response->headers["Connection"], "close");
  EXPECT_LT(took, 1500ms);  // did not wait for the 2 s deadline
  EXPECT_TRUE(idle.ClosedByPeer());
  TestClient late(server_->port());
  EXPECT_FALSE(late.connected());
  server_->Stop();  // idempotent
}

TEST(HttpServerLifecycleTest, StartErrorsAndNoThreadLeak) {
  const int threads_before = ThreadCount();
  {
    HttpServerOptions options;
    options.port = 0;
    options.threads = 3;
    HttpServer first(options, Router{});
    ASSERT_TRUE(first.Start());
    EXPECT_EQ(ThreadCount(), threads_before + 3);
    Status again = first.Start();
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);

    options.port = first.port();
    HttpServer second(options, Router{});
    Status taken = second.Start();
    ASSERT_FALSE(taken);
    EXPECT_EQ(taken.error().code, ErrorCode::kUnavailable);

    options.address = "not-an-address";
    HttpServer third(options, Router{});
    Status bad = third.Start();
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(bad.error().field, "address");

    first.Stop();
    EXPECT_EQ(ThreadCount(), threads_before);
  }
  {
    HttpServerOptions options;
    options.port = 0;
    options.threads = 0;
    HttpServer server(options, Router{});
    EXPECT_FALSE(server.Start());
  }
  EXPECT_EQ(HttpServerOptions{}.max_body_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(HttpServerOptions{}.address, "127.0.0.1");
  EXPECT_EQ(HttpServerOptions{}.threads, 2);
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimResponse) {
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(
      "POST /v1/devices HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"));
  auto interim = client.Read();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send("abc"));
  auto response = client.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "got 3");
}

TEST(HttpServerLifecycleTest, SlowAndIdleClientsAreTimedOut) {
  HttpServerOptions options;
  options.port = 0;
  options.header_timeout = 100ms;
  options.body_timeout = 100ms;
  Router router;
  ASSERT_TRUE(router.Add("POST", "/x", [](const Request&, const PathParams&) {
    return JsonResponse(200, "{}");
  }));
  HttpServer server(options, std::move(router));
  ASSERT_TRUE(server.Start());
  TestClient idle(server.port());
  TestClient slow_header(server.port());
  TestClient slow_body(server.port());
  ASSERT_TRUE(slow_header.Send("GET /healthz HTTP/1.1\r\nHo"));
  ASSERT_TRUE(slow_body.Send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.ClosedByPeer());
  EXPECT_TRUE(slow_header.ClosedByPeer());
  EXPECT_TRUE(slow_body.ClosedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST(HttpServerLifecycleTest, RunBlocksUntilStop) {
  HttpServerOptions options;
  options.port = 0;
  HttpServer server(options, Router{});
  std::promise<Status> result;
  std::thread runner([&] { result.set_value(server.Run()); });
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (server.port() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_NE(server.port(), 0);
  {
    TestClient client(server.port());
    ASSERT_TRUE(client.Send(Get("/healthz")));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
  }
  auto future = result.get_future();
  EXPECT_EQ(future.wait_for(50ms), std::future_status::timeout);
  server.Stop();
  runner.join();
  EXPECT_TRUE(future.get());
}

}  // namespace
}  // namespace groundcrew::server

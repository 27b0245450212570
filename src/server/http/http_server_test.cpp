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
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "server/http/error_mapping.hpp"
#include "tests/support/process.hpp"

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

  /// Whatever is buffered or arrives next, at most `limit` bytes; nullopt on EOF or timeout.
  std::optional<std::string> ReadSome(std::size_t limit) {
    if (buffer_.empty() && !Fill()) return std::nullopt;
    std::string bytes = buffer_.substr(0, limit);
    buffer_.erase(0, bytes.size());
    return bytes;
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
  ASSERT_TRUE(router.Add(
      "POST", "/x", [](const Request&, const PathParams&) { return JsonResponse(200, "{}"); }));
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

// ---- Hardening (issue 14: findings 2, 3, 6 and 11) ----

/// This process's resident set size (the server runs in it), from /proc/self/status.
std::size_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

/// The byte at `offset` of the test file.
char FileByte(std::uint64_t offset) {
  return static_cast<char>((offset * 31 + offset / 65536) & 0xff);
}

/// A server with a small route, a gated large route, a file route and a blocking route.
class HardenedServerTest : public ::testing::Test {
 protected:
  static constexpr std::uint64_t kFileBytes = 32ull << 20;

  void SetUp() override {
    file_path_ = std::filesystem::path(::testing::TempDir()) / "gc_http_big_file";
    std::ofstream out(file_path_, std::ios::binary | std::ios::trunc);
    std::string block(1 << 20, '\0');
    for (std::uint64_t base = 0; base < kFileBytes; base += block.size()) {
      for (std::size_t i = 0; i < block.size(); ++i) block[i] = FileByte(base + i);
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
  }

  void TearDown() override {
    Release();
    if (server_) server_->Stop();
    std::filesystem::remove(file_path_);
  }

  /// Starts the server with `options` (port, routes and logs are set here).
  void Start(HttpServerOptions options) {
    Router router;
    ASSERT_TRUE(router.Add("POST", "/open", [](const Request& request, const PathParams&) {
      return JsonResponse(201, "got " + std::to_string(request.body.size()));
    }));
    ASSERT_TRUE(router.Add("GET", "/smuggled", [this](const Request&, const PathParams&) {
      ++smuggled_;
      return JsonResponse(200, "smuggled");
    }));
    RouteOptions upload;
    upload.body_limit = BodyLimit::kLarge;
    upload.gate = [](Request& request, const PathParams&) -> std::optional<Response> {
      if (request.headers.Get("Authorization") != "Bearer good") {
        return ErrorResponse(MakeError(ErrorCode::kUnauthenticated, "bad credential"));
      }
      request.admission = std::string("alice");  // what the gate learned, for the handler
      return std::nullopt;
    };
    ASSERT_TRUE(router.Add(
        "POST", "/upload",
        [this](const Request& request, const PathParams&) {
          ++uploads_;
          Response response = JsonResponse(201, "stored " + std::to_string(request.body.size()));
          const std::string* admitted = std::any_cast<std::string>(&request.admission);
          response.actor = admitted != nullptr ? *admitted : "no gate ran";
          return response;
        },
        upload));
    ASSERT_TRUE(router.Add("GET", "/file", [this](const Request& request, const PathParams&) {
      Response response;
      response.content_type = "application/octet-stream";
      response.file = FileRange{file_path_.string(), 0, kFileBytes};
      if (request.query.contains("part"))
        response.file = FileRange{file_path_.string(), 1000, 5000};
      return response;
    }));
    ASSERT_TRUE(router.Add("GET", "/busy", [this](const Request&, const PathParams&) {
      std::unique_lock lock(busy_mutex_);
      ++busy_entered_;
      busy_changed_.notify_all();
      busy_changed_.wait(lock, [this] { return busy_released_; });
      return JsonResponse(200, "done");
    }));
    options.port = 0;
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_.emplace_back(line);
    };
    options.access_log = [this](const RequestRecord& r) {
      std::lock_guard lock(log_mutex_);
      records_.push_back({std::string(r.path), r.status, std::string(r.remote_address),
                          std::string(r.request_id), std::string(r.actor), std::string(r.reason)});
    };
    server_ = std::make_unique<HttpServer>(options, std::move(router));
    ASSERT_TRUE(server_->Start());
  }

  std::optional<RawResponse> RoundTripOn(const std::string& request) {
    TestClient client(server_->port());
    if (!client.connected() || !client.Send(request)) return std::nullopt;
    return client.Read();
  }

  /// Lets every /busy handler return.
  void Release() {
    std::lock_guard lock(busy_mutex_);
    busy_released_ = true;
    busy_changed_.notify_all();
  }

  int LogLinesContaining(std::string_view text) {
    std::lock_guard lock(log_mutex_);
    int count = 0;
    for (const std::string& line : log_) count += line.find(text) != std::string::npos;
    return count;
  }

  struct Record {
    std::string path;
    int status;
    std::string remote_address, request_id, actor, reason;
  };
  std::vector<Record> Records() {
    std::lock_guard lock(log_mutex_);
    return records_;
  }

  static HttpServerOptions Defaults() {
    HttpServerOptions options;
    options.threads = 4;
    options.max_body_bytes = 64 << 20;
    return options;
  }

  std::filesystem::path file_path_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> smuggled_{0};
  std::atomic<int> uploads_{0};
  std::mutex busy_mutex_;
  std::condition_variable busy_changed_;
  int busy_entered_ = 0;
  bool busy_released_ = false;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
  std::vector<Record> records_;
};

TEST_F(HardenedServerTest, TransferEncodingOtherThanChunkedIs400AndTheSmuggledRequestIsNeverRun) {
  Start(Defaults());
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";
  for (const std::string& framing : std::vector<std::string>{
           "Transfer-Encoding: xchunked\r\n", "Transfer-Encoding: chunked, identity\r\n",
           "Transfer-Encoding: gzip\r\n", "Transfer-Encoding: identity\r\n",
           "Transfer-Encoding: gzip\r\nContent-Length: " + std::to_string(smuggled.size()) + "\r\n",
           "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n"}) {
    TestClient client(server_->port());
    ASSERT_TRUE(client.Send("POST /open HTTP/1.1\r\nHost: t\r\n" + framing + "\r\n" + smuggled));
    auto response = client.Read();
    ASSERT_TRUE(response) << framing;
    EXPECT_EQ(response->status, 400) << framing;
    EXPECT_EQ(response->headers["Connection"], "close") << framing;
    EXPECT_TRUE(client.ClosedByPeer()) << framing;  // no second response
  }
  EXPECT_EQ(smuggled_, 0);
  // Plain chunked still works.
  TestClient chunked(server_->port());
  ASSERT_TRUE(chunked.Send(
      "POST /open HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
  auto response = chunked.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "got 3");
}

TEST_F(HardenedServerTest, FoldedHeadersAndAMissingOrRepeatedHostAre400) {
  Start(Defaults());
  for (const std::string bad :
       {"GET /smuggled HTTP/1.1\r\nHost: t\r\nX-A: b\r\n c\r\n\r\n",
        "GET /smuggled HTTP/1.1\r\nHost: t\r\nX-A: b\r\n\tc\r\n\r\n",
        "GET /smuggled HTTP/1.1\r\n\r\n", "GET /smuggled HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"}) {
    TestClient client(server_->port());
    ASSERT_TRUE(client.Send(bad));
    auto response = client.Read();
    ASSERT_TRUE(response) << bad;
    EXPECT_EQ(response->status, 400) << bad;
    EXPECT_TRUE(client.ClosedByPeer()) << bad;
  }
  EXPECT_EQ(smuggled_, 0);
}

TEST_F(HardenedServerTest, BodyOverTheRouteLimitIs413BeforeAnyBodyByte) {
  Start(Defaults());
  // A small route (1 MiB) announcing 2 MiB: answered at once, though the large limit is 64 MiB.
  TestClient small(server_->port());
  ASSERT_TRUE(small.Send("POST /open HTTP/1.1\r\nHost: t\r\nContent-Length: 2097152\r\n\r\n"));
  auto response = small.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_NE(response->body.find("1048576"), std::string::npos);
  EXPECT_EQ(response->headers["Connection"], "close");
  // The large route announcing more than its 64 MiB.
  TestClient large(server_->port());
  ASSERT_TRUE(large.Send(
      "POST /upload HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good\r\nContent-Length: " +
      std::to_string((64 << 20) + 1) + "\r\n\r\n"));
  response = large.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(uploads_, 0);
}

TEST_F(HardenedServerTest, GateRefusesOnTheHeadWithoutReadingTheBody) {
  Start(Defaults());
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 50000000\r\n\r\n"));
  auto response = client.Read();  // within the client's 2 s: the body is never waited for
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 401);
  EXPECT_EQ(response->headers["Connection"], "close");
  EXPECT_EQ(uploads_, 0);
  // An admitted caller's body is read and handled; the access log names the actor.
  TestClient admitted(server_->port());
  ASSERT_TRUE(admitted.Send(
      "POST /upload HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good\r\nContent-Length: 5\r\n\r\n"
      "hello"));
  response = admitted.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "stored 5");
  const std::vector<Record> records = Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].status, 401);
  EXPECT_EQ(records[0].reason, "bad credential");
  EXPECT_EQ(records[0].actor, "");
  EXPECT_EQ(records[0].remote_address, "127.0.0.1");
  EXPECT_EQ(records[1].actor, "alice");
  EXPECT_EQ(records[1].reason, "");
}

TEST_F(HardenedServerTest, TooManyLargeBodiesAtOnceGet503WithoutReadingTheBody) {
  HttpServerOptions options = Defaults();
  options.max_large_bodies = 1;
  Start(options);
  const std::string head =
      "POST /upload HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer good\r\n"
      "Expect: 100-continue\r\nContent-Length: 2097152\r\n\r\n";
  TestClient first(server_->port());
  ASSERT_TRUE(first.Send(head));
  auto go_on = first.Read();  // the first upload holds the one slot now
  ASSERT_TRUE(go_on);
  EXPECT_EQ(go_on->status, 100);
  TestClient second(server_->port());
  ASSERT_TRUE(second.Send(head));
  auto response = second.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_FALSE(response->headers["Retry-After"].empty());
  EXPECT_EQ(response->headers["Connection"], "close");
  ASSERT_TRUE(first.Send(std::string(2097152, 'x')));
  response = first.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);
  // The slot is free again. Small bodies on the large route never need one.
  TestClient third(server_->port());
  ASSERT_TRUE(third.Send(head));
  go_on = third.Read();
  ASSERT_TRUE(go_on);
  EXPECT_EQ(go_on->status, 100);
}

TEST_F(HardenedServerTest, AtTheConnectionCapTheLongestIdleConnectionIsShed) {
  HttpServerOptions options = Defaults();
  options.max_connections = 4;
  Start(options);
  std::vector<std::unique_ptr<TestClient>> idle;
  for (int i = 0; i < 8; ++i) {  // twice the cap, all idle
    idle.push_back(std::make_unique<TestClient>(server_->port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  TestClient health(server_->port());
  ASSERT_TRUE(health.Send(Get("/healthz")));
  auto response = health.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  // The five oldest were shed, one per connection over the cap, oldest first.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(idle[i]->ClosedByPeer()) << i;
  EXPECT_EQ(server_->metrics().ShedConnections(), 5u);
  // The newest idle one still works.
  ASSERT_TRUE(idle[7]->Send(Get("/healthz")));
  response = idle[7]->Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  // A shed connection is counted until its coroutine has unwound: wait for that.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (server_->metrics().OpenConnections() > 4u && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_LE(server_->metrics().OpenConnections(), 4u);
  // Logged once for the interval, not once per connection.
  EXPECT_EQ(LogLinesContaining("connection cap"), 1);
  const std::string metrics = server_->metrics().RenderPrometheus();
  EXPECT_NE(metrics.find("groundcrew_http_connections_shed_total 5"), std::string::npos);
}

TEST_F(HardenedServerTest, AtTheConnectionCapWithNoIdleConnectionTheNewOneIsClosed) {
  HttpServerOptions options = Defaults();
  options.max_connections = 2;
  Start(options);
  TestClient first(server_->port());
  TestClient second(server_->port());
  ASSERT_TRUE(first.Send(Get("/busy")));
  ASSERT_TRUE(second.Send(Get("/busy")));
  {
    std::unique_lock lock(busy_mutex_);
    ASSERT_TRUE(busy_changed_.wait_for(lock, 10s, [this] { return busy_entered_ == 2; }));
  }
  TestClient refused(server_->port());
  EXPECT_TRUE(refused.ClosedByPeer());
  EXPECT_EQ(server_->metrics().RefusedConnections(), 1u);
  Release();
  auto response = first.Read();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(HardenedServerTest, FileBodiesAreStreamedWithoutHoldingTheFile) {
  Start(Defaults());
  const std::size_t before = ResidentBytes();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/file")));
  // Read the header and the first bytes, then stall: the server holds a chunk, not 32 MiB.
  auto head = client.ReadSome(1 << 20);
  ASSERT_TRUE(head);
  const std::size_t stalled = ResidentBytes();
  EXPECT_LT(stalled, before + (16u << 20)) << "before " << before << ", stalled " << stalled;
  const std::size_t header_end = head->find("\r\n\r\n");
  ASSERT_NE(header_end, std::string::npos);
  EXPECT_NE(head->find("Content-Length: " + std::to_string(kFileBytes)), std::string::npos);
  std::uint64_t offset = 0;
  bool same = true;
  auto check = [&](std::string_view bytes) {
    for (char c : bytes) same = same && c == FileByte(offset++);
  };
  check(std::string_view(*head).substr(header_end + 4));
  while (offset < kFileBytes) {
    auto more = client.ReadSome(1 << 20);
    ASSERT_TRUE(more) << "at " << offset;
    check(*more);
  }
  EXPECT_EQ(offset, kFileBytes);
  EXPECT_TRUE(same);
  // A range of the file, on the same connection.
  ASSERT_TRUE(client.Send(Get("/file?part=1")));
  auto part = client.Read();
  ASSERT_TRUE(part);
  ASSERT_EQ(part->body.size(), 5000u);
  offset = 1000;
  check(part->body);
  EXPECT_TRUE(same);
  // HEAD: the length without the body.
  ASSERT_TRUE(client.Send("HEAD /file HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head_only = client.Read(true);
  ASSERT_TRUE(head_only);
  EXPECT_EQ(head_only->headers["Content-Length"], std::to_string(kFileBytes));
}

TEST_F(HardenedServerTest, EveryResponseCarriesARequestId) {
  Start(Defaults());
  auto fresh = RoundTripOn(Get("/healthz"));
  ASSERT_TRUE(fresh);
  const std::string id = fresh->headers["X-Request-Id"];
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  auto another = RoundTripOn(Get("/healthz"));
  ASSERT_TRUE(another);
  EXPECT_NE(another->headers["X-Request-Id"], id);
  auto echoed = RoundTripOn(Get("/healthz", "X-Request-Id: build-42.a_b\r\n"));
  ASSERT_TRUE(echoed);
  EXPECT_EQ(echoed->headers["X-Request-Id"], "build-42.a_b");
  auto replaced = RoundTripOn(Get("/healthz", "X-Request-Id: no/slashes\r\n"));
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->headers["X-Request-Id"].size(), 32u);
  auto too_long = RoundTripOn(Get("/healthz", "X-Request-Id: " + std::string(65, 'a') + "\r\n"));
  ASSERT_TRUE(too_long);
  EXPECT_EQ(too_long->headers["X-Request-Id"].size(), 32u);
  for (const std::string& request : {Get("/nowhere"), std::string("GARBAGE\r\n\r\n"),
                                     std::string("GET /healthz HTTP/1.1\r\n\r\n")}) {
    auto response = RoundTripOn(request);
    ASSERT_TRUE(response) << request;
    EXPECT_EQ(response->headers["X-Request-Id"].size(), 32u) << request;
  }
  const std::vector<Record> records = Records();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0].request_id, id);
}

TEST(HttpServerLimitsTest, ConnectionCapIsDerivedFromTheDescriptorLimit) {
  EXPECT_EQ(DerivedMaxConnections(128), 64u);
  EXPECT_EQ(DerivedMaxConnections(1024), 960u);
  EXPECT_EQ(DerivedMaxConnections(10), 8u);
  EXPECT_EQ(DerivedMaxConnections(1u << 20), kMaxDerivedConnections);
}

/// What a test's stream source shares with the test: bytes pushed to it, whether it ended,
/// whether the server still holds it.
struct FedStreamState {
  std::mutex mutex;
  std::string pending;
  bool finished = false;
  std::function<void()> wake;
  int started = 0;
  int destroyed = 0;

  /// Queues bytes for the stream and wakes the server (as a service's notifier would).
  void Push(std::string bytes) {
    std::lock_guard lock(mutex);
    pending += bytes;
    if (wake) wake();
  }
  void Finish() {
    std::lock_guard lock(mutex);
    finished = true;
    if (wake) wake();
  }
  int Destroyed() {
    std::lock_guard lock(mutex);
    return destroyed;
  }
};

/// A ResponseStream fed by the test through FedStreamState.
class FedStream final : public ResponseStream {
 public:
  explicit FedStream(std::shared_ptr<FedStreamState> state) : state_(std::move(state)) {}
  ~FedStream() override {
    std::lock_guard lock(state_->mutex);
    state_->wake = nullptr;
    ++state_->destroyed;
  }
  void Start(std::function<void()> wake) override {
    std::lock_guard lock(state_->mutex);
    state_->wake = std::move(wake);
    ++state_->started;
  }
  std::optional<std::string> Next() override {
    std::lock_guard lock(state_->mutex);
    if (state_->finished && state_->pending.empty()) return std::nullopt;
    return std::exchange(state_->pending, std::string());
  }

 private:
  std::shared_ptr<FedStreamState> state_;
};

class StreamingServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options) {
    Router router;
    ASSERT_TRUE(router.Add("GET", "/events", [this](const Request&, const PathParams&) {
      auto state = std::make_shared<FedStreamState>();
      {
        std::lock_guard lock(mutex_);
        states_.push_back(state);
      }
      return ServerSentEvents(std::make_shared<FedStream>(state));
    }));
    options.port = 0;
    options.threads = 2;
    options.log = [](std::string_view) {};
    server_ = std::make_unique<HttpServer>(options, std::move(router));
    ASSERT_TRUE(server_->Start());
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  /// The source of the n-th stream the handler made, once it was started (null after 2 s).
  std::shared_ptr<FedStreamState> Source(std::size_t n) {
    std::shared_ptr<FedStreamState> state;
    test_support::WaitUntil(
        [&] {
          std::lock_guard lock(mutex_);
          if (states_.size() <= n) return false;
          std::lock_guard started(states_[n]->mutex);
          if (states_[n]->started == 0) return false;
          state = states_[n];
          return true;
        },
        2s);
    return state;
  }

  /// Reads from `client` until `text` has arrived (false on EOF or after 2 s of silence).
  static bool ReadUntil(TestClient& client, std::string& received, std::string_view text) {
    while (received.find(text) == std::string::npos) {
      std::optional<std::string> more = client.ReadSome(1 << 16);
      if (!more) return false;
      received += *more;
    }
    return true;
  }

  static HttpServerOptions Options() {
    HttpServerOptions options;
    options.shutdown_deadline = 5s;
    return options;
  }

  std::unique_ptr<HttpServer> server_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<FedStreamState>> states_;
};

TEST_F(StreamingServerTest, EventsArriveAsTheyComeBeforeTheResponseEnds) {
  HttpServerOptions options = Options();
  options.stream_recheck_interval = std::chrono::hours(1);  // only the source's wake-up helps
  Start(options);
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/events")));
  std::optional<RawResponse> head = client.Read();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers["Content-Type"], "text/event-stream");
  EXPECT_EQ(head->headers["Cache-Control"], "no-store");
  EXPECT_EQ(head->headers["Connection"], "close");  // close-delimited
  EXPECT_FALSE(head->headers.contains("Content-Length"));
  EXPECT_FALSE(head->headers.contains("Transfer-Encoding"));
  EXPECT_FALSE(head->headers["X-Request-Id"].empty());
  std::shared_ptr<FedStreamState> source = Source(0);
  ASSERT_TRUE(source);

  std::string received;
  source->Push(ServerSentEvent("1", "deployment", R"({"sequence":1})"));
  ASSERT_TRUE(ReadUntil(client, received, "\n\n"));
  EXPECT_EQ(received, "id: 1\nevent: deployment\ndata: {\"sequence\":1}\n\n");
  received.clear();
  source->Push(ServerSentEvent("2", "deployment", R"({"sequence":2})"));
  ASSERT_TRUE(ReadUntil(client, received, "\n\n"));
  EXPECT_EQ(received, "id: 2\nevent: deployment\ndata: {\"sequence\":2}\n\n");
  EXPECT_EQ(server_->metrics().OpenStreams(), 1u);

  source->Finish();  // the source ends the stream: the connection closes
  EXPECT_TRUE(client.ClosedByPeer());
  EXPECT_TRUE(test_support::WaitUntil([&] { return server_->metrics().OpenStreams() == 0; }, 2s));
  EXPECT_EQ(source->Destroyed(), 1);
}

TEST_F(StreamingServerTest, AQuietStreamSendsKeepAliveComments) {
  HttpServerOptions options = Options();
  options.stream_keep_alive_interval = 200ms;
  Start(options);
  TestClient client(server_->port());
  const auto opened = std::chrono::steady_clock::now();  // before the stream starts
  ASSERT_TRUE(client.Send(Get("/events")));
  ASSERT_TRUE(client.Read());
  std::string received;
  ASSERT_TRUE(ReadUntil(client, received, ": keep-alive\n\n: keep-alive\n\n"));
  EXPECT_EQ(received, ": keep-alive\n\n: keep-alive\n\n");
  EXPECT_GE(std::chrono::steady_clock::now() - opened, 400ms);
}

TEST_F(StreamingServerTest, AClientThatGoesAwayFreesItsStream) {
  Start(Options());
  {
    TestClient client(server_->port());
    ASSERT_TRUE(client.Send(Get("/events")));
    ASSERT_TRUE(client.Read());
    ASSERT_TRUE(Source(0));
    EXPECT_EQ(server_->metrics().OpenStreams(), 1u);
  }  // closed without a byte of the stream sent: only the server's read notices
  EXPECT_TRUE(test_support::WaitUntil([&] { return server_->metrics().OpenStreams() == 0; }, 2s));
  EXPECT_TRUE(test_support::WaitUntil([&] { return Source(0)->Destroyed() == 1; }, 2s));
  EXPECT_TRUE(
      test_support::WaitUntil([&] { return server_->metrics().OpenConnections() == 0; }, 2s));
}

TEST_F(StreamingServerTest, StopEndsOpenStreamsAtOnce) {
  Start(Options());  // shutdown_deadline 5 s: Stop() must not wait for it
  TestClient first(server_->port()), second(server_->port());
  ASSERT_TRUE(first.Send(Get("/events")) && second.Send(Get("/events")));
  ASSERT_TRUE(first.Read() && second.Read());
  ASSERT_TRUE(Source(0) && Source(1));
  const auto asked = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s);
  EXPECT_TRUE(first.ClosedByPeer());
  EXPECT_TRUE(second.ClosedByPeer());
  EXPECT_EQ(Source(0)->Destroyed(), 1);
  EXPECT_EQ(Source(1)->Destroyed(), 1);
}

TEST_F(StreamingServerTest, OverTheStreamLimitIs503UntilOneCloses) {
  HttpServerOptions options = Options();
  options.max_streams = 1;
  Start(options);
  auto first = std::make_unique<TestClient>(server_->port());
  ASSERT_TRUE(first->Send(Get("/events")));
  ASSERT_EQ(first->Read()->status, 200);
  ASSERT_TRUE(Source(0));

  TestClient refused(server_->port());
  ASSERT_TRUE(refused.Send(Get("/events")));
  std::optional<RawResponse> answer = refused.Read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 503);
  EXPECT_EQ(answer->headers["Content-Type"], "application/json");
  EXPECT_EQ(answer->headers["Retry-After"], "5");
  EXPECT_NE(answer->body.find(R"("code":"unavailable")"), std::string::npos) << answer->body;
  EXPECT_NE(answer->body.find("too many event streams are open (at most 1)"), std::string::npos);
  EXPECT_EQ(server_->metrics().RefusedStreams(), 1u);
  std::shared_ptr<FedStreamState> dropped;
  {
    std::lock_guard lock(mutex_);
    ASSERT_EQ(states_.size(), 2u);
    dropped = states_[1];
  }
  EXPECT_TRUE(test_support::WaitUntil([&] { return dropped->Destroyed() == 1; }, 2s));
  EXPECT_EQ(dropped->started, 0);  // never started

  const std::string metrics = server_->metrics().RenderPrometheus();
  EXPECT_NE(metrics.find("groundcrew_http_open_streams 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("groundcrew_http_streams_refused_total 1\n"), std::string::npos);

  first.reset();  // the client goes away: its slot is free again
  ASSERT_TRUE(test_support::WaitUntil([&] { return server_->metrics().OpenStreams() == 0; }, 2s));
  TestClient again(server_->port());
  ASSERT_TRUE(again.Send(Get("/events")));
  EXPECT_EQ(again.Read()->status, 200);
}

TEST(ServerSentEventTest, EachLineOfDataIsItsOwnDataField) {
  EXPECT_EQ(ServerSentEvent("7", "deployment", "{}"), "id: 7\nevent: deployment\ndata: {}\n\n");
  EXPECT_EQ(ServerSentEvent("", "", "a\nb"), "data: a\ndata: b\n\n");
}

}  // namespace
}  // namespace groundcrew::server

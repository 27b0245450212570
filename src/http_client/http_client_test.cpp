#include "http_client/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/test_certs.hpp"

namespace groundcrew::http {
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

  EXPECT_EQ(ParseBaseUrl("http://h").value().scheme, "http");
  auto https = ParseBaseUrl("HTTPS://groundcrew.contoso.com");
  ASSERT_TRUE(https.has_value()) << https.error().message;
  EXPECT_EQ(https->scheme, "https");
  EXPECT_EQ(https->host, "groundcrew.contoso.com");
  EXPECT_EQ(https->port, "443");
  https = ParseBaseUrl("https://[::1]:8443/admin");
  ASSERT_TRUE(https.has_value()) << https.error().message;
  EXPECT_EQ(https->port, "8443");
  EXPECT_EQ(https->prefix, "/admin");
  auto bad_scheme = ParseBaseUrl("ftp://x");
  ASSERT_FALSE(bad_scheme.has_value());
  EXPECT_EQ(bad_scheme.error().field, "server");
  EXPECT_NE(bad_scheme.error().message.find("https://host:port"), std::string::npos);
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

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using test_support::MakeTestPki;
using test_support::ServerNames;
using test_support::TempDir;
using test_support::TestPki;

// A minimal HTTPS loopback server (asio::ssl, one thread): completes handshakes with the given
// certificate and answers every request 200 {"tls":true}, keeping connections alive.
class TlsLoopbackServer {
 public:
  TlsLoopbackServer(const std::string& cert_pem, const std::string& key_pem)
      : context_(ssl::context::tls_server),
        acceptor_(ioc_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    context_.use_certificate_chain(asio::buffer(cert_pem));
    context_.use_private_key(asio::buffer(key_pem), ssl::context::pem);
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, Accept(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TlsLoopbackServer() {
    ioc_.stop();
    thread_.join();
  }

  std::string url(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(port_);
  }
  int handshakes() const { return handshakes_; }
  /// "METHOD target authorization" of each request answered so far.
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  asio::awaitable<void> Accept() {
    while (true) {
      asio::ip::tcp::socket socket = co_await acceptor_.async_accept(asio::use_awaitable);
      asio::co_spawn(ioc_, Serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Serve(asio::ip::tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), context_);
    boost::system::error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    co_await stream.async_handshake(ssl::stream_base::server, token);
    if (ec) co_return;
    ++handshakes_;
    beast::flat_buffer buffer;
    while (true) {
      http::request<http::string_body> request;
      co_await http::async_read(stream, buffer, request, token);
      if (ec) co_return;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(std::string(request.method_string()) + " " +
                            std::string(request.target()) + " " +
                            std::string(request[http::field::authorization]));
      }
      http::response<http::string_body> response{http::status::ok, 11};
      response.set(http::field::content_type, "application/json");
      response.body() = R"({"tls":true})";
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      co_await http::async_write(stream, response, token);
      if (ec) co_return;
    }
  }

  ssl::context context_;  // outlives the streams in coroutine frames destroyed with ioc_
  asio::io_context ioc_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<int> handshakes_{0};
  std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

HttpRequest GetMe() { return HttpRequest{"GET", "/v1/me", "", "", {}, nullptr}; }

class HttpClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = MakeTestPki();
    ASSERT_TRUE(pki) << pki.error().message;
    pki_ = *pki;
    ca_file_ = dir_.Write("ca.pem", pki_.ca_cert);
  }

  TestPki pki_;
  TempDir dir_;
  std::string ca_file_;
};

TEST_F(HttpClientTlsTest, TalksHttpsToAServerItsCaFileTrusts) {
  TlsLoopbackServer server(pki_.server_cert, pki_.server_key);
  HttpClientOptions options;
  options.ca_file = ca_file_;
  options.bearer_token = "tok-tls";
  auto client = HttpClient::Create(server.url(), options);
  ASSERT_TRUE(client.has_value()) << client.error().message;
  for (int i = 0; i < 2; ++i) {
    auto response = (*client)->Request(GetMe());
    ASSERT_TRUE(response.has_value()) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, R"({"tls":true})");
  }
  EXPECT_EQ(server.handshakes(), 1);  // one kept-alive TLS connection
  EXPECT_EQ(server.requests(),
            (std::vector<std::string>{"GET /v1/me Bearer tok-tls", "GET /v1/me Bearer tok-tls"}));

  // By DNS name (the certificate names localhost too).
  auto by_name = HttpClient::Create(server.url("localhost"), options);
  ASSERT_TRUE(by_name.has_value()) << by_name.error().message;
  auto response = (*by_name)->Request(GetMe());
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpClientTlsTest, AnUntrustedCertificateIsRefused) {
  TlsLoopbackServer server(pki_.server_cert, pki_.server_key);
  const std::string prefix = "cannot reach " + server.url() + ": certificate verify failed: ";

  // The system trust store does not know the test CA.
  auto system = HttpClient::Create(server.url(), {});
  ASSERT_TRUE(system.has_value()) << system.error().message;
  auto refused = (*system)->Request(GetMe());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().message.rfind(prefix + "unable to get local issuer certificate", 0), 0u)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("--ca"), std::string::npos);

  // Another CA.
  auto other = MakeTestPki();
  ASSERT_TRUE(other) << other.error().message;
  HttpClientOptions options;
  options.ca_file = dir_.Write("other-ca.pem", other->ca_cert);
  auto wrong_ca = HttpClient::Create(server.url(), options);
  ASSERT_TRUE(wrong_ca.has_value()) << wrong_ca.error().message;
  refused = (*wrong_ca)->Request(GetMe());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().message.rfind(prefix, 0), 0u) << refused.error().message;
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(HttpClientTlsTest, TheCertificateMustNameTheHost) {
  ServerNames names;
  names.dns = {"gc.example"};
  names.ips = {};
  auto pki = MakeTestPki(names);
  ASSERT_TRUE(pki) << pki.error().message;
  TlsLoopbackServer server(pki->server_cert, pki->server_key);
  HttpClientOptions options;
  options.ca_file = dir_.Write("named-ca.pem", pki->ca_cert);
  for (const auto& [host, reason] : {std::pair{"127.0.0.1", "IP address mismatch"},
                                     std::pair{"localhost", "hostname mismatch"}}) {
    auto client = HttpClient::Create(server.url(host), options);
    ASSERT_TRUE(client.has_value()) << client.error().message;
    auto refused = (*client)->Request(GetMe());
    ASSERT_FALSE(refused.has_value()) << host;
    EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(refused.error().message.find(std::string("certificate verify failed: ") + reason),
              std::string::npos)
        << refused.error().message;
  }
  EXPECT_EQ(server.handshakes(), 0);
}

TEST_F(HttpClientTlsTest, AnUnusableCaFileIsInvalidArgument) {
  HttpClientOptions options;
  options.ca_file = (dir_.path() / "missing.pem").string();
  auto missing = HttpClient::Create("https://127.0.0.1:1", options);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(missing.error().field, "ca");
  EXPECT_NE(missing.error().message.find(options.ca_file), std::string::npos);

  options.ca_file = dir_.Write("not-pem.txt", "hello\n");
  auto not_pem = HttpClient::Create("https://127.0.0.1:1", options);
  ASSERT_FALSE(not_pem.has_value());
  EXPECT_EQ(not_pem.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(not_pem.error().field, "ca");

  // Only https:// reads it.
  EXPECT_TRUE(HttpClient::Create("http://127.0.0.1:1", options).has_value());
}

TEST_F(HttpClientTlsTest, HttpsToAPlainHttpServerFailsClearly) {
  LoopbackServer plain([](const std::string&) {
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
  const std::string url = "https" + plain.url().substr(4);
  HttpClientOptions options;
  options.ca_file = ca_file_;
  options.timeout = std::chrono::milliseconds(200);
  auto client = HttpClient::Create(url, options);
  ASSERT_TRUE(client.has_value()) << client.error().message;
  auto failed = (*client)->Request(GetMe());
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(failed.error().message.rfind("cannot reach " + url + ": TLS handshake failed: ", 0), 0u)
      << failed.error().message;
}

}  // namespace
}  // namespace groundcrew::http

// HTTPS: HttpServer with options.tls, exercised by an asio::ssl client that trusts a throwaway
// test CA (tests/support/test_certs.hpp).
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "server/http/http_server.hpp"
#include "tests/support/test_certs.hpp"

namespace groundcrew::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using ErrorCodeT = boost::system::error_code;
using test_support::MakeTestPki;
using test_support::TempDir;
using test_support::TestPki;
using namespace std::chrono_literals;

/// Runs one asynchronous operation, started by `start(handler)`, to completion on `ioc`. The
/// stream's expiry (set by the caller) bounds it.
template <class Start>
ErrorCodeT RunOne(asio::io_context& ioc, Start start) {
  ErrorCodeT result = asio::error::would_block;
  start([&result](ErrorCodeT ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

struct Answer {
  ErrorCodeT error;
  int status = 0;
  std::string body;
  std::string connection;  ///< the Connection header
};

/// Sends one GET on `stream` (plain or TLS) and reads the answer; every step bounded by 2 s.
template <class Stream>
Answer Get(asio::io_context& ioc, Stream& stream, const std::string& target) {
  Answer answer;
  http::request<http::string_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "localhost");
  beast::get_lowest_layer(stream).expires_after(2s);
  answer.error =
      RunOne(ioc, [&](auto handler) { http::async_write(stream, request, std::move(handler)); });
  if (answer.error) return answer;
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  beast::get_lowest_layer(stream).expires_after(2s);
  answer.error = RunOne(
      ioc, [&](auto handler) { http::async_read(stream, buffer, response, std::move(handler)); });
  answer.status = static_cast<int>(response.result_int());
  answer.body = response.body();
  answer.connection = std::string(response[http::field::connection]);
  return answer;
}

/// A blocking HTTPS client for the tests. Trusts only `ca_pem` (the system store is not
/// loaded), checks that the certificate names `host` and sends it as SNI.
class TlsClient {
 public:
  TlsClient(const std::string& ca_pem, const std::string& host)
      : context_(ssl::context::tls_client) {
    context_.add_certificate_authority(asio::buffer(ca_pem));
    context_.set_verify_mode(ssl::verify_peer);
    stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, context_);
    stream_->set_verify_callback(ssl::host_name_verification(host));
    SSL_set_tlsext_host_name(stream_->native_handle(), host.c_str());
  }

  SSL_CTX* native_context() { return context_.native_handle(); }
  SSL* native() { return stream_->native_handle(); }

  /// Connects to 127.0.0.1:`port` and completes the handshake.
  ErrorCodeT Connect(std::uint16_t port) {
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    beast::get_lowest_layer(*stream_).expires_after(2s);
    ErrorCodeT ec = RunOne(ioc_, [&](auto handler) {
      beast::get_lowest_layer(*stream_).async_connect(endpoint, std::move(handler));
    });
    if (ec) return ec;
    beast::get_lowest_layer(*stream_).expires_after(2s);
    return RunOne(ioc_, [&](auto handler) {
      stream_->async_handshake(ssl::stream_base::client, std::move(handler));
    });
  }

  Answer Get(const std::string& target) { return server::Get(ioc_, *stream_, target); }

  /// Sends raw bytes over TLS (bounded by 2 s).
  ErrorCodeT Send(const std::string& bytes) {
    beast::get_lowest_layer(*stream_).expires_after(2s);
    return RunOne(ioc_, [&](auto handler) {
      asio::async_write(*stream_, asio::buffer(bytes), std::move(handler));
    });
  }

  /// What arrives (decrypted) until `text` is in it, or a read fails or 2 s pass in one read.
  std::string ReadUntil(std::string_view text) {
    std::string received;
    char chunk[4096];
    while (received.find(text) == std::string::npos) {
      std::size_t got = 0;
      beast::get_lowest_layer(*stream_).expires_after(2s);
      const ErrorCodeT ec = RunOne(ioc_, [&](auto handler) {
        stream_->async_read_some(asio::buffer(chunk), [&got, handler = std::move(handler)](
                                                          ErrorCodeT e, std::size_t n) mutable {
          got = n;
          handler(e);
        });
      });
      received.append(chunk, got);
      if (ec) break;
    }
    return received;
  }

  /// Waits (up to 2 s) for the server to end the connection; the error the read ended with:
  /// asio::error::eof after a TLS close_notify, ssl::error::stream_truncated without one.
  ErrorCodeT WaitForClose() {
    char byte;
    beast::get_lowest_layer(*stream_).expires_after(2s);
    return RunOne(ioc_, [&](auto handler) {
      stream_->async_read_some(asio::buffer(&byte, 1), std::move(handler));
    });
  }

 private:
  asio::io_context ioc_;
  ssl::context context_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream_;
};

/// A plain TCP connection to 127.0.0.1:`port` that sends raw bytes.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : stream_(ioc_) {
    stream_.expires_after(2s);
    connected_ = !RunOne(ioc_, [&](auto handler) {
      stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                            std::move(handler));
    });
  }
  bool connected() const { return connected_; }
  bool Send(const std::string& bytes) {
    stream_.expires_after(2s);
    return !RunOne(ioc_, [&](auto handler) {
      asio::async_write(stream_, asio::buffer(bytes), std::move(handler));
    });
  }
  Answer Get(const std::string& target) { return server::Get(ioc_, stream_, target); }
  /// True when the server closes the connection within `within` (nothing else is sent).
  bool ClosedByPeer(std::chrono::milliseconds within = 2s) {
    char chunk[256];
    stream_.expires_after(within);
    ErrorCodeT ec;
    while (!ec) {
      ec = RunOne(ioc_, [&](auto handler) {
        stream_.async_read_some(asio::buffer(chunk), std::move(handler));
      });
    }
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  bool connected_ = false;
};

class HttpServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pki = MakeTestPki();
    ASSERT_TRUE(pki) << pki.error().message;
    pki_ = *pki;
    // A chain file: the server certificate, then its issuer.
    chain_file_ = dir_.Write("chain.pem", pki_.server_cert + pki_.ca_cert);
    key_file_ = dir_.Write("key.pem", pki_.server_key);
  }

  /// Starts a TLS server on a free port; `handshake_timeout` as given.
  void StartServer(std::chrono::milliseconds handshake_timeout = 10s) {
    Router router;
    ASSERT_TRUE(router.Add("GET", "/slow", [this](const Request&, const PathParams&) {
      slow_entered_.set_value();
      std::this_thread::sleep_for(300ms);
      return JsonResponse(200, R"({"slow":true})");
    }));
    HttpServerOptions options;
    options.port = 0;
    options.tls = TlsOptions{chain_file_, key_file_};
    // A stream that says hello, then only keeps alive.
    ASSERT_TRUE(router.Add("GET", "/events", [](const Request&, const PathParams&) {
      struct Hello final : ResponseStream {
        void Start(std::function<void()>) override {}
        std::optional<std::string> Next() override { return std::exchange(first, std::string()); }
        std::string first = ServerSentEvent("1", "greeting", "hello");
      };
      return ServerSentEvents(std::make_shared<Hello>());
    }));
    options.handshake_timeout = handshake_timeout;
    options.shutdown_deadline = 2s;
    options.stream_keep_alive_interval = 100ms;
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_.emplace_back(line);
    };
    server_ = std::make_unique<HttpServer>(options, std::move(router));
    Status started = server_->Start();
    ASSERT_TRUE(started) << started.error().message;
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  std::vector<std::string> Log() {
    std::lock_guard lock(log_mutex_);
    return log_;
  }

  /// One HTTPS GET /healthz on a fresh connection: true when it answered 200 {"status":"ok"}.
  bool HealthyOverTls() {
    TlsClient client(pki_.ca_cert, "localhost");
    if (client.Connect(server_->port())) return false;
    Answer answer = client.Get("/healthz");
    return !answer.error && answer.status == 200 && answer.body == R"({"status":"ok"})";
  }

  /// Stops the server and checks that no connection was left behind (Stop() would otherwise
  /// wait for the shutdown deadline and log it).
  void StopWithoutLeaks() {
    const auto started = std::chrono::steady_clock::now();
    server_->Stop();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
    for (const std::string& line : Log()) {
      EXPECT_EQ(line.find("deadline"), std::string::npos) << line;
    }
  }

  TestPki pki_;
  TempDir dir_;
  std::string chain_file_;
  std::string key_file_;
  std::unique_ptr<HttpServer> server_;
  std::promise<void> slow_entered_;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

TEST_F(HttpServerTlsTest, ServesHttpsWithKeepAliveForTheCertificateNames) {
  StartServer();
  for (const char* host : {"localhost", "127.0.0.1"}) {  // the DNS and the IP subjectAltName
    TlsClient client(pki_.ca_cert, host);
    ErrorCodeT ec = client.Connect(server_->port());
    ASSERT_FALSE(ec) << host << ": " << ec.message();
    EXPECT_GE(SSL_version(client.native()), TLS1_2_VERSION);
    for (int i = 0; i < 2; ++i) {  // the second on the same connection
      Answer answer = client.Get("/healthz");
      ASSERT_FALSE(answer.error) << answer.error.message();
      EXPECT_EQ(answer.status, 200);
      EXPECT_EQ(answer.body, R"({"status":"ok"})");
      EXPECT_NE(answer.connection, "close");
    }
    Answer missing = client.Get("/nope");
    ASSERT_FALSE(missing.error) << missing.error.message();
    EXPECT_EQ(missing.status, 404);
  }
  EXPECT_EQ(server_->metrics().RequestCount("/healthz", "GET", 200), 4u);
  StopWithoutLeaks();
}

TEST_F(HttpServerTlsTest, StreamsOverTlsAndStopEndsThemWithACloseNotify) {
  StartServer();
  TlsClient client(pki_.ca_cert, "localhost");
  ASSERT_FALSE(client.Connect(server_->port()));
  ASSERT_FALSE(client.Send("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const std::string received = client.ReadUntil(": keep-alive\n\n");
  EXPECT_EQ(received.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << received;
  EXPECT_NE(received.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(received.find("\r\n\r\nid: 1\nevent: greeting\ndata: hello\n\n: keep-alive\n\n"),
            std::string::npos)
      << received;
  EXPECT_EQ(server_->metrics().OpenStreams(), 1u);
  // The server reads (to see the client go) while it writes: TLS keeps working both ways.
  EXPECT_NE(client.ReadUntil(": keep-alive\n\n").find(": keep-alive"), std::string::npos);
  StopWithoutLeaks();
  EXPECT_EQ(client.WaitForClose(), asio::error::eof);
}

TEST_F(HttpServerTlsTest, HandshakeFailuresCloseTheConnectionAndTheServerKeepsServing) {
  StartServer();
  // A client that does not trust the server's CA aborts the handshake.
  auto other = MakeTestPki();
  ASSERT_TRUE(other) << other.error().message;
  TlsClient untrusting(other->ca_cert, "localhost");
  ErrorCodeT ec = untrusting.Connect(server_->port());
  ASSERT_TRUE(ec);
  EXPECT_NE(ec.message().find("certificate verify failed"), std::string::npos) << ec.message();

  // A name the certificate does not carry.
  TlsClient wrong_name(pki_.ca_cert, "groundcrew.example");
  EXPECT_TRUE(wrong_name.Connect(server_->port()));

  // A client that only speaks TLS 1.1 (allowed on its side) is refused by the server.
  TlsClient old(pki_.ca_cert, "localhost");
  SSL_CTX_set_security_level(old.native_context(), 0);
  SSL_set_security_level(old.native(), 0);
  SSL_set_min_proto_version(old.native(), TLS1_VERSION);
  SSL_set_max_proto_version(old.native(), TLS1_1_VERSION);
  ec = old.Connect(server_->port());
  EXPECT_TRUE(ec);

  // A ClientHello record whose content is garbage.
  RawClient garbage(server_->port());
  ASSERT_TRUE(garbage.connected());
  ASSERT_TRUE(garbage.Send(std::string("\x16\x03\x01\x00\x30\x01\x00\x00\x2c", 9) +
                           std::string(0x2c, 'x')));
  EXPECT_TRUE(garbage.ClosedByPeer());

  EXPECT_TRUE(HealthyOverTls());
  StopWithoutLeaks();
}

TEST_F(HttpServerTlsTest, PlainHttpToTheTlsPortGetsA400AndIsClosed) {
  StartServer();
  RawClient plain(server_->port());
  ASSERT_TRUE(plain.connected());
  Answer answer = plain.Get("/healthz");
  ASSERT_FALSE(answer.error) << answer.error.message();
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.connection, "close");
  EXPECT_NE(answer.body.find("https://"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find(R"("code":"invalid_argument")"), std::string::npos);
  EXPECT_TRUE(plain.ClosedByPeer());
  EXPECT_EQ(server_->metrics().RequestCount("unmatched", "other", 400), 1u);

  EXPECT_TRUE(HealthyOverTls());
  StopWithoutLeaks();
}

TEST_F(HttpServerTlsTest, SilentAndSlowHandshakesTimeOut) {
  StartServer(/*handshake_timeout=*/150ms);
  RawClient silent(server_->port());
  RawClient partial(server_->port());
  ASSERT_TRUE(silent.connected() && partial.connected());
  ASSERT_TRUE(partial.Send(std::string("\x16\x03\x01\x00\xff\x01", 6)));  // a ClientHello begun
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.ClosedByPeer());
  EXPECT_TRUE(partial.ClosedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
  EXPECT_TRUE(HealthyOverTls());
  StopWithoutLeaks();
}

TEST_F(HttpServerTlsTest, StopFinishesTheRequestInFlightAndSendsCloseNotify) {
  StartServer();
  TlsClient idle(pki_.ca_cert, "localhost");
  ASSERT_FALSE(idle.Connect(server_->port()));
  ASSERT_EQ(idle.Get("/healthz").status, 200);

  auto in_flight = std::async(std::launch::async, [this] {
    TlsClient client(pki_.ca_cert, "localhost");
    Answer failed;
    failed.error = client.Connect(server_->port());
    if (failed.error) return failed;
    return client.Get("/slow");
  });
  ASSERT_EQ(slow_entered_.get_future().wait_for(2s), std::future_status::ready);
  StopWithoutLeaks();
  Answer slow = in_flight.get();
  ASSERT_FALSE(slow.error) << slow.error.message();
  EXPECT_EQ(slow.status, 200);
  EXPECT_EQ(slow.connection, "close");
  // The idle connection was closed with a close_notify (eof), not just dropped (truncated).
  ErrorCodeT ended = idle.WaitForClose();
  EXPECT_EQ(ended, asio::error::eof) << ended.message();
}

TEST_F(HttpServerTlsTest, StartRefusesUnusableFiles) {
  auto start = [](const std::string& cert, const std::string& key) {
    HttpServerOptions options;
    options.port = 0;
    options.tls = TlsOptions{cert, key};
    HttpServer server(options, Router{});
    Status started = server.Start();
    if (!started) {
      EXPECT_EQ(server.port(), 0);
    }
    return started;
  };
  const std::string missing = (dir_.path() / "missing.pem").string();
  Status status = start(missing, key_file_);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().field, "certificate_chain_file");
  EXPECT_NE(status.error().message.find(missing + ": No such file or directory"), std::string::npos)
      << status.error().message;

  status = start(chain_file_, missing);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().field, "private_key_file");
  EXPECT_NE(status.error().message.find(missing), std::string::npos) << status.error().message;

  const std::string not_pem = dir_.Write("not.pem", "hello\n");
  status = start(not_pem, key_file_);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().field, "certificate_chain_file");
  EXPECT_EQ(
      status.error().message.rfind("cannot use the TLS certificate chain " + not_pem + ": ", 0), 0u)
      << status.error().message;
  EXPECT_NE(status.error().message.find("no start line"), std::string::npos);

  status = start(chain_file_, not_pem);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().field, "private_key_file");

  const std::string other_key = dir_.Write("other-key.pem", pki_.other_key);
  status = start(chain_file_, other_key);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().field, "private_key_file");
  EXPECT_NE(status.error().message.find("the TLS private key " + other_key +
                                        " does not match the certificate in " + chain_file_),
            std::string::npos)
      << status.error().message;

  // An encrypted key is refused (never prompted for).
  status = start(chain_file_, dir_.Write("encrypted-key.pem", pki_.encrypted_server_key));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().field, "private_key_file");
  EXPECT_NE(status.error().message.find("encrypted"), std::string::npos) << status.error().message;

  EXPECT_TRUE(start(chain_file_, key_file_));
}

}  // namespace
}  // namespace groundcrew::server

// The web view's loopback HTTP server (web_view.hpp): Boost.Beast on one thread, C++20
// coroutines. It serves one person's browser on the device itself, so it is small on purpose:
// HTTP/1.1 with keep-alive, bounded heads and bodies, timeouts, a few connections at most, and
// event streams woken by Notify(). Beast and Asio stay in this file.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <set>
#include <thread>

#include "device/agent/web_view.hpp"

namespace groundcrew::agent {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kAwait = asio::use_awaitable;

constexpr std::size_t kMaxConnections = 16;
constexpr std::size_t kMaxHeadBytes = 16 * 1024;
constexpr std::size_t kMaxBodyBytes = 64 * 1024;
constexpr auto kReadTimeout = std::chrono::seconds(30);
constexpr auto kWriteTimeout = std::chrono::seconds(10);
constexpr auto kKeepAlive = std::chrono::seconds(15);
constexpr auto kLastWriteTimeout = std::chrono::seconds(1);  // once stopping

class BeastWebServer final : public WebServer {
 public:
  BeastWebServer(ScreenChannel& channel, std::string token, std::span<const EmbeddedFile> files)
      : channel_(channel), token_(std::move(token)), files_(files) {}
  ~BeastWebServer() override { Stop(); }

  Status Listen(const std::string& address, std::uint16_t port) {
    boost::system::error_code ec;
    const tcp::endpoint endpoint(asio::ip::make_address(address, ec), port);
    if (ec) {
      return MakeError(ErrorCode::kInvalidArgument, "not an IP address: " + address, "--listen");
    }
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return MakeError(
          ErrorCode::kUnavailable,
          "cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message(),
          "--listen");
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
    return Ok{};
  }

  std::uint16_t port() const override { return port_; }

  void Notify() override {
    asio::post(io_, [this] {
      for (asio::steady_timer* waiting : streams_) waiting->cancel();
    });
  }

  void Stop() override {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      stopping_ = true;
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      // Requests end now; event streams first send what is left (the end of the run).
      for (beast::tcp_stream* stream : connections_) stream->socket().close(ignored);
      for (asio::steady_timer* waiting : streams_) waiting->cancel();
    });
    thread_.join();
  }

 private:
  asio::awaitable<void> Accept() {
    while (!stopping_) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(kAwait, ec));
      if (ec) {
        if (stopping_ || ec == asio::error::operation_aborted) co_return;
        continue;  // the client went away before we took it; the next one is fine
      }
      if (connections_.size() + streams_.size() >= kMaxConnections) {
        continue;  // refused: the socket closes as it goes out of scope
      }
      asio::co_spawn(io_, Serve(beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }

  asio::awaitable<void> Serve(beast::tcp_stream stream) {
    connections_.insert(&stream);
    try {
      co_await ServeRequests(stream);
    } catch (const std::exception&) {
      // A network error or a client that left: the connection ends, the server goes on.
    }
    connections_.erase(&stream);
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  asio::awaitable<void> ServeRequests(beast::tcp_stream& stream) {
    beast::flat_buffer buffer;
    while (!stopping_) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kMaxHeadBytes);
      parser.body_limit(kMaxBodyBytes);
      stream.expires_after(kReadTimeout);
      boost::system::error_code ec;
      co_await http::async_read(stream, buffer, parser, asio::redirect_error(kAwait, ec));
      if (ec == http::error::end_of_stream || ec == beast::error::timeout || stopping_) co_return;
      if (ec) {
        const bool too_large = ec == http::error::body_limit || ec == http::error::header_limit;
        co_await Send(stream, Reply(too_large ? 413 : 400, "Bad request."), false, false);
        co_return;
      }
      const http::request<http::string_body>& request = parser.get();
      WebRequest web{.method = std::string(request.method_string()),
                     .target = std::string(request.target()),
                     .host = std::string(request[http::field::host]),
                     .origin = std::string(request[http::field::origin]),
                     .token = std::string(request["X-Groundcrew-Token"]),
                     .body = request.body()};
      WebReply reply = RouteWebRequest(web, channel_, token_, port_, files_);
      if (reply.events) {
        co_await StreamEvents(stream, std::move(reply));
        co_return;
      }
      const bool keep_alive = request.keep_alive();
      co_await Send(stream, std::move(reply), keep_alive, request.method() == http::verb::head);
      if (!keep_alive) co_return;
    }
  }

  static WebReply Reply(int status, std::string text) {
    return WebReply{.status = status, .body = std::move(text) + "\n"};
  }

  asio::awaitable<void> Send(beast::tcp_stream& stream, WebReply reply, bool keep_alive,
                             bool head_only) {
    http::response<http::string_body> response(static_cast<http::status>(reply.status), 11);
    response.set(http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) response.set(name, value);
    response.keep_alive(keep_alive);
    response.body() = std::move(reply.body);
    response.prepare_payload();
    if (head_only) response.body().clear();
    stream.expires_after(kWriteTimeout);
    if (head_only) {
      http::response_serializer<http::string_body> serializer(response);
      co_await http::async_write_header(stream, serializer, kAwait);
    } else {
      co_await http::async_write(stream, response, kAwait);
    }
  }

  // The event stream: the screen up at once, then each newer one as it is published (only the
  // latest: a page that falls behind skips what it missed), a comment every kKeepAlive, and the
  // end of the run. The connection is the stream's until the client leaves or the server stops.
  asio::awaitable<void> StreamEvents(beast::tcp_stream& stream, WebReply reply) {
    http::response<http::empty_body> head(http::status::ok, 11);
    head.set(http::field::content_type, reply.content_type);
    for (const auto& [name, value] : reply.headers) head.set(name, value);
    head.chunked(true);
    http::response_serializer<http::empty_body> serializer(head);
    stream.expires_after(kWriteTimeout);
    co_await http::async_write_header(stream, serializer, kAwait);
    // A stream is no request: Stop() lets it send what is left (the end of the run) first.
    connections_.erase(&stream);
    asio::steady_timer waiting(io_);
    streams_.insert(&waiting);
    struct Unregister {
      std::set<asio::steady_timer*>& streams;
      asio::steady_timer* timer;
      ~Unregister() { streams.erase(timer); }
    } unregister{streams_, &waiting};
    std::uint64_t sent = 0;
    for (;;) {
      std::string chunk;
      if (auto next = channel_.Next(sent, std::chrono::steady_clock::now())) {
        sent = next->version;
        chunk = EventStreamChunk(*next);
      } else if (stopping_) {
        stream.expires_after(kLastWriteTimeout);
        co_await asio::async_write(stream, http::make_chunk_last(), kAwait);
        co_return;
      } else {
        waiting.expires_after(kKeepAlive);
        boost::system::error_code ec;
        co_await waiting.async_wait(asio::redirect_error(kAwait, ec));
        if (ec != asio::error::operation_aborted) chunk = ": keep-alive\n\n";
        if (chunk.empty()) continue;  // woken: a new screen, or the server stops
      }
      stream.expires_after(stopping_ ? kLastWriteTimeout : kWriteTimeout);
      co_await asio::async_write(stream, http::make_chunk(asio::buffer(chunk)), kAwait);
    }
  }

  ScreenChannel& channel_;
  const std::string token_;
  const std::span<const EmbeddedFile> files_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::thread thread_;
  // Touched on the server's thread only.
  bool stopping_ = false;
  std::set<beast::tcp_stream*> connections_;
  std::set<asio::steady_timer*> streams_;
};

}  // namespace

Result<std::unique_ptr<WebServer>> StartWebServer(const std::string& address, std::uint16_t port,
                                                  ScreenChannel& channel, std::string token,
                                                  std::span<const EmbeddedFile> files) {
  auto server = std::make_unique<BeastWebServer>(channel, std::move(token), files);
  if (Status listening = server->Listen(address, port); !listening) return listening.error();
  return std::unique_ptr<WebServer>(std::move(server));
}

}  // namespace groundcrew::agent

// The only translation unit of the fleet simulator with Boost.Beast.
#include "device/fleet/http_pool.hpp"

#include <fmt/format.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <deque>
#include <optional>
#include <vector>

namespace groundcrew::fleet {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

struct Connection {
  explicit Connection(asio::io_context& io) : stream(io) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bool connected = false;
};

}  // namespace

struct HttpPool::Impl {
  asio::io_context& io;
  tcp::endpoint endpoint;
  std::size_t max_connections;
  std::chrono::milliseconds timeout;
  std::string host_header;
  std::vector<std::unique_ptr<Connection>> idle;
  std::size_t open = 0;  // connections lent out or idle
  std::deque<asio::steady_timer*> waiters;
  std::size_t opened = 0;

  // A connection for one request: an idle one, a new one under the limit, or the next one
  // given back (waiters are woken in order by cancelling their timer).
  asio::awaitable<std::unique_ptr<Connection>> Borrow() {
    for (;;) {
      if (!idle.empty()) {
        std::unique_ptr<Connection> c = std::move(idle.back());
        idle.pop_back();
        co_return c;
      }
      if (open < max_connections) {
        ++open;
        co_return std::make_unique<Connection>(io);
      }
      asio::steady_timer wake(io, asio::steady_timer::time_point::max());
      waiters.push_back(&wake);
      boost::system::error_code ec;
      co_await wake.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }

  // Gives a connection back (or, when it broke, its slot).
  void GiveBack(std::unique_ptr<Connection> c) {
    if (c && c->connected) {
      idle.push_back(std::move(c));
    } else {
      --open;
    }
    if (!waiters.empty()) {
      waiters.front()->cancel();
      waiters.pop_front();
    }
  }
};

HttpPool::HttpPool(asio::io_context& io, std::string host, std::uint16_t port,
                   std::size_t max_connections, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(Impl{io,
                                        tcp::endpoint(asio::ip::make_address(host), port),
                                        std::max<std::size_t>(1, max_connections),
                                        timeout,
                                        fmt::format("{}:{}", host, port),
                                        {},
                                        0,
                                        {},
                                        0})) {}

HttpPool::~HttpPool() = default;

std::size_t HttpPool::connections_opened() const { return impl_->opened; }

asio::awaitable<Result<HttpAnswer>> HttpPool::Request(
    std::string_view method, std::string_view target, std::string_view body,
    std::string_view bearer, std::string_view content_type, std::string_view idempotency_key) {
  const auto asked = std::chrono::steady_clock::now();
  std::unique_ptr<Connection> c = co_await impl_->Borrow();
  const auto queued = std::chrono::steady_clock::now() - asked;
  boost::system::error_code ec;
  auto fail = [&](std::string_view what) -> Result<HttpAnswer> {
    beast::error_code ignored;
    c->stream.socket().close(ignored);
    c->connected = false;
    impl_->GiveBack(std::move(c));
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("{} {}: {}: {}", method, target, what, ec.message()), "server");
  };
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, impl_->host_header);
  request.set(http::field::user_agent, "groundcrew-fleet");
  if (!bearer.empty()) {
    request.set(http::field::authorization, fmt::format("Bearer {}", bearer));
  }
  if (!idempotency_key.empty()) request.set("Idempotency-Key", idempotency_key);
  if (!body.empty()) {
    request.set(http::field::content_type,
                content_type.empty() ? std::string_view("application/json") : content_type);
    request.body() = std::string(body);
  }
  request.keep_alive(true);
  request.prepare_payload();
  std::optional<http::response_parser<http::string_body>> parser;
  // A kept-alive connection the service closed while it was idle fails at once, before any of
  // the answer: the request is sent again on a new connection, once (as browsers do).
  for (bool reused = c->connected;; reused = false) {
    if (!c->connected) {
      c->buffer.clear();
      c->stream.expires_after(impl_->timeout);
      co_await c->stream.async_connect(impl_->endpoint, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return fail("connect");
      c->connected = true;
      ++impl_->opened;
      // Requests go out whole at once: without this, Nagle's algorithm holds a body back until
      // the service acknowledges the headers, which it delays (40 ms per request on Linux).
      c->stream.socket().set_option(tcp::no_delay(true), ec);
    }
    parser.emplace();
    parser->body_limit(64u * 1024u * 1024u);
    c->stream.expires_after(impl_->timeout);
    co_await http::async_write(c->stream, request, asio::redirect_error(use_awaitable, ec));
    if (!ec) {
      co_await http::async_read(c->stream, c->buffer, *parser,
                                asio::redirect_error(use_awaitable, ec));
    }
    if (!ec) break;
    const bool stale = reused && !parser->got_some() && ec != beast::error::timeout;
    if (!stale) co_return fail(parser->got_some() ? "answer" : "send");
    beast::error_code ignored;
    c->stream.socket().close(ignored);
    c->connected = false;
  }
  HttpAnswer answer{static_cast<int>(parser->get().result_int()), std::move(parser->get().body()),
                    queued};
  if (!parser->get().keep_alive()) {
    beast::error_code ignored;
    c->stream.socket().close(ignored);
    c->connected = false;
  }
  c->stream.expires_never();
  impl_->GiveBack(std::move(c));
  co_return answer;
}

}  // namespace groundcrew::fleet

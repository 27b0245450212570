// The only translation unit of the benchmarks that includes Beast and Asio.
#include "bench/http_load.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cmath>
#include <thread>

namespace groundcrew::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

using Request = http::request<http::string_body>;

Request ToBeast(const HttpCall& call) {
  Request request{http::string_to_verb(call.method), call.target, 11};
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : call.headers) request.set(name, value);
  request.body() = call.body;
  request.keep_alive(true);
  request.prepare_payload();
  return request;
}

tcp::endpoint Loopback(std::uint16_t port) { return {asio::ip::address_v4::loopback(), port}; }

// What every connection of one RunLoad shares. One client thread: no locking.
struct LoadState {
  const LoadOptions* options = nullptr;
  std::vector<Request> requests;
  Clock::time_point measure_start;
  Clock::time_point end;
  bool stop = false;  // max_requests reached
  Clock::time_point stopped_at;
  std::vector<tcp::socket*> sockets;  // open ones, by connection index (for the watchdog)
  int active = 0;
  asio::steady_timer* watchdog = nullptr;
  LoadResult result;

  bool Counts(Clock::time_point t) const { return t >= measure_start && t <= end && !stop; }
  void Fail(Clock::time_point t, std::string what) {
    if (!Counts(t)) return;
    ++result.failed;
    if (result.first_error.empty()) result.first_error = std::move(what);
  }
};

awaitable<void> Connection(LoadState& state, int index) {
  tcp::socket socket(co_await asio::this_coro::executor);
  state.sockets[index] = &socket;
  beast::flat_buffer buffer;
  const LoadOptions& options = *state.options;
  const size_t count = state.requests.size();
  size_t next = count > 0 ? static_cast<size_t>(index) % count : 0;
  std::int64_t sequence = 0;  // this connection's requests so far
  Request made;               // with options.make_call
  bool connected = false;
  while (Clock::now() < state.end && !state.stop) {
    error_code ec;
    if (!connected) {
      co_await socket.async_connect(Loopback(state.options->port),
                                    asio::redirect_error(use_awaitable, ec));
      if (ec) {
        state.Fail(Clock::now(), "connect: " + ec.message());
        break;  // the server is gone: do not spin
      }
      connected = true;
    }
    const std::int64_t n = sequence++;
    if (options.make_call) made = ToBeast(options.make_call(index, n));
    const Request& request = options.make_call ? made : state.requests[next];
    if (!options.make_call) next = (next + 1) % count;
    const Clock::time_point sent = Clock::now();
    co_await http::async_write(socket, request, asio::redirect_error(use_awaitable, ec));
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    if (!ec)
      co_await http::async_read(socket, buffer, parser, asio::redirect_error(use_awaitable, ec));
    const Clock::time_point answered = Clock::now();
    if (ec) {
      if (options.on_answer) options.on_answer(index, n, 0, "exchange: " + ec.message());
      state.Fail(answered, "exchange: " + ec.message());
      socket.close(ec);
      buffer.clear();
      connected = false;
      ++state.result.reconnects;
      continue;
    }
    const auto& response = parser.get();
    const int status = response.result_int();
    if (options.on_answer) options.on_answer(index, n, status, response.body());
    if (state.Counts(answered)) {
      if (status >= 200 && status < 300) {
        ++state.result.ok;
        state.result.latency_us.push_back(
            std::chrono::duration<double, std::micro>(answered - sent).count());
        if (options.max_requests > 0 && state.result.ok >= options.max_requests) {
          state.stop = true;
          state.stopped_at = answered;
        }
      } else {
        state.Fail(answered,
                   "HTTP " + std::to_string(status) + ": " + response.body().substr(0, 200));
      }
    }
    if (!response.keep_alive()) {
      socket.close(ec);
      buffer.clear();
      connected = false;
      ++state.result.reconnects;
    }
  }
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  state.sockets[index] = nullptr;
  if (--state.active == 0 && state.watchdog != nullptr) state.watchdog->cancel();
}

awaitable<void> Watchdog(LoadState& state, asio::steady_timer& timer) {
  timer.expires_at(state.end + std::chrono::seconds(30));
  error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
  if (ec) co_return;  // cancelled: every connection finished
  for (tcp::socket* socket : state.sockets) {
    if (socket != nullptr) socket->close(ec);
  }
}

awaitable<void> Exchange(std::uint16_t port, const HttpCall& call, HttpReply& reply) {
  tcp::socket socket(co_await asio::this_coro::executor);
  error_code ec;
  co_await socket.async_connect(Loopback(port), asio::redirect_error(use_awaitable, ec));
  if (ec) {
    reply.error = "connect: " + ec.message();
    co_return;
  }
  const Request request = ToBeast(call);
  const Clock::time_point sent = Clock::now();
  co_await http::async_write(socket, request, asio::redirect_error(use_awaitable, ec));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  if (!ec)
    co_await http::async_read(socket, buffer, parser, asio::redirect_error(use_awaitable, ec));
  reply.seconds = std::chrono::duration<double>(Clock::now() - sent).count();
  if (ec) {
    reply.error = "exchange: " + ec.message();
    co_return;
  }
  reply.status = parser.get().result_int();
  reply.body = std::move(parser.get().body());
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace

double LoadResult::LatencyQuantileUs(double q) const {
  if (latency_us.empty()) return 0;
  const double position = q * static_cast<double>(latency_us.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, latency_us.size() - 1);
  const double weight = position - static_cast<double>(below);
  return latency_us[below] * (1 - weight) + latency_us[above] * weight;
}

HttpReply SendOnce(std::uint16_t port, const HttpCall& call, std::chrono::seconds timeout) {
  HttpReply reply;
  asio::io_context context(1);
  bool done = false;
  asio::co_spawn(context, Exchange(port, call, reply),
                 [&done](std::exception_ptr) { done = true; });
  context.run_for(timeout);
  if (!done) {
    context.stop();
    reply = HttpReply{};
    reply.error = "no complete answer within the timeout";
  }
  return reply;
}

LoadResult RunLoad(const LoadOptions& options) {
  LoadState state;
  state.options = &options;
  for (const HttpCall& call : options.calls) state.requests.push_back(ToBeast(call));
  if ((state.requests.empty() && !options.make_call) || options.connections < 1) {
    return state.result;
  }
  asio::io_context context(1);
  asio::steady_timer timer(context);
  const Clock::time_point start = Clock::now();
  state.measure_start = start + options.warmup;
  state.end = state.measure_start + options.duration;
  state.sockets.assign(static_cast<size_t>(options.connections), nullptr);
  state.active = options.connections;
  state.watchdog = &timer;
  for (int i = 0; i < options.connections; ++i) {
    asio::co_spawn(context, Connection(state, i), asio::detached);
  }
  asio::co_spawn(context, Watchdog(state, timer), asio::detached);
  context.run();
  const Clock::time_point measured_end = state.stop ? state.stopped_at : state.end;
  state.result.seconds = std::chrono::duration<double>(measured_end - state.measure_start).count();
  std::sort(state.result.latency_us.begin(), state.result.latency_us.end());
  return std::move(state.result);
}

struct BareHelloServer::Impl {
  explicit Impl(int thread_count) : context(thread_count), acceptor(context, Loopback(0)) {
    asio::co_spawn(context, Accept(), asio::detached);
    for (int i = 0; i < std::max(1, thread_count); ++i) {
      threads.emplace_back([this] { context.run(); });
    }
  }

  ~Impl() {
    context.stop();
    for (std::thread& thread : threads) thread.join();
  }

  awaitable<void> Accept() {
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      asio::co_spawn(context, Session(std::move(socket)), asio::detached);
    }
  }

  static awaitable<void> Session(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      error_code ec;
      http::request<http::string_body> request;
      co_await http::async_read(socket, buffer, request, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      http::response<http::string_body> response{http::status::ok, request.version()};
      response.set(http::field::content_type, "application/json");
      response.keep_alive(request.keep_alive());
      response.body() = R"({"hello":"world"})";
      response.prepare_payload();
      co_await http::async_write(socket, response, asio::redirect_error(use_awaitable, ec));
      if (ec || !response.keep_alive()) co_return;
    }
  }

  asio::io_context context;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
};

BareHelloServer::BareHelloServer(int threads) : impl_(std::make_unique<Impl>(threads)) {}
BareHelloServer::~BareHelloServer() = default;
std::uint16_t BareHelloServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace groundcrew::bench

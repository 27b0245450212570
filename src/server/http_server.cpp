#include "server/http_server.hpp"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/error_mapping.hpp"

namespace groundcrew::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCodeT = boost::system::error_code;

constexpr auto kAwait = asio::use_awaitable;
/// How long a connection closed after an error response keeps discarding what the client still
/// sends, and how much at most (see LingeringClose).
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerBytes = 1024 * 1024;
/// After the shutdown deadline, how long Stop() waits for force-closed connections to unwind.
constexpr std::chrono::milliseconds kForcedCloseGrace{1'000};

/// One accepted connection. `stream` is bound to a strand; everything here is touched only on
/// that strand (the serving coroutine and the lambdas Stop() posts to it).
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  /// True while waiting for the next request with nothing of it buffered: safe to close on
  /// shutdown without losing a request.
  bool idle = true;
};

Request ToRequest(http::request<http::string_body>& message) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  SplitTarget(request.target, request.path, request.query);
  for (const auto& field : message) request.headers.Add(field.name_string(), field.value());
  request.body = std::move(message.body());
  return request;
}

bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, Router router)
      : options_(std::move(options)), router_(std::move(router)) {
    // Built-ins; an application route on the same method and path takes precedence.
    (void)router_.Add("GET", "/healthz", [](const Request&, const PathParams&) {
      return JsonResponse(200, R"({"status":"ok"})");
    });
    (void)router_.Add("GET", "/metrics", [this](const Request&, const PathParams&) {
      Response response;
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      response.body = metrics_.RenderPrometheus();
      return response;
    });
  }

  ~Impl() {
    Stop();
    // Coroutine frames still owned by the io_context (only after a forced stop) are destroyed
    // here, while the members they refer to are still alive.
    acceptor_.reset();
    ioc_.reset();
  }

  Status Start();
  Status Run();
  void Stop();

  std::uint16_t port() const { return port_.load(); }
  const HttpMetrics& metrics() const { return metrics_; }

 private:
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Serve(std::shared_ptr<Connection> connection);
  asio::awaitable<void> ServeRequests(Connection& connection);
  /// Answers a request that failed to read; false when the connection should just be closed.
  asio::awaitable<void> AnswerReadFailure(Connection& connection, const ErrorCodeT& ec,
                                          http::request_parser<http::string_body>& parser);
  asio::awaitable<bool> Write(Connection& connection, Response response, bool head_only,
                              unsigned version,
                              bool keep_alive);
  asio::awaitable<void> LingeringClose(Connection& connection);
  Response Dispatch(const Request& request, std::string& route);
  void Log(std::string_view line) const;
  /// Completion of a detached coroutine: logs an exception that escaped it.
  auto LogEscaped(std::string_view what) {
    return [this, what](std::exception_ptr error) {
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        Log(std::string(what) + ": " + e.what());
      } catch (...) {
        Log(std::string(what) + ": unknown exception");
      }
    };
  }

  HttpServerOptions options_;
  Router router_;  // immutable once started: read concurrently by the workers
  HttpMetrics metrics_;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> stopping_{false};

  std::mutex stop_mutex_;  // serialises Start() and Stop()
  std::mutex mutex_;       // guards the fields below
  std::condition_variable changed_;
  bool started_ = false;
  bool stopped_ = false;
  std::uint64_t next_id_ = 0;
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> connections_;

  std::unique_ptr<asio::io_context> ioc_;
  std::unique_ptr<tcp::acceptor> acceptor_;  // bound to a strand; touched only on it
  std::vector<std::thread> threads_;
};

void HttpServer::Impl::Log(std::string_view line) const {
  if (options_.log) {
    options_.log(line);
    return;
  }
  std::string text = "groundcrew http: " + std::string(line) + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

Status HttpServer::Impl::Start() {
  std::lock_guard stop_lock(stop_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (started_ || stopped_) {
      return MakeError(ErrorCode::kFailedPrecondition, "the server was already started");
    }
  }
  if (options_.threads < 1) {
    return MakeError(ErrorCode::kInvalidArgument, "threads must be at least 1", "threads");
  }
  ErrorCodeT ec;
  const asio::ip::address address = asio::ip::make_address(options_.address, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument, "not an IP address: " + options_.address,
                     "address");
  }
  auto ioc = std::make_unique<asio::io_context>(options_.threads);
  auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(*ioc));
  const tcp::endpoint endpoint(address, options_.port);
  const std::string where = options_.address + ":" + std::to_string(options_.port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message(),
                     "address");
  }
  port_ = acceptor->local_endpoint(ec).port();
  ioc_ = std::move(ioc);
  acceptor_ = std::move(acceptor);
  {
    std::lock_guard lock(mutex_);
    started_ = true;
  }
  asio::co_spawn(acceptor_->get_executor(), AcceptLoop(), LogEscaped("accept loop"));
  threads_.reserve(static_cast<std::size_t>(options_.threads));
  for (int i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this] {
      while (true) {
        try {
          ioc_->run();
          return;
        } catch (const std::exception& e) {
          Log(std::string("worker: ") + e.what());
        } catch (...) {
          Log("worker: unknown exception");
        }
      }
    });
  }
  return Ok{};
}

Status HttpServer::Impl::Run() {
  Status started = Start();
  if (!started) return started;
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return stopped_; });
  return Ok{};
}

void HttpServer::Impl::Stop() {
  std::lock_guard stop_lock(stop_mutex_);
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    if (!started_) {
      stopped_ = true;
      changed_.notify_all();
      return;
    }
  }
  stopping_ = true;
  asio::post(acceptor_->get_executor(), [this] {
    ErrorCodeT ignored;
    acceptor_->close(ignored);
  });

  auto post_to_all = [this](auto action) {  // REQUIRES: mutex_ held
    for (auto& [id, connection] : connections_) {
      asio::post(connection->stream.get_executor(), [connection, action] { action(*connection); });
    }
  };
  std::unique_lock lock(mutex_);
  post_to_all([](Connection& connection) {
    if (connection.idle) connection.stream.cancel();
  });
  const auto deadline = Clock::now() + options_.shutdown_deadline;
  if (!changed_.wait_until(lock, deadline, [this] { return connections_.empty(); })) {
    Log("shutdown deadline passed with " + std::to_string(connections_.size()) +
        " connection(s) open; closing them");
    post_to_all([](Connection& connection) { connection.stream.close(); });
    changed_.wait_for(lock, kForcedCloseGrace, [this] { return connections_.empty(); });
  }
  lock.unlock();

  ioc_->stop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  lock.lock();
  stopped_ = true;
  changed_.notify_all();
}

asio::awaitable<void> HttpServer::Impl::AcceptLoop() {
  while (true) {
    tcp::socket socket(asio::make_strand(*ioc_));
    ErrorCodeT ec;
    co_await acceptor_->async_accept(socket, asio::redirect_error(kAwait, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
      // E.g. out of file descriptors: back off instead of spinning.
      Log("accept failed: " + ec.message());
      asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await timer.async_wait(asio::redirect_error(kAwait, ec));
      continue;
    }
    if (stopping_) continue;  // the acceptor is about to close; drop the socket
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(std::move(socket));
    asio::co_spawn(connection->stream.get_executor(), Serve(connection), LogEscaped("connection"));
  }
}

asio::awaitable<void> HttpServer::Impl::Serve(std::shared_ptr<Connection> connection) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    connections_.emplace(id, connection);
  }
  struct Unregister {
    Impl* impl;
    std::uint64_t id;
    ~Unregister() {
      std::lock_guard lock(impl->mutex_);
      impl->connections_.erase(id);
      impl->changed_.notify_all();
    }
  } unregister{this, id};

  try {
    co_await ServeRequests(*connection);
  } catch (const std::exception& e) {
    Log(std::string("connection: ") + e.what());
  }
  ErrorCodeT ignored;
  connection->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  connection->stream.close();
}

asio::awaitable<void> HttpServer::Impl::ServeRequests(Connection& connection) {
  beast::flat_buffer buffer;
  while (!stopping_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser.body_limit(options_.max_body_bytes);
    ErrorCodeT ec;
    connection.idle = buffer.size() == 0;
    connection.stream.expires_after(options_.header_timeout);
    co_await http::async_read_header(connection.stream, buffer, parser,
                                     asio::redirect_error(kAwait, ec));
    connection.idle = false;
    if (!ec && !parser.is_done() &&
        beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      // The client waits for this before sending the body (curl does for large uploads).
      http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
      connection.stream.expires_after(options_.write_timeout);
      co_await http::async_write(connection.stream, go_on, asio::redirect_error(kAwait, ec));
      if (ec) co_return;
    }
    if (!ec && !parser.is_done()) {
      connection.stream.expires_after(options_.body_timeout);
      co_await http::async_read(connection.stream, buffer, parser,
                                asio::redirect_error(kAwait, ec));
    }
    if (ec) {
      co_await AnswerReadFailure(connection, ec, parser);
      co_return;
    }

    const auto started = Clock::now();
    http::request<http::string_body> message = parser.release();
    const unsigned version = message.version();
    const bool wants_keep_alive = message.keep_alive();
    Request request = ToRequest(message);
    // HEAD is answered as GET without the body (RFC 9110 §9.3.2), unless a route takes HEAD.
    const bool head_only = request.method == "HEAD" &&
                           router_.Find("HEAD", request.path).outcome != Router::Outcome::kFound;
    if (head_only) request.method = "GET";
    std::string route;
    Response response = Dispatch(request, route);
    if (head_only) request.method = "HEAD";
    const std::chrono::duration<double> elapsed = Clock::now() - started;
    metrics_.Record(route, request.method, response.status, elapsed.count());
    if (options_.access_log) {
      options_.access_log(RequestRecord{request.method, request.path, route, response.status,
                                        elapsed.count(), response.body.size()});
    }

    const bool keep_alive = wants_keep_alive && !stopping_;
    if (!co_await Write(connection, std::move(response), head_only, version, keep_alive) ||
        !keep_alive) {
      co_return;
    }
  }
}

asio::awaitable<void> HttpServer::Impl::AnswerReadFailure(
    Connection& connection, const ErrorCodeT& ec, http::request_parser<http::string_body>& parser) {
  int status = 0;
  Error error;
  if (ec == http::error::body_limit) {
    status = 413;
    error = MakeError(
        ErrorCode::kInvalidArgument,
        "the request body exceeds " + std::to_string(options_.max_body_bytes) + " bytes", "body");
  } else if (ec == http::error::header_limit) {
    status = 431;
    error = MakeError(
        ErrorCode::kInvalidArgument,
        "the request header exceeds " + std::to_string(options_.max_header_bytes) + " bytes",
        "header");
  } else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    status = 400;
    error = MakeError(ErrorCode::kInvalidArgument, "malformed HTTP request: " + ec.message());
  } else {
    // Closed by the client, timed out, reset or cancelled by Stop(): nothing to answer.
    co_return;
  }
  const std::string method =
      parser.is_header_done() ? std::string(parser.get().method_string()) : std::string();
  metrics_.Record(HttpMetrics::kUnmatchedRoute, method, status, 0.0);
  if (co_await Write(connection, ErrorResponse(status, error), false, 11, false)) {
    co_await LingeringClose(connection);
  }
}

asio::awaitable<bool> HttpServer::Impl::Write(Connection& connection, Response response,
                                              bool head_only,
                                              unsigned version, bool keep_alive) {
  if (response.status < 100 || response.status > 599) {
    Log("handler returned invalid status " + std::to_string(response.status));
    response = ErrorResponse(MakeError(ErrorCode::kInternal, "internal error"));
  }
  http::response<http::string_body> out;
  out.version(version);
  out.result(static_cast<unsigned>(response.status));
  if (!response.content_type.empty() && !HasLineBreak(response.content_type)) {
    out.set(http::field::content_type, response.content_type);
  }
  for (const auto& [name, value] : response.headers) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value)) {
      Log("dropped an invalid response header field");
      continue;
    }
    out.insert(name, value);
  }
  out.keep_alive(keep_alive);
  out.body() = std::move(response.body);
  out.prepare_payload();
  if (head_only) {  // the GET answer's header, Content-Length included, without its body
    const std::size_t length = out.body().size();
    out.body().clear();
    out.content_length(length);
  }
  ErrorCodeT ec;
  connection.stream.expires_after(options_.write_timeout);
  co_await http::async_write(connection.stream, out, asio::redirect_error(kAwait, ec));
  co_return !ec;
}

asio::awaitable<void> HttpServer::Impl::LingeringClose(Connection& connection) {
  // Closing a socket with unread input makes the kernel send a reset, which can destroy the
  // response before the client reads it. So: half-close, then discard input for a moment.
  ErrorCodeT ec;
  connection.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  connection.stream.expires_after(kLingerTime);
  char discard[4096];
  std::size_t total = 0;
  while (total < kLingerBytes) {
    total += co_await connection.stream.async_read_some(asio::buffer(discard),
                                                        asio::redirect_error(kAwait, ec));
    if (ec) co_return;
  }
}

Response HttpServer::Impl::Dispatch(const Request& request, std::string& route) {
  Router::Match match = router_.Find(request.method, request.path);
  switch (match.outcome) {
    case Router::Outcome::kNotFound:
      route = HttpMetrics::kUnmatchedRoute;
      return ErrorResponse(
          MakeError(ErrorCode::kNotFound, "no route for " + request.method + " " + request.path));
    case Router::Outcome::kMethodNotAllowed: {
      route = match.pattern;
      Response response =
          ErrorResponse(405, MakeError(ErrorCode::kInvalidArgument,
                                       request.method + " is not allowed on " + match.pattern +
                                           "; allowed: " + match.allow,
                                       "method"));
      response.headers.emplace_back("Allow", match.allow);
      return response;
    }
    case Router::Outcome::kFound:
      break;
  }
  route = match.pattern;
  try {
    return (*match.handler)(request, match.params);
  } catch (const std::exception& e) {
    Log("handler for " + request.method + " " + match.pattern + " threw: " + e.what());
  } catch (...) {
    Log("handler for " + request.method + " " + match.pattern + " threw a non-standard exception");
  }
  return ErrorResponse(MakeError(ErrorCode::kInternal, "internal error"));
}

HttpServer::HttpServer(HttpServerOptions options, Router router)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router))) {}
HttpServer::~HttpServer() = default;
Status HttpServer::Start() { return impl_->Start(); }
Status HttpServer::Run() { return impl_->Run(); }
void HttpServer::Stop() { impl_->Stop(); }
std::uint16_t HttpServer::port() const { return impl_->port(); }
const HttpMetrics& HttpServer::metrics() const { return impl_->metrics(); }

}  // namespace groundcrew::server

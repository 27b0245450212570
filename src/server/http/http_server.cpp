#include "server/http/http_server.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/http/error_mapping.hpp"

namespace groundcrew::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SslStream = beast::ssl_stream<beast::tcp_stream>;
using Clock = std::chrono::steady_clock;
using ErrorCodeT = boost::system::error_code;

constexpr auto kAwait = asio::use_awaitable;
/// How long a connection closed after an error response keeps discarding what the client still
/// sends, and how much at most (see LingeringClose).
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerBytes = 1024 * 1024;
/// After the shutdown deadline, how long Stop() waits for force-closed connections to unwind.
constexpr std::chrono::milliseconds kForcedCloseGrace{1'000};
/// How long sending a TLS close_notify may take before the connection is just closed.
constexpr std::chrono::milliseconds kCloseNotifyTime{500};

/// One accepted connection, as Stop() sees it whatever its stream type. The stream is bound to a
/// strand; everything here is touched only on that strand (the serving coroutine and the
/// lambdas Stop() posts to it).
struct ConnectionBase {
  virtual ~ConnectionBase() = default;
  /// The TCP layer: its executor is the strand; cancel()/close() end what is pending on it.
  virtual beast::tcp_stream& Lowest() = 0;
  /// True while waiting for the next request (or the TLS handshake) with nothing of it
  /// buffered: safe to close on shutdown without losing a request.
  bool idle = true;
};

/// `Stream` is beast::tcp_stream (HTTP) or SslStream (HTTPS).
template <class Stream>
struct Connection final : ConnectionBase {
  template <class... Args>
  explicit Connection(Args&&... args) : stream(std::forward<Args>(args)...) {}
  beast::tcp_stream& Lowest() override { return beast::get_lowest_layer(stream); }
  Stream stream;
};

/// The reason of the oldest queued OpenSSL error (e.g. "no start line"); empties the queue.
std::string OpenSslReason(unsigned long* code_out = nullptr) {
  const unsigned long code = ERR_peek_error();
  if (code_out) *code_out = code;
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  std::string text = reason ? reason : "unknown OpenSSL error";
  ERR_clear_error();
  return text;
}

/// Checks that `path` can be opened for reading, so a missing file gets the system's reason
/// rather than OpenSSL's less direct one.
Status CheckReadable(const std::string& path, const std::string& what, const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (in) return Ok{};
  return MakeError(ErrorCode::kInvalidArgument,
                   "cannot read the " + what + " " + path + ": " + std::strerror(errno), field);
}

/// A server TLS context (TLS 1.2 or later) holding the certificate chain and its key.
/// kInvalidArgument naming the file and OpenSSL's reason when either cannot be used.
Result<std::unique_ptr<ssl::context>> MakeTlsContext(const TlsOptions& tls) {
  const std::string& cert = tls.certificate_chain_file;
  const std::string& key = tls.private_key_file;
  if (Status ok = CheckReadable(cert, "TLS certificate chain", "certificate_chain_file"); !ok) {
    return ok.error();
  }
  if (Status ok = CheckReadable(key, "TLS private key", "private_key_file"); !ok) {
    return ok.error();
  }
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return MakeError(ErrorCode::kInternal, "cannot require TLS 1.2: " + OpenSslReason());
  }
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                       ssl::context::single_dh_use);
  // An encrypted key fails to load instead of prompting on the terminal.
  SSL_CTX_set_default_passwd_cb(native, [](char*, int, int, void*) { return 0; });
  if (SSL_CTX_use_certificate_chain_file(native, cert.c_str()) != 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot use the TLS certificate chain " + cert + ": " + OpenSslReason(),
                     "certificate_chain_file");
  }
  if (SSL_CTX_use_PrivateKey_file(native, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    unsigned long code = 0;
    const std::string reason = OpenSslReason(&code);
    if (ERR_GET_LIB(code) == ERR_LIB_X509 && ERR_GET_REASON(code) == X509_R_KEY_VALUES_MISMATCH) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the TLS private key " + key + " does not match the certificate in " + cert +
                           ": " + reason,
                       "private_key_file");
    }
    std::stringstream text;
    text << std::ifstream(key, std::ios::binary).rdbuf();
    const bool encrypted = text.str().find("ENCRYPTED") != std::string::npos;
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot use the TLS private key " + key + ": " + reason +
                         (encrypted ? " (the key is encrypted; an unencrypted one is needed)" : ""),
                     "private_key_file");
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the TLS private key " + key + " does not match the certificate in " + cert +
                         ": " + OpenSslReason(),
                     "private_key_file");
  }
  return context;
}

/// Plain HTTP has no close_notify.
asio::awaitable<void> SendCloseNotify(beast::tcp_stream&) { co_return; }

/// Sends a TLS close_notify once the handshake is done, unless one was sent already (OpenSSL
/// also marks fatal alerts so) or the socket is closed. Does not wait for the client's
/// close_notify (RFC 8446 §6.1 allows it). Best effort, bounded by kCloseNotifyTime.
asio::awaitable<void> SendCloseNotify(SslStream& stream) {
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  SSL* native = stream.native_handle();
  if (!lowest.socket().is_open() || SSL_is_init_finished(native) != 1 ||
      (SSL_get_shutdown(native) & SSL_SENT_SHUTDOWN) != 0) {
    co_return;
  }
  SSL_set_shutdown(native, SSL_get_shutdown(native) | SSL_RECEIVED_SHUTDOWN);
  lowest.expires_after(kCloseNotifyTime);
  ErrorCodeT ignored;
  co_await stream.async_shutdown(asio::redirect_error(kAwait, ignored));
  ERR_clear_error();
}

Request ToRequest(http::request<http::string_body>& message, std::string remote_address) {
  Request request;
  request.remote_address = std::move(remote_address);
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
  template <class Stream>
  asio::awaitable<void> Serve(std::shared_ptr<Connection<Stream>> connection);
  /// Answers plain HTTP on the HTTPS port with a 400, else completes the TLS handshake (the
  /// bytes the detection read are in `buffer`). True when requests can be served.
  asio::awaitable<bool> Handshake(Connection<SslStream>& connection, beast::flat_buffer& buffer);
  template <class Stream>
  asio::awaitable<void> ServeRequests(Connection<Stream>& connection, beast::flat_buffer& buffer);
  /// Answers a request that failed to read when there is something to answer (400/413/431).
  template <class Stream>
  asio::awaitable<void> AnswerReadFailure(Stream& stream, const ErrorCodeT& ec,
                                          http::request_parser<http::string_body>& parser);
  /// Writes `response`; false when the connection failed.
  template <class Stream>
  asio::awaitable<bool> Write(Stream& stream, Response response, bool head_only, unsigned version,
                              bool keep_alive);
  /// Ends a connection after an error response: close_notify (TLS), half-close, then discards
  /// what the client still sends for a moment.
  template <class Stream>
  asio::awaitable<void> LingeringClose(Stream& stream);
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
  std::unordered_map<std::uint64_t, std::shared_ptr<ConnectionBase>> connections_;

  std::unique_ptr<ssl::context> ssl_context_;  // set by Start() when options_.tls; then const
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
  if (options_.tls) {
    auto context = MakeTlsContext(*options_.tls);
    if (!context) return context.error();
    ssl_context_ = std::move(*context);
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
      asio::post(connection->Lowest().get_executor(),
                 [connection, action] { action(*connection); });
    }
  };
  std::unique_lock lock(mutex_);
  post_to_all([](ConnectionBase& connection) {
    if (connection.idle) connection.Lowest().cancel();
  });
  const auto deadline = Clock::now() + options_.shutdown_deadline;
  if (!changed_.wait_until(lock, deadline, [this] { return connections_.empty(); })) {
    Log("shutdown deadline passed with " + std::to_string(connections_.size()) +
        " connection(s) open; closing them");
    post_to_all([](ConnectionBase& connection) { connection.Lowest().close(); });
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
    if (ssl_context_) {
      auto connection = std::make_shared<Connection<SslStream>>(std::move(socket), *ssl_context_);
      asio::co_spawn(connection->Lowest().get_executor(), Serve(connection),
                     LogEscaped("connection"));
    } else {
      auto connection = std::make_shared<Connection<beast::tcp_stream>>(std::move(socket));
      asio::co_spawn(connection->Lowest().get_executor(), Serve(connection),
                     LogEscaped("connection"));
    }
  }
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::Serve(std::shared_ptr<Connection<Stream>> connection) {
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

  beast::flat_buffer buffer;
  try {
    bool ready = true;
    if constexpr (std::is_same_v<Stream, SslStream>) {
      ready = co_await Handshake(*connection, buffer);
    }
    if (ready) co_await ServeRequests(*connection, buffer);
  } catch (const std::exception& e) {
    Log(std::string("connection: ") + e.what());
  }
  co_await SendCloseNotify(connection->stream);
  ErrorCodeT ignored;
  connection->Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  connection->Lowest().close();
}

asio::awaitable<bool> HttpServer::Impl::Handshake(Connection<SslStream>& connection,
                                                  beast::flat_buffer& buffer) {
  beast::tcp_stream& lowest = connection.Lowest();
  lowest.expires_after(options_.handshake_timeout);
  ErrorCodeT ec;
  const bool tls =
      co_await beast::async_detect_ssl(lowest, buffer, asio::redirect_error(kAwait, ec));
  if (ec) co_return false;  // closed, timed out or cancelled by Stop()
  if (!tls) {
    // Plain HTTP (or anything but a TLS ClientHello): answer in plain HTTP so a person sees why.
    connection.idle = false;
    metrics_.Record(HttpMetrics::kUnmatchedRoute, "", 400, 0.0);
    Response response =
        ErrorResponse(400, MakeError(ErrorCode::kInvalidArgument,
                                     "this port speaks HTTPS only: use https:// to reach it"));
    if (co_await Write(lowest, std::move(response), false, 11, false)) {
      co_await LingeringClose(lowest);
    }
    co_return false;
  }
  const std::size_t used = co_await connection.stream.async_handshake(
      ssl::stream_base::server, buffer.data(), asio::redirect_error(kAwait, ec));
  ERR_clear_error();  // a failed handshake leaves its reason queued on this thread
  if (ec) co_return false;
  buffer.consume(used);
  co_return true;
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::ServeRequests(Connection<Stream>& connection,
                                                      beast::flat_buffer& buffer) {
  beast::tcp_stream& lowest = connection.Lowest();
  while (!stopping_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    parser.body_limit(options_.max_body_bytes);
    ErrorCodeT ec;
    connection.idle = buffer.size() == 0;
    lowest.expires_after(options_.header_timeout);
    co_await http::async_read_header(connection.stream, buffer, parser,
                                     asio::redirect_error(kAwait, ec));
    connection.idle = false;
    if (!ec && !parser.is_done() &&
        beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      // The client waits for this before sending the body (curl does for large uploads).
      http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
      lowest.expires_after(options_.write_timeout);
      co_await http::async_write(connection.stream, go_on, asio::redirect_error(kAwait, ec));
      if (ec) co_return;
    }
    if (!ec && !parser.is_done()) {
      lowest.expires_after(options_.body_timeout);
      co_await http::async_read(connection.stream, buffer, parser,
                                asio::redirect_error(kAwait, ec));
    }
    if (ec) {
      co_await AnswerReadFailure(connection.stream, ec, parser);
      co_return;
    }

    const auto started = Clock::now();
    http::request<http::string_body> message = parser.release();
    const unsigned version = message.version();
    const bool wants_keep_alive = message.keep_alive();
    ErrorCodeT endpoint_error;
    const tcp::endpoint remote = lowest.socket().remote_endpoint(endpoint_error);
    Request request =
        ToRequest(message, endpoint_error ? std::string() : remote.address().to_string());
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
    if (!co_await Write(connection.stream, std::move(response), head_only, version, keep_alive) ||
        !keep_alive) {
      co_return;
    }
  }
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::AnswerReadFailure(
    Stream& stream, const ErrorCodeT& ec, http::request_parser<http::string_body>& parser) {
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
    // Closed by the client, timed out, reset, cancelled by Stop() or a TLS error: nothing to
    // answer.
    co_return;
  }
  const std::string method =
      parser.is_header_done() ? std::string(parser.get().method_string()) : std::string();
  metrics_.Record(HttpMetrics::kUnmatchedRoute, method, status, 0.0);
  if (co_await Write(stream, ErrorResponse(status, error), false, 11, false)) {
    co_await LingeringClose(stream);
  }
}

template <class Stream>
asio::awaitable<bool> HttpServer::Impl::Write(Stream& stream, Response response, bool head_only,
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
  beast::get_lowest_layer(stream).expires_after(options_.write_timeout);
  co_await http::async_write(stream, out, asio::redirect_error(kAwait, ec));
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::LingeringClose(Stream& stream) {
  // Closing a socket with unread input makes the kernel send a reset, which can destroy the
  // response before the client reads it. So: half-close, then discard input for a moment.
  // Under TLS the close_notify goes first; what follows is discarded undecrypted.
  co_await SendCloseNotify(stream);
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  ErrorCodeT ec;
  lowest.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  lowest.expires_after(kLingerTime);
  char discard[4096];
  std::size_t total = 0;
  while (total < kLingerBytes) {
    total +=
        co_await lowest.async_read_some(asio::buffer(discard), asio::redirect_error(kAwait, ec));
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

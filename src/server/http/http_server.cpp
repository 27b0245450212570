#include "server/http/http_server.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
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
#include <boost/asio/write.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
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
#include <random>
#include <sstream>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/http/error_mapping.hpp"
#include "server/http/request_head.hpp"

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
  /// Marks the connection idle (from `now`) or busy. Only on the strand.
  void SetIdle(bool now_idle) {
    if (now_idle && !idle) idle_since = Clock::now().time_since_epoch().count();
    idle = now_idle;
  }
  /// True while waiting for the next request (or the TLS handshake) with nothing of it
  /// received: safe to close (shutdown, shedding) without losing a request. Written on the
  /// strand; read by the accept loop to pick a connection to shed (then re-checked on the strand).
  std::atomic<bool> idle{true};
  /// When it last became idle (steady clock ticks); the accept loop sheds the smallest.
  std::atomic<Clock::rep> idle_since{Clock::now().time_since_epoch().count()};
  /// Set by the accept loop when it picked this connection to shed; cleared on the strand if
  /// it was no longer idle there. A connection being shed no longer counts against the cap.
  std::atomic<bool> shedding{false};
  /// While it sends a streamed response: the timer its stream waits on, which Stop() cancels
  /// so that the stream sees the server stopping. Only on the strand.
  asio::steady_timer* stream_timer = nullptr;
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

/// The request as handlers see it, without its body (read later, once admitted).
Request ToRequest(const http::request<http::empty_body>& message, std::string remote_address) {
  Request request;
  request.remote_address = std::move(remote_address);
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  SplitTarget(request.target, request.path, request.query);
  for (const auto& field : message) request.headers.Add(field.name_string(), field.value());
  return request;
}

/// A fresh request id: 32 random hexadecimal digits.
std::string NewRequestId() {
  thread_local std::mt19937_64 generator{[] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = generator();
    for (int i = 0; i < 16; ++i, bits >>= 4) id += kHex[bits & 0xf];
  }
  return id;
}

/// The id of a request: the client's X-Request-Id when acceptable, else a fresh one.
std::string RequestIdFor(const Request& request) {
  const std::string* given = request.headers.Find("X-Request-Id");
  if (given != nullptr && IsAcceptableRequestId(*given)) return *given;
  return NewRequestId();
}

/// Lets one log line through per interval and counts those it holds back.
class LogThrottle {
 public:
  /// Whether a line may be logged at `now` (the first one always may); when it may,
  /// `suppressed` is set to the number held back since the last one let through.
  bool Allow(Clock::time_point now, std::chrono::milliseconds interval, std::uint64_t& suppressed) {
    std::lock_guard lock(mutex_);
    if (logged_once_ && now - last_ < interval) {
      ++held_back_;
      return false;
    }
    logged_once_ = true;
    last_ = now;
    suppressed = held_back_;
    held_back_ = 0;
    return true;
  }

 private:
  std::mutex mutex_;
  bool logged_once_ = false;
  Clock::time_point last_{};
  std::uint64_t held_back_ = 0;
};

/// A descriptor closed on scope exit.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

/// Holds one of a bounded number of slots while it lives: a large body being received
/// (HttpServerOptions::max_large_bodies) or an open stream (max_streams).
struct CountedSlot {
  std::atomic<int>* in_use = nullptr;
  CountedSlot() = default;
  CountedSlot(const CountedSlot&) = delete;
  CountedSlot& operator=(const CountedSlot&) = delete;
  ~CountedSlot() { Release(); }
  /// Gives the slot back (if held).
  void Release() {
    if (in_use) in_use->fetch_sub(1);
    in_use = nullptr;
  }
  /// Takes a slot when fewer than `limit` are taken; false (holding none) otherwise.
  bool TryTake(std::atomic<int>& counter, int limit) {
    if (counter.fetch_add(1) >= limit) {
      counter.fetch_sub(1);
      return false;
    }
    in_use = &counter;
    return true;
  }
};

bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

/// What a streamed response waits for, shared by its writer and the callbacks that wake it.
/// Touched only on the connection's strand.
struct StreamWait {
  explicit StreamWait(const asio::any_io_executor& executor) : timer(executor) {}
  /// Waited on between Next() calls; cancelled to wake the writer.
  asio::steady_timer timer;
  /// The source called wake since the writer last called Next().
  bool woken = false;
  /// The client closed the connection (or it failed): the stream ends.
  bool client_gone = false;
  /// A read watching for the client's close is pending.
  bool reading = false;
  /// What the client sends meanwhile: discarded.
  std::array<char, 512> discard{};
};

/// Reads from `stream` until it fails (the client closed the connection, reset it, or the read
/// was cancelled): then marks `wait` client_gone and wakes the writer. What arrives is
/// discarded. `stream` must outlive the pending read (wait->reading).
template <class Stream>
void WatchForClose(Stream& stream, std::shared_ptr<StreamWait> wait) {
  wait->reading = true;
  StreamWait& state = *wait;
  stream.async_read_some(asio::buffer(state.discard),
                         [&stream, wait = std::move(wait)](const ErrorCodeT& ec, std::size_t) {
                           wait->reading = false;
                           if (!ec) {
                             WatchForClose(stream, wait);
                             return;
                           }
                           wait->client_gone = true;
                           wait->timer.cancel();
                         });
}

}  // namespace

std::size_t DerivedMaxConnections(std::uint64_t descriptor_limit) {
  const std::uint64_t available =
      descriptor_limit > kDescriptorReserve ? descriptor_limit - kDescriptorReserve : 0;
  return static_cast<std::size_t>(
      std::clamp<std::uint64_t>(available, 8, static_cast<std::uint64_t>(kMaxDerivedConnections)));
}

bool IsAcceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

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
  asio::awaitable<void> Serve(std::shared_ptr<Connection<Stream>> connection, std::uint64_t id);
  /// Answers plain HTTP on the HTTPS port with a 400, else completes the TLS handshake (the
  /// bytes the detection read are in `buffer`). True when requests can be served.
  asio::awaitable<bool> Handshake(Connection<SslStream>& connection, beast::flat_buffer& buffer);
  template <class Stream>
  asio::awaitable<void> ServeRequests(Connection<Stream>& connection, beast::flat_buffer& buffer);
  /// Reads one request head into `parser` (which stops after the header), appending its bytes
  /// as received to `raw_head`. The connection stops being idle once a byte of it is received.
  /// Returns Beast's error (need_more never), end_of_stream/partial_message on EOF.
  template <class Stream>
  asio::awaitable<ErrorCodeT> ReadHead(Connection<Stream>& connection, beast::flat_buffer& buffer,
                                       http::request_parser<http::empty_body>& parser,
                                       std::string& raw_head);
  /// Answers a request that failed to read when there is something to answer (400/413/431);
  /// `body_limit` is the limit that applied (for the 413 message).
  template <class Stream>
  asio::awaitable<void> AnswerReadFailure(Stream& stream, const ErrorCodeT& ec,
                                          std::string_view method, std::size_t body_limit,
                                          std::string_view remote_address);
  /// Writes `response` with X-Request-Id `request_id`; false when the connection failed.
  template <class Stream>
  asio::awaitable<bool> Write(Stream& stream, Response response, bool head_only, unsigned version,
                              bool keep_alive, const std::string& request_id);
  /// Writes a response whose body is response.stream: the header, then what the stream gives
  /// as it comes (StreamBody, ResponseStream), until the stream ends, the client goes away,
  /// a write fails or the server stops. The connection closes afterwards.
  template <class Stream>
  asio::awaitable<void> WriteStream(Connection<Stream>& connection, Response response,
                                    bool head_only, unsigned version,
                                    const std::string& request_id);
  /// The response's header: status, Content-Type, its fields, X-Request-Id and Connection.
  http::response<http::empty_body> Head(const Response& response, unsigned version, bool keep_alive,
                                        const std::string& request_id) const;
  /// Writes a response whose body is response.file, in kFileChunkBytes chunks.
  template <class Stream>
  asio::awaitable<bool> WriteFile(Stream& stream, http::response<http::empty_body>& out,
                                  const FileRange& file, bool head_only);
  /// Records a request in the metrics and the access log.
  void Record(const Request& request, std::string_view route, const Response& response,
              double seconds, std::string_view request_id);
  /// Makes room for one more connection under the cap; false when the new one must be closed.
  bool AdmitConnection();
  /// Logs `line` unless one was logged less than options_.log_interval ago through `throttle`.
  void LogThrottled(LogThrottle& throttle, const std::string& line);
  /// Ends a connection after an error response: close_notify (TLS), half-close, then discards
  /// what the client still sends for a moment.
  template <class Stream>
  asio::awaitable<void> LingeringClose(Stream& stream);
  /// 404 or 405 for a request without a route.
  Response NoRoute(const Request& request, const Router::Match& match) const;
  /// Runs a handler or gate; an escaping exception becomes a logged 500.
  template <class Call>
  auto Guarded(const Request& request, const std::string& pattern, Call&& call) -> decltype(call());
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

  std::size_t max_connections_ = 0;  // set by Start(); then const
  std::atomic<int> large_bodies_{0};
  std::atomic<int> open_streams_{0};
  LogThrottle cap_log_;
  LogThrottle accept_log_;

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
  max_connections_ = options_.max_connections;
  if (max_connections_ == 0) {
    rlimit limit{};
    max_connections_ = DerivedMaxConnections(
        getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
            ? static_cast<std::uint64_t>(limit.rlim_cur)
            : static_cast<std::uint64_t>(kMaxDerivedConnections) + kDescriptorReserve);
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
    for (auto& entry : connections_) {
      std::shared_ptr<ConnectionBase> connection = entry.second;  // clang 14: no binding capture
      asio::post(connection->Lowest().get_executor(),
                 [connection, action] { action(*connection); });
    }
  };
  std::unique_lock lock(mutex_);
  post_to_all([](ConnectionBase& connection) {
    if (connection.idle) connection.Lowest().cancel();
    if (connection.stream_timer) connection.stream_timer->cancel();  // the stream sees stopping_
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
      LogThrottled(accept_log_, "accept failed: " + ec.message());
      asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
      co_await timer.async_wait(asio::redirect_error(kAwait, ec));
      continue;
    }
    if (stopping_) continue;  // the acceptor is about to close; drop the socket
    if (!AdmitConnection()) {
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    // Registered before its coroutine starts, so that the coroutine's end always unregisters it.
    auto registered = [this](std::shared_ptr<ConnectionBase> connection) {
      std::lock_guard lock(mutex_);
      const std::uint64_t id = next_id_++;
      connections_.emplace(id, std::move(connection));
      metrics_.SetOpenConnections(connections_.size());
      return id;
    };
    if (ssl_context_) {
      auto connection = std::make_shared<Connection<SslStream>>(std::move(socket), *ssl_context_);
      const std::uint64_t id = registered(connection);
      asio::co_spawn(connection->Lowest().get_executor(), Serve(connection, id),
                     LogEscaped("connection"));
    } else {
      auto connection = std::make_shared<Connection<beast::tcp_stream>>(std::move(socket));
      const std::uint64_t id = registered(connection);
      asio::co_spawn(connection->Lowest().get_executor(), Serve(connection, id),
                     LogEscaped("connection"));
    }
  }
}

bool HttpServer::Impl::AdmitConnection() {
  std::shared_ptr<ConnectionBase> victim;
  {
    std::lock_guard lock(mutex_);
    std::size_t counted = 0;
    for (const auto& [id, connection] : connections_) {
      if (connection->shedding) continue;
      ++counted;
      if (connection->idle && (!victim || connection->idle_since < victim->idle_since)) {
        victim = connection;
      }
    }
    if (counted < max_connections_) return true;
    if (victim) victim->shedding = true;
  }
  if (!victim) {
    metrics_.CountRefusedConnection();
    LogThrottled(cap_log_, "connection cap (" + std::to_string(max_connections_) +
                               ") reached and no connection is idle: closed a new connection");
    return false;
  }
  // Closed on its strand if still idle there (it may have received a request meanwhile; then
  // the new connection is admitted anyway, one over the cap for a moment).
  asio::post(victim->Lowest().get_executor(), [victim] {
    if (victim->idle) {
      victim->Lowest().cancel();
    } else {
      victim->shedding = false;
    }
  });
  metrics_.CountShedConnection();
  LogThrottled(cap_log_, "connection cap (" + std::to_string(max_connections_) +
                             ") reached: closed the longest idle connection to admit a new one");
  return true;
}

void HttpServer::Impl::LogThrottled(LogThrottle& throttle, const std::string& line) {
  std::uint64_t suppressed = 0;
  if (!throttle.Allow(Clock::now(), options_.log_interval, suppressed)) return;
  Log(suppressed == 0
          ? line
          : line + " (and " + std::to_string(suppressed) + " more like it since the last report)");
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::Serve(std::shared_ptr<Connection<Stream>> connection,
                                              std::uint64_t id) {
  struct Unregister {
    Impl* impl;
    std::uint64_t id;
    ~Unregister() {
      std::lock_guard lock(impl->mutex_);
      impl->connections_.erase(id);
      impl->metrics_.SetOpenConnections(impl->connections_.size());
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
  if (ec) co_return false;    // closed, timed out or cancelled by Stop()
  connection.SetIdle(false);  // the client has started: not to be shed
  if (!tls) {
    // Plain HTTP (or anything but a TLS ClientHello): answer in plain HTTP so a person sees why.
    metrics_.Record(HttpMetrics::kUnmatchedRoute, "", 400, 0.0);
    Response response =
        ErrorResponse(400, MakeError(ErrorCode::kInvalidArgument,
                                     "this port speaks HTTPS only: use https:// to reach it"));
    if (co_await Write(lowest, std::move(response), false, 11, false, NewRequestId())) {
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
asio::awaitable<ErrorCodeT> HttpServer::Impl::ReadHead(
    Connection<Stream>& connection, beast::flat_buffer& buffer,
    http::request_parser<http::empty_body>& parser, std::string& raw_head) {
  ErrorCodeT ec;
  while (true) {
    if (buffer.size() > 0) {
      connection.SetIdle(false);
      const std::size_t used = parser.put(buffer.data(), ec);
      raw_head.append(static_cast<const char*>(buffer.data().data()), used);
      buffer.consume(used);
      if (ec && ec != http::error::need_more) co_return ec;
      if (parser.is_header_done()) co_return ErrorCodeT{};
    }
    const std::size_t read = co_await connection.stream.async_read_some(
        buffer.prepare(8192), asio::redirect_error(kAwait, ec));
    buffer.commit(read);
    if (ec == asio::error::eof) {
      co_return parser.got_some() || buffer.size() > 0 ? http::error::partial_message
                                                       : http::error::end_of_stream;
    }
    if (ec) co_return ec;
  }
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::ServeRequests(Connection<Stream>& connection,
                                                      beast::flat_buffer& buffer) {
  beast::tcp_stream& lowest = connection.Lowest();
  ErrorCodeT endpoint_error;
  const tcp::endpoint remote = lowest.socket().remote_endpoint(endpoint_error);
  const std::string remote_address = endpoint_error ? std::string() : remote.address().to_string();
  while (!stopping_) {
    // 1. The head only: no body byte is read before the route has admitted the request.
    http::request_parser<http::empty_body> head_parser;
    head_parser.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    head_parser.body_limit(boost::none);  // the route's limit is checked below
    head_parser.eager(false);
    std::string raw_head;
    connection.SetIdle(buffer.size() == 0);
    lowest.expires_after(options_.header_timeout);
    ErrorCodeT ec = co_await ReadHead(connection, buffer, head_parser, raw_head);
    connection.SetIdle(false);
    if (ec) {
      const std::string method = head_parser.is_header_done()
                                     ? std::string(head_parser.get().method_string())
                                     : std::string();
      co_await AnswerReadFailure(connection.stream, ec, method, options_.max_body_bytes,
                                 remote_address);
      co_return;
    }

    const auto started = Clock::now();
    const unsigned version = head_parser.get().version();
    const bool wants_keep_alive = head_parser.get().keep_alive();
    const bool body_pending = !head_parser.is_done();
    Request request = ToRequest(head_parser.get(), remote_address);
    const std::string request_id = RequestIdFor(request);
    // HEAD is answered as GET without the body (RFC 9110 §9.3.2), unless a route takes HEAD.
    const bool head_only = request.method == "HEAD" &&
                           router_.Find("HEAD", request.path).outcome != Router::Outcome::kFound;
    if (head_only) request.method = "GET";

    // 2. Framing, route, gate, size: each can answer without reading the body. Any answer given
    // while a body is pending closes the connection (the body is never read).
    std::optional<Response> early;
    std::string route = std::string(HttpMetrics::kUnmatchedRoute);
    Router::Match match;
    CountedSlot large_body;
    std::size_t body_limit = std::min(options_.max_small_body_bytes, options_.max_body_bytes);
    Status framing = CheckRequestHead(raw_head);
    if (!framing) {
      early = ErrorResponse(400, framing.error());
    } else {
      match = router_.Find(request.method, request.path);
      if (match.outcome != Router::Outcome::kFound) {
        if (match.outcome == Router::Outcome::kMethodNotAllowed) route = match.pattern;
        early = NoRoute(request, match);
      }
    }
    if (!early) {
      route = match.pattern;
      request.route = match.pattern;
      const RouteOptions& route_options = *match.options;
      if (route_options.gate && body_pending) {
        early = Guarded(request, match.pattern, [&]() -> std::optional<Response> {
          return route_options.gate(request, match.params);
        });
      }
      const bool large = route_options.body_limit == BodyLimit::kLarge;
      if (large) body_limit = options_.max_body_bytes;
      const boost::optional<std::uint64_t> announced = head_parser.content_length();
      if (!early && body_pending && announced && *announced > body_limit) {
        early = ErrorResponse(
            413,
            MakeError(ErrorCode::kInvalidArgument,
                      "the request body exceeds " + std::to_string(body_limit) + " bytes", "body"));
      }
      if (!early && body_pending && large &&
          (!announced ||
           *announced > std::min(options_.max_small_body_bytes, options_.max_body_bytes)) &&
          !large_body.TryTake(large_bodies_, options_.max_large_bodies)) {
        early = ErrorResponse(
            MakeError(ErrorCode::kUnavailable,
                      "too many large uploads are being received; try again in a few seconds"));
        early->headers.emplace_back("Retry-After", "5");
      }
    }

    // 3. The body, for an admitted request only.
    if (!early && body_pending) {
      if (beast::iequals(head_parser.get()[http::field::expect], "100-continue")) {
        // The client waits for this before sending the body (curl does for large uploads).
        http::response<http::empty_body> go_on{http::status::continue_, version};
        lowest.expires_after(options_.write_timeout);
        co_await http::async_write(connection.stream, go_on, asio::redirect_error(kAwait, ec));
        if (ec) co_return;
      }
      http::request_parser<http::string_body> body_parser(std::move(head_parser));
      body_parser.body_limit(body_limit);
      lowest.expires_after(options_.body_timeout);
      co_await http::async_read(connection.stream, buffer, body_parser,
                                asio::redirect_error(kAwait, ec));
      if (ec) {
        co_await AnswerReadFailure(connection.stream, ec, request.method, body_limit,
                                   remote_address);
        co_return;
      }
      request.body = std::move(body_parser.get().body());
    }

    Response response = early ? std::move(*early) : Guarded(request, match.pattern, [&] {
      return (*match.handler)(request, match.params);
    });
    request.body = std::string();  // the handler is done with it
    large_body.Release();
    CountedSlot stream_slot;
    struct StreamGauge {  // the open-streams gauge counts this stream while it is written
      HttpMetrics* metrics = nullptr;
      ~StreamGauge() {
        if (metrics) metrics->StreamClosed();
      }
    } stream_gauge;
    if (response.stream && !response.file) {
      if (stream_slot.TryTake(open_streams_, options_.max_streams)) {
        metrics_.StreamOpened();
        stream_gauge.metrics = &metrics_;
      } else {
        metrics_.CountRefusedStream();
        response = ErrorResponse(
            MakeError(ErrorCode::kUnavailable, "too many event streams are open (at most " +
                                                   std::to_string(options_.max_streams) +
                                                   "); close one or try again in a few seconds"));
        response.headers.emplace_back("Retry-After", "5");
      }
    } else {
      response.stream.reset();
    }
    if (head_only) request.method = "HEAD";
    const std::chrono::duration<double> elapsed = Clock::now() - started;
    Record(request, route, response, elapsed.count(), request_id);

    if (response.stream) {  // close-delimited: the connection ends with the stream
      co_await WriteStream(connection, std::move(response), head_only, version, request_id);
      co_return;
    }
    // After a framing error what follows the head cannot be trusted to be a request.
    const bool close_unread = (early && body_pending) || !framing;
    const bool keep_alive = wants_keep_alive && !stopping_ && !close_unread;
    const bool written = co_await Write(connection.stream, std::move(response), head_only, version,
                                        keep_alive, request_id);
    if (written && close_unread) co_await LingeringClose(connection.stream);
    if (!written || !keep_alive) co_return;
  }
}

void HttpServer::Impl::Record(const Request& request, std::string_view route,
                              const Response& response, double seconds,
                              std::string_view request_id) {
  metrics_.Record(route, request.method, response.status, seconds);
  if (!options_.access_log) return;
  const bool refused = response.status == 401 || response.status == 403;
  options_.access_log(RequestRecord{
      request.method, request.path, route, response.status, seconds,
      response.file ? static_cast<std::size_t>(response.file->length) : response.body.size(),
      request.remote_address, request_id, response.actor,
      refused ? std::string_view(response.reason) : std::string_view()});
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::AnswerReadFailure(Stream& stream, const ErrorCodeT& ec,
                                                          std::string_view method,
                                                          std::size_t body_limit,
                                                          std::string_view remote_address) {
  int status = 0;
  Error error;
  if (ec == http::error::body_limit) {
    status = 413;
    error = MakeError(ErrorCode::kInvalidArgument,
                      "the request body exceeds " + std::to_string(body_limit) + " bytes", "body");
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
  Request request;
  request.method = std::string(method);
  request.remote_address = std::string(remote_address);
  const std::string request_id = NewRequestId();
  Response response = ErrorResponse(status, error);
  Record(request, HttpMetrics::kUnmatchedRoute, response, 0.0, request_id);
  if (co_await Write(stream, std::move(response), false, 11, false, request_id)) {
    co_await LingeringClose(stream);
  }
}

http::response<http::empty_body> HttpServer::Impl::Head(const Response& response, unsigned version,
                                                        bool keep_alive,
                                                        const std::string& request_id) const {
  http::response<http::empty_body> out;
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
  out.set("X-Request-Id", request_id);
  out.keep_alive(keep_alive);
  return out;
}

template <class Stream>
asio::awaitable<bool> HttpServer::Impl::Write(Stream& stream, Response response, bool head_only,
                                              unsigned version, bool keep_alive,
                                              const std::string& request_id) {
  if (response.status < 100 || response.status > 599) {
    Log("handler returned invalid status " + std::to_string(response.status));
    response = ErrorResponse(MakeError(ErrorCode::kInternal, "internal error"));
  }
  if (response.file) {
    http::response<http::empty_body> header{Head(response, version, keep_alive, request_id)};
    co_return co_await WriteFile(stream, header, *response.file, head_only);
  }
  http::response<http::string_body> out{
      std::move(Head(response, version, keep_alive, request_id).base())};
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
asio::awaitable<bool> HttpServer::Impl::WriteFile(Stream& stream,
                                                  http::response<http::empty_body>& out,
                                                  const FileRange& file, bool head_only) {
  FileDescriptor descriptor{::open(file.path.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat status {};
  if (descriptor.fd < 0 || ::fstat(descriptor.fd, &status) != 0 ||
      static_cast<std::uint64_t>(status.st_size) < file.offset ||
      static_cast<std::uint64_t>(status.st_size) - file.offset < file.length) {
    Log("cannot send " + file.path + ": " +
        (descriptor.fd < 0 ? std::string(std::strerror(errno)) : "shorter than the range"));
    Response failed = ErrorResponse(MakeError(ErrorCode::kInternal, "internal error"));
    http::response<http::string_body> answer{http::status::internal_server_error, out.version()};
    answer.set(http::field::content_type, failed.content_type);
    answer.set("X-Request-Id", out["X-Request-Id"]);
    answer.keep_alive(false);
    answer.body() = std::move(failed.body);
    answer.prepare_payload();
    ErrorCodeT ec;
    beast::get_lowest_layer(stream).expires_after(options_.write_timeout);
    co_await http::async_write(stream, answer, asio::redirect_error(kAwait, ec));
    co_return false;  // the connection closes
  }
  out.content_length(file.length);
  http::response_serializer<http::empty_body> serializer(out);
  ErrorCodeT ec;
  beast::get_lowest_layer(stream).expires_after(options_.write_timeout);
  co_await http::async_write_header(stream, serializer, asio::redirect_error(kAwait, ec));
  if (ec) co_return false;
  if (head_only) co_return true;
  std::vector<char> chunk(static_cast<std::size_t>(
      std::min<std::uint64_t>(kFileChunkBytes, std::max<std::uint64_t>(file.length, 1))));
  std::uint64_t sent = 0;
  while (sent < file.length) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), file.length - sent));
    const ssize_t got =
        ::pread(descriptor.fd, chunk.data(), want, static_cast<off_t>(file.offset + sent));
    if (got <= 0) {
      if (got < 0 && errno == EINTR) continue;
      Log("cannot read " + file.path + " while sending it: " +
          (got < 0 ? std::string(std::strerror(errno)) : "the file was truncated"));
      co_return false;  // the header promised more: the connection closes
    }
    beast::get_lowest_layer(stream).expires_after(options_.write_timeout);
    co_await asio::async_write(stream, asio::buffer(chunk.data(), static_cast<std::size_t>(got)),
                               asio::redirect_error(kAwait, ec));
    if (ec) co_return false;
    sent += static_cast<std::uint64_t>(got);
  }
  co_return true;
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::WriteStream(Connection<Stream>& connection,
                                                    Response response, bool head_only,
                                                    unsigned version,
                                                    const std::string& request_id) {
  StreamBody body = std::move(*response.stream);
  http::response<http::empty_body> out{Head(response, version, false, request_id)};
  http::response_serializer<http::empty_body> serializer(out);
  beast::tcp_stream& lowest = connection.Lowest();
  ErrorCodeT ec;
  lowest.expires_after(options_.write_timeout);
  co_await http::async_write_header(connection.stream, serializer,
                                    asio::redirect_error(kAwait, ec));
  if (ec || head_only) co_return;

  auto wait = std::make_shared<StreamWait>(lowest.get_executor());
  lowest.expires_never();  // the watching read has no deadline; each write gets one below
  WatchForClose(connection.stream, wait);
  connection.stream_timer = &wait->timer;
  try {
    body.source->Start([weak = std::weak_ptr<StreamWait>(wait), executor = lowest.get_executor()] {
      asio::post(executor, [weak] {
        if (std::shared_ptr<StreamWait> woken = weak.lock()) {
          woken->woken = true;
          woken->timer.cancel();
        }
      });
    });
    auto last_sent = Clock::now();
    while (!stopping_ && !wait->client_gone) {
      wait->woken = false;
      std::optional<std::string> next = body.source->Next();
      if (!next) break;  // the source ended the stream
      const bool fresh = !next->empty();
      if (!fresh && !body.keep_alive.empty() &&
          Clock::now() - last_sent >= options_.stream_keep_alive_interval) {
        *next = body.keep_alive;
      }
      if (!next->empty()) {
        lowest.expires_after(options_.write_timeout);
        co_await asio::async_write(connection.stream, asio::buffer(*next),
                                   asio::redirect_error(kAwait, ec));
        if (ec) break;
        last_sent = Clock::now();
      }
      if (fresh || wait->woken || stopping_ || wait->client_gone) continue;  // more may be ready
      wait->timer.expires_at(std::min(last_sent + options_.stream_keep_alive_interval,
                                      Clock::now() + options_.stream_recheck_interval));
      co_await wait->timer.async_wait(asio::redirect_error(kAwait, ec));
    }
  } catch (const std::exception& e) {
    Log("a streamed response failed: " + std::string(e.what()));
  }
  connection.stream_timer = nullptr;
  body.source.reset();  // no more wake-ups
  if (wait->reading) {  // end the watching read before the connection goes
    lowest.socket().cancel(ec);
    wait->timer.expires_after(kForcedCloseGrace);
    co_await wait->timer.async_wait(asio::redirect_error(kAwait, ec));
    if (wait->reading) lowest.close();
  }
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

Response HttpServer::Impl::NoRoute(const Request& request, const Router::Match& match) const {
  if (match.outcome == Router::Outcome::kMethodNotAllowed) {
    Response response =
        ErrorResponse(405, MakeError(ErrorCode::kInvalidArgument,
                                     request.method + " is not allowed on " + match.pattern +
                                         "; allowed: " + match.allow,
                                     "method"));
    response.headers.emplace_back("Allow", match.allow);
    return response;
  }
  return ErrorResponse(
      MakeError(ErrorCode::kNotFound, "no route for " + request.method + " " + request.path));
}

template <class Call>
auto HttpServer::Impl::Guarded(const Request& request, const std::string& pattern, Call&& call)
    -> decltype(call()) {
  try {
    return call();
  } catch (const std::exception& e) {
    Log("handler for " + request.method + " " + pattern + " threw: " + e.what());
  } catch (...) {
    Log("handler for " + request.method + " " + pattern + " threw a non-standard exception");
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

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The HTTP side of the service benchmark: a loopback load generator, a one-shot client and a
// bare Beast "hello" server. Beast and Asio stay inside http_load.cpp; callers see plain types.
namespace groundcrew::bench {

/// One HTTP/1.1 request. Host, Content-Length and keep-alive are added by the client.
struct HttpCall {
  std::string method = "GET";
  std::string target;                                        ///< "/v1/users/abc"
  std::vector<std::pair<std::string, std::string>> headers;  ///< e.g. Authorization
  std::string body;
};

struct HttpReply {
  int status = 0;     ///< 0 when the exchange failed (see `error`)
  std::string error;  ///< why it failed; empty on success
  std::string body;
  double seconds = 0;  ///< from the first byte written to the last byte read
};

/// Sends `call` on a new connection to 127.0.0.1:`port` and reads the whole answer, however
/// large. Gives up (status 0) after `timeout`. Blocks; thread-safe.
HttpReply SendOnce(std::uint16_t port, const HttpCall& call, std::chrono::seconds timeout);

struct LoadOptions {
  std::uint16_t port = 0;  ///< on 127.0.0.1
  /// The requests each connection sends, in turn, starting at an offset of its index, so that
  /// connections do not all ask for the same thing at once. At least one, unless `make_call`
  /// is set.
  std::vector<HttpCall> calls;
  int connections = 32;  ///< keep-alive connections, each with one request in flight
  std::chrono::milliseconds warmup{500};     ///< answers in this first period are not counted
  std::chrono::milliseconds duration{5000};  ///< the measured period after the warm-up
  /// Stop after this many counted answers (0: no limit, the duration decides).
  std::int64_t max_requests = 0;
  /// When set, each request is made by this instead of taken from `calls` (which may then be
  /// empty): `n` counts the requests of `connection` from 0, so a connection's n-th request is
  /// made only after its (n-1)-th was answered. For bodies that must differ each time (events
  /// with fresh idempotency keys). Called on the client thread, before the warm-up too.
  std::function<HttpCall(int connection, std::int64_t n)> make_call;
  /// When set, called with every answer of the whole run (warm-up and measured period alike):
  /// the status (0 for a transport error, `body` then says why) and the body. Called on the
  /// client thread, in each connection's request order.
  std::function<void(int connection, std::int64_t n, int status, std::string_view body)> on_answer;
};

struct LoadResult {
  std::int64_t ok = 0;             ///< 2xx answers within the measured period
  std::int64_t failed = 0;         ///< other answers and transport errors within it
  std::int64_t reconnects = 0;     ///< connections the server closed, re-opened
  double seconds = 0;              ///< length of the measured period (shorter with max_requests)
  std::vector<double> latency_us;  ///< of every counted answer, sorted ascending
  std::string first_error;         ///< a sample failure, for the report

  double RequestsPerSecond() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
  /// The q-quantile (0..1) of latency_us; 0 when there is none.
  double LatencyQuantileUs(double q) const;
};

/// Drives `options.connections` keep-alive connections from one client thread (sharing the
/// machine with the server under test) for warmup + duration, then closes them. Returns when
/// every connection is closed; a server that stops answering is cut off 30 s after the end.
LoadResult RunLoad(const LoadOptions& options);

/// The ceiling of this machine: a Beast HTTP/1.1 server on 127.0.0.1 (free port) that answers
/// every request with 200 {"hello":"world"}, written in the same style as server::HttpServer
/// (Asio coroutines, one io_context, `threads` workers) but with no router, metrics, request
/// conversion or timeouts. Serves from construction until destruction.
class BareHelloServer {
 public:
  explicit BareHelloServer(int threads);
  ~BareHelloServer();
  BareHelloServer(const BareHelloServer&) = delete;
  BareHelloServer& operator=(const BareHelloServer&) = delete;

  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace groundcrew::bench

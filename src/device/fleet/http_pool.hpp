#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

// The fleet simulator's HTTP: keep-alive connections to one server, shared by the simulated
// devices of the process that use that server (one pool per server). A request borrows an idle
// connection (or opens one, up to the limit, or waits for one), so thousands of devices need only
// as many sockets as requests in flight. Asynchronous (Asio coroutines on one io_context); not
// thread-safe: every call must be made from the io_context's one thread. Plain HTTP: the fleet
// targets loopback services.
namespace groundcrew::fleet {

struct HttpAnswer {
  int status = 0;
  std::string body;
  /// How long the request waited for a connection before it was sent (the fleet's own
  /// queueing, not the service's latency).
  std::chrono::steady_clock::duration queued{};
};

class HttpPool {
 public:
  /// `host` is an IPv4 or IPv6 address literal (no name resolution).
  HttpPool(boost::asio::io_context& io, std::string host, std::uint16_t port,
           std::size_t max_connections, std::chrono::milliseconds timeout);
  ~HttpPool();
  HttpPool(const HttpPool&) = delete;
  HttpPool& operator=(const HttpPool&) = delete;

  /// Sends one request and reads its answer. `body` is sent as application/json (or
  /// `content_type`) unless empty; `bearer` as the Authorization header unless empty, and
  /// `idempotency_key` as the Idempotency-Key header unless empty. The views
  /// must stay valid until the answer (callers pass named objects or literals: GCC 12 destroys
  /// some temporaries of a co_await expression twice).
  /// kUnavailable (field "server") when the connection fails, is closed before the answer, or
  /// the answer takes longer than the timeout; such a connection is dropped, never reused.
  boost::asio::awaitable<Result<HttpAnswer>> Request(std::string_view method,
                                                     std::string_view target, std::string_view body,
                                                     std::string_view bearer,
                                                     std::string_view content_type = {},
                                                     std::string_view idempotency_key = {});

  /// Connections opened so far (a connection that failed and was replaced counts twice).
  std::size_t connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace groundcrew::fleet

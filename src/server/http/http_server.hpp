#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "server/http/http_types.hpp"
#include "server/http/metrics.hpp"
#include "server/http/router.hpp"

namespace groundcrew::server {

/// What the access log learns about one request. Never holds headers or bodies (secrets).
struct RequestRecord {
  std::string_view method;
  std::string_view path;   ///< the target up to '?', undecoded
  std::string_view route;  ///< the matched pattern, or HttpMetrics::kUnmatchedRoute
  int status = 0;
  double seconds = 0;  ///< from the parsed head to the response being ready (body read included)
  std::size_t response_bytes = 0;
  std::string_view remote_address;  ///< the client's IP address; empty when unknown
  std::string_view request_id;      ///< as sent in the response's X-Request-Id
  std::string_view actor;           ///< Response::actor: who was authenticated; empty if none
  std::string_view reason;          ///< 401 and 403 only: why (Response::reason); else empty
};

/// The body limit of routes that do not take uploads (BodyLimit::kSmall): 1 MiB, plenty for any
/// JSON request, and what an unauthenticated caller can make the server hold per connection.
constexpr std::size_t kSmallBodyBytes = 1024 * 1024;
/// How many large request bodies (BodyLimit::kLarge routes) are received at once, by default.
constexpr int kMaxLargeBodies = 4;
/// Response bodies streamed from a file (Response::file) are sent in chunks of this size.
constexpr std::size_t kFileChunkBytes = 64 * 1024;
/// Streamed responses (Response::stream) open at once, by default.
constexpr int kMaxStreams = 256;
/// Descriptors kept free for everything but client connections (database, content files, logs)
/// when max_connections is derived from the descriptor limit.
constexpr std::uint64_t kDescriptorReserve = 64;
/// The largest derived connection cap, whatever the descriptor limit.
constexpr std::size_t kMaxDerivedConnections = 4096;

/// The default connection cap for a soft RLIMIT_NOFILE of `descriptor_limit`: the limit minus
/// kDescriptorReserve, at least 8 and at most kMaxDerivedConnections.
std::size_t DerivedMaxConnections(std::uint64_t descriptor_limit);

/// Whether a client's X-Request-Id is echoed: 1 to 64 characters of [A-Za-z0-9._-].
bool IsAcceptableRequestId(std::string_view id);

/// HTTPS settings. Both files are read once, by HttpServer::Start().
struct TlsOptions {
  /// PEM: the server certificate first, then any intermediate CA certificates. ECDSA P-256 is
  /// what groundcrew recommends (browsers refuse Ed25519); any key type OpenSSL loads works.
  std::string certificate_chain_file;
  /// PEM: the certificate's private key, unencrypted (it is never prompted for).
  std::string private_key_file;
};

struct HttpServerOptions {
  /// Address to bind. Loopback by default; anything else should use `tls` (DESIGN.md §6).
  std::string address = "127.0.0.1";
  /// Port to bind; 0 picks a free port, readable through HttpServer::port() after Start().
  std::uint16_t port = 8080;
  /// Worker threads running the one io_context (handlers run on them). At least 1.
  int threads = 2;
  /// Largest accepted request body on BodyLimit::kLarge routes; a larger one gets 413 (before
  /// any body byte is read when Content-Length announces it) and the connection is closed.
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  /// The same for every other route (BodyLimit::kSmall), including all unauthenticated ones.
  std::size_t max_small_body_bytes = kSmallBodyBytes;
  /// How many large bodies (on kLarge routes, over max_small_body_bytes or chunked) are received
  /// and handled at once; one more gets 503 with Retry-After, its body unread.
  int max_large_bodies = kMaxLargeBodies;
  /// Open client connections at most; 0 derives it from the soft RLIMIT_NOFILE at Start()
  /// (DerivedMaxConnections). At the cap a new connection makes the server close the idle
  /// keep-alive connection that has been idle longest; when none is idle the new one is
  /// closed at once.
  std::size_t max_connections = 0;
  /// Connection-cap and accept-failure lines are logged at most once per interval, with the
  /// number held back since.
  std::chrono::milliseconds log_interval{10'000};
  /// Largest accepted request line + header block; a larger one gets 431.
  std::size_t max_header_bytes = 64 * 1024;
  /// Time allowed to receive a complete header block, counted from the start of the wait
  /// (so it also bounds how long an idle keep-alive connection is kept open).
  std::chrono::milliseconds header_timeout{10'000};
  /// Time allowed to receive the body once the header is in.
  std::chrono::milliseconds body_timeout{30'000};
  /// Time allowed to write one response.
  std::chrono::milliseconds write_timeout{30'000};
  /// When set, the port speaks only HTTPS (TLS 1.2 or later). A client that sends plain HTTP
  /// to it gets a plain-HTTP 400 saying so and is disconnected; a failed handshake just closes
  /// the connection (not logged: it is the client's problem).
  std::optional<TlsOptions> tls;
  /// Time allowed for a new connection's TLS handshake, counted from the accept (so a client
  /// that connects and sends nothing is dropped after it). Unused without `tls`.
  std::chrono::milliseconds handshake_timeout{10'000};
  /// Stop() lets requests in flight finish for at most this long, then closes connections.
  /// Streamed responses do not count as in flight: Stop() ends them at once.
  std::chrono::milliseconds shutdown_deadline{5'000};
  /// Streamed responses (Response::stream) open at once; one more gets 503 with Retry-After
  /// (its stream is dropped unstarted). At least 1.
  int max_streams = kMaxStreams;
  /// A stream that sent nothing for this long sends its StreamBody::keep_alive text.
  std::chrono::milliseconds stream_keep_alive_interval{15'000};
  /// A stream's ResponseStream::Next() is called at least this often even without a wake-up,
  /// so that it also sees what no wake-up reports (e.g. rows another process wrote).
  std::chrono::milliseconds stream_recheck_interval{1'000};
  /// Receives one line per server-side problem (escaped exceptions with their detail, accept
  /// failures). Called from worker threads, possibly concurrently. Empty: lines go to stderr.
  std::function<void(std::string_view line)> log;
  /// Receives one record per answered request (access log), after the handler ran (or the
  /// request was refused) and before the response is written. Called from worker threads, possibly
  /// concurrently. May be empty.
  std::function<void(const RequestRecord& record)> access_log;
};

/// An HTTP/1.1 server (keep-alive; HTTPS when options.tls is set) that dispatches every request
/// through a Router and records it in HttpMetrics. Built in: GET /healthz (200 {"status":"ok"}) and
/// GET /metrics (Prometheus text), unless the router already routes GET on those paths. Every
/// response is produced by exactly one of: the matched handler; the route's gate (a refusal);
/// 404/405 from the router; 400/413/431 for requests that cannot be parsed, are ambiguously
/// framed (CheckRequestHead) or are too large; 503 when too many large bodies are being
/// received; 500 with a generic body when a handler or gate throws (the detail goes to the
/// log); 503 when a handler answers a stream (Response::stream) and max_streams are open. Every
/// response carries X-Request-Id. The server never throws out of a handler into the network code
/// and never crashes on input.
///
/// Order of work per request: read the head only; check its framing; route it (404/405); run
/// the gate (when a body is announced); check Content-Length against the route's limit (413); then
/// read the body and run the handler. A request answered before its body was read gets "Connection:
/// close" when a body was announced, and what the client still sends is discarded unread.
///
/// Lifecycle: construct -> Start() (or Run()) -> Stop() (or destruction). Not restartable.
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Router router);
  /// Calls Stop().
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds, listens and starts the worker threads; returns once the port accepts connections.
  /// Errors: kUnavailable when the address cannot be bound (in use, not local, ...);
  /// kInvalidArgument for a malformed address or threads < 1, and for TLS files that cannot be
  /// read or used (missing, not PEM, encrypted key, a key that does not match the certificate):
  /// the message names the file and gives OpenSSL's reason, `field` is
  /// "certificate_chain_file" or "private_key_file"; kFailedPrecondition when called twice.
  Status Start();

  /// Start(), then blocks until Stop() has completed (from another thread, e.g. a signal
  /// watcher). Returns Start()'s error if it fails.
  Status Run();

  /// Graceful shutdown: stops accepting, closes idle keep-alive connections, ends streamed
  /// responses (after the bytes being written), lets requests in flight finish (their
  /// responses carry "Connection: close") for at most options.shutdown_deadline, then closes
  /// what is left and joins the worker threads. HTTPS
  /// connections are sent a TLS close_notify first (best effort, bounded, without waiting for
  /// the client's). Idempotent; safe from any thread except a worker thread (i.e. not from a
  /// handler). A handler that never returns blocks Stop().
  void Stop();

  /// The bound port; 0 before Start() succeeded.
  std::uint16_t port() const;

  /// The request metrics (also served at /metrics).
  const HttpMetrics& metrics() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace groundcrew::server

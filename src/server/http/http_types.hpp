#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace groundcrew::server {

/// Orders header names without regard to ASCII case, so lookups are case-insensitive.
struct HeaderNameLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

/// Request header fields by name, case-insensitive. A field that was sent more than once holds
/// its values joined with ", " in the order received (RFC 9110 §5.3).
class Headers {
 public:
  /// Adds a value; joins with an existing value of the same name.
  void Add(std::string_view name, std::string_view value);
  /// The value of `name`, or nullptr when absent. The pointer lives as long as this object is
  /// not modified.
  const std::string* Find(std::string_view name) const;
  /// The value of `name`, or "" when absent.
  std::string Get(std::string_view name) const;
  bool Contains(std::string_view name) const { return Find(name) != nullptr; }
  std::size_t size() const { return fields_.size(); }

  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }

 private:
  std::map<std::string, std::string, HeaderNameLess> fields_;
};

/// One HTTP request as the handlers see it: plain values, no network types.
struct Request {
  std::string method;  ///< as sent, case-sensitive ("GET", "POST", ...)
  std::string target;  ///< the raw request target, e.g. "/v1/devices?state=new"
  std::string path;    ///< the target up to '?', still percent-encoded
  std::map<std::string, std::string> query;  ///< decoded; the first occurrence of a key wins
  Headers headers;
  std::string body;
  /// The client's IP address as text ("127.0.0.1", "::1"); empty when unknown. Sources are
  /// told apart by it (rate limits, lockout per source, logs).
  std::string remote_address;
  /// The pattern of the route that matched, as registered ("/v1/devices/{id}"); set by the
  /// server before the route's gate and handler run (authorization by route reads it).
  std::string route;
  /// What the route's gate (router.hpp) learned and left for the handler, e.g. the
  /// authenticated caller; empty when no gate ran.
  std::any admission;
};

/// A byte range of a file on disk, sent as a response body without being read into memory:
/// the server opens `path` when it writes the response and sends `length` bytes from `offset`
/// in small chunks (HttpServer's kFileChunkBytes). The file must not change while it is sent
/// (content files are immutable once stored). If it cannot be opened or is shorter than
/// offset + length, the client gets a 500 (or, once the header is out, a closed connection).
struct FileRange {
  std::string path;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

/// A response body produced over time (e.g. Server-Sent Events): the server writes the header
/// at once, then what Next() gives as it comes, until Next() says the stream is over, the client
/// goes away or the server stops. The body is close-delimited (no Content-Length; the
/// connection closes when the stream ends). The server calls Start() once, then Next() at once
/// and again whenever the source calls `wake`, at least every
/// HttpServerOptions::stream_recheck_interval (for what no wake-up reports) and right after a
/// Next() that gave bytes. Next() is never called concurrently with itself and runs on a
/// worker thread: it must not block (a quick store read is fine). The source is destroyed on
/// a worker thread (or by the server's destructor) when the stream ends.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  /// Called once, before the first Next(), with the function to call (from any thread, at any
  /// time until the source is destroyed; it only schedules a Next() and never blocks) when
  /// Next() may have something new to send.
  virtual void Start(std::function<void()> wake) = 0;
  /// The bytes to send now ("" when nothing new), or nullopt when the stream is over.
  virtual std::optional<std::string> Next() = 0;
};

/// A streamed response body (Response::stream).
struct StreamBody {
  std::shared_ptr<ResponseStream> source;
  /// Sent when nothing else was sent for HttpServerOptions::stream_keep_alive_interval, so that
  /// proxies and clients see the stream is alive (Server-Sent Events: a comment). Empty: none.
  std::string keep_alive;
};

/// One HTTP response. Content-Length, Connection and X-Request-Id are added by the server.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  /// The body, unless `file` is set (then `body` is ignored and should be empty).
  std::string body;
  /// When set, the body is this file range, streamed from disk.
  std::optional<FileRange> file;
  /// When set (and `file` is not), the body is produced over time by this stream (then `body`
  /// is ignored). The server refuses it with 503 when HttpServerOptions::max_streams streams
  /// are open already.
  std::optional<StreamBody> stream;
  /// Extra header fields, written in order after Content-Type. Must not contain CR or LF.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Who made the request, for the access log only (never sent): an admin credential's name,
  /// a device id, ... Set by the authenticating wrappers; never a secret. Empty: anonymous.
  std::string actor;
  /// Why the request was refused, for the access log only (never sent as such): set by
  /// ErrorResponse to the error's message. The server logs it for 401 and 403. Never a secret.
  std::string reason;
};

/// A response with a JSON body (the body is sent as given; callers serialise).
Response JsonResponse(int status, std::string body);

/// A Server-Sent Events response (text/event-stream, Cache-Control: no-store) whose events come
/// from `source` (each Next() gives whole events, e.g. made by ServerSentEvent), with a
/// ": keep-alive" comment when the stream is quiet.
Response ServerSentEvents(std::shared_ptr<ResponseStream> source);

/// One Server-Sent Event: "id: <id>\nevent: <type>\ndata: <data>\n\n" (a line of `data` each
/// becomes its own "data:" line; an empty id or type is left out). `id` and `type` must not
/// hold line breaks.
std::string ServerSentEvent(std::string_view id, std::string_view type, std::string_view data);

/// Decodes %XX escapes; with `plus_as_space`, '+' becomes ' ' (form/query encoding). A '%' not
/// followed by two hex digits is kept literally, so decoding never fails.
std::string PercentDecode(std::string_view text, bool plus_as_space);

/// Splits a request target into its path (up to '?', undecoded) and its decoded query
/// parameters ("a=1&b&c=x%20y" -> {a:1, b:"", c:"x y"}; the first occurrence of a key wins;
/// a fragment after '#' is dropped).
void SplitTarget(std::string_view target, std::string& path,
                 std::map<std::string, std::string>& query);

}  // namespace groundcrew::server

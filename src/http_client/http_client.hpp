#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

// A small synchronous HTTP/1.1 client (HTTPS too) for the CLI and the device agent. Beast, Asio and
// OpenSSL are confined to http_client.cpp so that only one translation unit pays for them.
namespace groundcrew::http {

/// Header fields in the order given; names compare case-insensitively on lookup.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// Called while a request body is being sent: bytes of the body sent so far and its size.
using ProgressFn = std::function<void(std::uint64_t sent, std::uint64_t total)>;

struct HttpRequest {
  std::string method = "GET";
  std::string target;  ///< path and query below the base URL, e.g. "/v1/me"; percent-encoded
  std::string body;
  std::string content_type;  ///< sent only when non-empty
  HttpHeaders headers;       ///< extra fields (e.g. If-Match); must not contain CR or LF
  ProgressFn progress;       ///< optional
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;

  /// The first value of header `name` (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
};

/// What a command needs from HTTP: one request, one response. HttpClient::Request is the real
/// one; tests pass fakes.
using Transport = std::function<Result<HttpResponse>(const HttpRequest&)>;

struct HttpClientOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  ///< per request, connect included
  std::string bearer_token;  ///< sent as "Authorization: Bearer <token>" when non-empty
  std::string user_agent = "groundcrew";
  /// https:// only: a PEM file of CA certificates to trust instead of the system trust store
  /// (e.g. the CA that issued a self-signed groundcrewd certificate). Ignored for http://.
  std::string ca_file;
};

/// A base URL split into its parts: "http://host:port/prefix" or "https://host:port/prefix".
struct BaseUrl {
  std::string scheme;  ///< "http" or "https" (lower case)
  std::string host;    ///< without IPv6 brackets
  std::string port;    ///< "80" (http) or "443" (https) when not given
  std::string prefix;  ///< path prefix without trailing '/', usually ""
};

/// Parses `url`. kInvalidArgument (field "server") for anything but
/// http[s]://host[:port][/path].
[[nodiscard]] Result<BaseUrl> ParseBaseUrl(std::string_view url);

/// One keep-alive connection to one server, opened on first use and reopened when the server
/// closed it. Not thread-safe. Failures to connect, send or receive (including the timeout) are
/// kUnavailable: "cannot reach http://host:port: <reason>". Any HTTP status is a success here;
/// the caller reads it.
///
/// https://: TLS 1.2 or later; the server's certificate must chain to the system trust store
/// (or to options.ca_file) and name the URL's host (a DNS name, or an IP address for an IP
/// host; the host name is also sent as SNI). Nothing skips these checks. A certificate that
/// fails them is kUnavailable "cannot reach https://host:port: certificate verify failed:
/// <OpenSSL's reason> ..."; other handshake failures "... TLS handshake failed: <reason>".
class HttpClient {
 public:
  /// Fails like ParseBaseUrl; for https://, kInvalidArgument (field "ca") when
  /// options.ca_file cannot be read or holds no certificate.
  [[nodiscard]] static Result<std::unique_ptr<HttpClient>> Create(std::string_view base_url,
                                                                  HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  [[nodiscard]] Result<HttpResponse> Request(const HttpRequest& request);

  /// A Transport that forwards to this client (which must outlive it).
  Transport AsTransport();

 private:
  class Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace groundcrew::http

#include "http_client/http_client.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <type_traits>

#include "common/text.hpp"

namespace groundcrew::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using ErrorCodeT = boost::system::error_code;
using SslStream = beast::ssl_stream<beast::tcp_stream>;

/// Response bodies larger than this are refused (content downloads are not made by the CLI).
constexpr std::uint64_t kMaxResponseBody = std::uint64_t{1} << 32;
/// Bytes handed to the socket per write, so upload progress can be reported.
constexpr std::size_t kWriteChunk = 64 * 1024;

bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// Errors that mean "the server closed the kept-alive connection before reading the request".
bool IsStaleConnection(const ErrorCodeT& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == asio::error::not_connected ||
         ec == ssl::error::stream_truncated;
}

/// The reason of the oldest queued OpenSSL error; empties the queue.
std::string OpenSslReason() {
  const unsigned long code = ERR_peek_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  std::string text = reason ? reason : "unknown OpenSSL error";
  ERR_clear_error();
  return text;
}

/// The client TLS context for https://: TLS 1.2 or later, peer verification on, trusting
/// `ca_file` (PEM) or, when empty, the system trust store. kInvalidArgument (field "ca") when
/// `ca_file` is unusable.
Result<std::unique_ptr<ssl::context>> MakeTlsContext(const std::string& ca_file) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  ERR_clear_error();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return MakeError(ErrorCode::kInternal, "cannot require TLS 1.2: " + OpenSslReason());
  }
  context->set_verify_mode(ssl::verify_peer);
  if (ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(native) != 1) {
      return MakeError(ErrorCode::kInternal,
                       "cannot load the system trust store: " + OpenSslReason());
    }
    return context;
  }
  if (!std::ifstream(ca_file, std::ios::binary)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("cannot read the CA file {}: {}", ca_file, std::strerror(errno)),
                     "ca");
  }
  if (SSL_CTX_load_verify_locations(native, ca_file.c_str(), nullptr) != 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("cannot use the CA file {}: {} (expected PEM certificates)",
                                 ca_file, OpenSslReason()),
                     "ca");
  }
  return context;
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (text::EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

Result<BaseUrl> ParseBaseUrl(std::string_view url) {
  auto invalid = [&](std::string why) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: \"{}\" (expected http://host:port or https://host:port)", why, url),
        "server");
  };
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return invalid("no scheme");
  const std::string scheme = text::ToLowerAscii(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return invalid(fmt::format("unsupported scheme \"{}\"", scheme));
  }
  std::string_view rest = url.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return invalid("a query or fragment is not allowed");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (authority.find('@') != std::string_view::npos) return invalid("user info is not allowed");

  BaseUrl result;
  result.scheme = scheme;
  result.prefix = std::string(path);
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unclosed '[' in the host");
    result.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("unexpected text after the host");
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    result.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (result.host.empty()) return invalid("no host");
  if (port.empty()) {
    result.port = scheme == "https" ? "443" : "80";
  } else {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return invalid(fmt::format("invalid port \"{}\"", port));
    }
    result.port = std::string(port);
  }
  return result;
}

class HttpClient::Impl {
 public:
  /// `tls`: the client TLS context, non-null exactly for https://.
  Impl(BaseUrl url, HttpClientOptions options, std::unique_ptr<ssl::context> tls)
      : url_(std::move(url)),
        options_(std::move(options)),
        tls_context_(std::move(tls)),
        plain_(ioc_) {
    const bool v6 = url_.host.find(':') != std::string::npos;
    const std::string default_port = url_.scheme == "https" ? "443" : "80";
    host_field_ = (v6 ? "[" + url_.host + "]" : url_.host);
    if (url_.port != default_port) host_field_ += ":" + url_.port;
    origin_ = url_.scheme + "://" + (v6 ? "[" + url_.host + "]" : url_.host) + ":" + url_.port;
  }

  Result<HttpResponse> Request(const HttpRequest& request) {
    for (const auto& [name, value] : request.headers) {
      if (HasLineBreak(name) || HasLineBreak(value)) {
        return MakeError(ErrorCode::kInvalidArgument, "header contains a line break", name);
      }
    }
    if (HasLineBreak(request.target) || HasLineBreak(request.method) ||
        HasLineBreak(request.content_type) || HasLineBreak(options_.bearer_token)) {
      return MakeError(ErrorCode::kInvalidArgument, "request contains a line break");
    }
    const bool reused = connected_;
    HttpResponse response;
    ErrorCodeT ec = Exchange(request, response);
    if (ec && reused && IsStaleConnection(ec)) {
      // The server closed the idle connection: try once more on a fresh one.
      Close();
      response = HttpResponse{};
      ec = Exchange(request, response);
    }
    if (ec) {
      Close();
      std::string reason = ec.message();
      if (!tls_failure_.empty()) {
        reason = tls_failure_;
      } else if (ec == beast::error::timeout) {
        reason = fmt::format("no answer within {} s", options_.timeout.count() / 1000.0);
      }
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("cannot reach {}: {}", origin_, reason));
    }
    return response;
  }

 private:
  // Runs one asynchronous operation started by `start(handler)` to completion; the stream's
  // expiry (set before) bounds it. `transferred` receives the byte count of reads and writes.
  template <class Start>
  ErrorCodeT Run(Start start, std::size_t* transferred = nullptr) {
    ErrorCodeT result = asio::error::would_block;
    start([&result, transferred](ErrorCodeT ec, auto&&... detail) {
      result = ec;
      if constexpr (sizeof...(detail) == 1 &&
                    (std::is_convertible_v<decltype(detail), std::size_t> && ...)) {
        if (transferred) ((*transferred = detail), ...);
      }
    });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  /// The TCP layer of the current connection's stream.
  beast::tcp_stream& Lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : plain_; }

  ErrorCodeT Connect() {
    tls_failure_.clear();
    tcp::resolver resolver(ioc_);
    ErrorCodeT ec;
    auto endpoints = resolver.resolve(url_.host, url_.port, ec);
    if (ec) return ec;
    if (tls_context_) {
      tls_ = std::make_unique<SslStream>(ioc_, *tls_context_);  // TLS state is per connection
      if (ErrorCodeT failed = ExpectPeerName()) return failed;
    }
    Lowest().expires_after(options_.timeout);
    ec = Run([&](auto handler) { Lowest().async_connect(endpoints, std::move(handler)); });
    if (ec) return ec;
    Lowest().socket().set_option(tcp::no_delay(true), ec);
    if (tls_) {
      Lowest().expires_after(options_.timeout);
      ec = Run([&](auto handler) {
        tls_->async_handshake(ssl::stream_base::client, std::move(handler));
      });
      if (ec) {
        tls_failure_ = DescribeHandshakeFailure(ec);
        return ec;
      }
    }
    connected_ = true;
    buffer_.clear();
    return {};
  }

  // Makes the handshake require a certificate for url_.host (an IP address is matched against
  // the certificate's IP addresses, a name against its DNS names) and sends the name as SNI.
  ErrorCodeT ExpectPeerName() {
    SSL* native = tls_->native_handle();
    X509_VERIFY_PARAM* param = SSL_get0_param(native);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ErrorCodeT not_ip;
    asio::ip::make_address(url_.host, not_ip);
    const bool ok = not_ip ? SSL_set1_host(native, url_.host.c_str()) == 1 &&
                                 SSL_set_tlsext_host_name(native, url_.host.c_str()) == 1
                           : X509_VERIFY_PARAM_set1_ip_asc(param, url_.host.c_str()) == 1;
    if (ok) return {};
    tls_failure_ = "cannot check the certificate for " + url_.host + ": " + OpenSslReason();
    return ErrorCodeT(EINVAL, boost::system::generic_category());
  }

  std::string DescribeHandshakeFailure(const ErrorCodeT& ec) {
    const long verify = SSL_get_verify_result(tls_->native_handle());
    ERR_clear_error();
    if (verify != X509_V_OK) {
      return fmt::format(
          "certificate verify failed: {} (the server's certificate must name {} and chain to a "
          "trusted CA: {})",
          X509_verify_cert_error_string(verify), url_.host,
          options_.ca_file.empty() ? "the system trust store; give the CA with --ca or "
                                     "GROUNDCREW_CA"
                                   : "the CA file " + options_.ca_file);
    }
    if (ec == beast::error::timeout) {
      return fmt::format("TLS handshake failed: no answer within {} s",
                         options_.timeout.count() / 1000.0);
    }
    std::string reason = "TLS handshake failed: " + ec.message();
    if (ec.category() == asio::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_WRONG_VERSION_NUMBER) {
      reason += " (does the server speak HTTPS? try http://)";
    }
    return reason;
  }

  void Close() {
    ErrorCodeT ignored;
    if (!tls_context_ || tls_) {
      Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      Lowest().close();
    }
    connected_ = false;
    buffer_.clear();
  }

  ErrorCodeT Exchange(const HttpRequest& request, HttpResponse& response) {
    if (!connected_) {
      if (ErrorCodeT ec = Connect()) return ec;
    }
    return tls_ ? Exchange(*tls_, request, response) : Exchange(plain_, request, response);
  }

  template <class Stream>
  ErrorCodeT Exchange(Stream& stream, const HttpRequest& request, HttpResponse& response) {
    beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
    http::request<http::string_body> message;
    const http::verb verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown) {
      message.method_string(request.method);
    } else {
      message.method(verb);
    }
    message.target(url_.prefix + request.target);
    message.version(11);
    message.set(http::field::host, host_field_);
    message.set(http::field::user_agent, options_.user_agent);
    message.set(http::field::accept, "application/json");
    if (!options_.bearer_token.empty()) {
      message.set(http::field::authorization, "Bearer " + options_.bearer_token);
    }
    if (!request.content_type.empty()) message.set(http::field::content_type, request.content_type);
    for (const auto& [name, value] : request.headers) message.insert(name, value);
    message.body() = request.body;
    message.keep_alive(true);
    message.prepare_payload();

    http::request_serializer<http::string_body> serializer(message);
    serializer.limit(kWriteChunk);
    const std::uint64_t total = request.body.size();
    std::uint64_t written = 0;
    while (!serializer.is_done()) {
      lowest.expires_after(options_.timeout);
      std::size_t n = 0;
      ErrorCodeT ec =
          Run([&](auto handler) { http::async_write_some(stream, serializer, std::move(handler)); },
              &n);
      if (ec) return ec;
      written += n;
      if (request.progress && total > 0) {
        request.progress(serializer.is_done() ? total : std::min(written, total), total);
      }
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBody);
    if (verb == http::verb::head) parser.skip(true);
    // The timeout bounds each wait for the server, so a slow but steady answer completes.
    lowest.expires_after(options_.timeout);
    ErrorCodeT ec = Run([&](auto handler) {
      http::async_read_header(stream, buffer_, parser, std::move(handler));
    });
    if (ec) return ec;
    while (!parser.is_done()) {
      lowest.expires_after(options_.timeout);
      ec = Run([&](auto handler) {
        http::async_read_some(stream, buffer_, parser, std::move(handler));
      });
      if (ec) return ec;
    }
    auto& message_in = parser.get();
    response.status = static_cast<int>(message_in.result_int());
    for (const auto& field : message_in) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message_in.body());
    if (!message_in.keep_alive()) Close();
    return {};
  }

  BaseUrl url_;
  HttpClientOptions options_;
  asio::io_context ioc_;
  std::unique_ptr<ssl::context> tls_context_;  ///< https:// only
  beast::tcp_stream plain_;                    ///< the connection for http://
  std::unique_ptr<SslStream> tls_;             ///< the connection for https://; new per connect
  beast::flat_buffer buffer_;
  std::string host_field_;
  std::string origin_;
  std::string tls_failure_;  ///< why the last TLS handshake failed, in words; "" otherwise
  bool connected_ = false;
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(std::string_view base_url,
                                                       HttpClientOptions options) {
  auto url = ParseBaseUrl(base_url);
  if (!url) return url.error();
  std::unique_ptr<ssl::context> tls;
  if (url->scheme == "https") {
    auto context = MakeTlsContext(options.ca_file);
    if (!context) return context.error();
    tls = std::move(*context);
  }
  return std::unique_ptr<HttpClient>(
      new HttpClient(std::make_unique<Impl>(std::move(*url), std::move(options), std::move(tls))));
}

Result<HttpResponse> HttpClient::Request(const HttpRequest& request) {
  return impl_->Request(request);
}

Transport HttpClient::AsTransport() {
  return [this](const HttpRequest& request) { return Request(request); };
}

}  // namespace groundcrew::http

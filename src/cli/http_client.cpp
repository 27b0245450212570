#include "cli/http_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <charconv>

#include "common/text.hpp"

namespace groundcrew::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using ErrorCodeT = boost::system::error_code;

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
         ec == asio::error::connection_aborted || ec == asio::error::not_connected;
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
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: \"{}\" (expected http://host:port)", why, url), "server");
  };
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return invalid("no scheme");
  const std::string scheme = text::ToLowerAscii(url.substr(0, scheme_end));
  if (scheme == "https") {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("https is not supported yet: \"{}\"; use http://host:port", url),
                     "server");
  }
  if (scheme != "http") return invalid(fmt::format("unsupported scheme \"{}\"", scheme));
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
    result.port = "80";
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
  Impl(BaseUrl url, HttpClientOptions options)
      : url_(std::move(url)), options_(std::move(options)), stream_(ioc_) {
    const bool v6 = url_.host.find(':') != std::string::npos;
    host_field_ = (v6 ? "[" + url_.host + "]" : url_.host);
    if (url_.port != "80") host_field_ += ":" + url_.port;
    origin_ = "http://" + (v6 ? "[" + url_.host + "]" : url_.host) + ":" + url_.port;
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
      if (ec == beast::error::timeout) {
        reason = fmt::format("no answer within {} s", options_.timeout.count() / 1000.0);
      }
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("cannot reach {}: {}", origin_, reason));
    }
    return response;
  }

 private:
  // Runs one asynchronous operation started by `start(handler)` to completion; the stream's
  // expiry (set before) bounds it.
  template <class Start>
  ErrorCodeT Run(Start start, std::size_t* transferred = nullptr) {
    ErrorCodeT result = asio::error::would_block;
    start([&result, transferred](ErrorCodeT ec, auto&& detail) {
      result = ec;
      if constexpr (std::is_convertible_v<decltype(detail), std::size_t>) {
        if (transferred) *transferred = detail;
      }
    });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  ErrorCodeT Connect() {
    tcp::resolver resolver(ioc_);
    ErrorCodeT ec;
    auto endpoints = resolver.resolve(url_.host, url_.port, ec);
    if (ec) return ec;
    stream_.expires_after(options_.timeout);
    ec = Run([&](auto handler) { stream_.async_connect(endpoints, std::move(handler)); });
    if (ec) return ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);
    connected_ = true;
    buffer_.clear();
    return {};
  }

  void Close() {
    ErrorCodeT ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    connected_ = false;
    buffer_.clear();
  }

  ErrorCodeT Exchange(const HttpRequest& request, HttpResponse& response) {
    if (!connected_) {
      if (ErrorCodeT ec = Connect()) return ec;
    }
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
      stream_.expires_after(options_.timeout);
      std::size_t n = 0;
      ErrorCodeT ec = Run(
          [&](auto handler) { http::async_write_some(stream_, serializer, std::move(handler)); },
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
    stream_.expires_after(options_.timeout);
    ErrorCodeT ec = Run([&](auto handler) {
      http::async_read_header(stream_, buffer_, parser, std::move(handler));
    });
    if (ec) return ec;
    while (!parser.is_done()) {
      stream_.expires_after(options_.timeout);
      ec = Run([&](auto handler) {
        http::async_read_some(stream_, buffer_, parser, std::move(handler));
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
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string host_field_;
  std::string origin_;
  bool connected_ = false;
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(std::string_view base_url,
                                                       HttpClientOptions options) {
  auto url = ParseBaseUrl(base_url);
  if (!url) return url.error();
  return std::unique_ptr<HttpClient>(
      new HttpClient(std::make_unique<Impl>(std::move(*url), std::move(options))));
}

Result<HttpResponse> HttpClient::Request(const HttpRequest& request) {
  return impl_->Request(request);
}

Transport HttpClient::AsTransport() {
  return [this](const HttpRequest& request) { return Request(request); };
}

}  // namespace groundcrew::cli

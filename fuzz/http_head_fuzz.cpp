// Request heads as the server reads them: arbitrary bytes through Boost.Beast's request parser
// (header only, as HttpServer uses it) and, for every head it accepts, CheckRequestHead on the
// bytes it consumed; CheckRequestHead also sees the raw input. Neither may crash, hang or leak,
// and an accepted head must be well formed enough to build a Request from.
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "server/http/http_types.hpp"
#include "server/http/request_head.hpp"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)groundcrew::server::CheckRequestHead(input);

  http::request_parser<http::empty_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(boost::none);
  parser.eager(false);
  // Fed in two pieces, as the network may split it; the parser keeps what it consumed.
  std::string head;
  boost::beast::error_code ec;
  for (std::size_t piece : {size / 2, size}) {
    const std::string_view available = input.substr(0, piece).substr(head.size());
    if (available.empty()) continue;
    const std::size_t used =
        parser.put(boost::asio::const_buffer(available.data(), available.size()), ec);
    head.append(available.substr(0, used));
    if (parser.is_header_done() || (ec && ec != http::error::need_more)) break;
  }
  if (!parser.is_header_done()) return 0;
  if (groundcrew::server::CheckRequestHead(head)) {
    const auto& message = parser.get();
    std::string path;
    std::map<std::string, std::string> query;
    groundcrew::server::SplitTarget(message.target(), path, query);
    groundcrew::server::Headers headers;
    for (const auto& field : message) headers.Add(field.name_string(), field.value());
  }
  return 0;
}

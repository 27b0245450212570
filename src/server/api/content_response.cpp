#include "server/api/content_response.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

#include "server/http/error_mapping.hpp"

namespace groundcrew::api {
namespace {

using server::ErrorResponse;
using server::Response;

// "bytes=a-b", "bytes=a-" or "bytes=-n" against a file of `size` bytes -> [first, last].
// nullopt when unsatisfiable; kInvalidArgument for syntax we do not serve (several ranges).
Result<std::optional<std::pair<uint64_t, uint64_t>>> ParseRange(std::string_view header,
                                                                uint64_t size) {
  using Range = std::optional<std::pair<uint64_t, uint64_t>>;
  constexpr std::string_view kUnit = "bytes=";
  auto bad = [&]() {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Range: expected one range such as bytes=0-1023, bytes=1024- or bytes=-512",
                     "Range");
  };
  if (!header.starts_with(kUnit)) return bad();
  const std::string_view spec = header.substr(kUnit.size());
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return bad();
  auto number = [](std::string_view text, uint64_t& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && end == text.data() + text.size();
  };
  uint64_t first = 0, last = 0;
  if (dash == 0) {  // suffix: the last n bytes
    uint64_t n = 0;
    if (!number(spec.substr(1), n)) return bad();
    if (n == 0 || size == 0) return Range();
    return Range(std::pair{size - std::min(n, size), size - 1});
  }
  if (!number(spec.substr(0, dash), first)) return bad();
  if (dash + 1 == spec.size()) {
    last = size == 0 ? 0 : size - 1;
  } else if (!number(spec.substr(dash + 1), last) || last < first) {
    return bad();
  }
  if (first >= size) return Range();
  return Range(std::pair{first, std::min(last, size - 1)});
}

}  // namespace

Response ContentResponse(const service::ContentStore& content, const server::Request& request,
                         const std::string& sha256) {
  Result<uint64_t> size = content.Size(sha256);
  if (!size) return ErrorResponse(size.error());
  uint64_t first = 0, last = *size == 0 ? 0 : *size - 1;
  int status = 200;
  if (const std::string* range = request.headers.Find("Range")) {
    auto parsed = ParseRange(*range, *size);
    if (!parsed) return ErrorResponse(parsed.error());
    if (!*parsed) {
      Response response = ErrorResponse(
          416, MakeError(ErrorCode::kInvalidArgument,
                         fmt::format("Range: outside the content's {} bytes", *size), "Range"));
      response.headers.emplace_back("Content-Range", fmt::format("bytes */{}", *size));
      return response;
    }
    std::tie(first, last) = **parsed;
    status = 206;
  }
  const uint64_t length = *size == 0 ? 0 : last - first + 1;
  Result<std::string> path = content.FilePath(sha256);
  if (!path) return ErrorResponse(path.error());
  Response response;
  response.status = status;
  response.content_type = "application/octet-stream";
  // Streamed from disk by the server in small chunks: a download never holds the file in memory.
  response.file = server::FileRange{std::move(*path), first, length};
  response.headers.emplace_back("Accept-Ranges", "bytes");
  response.headers.emplace_back("ETag", fmt::format("\"{}\"", sha256));
  if (status == 206) {
    response.headers.emplace_back("Content-Range",
                                  fmt::format("bytes {}-{}/{}", first, last, *size));
  }
  return response;
}

}  // namespace groundcrew::api

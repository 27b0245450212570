#include "server/http/request_head.hpp"

#include "common/text.hpp"

namespace groundcrew::server {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (text::FoldAscii(a[i]) != text::FoldAscii(b[i])) return false;
  }
  return true;
}

std::string_view TrimSpaces(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

Error Refuse(std::string message, std::string field) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message), std::move(field));
}

}  // namespace

Status CheckRequestHead(std::string_view head) {
  // The request line: "METHOD target HTTP/1.x".
  const std::size_t line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) {
    return Refuse("malformed HTTP request: no complete request line", "header");
  }
  const std::string_view request_line = head.substr(0, line_end);
  const std::size_t last_space = request_line.rfind(' ');
  const std::string_view version =
      last_space == std::string_view::npos ? request_line : request_line.substr(last_space + 1);
  const bool http11 = version == "HTTP/1.1";

  int host_fields = 0;
  int transfer_encoding_fields = 0;
  bool content_length = false;
  bool chunked_only = true;
  std::string_view rest = head.substr(line_end + 2);
  while (!rest.empty()) {
    const std::size_t end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    if (line.empty()) break;  // the end of the header block
    if (line.front() == ' ' || line.front() == '\t') {
      return Refuse("folded header lines (obs-fold) are not accepted", "header");
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // Beast refuses it; nothing to add here
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = TrimSpaces(line.substr(colon + 1));
    if (EqualsIgnoringCase(name, "Host")) {
      ++host_fields;
    } else if (EqualsIgnoringCase(name, "Content-Length")) {
      content_length = true;
    } else if (EqualsIgnoringCase(name, "Transfer-Encoding")) {
      ++transfer_encoding_fields;
      if (!EqualsIgnoringCase(value, "chunked")) chunked_only = false;
    }
  }

  if (transfer_encoding_fields > 0) {
    if (transfer_encoding_fields > 1 || !chunked_only) {
      return Refuse("Transfer-Encoding: only a single \"chunked\" is accepted",
                    "Transfer-Encoding");
    }
    if (!http11) {
      return Refuse("Transfer-Encoding is not allowed in an HTTP/1.0 request", "Transfer-Encoding");
    }
    if (content_length) {
      return Refuse("Transfer-Encoding and Content-Length must not both be sent",
                    "Transfer-Encoding");
    }
  }
  if (host_fields > 1) return Refuse("a request must have only one Host field", "Host");
  if (http11 && host_fields == 0) return Refuse("an HTTP/1.1 request needs a Host field", "Host");
  return Ok{};
}

}  // namespace groundcrew::server

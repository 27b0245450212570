#pragma once

#include <string_view>

#include "common/result.hpp"

namespace groundcrew::server {

/// The framing checks on one request head that Boost.Beast's parser leaves to us (RFC 9112),
/// each closing a request-smuggling or ambiguity hole. `head` is the request line and the header
/// block exactly as received, up to and including the empty line (CRLF CRLF); it is expected to
/// have been accepted by Beast's parser already, but any bytes are safe (pure, never throws).
/// Errors (all kInvalidArgument; the server answers 400 and closes the connection), in order:
/// - a header line that starts with a space or tab (obsolete line folding, §5.2), field
///   "header";
/// - Transfer-Encoding other than exactly one field whose value is the single token `chunked`
///   (case-insensitive, surrounding spaces ignored; §6.1, §6.3): "gzip", "identity",
///   "xchunked", "chunked, identity", "gzip, chunked", two fields, ... field
///   "Transfer-Encoding";
/// - Transfer-Encoding in an HTTP/1.0 request (§6.1), field "Transfer-Encoding";
/// - Transfer-Encoding together with Content-Length (§6.1), field "Transfer-Encoding";
/// - more than one Host field, or none in an HTTP/1.1 request (§3.2), field "Host".
Status CheckRequestHead(std::string_view head);

}  // namespace groundcrew::server

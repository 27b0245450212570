#pragma once

#include <string>

#include "server/http/http_types.hpp"
#include "server/service/content_store.hpp"

namespace groundcrew::api {

/// Serves the stored content `sha256`: 200 with the whole file, or 206 with one byte range
/// (`Range: bytes=a-b | a- | -n`), 416 when the range is outside the file, 404 when there is no
/// such content. Accept-Ranges and a strong ETag (the digest) on every success. The body is a
/// Response::file range (streamed from disk by the server), never a copy in memory.
server::Response ContentResponse(const service::ContentStore& content,
                                 const server::Request& request, const std::string& sha256);

}  // namespace groundcrew::api

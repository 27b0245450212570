#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "server/http/http_types.hpp"

namespace groundcrew::server {

/// THE mapping from ErrorCode to HTTP status; every handler error goes through it:
/// kInvalidArgument 400, kNotFound 404, kAlreadyExists 409, kFailedPrecondition 409,
/// kAborted 409, kUnavailable 503, kUnauthenticated 401, kPermissionDenied 403, kInternal 500.
int HttpStatusFor(ErrorCode code);

/// THE JSON error body: {"error":{"code":"invalid_argument","message":"...","field":"..."}}.
/// `code` is ToString(error.code); `field` is always present ("" when the whole input is at
/// fault). Strings are escaped, so any message is safe to send.
std::string ErrorJson(const Error& error);

/// A JSON error response with status HttpStatusFor(error.code); Response::reason is the error's
/// message (for the access log).
Response ErrorResponse(const Error& error);

/// The same body with "details": [{"field", "message"}, ...], one per problem, when one error
/// stands for several (a declarative document's problems, all reported at once).
std::string ErrorJson(const Error& error, const std::vector<Error>& details);

/// A JSON error response with status HttpStatusFor(error.code) and `details` (see above).
Response ErrorResponse(const Error& error, const std::vector<Error>& details);

/// A JSON error response with an explicit status, for protocol-level failures whose HTTP
/// status is more precise than the table (405, 413, 431, ...); the body keeps the one shape
/// and the closed ErrorCode vocabulary.
Response ErrorResponse(int status, const Error& error);

/// Converts a Result to a response: the value through `on_value`, the error through
/// ErrorResponse.
template <class T, class OnValue>
Response ToResponse(const Result<T>& result, OnValue&& on_value) {
  if (!result) return ErrorResponse(result.error());
  return on_value(*result);
}

}  // namespace groundcrew::server

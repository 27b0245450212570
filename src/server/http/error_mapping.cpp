#include "server/http/error_mapping.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace groundcrew::server {

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kFailedPrecondition:
    case ErrorCode::kAborted:
      return 409;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

std::string ErrorJson(const Error& error) { return ErrorJson(error, {}); }

std::string ErrorJson(const Error& error, const std::vector<Error>& details) {
  boost::json::object inner;
  inner["code"] = ToString(error.code);
  inner["message"] = error.message;
  inner["field"] = error.field;
  if (!details.empty()) {
    boost::json::array list;
    for (const Error& detail : details) {
      list.push_back(boost::json::object{{"field", detail.field}, {"message", detail.message}});
    }
    inner["details"] = std::move(list);
  }
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return boost::json::serialize(outer);
}

Response ErrorResponse(const Error& error, const std::vector<Error>& details) {
  Response response = JsonResponse(HttpStatusFor(error.code), ErrorJson(error, details));
  response.reason = error.message;
  return response;
}

Response ErrorResponse(const Error& error) {
  return ErrorResponse(HttpStatusFor(error.code), error);
}

Response ErrorResponse(int status, const Error& error) {
  Response response = JsonResponse(status, ErrorJson(error));
  response.reason = error.message;
  return response;
}

}  // namespace groundcrew::server

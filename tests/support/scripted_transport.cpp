#include "tests/support/scripted_transport.hpp"

#include <gtest/gtest.h>

namespace groundcrew::test_support {

void ScriptedTransport::Answer(int status, std::string body, http::HttpHeaders headers) {
  answers_.push_back(http::HttpResponse{status, std::move(headers), std::move(body)});
}

void ScriptedTransport::Unreachable() { answers_.push_back(std::nullopt); }

http::Transport ScriptedTransport::transport() {
  return [this](const http::HttpRequest& request) -> Result<http::HttpResponse> {
    requests.push_back(request);
    if (answers_.empty()) {
      ADD_FAILURE() << "unexpected request " << request.method << " " << request.target;
      return http::HttpResponse{500, {}, ""};
    }
    std::optional<http::HttpResponse> answer = std::move(answers_.front());
    answers_.pop_front();
    if (!answer) {
      return MakeError(ErrorCode::kUnavailable,
                       "cannot reach http://127.0.0.1:8080: Connection refused");
    }
    return *answer;
  };
}

}  // namespace groundcrew::test_support

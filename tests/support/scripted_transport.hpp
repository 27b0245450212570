#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "http_client/http_client.hpp"

// An HTTP transport for tests that answers from a script, in order, and records what was sent:
// the CLI's and the agent's clients against it, with no server.
namespace groundcrew::test_support {

class ScriptedTransport {
 public:
  /// The next request is answered `status` with `body` (and `headers`).
  void Answer(int status, std::string body, http::HttpHeaders headers = {});
  /// The next request cannot reach the server (kUnavailable, as a refused connection).
  void Unreachable();
  /// Answers not used yet.
  size_t pending() const { return answers_.size(); }

  /// The transport to give the client under test; it refers to this object. A request beyond
  /// the script fails the test and is answered 500.
  http::Transport transport();

  std::vector<http::HttpRequest> requests;  ///< every request, in order

 private:
  std::deque<std::optional<http::HttpResponse>> answers_;
};

}  // namespace groundcrew::test_support

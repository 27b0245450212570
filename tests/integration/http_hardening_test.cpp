// Issue 14, findings 2, 3 and 11 against the real groundcrewd over a raw socket: a caller
// without a credential cannot make it hold a body; ambiguous framing cannot smuggle a second
// request; every response carries a request id.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "tests/integration/service_fixture.hpp"

namespace groundcrew::integration {
namespace {

/// A blocking loopback socket that sends raw bytes and reads raw responses. Reads give up after
/// 5 s, far less than groundcrewd's 30 s body timeout: an answer that waited for the body would
/// not arrive in time.
class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawSocket() { ::close(fd_); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool Send(std::string_view bytes) {
    if (!connected_) return false;
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Everything received until the server closes the connection (or the read times out).
  std::string ReadUntilClosed() {
    std::string all;
    char chunk[8192];
    while (true) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        closed_ = n == 0 || errno == ECONNRESET;
        return all;
      }
      all.append(chunk, static_cast<std::size_t>(n));
    }
  }

  /// Whether the last ReadUntilClosed() ended because the server closed (not a timeout).
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

/// The number of HTTP responses in `bytes` (status lines).
int ResponseCount(const std::string& bytes) {
  int count = 0;
  for (std::size_t at = bytes.find("HTTP/1.1 "); at != std::string::npos;
       at = bytes.find("HTTP/1.1 ", at + 1)) {
    ++count;
  }
  return count;
}

using HttpHardeningTest = ServiceFixture;

TEST_F(HttpHardeningTest, AnUnauthenticatedCallerIsToldTheRealmOfItsApiWithOrWithoutABody) {
  const std::string admin = "Bearer realm=\"groundcrew\"";
  const std::string device = "Bearer realm=\"groundcrew-device\"";
  struct Case {
    const char* method;
    const char* target;
    const char* body;  // a body is refused by the route's gate, none by its handler
    const std::string& realm;
  };
  for (const Case& c : {Case{"GET", "/v1/users", "", admin},
                        Case{"POST", "/v1/groups", R"({"displayName": "x"})", admin},
                        Case{"GET", "/v1/agent/devices/d-1/plan", "", device},
                        Case{"POST", "/v1/agent/devices/d-1/sessions/s-1/finish", "{}", device}}) {
    HttpResult answer = Http(daemon_->port(), c.method, c.target, c.body);
    EXPECT_EQ(answer.status, 401) << c.target << ": " << answer.body;
    EXPECT_EQ(answer.headers["www-authenticate"], c.realm) << c.method << " " << c.target;
  }
}

TEST_F(HttpHardeningTest, AnUnauthenticatedHugeUploadIsRefusedOnItsHeadWithoutTheBody) {
  for (const char* target : {"/v1/apply", "/v1/autopilotDevices/import"}) {
    RawSocket socket(daemon_->port());
    ASSERT_TRUE(socket.Send(std::string("POST ") + target +
                            " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            "Content-Length: 60000000\r\n\r\n"));
    const std::string answer = socket.ReadUntilClosed();  // no body byte was sent
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 401 ")) << target << ": " << answer;
    EXPECT_NE(answer.find("WWW-Authenticate: Bearer"), std::string::npos) << answer;
    EXPECT_TRUE(socket.closed()) << target;
  }
  // A small route refuses a large body before reading it, authenticated or not.
  RawSocket socket(daemon_->port());
  ASSERT_TRUE(socket.Send(
      "POST /v1/agent/nonce HTTP/1.1\r\nHost: localhost\r\nContent-Length: 60000000\r\n\r\n"));
  const std::string answer = socket.ReadUntilClosed();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413 ")) << answer;
}

TEST_F(HttpHardeningTest, TransferEncodingGzipIs400AndTheSmuggledRequestIsNeverAnswered) {
  const std::string smuggled =
      "GET /v1/me HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token_ + "\r\n\r\n";
  for (const std::string& framing :
       {std::string("Transfer-Encoding: gzip\r\n"), std::string("Transfer-Encoding: xchunked\r\n"),
        std::string("Transfer-Encoding: chunked, identity\r\n"),
        std::string("Transfer-Encoding: identity\r\n")}) {
    RawSocket socket(daemon_->port());
    ASSERT_TRUE(socket.Send("POST /v1/agent/nonce HTTP/1.1\r\nHost: localhost\r\n" + framing +
                            "\r\n" + smuggled));
    const std::string answer = socket.ReadUntilClosed();
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400 ")) << framing << answer;
    EXPECT_EQ(ResponseCount(answer), 1) << framing << answer;
    EXPECT_EQ(answer.find("\"role\""), std::string::npos) << answer;  // /v1/me's answer
    EXPECT_TRUE(socket.closed()) << framing;
  }
}

TEST_F(HttpHardeningTest, EveryResponseCarriesARequestId) {
  HttpResult health = Http(daemon_->port(), "GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.headers["x-request-id"].size(), 32u);
  HttpResult refused = Http(daemon_->port(), "GET", "/v1/me");
  EXPECT_EQ(refused.status, 401);
  EXPECT_FALSE(refused.headers["x-request-id"].empty());
  HttpResult echoed =
      Http(daemon_->port(), "GET", "/v1/me", "",
           {{"Authorization", "Bearer " + token_}, {"X-Request-Id", "deploy-7.retry_2"}});
  EXPECT_EQ(echoed.status, 200);
  EXPECT_EQ(echoed.headers["x-request-id"], "deploy-7.retry_2");
}

}  // namespace
}  // namespace groundcrew::integration

#include "server/http/request_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace groundcrew::server {
namespace {

std::string Head(const std::string& fields, const std::string& version = "HTTP/1.1") {
  return "POST /v1/x " + version + "\r\n" + fields + "\r\n";
}

std::string RefusedField(const std::string& head) {
  Status status = CheckRequestHead(head);
  EXPECT_FALSE(status) << head;
  if (status) return "";
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  return status.error().field;
}

TEST(CheckRequestHead, AcceptsOrdinaryHeads) {
  EXPECT_TRUE(CheckRequestHead(Head("Host: a\r\nContent-Length: 3\r\n")));
  EXPECT_TRUE(CheckRequestHead(Head("Host: a\r\nTransfer-Encoding: chunked\r\n")));
  EXPECT_TRUE(CheckRequestHead(Head("host: a\r\ntransfer-encoding:  CHUNKED \r\n")));
  EXPECT_TRUE(CheckRequestHead(Head("", "HTTP/1.0")));  // HTTP/1.0 needs no Host
}

TEST(CheckRequestHead, RefusesEveryTransferEncodingButChunked) {
  for (const char* value : {"xchunked", "chunked, identity", "gzip", "identity", "gzip, chunked",
                            "chunked,chunked", ""}) {
    EXPECT_EQ(RefusedField(Head("Host: a\r\nTransfer-Encoding: " + std::string(value) + "\r\n")),
              "Transfer-Encoding")
        << value;
  }
  EXPECT_EQ(RefusedField(Head("Host: a\r\nTransfer-Encoding: chunked\r\n"
                              "Transfer-Encoding: chunked\r\n")),
            "Transfer-Encoding");
}

TEST(CheckRequestHead, RefusesTransferEncodingWithContentLengthOrInHttp10) {
  EXPECT_EQ(RefusedField(Head("Host: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n")),
            "Transfer-Encoding");
  EXPECT_EQ(RefusedField(Head("Transfer-Encoding: chunked\r\n", "HTTP/1.0")), "Transfer-Encoding");
}

TEST(CheckRequestHead, RefusesFoldedLines) {
  EXPECT_EQ(RefusedField(Head("Host: a\r\nX-A: b\r\n c\r\n")), "header");
  EXPECT_EQ(RefusedField(Head("Host: a\r\nX-A: b\r\n\tc\r\n")), "header");
}

TEST(CheckRequestHead, NeedsExactlyOneHostInHttp11) {
  EXPECT_EQ(RefusedField(Head("Content-Length: 0\r\n")), "Host");
  EXPECT_EQ(RefusedField(Head("Host: a\r\nHost: b\r\n")), "Host");
  EXPECT_EQ(RefusedField(Head("Host: a\r\nHost: b\r\n", "HTTP/1.0")), "Host");
}

TEST(CheckRequestHead, NeverFailsOnGarbage) {
  for (const char* bytes : {"", "\r\n", "GET", "\r\n\r\n", " \r\n \r\n", "GET / HTTP/1.1\r\n:"}) {
    (void)CheckRequestHead(bytes);
  }
}

}  // namespace
}  // namespace groundcrew::server

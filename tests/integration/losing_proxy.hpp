#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace groundcrew::integration {

// An HTTP/1.1 proxy on 127.0.0.1 between a device (the agent, the fleet) and groundcrewd, for
// the tests of what a device does when an answer is lost. It forwards every request
// (each on a fresh connection to the service, so that it reaches the service of the moment)
// and keeps what the service answered. The first request whose request line matches `lose`
// is forwarded and answered by the service, then `meanwhile` runs (e.g. the service restarts),
// and the device's connection is closed without the answer.

namespace proxy_detail {

// Reads from a socket until the proxy stops.
class SocketReader {
 public:
  SocketReader(int fd, const std::atomic<bool>& stop) : fd_(fd), stop_(stop) {}

  // Up to and including `delimiter`; nullopt at the end of the stream.
  std::optional<std::string> ReadUntil(std::string_view delimiter) {
    for (;;) {
      if (const size_t at = buffer_.find(delimiter); at != std::string::npos) {
        std::string out = buffer_.substr(0, at + delimiter.size());
        buffer_.erase(0, at + delimiter.size());
        return out;
      }
      if (!Fill()) return std::nullopt;
    }
  }
  std::optional<std::string> Read(size_t size) {
    while (buffer_.size() < size) {
      if (!Fill()) return std::nullopt;
    }
    std::string out = buffer_.substr(0, size);
    buffer_.erase(0, size);
    return out;
  }
  std::string ReadToEnd() {
    while (Fill()) {
    }
    return std::exchange(buffer_, std::string());
  }

 private:
  bool Fill() {
    for (;;) {
      if (stop_) return false;
      pollfd ready{.fd = fd_, .events = POLLIN, .revents = 0};
      const int polled = ::poll(&ready, 1, 100);
      if (polled < 0) return false;
      if (polled == 0) continue;
      char chunk[65536];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

  int fd_;
  const std::atomic<bool>& stop_;
  std::string buffer_;
};

inline std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The value of header `name` (lower case) in a head, "" when absent.
inline std::string HeaderOf(const std::string& head, const std::string& name) {
  std::smatch match;
  const std::string lower = Lower(head);
  if (!std::regex_search(lower, match, std::regex("\r\n" + name + ":[ \t]*([^\r\n]*)"))) return "";
  return match.str(1);
}

inline bool SendAll(int fd, std::string_view data) {
  for (size_t sent = 0; sent < data.size();) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace proxy_detail

class LosingProxy {
 public:
  struct Exchange {
    std::string request_line;
    int status = 0;  ///< the service's answer; 0 when it gave none
    std::string body;
    bool delivered = false;  ///< passed on to the agent
  };

  LosingProxy(std::function<std::uint16_t()> upstream, std::regex lose,
              std::function<void()> meanwhile)
      : upstream_(std::move(upstream)), lose_(std::move(lose)), meanwhile_(std::move(meanwhile)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~LosingProxy() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> connections;
    {
      std::lock_guard lock(mutex_);
      connections.swap(connections_);
    }
    for (std::thread& connection : connections) connection.join();
    if (listener_ >= 0) ::close(listener_);
  }
  LosingProxy(const LosingProxy&) = delete;
  LosingProxy& operator=(const LosingProxy&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Exchange> exchanges() {
    std::lock_guard lock(mutex_);
    return exchanges_;
  }
  bool lost() const { return lost_; }

 private:
  void Accept() {
    while (!stop_) {
      pollfd ready{.fd = listener_, .events = POLLIN, .revents = 0};
      if (::poll(&ready, 1, 100) <= 0) continue;
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::lock_guard lock(mutex_);
      connections_.emplace_back([this, client] {
        Serve(client);
        ::close(client);
      });
    }
  }

  // One request of the agent, forwarded; the service's whole answer ("" when it gave none).
  std::string Forward(const std::string& request, bool head) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return "";
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(upstream_());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string answer;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        proxy_detail::SendAll(fd, request)) {
      proxy_detail::SocketReader in(fd, stop_);
      if (std::optional<std::string> head_text = in.ReadUntil("\r\n\r\n")) {
        answer = *head_text;
        const int status = std::atoi(answer.c_str() + 9);
        const std::string length = proxy_detail::HeaderOf(*head_text, "content-length");
        if (head || status == 204 || status == 304 || (status >= 100 && status < 200)) {
        } else if (proxy_detail::Lower(proxy_detail::HeaderOf(*head_text, "transfer-encoding"))
                       .find("chunked") != std::string::npos) {
          for (;;) {
            std::optional<std::string> size_line = in.ReadUntil("\r\n");
            if (!size_line) return "";
            answer += *size_line;
            const size_t size = std::stoul(*size_line, nullptr, 16);
            if (size == 0) {  // trailers, then an empty line
              for (;;) {
                std::optional<std::string> trailer = in.ReadUntil("\r\n");
                if (!trailer) return "";
                answer += *trailer;
                if (*trailer == "\r\n") break;
              }
              break;
            }
            std::optional<std::string> chunk = in.Read(size + 2);
            if (!chunk) return "";
            answer += *chunk;
          }
        } else if (!length.empty()) {
          std::optional<std::string> body = in.Read(std::stoul(length));
          if (!body) return "";
          answer += *body;
        } else {
          answer += in.ReadToEnd();
        }
      }
    }
    ::close(fd);
    return answer;
  }

  void Serve(int client) {
    proxy_detail::SocketReader in(client, stop_);
    for (;;) {
      std::optional<std::string> head = in.ReadUntil("\r\n\r\n");
      if (!head) return;
      std::string request = *head;
      const std::string length = proxy_detail::HeaderOf(*head, "content-length");
      if (!length.empty() && std::stoul(length) > 0) {
        std::optional<std::string> body = in.Read(std::stoul(length));
        if (!body) return;
        request += *body;
      }
      const std::string request_line = head->substr(0, head->find("\r\n"));
      const std::string answer = Forward(request, request_line.starts_with("HEAD "));
      Exchange exchange;
      exchange.request_line = request_line;
      if (answer.size() >= 12) exchange.status = std::atoi(answer.c_str() + 9);
      if (const size_t at = answer.find("\r\n\r\n"); at != std::string::npos) {
        exchange.body = answer.substr(at + 4);
      }
      bool lose = false;
      {
        std::lock_guard lock(mutex_);
        lose = !lost_ && exchange.status != 0 && std::regex_search(request_line, lose_);
        if (lose) lost_ = true;
        exchange.delivered = !lose && !answer.empty();
        exchanges_.push_back(exchange);
      }
      if (lose) {
        meanwhile_();
        return;  // closed without the answer
      }
      if (answer.empty() || !proxy_detail::SendAll(client, answer)) return;
      if (proxy_detail::Lower(proxy_detail::HeaderOf(*head, "connection")) == "close" ||
          proxy_detail::Lower(proxy_detail::HeaderOf(answer.substr(0, answer.find("\r\n\r\n") + 4),
                                                     "connection")) == "close") {
        return;
      }
    }
  }

  std::function<std::uint16_t()> upstream_;
  std::regex lose_;
  std::function<void()> meanwhile_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> lost_{false};
  std::mutex mutex_;
  std::vector<Exchange> exchanges_;
  std::vector<std::thread> connections_;
  std::thread acceptor_;
};

}  // namespace groundcrew::integration

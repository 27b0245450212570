#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"
#include "http_client/http_client.hpp"
#include "identity/device_key.hpp"

// The agent's side of the device API (docs/device-api.md): one keep-alive connection, device
// tokens obtained by proving the device key and renewed before they run out (or when the
// service answers 401), and JSON in and out. Not thread-safe (the driver calls it from one
// thread), except CurrentCredentials.
namespace groundcrew::agent {

/// An answer of the service: its status and JSON body (null when empty or not JSON).
struct Answer {
  int status = 0;
  boost::json::value body;
  bool ok() const { return status >= 200 && status < 300; }
};

/// The error an answer that is not 2xx stands for: the service's own message and field, with
/// the code its status maps to (401 kUnauthenticated, 403 kPermissionDenied, 404 kNotFound,
/// 409 kFailedPrecondition, 400 kInvalidArgument, anything else kUnavailable).
Error ErrorOf(const Answer& answer);

class ServiceClient {
 public:
  /// `key` must outlive the client. kInvalidArgument for a bad URL or CA file.
  [[nodiscard]] static Result<std::unique_ptr<ServiceClient>> Create(
      std::string_view server_url, const std::string& ca_file, identity::DeviceKeyStore& key,
      std::string serial_number, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Whether the service answers /healthz (any transport failure: false).
  bool Reachable();

  /// Proves the device key (nonce → signature → token) unless a device token valid for at
  /// least another minute is held. kUnauthenticated with the service's reason when refused.
  [[nodiscard]] Status EnsureDeviceToken();
  /// Forgets the device token (the next call proves the key again).
  void DropDeviceToken() {
    std::lock_guard lock(mutex_);
    device_token_.clear();
  }

  /// The service's clock now, as its last device token said (the token's issue time plus the
  /// time passed since, by this machine's monotonic clock); nullopt before the first token.
  std::optional<std::chrono::system_clock::time_point> ServiceTime() const;

  /// The registration id the last proof answered; empty before the first proof.
  const std::string& device_id() const { return device_id_; }

  /// A request with the device token (proving the key first when needed, and once more after a
  /// 401 that refused the token itself — not after one about what was sent, such as a wrong
  /// password, which must not be sent twice). `path` is below /v1/agent/devices/{id}, e.g.
  /// "/join"; "" for the device itself.
  [[nodiscard]] Result<Answer> Device(std::string_view method, std::string_view path,
                                      const boost::json::value& body = nullptr);

  /// A request with `bearer` (e.g. the user token) instead of the device token.
  [[nodiscard]] Result<Answer> WithToken(const std::string& bearer, std::string_view method,
                                         std::string_view path,
                                         const boost::json::value& body = nullptr);

  /// What another connection needs to act as this device (for downloads and certificate
  /// requests made from install threads). Thread-safe.
  struct Credentials {
    std::string server_url;
    std::string ca_file;
    std::string device_id;
    std::string token;
  };
  Credentials CurrentCredentials() const;

  /// Downloads `length` bytes of content `sha256` from `offset` (device token), for resuming
  /// downloads. An empty string at the end of the content.
  [[nodiscard]] Result<std::string> ContentRange(std::string_view sha256, std::uint64_t offset,
                                                 std::uint64_t length);

 private:
  ServiceClient(std::unique_ptr<http::HttpClient> http, identity::DeviceKeyStore& key,
                std::string serial_number, std::string server_url, std::string ca_file);
  Result<Answer> Send(std::string_view method, const std::string& target,
                      const boost::json::value& body, const std::string& bearer);

  std::unique_ptr<http::HttpClient> http_;
  identity::DeviceKeyStore& key_;
  std::string serial_number_;
  std::string server_url_;
  std::string ca_file_;
  mutable std::mutex mutex_;  // guards device_token_ and device_id_ for CurrentCredentials
  std::string device_token_;
  std::chrono::system_clock::time_point device_token_expires_{};
  std::string device_id_;
  // When the last token was issued, by the service's clock and by this machine's steady clock.
  std::optional<
      std::pair<std::chrono::system_clock::time_point, std::chrono::steady_clock::time_point>>
      token_issued_;
};

}  // namespace groundcrew::agent

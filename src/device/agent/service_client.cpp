#include "device/agent/service_client.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/base64.hpp"
#include "device/flow/device_answers.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::agent {

namespace json = boost::json;
using device::JsonText;

Error ErrorOf(const Answer& answer) { return device::ServiceError(answer.status, answer.body); }

ServiceClient::ServiceClient(std::unique_ptr<http::HttpClient> http, identity::DeviceKeyStore& key,
                             std::string serial_number, std::string server_url, std::string ca_file)
    : http_(std::move(http)),
      key_(key),
      serial_number_(std::move(serial_number)),
      server_url_(std::move(server_url)),
      ca_file_(std::move(ca_file)) {}

ServiceClient::Credentials ServiceClient::CurrentCredentials() const {
  std::lock_guard lock(mutex_);
  return {server_url_, ca_file_, device_id_, device_token_};
}

Result<std::unique_ptr<ServiceClient>> ServiceClient::Create(std::string_view server_url,
                                                             const std::string& ca_file,
                                                             identity::DeviceKeyStore& key,
                                                             std::string serial_number,
                                                             std::chrono::milliseconds timeout) {
  http::HttpClientOptions options;
  options.timeout = timeout;
  options.ca_file = ca_file;
  options.user_agent = "groundcrew-agent";
  Result<std::unique_ptr<http::HttpClient>> client = http::HttpClient::Create(server_url, options);
  if (!client) return client.error();
  return std::unique_ptr<ServiceClient>(new ServiceClient(
      std::move(*client), key, std::move(serial_number), std::string(server_url), ca_file));
}

Result<Answer> ServiceClient::Send(std::string_view method, const std::string& target,
                                   const json::value& body, const std::string& bearer) {
  http::HttpRequest request;
  request.method = std::string(method);
  request.target = target;
  if (!body.is_null()) {
    request.body = json::serialize(body);
    request.content_type = "application/json";
  }
  if (!bearer.empty()) request.headers.emplace_back("Authorization", "Bearer " + bearer);
  Result<http::HttpResponse> response = http_->Request(request);
  if (!response) return response.error();
  Answer answer;
  answer.status = response->status;
  if (!response->body.empty()) {
    boost::system::error_code ec;
    answer.body = json::parse(response->body, ec);
    if (ec) answer.body = nullptr;
  }
  return answer;
}

bool ServiceClient::Reachable() {
  http::HttpRequest request;
  request.target = "/healthz";
  Result<http::HttpResponse> response = http_->Request(request);
  return response && response->status == 200;
}

Status ServiceClient::EnsureDeviceToken() {
  if (!device_token_.empty() &&
      std::chrono::system_clock::now() + std::chrono::minutes(1) < device_token_expires_) {
    return Ok{};
  }
  Result<Answer> nonce =
      Send("POST", "/v1/agent/nonce", json::object{{"serialNumber", serial_number_}}, "");
  if (!nonce) return nonce.error();
  if (!nonce->ok()) return ErrorOf(*nonce);
  const std::string text = JsonText(nonce->body, "nonce");
  Result<identity::Signature> signature =
      key_.Sign(identity::ProofMessage(text, serial_number_, JsonText(nonce->body, "audience")));
  if (!signature) return signature.error();
  const std::string raw(signature->begin(), signature->end());
  Result<Answer> token = Send(
      "POST", "/v1/agent/token",
      json::object{
          {"serialNumber", serial_number_}, {"nonce", text}, {"signature", base64::Encode(raw)}},
      "");
  if (!token) return token.error();
  if (!token->ok()) return ErrorOf(*token);
  {
    std::lock_guard lock(mutex_);
    device_token_ = JsonText(token->body, "token");
    device_id_ = JsonText(token->body, "deviceId");
  }
  if (Result<core::Timestamp> issued =
          wire::ParseTimestamp(JsonText(token->body, "issuedDateTime"));
      issued) {
    token_issued_.emplace(*issued, std::chrono::steady_clock::now());
  }
  // The token says when it expires; the agent's own clock may differ, so keep a margin.
  if (Result<core::Timestamp> expires =
          wire::ParseTimestamp(JsonText(token->body, "expirationDateTime"));
      expires) {
    device_token_expires_ = *expires;
  } else {
    device_token_expires_ = std::chrono::system_clock::now() + std::chrono::minutes(5);
  }
  return Ok{};
}

std::optional<std::chrono::system_clock::time_point> ServiceClient::ServiceTime() const {
  if (!token_issued_) return std::nullopt;
  return token_issued_->first + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                    std::chrono::steady_clock::now() - token_issued_->second);
}

Result<Answer> ServiceClient::Device(std::string_view method, std::string_view path,
                                     const json::value& body) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (Status proven = EnsureDeviceToken(); !proven) return proven.error();
    Result<Answer> answer =
        Send(method, fmt::format("/v1/agent/devices/{}{}", device_id_, path), body, device_token_);
    if (!answer || answer->status != 401) return answer;
    // Only a refused token is worth a new proof; a 401 about what was sent (a wrong password
    // or code) is the answer itself.
    const std::string field = ErrorOf(*answer).field;
    if (field != "Authorization" && field != "token") return answer;
    DropDeviceToken();  // revoked or expired early: prove the key again, once
  }
  return MakeError(ErrorCode::kUnauthenticated, "the service refuses this device's token", "token");
}

Result<Answer> ServiceClient::WithToken(const std::string& bearer, std::string_view method,
                                        std::string_view path, const json::value& body) {
  if (device_id_.empty()) {
    if (Status proven = EnsureDeviceToken(); !proven) return proven.error();
  }
  return Send(method, fmt::format("/v1/agent/devices/{}{}", device_id_, path), body, bearer);
}

Result<std::string> ServiceClient::ContentRange(std::string_view sha256, std::uint64_t offset,
                                                std::uint64_t length) {
  if (Status proven = EnsureDeviceToken(); !proven) return proven.error();
  http::HttpRequest request;
  request.target = fmt::format("/v1/agent/devices/{}/content/{}", device_id_, sha256);
  request.headers.emplace_back("Authorization", "Bearer " + device_token_);
  request.headers.emplace_back("Range", fmt::format("bytes={}-{}", offset, offset + length - 1));
  Result<http::HttpResponse> response = http_->Request(request);
  if (!response) return response.error();
  if (response->status == 416) return std::string();
  if (response->status != 200 && response->status != 206) {
    Answer answer{response->status, nullptr};
    boost::system::error_code ec;
    answer.body = json::parse(response->body, ec);
    return ErrorOf(answer);
  }
  return std::move(response->body);
}

}  // namespace groundcrew::agent

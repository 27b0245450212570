#include "device/agent/executor_wiring.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>

#include "device/executor/local_account.hpp"
#include "http_client/http_client.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::agent {
namespace {

namespace json = boost::json;

Result<std::unique_ptr<http::HttpClient>> Connect(const ServiceClient::Credentials& c) {
  http::HttpClientOptions options;
  options.ca_file = c.ca_file;
  options.bearer_token = c.token;
  options.user_agent = "groundcrew-agent";
  options.timeout = std::chrono::seconds(60);
  return http::HttpClient::Create(c.server_url, options);
}

Error AnswerError(const http::HttpResponse& response, std::string_view what) {
  Answer answer{response.status, nullptr};
  boost::system::error_code ec;
  answer.body = json::parse(response.body, ec);
  Error error = ErrorOf(answer);
  // A token that ran out during a long install is renewed by the driver: transient here.
  if (response.status == 401 || response.status >= 500) error.code = ErrorCode::kUnavailable;
  error.message = fmt::format("{}: {}", what, error.message);
  return error;
}

}  // namespace

Status HttpContentSource::Fetch(std::string_view sha256, std::uint64_t size,
                                const std::filesystem::path& destination,
                                const executor::ProgressFn& progress) {
  const ServiceClient::Credentials credentials = service_.CurrentCredentials();
  Result<std::unique_ptr<http::HttpClient>> client = Connect(credentials);
  if (!client) return client.error();
  const std::string target =
      fmt::format("/v1/agent/devices/{}/content/{}", credentials.device_id, sha256);
  return executor::DownloadWithResume(
      sha256, size, destination,
      [&](std::uint64_t offset, const executor::ChunkSink& sink) -> Status {
        http::HttpRequest request;
        request.target = target;
        if (offset > 0) request.headers.emplace_back("Range", fmt::format("bytes={}-", offset));
        Result<http::HttpResponse> response = (*client)->Request(request);
        if (!response) return response.error();
        if (response->status == 206) return sink(response->body);
        if (response->status == 200) {
          return sink(std::string_view(response->body)
                          .substr(std::min<std::uint64_t>(offset, response->body.size())));
        }
        if (response->status == 416) return Ok{};
        return AnswerError(*response, fmt::format("content {}", sha256));
      },
      progress);
}

executor::CertificateIssuer ServiceCertificateIssuer(const ServiceClient& service) {
  return [&service](const core::CertificateProfile& profile,
                    std::string csr_pem) -> Result<std::string> {
    const ServiceClient::Credentials credentials = service.CurrentCredentials();
    Result<std::unique_ptr<http::HttpClient>> client = Connect(credentials);
    if (!client) return client.error();
    http::HttpRequest request;
    request.method = "POST";
    request.target = fmt::format("/v1/agent/devices/{}/certificates/{}", credentials.device_id,
                                 profile.id.value());
    request.content_type = "application/json";
    request.body = json::serialize(json::object{{"csr", csr_pem}});
    Result<http::HttpResponse> response = (*client)->Request(request);
    if (!response) return response.error();
    if (response->status != 200) {
      return AnswerError(*response, fmt::format("certificate {}", profile.display_name));
    }
    boost::system::error_code ec;
    json::value body = json::parse(response->body, ec);
    const json::value* certificate = ec ? nullptr : body.as_object().if_contains("certificate");
    if (certificate == nullptr || !certificate->is_string()) {
      return MakeError(ErrorCode::kInternal, "the certificate answer has no certificate");
    }
    return std::string(certificate->as_string());
  };
}

RunnerFactory ExecutorRunners(executor::Executor& executor, std::string device_name,
                              std::filesystem::path root) {
  return [&executor, device_name, root](const json::object& payloads_json,
                                        const std::string& user) -> Result<ItemRunner> {
    wire::DeploymentPayloads decoded;
    if (Status s = wire::Decode(payloads_json, decoded); !s) return s.error();
    auto payloads = std::make_shared<executor::Payloads>();
    for (core::App& app : decoded.apps) payloads->Add(std::move(app));
    for (core::Policy& policy : decoded.policies) payloads->Add(std::move(policy));
    for (core::CertificateProfile& p : decoded.certificate_profiles) payloads->Add(std::move(p));
    for (core::NetworkProfile& p : decoded.network_profiles) payloads->Add(std::move(p));
    executor::ApplyContext context;
    context.user_principal_name = user;
    if (!user.empty()) {
      const std::optional<executor::LocalAccount> account = executor::FindAccount(root, user);
      context.user_name = account ? account->name : executor::AccountNameFor(user);
    }
    context.device_name = device_name;
    return ItemRunner([&executor, payloads, context](const core::PlanItem& item,
                                                     std::stop_token stop,
                                                     const ItemProgressFn& progress) {
      const auto deadline = std::chrono::steady_clock::now() +
                            std::chrono::minutes(std::max(item.time_limit_minutes, 1));
      executor::ApplyContext item_context = context;
      item_context.stop = stop;
      auto pause = std::chrono::seconds(1);
      for (;;) {
        Result<executor::ItemResult> result =
            executor.Apply(item, *payloads, item_context, progress);
        if (result) {
          ItemOutcome outcome;
          outcome.code = result->code;
          outcome.message = result->message;
          outcome.reboot = result->reboot;
          switch (result->outcome) {
            case executor::ItemResult::Outcome::kSucceeded:
              outcome.kind =
                  result->detected ? ItemOutcome::Kind::kDetected : ItemOutcome::Kind::kSucceeded;
              break;
            case executor::ItemResult::Outcome::kFailed:
              outcome.kind = ItemOutcome::Kind::kFailed;
              break;
            case executor::ItemResult::Outcome::kRetry:
              outcome.kind = ItemOutcome::Kind::kRetry;
              break;
          }
          return outcome;
        }
        if (result.error().code != ErrorCode::kUnavailable ||
            std::chrono::steady_clock::now() + pause > deadline) {
          return ItemOutcome{ItemOutcome::Kind::kFailed, core::RebootKind::kNone,
                             executor::kGenericFailureCode, result.error().message};
        }
        // The service is unreachable: wait it out (unless the item is stopped meanwhile).
        for (auto waited = std::chrono::milliseconds(0); waited < pause && !stop.stop_requested();
             waited += std::chrono::milliseconds(100)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        pause = std::min(pause * 2, std::chrono::seconds(30));
      }
    });
  };
}

}  // namespace groundcrew::agent

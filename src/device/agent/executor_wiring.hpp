#pragma once

#include <memory>
#include <string>

#include "device/agent/oobe.hpp"
#include "device/agent/service_client.hpp"
#include "device/executor/content_source.hpp"
#include "device/executor/executor.hpp"
#include "device/executor/real_executor.hpp"

// The executors (src/device/executor) connected to the service: app content and certificates
// come over the device API, from install threads, each on a connection of its own with the
// device's current token; and the driver's ItemRunner applies items with an executor.
namespace groundcrew::agent {

/// App content from GET /v1/agent/devices/{id}/content/{sha256}, resumed with Range.
class HttpContentSource final : public executor::ContentSource {
 public:
  explicit HttpContentSource(const ServiceClient& service) : service_(service) {}
  [[nodiscard]] Status Fetch(std::string_view sha256, std::uint64_t size,
                             const std::filesystem::path& destination,
                             const executor::ProgressFn& progress) override;

 private:
  const ServiceClient& service_;
};

/// Certificates for certificate profiles: POST /v1/agent/devices/{id}/certificates/{profile}.
executor::CertificateIssuer ServiceCertificateIssuer(const ServiceClient& service);

/// A RunnerFactory over `executor`: decodes the deployment's payloads and applies items. An item
/// the executor cannot decide because the service is unreachable (content, certificate) is
/// tried again with a growing pause (1 s up to 30 s) until the item's own time limit, so Device
/// setup waits out an outage instead of failing. The executor's progress (content downloaded)
/// goes to the runner's progress sink. The signed-in user's name for the executor
/// (ApplyContext::user_name) is their local account's under `root` (executor::FindAccount),
/// else what the account would be named (executor::AccountNameFor).
RunnerFactory ExecutorRunners(executor::Executor& executor, std::string device_name,
                              std::filesystem::path root);

}  // namespace groundcrew::agent

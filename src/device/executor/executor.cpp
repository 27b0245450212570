#include "device/executor/executor.hpp"

#include <utility>

namespace groundcrew::executor {
namespace {

template <class Map>
const typename Map::mapped_type* Find(const Map& map, std::string_view id) {
  auto it = map.find(id);
  return it == map.end() ? nullptr : &it->second;
}

}  // namespace

void Payloads::Add(core::App app) {
  std::string id = app.id.value();
  apps.insert_or_assign(std::move(id), std::move(app));
}
void Payloads::Add(core::Policy policy) {
  std::string id = policy.id.value();
  policies.insert_or_assign(std::move(id), std::move(policy));
}
void Payloads::Add(core::CertificateProfile profile) {
  std::string id = profile.id.value();
  certificates.insert_or_assign(std::move(id), std::move(profile));
}
void Payloads::Add(core::NetworkProfile profile) {
  std::string id = profile.id.value();
  network_profiles.insert_or_assign(std::move(id), std::move(profile));
}

const core::App* Payloads::FindApp(std::string_view id) const { return Find(apps, id); }
const core::Policy* Payloads::FindPolicy(std::string_view id) const { return Find(policies, id); }
const core::CertificateProfile* Payloads::FindCertificate(std::string_view id) const {
  return Find(certificates, id);
}
const core::NetworkProfile* Payloads::FindNetworkProfile(std::string_view id) const {
  return Find(network_profiles, id);
}

ItemResult ItemResult::Succeeded(core::RebootKind reboot, std::string message) {
  ItemResult result;
  result.reboot = reboot;
  result.message = std::move(message);
  return result;
}

ItemResult ItemResult::Detected(std::string message) {
  ItemResult result;
  result.detected = true;
  result.message = std::move(message);
  return result;
}

ItemResult ItemResult::Failed(std::int64_t code, std::string message) {
  ItemResult result;
  result.outcome = Outcome::kFailed;
  result.code = code;
  result.message = std::move(message);
  return result;
}

ItemResult ItemResult::Retry(std::int64_t code, std::string message) {
  ItemResult result;
  result.outcome = Outcome::kRetry;
  result.code = code;
  result.message = std::move(message);
  return result;
}

std::string_view ToString(ItemResult::Outcome outcome) {
  switch (outcome) {
    case ItemResult::Outcome::kSucceeded:
      return "succeeded";
    case ItemResult::Outcome::kFailed:
      return "failed";
    case ItemResult::Outcome::kRetry:
      return "retry";
  }
  return "";
}

core::RunEvent ToRunEvent(const std::string& item_id, const ItemResult& result) {
  switch (result.outcome) {
    case ItemResult::Outcome::kSucceeded:
      return core::ItemSucceeded{item_id, result.reboot};
    case ItemResult::Outcome::kFailed:
      return core::ItemFailed{item_id, result.code, result.message};
    case ItemResult::Outcome::kRetry:
      return core::ItemNeedsRetry{item_id, result.code};
  }
  return core::ItemFailed{item_id, result.code, result.message};
}

}  // namespace groundcrew::executor

#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "server/store/credential_store.hpp"
#include "server/store/resource_store.hpp"

namespace groundcrew::store {
namespace {

// Every kind with its collection name, in enum order (ToString indexes it).
constexpr std::array<std::pair<ResourceKind, std::string_view>, 11> kKindNames = {{
    {ResourceKind::kTenant, "tenant"},
    {ResourceKind::kUser, "users"},
    {ResourceKind::kGroup, "groups"},
    {ResourceKind::kDeploymentProfile, "deploymentProfiles"},
    {ResourceKind::kEspProfile, "espProfiles"},
    {ResourceKind::kApp, "apps"},
    {ResourceKind::kPolicy, "policies"},
    {ResourceKind::kCertificateProfile, "certificateProfiles"},
    {ResourceKind::kNetworkProfile, "networkProfiles"},
    {ResourceKind::kCompliancePolicy, "compliancePolicies"},
    {ResourceKind::kAssignment, "assignments"},
}};

constexpr bool InEnumOrder() {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (static_cast<size_t>(kKindNames[i].first) != i) return false;
  }
  return true;
}
static_assert(InEnumOrder(), "kKindNames must list the kinds in enum order");
static_assert(kKindNames.back().first == ResourceKind::kAssignment,
              "a ResourceKind was added: name it in kKindNames");

}  // namespace

std::string_view ToString(ResourceKind kind) {
  const auto index = static_cast<size_t>(kind);
  return index < kKindNames.size() ? kKindNames[index].second : std::string_view("unknown");
}

std::optional<ResourceKind> ParseResourceKind(std::string_view text) {
  for (const auto& [kind, name] : kKindNames) {
    if (name == text) return kind;
  }
  return std::nullopt;
}

std::string_view ToString(CredentialRole role) {
  switch (role) {
    case CredentialRole::kAdmin:
      return "admin";
    case CredentialRole::kReader:
      return "reader";
    case CredentialRole::kTechnician:
      return "technician";
  }
  return "unknown";
}

std::optional<CredentialRole> ParseCredentialRole(std::string_view text) {
  if (text == "admin") return CredentialRole::kAdmin;
  if (text == "reader") return CredentialRole::kReader;
  if (text == "technician") return CredentialRole::kTechnician;
  return std::nullopt;
}

}  // namespace groundcrew::store

#include "server/service/resource_model.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <type_traits>

#include "wire/json_limits.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::service {
namespace {

using store::ResourceKind;

template <class T>
constexpr bool kVersionsContent =
    std::is_same_v<T, core::EspProfile> || std::is_same_v<T, core::Policy> ||
    std::is_same_v<T, core::CertificateProfile> || std::is_same_v<T, core::NetworkProfile> ||
    std::is_same_v<T, core::CompliancePolicy>;

template <class T>
constexpr bool kHasCreated =
    !std::is_same_v<T, core::TenantSettings> && !std::is_same_v<T, core::Assignment>;

template <class T>
constexpr bool kHasModified =
    std::is_same_v<T, core::DeploymentProfile> || std::is_same_v<T, core::EspProfile>;

std::string_view TargetKey(const core::AssignmentTarget& target) {
  switch (target.kind) {
    case core::TargetKind::kGroup:
      return "group";
    case core::TargetKind::kExclusionGroup:
      return "exclude";
    case core::TargetKind::kAllDevices:
      return "allDevices";
    case core::TargetKind::kAllLicensedUsers:
      return "allLicensedUsers";
  }
  return "group";
}

}  // namespace

std::string_view PayloadKindName(core::PayloadKind kind) {
  switch (kind) {
    case core::PayloadKind::kApp:
      return "app";
    case core::PayloadKind::kPolicy:
      return "policy";
    case core::PayloadKind::kCertificate:
      return "certificate";
    case core::PayloadKind::kNetwork:
      return "network";
    case core::PayloadKind::kCompliance:
      return "compliance";
  }
  return "app";
}

ResourceKind KindOfPayload(core::PayloadKind kind) {
  switch (kind) {
    case core::PayloadKind::kApp:
      return ResourceKind::kApp;
    case core::PayloadKind::kPolicy:
      return ResourceKind::kPolicy;
    case core::PayloadKind::kCertificate:
      return ResourceKind::kCertificateProfile;
    case core::PayloadKind::kNetwork:
      return ResourceKind::kNetworkProfile;
    case core::PayloadKind::kCompliance:
      return ResourceKind::kCompliancePolicy;
  }
  return ResourceKind::kApp;
}

ResourceKind KindOf(const AnyResource& resource) {
  return static_cast<ResourceKind>(resource.index());
}

AnyResource DefaultResource(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kTenant:
      return core::TenantSettings{};
    case ResourceKind::kUser:
      return core::User{};
    case ResourceKind::kGroup:
      return core::Group{};
    case ResourceKind::kDeploymentProfile:
      return core::DeploymentProfile{};
    case ResourceKind::kEspProfile:
      return core::EspProfile{};
    case ResourceKind::kApp:
      return core::App{};
    case ResourceKind::kPolicy:
      return core::Policy{};
    case ResourceKind::kCertificateProfile:
      return core::CertificateProfile{};
    case ResourceKind::kNetworkProfile:
      return core::NetworkProfile{};
    case ResourceKind::kCompliancePolicy:
      return core::CompliancePolicy{};
    case ResourceKind::kAssignment:
      return core::Assignment{};
  }
  return core::User{};
}

Status DecodeOnto(const boost::json::value& json, AnyResource& resource) {
  return std::visit([&](auto& value) { return wire::Decode(json, value); }, resource);
}

boost::json::object Encode(const AnyResource& resource) {
  return std::visit([](const auto& value) { return wire::Encode(value); }, resource);
}

std::string StoredBody(const AnyResource& resource) {
  // The API never shows a network profile's key, but the store must keep it.
  const auto* network = std::get_if<core::NetworkProfile>(&resource);
  boost::json::object body =
      network != nullptr ? wire::EncodeWithSecrets(*network) : Encode(resource);
  for (const char* column : {"id", "createdDateTime", "lastModifiedDateTime", "version"}) {
    body.erase(column);
  }
  body.erase("preSharedKeySet");
  return boost::json::serialize(body);
}

std::string NameOf(const AnyResource& resource) {
  return std::visit(
      [](const auto& value) -> std::string {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, core::TenantSettings>) {
          return "tenant";
        } else if constexpr (std::is_same_v<T, core::User>) {
          return value.user_principal_name;
        } else if constexpr (std::is_same_v<T, core::Assignment>) {
          return fmt::format("{}:{}/{}:{}", PayloadKindName(value.payload_kind), value.payload_id,
                             TargetKey(value.target), value.target.group_id.value());
        } else {
          return value.display_name;
        }
      },
      resource);
}

std::string IdOf(const AnyResource& resource) {
  return std::visit([](const auto& value) { return value.id.value(); }, resource);
}

void SetId(AnyResource& resource, const std::string& id) {
  std::visit([&](auto& value) { value.id = decltype(value.id){id}; }, resource);
}

void SetBookkeeping(AnyResource& resource, const store::ResourceRecord& record) {
  SetId(resource, record.value.id);
  std::visit(
      [&](auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (kHasCreated<T>) value.created_date_time = record.value.created_date_time;
        if constexpr (kHasModified<T>) {
          value.last_modified_date_time = record.value.last_modified_date_time;
        }
        if constexpr (kVersionsContent<T>) value.version = static_cast<int>(record.version);
      },
      resource);
}

Result<AnyResource> Load(const store::ResourceRecord& record) {
  AnyResource resource = DefaultResource(record.value.kind);
  Result<boost::json::value> body = wire::ParseJson(record.value.body, "body");
  Status decoded = body ? DecodeOnto(*body, resource) : Status(body.error());
  if (!decoded) {
    return MakeError(
        ErrorCode::kInternal,
        fmt::format("stored {} {} no longer decodes: {}", store::ToString(record.value.kind),
                    record.value.id, decoded.error().message),
        decoded.error().field);
  }
  SetBookkeeping(resource, record);
  return resource;
}

boost::json::object ToJson(const store::ResourceRecord& record) {
  Result<boost::json::value> body = wire::ParseJson(record.value.body, "body");
  boost::json::object out;
  out["id"] = record.value.id;
  if (body && body->is_object()) {
    for (const auto& field : body->as_object()) out[field.key()] = field.value();
  }
  out["createdDateTime"] = wire::FormatTimestamp(record.value.created_date_time);
  out["lastModifiedDateTime"] = wire::FormatTimestamp(record.value.last_modified_date_time);
  out["version"] = record.version;
  if (record.value.kind == ResourceKind::kNetworkProfile) {
    out["preSharedKeySet"] = out.erase("preSharedKey") > 0;
  }
  return out;
}

void AddTo(core::Tenant& tenant, AnyResource resource) {
  std::visit(
      [&](auto&& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, core::TenantSettings>) {
          tenant.settings = std::move(value);
        } else if constexpr (std::is_same_v<T, core::User>) {
          tenant.users.push_back(std::move(value));
        } else if constexpr (std::is_same_v<T, core::Group>) {
          tenant.groups.push_back(std::move(value));
        } else if constexpr (std::is_same_v<T, core::DeploymentProfile>) {
          tenant.deployment_profiles.push_back(std::move(value));
        } else if constexpr (std::is_same_v<T, core::EspProfile>) {
          tenant.esp_profiles.push_back(std::move(value));
        } else if constexpr (std::is_same_v<T, core::App>) {
          tenant.apps.push_back(std::move(value));
        } else if constexpr (std::is_same_v<T, core::Policy>) {
          tenant.policies.push_back(std::move(value));
        } else if constexpr (std::is_same_v<T, core::CertificateProfile>) {
          tenant.certificates.push_back(std::move(value));
        } else if constexpr (std::is_same_v<T, core::NetworkProfile>) {
          tenant.network_profiles.push_back(std::move(value));
        } else if constexpr (std::is_same_v<T, core::CompliancePolicy>) {
          tenant.compliance_policies.push_back(std::move(value));
        } else {
          tenant.assignments.push_back(std::move(value));
        }
      },
      std::move(resource));
}

}  // namespace groundcrew::service

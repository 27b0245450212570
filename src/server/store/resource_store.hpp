#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/ids.hpp"
#include "server/store/types.hpp"

namespace groundcrew::store {

/// The kinds of catalog resources an admin manages by name. Devices are not catalog resources:
/// there may be millions, so they have their own port (device_store.hpp).
enum class ResourceKind {
  kTenant,  ///< the one tenant's settings (id "tenant")
  kUser,
  kGroup,
  kDeploymentProfile,
  kEspProfile,
  kApp,
  kPolicy,
  kCertificateProfile,
  kNetworkProfile,
  kCompliancePolicy,
  kAssignment,
};

/// The kind's collection name in the API and the store: "tenant", "users", "groups",
/// "deploymentProfiles", "espProfiles", "apps", "policies", "certificateProfiles",
/// "networkProfiles", "compliancePolicies", "assignments".
std::string_view ToString(ResourceKind kind);
/// The inverse of ToString; nullopt for anything else.
std::optional<ResourceKind> ParseResourceKind(std::string_view text);

/// One catalog resource. The store keeps `body` (the resource's JSON) opaque; the service
/// encodes and decodes it.
struct Resource {
  ResourceKind kind = ResourceKind::kUser;
  std::string id;
  /// Unique within the kind, ASCII case-insensitively: displayName, or userPrincipalName for
  /// users; assignments use a key derived from payload and target.
  std::string name;
  std::string body;  ///< JSON
  core::Timestamp created_date_time{};
  core::Timestamp last_modified_date_time{};
};

using ResourceRecord = Versioned<Resource>;

/// Persistence for catalog resources, keyed by (kind, id) with a unique (kind, name).
///
/// Thread-safety: implementations may be called from several threads at once.
class ResourceStore {
 public:
  virtual ~ResourceStore() = default;

  /// Stores a new resource at version 1. kAlreadyExists when the id or the name is taken in the
  /// kind (the message names it; field "id" or "name").
  [[nodiscard]] virtual Result<ResourceRecord> Create(const Resource& resource) = 0;

  /// kNotFound when the kind has no resource `id`.
  [[nodiscard]] virtual Result<ResourceRecord> Get(ResourceKind kind, std::string_view id) = 0;
  /// Nullopt when absent; names compare ASCII case-insensitively.
  [[nodiscard]] virtual Result<std::optional<ResourceRecord>> FindByName(ResourceKind kind,
                                                                         std::string_view name) = 0;

  /// Replaces name, body and last_modified_date_time (never kind, id or created_date_time) if
  /// the stored resource still has `expected_version`; returns it with the next version.
  /// kAborted when another writer changed it first, kNotFound when it is gone, kAlreadyExists
  /// (field "name") when the new name is another resource's.
  [[nodiscard]] virtual Result<ResourceRecord> Update(const Resource& resource,
                                                      int64_t expected_version) = 0;

  /// Deletes the resource if it still has `expected_version` (kAborted / kNotFound otherwise).
  [[nodiscard]] virtual Status Delete(ResourceKind kind, std::string_view id,
                                      int64_t expected_version) = 0;

  /// The kind's resources in id order; `page.after` is an id. kInvalidArgument for a limit
  /// outside 1..kMaxPageSize.
  [[nodiscard]] virtual Result<Page<ResourceRecord>> List(ResourceKind kind,
                                                          const PageRequest& page) = 0;
  /// Every resource of the kind, in id order (to build a tenant snapshot).
  [[nodiscard]] virtual Result<std::vector<ResourceRecord>> ListAll(ResourceKind kind) = 0;

  /// A number that grows with every committed Create, Update or Delete of any kind; equal
  /// numbers mean an unchanged catalog (snapshot caches key on it).
  [[nodiscard]] virtual Result<int64_t> Generation() = 0;
};

}  // namespace groundcrew::store

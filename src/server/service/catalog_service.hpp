#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string_view>

#include "common/result.hpp"
#include "server/service/catalog.hpp"
#include "server/service/content_store.hpp"
#include "server/service/context.hpp"
#include "server/service/resource_model.hpp"
#include "server/store/store.hpp"

// Use cases over catalog resources (tenant settings, users, groups, profiles, payloads and
// assignments): read, create, change, delete, each change validated against the whole tenant
// and audited in the same transaction.
namespace groundcrew::service {

class CatalogService {
 public:
  /// `content` (where a deb app's .deb is read) may be a reference to an object constructed
  /// later.
  CatalogService(store::Store& store, Catalog& catalog, const ContentStore& content, Clock clock)
      : store_(store), catalog_(catalog), content_(content), clock_(std::move(clock)) {}

  /// kNotFound when absent.
  [[nodiscard]] Result<boost::json::object> Get(store::ResourceKind kind, std::string_view id);
  [[nodiscard]] Result<store::Page<boost::json::object>> List(store::ResourceKind kind,
                                                              const store::PageRequest& page);

  /// The stored resources the catalog leaves out because they cannot be read (see LoadTenant):
  /// {"value": [{"kind", "id", "name", "reason", "storedBody"}]}, by kind then id. storedBody is
  /// the stored text as it is (omitted for network profiles, whose body holds the pre-shared
  /// key; and for resources left out only because they refer to one left out).
  [[nodiscard]] Result<boost::json::object> Problems();

  /// Creates a resource from API JSON (server-owned fields are ignored; the id is assigned). A
  /// deb app's package name and version are read from its .deb (ReadDebPackage), which must be
  /// on the server.
  /// kInvalidArgument for bad fields or references, kAlreadyExists for a taken name,
  /// kPermissionDenied for a reader, kFailedPrecondition for the tenant (made by init).
  [[nodiscard]] Result<boost::json::object> Create(const Actor& actor, store::ResourceKind kind,
                                                   const boost::json::value& json);

  /// Applies the fields present in `patch`. With `if_match`, kAborted unless the stored
  /// version equals it. A deb app's package name and version are read again from its .deb.
  [[nodiscard]] Result<boost::json::object> Update(const Actor& actor, store::ResourceKind kind,
                                                   std::string_view id,
                                                   const boost::json::value& patch,
                                                   std::optional<int64_t> if_match);

  /// kFailedPrecondition while other resources refer to it (the message says which).
  [[nodiscard]] Status Delete(const Actor& actor, store::ResourceKind kind, std::string_view id,
                              std::optional<int64_t> if_match);

 private:
  store::Store& store_;
  Catalog& catalog_;
  const ContentStore& content_;
  Clock clock_;
};

/// Checks a resource needs no other resource for: UPN shape and domain, name templates, rule
/// syntax, lengths and counts. `settings` gives the tenant's domains. kInvalidArgument naming
/// the field.
[[nodiscard]] Status ValidateResource(const AnyResource& resource,
                                      const core::TenantSettings& settings);

/// Writes one audit entry (inside the caller's transaction).
[[nodiscard]] Status Audit(store::Store& store, const Actor& actor, core::Timestamp at,
                           std::string_view action, std::string_view kind, std::string_view id,
                           std::string_view name, std::string detail = "{}");

}  // namespace groundcrew::service

#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model/tenant.hpp"

namespace groundcrew::core {

/// What in `tenant` refers to the resource whose id is `id` (ids are unique across kinds), in
/// the words an admin reads, e.g. `the assignment of app "Sales CRM" to group "Sales users"`,
/// `ESP profile "Contoso ESP" (a blocking app)`, `app "Contoso Agent" (a dependency)`,
/// `deployment profile "Contoso" (assigned to it)`, `the tenant's MFA groups`. In the tenant's
/// order; empty when nothing refers to it. Pure.
std::vector<std::string> ReferencesTo(const Tenant& tenant, std::string_view id);

}  // namespace groundcrew::core

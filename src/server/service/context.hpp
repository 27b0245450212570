#pragma once

#include <functional>
#include <string>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "core/model/ids.hpp"
#include "server/store/credential_store.hpp"

namespace groundcrew::service {

/// Who is calling: an authenticated admin-API credential, or an admin signed in to the console.
struct Actor {
  std::string name;
  store::CredentialRole role = store::CredentialRole::kReader;
};

/// The wall clock, injected so that tests control time.
using groundcrew::Clock;

/// kPermissionDenied unless `actor` may change things (role admin).
[[nodiscard]] Status RequireAdmin(const Actor& actor);

/// kPermissionDenied unless `actor` may do a technician's changes (reprovision a device): role
/// technician or admin.
[[nodiscard]] Status RequireTechnicianOrAdmin(const Actor& actor);

}  // namespace groundcrew::service

#include "server/service/auth.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "common/text.hpp"
#include "identity/random.hpp"
#include "identity/sha256.hpp"
#include "server/service/catalog_service.hpp"

namespace groundcrew::service {

Status RequireAdmin(const Actor& actor) {
  switch (actor.role) {
    case store::CredentialRole::kAdmin:
      return Ok{};
    case store::CredentialRole::kTechnician:
      return MakeError(ErrorCode::kPermissionDenied,
                       fmt::format("\"{}\" may only read devices, deployments, plans and reports "
                                   "and reprovision devices (role technician); this change needs "
                                   "role admin",
                                   actor.name));
    case store::CredentialRole::kReader:
      break;
  }
  return MakeError(ErrorCode::kPermissionDenied,
                   fmt::format("\"{}\" may only read (role {}); changes need role admin",
                               actor.name, store::ToString(actor.role)));
}

Status RequireTechnicianOrAdmin(const Actor& actor) {
  if (actor.role == store::CredentialRole::kTechnician) return Ok{};
  return RequireAdmin(actor);
}

Result<Actor> Authenticate(store::CredentialStore& credentials, std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.empty()) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "this endpoint needs an admin credential: send \"Authorization: Bearer "
                     "<token>\" (groundcrew init prints the first one)",
                     "Authorization");
  }
  if (authorization.size() <= kScheme.size() ||
      authorization.substr(0, kScheme.size()) != kScheme) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "the Authorization header must be \"Bearer <token>\"", "Authorization");
  }
  const std::string_view token = authorization.substr(kScheme.size());
  Result<std::optional<store::AdminCredential>> found =
      credentials.FindByTokenSha256(identity::Sha256Hex(token));
  if (!found) return found.error();
  if (!*found || (*found)->revoked_date_time) {
    return MakeError(ErrorCode::kUnauthenticated, "the credential is unknown or revoked",
                     "Authorization");
  }
  return Actor{(*found)->name, (*found)->role};
}

Result<IssuedCredential> IssueCredential(store::Store& store, const Actor& issuer,
                                         std::string_view name, store::CredentialRole role,
                                         core::Timestamp now, std::string_view audit_action) {
  if (Status allowed = RequireAdmin(issuer); !allowed) return allowed.error();
  if (name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "a credential needs a name", "name");
  }
  const std::string token = std::string(kAdminTokenPrefix) + identity::RandomToken(32);
  store::AdminCredential credential;
  credential.id = identity::RandomUuid();
  credential.name = std::string(name);
  credential.role = role;
  credential.token_sha256 = identity::Sha256Hex(token);
  credential.created_date_time = now;
  Status stored = store.Transact([&]() -> Status {
    // An admin and a credential never share a name: the audit log's actor names one of them.
    auto admin = store.admin_accounts().Find(text::ToLowerAscii(name));
    if (!admin) return admin.error();
    if (*admin) {
      return MakeError(ErrorCode::kAlreadyExists,
                       fmt::format("an admin is named \"{}\" (the audit log names both by name): "
                                   "choose another name",
                                   (*admin)->value.name),
                       "name");
    }
    if (Status s = store.credentials().Create(credential); !s) return s;
    return Audit(store, issuer, now, audit_action, "credentials", credential.id, credential.name,
                 fmt::format(R"({{"role":"{}"}})", store::ToString(role)));
  });
  if (!stored) return stored.error();
  return IssuedCredential{credential.id, token};
}

Status RevokeCredential(store::Store& store, const Actor& actor, std::string_view id,
                        core::Timestamp now) {
  if (Status allowed = RequireAdmin(actor); !allowed) return allowed;
  return store.Transact([&]() -> Status {
    // Credentials are few: the list gives the name for the audit entry.
    Result<std::vector<store::AdminCredential>> credentials = store.credentials().List();
    if (!credentials) return credentials.error();
    auto revoked = std::find_if(credentials->begin(), credentials->end(),
                                [&](const store::AdminCredential& c) { return c.id == id; });
    if (revoked == credentials->end()) {
      return MakeError(ErrorCode::kNotFound, fmt::format("no credential has id {}", id), "id");
    }
    if (Status s = store.credentials().Revoke(id, now); !s) return s;
    return Audit(store, actor, now, "revoke", "credentials", id, revoked->name);
  });
}

}  // namespace groundcrew::service

#include "server/service/auth.hpp"

#include <fmt/format.h>

#include "identity/random.hpp"
#include "identity/sha256.hpp"

namespace groundcrew::service {

Status RequireAdmin(const Actor& actor) {
  if (actor.role == store::CredentialRole::kAdmin) return Ok{};
  return MakeError(ErrorCode::kPermissionDenied,
                   fmt::format("credential \"{}\" may only read (role {}); changes need an "
                               "admin credential",
                               actor.name, store::ToString(actor.role)));
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

Result<IssuedCredential> IssueCredential(store::Store& store, std::string_view name,
                                         store::CredentialRole role, core::Timestamp now) {
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
    if (Status s = store.credentials().Create(credential); !s) return s;
    store::AuditEntry entry;
    entry.at = now;
    entry.actor = credential.name;
    entry.action = "create";
    entry.resource_kind = "credentials";
    entry.resource_id = credential.id;
    entry.resource_name = credential.name;
    entry.detail = fmt::format(R"({{"role":"{}"}})", store::ToString(role));
    Result<store::AuditEntry> appended = store.audit().Append(entry);
    if (!appended) return appended.error();
    return Ok{};
  });
  if (!stored) return stored.error();
  return IssuedCredential{credential.id, token};
}

}  // namespace groundcrew::service
